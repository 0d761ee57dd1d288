# terraform test: one public and one private subnet per zone, in three distinct zones, each tier
# behind its own network ACL.

run "apply" {
  command = apply

  assert {
    condition     = length(distinct(aws_subnet.public[*].availability_zone)) == 3
    error_message = "the public subnets must be in three distinct zones"
  }

  assert {
    condition     = aws_subnet.private[*].availability_zone == aws_subnet.public[*].availability_zone
    error_message = "each zone has one public and one private subnet"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch]) && !anytrue([for s in aws_subnet.private : s.map_public_ip_on_launch])
    error_message = "only the public tier maps public IPs"
  }

  assert {
    condition     = toset(aws_network_acl.public.subnet_ids) == toset(aws_subnet.public[*].id)
    error_message = "the public ACL covers exactly the public subnets"
  }

  assert {
    condition     = length(aws_network_acl.public.ingress) == 4 && length(aws_network_acl.public.egress) == 1
    error_message = "the public ACL has its four ingress rules and one egress rule"
  }

  assert {
    condition     = toset(aws_network_acl.private.subnet_ids) == toset(aws_subnet.private[*].id)
    error_message = "the private ACL covers exactly the private subnets"
  }
}

run "plan_only_keeps_cidrs" {
  command = plan

  assert {
    condition     = aws_subnet.private[2].cidr_block == "10.40.12.0/24"
    error_message = "the third private subnet is 10.40.12.0/24"
  }
}
