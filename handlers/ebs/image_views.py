"""The API shape of an AMI, its filters, and the images a caller can see."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.ebs.image_common import (
    DEFAULT_BDM_VOLUME_TYPE,
    IMAGE,
    check_image_id,
    image_state,
    not_authorized,
)
from handlers.ebs.snapshot_records import _can_see
from hive_gateway.catalogue import image_catalogue
from hive_gateway.core import records
from hive_gateway.core.clock import now
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags


def _ebs_to_api(ebs: Mapping[str, Any]) -> Record:
    api: Record = {
        "DeleteOnTermination": bool(ebs.get("delete_on_termination", True)),
        "VolumeSize": int(ebs.get("volume_size", 8)),
        "VolumeType": ebs.get("volume_type", DEFAULT_BDM_VOLUME_TYPE),
        "Encrypted": bool(ebs.get("encrypted", False)),
    }
    for member, field in (
        ("SnapshotId", "snapshot_id"),
        ("Iops", "iops"),
        ("Throughput", "throughput"),
        ("KmsKeyId", "kms_key_id"),
    ):
        if ebs.get(field) is not None:
            api[member] = ebs[field]
    return api


def bdm_to_api(mapping: Mapping[str, Any]) -> Record:
    """One record block-device mapping in the ``BlockDeviceMapping`` shape."""
    api: Record = {"DeviceName": mapping["device_name"]}
    if mapping.get("no_device"):
        api["NoDevice"] = ""
    if mapping.get("virtual_name"):
        api["VirtualName"] = mapping["virtual_name"]
    if mapping.get("ebs") is not None:
        api["Ebs"] = _ebs_to_api(mapping["ebs"])
    return api


def image_to_api(record: Mapping[str, Any], state: str) -> Record:
    """An image record in the ``Image`` shape (the members the provider's ``aws_ami`` reads)."""
    api: Record = {
        "ImageId": record["image_id"],
        "ImageLocation": record.get("image_location", f"{record['owner_id']}/{record['name']}"),
        "State": state,
        "OwnerId": record["owner_id"],
        "CreationDate": record["creation_date"],
        "Public": bool(record.get("public")),
        "ProductCodes": [
            {"ProductCodeId": p["product_code_id"], "ProductCodeType": p["product_code_type"]}
            for p in record.get("product_codes") or ()
        ],
        "Architecture": record["architecture"],
        "ImageType": record.get("image_type", "machine"),
        "PlatformDetails": record.get("platform_details", "Linux/UNIX"),
        "UsageOperation": record.get("usage_operation", "RunInstances"),
        "BlockDeviceMappings": [bdm_to_api(m) for m in record.get("block_device_mappings") or ()],
        "Hypervisor": record.get("hypervisor", "xen"),
        "Name": record["name"],
        "RootDeviceName": record["root_device_name"],
        "RootDeviceType": record["root_device_type"],
        "Tags": api_tags(record_tags(record)),
        "VirtualizationType": record["virtualization_type"],
        "DeregistrationProtection": record.get("deregistration_protection", "disabled"),
    }
    optional = (
        ("Description", "description"),
        ("EnaSupport", "ena_support"),
        ("SriovNetSupport", "sriov_net_support"),
        ("BootMode", "boot_mode"),
        ("TpmSupport", "tpm_support"),
        ("ImdsSupport", "imds_support"),
        ("DeprecationTime", "deprecation_time"),
        ("LastLaunchedTime", "last_launched_time"),
        ("SourceInstanceId", "source_instance_id"),
        ("SourceImageId", "source_image_id"),
        ("SourceImageRegion", "source_image_region"),
        ("KernelId", "kernel_id"),
        ("RamdiskId", "ramdisk_id"),
        ("Platform", "platform"),
        ("ImageOwnerAlias", "image_owner_alias"),
    )
    for member, field in optional:
        value = record.get(field)
        if value is not None and value != "":
            api[member] = value
    reason = record.get("state_reason")
    if reason:
        api["StateReason"] = {"Code": reason.get("code", ""), "Message": reason.get("message", "")}
    return api


@dataclass(frozen=True, slots=True)
class ImageView:
    """One image as the caller sees it: its record, its API form, and who may select it."""

    record: Record
    api: Record
    owner_ids: frozenset[str]
    catalogue: bool

    @property
    def image_id(self) -> str:
        return str(self.api["ImageId"])


def _bdms(key: str, ebs: bool = True) -> Callable[[ImageView], list[Any]]:
    if not ebs:
        return lambda v: [m.get(key) for m in v.api["BlockDeviceMappings"]]
    return lambda v: [m["Ebs"].get(key) for m in v.api["BlockDeviceMappings"] if "Ebs" in m]


def _none(_: ImageView) -> None:
    return None


IMAGE_FILTERS: FilterSpec[ImageView] = FilterSpec(
    fields={
        "architecture": lambda v: v.api["Architecture"],
        "block-device-mapping.delete-on-termination": _bdms("DeleteOnTermination"),
        "block-device-mapping.device-name": _bdms("DeviceName", ebs=False),
        "block-device-mapping.snapshot-id": _bdms("SnapshotId"),
        "block-device-mapping.volume-size": _bdms("VolumeSize"),
        "block-device-mapping.volume-type": _bdms("VolumeType"),
        "block-device-mapping.encrypted": _bdms("Encrypted"),
        "boot-mode": lambda v: v.api.get("BootMode"),
        "creation-date": lambda v: v.api["CreationDate"],
        "description": lambda v: v.api.get("Description"),
        "ena-support": lambda v: v.api.get("EnaSupport"),
        "free-tier-eligible": lambda v: False,
        "hypervisor": lambda v: v.api["Hypervisor"],
        "image-allowed": lambda v: True,
        "image-id": lambda v: v.api["ImageId"],
        "image-type": lambda v: v.api["ImageType"],
        "image-watermark.source-image-creation-time": _none,
        "image-watermark.source-image-id": _none,
        "image-watermark.source-image-region": _none,
        "image-watermark.watermark-creation-time": _none,
        "image-watermark.watermark-key": _none,
        "imds-support": lambda v: v.api.get("ImdsSupport"),
        "instance-type-specification.supported-instance-type": _none,
        "instance-type-specification.unsupported-instance-type": _none,
        "is-public": lambda v: v.api["Public"],
        "kernel-id": lambda v: v.api.get("KernelId"),
        "manifest-location": lambda v: v.api["ImageLocation"],
        "name": lambda v: v.api["Name"],
        "owner-alias": lambda v: v.api.get("ImageOwnerAlias"),
        "owner-id": lambda v: sorted(v.owner_ids),
        "platform": lambda v: v.api.get("Platform"),
        "product-code": lambda v: [p["ProductCodeId"] for p in v.api["ProductCodes"]],
        "product-code.type": lambda v: [p["ProductCodeType"] for p in v.api["ProductCodes"]],
        "public-ssm-parameter-name": _none,
        "ramdisk-id": lambda v: v.api.get("RamdiskId"),
        "root-device-name": lambda v: v.api["RootDeviceName"],
        "root-device-type": lambda v: v.api["RootDeviceType"],
        "scan-result.critical-fix-available-since": _none,
        "scan-result.finding-scan-date": _none,
        "scan-result.high-fix-available-since": _none,
        "scan-result.highest-finding-severity-label": _none,
        "scan-result.informational-fix-available-since": _none,
        "scan-result.low-fix-available-since": _none,
        "scan-result.medium-fix-available-since": _none,
        "source-image-id": lambda v: v.api.get("SourceImageId"),
        "source-image-region": lambda v: v.api.get("SourceImageRegion"),
        "source-instance-id": lambda v: v.api.get("SourceInstanceId"),
        "sriov-net-support": lambda v: v.api.get("SriovNetSupport"),
        "state": lambda v: v.api["State"],
        "state-reason-code": lambda v: (v.api.get("StateReason") or {}).get("Code"),
        "state-reason-message": lambda v: (v.api.get("StateReason") or {}).get("Message"),
        "virtualization-type": lambda v: v.api["VirtualizationType"],
    },
    tags=lambda v: {t["Key"]: t["Value"] for t in v.api["Tags"]},
)


# --- visibility --------------------------------------------------------------------------------


def _view(record: Record, state: str, *, catalogue: bool) -> ImageView:
    owners = frozenset({str(record["owner_id"]), *(record.get("owner_aliases") or ())})
    return ImageView(record, image_to_api(record, state), owners, catalogue)


async def visible_images(ctx: RequestContext, at: datetime) -> list[ImageView]:
    """Every image the caller can see now: catalogue, own, shared and public."""
    views: list[ImageView] = []
    for owner, record in await records.every_account(ctx, IMAGE):
        record.setdefault("owner_id", owner)
        state = image_state(record, at)
        if state is None:
            if owner == ctx.account_id:
                await records.delete(ctx, IMAGE, str(record["image_id"]))
            continue
        if owner == ctx.account_id or _can_see(record, ctx.account_id):
            views.append(_view(record, state, catalogue=False))
    known = {view.image_id for view in views}
    for entry in image_catalogue.catalogue():
        if entry["image_id"] in known or not _can_see(entry, ctx.account_id):
            continue
        state = image_state(entry, at)
        if state is not None:
            views.append(_view(dict(entry), state, catalogue=True))
    return views


async def find_visible(ctx: RequestContext, image_id: str) -> ImageView | None:
    """The caller's view of ``image_id`` (any state but gone), or ``None``."""
    at = now()
    own = await records.find(ctx, IMAGE, image_id)
    if own is not None:
        own.setdefault("owner_id", ctx.account_id)
        state = image_state(own, at)
        return _view(own, state, catalogue=False) if state is not None else None
    entry = image_catalogue.find_image(image_id)
    if entry is not None and _can_see(entry, ctx.account_id):
        state = image_state(entry, at)
        return _view(entry, state, catalogue=True) if state is not None else None
    for view in await visible_images(ctx, at):
        if view.image_id == image_id:
            return view
    return None


async def get_image(ctx: RequestContext, image_id: str, *, for_launch: bool = False) -> Record:
    """The ``Image`` API form of an image the caller may launch (for RunInstances).

    Unknown, invisible, deregistered or malformed ids raise ``InvalidAMIID.NotFound`` /
    ``InvalidAMIID.Malformed``. With ``for_launch`` a ``pending`` image is
    ``InvalidAMIID.Unavailable`` (AWS cannot run it yet). The block-device mappings name the
    root snapshot (``Ebs.SnapshotId``, ``VolumeSize``, ``VolumeType``…) for
    :func:`handlers.volumes.create_root_volume`.
    """
    check_image_id(image_id)
    view = await find_visible(ctx, image_id)
    if view is None or view.api["State"] == "deregistered":
        raise IMAGE.not_found(image_id)
    if for_launch and view.api["State"] != "available":
        raise AwsError(
            "InvalidAMIID.Unavailable",
            f"AMI '{image_id}' is {view.api['State']}, and cannot be run",
        )
    return view.api


async def get_own_image(ctx: RequestContext, image_id: str) -> ImageView:
    """An image the caller owns; visible but not owned is ``AuthFailure``."""
    check_image_id(image_id)
    view = await find_visible(ctx, image_id)
    if view is None:
        raise IMAGE.not_found(image_id)
    if view.catalogue or view.record.get("owner_id") != ctx.account_id:
        raise not_authorized(image_id)
    return view
