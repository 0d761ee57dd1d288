"""How VPC endpoints look through the API: states on the one clock, the ``VpcEndpoint`` shape,
DNS entries, filters, and when a deleted endpoint is gone.

A record stores ``state`` (``available``) and, after a create or modify, ``pending_until``: the
API says ``pending`` until then, which is what the provider's waiter polls
(``pending → available``). ``DeleteVpcEndpoints`` sets ``deleted_at``: ``deleting`` until
``pending_until``, then ``deleted`` (still describable, holding nothing: the provider's finder
calls it gone) until ``gone_at``, then unknown (``InvalidVpcEndpointId.NotFound``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Final

from handlers.vpc_endpoints.services import INTERFACE, find
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record, live
from hive_gateway.core.tagging import api_tags, record_tags

DEFAULT_POLICY: Final = json.dumps(
    {
        "Version": "2008-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    },
    indent=2,
)
"""The full-access policy AWS gives an endpoint created without ``PolicyDocument``."""

REGIONAL_ZONE_ID: Final = "Z2LIHJ7PKBEMWN"
"""Hosted zone id of the endpoint-specific (``*.vpce.amazonaws.com``) names (a stand-in)."""
PRIVATE_ZONE_ID: Final = "Z0HIVEPRIVATEDNS00001"
"""Hosted zone id of the private DNS name inside the VPC (a stand-in)."""


def api_state(record: Record, at: datetime | None = None) -> str | None:
    """``pending``/``available``/``deleting``/``deleted``; ``None`` once a deleted endpoint is
    gone."""
    at = at or clock.now()
    settled = clock.reached(record.get("pending_until"), at)
    if record.get("deleted_at"):
        if not settled:
            return "deleting"
        return None if clock.reached(record.get("gone_at"), at) else "deleted"
    return str(record["state"]) if settled else "pending"


def holds(record: Record) -> bool:
    """Whether the endpoint still holds its VPC, subnets and groups (not ``deleted``)."""
    return api_state(record) not in (None, "deleted")


@live("vpc-endpoint")
def _endpoint_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deleted endpoint shows ``deleting`` for a moment, then is unknown."""
    return api_state(record, at) is not None


def dns_entries(ctx: RequestContext, record: Record, zone_names: list[str]) -> list[Record]:
    """An interface endpoint's DNS names: regional, one per zone of its subnets, then the
    service's private name when private DNS is on. Gateway endpoints have none."""
    if record["vpc_endpoint_type"] != INTERFACE:
        return []
    found = find(ctx.region, str(record["service_name"]), INTERFACE)
    if not found:
        return []
    service = found[0]
    suffix = hashlib.sha256(str(record["vpc_endpoint_id"]).encode()).hexdigest()[:8]
    base = f"{record['vpc_endpoint_id']}-{suffix}"
    entries = [{"DnsName": f"{base}.{service.base_dns_name}", "HostedZoneId": REGIONAL_ZONE_ID}]
    entries += [
        {"DnsName": f"{base}-{zone}.{service.base_dns_name}", "HostedZoneId": REGIONAL_ZONE_ID}
        for zone in sorted(set(zone_names))
    ]
    if record.get("private_dns_enabled") and service.private_dns_name:
        entries.append({"DnsName": service.private_dns_name, "HostedZoneId": PRIVATE_ZONE_ID})
    return entries


def endpoint_to_api(
    ctx: RequestContext,
    record: Record,
    *,
    live_route_tables: set[str] | None = None,
    group_names: dict[str, str] | None = None,
    zone_names: list[str] | None = None,
) -> Record:
    """A record as a ``VpcEndpoint``.

    ``live_route_tables``: the caller's existing tables (a deleted table drops out of
    ``RouteTableIds``, as on AWS); ``group_names``: names of the security groups;
    ``zone_names``: the zones of the endpoint's subnets (for per-zone DNS names).
    """
    tables = list(record.get("route_table_ids") or [])
    if live_route_tables is not None:
        tables = [t for t in tables if t in live_route_tables]
    names = group_names or {}
    out: Record = {
        "CreationTimestamp": clock.parse_time(str(record["created_at"])),
        "DnsEntries": dns_entries(ctx, record, zone_names or []),
        "Groups": [
            {"GroupId": g, "GroupName": names.get(g, "")} for g in record["security_group_ids"]
        ],
        "IpAddressType": str(record.get("ip_address_type") or "ipv4"),
        "NetworkInterfaceIds": list(record["network_interface_ids"]),
        "OwnerId": str(record.get("account_id") or ctx.account_id),
        "PolicyDocument": record["policy_document"],
        "PrivateDnsEnabled": bool(record["private_dns_enabled"]),
        "RequesterManaged": False,
        "RouteTableIds": tables,
        "ServiceName": record["service_name"],
        "ServiceRegion": ctx.region,
        "State": api_state(record) or "deleted",
        "SubnetIds": list(record["subnet_ids"]),
        "Tags": api_tags(record_tags(record)),
        "VpcEndpointId": record["vpc_endpoint_id"],
        "VpcEndpointType": record["vpc_endpoint_type"],
        "VpcId": record["vpc_id"],
    }
    if record["vpc_endpoint_type"] == INTERFACE:
        out["DnsOptions"] = {"DnsRecordIpType": str(record.get("dns_record_ip_type") or "ipv4")}
    return out


def _tags(item: Record) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


VPC_ENDPOINT_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "ip-address-type": lambda e: e["IpAddressType"],
        "service-name": lambda e: e["ServiceName"],
        "service-region": lambda e: e["ServiceRegion"],
        "vpc-endpoint-id": lambda e: e["VpcEndpointId"],
        "vpc-endpoint-state": lambda e: e["State"],
        "vpc-endpoint-type": lambda e: e["VpcEndpointType"],
        "vpc-id": lambda e: e["VpcId"],
    },
    tags=_tags,
    indexes={
        "service-name": "service_name",
        "vpc-endpoint-id": "vpc_endpoint_id",
        "vpc-endpoint-type": "vpc_endpoint_type",
        "vpc-id": "vpc_id",
    },
)
"""``DescribeVpcEndpoints`` filters."""

SERVICE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "owner": lambda s: s["Owner"],
        "service-name": lambda s: s["ServiceName"],
        "service-region": lambda s: s["ServiceRegion"],
        "service-type": lambda s: [t["ServiceType"] for t in s["ServiceType"]],
        "supported-ip-address-types": lambda s: s["SupportedIpAddressTypes"],
    },
    tags=_tags,
)
"""``DescribeVpcEndpointServices`` filters."""

CONNECTION_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "ip-address-type": lambda c: c.get("IpAddressType"),
        "service-id": lambda c: c.get("ServiceId"),
        "vpc-endpoint-owner": lambda c: c.get("VpcEndpointOwner"),
        "vpc-endpoint-id": lambda c: c.get("VpcEndpointId"),
        "vpc-endpoint-state": lambda c: c.get("VpcEndpointState"),
        "vpc-endpoint-region": lambda c: c.get("VpcEndpointRegion"),
    },
)
"""``DescribeVpcEndpointConnections`` filters."""
