"""``RegisterImage``: block-device mappings from the request, names claimed per account."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers.ebs.image_common import DEFAULT_BDM_VOLUME_TYPE, IMAGE, check_name, image_state
from handlers.ebs.snapshot_records import get_visible_snapshot
from handlers.ebs.volume_types import check_size, resolve_performance
from hive_gateway.core import claims, clock, records
from hive_gateway.core.clock import now, reached, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

# --- name claims -------------------------------------------------------------------------------


def _name_claim(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]


async def _claim_name(ctx: RequestContext, name: str, image_id: str) -> None:
    """Claim ``name`` for ``image_id`` in the caller's account (compare-and-swap).

    Another image's claim stands while that image is registered, or while the claim is young (a
    create in progress); a stale one (:data:`~hive_gateway.core.claims.IMAGE_NAMES`) is taken over.
    An image registered before names were claimed in their own space also keeps its name.
    """

    def registered(image: Record | None) -> bool:
        return image is not None and image_state(image, now()) not in (None, "deregistered")

    async def held(current: Record) -> bool | None:
        return True if registered(await records.find(ctx, IMAGE, str(current["holder"]))) else None

    def duplicate(holder: str) -> AwsError:
        return AwsError(
            "InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {holder}"
        )

    claim = await claims.take(
        ctx, claims.IMAGE_NAMES, _name_claim(name), image_id, data={"name": name}, held=held
    )
    if not claim.ours:
        raise duplicate(str(claim.value["holder"]))
    if claim.fresh:
        for other in await records.where(ctx, IMAGE, live_only=False, name=name):
            if other["image_id"] != image_id and registered(other):
                await _release_name(ctx, name, image_id)
                raise duplicate(str(other["image_id"]))


async def _release_name(ctx: RequestContext, name: str, image_id: str) -> None:
    await claims.release(ctx, claims.IMAGE_NAMES, _name_claim(name), image_id)


async def _store_new_image(ctx: RequestContext, record: Record) -> None:
    """Claim the name, then write the record (releasing the claim if the write fails)."""
    await _claim_name(ctx, str(record["name"]), str(record["image_id"]))
    try:
        await records.create(ctx, IMAGE, record)
    except BaseException:
        await _release_name(ctx, str(record["name"]), str(record["image_id"]))
        raise


# --- block-device mappings from requests -------------------------------------------------------


async def _ebs_from_api(ctx: RequestContext, device: str, ebs: Mapping[str, Any]) -> Record:
    """A request's ``Ebs`` mapping as a record mapping, with AWS's defaults and checks."""
    volume_type = str(ebs.get("VolumeType") or DEFAULT_BDM_VOLUME_TYPE)
    size = ebs.get("VolumeSize")
    encrypted = bool(ebs.get("Encrypted", False))
    kms_key_id = ebs.get("KmsKeyId")
    snapshot_id = ebs.get("SnapshotId")
    if snapshot_id:
        snapshot = await get_visible_snapshot(ctx, str(snapshot_id))
        snapshot_size = int(snapshot["volume_size"])
        if size is None:
            size = snapshot_size
        elif size < snapshot_size:
            raise invalid_parameter_value(
                f"Volume of {size}GiB is smaller than snapshot '{snapshot_id}', "
                f"expect size >= {snapshot_size}GiB"
            )
        encrypted = encrypted or bool(snapshot.get("encrypted"))
        kms_key_id = kms_key_id or snapshot.get("kms_key_id")
    if size is None:
        raise invalid_parameter_value(
            f"The block device mapping for {device} must specify a snapshot or a volume size."
        )
    check_size(volume_type, int(size))
    iops, throughput = resolve_performance(
        volume_type, int(size), ebs.get("Iops"), ebs.get("Throughput")
    )
    record: Record = {
        "volume_size": int(size),
        "volume_type": volume_type,
        "delete_on_termination": bool(ebs.get("DeleteOnTermination", True)),
        "encrypted": encrypted,
    }
    for field, value in (
        ("snapshot_id", snapshot_id),
        ("iops", iops),
        ("throughput", throughput),
        ("kms_key_id", kms_key_id),
    ):
        if value is not None:
            record[field] = value
    return record


async def bdm_from_api(ctx: RequestContext, mapping: Mapping[str, Any]) -> Record:
    """One request ``BlockDeviceMapping`` as a record mapping."""
    device = mapping.get("DeviceName")
    if not device:
        raise missing_parameter("BlockDeviceMapping.DeviceName")
    record: Record = {"device_name": str(device)}
    if mapping.get("NoDevice") is not None:
        record["no_device"] = True
        return record
    if mapping.get("VirtualName"):
        record["virtual_name"] = str(mapping["VirtualName"])
    if mapping.get("Ebs") is not None:
        record["ebs"] = await _ebs_from_api(ctx, str(device), mapping["Ebs"])
    return record


def _common_image_fields(
    ctx: RequestContext, image_id: str, name: str, at: datetime, available_at: str
) -> Record:
    return {
        "image_id": image_id,
        "name": name,
        "owner_id": ctx.account_id,
        "state": "pending" if not reached(available_at, at) else "available",
        "image_type": "machine",
        "hypervisor": "xen",
        "image_location": f"{ctx.account_id}/{name}",
        "platform_details": "Linux/UNIX",
        "usage_operation": "RunInstances",
        "public": False,
        "shared_with": [],
        "product_codes": [],
        "creation_date": stamp(at),
        "created_at": stamp(at),
        "available_at": available_at,
        "deregistration_protection": "disabled",
    }


# --- actions -----------------------------------------------------------------------------------


@action("RegisterImage")
async def register_image(ctx: RequestContext, params: Params) -> Result:
    """An AMI from snapshots (``BlockDeviceMappings`` with the root device) or a manifest."""
    name = str(params["Name"])
    check_name(name)
    tags = tags_from_specifications(params, "image")
    mappings = [await bdm_from_api(ctx, m) for m in params.get("BlockDeviceMappings") or ()]
    root_name = params.get("RootDeviceName")
    location = params.get("ImageLocation")
    if mappings:
        root = next((m for m in mappings if m["device_name"] == root_name), None)
        if root_name is None:
            root = next((m for m in mappings if (m.get("ebs") or {}).get("snapshot_id")), None)
        if root is None or not (root.get("ebs") or {}).get("snapshot_id"):
            raise AwsError(
                "InvalidBlockDeviceMapping",
                f"The root device name {root_name or '(none)'} must be the device of a block "
                "device mapping with a snapshot.",
            )
        root_name = root["device_name"]
        root_type = "ebs"
    elif location:
        root_type = "instance-store"
        root_name = root_name or "/dev/sda1"
    else:
        raise invalid_parameter_combination(
            "Either ImageLocation or BlockDeviceMappings with a root device snapshot must be "
            "specified."
        )
    at = now()
    image_id = new_id("image")
    record = _common_image_fields(ctx, image_id, name, at, clock.after(ctx, "image-available", at))
    record.update(
        description=str(params.get("Description") or ""),
        architecture=params.get("Architecture") or "i386",
        virtualization_type=params.get("VirtualizationType") or "paravirtual",
        root_device_type=root_type,
        root_device_name=root_name,
        block_device_mappings=mappings,
        tags=tags,
    )
    if location:
        record["image_location"] = str(location)
    for field, member in (
        ("ena_support", "EnaSupport"),
        ("sriov_net_support", "SriovNetSupport"),
        ("boot_mode", "BootMode"),
        ("tpm_support", "TpmSupport"),
        ("imds_support", "ImdsSupport"),
        ("uefi_data", "UefiData"),
        ("kernel_id", "KernelId"),
        ("ramdisk_id", "RamdiskId"),
    ):
        if params.get(member) is not None:
            record[field] = params[member]
    if record.get("imds_support") not in (None, "v2.0"):
        raise invalid_parameter_value(
            f"Value ({record['imds_support']}) for parameter imdsSupport is invalid. "
            "Valid value: v2.0"
        )
    await _store_new_image(ctx, record)
    return {"ImageId": image_id}
