"""Security groups and their rules: create/delete/describe, authorize/revoke, rule ids and tags.

Records keep Hive's shape (``vpc/security_group.go``): one stored rule per CIDR or source group,
``{ip_protocol, from_port, to_port, cidr_ip?, source_sg?}``, plus ours: ``rule_id`` (``sgr-…``),
``cidr_ipv6``, ``prefix_list_id``, ``source_sg_owner``, ``description`` and ``tags``.

AWS behaviours reproduced (where Hive differs, Hive is the bug):

* a new group gets the allow-all egress rule (``-1`` → ``0.0.0.0/0``, and ``::/0`` when the VPC
  has IPv6); the Terraform provider revokes it straight away with ports ``0``/``0``::

      RevokeSecurityGroupEgress GroupId=sg-1&IpPermissions.1.IpProtocol=-1
          &IpPermissions.1.FromPort=0&IpPermissions.1.ToPort=0
          &IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0        → Return true

  so every comparison goes through :func:`rule_key`, where protocol ``-1`` (and any protocol
  without ports) ignores the ports and ``6``/``tcp``/``TCP`` are one protocol;
* protocols are answered as names (``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1``); numbers
  ``6``/``17``/``1``/``58`` and ``all`` are normalised on input; other numbers stay numbers;
* all-traffic permissions carry no ``FromPort``/``ToPort`` in ``DescribeSecurityGroups``
  (``DescribeSecurityGroupRules`` says ``-1``/``-1``, as AWS does);
* an existing rule authorized again is ``InvalidPermission.Duplicate``; revoking a rule that is
  not there is ``InvalidPermission.NotFound`` (Hive silently succeeds);
* ``default`` groups cannot be deleted (``CannotDelete``); a group referenced by another group's
  rule or used by a network interface is a ``DependencyViolation``;
* ``GroupName`` parameters resolve in the account's default VPC (Hive ignores them).

Every change to a group is one compare-and-swap write (:func:`records.mutate`); group names are
claimed in the per-VPC index, so concurrent creates of one name cannot both succeed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

from hive_gateway.hive import events
from hive_gateway.core import vpc_index
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.ids import new_id
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

SG: Final = KINDS["security-group"]
VPC: Final = KINDS["vpc"]
ENI: Final = KINDS["network-interface"]

DEFAULT_GROUP_NAME: Final = "default"
DEFAULT_GROUP_DESCRIPTION: Final = "default VPC security group"
MAX_TEXT: Final = 255

RuleKey: TypeAlias = tuple[str, int, int, str, str]
"""``(protocol, from, to, peer kind, peer)`` — what makes two rules the same rule."""

# --- protocols and ports -----------------------------------------------------------------------

#: Input spellings of the protocols AWS names; anything else must be a number 0–255.
PROTOCOL_ALIASES: Final[Mapping[str, str]] = {
    "-1": "-1",
    "all": "-1",
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
}
#: The number of each named protocol (for the ``…protocol`` filters, which accept either).
PROTOCOL_NUMBERS: Final[Mapping[str, str]] = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}
PORT_RANGE_PROTOCOLS: Final = frozenset({"tcp", "udp"})
TYPE_CODE_PROTOCOLS: Final = frozenset({"icmp", "icmpv6"})
NO_PORTS: Final = -1

#: AWS's character set for VPC group names, group descriptions and rule descriptions.
_VALID_TEXT: Final = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")
_VALID_SET: Final = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"


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


# --- group lookups -----------------------------------------------------------------------------


async def default_vpc(ctx: RequestContext) -> Record | None:
    """The account's default VPC record (``is_default``), if it has one."""
    for record in await records.list_records(ctx, VPC):
        if record.get("is_default"):
            return record
    return None


def no_default_vpc() -> AwsError:
    """AWS's answer when a call needs the default VPC and the account has none."""
    return AwsError("VPCIdNotSpecified", "No default VPC for this user")


async def _group_in_vpc(ctx: RequestContext, vpc_id: str, name: str) -> Record | None:
    for record in await records.list_records(ctx, SG):
        if record.get("vpc_id") == vpc_id and record.get("group_name") == name:
            return record
    return None


async def group_by_name(ctx: RequestContext, name: str) -> Record:
    """The group called ``name`` in the default VPC (EC2's meaning of a bare ``GroupName``)."""
    vpc = await default_vpc(ctx)
    if vpc is None:
        raise no_default_vpc()
    found = await _group_in_vpc(ctx, vpc["vpc_id"], name)
    if found is None:
        raise AwsError(
            "InvalidGroup.NotFound",
            f"The security group '{name}' does not exist in default VPC '{vpc['vpc_id']}'",
        )
    return found


async def _target_group(ctx: RequestContext, params: Mapping[str, Any]) -> Record:
    """The group an action names by ``GroupId`` or (default VPC) ``GroupName``."""
    if params.get("GroupId"):
        return await records.get(ctx, SG, str(params["GroupId"]))
    if params.get("GroupName"):
        return await group_by_name(ctx, str(params["GroupName"]))
    raise missing_parameter("groupName or groupId")


# --- IpPermissions → stored rules ----------------------------------------------------------------

GroupResolver: TypeAlias = Callable[[Mapping[str, Any]], Awaitable[tuple[str, str]]]
"""Resolves a ``UserIdGroupPair`` to ``(group id, owner account)``."""


def _legacy_permissions(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat ``IpProtocol``/``FromPort``/``ToPort``/``CidrIp``/``SourceSecurityGroupName``
    members as ``IpPermissions``.

    A bare ``SourceSecurityGroupName`` grants full ICMP, TCP and UDP access from that group, as
    documented for ``AuthorizeSecurityGroupIngress``.
    """
    protocol = params.get("IpProtocol")
    cidr = params.get("CidrIp")
    source = params.get("SourceSecurityGroupName")
    if protocol is None and cidr is None and source is None:
        return []
    pairs: list[dict[str, Any]] = []
    if source is not None:
        pair: dict[str, Any] = {"GroupName": source}
        if params.get("SourceSecurityGroupOwnerId"):
            pair["UserId"] = params["SourceSecurityGroupOwnerId"]
        pairs.append(pair)
    if protocol is None and cidr is None:
        return [
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "UserIdGroupPairs": pairs},
            {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "UserIdGroupPairs": pairs},
            {"IpProtocol": "udp", "FromPort": 0, "ToPort": 65535, "UserIdGroupPairs": pairs},
        ]
    if protocol is None:
        raise missing_parameter("ipProtocol")
    permission: dict[str, Any] = {
        "IpProtocol": protocol,
        "FromPort": params.get("FromPort"),
        "ToPort": params.get("ToPort"),
        "UserIdGroupPairs": pairs,
    }
    if cidr is not None:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    return [permission]


def _requested_permissions(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``IpPermissions`` plus the legacy flat members (both may be given)."""
    return [*(params.get("IpPermissions") or []), *_legacy_permissions(params)]


def _description(entry: Mapping[str, Any]) -> str | None:
    text = entry.get("Description")
    if text is None or text == "":
        return None
    return _check_text(str(text), "rule description")


async def expand_permissions(
    permissions: Sequence[Mapping[str, Any]], resolve_group: GroupResolver
) -> list[Record]:
    """Flatten ``IpPermissions`` into stored rules (no ids yet), one per CIDR / list / group.

    ``IpPermissions.1.IpProtocol=tcp&…FromPort=22&…ToPort=22&…IpRanges.1.CidrIp=10.0.0.0/8
    &…IpRanges.2.CidrIp=192.168.0.0/16`` → two rules.
    """
    rules: list[Record] = []
    for permission in permissions:
        raw_protocol = permission.get("IpProtocol")
        if raw_protocol is None or raw_protocol == "":
            raise missing_parameter("ipPermissions.ipProtocol")
        protocol = normalise_protocol(raw_protocol)
        start, end = _ports(protocol, permission.get("FromPort"), permission.get("ToPort"))
        base: Record = {"ip_protocol": protocol, "from_port": start, "to_port": end}
        before = len(rules)
        for entry in permission.get("IpRanges") or []:
            if not entry.get("CidrIp"):
                raise missing_parameter("ipPermissions.ipRanges.cidrIp")
            cidr = _cidr(entry["CidrIp"], 4, "cidrIp")
            rules.append(_with_description({**base, "cidr_ip": cidr}, entry))
        for entry in permission.get("Ipv6Ranges") or []:
            if not entry.get("CidrIpv6"):
                raise missing_parameter("ipPermissions.ipv6Ranges.cidrIpv6")
            cidr = _cidr(entry["CidrIpv6"], 6, "cidrIpv6")
            rules.append(_with_description({**base, "cidr_ipv6": cidr}, entry))
        for entry in permission.get("PrefixListIds") or []:
            prefix_list = str(entry.get("PrefixListId") or "")
            if not prefix_list.startswith("pl-"):
                raise AwsError("InvalidPrefixListID.Malformed", f'Invalid id: "{prefix_list}"')
            rules.append(_with_description({**base, "prefix_list_id": prefix_list}, entry))
        for entry in permission.get("UserIdGroupPairs") or []:
            group_id, owner = await resolve_group(entry)
            rule = {**base, "source_sg": group_id, "source_sg_owner": owner}
            rules.append(_with_description(rule, entry))
        if len(rules) == before:
            raise missing_parameter("ipPermissions.ipRanges, ipv6Ranges, prefixListIds or groups")
    return rules


def _with_description(rule: Record, entry: Mapping[str, Any]) -> Record:
    text = _description(entry)
    return {**rule, "description": text} if text is not None else rule


def _authorize_resolver(ctx: RequestContext, group: Record) -> GroupResolver:
    """Referenced groups must exist in the caller's account (another account's id is NotFound);
    a pair naming a group by ``GroupName`` resolves in the target group's VPC."""

    async def resolve(pair: Mapping[str, Any]) -> tuple[str, str]:
        if pair.get("GroupId"):
            found = await records.get(ctx, SG, str(pair["GroupId"]))
            return str(found["group_id"]), ctx.account_id
        if pair.get("GroupName"):
            name = str(pair["GroupName"])
            named = await _group_in_vpc(ctx, str(group["vpc_id"]), name)
            if named is None:
                raise AwsError(
                    "InvalidGroup.NotFound", f"The security group '{name}' does not exist"
                )
            return str(named["group_id"]), ctx.account_id
        raise missing_parameter("ipPermissions.groups.groupId")

    return resolve


def _revoke_resolver(ctx: RequestContext, group: Record) -> GroupResolver:
    """Like :func:`_authorize_resolver` but never fails on a referenced group that is gone: a
    rule can outlive the group it names, and must stay revocable."""

    async def resolve(pair: Mapping[str, Any]) -> tuple[str, str]:
        if pair.get("GroupId"):
            return str(pair["GroupId"]), ctx.account_id
        if pair.get("GroupName"):
            named = await _group_in_vpc(ctx, str(group["vpc_id"]), str(pair["GroupName"]))
            return (
                str(named["group_id"]) if named else f"name:{pair['GroupName']}"
            ), ctx.account_id
        raise missing_parameter("ipPermissions.groups.groupId")

    return resolve


# --- rendering ---------------------------------------------------------------------------------


def group_arn(ctx: RequestContext, group_id: str) -> str:
    """``arn:aws:ec2:<region>:<account>:security-group/<id>``."""
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:security-group/{group_id}"


def rule_arn(ctx: RequestContext, rule_id: str) -> str:
    """``arn:aws:ec2:<region>:<account>:security-group-rule/<id>``."""
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:security-group-rule/{rule_id}"


def ip_permissions(rules: Iterable[Mapping[str, Any]], owner_id: str) -> list[Record]:
    """Stored rules grouped into ``IpPermission``s by (protocol, from, to), in rule order.

    All-traffic (and other port-less) permissions omit ``FromPort``/``ToPort``: the Terraform
    provider reads missing ports as 0, which is what its config says for ``-1``.
    """
    grouped: dict[tuple[str, int, int], Record] = {}
    for rule in rules:
        protocol, start, end, peer_kind, peer = rule_key(rule)
        permission = grouped.get((protocol, start, end))
        if permission is None:
            permission = {"IpProtocol": protocol}
            if has_ports(protocol):
                permission.update(FromPort=start, ToPort=end)
            permission.update(IpRanges=[], Ipv6Ranges=[], PrefixListIds=[], UserIdGroupPairs=[])
            grouped[(protocol, start, end)] = permission
        described: dict[str, Any] = {}
        if rule.get("description"):
            described["Description"] = rule["description"]
        if peer_kind == "cidr":
            permission["IpRanges"].append({"CidrIp": peer, **described})
        elif peer_kind == "cidr6":
            permission["Ipv6Ranges"].append({"CidrIpv6": peer, **described})
        elif peer_kind == "prefix-list":
            permission["PrefixListIds"].append({"PrefixListId": peer, **described})
        elif peer_kind == "group":
            owner = str(rule.get("source_sg_owner") or owner_id)
            permission["UserIdGroupPairs"].append({"GroupId": peer, "UserId": owner, **described})
    return list(grouped.values())


def group_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """A group record in ``SecurityGroup`` form."""
    result: Record = {
        "GroupId": record["group_id"],
        "GroupName": record["group_name"],
        "Description": record.get("description", ""),
        "OwnerId": ctx.account_id,
        "VpcId": record["vpc_id"],
        "IpPermissions": ip_permissions(record.get("ingress_rules", []), ctx.account_id),
        "IpPermissionsEgress": ip_permissions(record.get("egress_rules", []), ctx.account_id),
        "SecurityGroupArn": group_arn(ctx, record["group_id"]),
    }
    tags = record_tags(record)
    if tags:
        result["Tags"] = api_tags(tags)
    return result


def _rule_peer_members(rule: Mapping[str, Any], owner_id: str) -> Record:
    peer_kind, peer = rule_key(rule)[3:]
    if peer_kind == "cidr":
        return {"CidrIpv4": peer}
    if peer_kind == "cidr6":
        return {"CidrIpv6": peer}
    if peer_kind == "prefix-list":
        return {"PrefixListId": peer}
    if peer_kind == "group":
        return {
            "ReferencedGroupInfo": {
                "GroupId": peer,
                "UserId": str(rule.get("source_sg_owner") or owner_id),
            }
        }
    return {}


def rule_to_api(
    ctx: RequestContext, group: Mapping[str, Any], rule: Mapping[str, Any], egress: bool
) -> Record:
    """One stored rule in ``SecurityGroupRule`` form (ports ``-1`` when the protocol has none)."""
    protocol, start, end = rule_key(rule)[:3]
    rule_id = _rule_id(str(group["group_id"]), egress, rule)
    result: Record = {
        "SecurityGroupRuleId": rule_id,
        "GroupId": group["group_id"],
        "GroupOwnerId": ctx.account_id,
        "IsEgress": egress,
        "IpProtocol": protocol,
        "FromPort": start,
        "ToPort": end,
        **_rule_peer_members(rule, ctx.account_id),
    }
    if rule.get("description"):
        result["Description"] = rule["description"]
    result["Tags"] = api_tags(record_tags(rule))
    result["SecurityGroupRuleArn"] = rule_arn(ctx, rule_id)
    return result


def _revoked_to_api(group_id: str, rule: Mapping[str, Any], egress: bool) -> Record:
    """One removed rule in ``RevokedSecurityGroupRule`` form."""
    protocol, start, end, peer_kind, peer = rule_key(rule)
    member = {
        "cidr": "CidrIpv4",
        "cidr6": "CidrIpv6",
        "prefix-list": "PrefixListId",
        "group": "ReferencedGroupId",
    }.get(peer_kind)
    result: Record = {
        "SecurityGroupRuleId": _rule_id(group_id, egress, rule),
        "GroupId": group_id,
        "IsEgress": egress,
        "IpProtocol": protocol,
        "FromPort": start,
        "ToPort": end,
    }
    if member:
        result[member] = peer
    if rule.get("description"):
        result["Description"] = rule["description"]
    return result


# --- events ------------------------------------------------------------------------------------


def _hive_rules(rules: Iterable[Mapping[str, Any]]) -> list[Record]:
    """Rules in exactly Hive's event shape, for ``vpcd``.

    Hive's rule has only an IPv4 CIDR or a source group, and a rule with neither means "from
    anywhere" to it; IPv6 and prefix-list rules are therefore left out rather than widened.
    All-traffic rules carry ports 0/0 as Hive writes them.
    """
    out: list[Record] = []
    for rule in rules:
        protocol, start, end, peer_kind, peer = rule_key(rule)
        if peer_kind not in ("cidr", "group"):
            continue
        ports = (start, end) if has_ports(protocol) else (0, 0)
        item: Record = {"ip_protocol": protocol, "from_port": ports[0], "to_port": ports[1]}
        item["cidr_ip" if peer_kind == "cidr" else "source_sg"] = peer
        out.append(item)
    return out


async def _publish(ctx: RequestContext, subject: str, record: Mapping[str, Any]) -> None:
    """``vpc.create-sg`` / ``vpc.update-sg`` / ``vpc.delete-sg`` for Hive's vpcd."""
    await events.publish(
        ctx,
        subject,
        {
            "group_id": record["group_id"],
            "vpc_id": record["vpc_id"],
            "ingress_rules": _hive_rules(record.get("ingress_rules", [])),
            "egress_rules": _hive_rules(record.get("egress_rules", [])),
        },
    )


# --- CreateSecurityGroup -----------------------------------------------------------------------


def _ipv6_enabled(vpc: Mapping[str, Any]) -> bool:
    return any(
        a.get("state") == "associated" for a in vpc.get("ipv6_cidr_block_associations") or []
    )


def default_egress(vpc: Mapping[str, Any]) -> list[Record]:
    """The allow-all egress AWS gives every VPC group: ``0.0.0.0/0`` (and ``::/0`` with IPv6)."""
    rules: list[Record] = [
        {"ip_protocol": "-1", "from_port": NO_PORTS, "to_port": NO_PORTS, "cidr_ip": "0.0.0.0/0"}
    ]
    if _ipv6_enabled(vpc):
        rules.append(
            {"ip_protocol": "-1", "from_port": NO_PORTS, "to_port": NO_PORTS, "cidr_ipv6": "::/0"}
        )
    return [_new_rule(rule) for rule in rules]


def _new_rule(rule: Record, tags: Mapping[str, str] | None = None) -> Record:
    """A stored rule with a fresh ``sgr-`` id and its tags."""
    return {**rule, "rule_id": new_id("security-group-rule"), "tags": dict(tags or {})}


async def _store_group(
    ctx: RequestContext,
    vpc: Mapping[str, Any],
    *,
    name: str,
    description: str,
    ingress: Callable[[str], list[Record]],
    tags: Mapping[str, str],
) -> Record:
    """Claim ``name`` in the VPC, then write the group; the claim is released if the write fails."""
    vpc_id = str(vpc["vpc_id"])
    group_id = new_id("security-group")
    await vpc_index.claim_security_group_name(ctx, vpc_id, name, group_id)
    record: Record = {
        "group_id": group_id,
        "group_name": name,
        "description": description,
        "vpc_id": vpc_id,
        "ingress_rules": ingress(group_id),
        "egress_rules": default_egress(vpc),
        "tags": dict(tags),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    try:
        await records.create(ctx, SG, record)
    except Exception:
        await vpc_index.release_security_group_name(ctx, vpc_id, name)
        raise
    await _publish(ctx, "vpc.create-sg", record)
    return record


async def create_default_security_group(ctx: RequestContext, vpc: dict[str, Any]) -> dict[str, Any]:
    """Create the VPC's ``default`` group (called by ``CreateVpc``); returns its record.

    As on AWS: description ``default VPC security group``, all traffic in from the group itself,
    all traffic out to ``0.0.0.0/0`` (and ``::/0`` when the VPC has IPv6).
    """

    def self_ingress(group_id: str) -> list[Record]:
        return [
            _new_rule(
                {
                    "ip_protocol": "-1",
                    "from_port": NO_PORTS,
                    "to_port": NO_PORTS,
                    "source_sg": group_id,
                    "source_sg_owner": ctx.account_id,
                }
            )
        ]

    return await _store_group(
        ctx,
        vpc,
        name=DEFAULT_GROUP_NAME,
        description=DEFAULT_GROUP_DESCRIPTION,
        ingress=self_ingress,
        tags={},
    )


@action("CreateSecurityGroup")
async def create_security_group(ctx: RequestContext, params: Params) -> Result:
    """Create a group in ``VpcId`` (default: the default VPC) with the allow-all egress rule.

    ``GroupName=web&GroupDescription=Web&VpcId=vpc-1`` → ``{GroupId, SecurityGroupArn}``.
    """
    name = str(params["GroupName"])
    description = str(params["Description"])
    if name.lower().startswith("sg-"):
        raise invalid_parameter_value(
            f"Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*."
        )
    _check_text(name, "security group name", allow_empty=False)
    _check_text(description, "security group description", allow_empty=False)
    if name == DEFAULT_GROUP_NAME:
        raise invalid_parameter_value(
            f"Cannot use reserved security group name: {DEFAULT_GROUP_NAME}"
        )
    tags = tags_from_specifications(params, "security-group")
    if params.get("VpcId"):
        vpc = await records.get(ctx, VPC, str(params["VpcId"]))
    else:
        found = await default_vpc(ctx)
        if found is None:
            raise no_default_vpc()
        vpc = found
    record = await _store_group(
        ctx, vpc, name=name, description=description, ingress=lambda _: [], tags=tags
    )
    result: Record = {"GroupId": record["group_id"]}
    if tags:
        result["Tags"] = api_tags(tags)
    result["SecurityGroupArn"] = group_arn(ctx, record["group_id"])
    return result


# --- DeleteSecurityGroup -----------------------------------------------------------------------


def _references(group: Record, referenced: Record) -> bool:
    """Whether one of ``group``'s rules names ``referenced`` as its source (not itself)."""
    target = referenced["group_id"]
    return group["group_id"] != target and any(
        rule.get("source_sg") == target
        for rule in [*group.get("ingress_rules", []), *group.get("egress_rules", [])]
    )


# What a group holds on to (architecture.md §2): another group its rules reference, and its VPC
# (the default group goes with the VPC). Interfaces using a group are declared in
# network_interfaces.
dependents.blocks("security-group", by="security-group", where=_references)
dependents.blocks(
    "vpc",
    by="security-group",
    field="vpc_id",
    unless=lambda g: g.get("group_name") == DEFAULT_GROUP_NAME,
)


@dependents.on("vpc", "deleted")
async def _vpc_deleted(ctx: RequestContext, vpc: Record) -> None:
    """The default group goes with its VPC (``vpc.delete-sg`` tells vpcd)."""
    for group in await records.where(ctx, SG, live_only=False, vpc_id=vpc["vpc_id"]):
        await records.delete(ctx, SG, group["group_id"])
        await events.publish(
            ctx, "vpc.delete-sg", {"group_id": group["group_id"], "vpc_id": vpc["vpc_id"]}
        )


@action("DeleteSecurityGroup")
async def delete_security_group(ctx: RequestContext, params: Params) -> Result:
    """Delete a group by ``GroupId`` or (default VPC) ``GroupName``; ``default`` is protected."""
    group = await _target_group(ctx, params)
    group_id = str(group["group_id"])

    def check_default(current: Record) -> None:
        if current.get("group_name") == DEFAULT_GROUP_NAME:
            raise AwsError(
                "CannotDelete",
                f'the specified group: "{group_id}" name: "default" cannot be deleted by a user',
            )

    check_default(group)
    await dependents.delete_guarded(ctx, SG, group_id, check_default)
    await vpc_index.release_security_group_name(ctx, str(group["vpc_id"]), str(group["group_name"]))
    await _publish(ctx, "vpc.delete-sg", group)
    return {"Return": True, "GroupId": group_id}


# --- DescribeSecurityGroups --------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A group in API form plus what its filters need beyond it (names of referenced groups)."""

    api: Record
    tags: dict[str, str]
    names: Mapping[str, str] = field(default_factory=dict)


def _permission_values(
    direction: str, extract: Callable[[Record, _Row], Iterable[Any]]
) -> Callable[[_Row], list[Any]]:
    def values(row: _Row) -> list[Any]:
        return [value for permission in row.api[direction] for value in extract(permission, row)]

    return values


def _protocol_values(permission: Record, _: _Row) -> list[str]:
    protocol = str(permission["IpProtocol"])
    return [protocol, PROTOCOL_NUMBERS[protocol]] if protocol in PROTOCOL_NUMBERS else [protocol]


def _port(member: str) -> Callable[[Record, _Row], list[Any]]:
    return lambda permission, _: [permission[member]] if member in permission else []


def _permission_filters(prefix: str, direction: str) -> dict[str, Callable[[_Row], Any]]:
    """``ip-permission.*`` (or ``egress.ip-permission.*``) filters over one rule direction."""
    extractors: dict[str, Callable[[Record, _Row], Iterable[Any]]] = {
        "cidr": lambda p, _: [r["CidrIp"] for r in p["IpRanges"]],
        "ipv6-cidr": lambda p, _: [r["CidrIpv6"] for r in p["Ipv6Ranges"]],
        "prefix-list-id": lambda p, _: [r["PrefixListId"] for r in p["PrefixListIds"]],
        "group-id": lambda p, _: [g["GroupId"] for g in p["UserIdGroupPairs"]],
        "group-name": lambda p, row: [
            row.names[g["GroupId"]] for g in p["UserIdGroupPairs"] if g["GroupId"] in row.names
        ],
        "user-id": lambda p, _: [g["UserId"] for g in p["UserIdGroupPairs"]],
        "protocol": _protocol_values,
        "from-port": _port("FromPort"),
        "to-port": _port("ToPort"),
    }
    return {
        f"{prefix}{name}": _permission_values(direction, extract)
        for name, extract in extractors.items()
    }


GROUP_FILTERS: Final[FilterSpec[_Row]] = FilterSpec(
    fields={
        "description": lambda row: row.api["Description"],
        "group-id": lambda row: row.api["GroupId"],
        "group-name": lambda row: row.api["GroupName"],
        "owner-id": lambda row: row.api["OwnerId"],
        "vpc-id": lambda row: row.api["VpcId"],
        **_permission_filters("ip-permission.", "IpPermissions"),
        **_permission_filters("egress.ip-permission.", "IpPermissionsEgress"),
    },
    tags=lambda row: row.tags,
    indexes={"vpc-id": "vpc_id", "group-id": "group_id", "group-name": "group_name"},
)


@action("DescribeSecurityGroups")
async def describe_security_groups(ctx: RequestContext, params: Params) -> Result:
    """The caller's groups by ``GroupIds`` and/or ``GroupNames`` (default VPC), filters, pages."""
    wanted: list[str] = [str(i) for i in params.get("GroupIds") or []]
    if wanted:
        found = await records.find_many(ctx, SG, wanted)
        describe.check_ids_exist(SG, wanted, {str(r["group_id"]) for r in found})
    for name in params.get("GroupNames") or []:
        wanted.append(str((await group_by_name(ctx, str(name)))["group_id"]))
    stored = await describe.stored_records(ctx, SG, params, wanted, GROUP_FILTERS)
    names = {str(r["group_id"]): str(r["group_name"]) for r in stored}
    apis = [group_to_api(ctx, r) for r in stored]
    referenced = {
        str(pair["GroupId"])
        for api in apis
        for direction in ("IpPermissions", "IpPermissionsEgress")
        for permission in api[direction]
        for pair in permission.get("UserIdGroupPairs", ())
        if pair.get("GroupId") and pair["GroupId"] not in names
    }
    for other in await records.find_many(ctx, SG, sorted(referenced)):
        names[str(other["group_id"])] = str(other["group_name"])
    rows = [_Row(api, record_tags(r), names) for api, r in zip(apis, stored, strict=True)]
    rows = apply_filters(GROUP_FILTERS, params.get("Filters"), rows)
    page = paginate(rows, params, key=lambda row: str(row.api["GroupId"]), ids_param="GroupIds")
    return {"SecurityGroups": [row.api for row in page.items], **page.token_member()}


# --- Authorize / Revoke ------------------------------------------------------------------------


def _direction(egress: bool) -> str:
    return "egress_rules" if egress else "ingress_rules"


def _with_ids(current: Mapping[str, Any]) -> Record:
    """The group with every rule's ``rule_id`` explicit, both directions: a rule Hive wrote gets
    its derived id stored by our first write, so ids already handed out keep naming it."""
    group_id = str(current["group_id"])
    result = dict(current)
    for egress in (False, True):
        result[_direction(egress)] = [
            {**rule, "rule_id": _rule_id(group_id, egress, rule)}
            for rule in current.get(_direction(egress), [])
        ]
    return result


async def _authorize(ctx: RequestContext, params: Params, *, egress: bool) -> Result:
    """Add the requested rules in one compare-and-swap; duplicates fail the whole call."""
    group = await _target_group(ctx, params)
    group_id = str(group["group_id"])
    permissions = _requested_permissions(params)
    if not permissions:
        raise missing_parameter("ipPermissions")
    tags = tags_from_specifications(params, "security-group-rule")
    requested = await expand_permissions(permissions, _authorize_resolver(ctx, group))
    seen: set[RuleKey] = set()
    for rule in requested:
        key = rule_key(rule)
        if key in seen:
            raise duplicate_rule(key)
        seen.add(key)
    created: list[Record] = []

    def add(current: Record) -> Record:
        existing = {rule_key(rule) for rule in current.get(_direction(egress), [])}
        for key in seen & existing:
            raise duplicate_rule(key)
        created[:] = [_new_rule(rule, tags) for rule in requested]
        result = _with_ids(current)
        result[_direction(egress)] = result[_direction(egress)] + created
        return result

    updated = await records.mutate(ctx, SG, group_id, add)
    assert updated is not None
    await _publish(ctx, "vpc.update-sg", updated)
    return {
        "Return": True,
        "SecurityGroupRules": [rule_to_api(ctx, updated, rule, egress) for rule in created],
    }


@action("AuthorizeSecurityGroupIngress")
async def authorize_security_group_ingress(ctx: RequestContext, params: Params) -> Result:
    """Add inbound rules (``IpPermissions`` or the legacy flat members)."""
    return await _authorize(ctx, params, egress=False)


@action("AuthorizeSecurityGroupEgress")
async def authorize_security_group_egress(ctx: RequestContext, params: Params) -> Result:
    """Add outbound rules."""
    return await _authorize(ctx, params, egress=True)


async def _revoke(ctx: RequestContext, params: Params, *, egress: bool) -> Result:
    """Remove rules named by ``IpPermissions`` (matched by :func:`rule_key`) or by rule id."""
    group = await _target_group(ctx, params)
    group_id = str(group["group_id"])
    rule_ids = [str(i) for i in params.get("SecurityGroupRuleIds") or []]
    permissions = _requested_permissions(params)
    if rule_ids and permissions:
        raise invalid_parameter_combination(
            "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions"
        )
    if not rule_ids and not permissions:
        raise missing_parameter("ipPermissions or securityGroupRuleIds")
    keys = {
        rule_key(r) for r in await expand_permissions(permissions, _revoke_resolver(ctx, group))
    }
    revoked: list[Record] = []

    def remove(current: Record) -> Record:
        current = _with_ids(current)
        rules: list[Record] = current[_direction(egress)]
        if rule_ids:
            present = {rule["rule_id"] for rule in rules}
            for rule_id in rule_ids:
                if rule_id not in present:
                    raise rule_id_not_found(rule_id)
            gone = [rule for rule in rules if rule["rule_id"] in set(rule_ids)]
        else:
            gone = [rule for rule in rules if rule_key(rule) in keys]
            if {rule_key(rule) for rule in gone} != keys:
                raise rule_not_found()
        revoked[:] = gone
        kept = [rule for rule in rules if rule not in gone]
        return {**current, _direction(egress): kept}

    updated = await records.mutate(ctx, SG, group_id, remove)
    assert updated is not None
    await _publish(ctx, "vpc.update-sg", updated)
    return {
        "Return": True,
        "RevokedSecurityGroupRules": [_revoked_to_api(group_id, rule, egress) for rule in revoked],
    }


@action("RevokeSecurityGroupIngress")
async def revoke_security_group_ingress(ctx: RequestContext, params: Params) -> Result:
    """Remove inbound rules."""
    return await _revoke(ctx, params, egress=False)


@action("RevokeSecurityGroupEgress")
async def revoke_security_group_egress(ctx: RequestContext, params: Params) -> Result:
    """Remove outbound rules (including the default allow-all one, ports ignored for ``-1``)."""
    return await _revoke(ctx, params, egress=True)


# --- security group rules by id ----------------------------------------------------------------

RULE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "group-id": lambda rule: rule["GroupId"],
        "security-group-rule-id": lambda rule: rule["SecurityGroupRuleId"],
    },
    tags=lambda rule: {t["Key"]: t["Value"] for t in rule.get("Tags", [])},
)


def _all_rules(ctx: RequestContext, groups: Iterable[Mapping[str, Any]]) -> list[Record]:
    return [
        rule_to_api(ctx, group, rule, egress)
        for group in groups
        for egress in (False, True)
        for rule in group.get(_direction(egress), [])
    ]


@action("DescribeSecurityGroupRules")
async def describe_security_group_rules(ctx: RequestContext, params: Params) -> Result:
    """Every rule of the caller's groups, by id and filters, paged by rule id."""
    rules = _all_rules(ctx, await records.list_records(ctx, SG))
    wanted = [str(i) for i in params.get("SecurityGroupRuleIds") or []]
    if wanted:
        present = {rule["SecurityGroupRuleId"] for rule in rules}
        for rule_id in wanted:
            if rule_id not in present:
                raise rule_id_not_found(rule_id)
        rules = [rule for rule in rules if rule["SecurityGroupRuleId"] in set(wanted)]
    rules = apply_filters(RULE_FILTERS, params.get("Filters"), rules)
    page = paginate(
        rules,
        params,
        key=lambda rule: str(rule["SecurityGroupRuleId"]),
        ids_param="SecurityGroupRuleIds",
    )
    return {"SecurityGroupRules": page.items, **page.token_member()}


def _request_to_permission(request: Mapping[str, Any]) -> dict[str, Any]:
    """A ``SecurityGroupRuleRequest`` (``ModifySecurityGroupRules``) as one ``IpPermission``."""
    permission: dict[str, Any] = {
        "IpProtocol": request.get("IpProtocol"),
        "FromPort": request.get("FromPort"),
        "ToPort": request.get("ToPort"),
    }
    described = {"Description": request["Description"]} if request.get("Description") else {}
    peers = [
        ("CidrIpv4", "IpRanges", "CidrIp"),
        ("CidrIpv6", "Ipv6Ranges", "CidrIpv6"),
        ("PrefixListId", "PrefixListIds", "PrefixListId"),
        ("ReferencedGroupId", "UserIdGroupPairs", "GroupId"),
    ]
    given = [(member, target, inner) for member, target, inner in peers if request.get(member)]
    if len(given) != 1:
        raise invalid_parameter_value(
            "Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified."
        )
    member, target, inner = given[0]
    permission[target] = [{inner: request[member], **described}]
    return permission


@action("ModifySecurityGroupRules")
async def modify_security_group_rules(ctx: RequestContext, params: Params) -> Result:
    """Replace rules' definitions by id, keeping their ids, directions and tags."""
    group = await records.get(ctx, SG, str(params["GroupId"]))
    group_id = str(group["group_id"])
    replacements: dict[str, Record] = {}
    for update in params["SecurityGroupRules"]:
        rule_id = str(update.get("SecurityGroupRuleId") or "")
        if not rule_id:
            raise missing_parameter("SecurityGroupRuleId")
        request = update.get("SecurityGroupRule")
        if not request:
            raise missing_parameter("SecurityGroupRule")
        expanded = await expand_permissions(
            [_request_to_permission(request)], _authorize_resolver(ctx, group)
        )
        replacements[rule_id] = expanded[0]

    def modify(current: Record) -> Record:
        result = _with_ids(current)
        found: set[str] = set()
        for egress in (False, True):
            rules: list[Record] = result[_direction(egress)]
            out: list[Record] = []
            for rule in rules:
                replacement = replacements.get(rule["rule_id"])
                if replacement is not None:
                    found.add(rule["rule_id"])
                    rule = {**replacement, "rule_id": rule["rule_id"], "tags": record_tags(rule)}
                out.append(rule)
            keys = [rule_key(rule) for rule in out]
            for key in keys:
                if keys.count(key) > 1:
                    raise duplicate_rule(key)
            result[_direction(egress)] = out
        for rule_id in replacements:
            if rule_id not in found:
                raise rule_id_not_found(rule_id)
        return result

    updated = await records.mutate(ctx, SG, group_id, modify)
    assert updated is not None
    await _publish(ctx, "vpc.update-sg", updated)
    return {"Return": True}


async def _update_descriptions(ctx: RequestContext, params: Params, *, egress: bool) -> Result:
    """Set rule descriptions, matching rules by ``IpPermissions`` or by rule id."""
    group = await _target_group(ctx, params)
    group_id = str(group["group_id"])
    by_id: dict[str, str | None] = {}
    for entry in params.get("SecurityGroupRuleDescriptions") or []:
        rule_id = str(entry.get("SecurityGroupRuleId") or "")
        if not rule_id:
            raise missing_parameter("SecurityGroupRuleId")
        by_id[rule_id] = _description(entry)
    permissions = params.get("IpPermissions") or []
    if not by_id and not permissions:
        raise missing_parameter("ipPermissions or securityGroupRuleDescriptions")
    by_key: dict[RuleKey, str | None] = {
        rule_key(rule): rule.get("description")
        for rule in await expand_permissions(permissions, _revoke_resolver(ctx, group))
    }

    def describe(current: Record) -> Record:
        current = _with_ids(current)
        rules: list[Record] = current[_direction(egress)]
        present_ids = {rule["rule_id"] for rule in rules}
        for rule_id in by_id:
            if rule_id not in present_ids:
                raise rule_id_not_found(rule_id)
        present_keys = {rule_key(rule) for rule in rules}
        if not set(by_key) <= present_keys:
            raise rule_not_found()
        out: list[Record] = []
        for rule in rules:
            key = rule_key(rule)
            if rule["rule_id"] in by_id or key in by_key:
                text = by_id[rule["rule_id"]] if rule["rule_id"] in by_id else by_key[key]
                rule = {k: v for k, v in rule.items() if k != "description"}
                if text:
                    rule["description"] = text
            out.append(rule)
        return {**current, _direction(egress): out}

    await records.mutate(ctx, SG, group_id, describe)
    return {"Return": True}


@action("UpdateSecurityGroupRuleDescriptionsIngress")
async def update_security_group_rule_descriptions_ingress(
    ctx: RequestContext, params: Params
) -> Result:
    """Change inbound rule descriptions."""
    return await _update_descriptions(ctx, params, egress=False)


@action("UpdateSecurityGroupRuleDescriptionsEgress")
async def update_security_group_rule_descriptions_egress(
    ctx: RequestContext, params: Params
) -> Result:
    """Change outbound rule descriptions."""
    return await _update_descriptions(ctx, params, egress=True)
