"""What the spot family does when instances are launched or terminated (core.dependents)."""

from __future__ import annotations

from typing import Final

from handlers.spot_instances.views import status
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

SPOT_REQUEST: Final = KINDS["spot-instance-request"]
SECURITY_GROUP: Final = KINDS["security-group"]


async def _groups(ctx: RequestContext, group_ids: list[str]) -> list[Record]:
    groups: list[Record] = []
    for group_id in group_ids:
        found = await records.find(ctx, SECURITY_GROUP, group_id)
        groups.append({"GroupId": group_id, "GroupName": str((found or {}).get("group_name", ""))})
    return groups


async def _launched_specification(ctx: RequestContext, instance: Record) -> Record:
    spec: Record = {
        "ImageId": instance.get("image_id"),
        "InstanceType": instance.get("instance_type"),
        "SubnetId": instance.get("subnet_id"),
        "Placement": {
            "AvailabilityZone": instance.get("availability_zone"),
            "Tenancy": instance.get("tenancy") or "default",
        },
        "SecurityGroups": await _groups(ctx, list(instance.get("security_group_ids") or [])),
        "Monitoring": {"Enabled": instance.get("monitoring") == "enabled"},
        "EbsOptimized": bool(instance.get("ebs_optimized", False)),
    }
    if instance.get("key_name"):
        spec["KeyName"] = instance["key_name"]
    return {k: v for k, v in spec.items() if v is not None}


@dependents.on("instance", "spot-launched")
async def _fulfilled(ctx: RequestContext, instance: Record) -> None:
    """The request an instance fulfils turns ``active``/``fulfilled`` (RunInstances with
    ``InstanceMarketOptions``: the request is made here)."""
    request_id = str(instance["spot_instance_request_id"])
    spec = await _launched_specification(ctx, instance)

    def change(current: Record) -> Record:
        shown = {**spec, **current["launch_specification"]}
        shown["SecurityGroups"] = spec["SecurityGroups"]
        return status(
            {
                **current,
                "state": "active",
                "instance_id": instance["instance_id"],
                "availability_zone": instance.get("availability_zone"),
                "launch_specification": shown,
            },
            "fulfilled",
        )

    if await records.mutate(ctx, SPOT_REQUEST, request_id, change, missing_ok=True) is not None:
        return
    options = instance.get("spot_options") or {}
    now = clock.utc_now()
    await records.create(
        ctx,
        SPOT_REQUEST,
        status(
            {
                "spot_instance_request_id": request_id,
                "account_id": ctx.account_id,
                "state": "active",
                "type": options.get("type") or "one-time",
                "spot_price": options.get("max_price") or "",
                "instance_id": instance["instance_id"],
                "instance_interruption_behavior": options.get("interruption_behavior")
                or "terminate",
                "availability_zone": instance.get("availability_zone"),
                "launch_specification": spec,
                "valid_until": options.get("valid_until"),
                "tags": dict(options.get("request_tags") or {}),
                "created_at": now,
            },
            "fulfilled",
            now,
        ),
        exist_ok=True,
    )


@dependents.on("instance", "terminated")
async def _instance_gone(ctx: RequestContext, instance: Record) -> None:
    """A request whose instance was terminated closes (a cancelled one stays cancelled)."""
    for request in await records.where(ctx, SPOT_REQUEST, instance_id=instance["instance_id"]):

        def change(current: Record) -> Record:
            if current["state"] == "active":
                return status({**current, "state": "closed"}, "instance-terminated-by-user")
            if current["state"] == "cancelled":
                return status(current, "instance-terminated-by-user")
            return current

        await records.mutate(
            ctx, SPOT_REQUEST, str(request["spot_instance_request_id"]), change, missing_ok=True
        )
