"""``CreateSecurityGroup`` and ``DeleteSecurityGroup`` (refused while referenced)."""

from __future__ import annotations

from handlers.security_groups.constants import DEFAULT_GROUP_NAME, SG, VPC
from handlers.security_groups.lookup import _target_group, default_vpc, no_default_vpc
from handlers.security_groups.records import _publish, _store_group
from handlers.security_groups.rule_keys import _check_text
from handlers.security_groups.views import group_arn
from hive_gateway.core import dependents, records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, tags_from_specifications
from hive_gateway.hive import events


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


def _uses_prefix_list(group: Record, prefix_list: Record) -> bool:
    """Whether one of ``group``'s rules names ``prefix_list`` (``PrefixListIds``)."""
    wanted = prefix_list["prefix_list_id"]
    rules = [*group.get("ingress_rules", []), *group.get("egress_rules", [])]
    return any(rule.get("prefix_list_id") == wanted for rule in rules)


# A prefix list a rule uses is associated with the group (GetManagedPrefixListAssociations) and
# cannot be deleted.
dependents.blocks("prefix-list", by="security-group", where=_uses_prefix_list)


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
