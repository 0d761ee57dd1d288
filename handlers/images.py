"""AMIs: the public catalogue, RegisterImage/CreateImage/DeregisterImage, DescribeImages,
image attributes and GetInstanceUefiData.

Every account sees the catalogue images (:mod:`hive_gateway.catalogue.image_catalogue`, owned by the system
account ``000000000000``; ``HIVE_GATEWAY_IMAGE_CATALOGUE`` extends or replaces them), its own
images, images other accounts shared with it (``launchPermission`` user ids) and public ones
(group ``all``). Another account's private image is indistinguishable from a missing one
(``InvalidAMIID.NotFound: The image id '[ami-…]' does not exist``).

Images an account registers live in the ``images`` bucket (``<account>.<ami-id>``). States are
computed lazily from stored times: ``CreateImage``/``RegisterImage`` give ``pending`` until
``available_at``; ``DeregisterImage`` gives ``deregistered`` until ``gone_at``, then the id is
unknown (the provider's finder maps ``deregistered`` to "gone" anyway).

AWS rules reproduced: AMI names are 3–128 characters of letters, digits and ``()[] ./-'@_``
(``InvalidAMIName.Malformed``) and unique per account (``InvalidAMIName.Duplicate``, claimed by
compare-and-swap so concurrent registrations cannot both win); ``RegisterImage`` defaults to
``i386``/``paravirtual`` as documented; deprecated images are listed only with
``IncludeDeprecated`` (or by id, or to their owner), disabled ones only with
``IncludeDisabled``; ``Owners`` accepts ``self``, ``amazon``, ``aws-marketplace``,
``aws-backup-vault`` and account ids (``InvalidUserID.Malformed`` otherwise); attribute actions on
an image one can see but does not own (every catalogue image) are
``AuthFailure: Not authorized for image:ami-…``; ``ModifyImageAttribute`` that changes nothing
writes nothing (Hive's guard against ``aws_ami`` refresh churn).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from handlers import snapshots, volumes
from handlers.volumes import resolve_performance
from hive_gateway.catalogue import image_catalogue
from hive_gateway.core import claims, clock, dependents, records
from hive_gateway.core.clock import now, reached, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.ids import new_id
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

IMAGE: Final = KINDS["image"]
INSTANCE: Final = KINDS["instance"]

_IMAGE_ID: Final = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_ACCOUNT: Final = re.compile(r"^[0-9]{12}$")
_AMI_NAME: Final = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")
OWNER_ALIASES: Final = ("amazon", "aws-marketplace", "aws-backup-vault")
DEFAULT_BDM_VOLUME_TYPE: Final = "gp2"

catalogue_at_start = image_catalogue.catalogue()
"""Read at import so a bad ``HIVE_GATEWAY_IMAGE_CATALOGUE`` fails the gateway at start-up."""


# --- ids, names, errors ------------------------------------------------------------------------


def check_image_id(image_id: str) -> None:
    """``InvalidAMIID.Malformed`` unless ``ami-`` + 8 or 17 hex digits."""
    if not _IMAGE_ID.match(image_id):
        raise AwsError("InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")')


def image_not_found(image_ids: Sequence[str]) -> AwsError:
    """``InvalidAMIID.NotFound`` for one id or several."""
    if len(image_ids) == 1:
        return IMAGE.not_found(image_ids[0])
    return AwsError(
        "InvalidAMIID.NotFound", f"The image ids '[{', '.join(image_ids)}]' do not exist"
    )


def not_authorized(image_id: str) -> AwsError:
    """An image the caller can see but does not own."""
    return AwsError("AuthFailure", f"Not authorized for image:{image_id}")


def check_name(name: str) -> None:
    """AWS's AMI name rule."""
    if not _AMI_NAME.match(name):
        raise AwsError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, "
            "numbers, '(', ')', '.', '-', '/' and '_'",
        )


# --- state and rendering -----------------------------------------------------------------------


def image_state(record: Mapping[str, Any], at: datetime) -> str | None:
    """The visible ``State`` (``None`` once a deregistration has run its course)."""
    if record.get("deregistered_at") is not None:
        return None if reached(record.get("gone_at"), at) else "deregistered"
    if not reached(record.get("available_at"), at):
        return "pending"
    stored = str(record.get("state", "available"))
    return "available" if stored == "pending" else stored


@live("image")
def image_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deregistered image shows as ``deregistered`` until ``gone_at``, then its id is unknown
    (``InvalidAMIID.NotFound``) to every action."""
    return image_state(record, at) is not None


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


def _can_see(record: Mapping[str, Any], account_id: str) -> bool:
    return (
        record.get("owner_id") == account_id
        or bool(record.get("public"))
        or account_id in (record.get("shared_with") or ())
    )


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


def _uses_snapshot(image: Record, snapshot: Record) -> bool:
    """Whether one of ``image``'s block device mappings restores ``snapshot``."""
    return any(
        (mapping.get("ebs") or {}).get("snapshot_id") == snapshot.get("snapshot_id")
        for mapping in image.get("block_device_mappings") or ()
    )


# A registered image holds on to the snapshots it restores (DeleteSnapshot answers
# InvalidSnapshot.InUse naming the first such image).
dependents.blocks(
    "snapshot",
    by="image",
    where=_uses_snapshot,
    unless=lambda image: image_state(image, now()) in (None, "deregistered"),
)


async def images_using_snapshot(ctx: RequestContext, snapshot_id: str) -> list[str]:
    """The caller's registered (not deregistered) images whose mappings use ``snapshot_id``."""
    at = now()
    users: list[str] = []
    for record in await records.list_records(ctx, IMAGE):
        if image_state(record, at) in (None, "deregistered"):
            continue
        for mapping in record.get("block_device_mappings") or ():
            if (mapping.get("ebs") or {}).get("snapshot_id") == snapshot_id:
                users.append(str(record["image_id"]))
                break
    return sorted(users)


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
        snapshot = await snapshots.get_visible_snapshot(ctx, str(snapshot_id))
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
    volumes.check_size(volume_type, int(size))
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
    attached = await volumes.volumes_of_instance(ctx, instance_id)
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
            snapshot = await snapshots.snapshot_volume(
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


@action("DeregisterImage")
async def deregister_image(ctx: RequestContext, params: Params) -> Result:
    """``deregistered`` for a short while, then unknown; optionally deletes its snapshots."""
    image_id = str(params["ImageId"])
    view = await get_own_image(ctx, image_id)
    if view.api["State"] == "deregistered":
        raise AwsError(
            "InvalidAMIID.Unavailable", f"The image id '[{image_id}]' is no longer available"
        )

    def mark(record: Record) -> Record:
        at = now()
        if record.get("deregistered_at") is None:
            record["deregistered_at"] = stamp(at)
            record["gone_at"] = clock.after(ctx, "image-deregistered", at)
        record["state"] = "deregistered"
        return record

    await records.mutate(ctx, IMAGE, image_id, mark)
    await _release_name(ctx, str(view.record["name"]), image_id)
    result: Record = {"Return": True}
    if params.get("DeleteAssociatedSnapshots"):
        outcomes: list[Record] = []
        for mapping in view.record.get("block_device_mappings") or ():
            snapshot_id = (mapping.get("ebs") or {}).get("snapshot_id")
            if not snapshot_id:
                continue
            code = "success"
            try:
                await snapshots.get_own_snapshot(ctx, str(snapshot_id))
                if await images_using_snapshot(ctx, str(snapshot_id)):
                    code = "skipped"
                else:
                    await records.delete(ctx, snapshots.SNAPSHOT, str(snapshot_id))
            except AwsError as error:
                code = (
                    "missing-permissions"
                    if error.code == "UnauthorizedOperation"
                    else "client-error"
                )
            outcomes.append({"SnapshotId": snapshot_id, "ReturnCode": code})
        result["DeleteSnapshotResults"] = outcomes
    return result


def _owner_matches(view: ImageView, owners: Sequence[str], account_id: str) -> bool:
    for owner in owners:
        if owner == "self":
            if not view.catalogue and view.record.get("owner_id") == account_id:
                return True
        elif owner in OWNER_ALIASES:
            if view.api.get("ImageOwnerAlias") == owner:
                return True
        elif owner in view.owner_ids:
            return True
    return False


def _executable_by(view: ImageView, users: Sequence[str], account_id: str) -> bool:
    shared = view.record.get("shared_with") or ()
    for user in users:
        if user == "all":
            if view.api["Public"]:
                return True
        elif user in ("self", account_id):
            if account_id in shared or (
                not view.catalogue and view.record.get("owner_id") == account_id
            ):
                return True
        elif user in shared:
            return True
    return False


def _deprecated(view: ImageView, at: datetime) -> bool:
    deprecation = view.record.get("deprecation_time")
    return deprecation is not None and reached(str(deprecation), at)


@action("DescribeImages")
async def describe_images(ctx: RequestContext, params: Params) -> Result:
    """Catalogue, own, shared and public images, narrowed as AWS narrows them."""
    at = now()
    views = await visible_images(ctx, at)
    wanted: list[str] = list(params.get("ImageIds") or [])
    for image_id in wanted:
        check_image_id(image_id)
    owners: list[str] = list(params.get("Owners") or [])
    for owner in owners:
        if owner != "self" and owner not in OWNER_ALIASES and not _ACCOUNT.match(owner):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{owner}"')
    users: list[str] = list(params.get("ExecutableUsers") or [])
    for user in users:
        if user not in ("self", "all") and not _ACCOUNT.match(user):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{user}"')
    if wanted:
        present = {view.image_id for view in views}
        missing = [image_id for image_id in wanted if image_id not in present]
        if missing:
            raise image_not_found(missing)
        views = [view for view in views if view.image_id in set(wanted)]
    else:
        if not params.get("IncludeDeprecated"):
            views = [
                v
                for v in views
                if not _deprecated(v, at)
                or (not v.catalogue and v.record["owner_id"] == ctx.account_id)
            ]
        if not params.get("IncludeDisabled"):
            views = [v for v in views if v.api["State"] != "disabled"]
    if owners:
        views = [v for v in views if _owner_matches(v, owners, ctx.account_id)]
    if users:
        views = [v for v in views if _executable_by(v, users, ctx.account_id)]
    views = apply_filters(IMAGE_FILTERS, params.get("Filters"), views)
    page = paginate(views, params, key=lambda v: v.image_id, ids_param="ImageIds")
    return {"Images": [v.api for v in page.items], **page.token_member()}


# --- attributes --------------------------------------------------------------------------------


def _value(value: Any) -> Record:
    return {"Value": value} if value is not None and value != "" else {}


_ATTRIBUTE_READERS: Final[dict[str, Callable[[ImageView], tuple[str, Any]]]] = {
    "description": lambda v: ("Description", _value(v.record.get("description"))),
    "kernel": lambda v: ("KernelId", _value(v.record.get("kernel_id"))),
    "ramdisk": lambda v: ("RamdiskId", _value(v.record.get("ramdisk_id"))),
    "launchPermission": lambda v: (
        "LaunchPermissions",
        ([{"Group": "all"}] if v.record.get("public") else [])
        + [{"UserId": u} for u in v.record.get("shared_with") or ()],
    ),
    "productCodes": lambda v: ("ProductCodes", v.api["ProductCodes"]),
    "blockDeviceMapping": lambda v: ("BlockDeviceMappings", v.api["BlockDeviceMappings"]),
    "sriovNetSupport": lambda v: ("SriovNetSupport", _value(v.record.get("sriov_net_support"))),
    "bootMode": lambda v: ("BootMode", _value(v.record.get("boot_mode"))),
    "tpmSupport": lambda v: ("TpmSupport", _value(v.record.get("tpm_support"))),
    "uefiData": lambda v: ("UefiData", _value(v.record.get("uefi_data"))),
    "lastLaunchedTime": lambda v: ("LastLaunchedTime", _value(v.record.get("last_launched_time"))),
    "imdsSupport": lambda v: ("ImdsSupport", _value(v.record.get("imds_support"))),
    "deregistrationProtection": lambda v: (
        "DeregistrationProtection",
        _value(v.record.get("deregistration_protection", "disabled")),
    ),
}
"""DescribeImageAttribute: attribute name → (output member, value)."""


@action("DescribeImageAttribute")
async def describe_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute of an image the caller owns."""
    view = await get_own_image(ctx, str(params["ImageId"]))
    member, value = _ATTRIBUTE_READERS[str(params["Attribute"])](view)
    return {"ImageId": view.image_id, member: value}


def _launch_permission_changes(params: Mapping[str, Any]) -> tuple[list[Record], list[Record]]:
    structured = params.get("LaunchPermission")
    if structured:
        return list(structured.get("Add") or []), list(structured.get("Remove") or [])
    entries = [{"UserId": u} for u in params.get("UserIds") or ()]
    entries += [{"Group": g} for g in params.get("UserGroups") or ()]
    if not entries:
        raise missing_parameter("LaunchPermission")
    operation = params.get("OperationType")
    if operation is None:
        raise missing_parameter("OperationType")
    return (entries, []) if operation == "add" else ([], entries)


def _check_launch_permission(entry: Mapping[str, Any]) -> None:
    if entry.get("OrganizationArn") or entry.get("OrganizationalUnitArn"):
        raise AwsError(
            "UnsupportedOperation", "Sharing with organizations is not supported by this gateway."
        )
    user = entry.get("UserId")
    if user is not None and not _ACCOUNT.match(str(user)):
        raise AwsError(
            "InvalidAMIAttributeItemValue",
            f'Invalid attribute item value "{user}" for userId item type.',
        )
    if user is None and entry.get("Group") != "all":
        raise AwsError(
            "InvalidAMIAttributeItemValue",
            f'Invalid attribute item value "{entry.get("Group")}" for group item type.',
        )


def _modification(params: Mapping[str, Any]) -> Callable[[Record], Record]:
    """The change a ModifyImageAttribute request makes to the record."""
    attribute = params.get("Attribute")
    if (
        params.get("LaunchPermission")
        or attribute == "launchPermission"
        or params.get("UserIds")
        or params.get("UserGroups")
    ):
        add, remove = _launch_permission_changes(params)
        for entry in add + remove:
            _check_launch_permission(entry)

        def permissions(record: Record) -> Record:
            shared = list(record.get("shared_with") or [])
            public = bool(record.get("public"))
            for entry in add:
                if entry.get("UserId") is None:
                    public = True
                elif entry["UserId"] not in shared:
                    shared.append(str(entry["UserId"]))
            for entry in remove:
                if entry.get("UserId") is None:
                    public = False
                else:
                    shared = [u for u in shared if u != entry["UserId"]]
            return {**record, "shared_with": shared, "public": public}

        return permissions
    if params.get("Description") is not None or attribute == "description":
        value = (params.get("Description") or {}).get("Value", params.get("Value"))
        description = str(value or "")
        return lambda record: {**record, "description": description}
    if params.get("ImdsSupport") is not None or attribute == "imdsSupport":
        value = (params.get("ImdsSupport") or {}).get("Value", params.get("Value"))
        if value != "v2.0":
            raise invalid_parameter_value(
                f"Value ({value}) for parameter imdsSupport is invalid. Valid value: v2.0"
            )
        return lambda record: {**record, "imds_support": "v2.0"}
    if params.get("ProductCodes") or attribute == "productCodes":
        codes = ", ".join(params.get("ProductCodes") or [])
        raise AwsError(
            "InvalidProductInfo", f"Product code(s) [{codes}] are not valid for this AMI."
        )
    if attribute is None:
        raise missing_parameter("Attribute")
    raise invalid_parameter_value(
        f"Value ({attribute}) for parameter attribute is invalid. Only description, "
        "launchPermission, productCodes and imdsSupport can be modified."
    )


@action("ModifyImageAttribute")
async def modify_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """Description, launch permissions, IMDS support; unchanged values write nothing."""
    image_id = str(params["ImageId"])
    view = await get_own_image(ctx, image_id)
    change = _modification(params)
    if change(dict(view.record)) == view.record:
        return None  # Hive's no-op guard: aws_ami refreshes re-send the same value

    def apply(record: Record) -> Record:
        if image_state(record, now()) is None:
            raise IMAGE.not_found(image_id)
        return change(record)

    await records.mutate(ctx, IMAGE, image_id, apply)
    return None


@action("ResetImageAttribute")
async def reset_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """``launchPermission`` back to private (the only resettable attribute)."""
    image_id = str(params["ImageId"])
    await get_own_image(ctx, image_id)
    await records.mutate(ctx, IMAGE, image_id, lambda r: {**r, "shared_with": [], "public": False})
    return None


@action("GetInstanceUefiData")
async def get_instance_uefi_data(ctx: RequestContext, params: Params) -> Result:
    """Empty UEFI variable store for any instance (or image) the caller knows.

    The provider's ``aws_ami`` data source calls it with an *image* id and ignores the error,
    so an unknown id is a plain ``InvalidInstanceID.NotFound``, never a server fault.
    """
    target = str(params["InstanceId"])
    if target.startswith("ami-"):
        view = await find_visible(ctx, target) if _IMAGE_ID.match(target) else None
        if view is None:
            raise INSTANCE.not_found(target)
        return {"InstanceId": target, "UefiData": str(view.record.get("uefi_data") or "")}
    record = await records.get(ctx, INSTANCE, target)
    return {"InstanceId": target, "UefiData": str(record.get("uefi_data") or "")}
