"""``DescribeNetworkInterfaces`` and its filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.network_interfaces.common import ENI
from handlers.network_interfaces.views import interface_to_api
from hive_gateway.core import describe
from hive_gateway.core.clock import format_timestamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

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
