"""Finding groups: by name in a VPC (or the default VPC), and as a rule's peer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.security_groups.constants import SG, VPC
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    missing_parameter,
)
from hive_gateway.core.kinds import Record

# --- group lookups -----------------------------------------------------------------------------


async def default_vpc(ctx: RequestContext) -> Record | None:
    """The account's default VPC record (``is_default``), if it has one."""
    for record in await records.where(ctx, VPC, live_only=False, is_default=True):
        return record
    return None


def no_default_vpc() -> AwsError:
    """AWS's answer when a call needs the default VPC and the account has none."""
    return AwsError("VPCIdNotSpecified", "No default VPC for this user")


async def _group_in_vpc(ctx: RequestContext, vpc_id: str, name: str) -> Record | None:
    for record in await records.where(ctx, SG, live_only=False, vpc_id=vpc_id, group_name=name):
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
