"""``IpPermissions`` (and the legacy flat form) expanded into rules, peers resolved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeAlias

from handlers.security_groups.constants import SG
from handlers.security_groups.lookup import _group_in_vpc
from handlers.security_groups.rule_keys import _check_text, _cidr, _ports, normalise_protocol
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    missing_parameter,
)
from hive_gateway.core.kinds import Record

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
