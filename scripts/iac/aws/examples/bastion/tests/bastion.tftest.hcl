# terraform test: the bastion is reachable from outside, the application host only through it.

run "apply" {
  command = apply

  assert {
    condition     = startswith(aws_instance.bastion.id, "i-") && aws_instance.bastion.public_ip != ""
    error_message = "the bastion must be an instance with a public IP"
  }

  assert {
    condition     = aws_instance.app.public_ip == ""
    error_message = "the application host in the private subnet must not get a public IP"
  }

  assert {
    condition     = cidrhost(aws_subnet.private.cidr_block, 0) == cidrhost("10.20.10.0/24", 0)
    error_message = "the application host must sit in the private subnet"
  }

  assert {
    condition = anytrue([
      for rule in aws_security_group.private.ingress :
      contains(rule.security_groups, aws_security_group.bastion.id) && rule.from_port == 22
    ])
    error_message = "the private group must admit SSH from the bastion's group"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.bastion_ssh.cidr_ipv4 == var.admin_cidr
    error_message = "the bastion admits SSH from the admin CIDR only"
  }

  assert {
    condition     = length(aws_route_table.private.route) == 0
    error_message = "the private route table has no route to the internet"
  }
}
