"""A peering connection in API form (``VpcPeeringConnection``) and its filters.

``RequesterVpcInfo``/``AccepterVpcInfo`` carry the owner, VPC, region, primary ``CidrBlock``,
``CidrBlockSet``/``Ipv6CidrBlockSet`` and ``PeeringOptions`` (Terraform reads the options of
both sides and the ``Status.Code``); ``ExpirationTime`` only while the request is pending.
Tags are the caller's own (each side of a cross-account connection tags it separately).
"""

from __future__ import annotations

from typing import Any, Final

from handlers.vpc_peering import lifecycle
from handlers.vpc_peering.store import Connection
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags

OPTION_MEMBERS: Final = (
    "AllowDnsResolutionFromRemoteVpc",
    "AllowEgressFromLocalClassicLinkToRemoteVpc",
    "AllowEgressFromLocalVpcToRemoteClassicLink",
)
"""``PeeringOptions`` members stored (as booleans, under these names)."""


def options_to_api(side: Record) -> Record:
    """A side's ``PeeringOptions`` (every option, default ``false``)."""
    stored = side.get("options") or {}
    return {member: bool(stored.get(member, False)) for member in OPTION_MEMBERS}


def side_to_api(side: Record, *, with_options: bool) -> Record:
    """One ``VpcPeeringConnectionVpcInfo``."""
    cidrs = list(side.get("cidr_blocks") or [])
    out: Record = {
        "OwnerId": side["owner_id"],
        "VpcId": side["vpc_id"],
        "Region": side.get("region"),
    }
    if cidrs:
        out["CidrBlock"] = cidrs[0]
        out["CidrBlockSet"] = [{"CidrBlock": c} for c in cidrs]
    ipv6 = list(side.get("ipv6_cidr_blocks") or [])
    if ipv6:
        out["Ipv6CidrBlockSet"] = [{"Ipv6CidrBlock": c} for c in ipv6]
    if with_options:
        out["PeeringOptions"] = options_to_api(side)
    return out


def connection_to_api(ctx: RequestContext, connection: Connection) -> Record:
    """A connection as ``VpcPeeringConnection``, seen by the caller."""
    record = connection.record
    state = lifecycle.shown(record, clock.now())
    active = state in (lifecycle.ACTIVE, lifecycle.PROVISIONING)
    out: Record = {
        "VpcPeeringConnectionId": record["vpc_peering_connection_id"],
        "RequesterVpcInfo": side_to_api(record["requester"], with_options=True),
        "AccepterVpcInfo": side_to_api(record["accepter"], with_options=active),
        "Status": {"Code": state, "Message": lifecycle.status_message(record, state)},
        "Tags": api_tags(record_tags(connection.local)),
    }
    if state == lifecycle.PENDING and record.get("expiration_time"):
        out["ExpirationTime"] = clock.parse_time(record["expiration_time"])
    return out


def _info(side: str, member: str) -> Any:
    return lambda c: c[side].get(member)


def _cidrs(side: str) -> Any:
    return lambda c: [b["CidrBlock"] for b in c[side].get("CidrBlockSet", [])]


PEERING_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "accepter-vpc-info.cidr-block": _cidrs("AccepterVpcInfo"),
        "accepter-vpc-info.owner-id": _info("AccepterVpcInfo", "OwnerId"),
        "accepter-vpc-info.vpc-id": _info("AccepterVpcInfo", "VpcId"),
        "expiration-time": lambda c: clock.filter_time(c.get("ExpirationTime")),
        "requester-vpc-info.cidr-block": _cidrs("RequesterVpcInfo"),
        "requester-vpc-info.owner-id": _info("RequesterVpcInfo", "OwnerId"),
        "requester-vpc-info.vpc-id": _info("RequesterVpcInfo", "VpcId"),
        "status-code": lambda c: c["Status"]["Code"],
        "status-message": lambda c: c["Status"]["Message"],
        "vpc-peering-connection-id": lambda c: c["VpcPeeringConnectionId"],
    },
    tags=lambda c: {t["Key"]: t["Value"] for t in c.get("Tags", [])},
    # The caller's record (a connection or a cross-account link) carries both VPC ids.
    indexes={
        "accepter-vpc-info.vpc-id": "accepter_vpc_id",
        "requester-vpc-info.vpc-id": "requester_vpc_id",
        "vpc-peering-connection-id": "vpc_peering_connection_id",
    },
)
