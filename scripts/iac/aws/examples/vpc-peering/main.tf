# Two VPCs joined by a peering connection (auto-accepted, DNS resolution allowed both ways) with
# routes each way; a VPN gateway attached to the first VPC, propagating into its route table; a
# customer gateway; a flow log of the first VPC delivered to S3 — against hive-gateway.
#
#   terraform init && terraform apply -var endpoint=http://localhost:9999

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "endpoint" {
  description = "hive-gateway URL"
  type        = string
  default     = "https://localhost:9999"
}

variable "region" {
  type    = string
  default = "ap-southeast-2"
}

variable "office_ip" {
  description = "Public address of the on-premises VPN device (the customer gateway)"
  type        = string
  default     = "198.51.100.10"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = false
  skip_requesting_account_id  = false
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
  }
}

resource "aws_vpc" "app" {
  cidr_block           = "10.100.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "peering-app"
  }
}

resource "aws_vpc" "shared" {
  cidr_block           = "10.101.0.0/16"
  enable_dns_hostnames = true

  tags = {
    Name = "peering-shared"
  }
}

resource "aws_vpc_peering_connection" "app_shared" {
  vpc_id      = aws_vpc.app.id
  peer_vpc_id = aws_vpc.shared.id
  auto_accept = true

  accepter {
    allow_remote_vpc_dns_resolution = true
  }

  requester {
    allow_remote_vpc_dns_resolution = true
  }

  tags = {
    Name = "app-to-shared"
  }
}

resource "aws_route_table" "app" {
  vpc_id = aws_vpc.app.id

  tags = {
    Name = "peering-app"
  }
}

resource "aws_route_table" "shared" {
  vpc_id = aws_vpc.shared.id

  tags = {
    Name = "peering-shared"
  }
}

resource "aws_route" "app_to_shared" {
  route_table_id            = aws_route_table.app.id
  destination_cidr_block    = aws_vpc.shared.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_shared.id
}

resource "aws_route" "shared_to_app" {
  route_table_id            = aws_route_table.shared.id
  destination_cidr_block    = aws_vpc.app.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.app_shared.id
}

resource "aws_vpn_gateway" "app" {
  amazon_side_asn = "64620"

  tags = {
    Name = "peering-app-vgw"
  }
}

resource "aws_vpn_gateway_attachment" "app" {
  vpc_id         = aws_vpc.app.id
  vpn_gateway_id = aws_vpn_gateway.app.id
}

resource "aws_vpn_gateway_route_propagation" "app" {
  vpn_gateway_id = aws_vpn_gateway.app.id
  route_table_id = aws_route_table.app.id

  depends_on = [aws_vpn_gateway_attachment.app]
}

resource "aws_customer_gateway" "office" {
  bgp_asn    = 65010
  ip_address = var.office_ip
  type       = "ipsec.1"

  tags = {
    Name = "office"
  }
}

resource "aws_flow_log" "app" {
  vpc_id               = aws_vpc.app.id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::hive-flow-logs/app/"

  tags = {
    Name = "peering-app"
  }
}

output "peering_connection_id" {
  value = aws_vpc_peering_connection.app_shared.id
}

output "peering_status" {
  value = aws_vpc_peering_connection.app_shared.accept_status
}

output "vpn_gateway_id" {
  value = aws_vpn_gateway.app.id
}

output "customer_gateway_id" {
  value = aws_customer_gateway.office.id
}

output "flow_log_id" {
  value = aws_flow_log.app.id
}
