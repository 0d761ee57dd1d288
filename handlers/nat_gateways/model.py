"""A NAT gateway record: its lazy states, its API view, its filters, and what it holds on to.

States are derived on every read from the times the record stores (one clock, see
:mod:`hive_gateway.core.clock`)::

    pending ──nat_gateway_pending──▶ available ──DeleteNatGateway──▶ deleting
        ──nat_gateway_deleting──▶ deleted ──nat_gateway_retention──▶ (purged)

A record Hive wrote (``state`` only, no times) shows as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from hive_gateway.core import clock, dependents
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.tagging import api_tags, record_tags

NAT: Final = KINDS["nat-gateway"]
SUBNET: Final = KINDS["subnet"]
VPC: Final = KINDS["vpc"]
EIP: Final = KINDS["elastic-ip"]
ENI: Final = KINDS["network-interface"]

PUBLIC: Final = "public"
PRIVATE: Final = "private"
CONNECTIVITY_TYPES: Final = (PUBLIC, PRIVATE)

PENDING: Final = "pending"
AVAILABLE: Final = "available"
DELETING: Final = "deleting"
DELETED: Final = "deleted"
FAILED: Final = "failed"

SUCCEEDED: Final = "succeeded"
"""``NatGatewayAddress.Status`` of an address in place (the provider's waiters' target)."""

MAX_ADDRESSES: Final = 8
"""AWS's default quota of IP addresses per NAT gateway (primary included)."""
INTERFACE_TYPE: Final = "nat_gateway"


# --- states ----------------------------------------------------------------------------------


def state_at(record: Mapping[str, Any], now: datetime) -> str:
    """The state ``record`` shows at ``now``."""
    stored = str(record.get("state") or AVAILABLE)
    if stored == PENDING:
        return AVAILABLE if clock.reached(record.get("available_at"), now) else PENDING
    if stored == DELETING:
        return DELETED if clock.reached(record.get("deleted_at"), now) else DELETING
    return stored


def purged(record: Mapping[str, Any], now: datetime) -> bool:
    """Whether a deleted (or failed) gateway is past its retention and no longer describable."""
    return bool(record.get("purge_at")) and clock.reached(record.get("purge_at"), now)


def retention(ctx: RequestContext) -> timedelta:
    """How long a deleted gateway stays describable."""
    return clock.seconds(ctx, "nat-gateway-retention")


@live("nat-gateway")
def _nat_gateway_live(ctx: RequestContext, record: Record, now: datetime) -> bool:
    """A deleted gateway is gone for every call but DescribeNatGateways."""
    return state_at(record, now) != DELETED and not purged(record, now)


def holds_resources(record: Mapping[str, Any]) -> bool:
    """A gateway that has its interface and addresses (not a failed one)."""
    return state_at(record, clock.now()) != FAILED


def check_id(nat_gateway_id: str) -> None:
    """``NatGatewayMalformed`` for an id that cannot be a NAT gateway's."""
    rest = nat_gateway_id[4:] if nat_gateway_id.startswith("nat-") else ""
    if not rest or any(c not in "0123456789abcdef" for c in rest) or len(rest) not in (8, 17):
        raise AwsError("NatGatewayMalformed", f"The natGateway ID '{nat_gateway_id}' is malformed")


# --- what a gateway holds on to (core.dependents) ------------------------------------------------

# Its subnet and VPC cannot be deleted while it is live (pending, available or deleting);
# CreateNatGateway re-checks both after writing. A public gateway maps public addresses in its
# VPC, so the VPC's internet gateway cannot be detached; its Elastic IPs' association is the
# service's, so they cannot be released, re-associated or disassociated. Routes to a deleted
# gateway turn blackhole (declared in route_tables from its TARGETS).
dependents.blocks("vpc", by="nat-gateway", field="vpc_id", unless=lambda r: not holds_resources(r))
dependents.blocks(
    "subnet", by="nat-gateway", field="subnet_id", unless=lambda r: not holds_resources(r)
)
dependents.blocks(
    "internet-gateway",
    by="nat-gateway",
    event="detach",
    where=lambda nat, igw: (
        bool(igw.get("vpc_id"))
        and nat.get("vpc_id") == igw["vpc_id"]
        and (nat.get("connectivity_type") or PUBLIC) == PUBLIC
        and holds_resources(nat)
    ),
    via=("vpc_id", "vpc_id"),
)
dependents.blocks(
    "elastic-ip",
    by="nat-gateway",
    event="association-change",
    where=lambda nat, eip: holds_resources(nat) and eip.get("allocation_id") in allocation_ids(nat),
)


def allocation_ids(record: Mapping[str, Any]) -> list[str]:
    """Every Elastic IP the gateway holds (primary first)."""
    return [str(a["allocation_id"]) for a in addresses(record) if a.get("allocation_id")]


def addresses(record: Mapping[str, Any]) -> list[Record]:
    """The gateway's addresses (primary first); a Hive record has only its primary EIP."""
    stored = record.get("addresses")
    if isinstance(stored, list) and stored:
        return [dict(a) for a in stored]
    if record.get("allocation_id") or record.get("private_ip"):
        return [
            {
                "allocation_id": record.get("allocation_id"),
                "public_ip": record.get("public_ip"),
                "private_ip": record.get("private_ip"),
                "association_id": record.get("association_id"),
                "is_primary": True,
                "status": SUCCEEDED,
            }
        ]
    return []


# --- the API view --------------------------------------------------------------------------------


def address_to_api(record: Mapping[str, Any], address: Mapping[str, Any]) -> Record:
    """One ``NatGatewayAddress``."""
    out: Record = {
        "IsPrimary": bool(address.get("is_primary")),
        "Status": str(address.get("status") or SUCCEEDED),
    }
    if record.get("network_interface_id"):
        out["NetworkInterfaceId"] = record["network_interface_id"]
    for field, member in (
        ("allocation_id", "AllocationId"),
        ("public_ip", "PublicIp"),
        ("private_ip", "PrivateIp"),
        ("association_id", "AssociationId"),
    ):
        if address.get(field):
            out[member] = address[field]
    return out


def nat_gateway_to_api(
    ctx: RequestContext, record: Mapping[str, Any], now: datetime | None = None
) -> Record:
    """A NAT gateway record as a ``NatGateway``."""
    now = now or clock.now()
    state = state_at(record, now)
    out: Record = {
        "CreateTime": clock.parse_time(str(record.get("created_at") or clock.utc_now())),
        "NatGatewayAddresses": [address_to_api(record, a) for a in addresses(record)],
        "NatGatewayId": record["nat_gateway_id"],
        "State": state,
        "SubnetId": record["subnet_id"],
        "VpcId": record["vpc_id"],
        "Tags": api_tags(record_tags(record)),
        "ConnectivityType": str(record.get("connectivity_type") or PUBLIC),
    }
    if state in (DELETING, DELETED) and record.get("delete_time"):
        out["DeleteTime"] = clock.parse_time(str(record["delete_time"]))
    if state == FAILED:
        out["FailureCode"] = str(record.get("failure_code") or "InternalError")
        out["FailureMessage"] = str(record.get("failure_message") or "")
        out["NatGatewayAddresses"] = []
    elif state in (DELETING, DELETED):
        out["NatGatewayAddresses"] = [
            {**a, "Status": SUCCEEDED} for a in out["NatGatewayAddresses"] if a.get("IsPrimary")
        ]
    return out


def _tags(item: Record) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


NAT_GATEWAY_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "nat-gateway-id": lambda g: g["NatGatewayId"],
        "state": lambda g: g["State"],
        "subnet-id": lambda g: g["SubnetId"],
        "vpc-id": lambda g: g["VpcId"],
    },
    tags=_tags,
    # ``state`` is computed from the record's times, so it has no index.
    indexes={"nat-gateway-id": "nat_gateway_id", "subnet-id": "subnet_id", "vpc-id": "vpc_id"},
)
"""DescribeNatGateways' documented filters (plus ``tag:<key>``, ``tag-key``)."""
