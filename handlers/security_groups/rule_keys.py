"""One rule's protocol, ports and peer checked as AWS does, its identity key and its errors."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from typing import Any

from handlers.security_groups.constants import (
    _VALID_SET,
    _VALID_TEXT,
    MAX_TEXT,
    NO_PORTS,
    PORT_RANGE_PROTOCOLS,
    PROTOCOL_ALIASES,
    TYPE_CODE_PROTOCOLS,
    RuleKey,
)
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)


def normalise_protocol(value: object) -> str:
    """``6``/``TCP``/``tcp`` → ``tcp``, ``all`` → ``-1``, ``50`` → ``50``; else InvalidParameterValue."""
    text = str(value).strip().lower()
    named = PROTOCOL_ALIASES.get(text)
    if named is not None:
        return named
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise invalid_parameter_value(f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def has_ports(protocol: str) -> bool:
    """Whether rules of ``protocol`` (normalised) carry ports or ICMP type/code."""
    return protocol in PORT_RANGE_PROTOCOLS or protocol in TYPE_CODE_PROTOCOLS


def _ports(protocol: str, from_port: object, to_port: object) -> tuple[int, int]:
    """The stored ports of a rule; ``-1``/``-1`` for protocols whose ports AWS ignores."""
    if protocol in PORT_RANGE_PROTOCOLS:
        if from_port is None or to_port is None:
            raise invalid_parameter_value(
                "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
            )
        start, end = int(str(from_port)), int(str(to_port))
        for port in (start, end):
            if not 0 <= port <= 65535:
                raise invalid_parameter_value(
                    f"Invalid value '{port}' for portRange. Ports must be between 0 and 65535."
                )
        if start > end:
            raise invalid_parameter_value(
                f"Invalid TCP/UDP port range: from port {start} is greater than to port {end}."
            )
        return start, end
    if protocol in TYPE_CODE_PROTOCOLS:
        icmp_type = NO_PORTS if from_port is None else int(str(from_port))
        icmp_code = NO_PORTS if to_port is None else int(str(to_port))
        for what, number in (("type", icmp_type), ("code", icmp_code)):
            if not -1 <= number <= 255:
                raise invalid_parameter_value(
                    f"Invalid value '{number}' for ICMP {what}. Must be between -1 and 255."
                )
        if icmp_type == NO_PORTS and icmp_code != NO_PORTS:
            raise invalid_parameter_value(
                f"Invalid ICMP code {icmp_code}: the code must be -1 when all ICMP types (-1) are allowed."
            )
        return icmp_type, icmp_code
    return NO_PORTS, NO_PORTS


# --- peers -------------------------------------------------------------------------------------


def _cidr(text: object, version: int, member: str) -> str:
    """A CIDR in canonical text; bad syntax or host bits set are InvalidParameterValue, as on AWS.

    ``CidrIp=10.0.0.5/16`` → ``CIDR block 10.0.0.5/16 is malformed``.
    """
    value = str(text).strip()
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise invalid_parameter_value(
            f"Value ({value}) for parameter {member} is invalid. This is not a valid CIDR block."
        ) from None
    if network.version != version or "/" not in value:
        raise invalid_parameter_value(
            f"Value ({value}) for parameter {member} is invalid. This is not a valid CIDR block."
        )
    if network.network_address != ipaddress.ip_interface(value).ip:
        raise invalid_parameter_value(f"CIDR block {value} is malformed")
    return str(network)


def _check_text(value: str, what: str, *, allow_empty: bool = True) -> str:
    """AWS's length and character rules for VPC group names and (group or rule) descriptions."""
    if (not value and not allow_empty) or len(value) > MAX_TEXT or not _VALID_TEXT.fullmatch(value):
        raise invalid_parameter_value(
            f"Invalid {what}. Valid {what.split()[-1]}s are strings less than 256 characters "
            f"from the following set:  {_VALID_SET}"
        )
    return value


def _peer(rule: Mapping[str, Any]) -> tuple[str, str]:
    """``(kind, value)`` of a stored rule's peer, canonical for comparison."""
    if rule.get("cidr_ip"):
        return "cidr", str(ipaddress.ip_network(str(rule["cidr_ip"]), strict=False))
    if rule.get("cidr_ipv6"):
        return "cidr6", str(ipaddress.ip_network(str(rule["cidr_ipv6"]), strict=False))
    if rule.get("prefix_list_id"):
        return "prefix-list", str(rule["prefix_list_id"])
    if rule.get("source_sg"):
        return "group", str(rule["source_sg"])
    return "none", ""


def rule_key(rule: Mapping[str, Any]) -> RuleKey:
    """The identity of a stored rule: protocol name, ports (ignored when the protocol has none), peer.

    Hive's records and ours compare equal: ``{"ip_protocol": "-1", "from_port": 0, ...}`` and
    ``{"ip_protocol": "all", "from_port": -1, ...}`` are one rule; ``"6"`` is ``"tcp"``.
    """
    protocol = normalise_protocol(rule.get("ip_protocol", "-1"))
    if has_ports(protocol):
        ports = int(rule.get("from_port", NO_PORTS)), int(rule.get("to_port", NO_PORTS))
    else:
        ports = NO_PORTS, NO_PORTS
    return (protocol, *ports, *_peer(rule))


def _rule_id(group_id: str, egress: bool, rule: Mapping[str, Any]) -> str:
    """A rule's ``sgr-`` id: its stored id, else one derived from its identity (Hive's rules have
    none; deriving keeps the id stable until the next write stores it)."""
    stored = rule.get("rule_id")
    if stored:
        return str(stored)
    digest = hashlib.sha256(repr((group_id, egress, rule_key(rule))).encode()).hexdigest()
    return f"sgr-{digest[:17]}"


def _describe_rule(key: RuleKey) -> str:
    """AWS's wording of a rule in ``InvalidPermission.Duplicate``::

    peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW
    """
    protocol, start, end, _, peer = key
    if protocol in PORT_RANGE_PROTOCOLS:
        body = f"{protocol.upper()}, from port: {start}, to port: {end}"
    elif protocol in TYPE_CODE_PROTOCOLS:
        body = f"{protocol.upper()}, type: {start}, code: {end}"
    else:
        body = "ALL" if protocol == "-1" else protocol
    return f"peer: {peer}, {body}, ALLOW"


def duplicate_rule(key: RuleKey) -> AwsError:
    """``InvalidPermission.Duplicate`` for the rule ``key``."""
    return AwsError(
        "InvalidPermission.Duplicate", f'the specified rule "{_describe_rule(key)}" already exists'
    )


def rule_not_found() -> AwsError:
    """What AWS answers when revoking (or describing) a rule the group does not have."""
    return AwsError(
        "InvalidPermission.NotFound", "The specified rule does not exist in this security group."
    )


def rule_id_not_found(rule_id: str) -> AwsError:
    """An ``sgr-`` id that is not a rule of the group (or not a rule id at all)."""
    if not rule_id.startswith("sgr-"):
        return AwsError("InvalidSecurityGroupRuleId.Malformed", f'Invalid id: "{rule_id}"')
    return AwsError(
        "InvalidSecurityGroupRuleId.NotFound",
        f"The security group rule ID '{rule_id}' does not exist",
    )
