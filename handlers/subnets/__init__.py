"""Subnets: ``CreateSubnet``, ``DeleteSubnet``, ``DescribeSubnets``, ``ModifySubnetAttribute``,
``AssociateSubnetCidrBlock`` and ``DisassociateSubnetCidrBlock``.

AWS behaviour reproduced (and Hive's gaps closed, hive.md §2.4):

* the CIDR is /16–/28 and lies wholly inside one of the VPC's IPv4 CIDRs (``InvalidSubnet.Range``
  ``The CIDR '10.1.0.0/24' is invalid.``), and overlaps no other subnet of the VPC
  (``InvalidSubnet.Conflict``). The overlap rule is a compare-and-swap claim on the VPC's index
  (:mod:`hive_gateway.core.vpc_index`), so concurrent creates cannot both win;
* the zone must be one the gateway serves::

    CreateSubnet VpcId=vpc-1&CidrBlock=10.0.1.0/24&AvailabilityZone=nowhere-1z
    → InvalidParameterValue: Value (nowhere-1z) for parameter availabilityZone is invalid.
      Subnets can currently only be created in the following availability zones: ap-southeast-2a.

* every member Terraform reads has AWS's default (a missing ``PrivateDnsNameOptionsOnLaunch``
  panics older providers; ``EnableResourceNameDnsARecord=true`` is a perpetual diff);
* ``AvailableIpAddressCount`` is the size − 5 reserved − addresses used by network interfaces;
* ``DeleteSubnet`` refuses while network interfaces or instances remain (Hive never checks);
* ``ModifySubnetAttribute`` takes exactly one attribute per call and persists every one;
* a new subnet is associated with its VPC's default network ACL.

Records keep Hive's fields (``subnet_id, vpc_id, cidr_block, availability_zone, state,
is_default, map_public_ip_on_launch, tags, created_at``) and add ours; records Hive wrote read
with AWS's defaults for the fields they lack.
"""

from __future__ import annotations

from handlers.subnets import attributes, cidr_blocks, cidrs, constants, lifecycle, views, zone
from handlers.subnets.lifecycle import create_subnet_record

__all__ = [
    "attributes",
    "cidr_blocks",
    "cidrs",
    "constants",
    "create_subnet_record",
    "lifecycle",
    "views",
    "zone",
]
