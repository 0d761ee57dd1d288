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

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from hive_gateway.hive import events
from hive_gateway.core import ipam
from hive_gateway.core import claims, clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.clock import format_timestamp
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications
from hive_gateway.core import zones

LOG = logging.getLogger(__name__)

ENI: Final = KINDS["network-interface"]
SUBNET: Final = KINDS["subnet"]
SECURITY_GROUP: Final = KINDS["security-group"]
INSTANCE: Final = KINDS["instance"]

UNASSIGNED: Final = "unassigned_private_ips"
"""Field of the ``("network-interface", "ips-unassigned")`` event record: the addresses removed."""

# What an interface holds on to (architecture.md §2): its VPC, subnet and security groups cannot
# be deleted while it exists, and its VPC's internet gateway cannot be detached while it maps a
# public address. CreateNetworkInterface re-checks its subnet and VPC after writing.
dependents.blocks("vpc", by="network-interface", field="vpc_id")
dependents.blocks("subnet", by="network-interface", field="subnet_id")
dependents.blocks(
    "security-group",
    by="network-interface",
    where=lambda eni, group: group["group_id"] in (eni.get("security_group_ids") or ()),
)
dependents.blocks(
    "internet-gateway",
    by="network-interface",
    event="detach",
    where=lambda eni, igw: (
        bool(igw.get("vpc_id"))
        and eni.get("vpc_id") == igw["vpc_id"]
        and bool(eni.get("public_ip_address") or eni.get("association"))
    ),
)

MAX_SECURITY_GROUPS: Final = 5
"""``vpc-max-security-groups-per-interface`` (DescribeAccountAttributes)."""
MAX_PRIVATE_IPS: Final = 50
"""Private IPv4 addresses per interface (primary included)."""
DETACHABLE_PRIMARY_STATES: Final = frozenset({"shutting-down", "terminated"})
"""Instance states in which the device-0 interface may be detached."""
ATTACHABLE_STATES: Final = frozenset({"pending", "running", "stopping", "stopped"})
AMAZON_OWNER: Final = "amazon"
"""``IpOwnerId`` of an auto-assigned public IPv4 address."""


# --- errors ------------------------------------------------------------------------------------


def in_use(eni_id: str) -> AwsError:
    """An attached interface cannot be deleted."""
    return AwsError(
        "InvalidNetworkInterface.InUse", f"The network interface '{eni_id}' is currently in use."
    )


def attachment_not_found(attachment_id: str) -> AwsError:
    """An attachment id that names no current attachment."""
    return AwsError(
        "InvalidAttachmentID.NotFound", f"The attachment ID '{attachment_id}' does not exist"
    )


def unsupported(what: str) -> AwsError:
    """A feature this gateway does not provide (never a 5xx: SDKs would retry)."""
    return AwsError("UnsupportedOperation", f"{what} is not supported by this gateway.")


def _ip_limit(eni_id: str) -> AwsError:
    return AwsError(
        "PrivateIpAddressLimitExceeded",
        f"Number of private addresses will exceed limit for network interface {eni_id}.",
    )


# --- derived values ----------------------------------------------------------------------------


def mac_address(eni_id: str) -> str:
    """Hive's MAC for an interface: ``02:`` + the first five bytes of SHA-256(eni-id)."""
    digest = hashlib.sha256(eni_id.encode("utf-8")).digest()[:5]
    return "02:" + ":".join(f"{byte:02x}" for byte in digest)


def private_ips(record: Mapping[str, Any]) -> list[str]:
    """Every private IPv4 address of the interface, primary first."""
    return [str(record["private_ip_address"])] + [
        str(ip) for ip in record.get("secondary_private_ip_addresses") or []
    ]


def primary_association(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The public address on the primary private address (an EIP or auto-assigned), if any.

    Hive records carry only ``public_ip_address``; that is an auto-assigned address.
    """
    association = record.get("association")
    if association:
        return dict(association)
    if record.get("public_ip_address"):
        return {"public_ip": record["public_ip_address"], "ip_owner_id": AMAZON_OWNER}
    return None


def association_of(record: Mapping[str, Any], private_ip: str) -> dict[str, Any] | None:
    """The public address mapped to ``private_ip`` of the interface, if any."""
    if private_ip == record.get("private_ip_address"):
        return primary_association(record)
    found = (record.get("secondary_associations") or {}).get(private_ip)
    return dict(found) if found else None


def _zone_ids(ctx: RequestContext) -> dict[str, str]:
    return zones.zone_ids(ctx)


def _association_api(ctx: RequestContext, association: Mapping[str, Any]) -> Record:
    public_ip = str(association["public_ip"])
    out: Record = {
        "IpOwnerId": str(association.get("ip_owner_id") or AMAZON_OWNER),
        "PublicDnsName": ipam.public_dns_name(ctx.runtime.settings.region, public_ip),
        "PublicIp": public_ip,
    }
    if association.get("allocation_id"):
        out["AllocationId"] = association["allocation_id"]
    if association.get("association_id"):
        out["AssociationId"] = association["association_id"]
    return out


def _attachment_api(
    ctx: RequestContext, record: Mapping[str, Any], source: Mapping[str, Any], status: str
) -> Record:
    return {
        "AttachTime": clock.parse_time(str(source.get("attach_time") or record["created_at"])),
        "AttachmentId": source["attachment_id"],
        "DeleteOnTermination": bool(source.get("delete_on_termination", False)),
        "DeviceIndex": int(source.get("device_index") or 0),
        "NetworkCardIndex": int(source.get("network_card_index") or 0),
        "InstanceId": source["instance_id"],
        "InstanceOwnerId": str(record.get("account_id") or ctx.account_id),
        "Status": status,
    }


def _groups_api(record: Mapping[str, Any]) -> list[Record]:
    names = record.get("security_group_names") or {}
    return [
        {"GroupId": group_id, "GroupName": str(names.get(group_id, ""))}
        for group_id in record.get("security_group_ids") or []
    ]


def interface_to_api(
    ctx: RequestContext, record: Mapping[str, Any], *, show_detached: bool = False
) -> Record:
    """An interface record in the ``NetworkInterface`` shape.

    ``show_detached`` renders the last attachment as ``Status=detached`` on a detached
    interface (for the provider's detach waiter, see the module docstring).
    """
    region = ctx.runtime.settings.region
    primary_ip = str(record["private_ip_address"])
    addresses: list[Record] = []
    for ip in private_ips(record):
        entry: Record = {
            "Primary": ip == primary_ip,
            "PrivateDnsName": ipam.private_dns_name(region, ip),
            "PrivateIpAddress": ip,
        }
        association = association_of(record, ip)
        if association:
            entry["Association"] = _association_api(ctx, association)
        addresses.append(entry)
    out: Record = {
        "AvailabilityZone": record["availability_zone"],
        "Description": str(record.get("description") or ""),
        "Groups": _groups_api(record),
        "InterfaceType": str(record.get("interface_type") or "interface"),
        "Ipv6Addresses": [],
        "MacAddress": record["mac_address"],
        "NetworkInterfaceId": record["network_interface_id"],
        "OwnerId": str(record.get("account_id") or ctx.account_id),
        "PrivateDnsName": ipam.private_dns_name(region, primary_ip),
        "PrivateIpAddress": primary_ip,
        "PrivateIpAddresses": addresses,
        "RequesterManaged": bool(record.get("requester_managed", False)),
        "SourceDestCheck": bool(record.get("source_dest_check", True)),
        "Status": str(record.get("status") or "available"),
        "SubnetId": record["subnet_id"],
        "TagSet": api_tags(record_tags(record)),
        "VpcId": record["vpc_id"],
    }
    zone_id = _zone_ids(ctx).get(str(record["availability_zone"]))
    if zone_id:
        out["AvailabilityZoneId"] = zone_id
    association = primary_association(record)
    if association:
        out["Association"] = _association_api(ctx, association)
    if record.get("attachment_id") and record.get("instance_id"):
        out["Attachment"] = _attachment_api(
            ctx, record, record, str(record.get("attachment_status") or "attached")
        )
    elif show_detached and record.get("last_attachment"):
        out["Attachment"] = _attachment_api(ctx, record, record["last_attachment"], "detached")
    return out


_INSTANCE_INTERFACE_MEMBERS: Final = (
    "Description",
    "Groups",
    "Ipv6Addresses",
    "MacAddress",
    "NetworkInterfaceId",
    "OwnerId",
    "PrivateDnsName",
    "PrivateIpAddress",
    "SourceDestCheck",
    "Status",
    "SubnetId",
    "VpcId",
    "InterfaceType",
)


def instance_interface_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """An attached interface in the ``InstanceNetworkInterface`` shape (``DescribeInstances``).

    ``Attachment`` is always present for an attached interface (the provider dereferences
    ``Attachment.DeviceIndex``); ``Association`` only when the primary address has a public IP.
    """
    full = interface_to_api(ctx, record)
    out: Record = {member: full[member] for member in _INSTANCE_INTERFACE_MEMBERS}

    def slim(association: Mapping[str, Any]) -> Record:
        return {k: association[k] for k in ("IpOwnerId", "PublicDnsName", "PublicIp")}

    if "Association" in full:
        out["Association"] = slim(full["Association"])
    out["PrivateIpAddresses"] = [
        {
            **{k: v for k, v in entry.items() if k != "Association"},
            **({"Association": slim(entry["Association"])} if "Association" in entry else {}),
        }
        for entry in full["PrivateIpAddresses"]
    ]
    if "Attachment" in full:
        attachment = full["Attachment"]
        out["Attachment"] = {
            k: attachment[k]
            for k in (
                "AttachTime",
                "AttachmentId",
                "DeleteOnTermination",
                "DeviceIndex",
                "Status",
                "NetworkCardIndex",
            )
        }
    return out


# --- filters -----------------------------------------------------------------------------------


def _attachment(member: str) -> Callable[[Record], Any]:
    return lambda n: (n.get("Attachment") or {}).get(member)


def _association(member: str) -> Callable[[Record], Any]:
    return lambda n: (n.get("Association") or {}).get(member)


def _addresses(member: str) -> Callable[[Record], Any]:
    return lambda n: [entry.get(member) for entry in n["PrivateIpAddresses"]]


def _address_association(member: str) -> Callable[[Record], Any]:
    return lambda n: [
        (entry.get("Association") or {}).get(member) for entry in n["PrivateIpAddresses"]
    ]


def _attach_time(n: Record) -> str | None:
    value = (n.get("Attachment") or {}).get("AttachTime")
    return format_timestamp(value) if value is not None else None


ENI_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "addresses.private-ip-address": _addresses("PrivateIpAddress"),
        "addresses.primary": _addresses("Primary"),
        "addresses.association.public-ip": _address_association("PublicIp"),
        "addresses.association.owner-id": _address_association("IpOwnerId"),
        "association.allocation-id": _association("AllocationId"),
        "association.association-id": _association("AssociationId"),
        "association.ip-owner-id": _association("IpOwnerId"),
        "association.public-ip": _association("PublicIp"),
        "association.public-dns-name": _association("PublicDnsName"),
        "attachment.attach-time": _attach_time,
        "attachment.attachment-id": _attachment("AttachmentId"),
        "attachment.delete-on-termination": _attachment("DeleteOnTermination"),
        "attachment.device-index": _attachment("DeviceIndex"),
        "attachment.instance-id": _attachment("InstanceId"),
        "attachment.instance-owner-id": _attachment("InstanceOwnerId"),
        "attachment.network-card-index": _attachment("NetworkCardIndex"),
        "attachment.status": _attachment("Status"),
        "availability-zone": lambda n: n["AvailabilityZone"],
        "availability-zone-id": lambda n: n.get("AvailabilityZoneId"),
        "description": lambda n: n["Description"],
        "group-id": lambda n: [g["GroupId"] for g in n["Groups"]],
        "group-name": lambda n: [g["GroupName"] for g in n["Groups"]],
        "ipv6-addresses.ipv6-address": lambda n: [a["Ipv6Address"] for a in n["Ipv6Addresses"]],
        "interface-type": lambda n: n["InterfaceType"],
        "mac-address": lambda n: n["MacAddress"],
        "network-interface-id": lambda n: n["NetworkInterfaceId"],
        "operator.managed": lambda n: False,
        "operator.principal": lambda n: None,
        "owner-id": lambda n: n["OwnerId"],
        "private-dns-name": lambda n: n["PrivateDnsName"],
        "private-ip-address": _addresses("PrivateIpAddress"),
        "requester-id": lambda n: n.get("RequesterId"),
        "requester-managed": lambda n: n["RequesterManaged"],
        "source-dest-check": lambda n: n["SourceDestCheck"],
        "status": lambda n: n["Status"],
        "subnet-id": lambda n: n["SubnetId"],
        "vpc-id": lambda n: n["VpcId"],
    },
    tags=lambda n: {t["Key"]: t["Value"] for t in n["TagSet"]},
    aliases={
        "subnetId": "subnet-id",
        "vpcId": "vpc-id",
        "groupId": "group-id",
        "availabilityZone": "availability-zone",
        "networkInterfaceId": "network-interface-id",
        "privateIpAddress": "private-ip-address",
    },
    indexes={"vpc-id": "vpc_id", "subnet-id": "subnet_id"},
)


# --- claims: device slots ---------------------------------------------------------------------


def _slot_name(instance_id: str, device_index: int) -> str:
    return f"{instance_id}.{device_index}"


async def _claim_slot(
    ctx: RequestContext, instance_id: str, device_index: int, eni_id: str
) -> bool:
    """Reserve ``device_index`` of the instance for ``eni_id`` (``InvalidParameterValue`` if taken).

    Returns whether the claim is new (``False``: ``eni_id`` already held it).

    A claim is taken over when its interface is gone, or when it is not attached in that slot
    and the claim is stale (:data:`~hive_gateway.core.claims.ENI_SLOTS`: a crash between the
    claim and the attach); a younger claim is an attach in progress and wins.
    """

    async def held(current: Record) -> bool | None:
        holder = await records.find(ctx, ENI, str(current.get("holder")))
        if holder is None:
            return False
        attached_here = (
            bool(holder.get("attachment_id"))
            and holder.get("instance_id") == instance_id
            and int(holder.get("device_index") or 0) == device_index
        )
        return True if attached_here else None

    claim = await claims.take(
        ctx,
        claims.ENI_SLOTS,
        _slot_name(instance_id, device_index),
        eni_id,
        data={"instance_id": instance_id, "device_index": device_index},
        held=held,
    )
    taken = invalid_parameter_value(
        f"Instance '{instance_id}' already has an interface attached at device index '{device_index}'."
    )
    if not claim.ours:
        raise taken
    if claim.fresh:  # an interface attached before slot claims had their own space holds none
        here = await records.where(ctx, ENI, instance_id=instance_id, device_index=device_index)
        if any(r.get("attachment_id") and r["network_interface_id"] != eni_id for r in here):
            await _release_slot(ctx, instance_id, device_index, eni_id)
            raise taken
    return claim.fresh


async def _release_slot(
    ctx: RequestContext, instance_id: str, device_index: int, eni_id: str
) -> None:
    await claims.release(ctx, claims.ENI_SLOTS, _slot_name(instance_id, device_index), eni_id)


# --- security groups -------------------------------------------------------------------------------


async def _default_group(ctx: RequestContext, vpc_id: str) -> Record | None:
    found = await records.where(ctx, SECURITY_GROUP, vpc_id=vpc_id, group_name="default")
    return found[0] if found else None


async def resolve_groups(
    ctx: RequestContext, vpc_id: str, group_ids: Sequence[str], *, subnet_id: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """Validated group ids and their names; the VPC's ``default`` group when none are given.

    Unknown groups are ``InvalidGroup.NotFound``; a group of another VPC is
    ``InvalidParameter`` (create, naming the subnet) or ``InvalidGroup.NotFound`` (modify).
    """
    if not group_ids:
        default = await _default_group(ctx, vpc_id)
        if default is None:
            return [], {}
        return [str(default["group_id"])], {
            str(default["group_id"]): str(default.get("group_name", "default"))
        }
    unique = list(dict.fromkeys(group_ids))
    if len(unique) > MAX_SECURITY_GROUPS:
        raise AwsError(
            "SecurityGroupsPerInterfaceLimitExceeded",
            "The maximum number of security groups per interface has been reached.",
        )
    names: dict[str, str] = {}
    for group_id in unique:
        group = await records.get(ctx, SECURITY_GROUP, group_id)
        if group.get("vpc_id") != vpc_id:
            if subnet_id is not None:
                raise AwsError(
                    "InvalidParameter",
                    f"Security group {group_id} and subnet {subnet_id} belong to different networks.",
                )
            raise AwsError(
                "InvalidGroup.NotFound",
                f"The security group '{group_id}' does not exist in VPC '{vpc_id}'",
            )
        names[group_id] = str(group.get("group_name", ""))
    return unique, names


# --- creating and deleting -----------------------------------------------------------------------


async def create_interface(
    ctx: RequestContext,
    *,
    subnet: Mapping[str, Any],
    security_group_ids: Sequence[str],
    private_ip: str | None,
    secondary_count: int = 0,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    public_ip: bool = False,
    secondary_ips: Sequence[str] = (),
    interface_type: str = "interface",
    eni_id: str | None = None,
    client_token: str | None = None,
) -> Record:
    """Create an interface in ``subnet`` and return its stored record.

    Groups are validated (``[]`` → the VPC's default group); addresses come from the subnet's
    IPAM (``private_ip`` or the lowest free one, plus ``secondary_ips`` and ``secondary_count``
    automatic ones). With ``public_ip`` the primary address also gets a public IPv4 address
    from the pool (an instance's auto-assigned public IP, owner ``amazon``), given back when an
    Elastic IP replaces it or the instance terminates. Publishes ``vpc.create-port``.
    """
    eni_id = eni_id or new_id("network-interface")
    subnet_id = str(subnet["subnet_id"])
    vpc_id = str(subnet["vpc_id"])
    groups, names = await resolve_groups(ctx, vpc_id, security_group_ids, subnet_id=subnet_id)
    if 1 + len(secondary_ips) + secondary_count > MAX_PRIVATE_IPS:
        raise _ip_limit(eni_id)
    requested = ([private_ip] if private_ip else []) + list(secondary_ips)
    automatic = (0 if private_ip else 1) + secondary_count
    allocated = await ipam.allocate_private_ips(ctx, subnet, requested, automatic)
    if private_ip:
        primary, secondaries = allocated[0], allocated[1:]
    else:
        explicit = allocated[: len(secondary_ips)]
        autos = allocated[len(secondary_ips) :]
        primary, secondaries = autos[0], explicit + autos[1:]
    record: Record = {
        "network_interface_id": eni_id,
        "subnet_id": subnet_id,
        "vpc_id": vpc_id,
        "availability_zone": subnet["availability_zone"],
        "private_ip_address": primary,
        "mac_address": mac_address(eni_id),
        "description": description,
        "status": "available",
        "device_index": 0,
        "security_group_ids": groups,
        "tags": dict(tags or {}),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "source_dest_check": True,
        "secondary_private_ip_addresses": secondaries,
        "interface_type": interface_type,
        "requester_managed": False,
        "security_group_names": names,
        "auto_public_ip": public_ip,
    }
    if client_token:
        record["client_token"] = client_token
    try:
        if public_ip:
            address = await ipam.allocate_public_ip(
                ctx, {"type": ipam.PURPOSE_ENI_PUBLIC, "eni_id": eni_id}
            )
            record["public_ip_address"] = address
            record["public_ip_pool"] = ipam.PUBLIC_POOL_KEY
            record["association"] = {"public_ip": address, "ip_owner_id": AMAZON_OWNER}
        await records.create(ctx, ENI, record)
    except BaseException:
        await ipam.release_private_ips(ctx, subnet_id, allocated)
        if record.get("public_ip_address"):
            await ipam.release_public_ip(ctx, str(record["public_ip_address"]))
        raise
    await _publish_port(ctx, "vpc.create-port", record)
    return record


async def _publish_port(ctx: RequestContext, subject: str, record: Mapping[str, Any]) -> None:
    """Hive's ``vpc.create-port`` / ``vpc.delete-port`` payload (``vpc/eni.go``)."""
    await events.publish(
        ctx,
        subject,
        {
            "network_interface_id": record["network_interface_id"],
            "subnet_id": record["subnet_id"],
            "vpc_id": record["vpc_id"],
            "private_ip_address": record["private_ip_address"],
            "mac_address": record["mac_address"],
        },
    )


def _private_ip_request(params: Mapping[str, Any]) -> tuple[str | None, list[str], int]:
    """``(primary, explicit secondaries, automatic secondary count)`` of a create request."""
    primary = params.get("PrivateIpAddress")
    specs = list(params.get("PrivateIpAddresses") or [])
    for spec in specs:
        if not spec.get("PrivateIpAddress"):
            raise missing_parameter("PrivateIpAddresses.PrivateIpAddress")
    primaries = [str(spec["PrivateIpAddress"]) for spec in specs if spec.get("Primary")]
    if len(primaries) > 1:
        raise invalid_parameter_value("Only one primary private IP address can be specified.")
    if primaries:
        if primary and primary != primaries[0]:
            raise invalid_parameter_combination(
                "The primary IP address given in privateIpAddress does not match the one in privateIpAddresses."
            )
        primary = primaries[0]
    secondaries = [str(spec["PrivateIpAddress"]) for spec in specs if not spec.get("Primary")]
    if primary is None and secondaries:
        primary = secondaries.pop(0)
    count = int(params.get("SecondaryPrivateIpAddressCount") or 0)
    if count < 0:
        raise invalid_parameter_value("SecondaryPrivateIpAddressCount must be a positive number.")
    return primary, secondaries, count


_UNSUPPORTED_CREATE: Final = {
    "Ipv4Prefixes": "IPv4 prefix delegation",
    "Ipv4PrefixCount": "IPv4 prefix delegation",
    "Ipv6Prefixes": "IPv6 prefix delegation",
    "Ipv6PrefixCount": "IPv6 prefix delegation",
    "Ipv6Addresses": "IPv6 addressing of network interfaces",
    "Ipv6AddressCount": "IPv6 addressing of network interfaces",
    "EnablePrimaryIpv6": "IPv6 addressing of network interfaces",
}


@action("CreateNetworkInterface")
async def create_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Create an interface in a subnet (status ``available`` at once)."""
    for member, what in _UNSUPPORTED_CREATE.items():
        if params.get(member):
            raise unsupported(what)
    subnet = await records.get(ctx, SUBNET, params["SubnetId"])
    primary, secondaries, count = _private_ip_request(params)
    tags = tags_from_specifications(params, "network-interface")
    token = params.get("ClientToken")

    async def create(eni_id: str) -> Record:
        return await create_interface(
            ctx,
            subnet=subnet,
            security_group_ids=list(params.get("Groups") or []),
            private_ip=primary,
            secondary_ips=secondaries,
            secondary_count=count,
            description=str(params.get("Description") or ""),
            tags=tags,
            interface_type=str(params.get("InterfaceType") or "interface"),
            eni_id=eni_id,
            client_token=token,
        )

    async def existing(eni_id: str) -> Record | None:
        return await records.find(ctx, ENI, eni_id)

    record = await idempotency.create_once(ctx, ENI, token, params, create, existing)
    result: Record = {"NetworkInterface": interface_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


async def delete_interface(ctx: RequestContext, eni_id: str, *, force: bool = False) -> Record:
    """Delete an interface and everything it holds; returns the deleted record.

    Refused while attached (``InvalidNetworkInterface.InUse``) unless ``force`` (instance
    termination). Releases its private and auto-assigned public addresses and its device slot,
    publishes ``vpc.delete-port`` and fires ``("network-interface", "deleted")`` (its Elastic IPs
    are disassociated, routes to it blackholed: declared in addresses and route_tables).
    """
    deleted: Record = {}

    def remove(record: Record) -> None:
        if not force and (record.get("attachment_id") or record.get("status") == "in-use"):
            raise in_use(eni_id)
        deleted.update(record)

    await records.mutate(ctx, ENI, eni_id, remove)
    await ipam.release_private_ips(ctx, str(deleted["subnet_id"]), private_ips(deleted))
    association = primary_association(deleted)
    if association and not association.get("allocation_id"):
        await ipam.release_public_ip(ctx, str(association["public_ip"]))
    if deleted.get("attachment_id") and deleted.get("instance_id"):
        await _release_slot(
            ctx, str(deleted["instance_id"]), int(deleted.get("device_index") or 0), eni_id
        )
    await dependents.fire(ctx, "network-interface", "deleted", deleted)
    await _publish_port(ctx, "vpc.delete-port", deleted)
    return deleted


@action("DeleteNetworkInterface")
async def delete_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Delete a detached interface."""
    await delete_interface(ctx, params["NetworkInterfaceId"])
    return None


@action("DescribeNetworkInterfaces")
async def describe_network_interfaces(ctx: RequestContext, params: Params) -> Result:
    """The caller's interfaces by id and filters, paged (``TagSet``, ``SourceDestCheck`` …)."""
    detached_ids: set[str] = set()
    for entry in params.get("Filters") or ():
        if entry.get("Name") == "attachment.attachment-id":
            detached_ids.update(str(v) for v in entry.get("Values") or [])

    def render(c: RequestContext, record: Record) -> Record:
        last = record.get("last_attachment") or {}
        show = bool(last) and last.get("attachment_id") in detached_ids
        return interface_to_api(c, record, show_detached=show)

    return await describe.describe(
        ctx,
        ENI,
        params,
        ids_param="NetworkInterfaceIds",
        result_key="NetworkInterfaces",
        spec=ENI_FILTERS,
        to_api=render,
    )


# --- attributes ------------------------------------------------------------------------------------


#: ModifyNetworkInterfaceAttribute members → the attribute name AWS uses in messages.
_MODIFIABLE: Final = {
    "Description": "description",
    "SourceDestCheck": "sourceDestCheck",
    "Groups": "groupSet",
    "Attachment": "attachment",
    "AssociatePublicIpAddress": "associatePublicIpAddress",
}
_UNSUPPORTED_MODIFY: Final = {
    "EnaSrdSpecification": "ENA Express",
    "EnablePrimaryIpv6": "IPv6 addressing of network interfaces",
    "ConnectionTrackingSpecification": "Connection tracking configuration",
    "AssociatedSubnetIds": "Multi-subnet network interfaces",
}


async def _sync_instance_groups(ctx: RequestContext, record: Mapping[str, Any]) -> None:
    """The primary interface's groups are the instance's groups (``vpc_security_group_ids``)."""
    instance_id = record.get("instance_id")
    if not instance_id or int(record.get("device_index") or 0) != 0:
        return
    groups = list(record.get("security_group_ids") or [])

    def change(instance: Record) -> Record:
        return {**instance, "security_group_ids": groups}

    try:
        await records.mutate(ctx, INSTANCE, str(instance_id), change)
    except (AwsError, ValueError, records.StoreError):
        LOG.warning("instance %s not updated with new groups", instance_id, exc_info=True)


@action("ModifyNetworkInterfaceAttribute")
async def modify_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """Change exactly one attribute: description, source/dest check, groups, attachment, public IP."""
    for member, what in _UNSUPPORTED_MODIFY.items():
        if params.get(member) is not None:
            raise unsupported(what)
    given = [member for member in _MODIFIABLE if params.get(member) is not None]
    if not given:
        raise missing_parameter(
            "Description, SourceDestCheck, Groups, Attachment or AssociatePublicIpAddress"
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: "
            + ", ".join(_MODIFIABLE[m] for m in given)
        )
    eni_id = params["NetworkInterfaceId"]
    member = given[0]
    record = await records.get(ctx, ENI, eni_id)
    if member == "Description":
        value = str(params["Description"].get("Value") or "")
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "description": value})
    elif member == "SourceDestCheck":
        flag = params["SourceDestCheck"].get("Value")
        if flag is None:
            raise missing_parameter("SourceDestCheck.Value")
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "source_dest_check": bool(flag)})
    elif member == "Groups":
        groups, names = await resolve_groups(ctx, str(record["vpc_id"]), list(params["Groups"]))
        if not groups:
            raise missing_parameter("Groups")
        updated = await records.mutate(
            ctx,
            ENI,
            eni_id,
            lambda r: {**r, "security_group_ids": groups, "security_group_names": names},
        )
        if updated is not None:
            await _sync_instance_groups(ctx, updated)
    elif member == "Attachment":
        await _modify_attachment(ctx, eni_id, params["Attachment"])
    else:
        await set_auto_public_ip(ctx, eni_id, bool(params["AssociatePublicIpAddress"]))
    return None


async def _modify_attachment(ctx: RequestContext, eni_id: str, changes: Mapping[str, Any]) -> None:
    attachment_id = changes.get("AttachmentId")
    flag = changes.get("DeleteOnTermination")
    if not attachment_id:
        raise missing_parameter("Attachment.AttachmentId")
    if flag is None:
        raise missing_parameter("Attachment.DeleteOnTermination")

    def change(record: Record) -> Record:
        if record.get("attachment_id") != attachment_id:
            raise attachment_not_found(str(attachment_id))
        return {**record, "delete_on_termination": bool(flag)}

    await records.mutate(ctx, ENI, eni_id, change)


@action("ResetNetworkInterfaceAttribute")
async def reset_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """Reset ``sourceDestCheck`` to its default (true)."""
    if not params.get("SourceDestCheck"):
        raise missing_parameter("SourceDestCheck")
    await records.mutate(
        ctx, ENI, params["NetworkInterfaceId"], lambda r: {**r, "source_dest_check": True}
    )
    return None


@action("DescribeNetworkInterfaceAttribute")
async def describe_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute: ``description``, ``groupSet``, ``sourceDestCheck``, ``attachment``, ``associatePublicIpAddress``."""
    attribute = params.get("Attribute")
    if not attribute:
        raise missing_parameter("Attribute")
    record = await records.get(ctx, ENI, params["NetworkInterfaceId"])
    full = interface_to_api(ctx, record)
    answers: dict[str, Callable[[], Record]] = {
        "description": lambda: {"Description": {"Value": full["Description"]}},
        "groupSet": lambda: {"Groups": full["Groups"]},
        "sourceDestCheck": lambda: {"SourceDestCheck": {"Value": full["SourceDestCheck"]}},
        "attachment": lambda: {"Attachment": full["Attachment"]} if "Attachment" in full else {},
        "associatePublicIpAddress": lambda: {
            "AssociatePublicIpAddress": bool(record.get("auto_public_ip")) or "Association" in full
        },
    }
    answer = answers.get(str(attribute))
    if answer is None:
        raise invalid_parameter_value(f"Value ({attribute}) for parameter attribute is invalid.")
    return {"NetworkInterfaceId": record["network_interface_id"], **answer()}


# --- public addresses on the primary private address ------------------------------------------------


async def set_interface_association(
    ctx: RequestContext, eni_id: str, private_ip: str, association: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Map ``association`` (an Elastic IP) onto ``private_ip`` of the interface.

    Returns the association it displaced (another EIP, or an auto-assigned address, which the
    caller gives back). ``InvalidParameterValue`` if the address is not the interface's.
    """
    displaced: dict[str, Any] = {}

    def change(record: Record) -> Record:
        if private_ip not in private_ips(record):
            raise invalid_parameter_value(
                f"The specified private IP address {private_ip} is not assigned to network interface {eni_id}."
            )
        displaced.clear()
        displaced.update(association_of(record, private_ip) or {})
        if private_ip == record["private_ip_address"]:
            record["association"] = dict(association)
            record["public_ip_address"] = association["public_ip"]
            record["public_ip_pool"] = ipam.PUBLIC_POOL_KEY
        else:
            secondary = dict(record.get("secondary_associations") or {})
            secondary[private_ip] = dict(association)
            record["secondary_associations"] = secondary
        return record

    await records.mutate(ctx, ENI, eni_id, change)
    if displaced and displaced.get("association_id") == association.get("association_id"):
        return None
    return displaced or None


async def clear_interface_association(
    ctx: RequestContext, eni_id: str, association_id: str, *, restore_public: bool = True
) -> None:
    """Remove the Elastic IP association ``association_id`` from the interface (if still there).

    With ``restore_public`` an interface launched with a public IP gets a fresh auto-assigned
    one back on its primary address, as AWS does when an EIP is disassociated from an instance.
    """

    def change(record: Record) -> Record:
        primary = record.get("association") or {}
        if primary.get("association_id") == association_id:
            for field in ("association", "public_ip_address", "public_ip_pool"):
                record.pop(field, None)
        secondary = {
            ip: entry
            for ip, entry in (record.get("secondary_associations") or {}).items()
            if entry.get("association_id") != association_id
        }
        record["secondary_associations"] = secondary
        return record

    updated = await records.mutate(ctx, ENI, eni_id, change, missing_ok=True)
    if restore_public and updated is not None and updated.get("auto_public_ip"):
        await ensure_auto_public_ip(ctx, eni_id)


async def ensure_auto_public_ip(ctx: RequestContext, eni_id: str) -> None:
    """Give the primary address an auto-assigned public IP if it has no public address."""
    record = await records.find(ctx, ENI, eni_id)
    if record is None or primary_association(record) is not None:
        return
    address = await ipam.allocate_public_ip(
        ctx, {"type": ipam.PURPOSE_ENI_PUBLIC, "eni_id": eni_id}
    )
    kept: list[bool] = []

    def change(current: Record) -> Record:
        kept.clear()
        if primary_association(current) is not None:
            return current
        kept.append(True)
        return {
            **current,
            "public_ip_address": address,
            "public_ip_pool": ipam.PUBLIC_POOL_KEY,
            "association": {"public_ip": address, "ip_owner_id": AMAZON_OWNER},
        }

    try:
        await records.mutate(ctx, ENI, eni_id, change)
    finally:
        if not kept:
            await ipam.release_public_ip(ctx, address)


async def drop_auto_public_ip(ctx: RequestContext, eni_id: str, *, keep_flag: bool) -> None:
    """Give back the auto-assigned public IP of the primary address (an EIP stays)."""
    released: list[str] = []

    def change(record: Record) -> Record:
        released.clear()
        association = primary_association(record)
        if association is not None and not association.get("allocation_id"):
            released.append(str(association["public_ip"]))
            for field in ("association", "public_ip_address", "public_ip_pool"):
                record.pop(field, None)
        if not keep_flag:
            record["auto_public_ip"] = False
        return record

    await records.mutate(ctx, ENI, eni_id, change)
    for address in released:
        await ipam.release_public_ip(ctx, address)


async def set_auto_public_ip(ctx: RequestContext, eni_id: str, enabled: bool) -> None:
    """``AssociatePublicIpAddress``: assign (or give back) an auto-assigned public IP."""
    if enabled:
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "auto_public_ip": True})
        await ensure_auto_public_ip(ctx, eni_id)
    else:
        await drop_auto_public_ip(ctx, eni_id, keep_flag=False)


# --- attaching -----------------------------------------------------------------------------------


async def attach_to_instance(
    ctx: RequestContext,
    eni_id: str,
    instance_id: str,
    device_index: int,
    *,
    delete_on_termination: bool,
    network_card_index: int = 0,
) -> Record:
    """Attach the interface at ``device_index`` (status ``in-use``); returns the updated record.

    The instance record need not exist yet (``RunInstances`` attaches before it stores the
    instance). ``InvalidNetworkInterface.InUse`` when already attached,
    ``InvalidParameterValue`` when the slot is taken.
    """
    current = await records.get(ctx, ENI, eni_id)
    if current.get("attachment_id"):
        raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    fresh = await _claim_slot(ctx, instance_id, device_index, eni_id)
    attachment_id = new_id("network-interface-attachment")

    def attach(record: Record) -> Record:
        if record.get("attachment_id"):
            raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        record.pop("last_attachment", None)
        record.update(
            status="in-use",
            attachment_id=attachment_id,
            instance_id=instance_id,
            device_index=device_index,
            attach_time=clock.utc_now(),
            delete_on_termination=delete_on_termination,
            attachment_status="attached",
            network_card_index=network_card_index,
        )
        return record

    try:
        updated = await records.mutate(ctx, ENI, eni_id, attach)
    except BaseException:
        if fresh:
            await _release_slot(ctx, instance_id, device_index, eni_id)
        raise
    assert updated is not None
    await dependents.fire(ctx, "network-interface", "attached", updated)
    return updated


async def detach_interface(
    ctx: RequestContext, eni_id: str, attachment_id: str | None = None
) -> Record | None:
    """Detach the interface (if attached, and only from ``attachment_id`` when given).

    The last attachment is kept as ``last_attachment`` for the detach waiter. Returns the
    updated record, ``None`` when it was not attached.
    """
    previous: Record = {}

    def detach(record: Record) -> Record:
        previous.clear()
        current = record.get("attachment_id")
        if attachment_id is not None and current != attachment_id:
            raise attachment_not_found(attachment_id)
        if not current:
            return record
        previous.update(record)
        record["last_attachment"] = {
            "attachment_id": current,
            "instance_id": str(record.get("instance_id") or ""),
            "device_index": int(record.get("device_index") or 0),
            "attach_time": str(record.get("attach_time") or record["created_at"]),
            "detach_time": clock.utc_now(),
            "delete_on_termination": bool(record.get("delete_on_termination", False)),
            "network_card_index": int(record.get("network_card_index") or 0),
        }
        for field in (
            "attachment_id",
            "instance_id",
            "attach_time",
            "delete_on_termination",
            "attachment_status",
            "network_card_index",
        ):
            record.pop(field, None)
        record["status"] = "available"
        record["device_index"] = 0
        return record

    updated = await records.mutate(ctx, ENI, eni_id, detach)
    if not previous:
        return None
    await _release_slot(
        ctx, str(previous.get("instance_id")), int(previous.get("device_index") or 0), eni_id
    )
    assert updated is not None
    await dependents.fire(ctx, "network-interface", "detached", updated)
    return updated


@action("AttachNetworkInterface")
async def attach_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Attach an interface to an instance in the same availability zone."""
    eni_id = params["NetworkInterfaceId"]
    instance_id = params["InstanceId"]
    device_index = int(params["DeviceIndex"])
    card = int(params.get("NetworkCardIndex") or 0)
    if device_index < 0:
        raise invalid_parameter_value(
            f"Value ({device_index}) for parameter deviceIndex is invalid."
        )
    if card != 0:
        raise invalid_parameter_value(f"Network card index {card} is not supported; only 0 is.")
    record = await records.get(ctx, ENI, eni_id)
    instance = await records.get(ctx, INSTANCE, instance_id)
    state = _state_name(instance)
    if state not in ATTACHABLE_STATES:
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    if (
        instance.get("availability_zone")
        and instance["availability_zone"] != record["availability_zone"]
    ):
        raise invalid_parameter_combination(
            "You may not attach a network interface to an instance if they are not in the same availability zone"
        )
    if record.get("attachment_id"):
        raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    updated = await attach_to_instance(
        ctx, eni_id, instance_id, device_index, delete_on_termination=False, network_card_index=card
    )
    return {"AttachmentId": updated["attachment_id"], "NetworkCardIndex": card}


def _state_name(instance: Mapping[str, Any]) -> str:
    state = instance.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "")
    return str(state or "")


@action("DetachNetworkInterface")
async def detach_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Detach by attachment id; the primary interface (device 0) of a live instance stays."""
    attachment_id = params["AttachmentId"]
    record = next(iter(await records.where(ctx, ENI, attachment_id=attachment_id)), None)
    if record is None:
        raise attachment_not_found(attachment_id)
    if int(record.get("device_index") or 0) == 0:
        instance = await records.find(ctx, INSTANCE, str(record.get("instance_id")))
        if instance is not None and _state_name(instance) not in DETACHABLE_PRIMARY_STATES:
            raise AwsError(
                "OperationNotPermitted",
                "The network interface at device index 0 cannot be detached.",
            )
    await detach_interface(ctx, str(record["network_interface_id"]), attachment_id)
    return None


async def interfaces_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The interfaces attached to ``instance_id``, by device index."""
    found = [
        r for r in await records.where(ctx, ENI, instance_id=instance_id) if r.get("attachment_id")
    ]
    return sorted(found, key=lambda r: int(r.get("device_index") or 0))


async def release_instance_interfaces(ctx: RequestContext, instance_id: str) -> None:
    """On termination: delete the interfaces marked delete-on-termination (their EIPs are
    disassociated), detach the others (their EIPs stay with them), and give back every
    auto-assigned public IP (Elastic IP associations follow ``("instance", "terminated")``)."""
    for record in await interfaces_of_instance(ctx, instance_id):
        eni_id = str(record["network_interface_id"])
        if record.get("delete_on_termination"):
            await delete_interface(ctx, eni_id, force=True)
        else:
            await drop_auto_public_ip(ctx, eni_id, keep_flag=False)
            await detach_interface(ctx, eni_id)


# --- secondary private addresses -------------------------------------------------------------------


async def _reassign_from_others(
    ctx: RequestContext, record: Mapping[str, Any], addresses: Iterable[str]
) -> list[str]:
    """Move secondary ``addresses`` held by other interfaces of the subnet to this one.

    Returns the addresses moved; a primary address of another interface cannot move.
    """
    moved: list[str] = []
    wanted = set(addresses)
    for other in await records.list_records(ctx, ENI):
        if (
            other["network_interface_id"] == record["network_interface_id"]
            or other.get("subnet_id") != record["subnet_id"]
        ):
            continue
        if other.get("private_ip_address") in wanted:
            raise ipam.address_in_use(str(other["private_ip_address"]))
        taking = wanted & set(other.get("secondary_private_ip_addresses") or [])
        if not taking:
            continue

        def drop(current: Record, taking: set[str] = taking) -> Record:
            current["secondary_private_ip_addresses"] = [
                ip for ip in current.get("secondary_private_ip_addresses") or [] if ip not in taking
            ]
            return current

        await records.mutate(ctx, ENI, str(other["network_interface_id"]), drop)
        moved.extend(sorted(taking))
    return moved


@action("AssignPrivateIpAddresses")
async def assign_private_ip_addresses(ctx: RequestContext, params: Params) -> Result:
    """Add secondary private addresses: explicit ones or a count of automatic ones."""
    if params.get("Ipv4Prefixes") or params.get("Ipv4PrefixCount"):
        raise unsupported("IPv4 prefix delegation")
    eni_id = params["NetworkInterfaceId"]
    explicit = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    count = int(params.get("SecondaryPrivateIpAddressCount") or 0)
    if explicit and count:
        raise invalid_parameter_combination(
            "The parameters privateIpAddresses and secondaryPrivateIpAddressCount cannot be used together."
        )
    if not explicit and count <= 0:
        raise missing_parameter("PrivateIpAddresses or SecondaryPrivateIpAddressCount")
    record = await records.get(ctx, ENI, eni_id)
    if len(private_ips(record)) + len(explicit) + count > MAX_PRIVATE_IPS:
        raise _ip_limit(eni_id)
    subnet = await records.get(ctx, SUBNET, str(record["subnet_id"]))
    moved: list[str] = []
    to_allocate = explicit
    if explicit and params.get("AllowReassignment"):
        network = ipam.subnet_network(str(subnet["cidr_block"]))
        normalised = [ipam.check_private_address(network, ip) for ip in explicit]
        held = set(await ipam.allocated_addresses(ctx, str(subnet["subnet_id"])))
        mine = set(private_ips(record))
        moved = await _reassign_from_others(
            ctx, record, [ip for ip in normalised if ip in held and ip not in mine]
        )
        to_allocate = [ip for ip in normalised if ip not in moved]
    new = await ipam.allocate_private_ips(ctx, subnet, to_allocate, count)

    def add(current: Record) -> Record:
        if len(private_ips(current)) + len(new) + len(moved) > MAX_PRIVATE_IPS:
            raise _ip_limit(eni_id)
        current["secondary_private_ip_addresses"] = (
            list(current.get("secondary_private_ip_addresses") or []) + moved + new
        )
        return current

    try:
        await records.mutate(ctx, ENI, eni_id, add)
    except BaseException:
        await ipam.release_private_ips(ctx, str(subnet["subnet_id"]), new)
        raise
    return {
        "NetworkInterfaceId": eni_id,
        "AssignedPrivateIpAddresses": [{"PrivateIpAddress": ip} for ip in moved + new],
    }


@action("UnassignPrivateIpAddresses")
async def unassign_private_ip_addresses(ctx: RequestContext, params: Params) -> Result:
    """Remove secondary private addresses (never the primary); their EIPs are disassociated."""
    if params.get("Ipv4Prefixes"):
        raise unsupported("IPv4 prefix delegation")
    eni_id = params["NetworkInterfaceId"]
    wanted = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    if not wanted:
        raise missing_parameter("PrivateIpAddresses")
    removed: Record = {}

    def drop(record: Record) -> Record:
        if record["private_ip_address"] in wanted:
            raise invalid_parameter_value(
                f"The primary private IP address {record['private_ip_address']} of network interface "
                f"{eni_id} cannot be unassigned."
            )
        secondaries = list(record.get("secondary_private_ip_addresses") or [])
        missing = [ip for ip in wanted if ip not in secondaries]
        if missing:
            raise invalid_parameter_value(
                f"Some of the specified addresses are not assigned to interface {eni_id}: {', '.join(missing)}"
            )
        associations = dict(record.get("secondary_associations") or {})
        removed.clear()
        removed.update({ip: associations.pop(ip, None) for ip in wanted})
        record["secondary_private_ip_addresses"] = [ip for ip in secondaries if ip not in wanted]
        record["secondary_associations"] = associations
        return record

    updated = await records.mutate(ctx, ENI, eni_id, drop)
    assert updated is not None
    await ipam.release_private_ips(ctx, str(updated["subnet_id"]), wanted)
    await dependents.fire(
        ctx, "network-interface", "ips-unassigned", {**updated, UNASSIGNED: list(removed)}
    )
    return None
