"""``ModifyVolume``, Describe/ModifyVolumeAttribute and ``EnableVolumeIO``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers.ebs.attachments import _incorrect_state
from handlers.ebs.volume_records import _mutate_volume, get_volume, modification_state, volume_state
from handlers.ebs.volume_types import (
    VOLUME_TYPES,
    check_multi_attach,
    check_size,
    gp2_iops,
    resolve_performance,
)
from handlers.ebs.volume_views import modification_to_api
from hive_gateway.core import clock
from hive_gateway.core.clock import now, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


def _modification_targets(record: Mapping[str, Any], params: Mapping[str, Any]) -> Record:
    """Validate a ModifyVolume request against the volume; the modification's fields."""
    volume_id = record["volume_id"]
    original_type = str(record["volume_type"])
    original_size = int(record["size"])
    target_type = str(params.get("VolumeType") or original_type)
    target_size = params.get("Size")
    if target_size is None:
        target_size = original_size
    if target_size < original_size:
        raise invalid_parameter_value("New size cannot be smaller than existing size")
    check_size(target_type, target_size)
    iops = params.get("Iops")
    throughput = params.get("Throughput")
    if target_type == original_type:
        if iops is None and VOLUME_TYPES[target_type].iops is not None:
            iops = record.get("iops")
        if throughput is None and VOLUME_TYPES[target_type].throughput is not None:
            throughput = record.get("throughput")
    elif iops is None and VOLUME_TYPES[target_type].iops is not None:
        iops = 3000
    target_iops, target_throughput = resolve_performance(target_type, target_size, iops, throughput)
    multi = params.get("MultiAttachEnabled")
    target_multi = bool(record.get("multi_attach_enabled")) if multi is None else bool(multi)
    check_multi_attach(target_type, target_multi)
    original_iops = gp2_iops(original_size) if original_type == "gp2" else record.get("iops")
    if target_type == "gp2":
        target_iops = gp2_iops(target_size)
    unchanged = (
        target_size == original_size
        and target_type == original_type
        and target_iops == original_iops
        and target_throughput == record.get("throughput")
        and target_multi == bool(record.get("multi_attach_enabled"))
    )
    if unchanged:
        raise invalid_parameter_combination(
            f"New configuration of volume {volume_id} is the same as its current configuration."
        )
    return {
        "original_size": original_size,
        "target_size": target_size,
        "original_volume_type": original_type,
        "target_volume_type": target_type,
        "original_iops": original_iops,
        "target_iops": target_iops,
        "original_throughput": record.get("throughput"),
        "target_throughput": target_throughput,
        "original_multi_attach_enabled": bool(record.get("multi_attach_enabled")),
        "target_multi_attach_enabled": target_multi,
    }


@action("ModifyVolume")
async def modify_volume(ctx: RequestContext, params: Params) -> Result:
    """Grow, retype or re-provision; ``modifying`` → ``optimizing`` → ``completed``.

    The volume shows the target values at once (as AWS does once the request is accepted).
    """
    volume_id = str(params["VolumeId"])

    def modify(record: Record, at: datetime) -> Record:
        state = volume_state(record, at)
        if state not in ("available", "in-use"):
            raise _incorrect_state(volume_id, str(state))
        current = record.get("modification")
        if current and modification_state(current, at) != "completed":
            raise AwsError(
                "IncorrectModificationState",
                f"Volume {volume_id} is already being modified "
                f"(modification state '{modification_state(current, at)}').",
            )
        targets = _modification_targets(record, params)
        record["modification"] = {
            **targets,
            "start_time": stamp(at),
            "optimizing_at": clock.after(ctx, "volume-optimizing", at),
            "completed_at": clock.after(
                ctx,
                "volume-modified",
                at + clock.seconds(ctx, "volume-optimizing"),
            ),
        }
        record.update(
            size=targets["target_size"],
            volume_type=targets["target_volume_type"],
            iops=None if targets["target_volume_type"] == "gp2" else targets["target_iops"],
            throughput=targets["target_throughput"],
            multi_attach_enabled=targets["target_multi_attach_enabled"],
        )
        return record

    stored = await _mutate_volume(ctx, volume_id, modify)
    return {"VolumeModification": modification_to_api(stored, now())}


@action("DescribeVolumeAttribute")
async def describe_volume_attribute(ctx: RequestContext, params: Params) -> Result:
    """``autoEnableIO`` (false unless set) and ``productCodes`` (none)."""
    record = await get_volume(ctx, str(params["VolumeId"]))
    result: Record = {"VolumeId": record["volume_id"]}
    if params["Attribute"] == "autoEnableIO":
        result["AutoEnableIO"] = {"Value": bool(record.get("auto_enable_io", False))}
    else:
        result["ProductCodes"] = []
    return result


@action("ModifyVolumeAttribute")
async def modify_volume_attribute(ctx: RequestContext, params: Params) -> Result:
    """Set ``autoEnableIO``."""
    volume_id = str(params["VolumeId"])
    value = (params.get("AutoEnableIO") or {}).get("Value")
    if value is None:
        raise missing_parameter("AutoEnableIO")

    def set_flag(record: Record, at: datetime) -> Record:
        record["auto_enable_io"] = bool(value)
        return record

    await _mutate_volume(ctx, volume_id, set_flag)
    return None


@action("EnableVolumeIO")
async def enable_volume_io(ctx: RequestContext, params: Params) -> Result:
    """I/O is never suspended here: succeeds for any volume the caller has."""
    await get_volume(ctx, str(params["VolumeId"]))
    return None
