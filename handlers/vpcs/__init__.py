"""VPCs: create (with AWS's implicit resources), delete, describe, attributes, CIDR blocks.

``CreateVpc`` does what AWS does in the same call: it creates the main route table (a
``local`` route per CIDR and a ``Main`` association), the ``default`` security group, the default
network ACL, and associates the account's default DHCP options. ``DeleteVpc`` removes those with
the VPC and refuses (``DependencyViolation``) while anything else is left in it.

Every account also gets a default VPC (172.31.0.0/16, a /20 default subnet per zone that maps
public IPs, an attached internet gateway and a ``0.0.0.0/0`` route) before its first EC2 request,
as Hive does, so ``aws_default_vpc`` and ``data "aws_vpc" { default = true }`` work.
"""

from __future__ import annotations

from handlers.vpcs import (
    attributes,
    cidr_blocks,
    constants,
    default_vpc,
    lifecycle,
    repairs,
    views,
)

__all__ = [
    "attributes",
    "cidr_blocks",
    "constants",
    "default_vpc",
    "lifecycle",
    "repairs",
    "views",
]
