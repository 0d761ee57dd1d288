# terraform test: nginx's user_data, the Elastic IP and the content volume are wired together.

run "apply" {
  command = apply

  assert {
    condition     = aws_instance.web.user_data != null && aws_instance.web.user_data != ""
    error_message = "the instance must carry the nginx user_data"
  }

  assert {
    condition     = aws_eip_association.web.public_ip == aws_eip.web.public_ip && startswith(aws_eip.web.id, "eipalloc-")
    error_message = "the Elastic IP must be associated with the web server"
  }

  assert {
    condition     = aws_ebs_volume.content.availability_zone == aws_instance.web.availability_zone
    error_message = "the content volume must be in the instance's zone"
  }

  assert {
    condition     = aws_volume_attachment.content.instance_id == aws_instance.web.id && aws_ebs_volume.content.size == var.data_volume_size
    error_message = "the content volume must be attached to the web server"
  }

  assert {
    condition     = length(aws_security_group.web.ingress) == 2
    error_message = "HTTP and HTTPS must be open"
  }
}
