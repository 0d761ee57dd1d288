# The mission: a key pair, a VPC stack, a spread placement group and three t3.small instances
# with public IPs from the Debian 12 AMI, against hive-gateway (or AWS: drop the endpoints).
#
#   terraform init && terraform apply -var endpoint=http://localhost:9999
#
# Credentials come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY printed by
# `hive-gateway serve`); with TLS also set AWS_CA_BUNDLE to <data-dir>/tls/ca.pem.

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
  description = "hive-gateway URL (https://localhost:9999 by default)"
  type        = string
  default     = "https://localhost:9999"
}

variable "region" {
  type    = string
  default = "ap-southeast-2"
}

variable "ssh_public_key" {
  description = "OpenSSH public key installed on the instances"
  type        = string
  default     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIHOo02t48yVaL5WIp0kmvcjoSISbKIMCPs5XRw5GU5 mission@hive"
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

data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_key_pair" "mission" {
  key_name   = "mission"
  public_key = var.ssh_public_key
}

resource "aws_vpc" "mission" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = "mission"
  }
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.mission.id
  cidr_block              = "10.0.1.0/24"
  availability_zone       = data.aws_availability_zones.available.names[0]
  map_public_ip_on_launch = true

  tags = {
    Name = "mission-public"
  }
}

resource "aws_internet_gateway" "mission" {
  vpc_id = aws_vpc.mission.id

  tags = {
    Name = "mission"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.mission.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.mission.id
  }

  tags = {
    Name = "mission-public"
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "ssh" {
  name        = "mission-ssh"
  description = "Allow SSH in, everything out"
  vpc_id      = aws_vpc.mission.id

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "mission-ssh"
  }
}

resource "aws_placement_group" "spread" {
  name     = "mission-spread"
  strategy = "spread"
}

resource "aws_instance" "node" {
  count = 3

  ami                         = data.aws_ami.debian.id
  instance_type               = "t3.small"
  subnet_id                   = aws_subnet.public.id
  vpc_security_group_ids      = [aws_security_group.ssh.id]
  associate_public_ip_address = true
  key_name                    = aws_key_pair.mission.key_name
  placement_group             = aws_placement_group.spread.id

  tags = {
    Name = "mission-${count.index + 1}"
  }

  depends_on = [aws_internet_gateway.mission, aws_route_table_association.public]
}

output "vpc_id" {
  value = aws_vpc.mission.id
}

output "subnet_id" {
  value = aws_subnet.public.id
}

output "ami_id" {
  value = data.aws_ami.debian.id
}

output "instance_ids" {
  value = aws_instance.node[*].id
}

output "public_ips" {
  value = aws_instance.node[*].public_ip
}

output "private_ips" {
  value = aws_instance.node[*].private_ip
}
