"""``CreateNetworkAclEntry``, ``ReplaceNetworkAclEntry`` and ``DeleteNetworkAclEntry``."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from handlers.network_acls.constants import (
    ACL,
    ICMP_PROTOCOLS,
    MAX_RULE,
    MIN_RULE,
    PORT_PROTOCOLS,
    PROTOCOL_NUMBERS,
)
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- entries ----------------------------------------------------------------------------------------


def _rule_number(params: Mapping[str, Any]) -> int:
    number = int(params["RuleNumber"])
    if not MIN_RULE <= number <= MAX_RULE:
        raise invalid_parameter_value(
            f"Value ({number}) for parameter ruleNumber is invalid. "
            f"Rulenumber must be in range {MIN_RULE}..{MAX_RULE}"
        )
    return number


def _protocol(text: str) -> str:
    """``tcp``/``6`` → ``"6"``; ``-1``/``all`` → ``"-1"``; numbers 0–255 as they are."""
    value = text.strip().lower()
    if value in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[value]
    try:
        number = int(value)
    except ValueError:
        number = -2
    if number == -1 or 0 <= number <= 255:
        return str(number)
    raise invalid_parameter_value(
        f"Invalid value '{text}' for protocol. Valid values are -1, 0-255 or a protocol name."
    )


def _cidr(params: Mapping[str, Any]) -> tuple[str, str]:
    """(record field, normalised CIDR) from exactly one of ``CidrBlock`` / ``Ipv6CidrBlock``."""
    v4, v6 = params.get("CidrBlock"), params.get("Ipv6CidrBlock")
    if v4 and v6:
        raise invalid_parameter_combination(
            "Only one of cidrBlock or ipv6CidrBlock may be specified"
        )
    if not v4 and not v6:
        raise missing_parameter("cidrBlock or ipv6CidrBlock")
    name, text, version = ("cidrBlock", v4, 4) if v4 else ("ipv6CidrBlock", v6, 6)
    try:
        network = ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        network = None
    if network is None or network.version != version or "/" not in str(text):
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {name} is invalid. This is not a valid CIDR block."
        )
    return ("cidr_block" if version == 4 else "ipv6_cidr_block"), str(network)


def _entry_from_params(params: Mapping[str, Any]) -> Record:
    """A validated entry record from Create/ReplaceNetworkAclEntry parameters."""
    number = _rule_number(params)
    protocol = _protocol(str(params["Protocol"]))
    field, cidr = _cidr(params)
    entry: Record = {
        "rule_number": number,
        "protocol": protocol,
        "rule_action": params["RuleAction"],
        "egress": bool(params["Egress"]),
        field: cidr,
    }
    if protocol in PORT_PROTOCOLS:
        ports = params.get("PortRange")
        if not ports or ports.get("From") is None or ports.get("To") is None:
            raise missing_parameter("portRange")
        low, high = int(ports["From"]), int(ports["To"])
        for name, value in (("from", low), ("to", high)):
            if not 0 <= value <= 65535:
                raise invalid_parameter_value(
                    f"Value ({value}) for parameter portRange.{name} is invalid. "
                    "Ports must be in range 0..65535"
                )
        if low > high:
            raise invalid_parameter_value(
                f"Invalid port range: from port {low} is greater than to port {high}"
            )
        entry["port_range"] = {"from": low, "to": high}
    elif protocol in ICMP_PROTOCOLS:
        icmp = params.get("IcmpTypeCode")
        if not icmp or icmp.get("Type") is None or icmp.get("Code") is None:
            raise missing_parameter("icmpTypeCode")
        entry["icmp_type_code"] = {"type": int(icmp["Type"]), "code": int(icmp["Code"])}
    return entry


def _direction(egress: bool) -> str:
    return "egress" if egress else "ingress"


def _entry_not_found(number: int, egress: bool) -> AwsError:
    return AwsError(
        "InvalidNetworkAclEntry.NotFound", f"no {_direction(egress)} entry with number {number}"
    )


def _same_rule(entry: Mapping[str, Any], number: int, egress: bool) -> bool:
    return int(entry.get("rule_number", 0)) == number and bool(entry.get("egress")) == egress


@action("CreateNetworkAclEntry")
async def create_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Add a rule; a rule with the same number in the same direction is refused."""
    entry = _entry_from_params(params)
    number, egress = entry["rule_number"], entry["egress"]

    def add(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        if any(_same_rule(e, number, egress) for e in entries):
            raise AwsError(
                "NetworkAclEntryAlreadyExists",
                f"The network acl entry identified by {number} already exists.",
            )
        return {**record, "entries": [*entries, entry]}

    await records.mutate(ctx, ACL, params["NetworkAclId"], add)
    return None


@action("ReplaceNetworkAclEntry")
async def replace_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Overwrite an existing rule (same number and direction)."""
    entry = _entry_from_params(params)
    number, egress = entry["rule_number"], entry["egress"]

    def replace(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        if not any(_same_rule(e, number, egress) for e in entries):
            raise _entry_not_found(number, egress)
        return {
            **record,
            "entries": [entry if _same_rule(e, number, egress) else e for e in entries],
        }

    await records.mutate(ctx, ACL, params["NetworkAclId"], replace)
    return None


@action("DeleteNetworkAclEntry")
async def delete_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Remove a rule (the default deny rules are out of the 1–32766 range, so they stay)."""
    number = _rule_number(params)
    egress = bool(params["Egress"])

    def remove(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        kept = [e for e in entries if not _same_rule(e, number, egress)]
        if len(kept) == len(entries):
            raise _entry_not_found(number, egress)
        return {**record, "entries": kept}

    await records.mutate(ctx, ACL, params["NetworkAclId"], remove)
    return None
