"""The API shapes of volumes, their attachments and modifications."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers.ebs.volume_records import live_attachments, modification_state, volume_state
from handlers.ebs.volume_types import gp2_iops
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags
from hive_gateway.core.zones import zones


def _zone_id(ctx: RequestContext, zone_name: str) -> str | None:
    for zone in zones(ctx):
        if zone["ZoneName"] == zone_name:
            return str(zone["ZoneId"])
    return None


def attachment_to_api(volume_id: str, attachment: Mapping[str, Any]) -> Record:
    """One ``VolumeAttachment``."""
    return {
        "AttachTime": clock.parse_time(attachment["attach_time"]),
        "Device": attachment["device"],
        "InstanceId": attachment["instance_id"],
        "State": attachment["state"],
        "VolumeId": volume_id,
        "DeleteOnTermination": bool(attachment.get("delete_on_termination", False)),
    }


def volume_to_api(ctx: RequestContext, record: Mapping[str, Any], at: datetime) -> Record | None:
    """A volume record in the ``Volume`` shape at time ``at`` (``None`` once deleted).

    ``CreateTime`` is always present: the provider dereferences it.
    """
    state = volume_state(record, at)
    if state is None:
        return None
    volume_type = str(record["volume_type"])
    size = int(record["size"])
    api: Record = {
        "VolumeId": record["volume_id"],
        "Size": size,
        "SnapshotId": record.get("snapshot_id") or "",
        "AvailabilityZone": record["availability_zone"],
        "State": state,
        "CreateTime": clock.parse_time(record["created_at"]),
        "Attachments": [
            attachment_to_api(record["volume_id"], a) for a in live_attachments(record, at)
        ],
        "Encrypted": bool(record.get("encrypted")),
        "VolumeType": volume_type,
        "MultiAttachEnabled": bool(record.get("multi_attach_enabled", False)),
        "Tags": api_tags(record_tags(record)),
    }
    zone_id = _zone_id(ctx, str(record["availability_zone"]))
    if zone_id is not None:
        api["AvailabilityZoneId"] = zone_id
    if api["Encrypted"] and record.get("kms_key_id"):
        api["KmsKeyId"] = record["kms_key_id"]
    if volume_type == "gp2":
        api["Iops"] = gp2_iops(size)
    elif record.get("iops") is not None:
        api["Iops"] = int(record["iops"])
    if volume_type == "gp3" and record.get("throughput") is not None:
        api["Throughput"] = int(record["throughput"])
    if record.get("snapshot_id"):
        api["FastRestored"] = bool(record.get("fast_restored", False))
    return api


def modification_to_api(record: Mapping[str, Any], at: datetime) -> Record:
    """The volume's latest modification in the ``VolumeModification`` shape."""
    mod = record["modification"]
    state = modification_state(mod, at)
    api: Record = {
        "VolumeId": record["volume_id"],
        "ModificationState": state,
        "TargetSize": mod["target_size"],
        "TargetVolumeType": mod["target_volume_type"],
        "TargetMultiAttachEnabled": mod.get("target_multi_attach_enabled", False),
        "OriginalSize": mod["original_size"],
        "OriginalVolumeType": mod["original_volume_type"],
        "OriginalMultiAttachEnabled": mod.get("original_multi_attach_enabled", False),
        "Progress": {"modifying": 0, "optimizing": 50, "completed": 100}[state],
        "StartTime": clock.parse_time(mod["start_time"]),
    }
    for member, field in (
        ("TargetIops", "target_iops"),
        ("OriginalIops", "original_iops"),
        ("TargetThroughput", "target_throughput"),
        ("OriginalThroughput", "original_throughput"),
    ):
        if mod.get(field) is not None:
            api[member] = int(mod[field])
    if state == "completed":
        api["EndTime"] = clock.parse_time(mod["completed_at"])
    return api
