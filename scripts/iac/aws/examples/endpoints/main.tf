# VPC endpoints and managed prefix lists against hive-gateway (or AWS: drop the endpoints).
#
#   terraform init && terraform apply -var endpoint=http://localhost:9999
#
# A VPC with DNS hostnames, two private subnets in two zones with their route tables, an S3
# gateway endpoint routing both tables to the S3 prefix list, an SSM interface endpoint with an
# ENI in each subnet behind its own security group, and a customer-managed prefix list used in a
# security-group rule. Credentials come from the environment (AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY printed by `hive-gateway serve`); with TLS also set AWS_CA_BUNDLE.

terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "endpoint" {
  description = "hive-gateway URL (https://localhost:9999 by default)"
  type        = string
  default     = "https://localhost:9999"
}

variable "region" {
  type    = string
  default = "ap-southeast-2"
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

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_vpc_endpoint_service" "s3" {
  service      = "s3"
  service_type = "Gateway"
}

data "aws_vpc_endpoint_service" "ssm" {
  service = "ssm"
}

resource "aws_vpc" "main" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true # private DNS of interface endpoints needs both
  tags                 = { Name = "endpoints" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
  tags              = { Name = "private-${count.index}" }
}

resource "aws_route_table" "private" {
  count  = 2
  vpc_id = aws_vpc.main.id
  tags   = { Name = "private-${count.index}" }
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Gateway endpoint: a route to the S3 prefix list in both tables.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = data.aws_vpc_endpoint_service.s3.service_name
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  tags              = { Name = "s3" }
}

data "aws_prefix_list" "s3" {
  prefix_list_id = aws_vpc_endpoint.s3.prefix_list_id
}

# A customer-managed prefix list, used by a security-group rule.
resource "aws_ec2_managed_prefix_list" "office" {
  name           = "office"
  address_family = "IPv4"
  max_entries    = 5

  entry {
    cidr        = "203.0.113.0/24"
    description = "head office"
  }
  entry {
    cidr        = "198.51.100.64/26"
    description = "branch"
  }

  tags = { Name = "office" }
}

resource "aws_security_group" "endpoints" {
  name        = "endpoints"
  description = "HTTPS to the interface endpoints"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
}

resource "aws_security_group" "app" {
  name        = "app"
  description = "SSH from the office, HTTPS to S3"
  vpc_id      = aws_vpc.main.id

  ingress {
    description     = "SSH from the office"
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    prefix_list_ids = [aws_ec2_managed_prefix_list.office.id]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id]
  }
}

# Interface endpoint: an ENI in each subnet, private DNS for ssm.<region>.amazonaws.com.
resource "aws_vpc_endpoint" "ssm" {
  vpc_id              = aws_vpc.main.id
  service_name        = data.aws_vpc_endpoint_service.ssm.service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  tags                = { Name = "ssm" }
}

output "s3_prefix_list_id" {
  value = aws_vpc_endpoint.s3.prefix_list_id
}

output "s3_cidr_blocks" {
  value = data.aws_prefix_list.s3.cidr_blocks
}

output "ssm_dns_names" {
  value = aws_vpc_endpoint.ssm.dns_entry[*].dns_name
}

output "ssm_network_interface_ids" {
  value = aws_vpc_endpoint.ssm.network_interface_ids
}

output "office_prefix_list_id" {
  value = aws_ec2_managed_prefix_list.office.id
}
