"""Elastic network interfaces: create, delete, describe, attributes, attach/detach, private IPs.

Records are Hive's (``<prefix>-vpc-enis``, key ``<account>.<eni-id>``) with Hive's fields kept
exactly (``network_interface_id``, ``private_ip_address``, ``mac_address``, ``status``,
``attachment_id``, ``device_index``, ``public_ip_address``, ``security_group_ids`` …) plus ours
(``source_dest_check``, ``secondary_private_ip_addresses``, ``association``, ``attach_time`` …).
The MAC address is Hive's rule: ``02:`` + the first five bytes of SHA-256(eni-id).

AWS behaviours reproduced:

* ``SourceDestCheck`` is always in the output, ``true`` unless changed (a missing member reads as
  ``false`` in Terraform and makes every plan modify the interface); tags come back as ``TagSet``.
* Without ``Groups`` an interface gets its VPC's ``default`` security group; groups must belong
  to the interface's VPC.
* Private addresses come from the subnet's IPAM record (:mod:`hive_gateway.core.ipam`): explicit ones
  are checked (inside the subnet, not reserved, free), automatic ones are the lowest free.
* ``DeleteNetworkInterface`` on an attached interface is
  ``InvalidNetworkInterface.InUse: The network interface 'eni-…' is currently in use.``;
  deleting releases its addresses, disassociates its Elastic IPs and turns routes to it into
  blackholes.
* ``ClientToken`` makes ``CreateNetworkInterface`` idempotent (same token → same interface;
  same token with other parameters → ``IdempotentParameterMismatch``).
* A device index is used by at most one interface per instance, enforced by a compare-and-swap
  claim (two racing attaches cannot both win).
* After ``DetachNetworkInterface`` a query filtering on that ``attachment.attachment-id`` still
  finds the interface, with ``Attachment.Status=detached``: the provider's detach waiter polls
  exactly that and would otherwise wait out its not-found budget (minutes). Other queries show no
  attachment.

Functions for the instances module: :func:`create_interface`, :func:`attach_to_instance`,
:func:`release_instance_interfaces`, :func:`interface_to_api`,
:func:`instance_interface_to_api`, :func:`interfaces_of_instance`.
"""

from __future__ import annotations

from handlers.network_interfaces import (
    attachment,
    attributes,
    common,
    describe,
    groups,
    lifecycle,
    public_ip,
    record_fields,
    secondary_ips,
    slots,
    views,
)
from handlers.network_interfaces.attachment import (
    attach_to_instance,
    interfaces_of_instance,
    release_instance_interfaces,
)
from handlers.network_interfaces.common import UNASSIGNED
from handlers.network_interfaces.groups import resolve_groups
from handlers.network_interfaces.lifecycle import create_interface, delete_interface
from handlers.network_interfaces.public_ip import (
    clear_interface_association,
    drop_auto_public_ip,
    ensure_auto_public_ip,
    set_interface_association,
)
from handlers.network_interfaces.record_fields import private_ips
from handlers.network_interfaces.views import instance_interface_to_api, interface_to_api

__all__ = [
    "UNASSIGNED",
    "attach_to_instance",
    "attachment",
    "attributes",
    "clear_interface_association",
    "common",
    "create_interface",
    "delete_interface",
    "describe",
    "drop_auto_public_ip",
    "ensure_auto_public_ip",
    "groups",
    "instance_interface_to_api",
    "interface_to_api",
    "interfaces_of_instance",
    "lifecycle",
    "private_ips",
    "public_ip",
    "record_fields",
    "release_instance_interfaces",
    "resolve_groups",
    "secondary_ips",
    "set_interface_association",
    "slots",
    "views",
]
