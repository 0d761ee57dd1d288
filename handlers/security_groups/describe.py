"""``DescribeSecurityGroups`` and ``DescribeSecurityGroupRules`` with their filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from handlers.security_groups.authorize import _direction
from handlers.security_groups.constants import PROTOCOL_NUMBERS, SG
from handlers.security_groups.lookup import group_by_name
from handlers.security_groups.rule_keys import rule_id_not_found
from handlers.security_groups.views import group_to_api, rule_to_api
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.kinds import Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import record_tags

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

    async def render(stored: list[Record]) -> list[_Row]:
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
        return [_Row(api, record_tags(r), names) for api, r in zip(apis, stored, strict=True)]

    page = await describe.describe_page(
        ctx,
        SG,
        params,
        wanted,
        GROUP_FILTERS,
        render,
        key=lambda row: str(row.api["GroupId"]),
        missing=None,  # checked above, names included
        ids_param="GroupIds",
    )
    return {"SecurityGroups": [row.api for row in page.items], **page.token_member()}


# --- security group rules by id ----------------------------------------------------------------

RULE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "group-id": lambda rule: rule["GroupId"],
        "security-group-rule-id": lambda rule: rule["SecurityGroupRuleId"],
    },
    tags=lambda rule: {t["Key"]: t["Value"] for t in rule.get("Tags", [])},
    indexes={"group-id": "group_id"},  # selects the groups whose rules are read
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
    wanted = [str(i) for i in params.get("SecurityGroupRuleIds") or []]
    # Rule ids must exist in any group (else NotFound), so they are looked for in every group;
    # otherwise an exact ``group-id`` filter selects the groups read.
    groups = (
        await records.list_records(ctx, SG)
        if wanted
        else await describe.stored_records(ctx, SG, params, [], RULE_FILTERS, live_only=False)
    )
    rules = _all_rules(ctx, groups)
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
