"""The API shapes of security groups, their ``IpPermissions`` and their rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.security_groups.rule_keys import _rule_id, has_ports, rule_key
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags

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
