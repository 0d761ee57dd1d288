"""An interface's security groups: resolved, checked, defaulted, kept in step with its instance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.network_interfaces.common import INSTANCE, LOG, MAX_SECURITY_GROUPS, SECURITY_GROUP
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import Record

# --- security groups -------------------------------------------------------------------------------


async def _default_group(ctx: RequestContext, vpc_id: str) -> Record | None:
    found = await records.where(ctx, SECURITY_GROUP, vpc_id=vpc_id, group_name="default")
    return found[0] if found else None


async def resolve_groups(
    ctx: RequestContext, vpc_id: str, group_ids: Sequence[str], *, subnet_id: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """Validated group ids and their names; the VPC's ``default`` group when none are given.

    Unknown groups are ``InvalidGroup.NotFound``; a group of another VPC is
    ``InvalidParameter`` (create, naming the subnet) or ``InvalidGroup.NotFound`` (modify).
    """
    if not group_ids:
        default = await _default_group(ctx, vpc_id)
        if default is None:
            return [], {}
        return [str(default["group_id"])], {
            str(default["group_id"]): str(default.get("group_name", "default"))
        }
    unique = list(dict.fromkeys(group_ids))
    if len(unique) > MAX_SECURITY_GROUPS:
        raise AwsError(
            "SecurityGroupsPerInterfaceLimitExceeded",
            "The maximum number of security groups per interface has been reached.",
        )
    names: dict[str, str] = {}
    for group_id in unique:
        group = await records.get(ctx, SECURITY_GROUP, group_id)
        if group.get("vpc_id") != vpc_id:
            if subnet_id is not None:
                raise AwsError(
                    "InvalidParameter",
                    f"Security group {group_id} and subnet {subnet_id} belong to different networks.",
                )
            raise AwsError(
                "InvalidGroup.NotFound",
                f"The security group '{group_id}' does not exist in VPC '{vpc_id}'",
            )
        names[group_id] = str(group.get("group_name", ""))
    return unique, names


async def _sync_instance_groups(ctx: RequestContext, record: Mapping[str, Any]) -> None:
    """The primary interface's groups are the instance's groups (``vpc_security_group_ids``)."""
    instance_id = record.get("instance_id")
    if not instance_id or int(record.get("device_index") or 0) != 0:
        return
    groups = list(record.get("security_group_ids") or [])

    def change(instance: Record) -> Record:
        return {**instance, "security_group_ids": groups}

    try:
        await records.mutate(ctx, INSTANCE, str(instance_id), change)
    except (AwsError, ValueError, records.StoreError):
        LOG.warning("instance %s not updated with new groups", instance_id, exc_info=True)
