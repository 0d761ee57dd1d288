"""``AuthorizeSecurityGroupIngress/Egress`` and ``RevokeSecurityGroupIngress/Egress``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.prefix_lists import lookup as prefix_lists
from handlers.security_groups.constants import SG, RuleKey
from handlers.security_groups.lookup import _target_group
from handlers.security_groups.permissions import (
    _authorize_resolver,
    _requested_permissions,
    _revoke_resolver,
    expand_permissions,
)
from handlers.security_groups.records import _new_rule, _publish
from handlers.security_groups.rule_keys import (
    _rule_id,
    duplicate_rule,
    rule_id_not_found,
    rule_key,
    rule_not_found,
)
from handlers.security_groups.views import _revoked_to_api, rule_to_api
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

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
    for pl_id in {str(r["prefix_list_id"]) for r in requested if r.get("prefix_list_id")}:
        await prefix_lists.check_reference(ctx, pl_id)  # InvalidPrefixListID.NotFound
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
