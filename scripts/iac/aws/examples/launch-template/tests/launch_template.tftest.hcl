# terraform test against a running hive-gateway (credentials and AWS_CA_BUNDLE from the
# environment; -var endpoint=… as for apply). Applies the example, checks what the gateway
# answered, and destroys it.

run "apply" {
  command = apply

  assert {
    condition     = startswith(aws_launch_template.web.id, "lt-") && aws_launch_template.web.latest_version == 1 && aws_launch_template.web.default_version == 1
    error_message = "the launch template does not have version 1 as its default and latest version"
  }

  assert {
    condition     = aws_launch_template.web.block_device_mappings[0].ebs[0].volume_size == 12 && aws_launch_template.web.metadata_options[0].http_tokens == "required"
    error_message = "the launch template's data was not stored as given"
  }

  assert {
    condition     = aws_instance.web.instance_type == "t3.small" && aws_instance.web.ami == data.aws_ami.debian.id
    error_message = "the instance did not take its type and image from the launch template"
  }

  assert {
    condition     = aws_instance.web.launch_template[0].id == aws_launch_template.web.id && aws_instance.web.metadata_options[0].http_tokens == "required"
    error_message = "the instance does not show the launch template it was launched from"
  }

  assert {
    condition     = contains(aws_instance.web.vpc_security_group_ids, aws_security_group.web.id)
    error_message = "the instance is not in the launch template's security group"
  }

  assert {
    condition     = aws_ec2_capacity_reservation.web.instance_count == 2 && aws_ec2_capacity_reservation.web.instance_match_criteria == "open" && aws_ec2_capacity_reservation.web.end_date_type == "unlimited"
    error_message = "the capacity reservation was not created as asked"
  }

  assert {
    condition     = aws_spot_instance_request.worker.spot_request_state == "active" && startswith(aws_spot_instance_request.worker.spot_instance_id, "i-")
    error_message = "the spot request was not fulfilled at once"
  }

  assert {
    condition     = aws_spot_instance_request.worker.spot_bid_status == "fulfilled" && aws_spot_instance_request.worker.subnet_id == aws_subnet.lt.id
    error_message = "the spot request's status is not fulfilled, or its instance is not in the subnet"
  }
}
