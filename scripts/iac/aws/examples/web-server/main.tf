# An nginx web server: user_data installs and starts nginx, an Elastic IP gives it a stable
# address, and a separate EBS volume is attached for its content. Written for AWS: run it
# against Hive with
#
#   hive-gateway terraform init && hive-gateway terraform apply

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "region" {
  type    = string
  default = "ap-southeast-2"
}

variable "name" {
  type    = string
  default = "web"
}

variable "data_volume_size" {
  description = "GiB of the content volume"
  type        = number
  default     = 10
}

provider "aws" {
  region = var.region
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
}

resource "aws_vpc" "this" {
  cidr_block           = "10.30.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.30.1.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
  tags              = { Name = "${var.name}-public" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = var.name }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "web" {
  name        = "${var.name}-http"
  description = "HTTP and HTTPS from anywhere"
  vpc_id      = aws_vpc.this.id

  dynamic "ingress" {
    for_each = [80, 443]
    content {
      description = "port ${ingress.value}"
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = { Name = "${var.name}-http" }
}

resource "aws_instance" "web" {
  ami                    = data.aws_ami.debian.id
  instance_type          = "t3.small"
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.web.id]

  user_data = <<-EOT
    #!/bin/sh
    set -e
    apt-get update
    apt-get install -y nginx
    echo "hello from ${var.name}" > /var/www/html/index.html
    systemctl enable --now nginx
  EOT

  root_block_device {
    volume_size = 8
    volume_type = "gp3"
  }

  tags = { Name = var.name }

  depends_on = [aws_route_table_association.public]
}

resource "aws_eip" "web" {
  domain = "vpc"
  tags   = { Name = var.name }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_eip_association" "web" {
  instance_id   = aws_instance.web.id
  allocation_id = aws_eip.web.id
}

resource "aws_ebs_volume" "content" {
  availability_zone = aws_instance.web.availability_zone
  size              = var.data_volume_size
  type              = "gp3"
  tags              = { Name = "${var.name}-content" }
}

resource "aws_volume_attachment" "content" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.content.id
  instance_id = aws_instance.web.id
}

output "instance_id" {
  value = aws_instance.web.id
}

output "public_ip" {
  value = aws_eip.web.public_ip
}

output "allocation_id" {
  value = aws_eip.web.id
}

output "volume_id" {
  value = aws_ebs_volume.content.id
}

output "availability_zone" {
  value = aws_instance.web.availability_zone
}

output "url" {
  value = "http://${aws_eip.web.public_ip}/"
}
