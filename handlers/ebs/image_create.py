"""``CreateImage``: an AMI from an instance's volumes (snapshots made of them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.ebs.attachments import volumes_of_instance
from handlers.ebs.image_common import IMAGE, check_name
from handlers.ebs.image_register import (
    _claim_name,
    _common_image_fields,
    _release_name,
    bdm_from_api,
)
from handlers.ebs.image_views import find_visible
from handlers.ebs.snapshots import snapshot_volume
from handlers.ebs.volume_records import INSTANCE
from hive_gateway.core import clock, records
from hive_gateway.core.clock import now, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications


async def _instance(ctx: RequestContext, instance_id: str) -> Record:
    record = await records.get(ctx, INSTANCE, instance_id)
    state = record.get("state")
    if state == "terminated":
        raise INSTANCE.not_found(instance_id)
    if state not in ("running", "stopped"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in the 'running' or 'stopped' state.",
        )
    return record


def _apply_overrides(mappings: list[Record], overrides: Iterable[Record]) -> list[Record]:
    """CreateImage's ``BlockDeviceMappings``: drop (``NoDevice``), adjust or add devices."""
    by_device = {m["device_name"]: m for m in mappings}
    for override in overrides:
        device = override["device_name"]
        if override.get("no_device"):
            by_device.pop(device, None)
        elif device in by_device and override.get("ebs") and by_device[device].get("ebs"):
            merged = dict(by_device[device]["ebs"])
            merged.update({k: v for k, v in override["ebs"].items() if k != "snapshot_id"})
            by_device[device] = {**by_device[device], "ebs": merged}
        else:
            by_device[device] = override
    return [by_device[d] for d in sorted(by_device)]


def _override(mapping: Mapping[str, Any]) -> Record:
    """A CreateImage mapping that adjusts an attached volume's device (no new snapshot)."""
    ebs = mapping["Ebs"]
    return {
        "device_name": str(mapping["DeviceName"]),
        "ebs": {
            field: ebs[member]
            for field, member in (
                ("volume_size", "VolumeSize"),
                ("volume_type", "VolumeType"),
                ("delete_on_termination", "DeleteOnTermination"),
                ("iops", "Iops"),
                ("throughput", "Throughput"),
            )
            if ebs.get(member) is not None
        },
    }


@action("CreateImage")
async def create_image(ctx: RequestContext, params: Params) -> Result:
    """An AMI of an instance: one snapshot per attached volume, ``pending`` then ``available``.

    Snapshots are described ``Created by CreateImage(i-…) for ami-…`` as on AWS; the image is
    available once they complete. Architecture, boot mode and the like come from the image the
    instance was launched from (x86_64/hvm when it is gone).
    """
    name = str(params["Name"])
    check_name(name)
    instance_id = str(params["InstanceId"])
    instance = await _instance(ctx, instance_id)
    image_tags = tags_from_specifications(params, "image", allowed=("image", "snapshot"))
    snapshot_tags = tags_from_specifications(params, "snapshot", allowed=("image", "snapshot"))
    attached = await volumes_of_instance(ctx, instance_id)
    devices = {str(v["Attachments"][0]["Device"]) for v in attached}
    overrides: list[Record] = []
    for mapping in params.get("BlockDeviceMappings") or ():
        adjusts = mapping.get("DeviceName") in devices and mapping.get("NoDevice") is None
        if adjusts and mapping.get("Ebs"):
            overrides.append(_override(mapping))
        else:
            overrides.append(await bdm_from_api(ctx, mapping))
    source: Record | None = None
    if instance.get("image_id"):
        found = await find_visible(ctx, str(instance["image_id"]))
        source = found.record if found is not None else None
    image_id = new_id("image")
    await _claim_name(ctx, name, image_id)
    try:
        at = now()
        ready = at + clock.seconds(ctx, "image-available")
        mappings: list[Record] = []
        for volume in attached:
            attachment = volume["Attachments"][0]
            snapshot = await snapshot_volume(
                ctx,
                str(volume["VolumeId"]),
                description=f"Created by CreateImage({instance_id}) for {image_id}",
                tags=snapshot_tags,
            )
            ready = max(ready, clock.parse_time(str(snapshot["completed_at"])))
            ebs: Record = {
                "snapshot_id": snapshot["snapshot_id"],
                "volume_size": int(volume["Size"]),
                "volume_type": volume["VolumeType"],
                "delete_on_termination": bool(attachment.get("DeleteOnTermination", True)),
                "encrypted": bool(volume["Encrypted"]),
            }
            if volume["VolumeType"] in ("gp3", "io1", "io2") and volume.get("Iops") is not None:
                ebs["iops"] = int(volume["Iops"])
            if volume.get("Throughput") is not None:
                ebs["throughput"] = int(volume["Throughput"])
            if volume.get("KmsKeyId"):
                ebs["kms_key_id"] = volume["KmsKeyId"]
            mappings.append({"device_name": attachment["Device"], "ebs": ebs})
        mappings = _apply_overrides(mappings, overrides)
        root_name = (
            instance.get("root_device_name")
            or (source or {}).get("root_device_name")
            or (mappings[0]["device_name"] if mappings else "/dev/xvda")
        )
        record = _common_image_fields(ctx, image_id, name, at, stamp(ready))
        record.update(
            {
                field: source[field]
                for field in (
                    "ena_support",
                    "sriov_net_support",
                    "boot_mode",
                    "tpm_support",
                    "imds_support",
                    "platform",
                    "platform_details",
                    "usage_operation",
                    "kernel_id",
                    "ramdisk_id",
                )
                if source is not None and source.get(field) is not None
            }
        )
        record.update(
            description=str(params.get("Description") or ""),
            architecture=(source or {}).get("architecture", "x86_64"),
            virtualization_type=(source or {}).get("virtualization_type", "hvm"),
            root_device_type="ebs",
            root_device_name=root_name,
            block_device_mappings=mappings,
            source_instance_id=instance_id,
            tags=image_tags,
        )
        await records.create(ctx, IMAGE, record)
    except BaseException:
        await _release_name(ctx, name, image_id)
        raise
    return {"ImageId": image_id}
