"""DescribeVolumes, DescribeVolumesModifications, DescribeVolumeStatus and filters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handlers.ebs.volume_records import VOLUME, visible_volumes
from handlers.ebs.volume_views import modification_to_api, volume_to_api
from hive_gateway.core import describe
from hive_gateway.core.clock import filter_time, now
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


def _attachments(key: str) -> Callable[[Record], list[Any]]:
    return lambda v: [a[key] for a in v["Attachments"]]


VOLUME_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "attachment.attach-time": lambda v: [
            filter_time(a["AttachTime"]) for a in v["Attachments"]
        ],
        "attachment.delete-on-termination": _attachments("DeleteOnTermination"),
        "attachment.device": _attachments("Device"),
        "attachment.instance-id": _attachments("InstanceId"),
        "attachment.status": _attachments("State"),
        "availability-zone": lambda v: v["AvailabilityZone"],
        "availability-zone-id": lambda v: v.get("AvailabilityZoneId"),
        "create-time": lambda v: filter_time(v["CreateTime"]),
        "encrypted": lambda v: v["Encrypted"],
        "fast-restored": lambda v: v.get("FastRestored", False),
        "multi-attach-enabled": lambda v: v["MultiAttachEnabled"],
        "operator.managed": lambda v: False,
        "operator.principal": lambda v: None,
        "size": lambda v: v["Size"],
        "snapshot-id": lambda v: v["SnapshotId"],
        "status": lambda v: v["State"],
        "volume-id": lambda v: v["VolumeId"],
        "volume-type": lambda v: v["VolumeType"],
    },
    tags=lambda v: {t["Key"]: t["Value"] for t in v["Tags"]},
)


MODIFICATION_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "modification-state": lambda m: m["ModificationState"],
        "original-iops": lambda m: m.get("OriginalIops"),
        "original-size": lambda m: m["OriginalSize"],
        "original-volume-type": lambda m: m["OriginalVolumeType"],
        "originalMultiAttachEnabled": lambda m: m["OriginalMultiAttachEnabled"],
        "start-time": lambda m: filter_time(m["StartTime"]),
        "target-iops": lambda m: m.get("TargetIops"),
        "target-size": lambda m: m["TargetSize"],
        "target-volume-type": lambda m: m["TargetVolumeType"],
        "targetMultiAttachEnabled": lambda m: m["TargetMultiAttachEnabled"],
        "volume-id": lambda m: m["VolumeId"],
    },
)


def _status_details(s: Record) -> list[Record]:
    return list(s["VolumeStatus"]["Details"])


VOLUME_STATUS_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "action.code": lambda s: [a["Code"] for a in s["Actions"]],
        "action.description": lambda s: [a["Description"] for a in s["Actions"]],
        "action.event-id": lambda s: [a["EventId"] for a in s["Actions"]],
        "attachment-status.instance-id": lambda s: [
            a["InstanceId"] for a in s["AttachmentStatuses"]
        ],
        "attachment-status.io-performance": lambda s: [
            a["IoPerformance"] for a in s["AttachmentStatuses"]
        ],
        "availability-zone": lambda s: s["AvailabilityZone"],
        "event.description": lambda s: [e["Description"] for e in s["Events"]],
        "event.event-id": lambda s: [e["EventId"] for e in s["Events"]],
        "event.event-type": lambda s: [e["EventType"] for e in s["Events"]],
        "event.not-after": lambda s: [filter_time(e.get("NotAfter")) for e in s["Events"]],
        "event.not-before": lambda s: [filter_time(e.get("NotBefore")) for e in s["Events"]],
        "volume-status.details-name": lambda s: [d["Name"] for d in _status_details(s)],
        "volume-status.details-status": lambda s: [d["Status"] for d in _status_details(s)],
        "volume-status.status": lambda s: s["VolumeStatus"]["Status"],
    },
)


@action("DescribeVolumes")
async def describe_volumes(ctx: RequestContext, params: Params) -> Result:
    """Ids (each must exist), filters, pages."""
    at = now()
    items = [
        api
        for api in (volume_to_api(ctx, r, at) for r in await visible_volumes(ctx, at))
        if api is not None
    ]
    return describe.describe_items(
        items,
        params,
        kind=VOLUME,
        id_member="VolumeId",
        ids_param="VolumeIds",
        result_key="Volumes",
        spec=VOLUME_FILTERS,
    )


@action("DescribeVolumesModifications")
async def describe_volumes_modifications(ctx: RequestContext, params: Params) -> Result:
    """The latest modification of each volume (``StartTime`` always present)."""
    at = now()
    rows = await visible_volumes(ctx, at)
    wanted: list[str] = list(params.get("VolumeIds") or [])
    if wanted:
        describe.check_ids_exist(VOLUME, wanted, {str(r["volume_id"]) for r in rows})
        by_id = {str(r["volume_id"]): r for r in rows}
        for volume_id in wanted:
            if not by_id[volume_id].get("modification"):
                raise AwsError(
                    "InvalidVolumeModification.NotFound",
                    f"Modification for volume '{volume_id}' does not exist.",
                )
    items = [modification_to_api(r, at) for r in rows if r.get("modification")]
    return describe.describe_items(
        items,
        params,
        kind=None,  # ids were checked above, against every volume
        id_member="VolumeId",
        ids_param="VolumeIds",
        result_key="VolumesModifications",
        spec=MODIFICATION_FILTERS,
    )


def _status_item(api: Mapping[str, Any]) -> Record:
    return {
        "VolumeId": api["VolumeId"],
        "AvailabilityZone": api["AvailabilityZone"],
        **(
            {"AvailabilityZoneId": api["AvailabilityZoneId"]} if "AvailabilityZoneId" in api else {}
        ),
        "VolumeStatus": {
            "Status": "ok",
            "Details": [
                {"Name": "io-enabled", "Status": "passed"},
                {"Name": "io-performance", "Status": "not-applicable"},
            ],
        },
        "Events": [],
        "Actions": [],
        "AttachmentStatuses": [
            {"InstanceId": a["InstanceId"], "IoPerformance": "not-applicable"}
            for a in api["Attachments"]
        ],
    }


@action("DescribeVolumeStatus")
async def describe_volume_status(ctx: RequestContext, params: Params) -> Result:
    """Every volume is ``ok`` with I/O enabled; no events, no actions."""
    at = now()
    items = [
        _status_item(api)
        for api in (volume_to_api(ctx, r, at) for r in await visible_volumes(ctx, at))
        if api is not None
    ]
    return describe.describe_items(
        items,
        params,
        kind=VOLUME,
        id_member="VolumeId",
        ids_param="VolumeIds",
        result_key="VolumeStatuses",
        spec=VOLUME_STATUS_FILTERS,
    )
