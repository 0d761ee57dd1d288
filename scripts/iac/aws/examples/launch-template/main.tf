# Launch templates, capacity reservations and spot against hive-gateway: a launch template with
# user data, a security group, tags and a root volume; an instance launched from it; a capacity
# reservation the instance's type and zone fit; a spot instance request.
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
}

resource "aws_vpc" "lt" {
  cidr_block = "10.40.0.0/16"

  tags = {
    Name = "launch-template-example"
  }
}

resource "aws_subnet" "lt" {
  vpc_id            = aws_vpc.lt.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]

  tags = {
    Name = "launch-template-example"
  }
}

resource "aws_security_group" "web" {
  name        = "lt-web"
  description = "HTTP in, everything out"
  vpc_id      = aws_vpc.lt.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "web" {
  name                   = "web"
  description            = "web servers"
  image_id               = data.aws_ami.debian.id
  instance_type          = "t3.small"
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = base64encode("#!/bin/sh\necho hello from the launch template\n")

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 12
      volume_type           = "gp3"
      delete_on_termination = true
    }
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tag_specifications {
    resource_type = "volume"

    tags = {
      Name = "web-root"
    }
  }

  tags = {
    Name = "web"
  }
}

resource "aws_instance" "web" {
  subnet_id = aws_subnet.lt.id

  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }

  tags = {
    Name = "web-1"
  }

  # The provider re-hashes the user_data hash it stored when the user data comes from the
  # launch template, so every plan shows a change, on AWS too
  # (hashicorp/terraform-provider-aws#30825); the usual workaround:
  lifecycle {
    ignore_changes = [user_data]
  }
}

# Capacity for the instance's type in its zone: an open reservation the instance fills.
resource "aws_ec2_capacity_reservation" "web" {
  instance_type     = "t3.small"
  instance_platform = "Linux/UNIX"
  availability_zone = data.aws_availability_zones.available.names[0]
  instance_count    = 2

  tags = {
    Name = "web"
  }
}

# A spot instance, fulfilled at once.
resource "aws_spot_instance_request" "worker" {
  ami                    = data.aws_ami.debian.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.lt.id
  vpc_security_group_ids = [aws_security_group.web.id]
  spot_price             = "0.01"
  wait_for_fulfillment   = true

  tags = {
    Name = "worker"
  }
}

output "launch_template_id" {
  value = aws_launch_template.web.id
}

output "launch_template_latest_version" {
  value = aws_launch_template.web.latest_version
}

output "instance_id" {
  value = aws_instance.web.id
}

output "capacity_reservation_id" {
  value = aws_ec2_capacity_reservation.web.id
}

output "spot_instance_id" {
  value = aws_spot_instance_request.worker.spot_instance_id
}
