"""The API shape of an Elastic IP, its filters and ``DescribeAddresses``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.addresses.common import DEFAULT_PUBLIC_IPV4_POOL, EIP
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags

# --- rendering -----------------------------------------------------------------------------------


def address_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """An EIP record in the ``Address`` shape."""
    out: Record = {
        "AllocationId": record["allocation_id"],
        "PublicIp": record["public_ip"],
        "Domain": str(record.get("domain") or "vpc"),
        "PublicIpv4Pool": str(record.get("public_ipv4_pool") or DEFAULT_PUBLIC_IPV4_POOL),
        "NetworkBorderGroup": str(
            record.get("network_border_group") or ctx.runtime.settings.region
        ),
        "Tags": api_tags(record_tags(record)),
    }
    if record.get("association_id"):
        out["AssociationId"] = record["association_id"]
        if record.get("eni_id"):
            out["NetworkInterfaceId"] = record["eni_id"]
            out["NetworkInterfaceOwnerId"] = str(
                record.get("network_interface_owner_id")
                or record.get("account_id")
                or ctx.account_id
            )
        if record.get("private_ip"):
            out["PrivateIpAddress"] = record["private_ip"]
        if record.get("instance_id"):
            out["InstanceId"] = record["instance_id"]
        if record.get("subnet_id"):
            out["SubnetId"] = record["subnet_id"]
    return out


ADDRESS_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "allocation-id": lambda a: a["AllocationId"],
        "association-id": lambda a: a.get("AssociationId"),
        "domain": lambda a: a["Domain"],
        "instance-id": lambda a: a.get("InstanceId"),
        "network-border-group": lambda a: a["NetworkBorderGroup"],
        "network-interface-id": lambda a: a.get("NetworkInterfaceId"),
        "network-interface-owner-id": lambda a: a.get("NetworkInterfaceOwnerId"),
        "private-ip-address": lambda a: a.get("PrivateIpAddress"),
        "public-ip": lambda a: a["PublicIp"],
    },
    tags=lambda a: {t["Key"]: t["Value"] for t in a["Tags"]},
    aliases={"allocationId": "allocation-id", "publicIp": "public-ip", "instanceId": "instance-id"},
    # An address shows these members only when associated: an index match is a superset.
    indexes={
        "allocation-id": "allocation_id",
        "association-id": "association_id",
        "instance-id": "instance_id",
        "network-interface-id": "eni_id",
        "private-ip-address": "private_ip",
        "public-ip": "public_ip",
    },
)
# Also what the association and reaction lookups select by (``records.where``).
records.indexed(EIP, *ADDRESS_FILTERS.indexes.values())


@action("DescribeAddresses")
async def describe_addresses(ctx: RequestContext, params: Params) -> Result:
    """The caller's Elastic IPs by allocation id, public IP and filters (one page, as AWS)."""
    allocation_ids = [str(i) for i in params.get("AllocationIds") or []]
    public_ips = [str(ip) for ip in params.get("PublicIps") or []]
    selecting: Mapping[str, Any] = params
    if public_ips:  # only addresses with one of them can answer
        filters = [*(params.get("Filters") or ()), {"Name": "public-ip", "Values": public_ips}]
        selecting = {**params, "Filters": filters}
    stored = await describe.stored_records(
        ctx, EIP, selecting, allocation_ids, ADDRESS_FILTERS, live_only=False
    )
    items = [address_to_api(ctx, record) for record in stored]
    items = describe.select_wanted(
        items,
        list(params.get("AllocationIds") or []),
        "AllocationId",
        lambda absent: describe.not_found_error(EIP, absent),
    )
    items = describe.select_wanted(
        items,
        list(params.get("PublicIps") or []),
        "PublicIp",
        lambda absent: AwsError("InvalidAddress.NotFound", f"Address '{absent[0]}' not found."),
    )
    items = apply_filters(ADDRESS_FILTERS, params.get("Filters"), items)
    return {"Addresses": sorted(items, key=lambda item: str(item["AllocationId"]))}
