"""Elastic IP addresses: allocate, release, associate, disassociate, describe, reverse DNS.

Records are Hive's (``<prefix>-vpc-elastic-ips``, key ``<account>.<eipalloc-id>``; fields
``allocation_id, public_ip, pool_name, association_id?, eni_id?, instance_id?, private_ip?,
vpc_id?, state, tags, created_at``) plus ours (``domain``, ``public_ipv4_pool``,
``network_border_group``, ``subnet_id``, ``ptr_record`` …). Addresses come from the gateway's
public pool (:mod:`hive_gateway.core.ipam`). The EIP record is the source of truth of an association;
the interface record mirrors it (``association`` / ``public_ip_address``) for rendering.

AWS behaviours reproduced:

* Every address is a VPC address (``Domain=vpc``); ``Domain=standard`` is refused.
* ``ReleaseAddress`` of an associated address is ``InvalidIPAddress.InUse`` — except in a
  default VPC, where AWS disassociates it first. Releasing twice is
  ``InvalidAllocationID.NotFound`` (the provider treats that as gone).
* ``AssociateAddress`` targets an interface (``NetworkInterfaceId`` [+ ``PrivateIpAddress``]) or
  an instance's only interface; the VPC needs an attached internet gateway
  (``Gateway.NotAttached``); an address already associated elsewhere needs
  ``AllowReassociation`` (else ``Resource.AlreadyAssociated``); associating it again with the
  same target is idempotent. An address already on the target private IP is displaced (an EIP
  becomes unassociated, an auto-assigned public IP goes back to the pool).
* ``DisassociateAddress`` of an instance's primary address gives the instance a fresh
  auto-assigned public IP if it was launched with one, as AWS does.
* ``DescribeAddresses`` is not paginated (its model has no ``MaxResults``);
  ``DescribeAddressesAttribute`` always answers (the provider's ``aws_eip`` read fails on any
  error) and has no ``PtrRecord`` until ``ModifyAddressAttribute`` sets one.

For the instances module: :func:`addresses_of_instance`, :func:`release_instance_associations`.
"""

from __future__ import annotations

from handlers.addresses import allocation, association, attributes, common, reactions, views
from handlers.addresses.common import MAX_ADDRESSES
from handlers.addresses.reactions import addresses_of_instance, release_instance_associations

__all__ = [
    "MAX_ADDRESSES",
    "addresses_of_instance",
    "allocation",
    "association",
    "attributes",
    "common",
    "reactions",
    "release_instance_associations",
    "views",
]
