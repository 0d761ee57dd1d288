"""The API shape of a network ACL, its filters and ``DescribeNetworkAcls``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.network_acls.constants import ACL, PROTOCOL_NAMES
from hive_gateway.core import describe
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags


def _entry_sort_key(entry: Mapping[str, Any]) -> tuple[bool, int]:
    """AWS lists egress entries first, each direction by rule number."""
    return (not entry.get("egress"), int(entry.get("rule_number", 0)))


def entry_to_api(entry: Mapping[str, Any]) -> Record:
    """One stored entry in API form."""
    out: Record = {
        "Egress": bool(entry.get("egress")),
        "Protocol": str(entry.get("protocol", "-1")),
        "RuleAction": entry.get("rule_action", "deny"),
        "RuleNumber": int(entry.get("rule_number", 0)),
    }
    if entry.get("cidr_block"):
        out["CidrBlock"] = entry["cidr_block"]
    if entry.get("ipv6_cidr_block"):
        out["Ipv6CidrBlock"] = entry["ipv6_cidr_block"]
    icmp = entry.get("icmp_type_code")
    if icmp is not None:
        out["IcmpTypeCode"] = {"Code": icmp.get("code", -1), "Type": icmp.get("type", -1)}
    ports = entry.get("port_range")
    if ports is not None:
        out["PortRange"] = {"From": ports.get("from", 0), "To": ports.get("to", 0)}
    return out


def network_acl_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """A stored ACL in API form (``NetworkAcl`` shape)."""
    acl_id = record["network_acl_id"]
    return {
        "Associations": [
            {
                "NetworkAclAssociationId": assoc["network_acl_association_id"],
                "NetworkAclId": acl_id,
                "SubnetId": assoc["subnet_id"],
            }
            for assoc in record.get("associations") or ()
        ],
        "Entries": [
            entry_to_api(e) for e in sorted(record.get("entries") or (), key=_entry_sort_key)
        ],
        "IsDefault": bool(record.get("is_default")),
        "NetworkAclId": acl_id,
        "Tags": api_tags(record_tags(record)),
        "VpcId": record["vpc_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
    }


def _entries(item: Mapping[str, Any], *path: str) -> list[Any]:
    """One value per entry of an API-form ACL, following ``path`` (missing → skipped)."""
    values: list[Any] = []
    for entry in item["Entries"]:
        value: Any = entry
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            values.append(value)
    return values


def _protocol_values(item: Mapping[str, Any]) -> list[str]:
    """``entry.protocol`` matches the number and, for named protocols, the name."""
    values: list[str] = []
    for protocol in _entries(item, "Protocol"):
        values.append(protocol)
        if protocol in PROTOCOL_NAMES:
            values.append(PROTOCOL_NAMES[protocol])
    return values


NETWORK_ACL_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "association.association-id": lambda a: [
            x["NetworkAclAssociationId"] for x in a["Associations"]
        ],
        "association.network-acl-id": lambda a: [x["NetworkAclId"] for x in a["Associations"]],
        "association.subnet-id": lambda a: [x["SubnetId"] for x in a["Associations"]],
        "default": lambda a: a["IsDefault"],
        "entry.cidr": lambda a: _entries(a, "CidrBlock"),
        "entry.egress": lambda a: _entries(a, "Egress"),
        "entry.icmp.code": lambda a: _entries(a, "IcmpTypeCode", "Code"),
        "entry.icmp.type": lambda a: _entries(a, "IcmpTypeCode", "Type"),
        "entry.ipv6-cidr": lambda a: _entries(a, "Ipv6CidrBlock"),
        "entry.port-range.from": lambda a: _entries(a, "PortRange", "From"),
        "entry.port-range.to": lambda a: _entries(a, "PortRange", "To"),
        "entry.protocol": _protocol_values,
        "entry.rule-action": lambda a: _entries(a, "RuleAction"),
        "entry.rule-number": lambda a: _entries(a, "RuleNumber"),
        "network-acl-id": lambda a: a["NetworkAclId"],
        "owner-id": lambda a: a["OwnerId"],
        "vpc-id": lambda a: a["VpcId"],
    },
    tags=lambda a: {t["Key"]: t["Value"] for t in a.get("Tags", [])},
    indexes={
        "vpc-id": "vpc_id",
        "network-acl-id": "network_acl_id",
        "association.association-id": "associations.network_acl_association_id",
        "association.subnet-id": "associations.subnet_id",
    },
)


@action("DescribeNetworkAcls")
async def describe_network_acls(ctx: RequestContext, params: Params) -> Result:
    """ACLs by id, filters (every documented one) and page."""
    return await describe.describe(
        ctx,
        ACL,
        params,
        ids_param="NetworkAclIds",
        result_key="NetworkAcls",
        spec=NETWORK_ACL_FILTERS,
        to_api=network_acl_to_api,
    )
