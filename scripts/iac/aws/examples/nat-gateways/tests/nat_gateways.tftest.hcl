# terraform test -var endpoint=http://127.0.0.1:<port>   (applies, asserts, destroys)

run "nat_gateways_apply" {
  command = apply

  assert {
    condition     = length(local.azs) == 3 && length(distinct(aws_subnet.private[*].availability_zone)) == 3
    error_message = "the region must serve three zones, one private subnet in each"
  }

  assert {
    condition     = alltrue([for g in aws_nat_gateway.main : g.connectivity_type == "public"])
    error_message = "every NAT gateway must be public"
  }

  assert {
    condition     = [for g in aws_nat_gateway.main : g.subnet_id] == aws_subnet.public[*].id
    error_message = "each zone's NAT gateway must live in that zone's public subnet"
  }

  assert {
    condition     = [for g in aws_nat_gateway.main : g.public_ip] == aws_eip.nat[*].public_ip
    error_message = "each NAT gateway must carry its own Elastic IP"
  }

  assert {
    condition     = alltrue([for g in aws_nat_gateway.main : startswith(g.network_interface_id, "eni-") && startswith(g.association_id, "eipassoc-")])
    error_message = "each NAT gateway must own an interface with its EIP associated"
  }

  assert {
    condition     = alltrue([for i, g in aws_nat_gateway.main : cidrhost(aws_subnet.public[i].cidr_block, 0) == cidrhost("${g.private_ip}/24", 0)])
    error_message = "each NAT gateway's private IP must come from its subnet"
  }

  assert {
    condition     = [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.main[*].id
    error_message = "each private route table must send 0.0.0.0/0 through its zone's NAT gateway"
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.state == "active"])
    error_message = "routes to live NAT gateways are active"
  }
}
