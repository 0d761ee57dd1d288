"""``ModifySecurityGroupRules`` and ``UpdateSecurityGroupRuleDescriptionsIngress/Egress``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.prefix_lists import lookup as prefix_lists
from handlers.security_groups.authorize import _direction, _with_ids
from handlers.security_groups.constants import SG, RuleKey
from handlers.security_groups.lookup import _target_group
from handlers.security_groups.permissions import (
    _authorize_resolver,
    _description,
    _revoke_resolver,
    expand_permissions,
)
from handlers.security_groups.records import _publish
from handlers.security_groups.rule_keys import (
    duplicate_rule,
    rule_id_not_found,
    rule_key,
    rule_not_found,
)
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import record_tags


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
        if expanded[0].get("prefix_list_id"):
            await prefix_lists.check_reference(ctx, str(expanded[0]["prefix_list_id"]))

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
