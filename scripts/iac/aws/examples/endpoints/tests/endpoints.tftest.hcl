# terraform test -var endpoint=http://127.0.0.1:<port>   (applies, asserts, destroys)

run "endpoints_apply" {
  command = apply

  assert {
    condition     = aws_vpc_endpoint.s3.state == "available" && aws_vpc_endpoint.ssm.state == "available"
    error_message = "both endpoints must be available"
  }

  assert {
    condition     = length(aws_vpc_endpoint.s3.route_table_ids) == 2
    error_message = "the S3 gateway endpoint must route both tables"
  }

  assert {
    condition     = startswith(aws_vpc_endpoint.s3.prefix_list_id, "pl-") && length(data.aws_prefix_list.s3.cidr_blocks) > 0
    error_message = "the S3 endpoint must expose the S3 prefix list and its CIDRs"
  }

  assert {
    condition     = data.aws_prefix_list.s3.name == "com.amazonaws.${var.region}.s3"
    error_message = "the S3 prefix list has AWS's name"
  }

  assert {
    condition     = length(aws_vpc_endpoint.ssm.network_interface_ids) == 2 && length(aws_vpc_endpoint.ssm.subnet_ids) == 2
    error_message = "the SSM interface endpoint must have one ENI per subnet"
  }

  assert {
    condition     = contains(aws_vpc_endpoint.ssm.dns_entry[*].dns_name, "ssm.${var.region}.amazonaws.com")
    error_message = "private DNS must answer the service's own name"
  }

  assert {
    condition     = aws_ec2_managed_prefix_list.office.version == 1 && length(aws_ec2_managed_prefix_list.office.entry) == 2
    error_message = "the office prefix list must hold its two entries at version 1"
  }

  assert {
    condition     = contains(one(aws_security_group.app.ingress).prefix_list_ids, aws_ec2_managed_prefix_list.office.id)
    error_message = "the app group's SSH rule must use the office prefix list"
  }

  assert {
    condition     = data.aws_vpc_endpoint_service.s3.service_type == "Gateway" && data.aws_vpc_endpoint_service.ssm.service_type == "Interface"
    error_message = "the catalogue must type s3 as Gateway and ssm as Interface"
  }
}
