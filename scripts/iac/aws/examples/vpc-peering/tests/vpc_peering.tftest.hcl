# terraform test against a running hive-gateway (credentials and AWS_CA_BUNDLE from the
# environment; -var endpoint=… as for apply). Applies the example, checks what the gateway
# answered, and destroys it.

run "apply" {
  command = apply

  assert {
    condition     = aws_vpc_peering_connection.app_shared.accept_status == "active"
    error_message = "the auto-accepted peering connection is not active"
  }

  assert {
    condition     = aws_vpc_peering_connection.app_shared.accepter[0].allow_remote_vpc_dns_resolution
    error_message = "the accepter side does not resolve the peer VPC's DNS names"
  }

  assert {
    condition     = startswith(aws_route.app_to_shared.vpc_peering_connection_id, "pcx-") && aws_route.app_to_shared.state == "active"
    error_message = "the route to the shared VPC is not an active pcx route"
  }

  assert {
    condition     = aws_route.shared_to_app.state == "active"
    error_message = "the route back to the app VPC is not active"
  }

  assert {
    condition     = aws_vpn_gateway.app.amazon_side_asn == "64620" && startswith(aws_vpn_gateway.app.id, "vgw-")
    error_message = "the VPN gateway does not have the requested ASN"
  }

  assert {
    condition     = aws_vpn_gateway_attachment.app.vpc_id == aws_vpc.app.id
    error_message = "the VPN gateway is not attached to the app VPC"
  }

  assert {
    condition     = aws_customer_gateway.office.bgp_asn == "65010" && aws_customer_gateway.office.ip_address == var.office_ip
    error_message = "the customer gateway does not have the requested ASN and address"
  }

  assert {
    condition     = aws_flow_log.app.log_destination_type == "s3" && aws_flow_log.app.max_aggregation_interval == 600
    error_message = "the flow log is not an S3 flow log with the default interval"
  }

  assert {
    condition     = length(aws_flow_log.app.log_format) > 0
    error_message = "the flow log has no (default) log format"
  }
}
