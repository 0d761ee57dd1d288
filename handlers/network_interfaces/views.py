"""The API shapes of an interface, standalone and as part of an instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.network_interfaces.common import AMAZON_OWNER
from handlers.network_interfaces.record_fields import (
    association_of,
    primary_association,
    private_ips,
)
from hive_gateway.core import clock, ipam, zones
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags


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
