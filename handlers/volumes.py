"""EBS volumes: create, delete, describe, modify, attach, detach, status and attributes.

The volume record (``volumes`` bucket, ``<account>.<vol-id>``) is the only place attachments live:
an instance's block-device mappings are derived from the volumes attached to it
(:func:`volumes_of_instance`).

State transitions are computed lazily: a write stores *when* each transition happens
(``available_at``, ``gone_at``, ``attachments[].attached_at``/``detached_at``, the
modification's ``optimizing_at``/``completed_at``) and every read derives the visible state from
the clock, so there are no background tasks and restarts or several gateways agree::

    CreateVolume        → creating, then available after settings.timings.volume_create
    AttachVolume        → attachment attaching, then attached; volume in-use
    DetachVolume        → attachment detaching, then gone; volume available
    DeleteVolume        → deleting, then InvalidVolume.NotFound
    ModifyVolume        → modifying → optimizing → completed (Size etc. show the target at once)

AWS rules reproduced: ``VolumeType`` defaults to ``gp2`` (CreateVolume's documented default);
size bounds per type (gp2 1–16384, gp3 1–65536, io1 4–16384, io2 4–65536, st1/sc1 125–16384,
standard 1–1024 GiB); gp3 defaults to 3000 IOPS and 125 MiB/s; io1/io2 need ``Iops``
(``InvalidParameterCombination: The parameter iops must be specified for io1 volumes.``);
IOPS/size and throughput/IOPS ratios; ``Encrypted`` defaults to the account's
encryption-by-default setting; a volume from a snapshot is at least the snapshot's size and
inherits its encryption; ``ClientToken`` makes CreateVolume idempotent
(``IdempotentParameterMismatch`` when reused with other parameters); an attached volume cannot
be deleted (``VolumeInUse: Volume vol-… is currently attached to i-…``); detaching a volume that
is not attached is ``IncorrectState: Volume 'vol-…' is in the 'available' state.`` (the provider
treats that message as "already detached").

Concurrency: the attach rules are compare-and-swap writes, never scan-then-write. The volume
record decides "is this volume free" (ten racing AttachVolume calls → one attachment, nine
``VolumeInUse``), and a device claim (``<account>.<i-id>.<device>`` in the
:data:`~hive_gateway.core.claims.DEVICE_SLOTS` space) decides "is this device free on that
instance".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from handlers import account_settings
from hive_gateway.core import claims, clock, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.clock import filter_time, now, reached, stamp
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications
from hive_gateway.core.zones import zones

VOLUME: Final = KINDS["volume"]
INSTANCE: Final = KINDS["instance"]



# --- volume types -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolumeTypeSpec:
    """What AWS allows for one volume type (CreateVolume/ModifyVolume documentation)."""

    min_size: int
    max_size: int
    iops: tuple[int, int] | None = None
    """Provisionable IOPS range; ``None``: the type takes no ``Iops``."""
    iops_required: bool = False
    default_iops: int | None = None
    max_iops_per_gib: int | None = None
    throughput: tuple[int, int] | None = None
    default_throughput: int | None = None
    multi_attach: bool = False


VOLUME_TYPES: Final[dict[str, VolumeTypeSpec]] = {
    "gp2": VolumeTypeSpec(1, 16384),
    "gp3": VolumeTypeSpec(
        1,
        65536,
        iops=(3000, 80000),
        default_iops=3000,
        max_iops_per_gib=500,
        throughput=(125, 2000),
        default_throughput=125,
    ),
    "io1": VolumeTypeSpec(
        4, 16384, iops=(100, 64000), iops_required=True, max_iops_per_gib=50, multi_attach=True
    ),
    "io2": VolumeTypeSpec(
        4, 65536, iops=(100, 256000), iops_required=True, max_iops_per_gib=1000, multi_attach=True
    ),
    "st1": VolumeTypeSpec(125, 16384),
    "sc1": VolumeTypeSpec(125, 16384),
    "standard": VolumeTypeSpec(1, 1024),
}
DEFAULT_VOLUME_TYPE: Final = "gp2"
MAX_THROUGHPUT_PER_IOPS: Final = 0.25


def gp2_iops(size: int) -> int:
    """gp2's baseline IOPS: 3 per GiB, at least 100, at most 16000."""
    return min(max(3 * size, 100), 16000)


def check_size(volume_type: str, size: int) -> None:
    """AWS's size bounds for ``volume_type``."""
    spec = VOLUME_TYPES[volume_type]
    if size < spec.min_size:
        raise invalid_parameter_value(
            f"Volume of {size}GiB is too small; minimum is {spec.min_size}GiB."
        )
    if size > spec.max_size:
        raise invalid_parameter_value(
            f"Volume of {size}GiB is too large; maximum is {spec.max_size}GiB."
        )


def resolve_performance(
    volume_type: str, size: int, iops: int | None, throughput: int | None
) -> tuple[int | None, int | None]:
    """Validate ``Iops``/``Throughput`` for the type and fill AWS's defaults; returns both."""
    spec = VOLUME_TYPES[volume_type]
    if iops is not None and spec.iops is None:
        raise invalid_parameter_combination(
            f"The parameter iops is not supported for {volume_type} volumes."
        )
    if throughput is not None and spec.throughput is None:
        raise invalid_parameter_combination(
            f"The parameter throughput is not supported for {volume_type} volumes."
        )
    if spec.iops is not None:
        if iops is None:
            if spec.iops_required:
                raise invalid_parameter_combination(
                    f"The parameter iops must be specified for {volume_type} volumes."
                )
            iops = spec.default_iops
        assert iops is not None
        low, high = spec.iops
        if iops < low:
            raise invalid_parameter_value(f"Volume iops of {iops} is too low; minimum is {low}.")
        if iops > high:
            raise invalid_parameter_value(f"Volume iops of {iops} is too high; maximum is {high}.")
        ratio_cap = spec.max_iops_per_gib
        if ratio_cap is not None and iops > (spec.default_iops or 0) and iops > ratio_cap * size:
            raise invalid_parameter_value(
                f"Iops to volume size ratio of {iops / size:.6f} is too high; "
                f"maximum is {ratio_cap:.6f}"
            )
    if spec.throughput is not None:
        if throughput is None:
            throughput = spec.default_throughput
        assert throughput is not None
        low, high = spec.throughput
        if throughput < low:
            raise invalid_parameter_value(
                f"Throughput of {throughput}MiB/s is too low; minimum is {low}MiB/s."
            )
        if throughput > high:
            raise invalid_parameter_value(
                f"Throughput of {throughput}MiB/s is too high; maximum is {high}MiB/s."
            )
        if throughput > low and iops and throughput > iops * MAX_THROUGHPUT_PER_IOPS:
            raise invalid_parameter_value(
                f"Throughput (MiBps) to iops ratio of {throughput / iops:.6f} is too high; "
                f"maximum is {MAX_THROUGHPUT_PER_IOPS:.6f} MiBps per iops."
            )
    return iops, throughput


def check_multi_attach(volume_type: str, enabled: bool) -> None:
    """Multi-Attach exists only for Provisioned IOPS volumes."""
    if enabled and not VOLUME_TYPES[volume_type].multi_attach:
        raise invalid_parameter_combination(
            f"The parameter multiAttachEnabled is not supported for {volume_type} volumes."
        )


# --- visible state ------------------------------------------------------------------------------


def attachment_state(attachment: Mapping[str, Any], at: datetime) -> str | None:
    """``attaching``/``attached``/``detaching``, or ``None`` once the detach has completed."""
    if attachment.get("detached_at") is not None:
        return None if reached(attachment["detached_at"], at) else "detaching"
    return "attached" if reached(attachment.get("attached_at"), at) else "attaching"


def live_attachments(record: Mapping[str, Any], at: datetime) -> list[Record]:
    """The attachments not yet fully detached, each with its visible ``state``."""
    live: list[Record] = []
    for attachment in record.get("attachments") or ():
        state = attachment_state(attachment, at)
        if state is not None:
            live.append({**attachment, "state": state})
    return live


def volume_state(record: Mapping[str, Any], at: datetime) -> str | None:
    """The visible ``State`` of a volume, or ``None`` once a delete has completed."""
    if record.get("delete_at") is not None:
        return None if reached(record.get("gone_at"), at) else "deleting"
    if not reached(record.get("available_at"), at):
        return "creating"
    return "in-use" if live_attachments(record, at) else "available"


@live("volume")
def volume_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deleted volume is gone once its ``deleting`` time has passed (``InvalidVolume.NotFound``
    everywhere: DescribeVolumes, CreateTags, DescribeTags)."""
    return volume_state(record, at) is not None


def _settled(record: Record, at: datetime) -> Record:
    """``record`` with its stored ``state`` brought up to date and finished detaches dropped."""
    live = live_attachments(record, at)
    record["attachments"] = live
    record["state"] = volume_state(record, at) or "deleted"
    return record


def modification_state(modification: Mapping[str, Any], at: datetime) -> str:
    """``modifying`` → ``optimizing`` → ``completed``."""
    if not reached(modification.get("optimizing_at"), at):
        return "modifying"
    if not reached(modification.get("completed_at"), at):
        return "optimizing"
    return "completed"


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


# --- storage helpers ---------------------------------------------------------------------------


async def visible_volumes(ctx: RequestContext, at: datetime) -> list[Record]:
    """The caller's volume records that still exist at ``at``; deleted ones are purged."""
    alive: list[Record] = []
    for record in await records.list_records(ctx, VOLUME):
        if volume_state(record, at) is None:
            await records.delete(ctx, VOLUME, str(record["volume_id"]))
            continue
        alive.append(record)
    return alive


async def get_volume(ctx: RequestContext, volume_id: str) -> Record:
    """The caller's volume record (``InvalidVolume.NotFound`` when absent or deleted)."""
    record = await records.get(ctx, VOLUME, volume_id)
    if volume_state(record, now()) is None:
        raise VOLUME.not_found(volume_id)
    return record


async def _mutate_volume(
    ctx: RequestContext, volume_id: str, change: Callable[[Record, datetime], Record]
) -> Record:
    """CAS ``change(record, now)`` into a live volume; a deleted one is NotFound."""

    def apply(record: Record) -> Record:
        at = now()
        if volume_state(record, at) is None:
            raise VOLUME.not_found(volume_id)
        return change(_settled(record, at), at)

    stored = await records.mutate(ctx, VOLUME, volume_id, apply)
    assert stored is not None
    return stored


def _find_attachment(record: Mapping[str, Any], instance_id: str, at: datetime) -> Record | None:
    for attachment in live_attachments(record, at):
        if attachment["instance_id"] == instance_id:
            return attachment
    return None


async def default_kms_key_id(ctx: RequestContext) -> str:
    """The ARN of the account's EBS default KMS key (``alias/aws/ebs`` unless modified)."""
    return account_settings.kms_key_arn(ctx, await account_settings.ebs_default_kms_key_id(ctx))


def check_zone(ctx: RequestContext, zone: str | None, zone_id: str | None) -> str:
    """The served zone named by ``AvailabilityZone`` or ``AvailabilityZoneId``."""
    served = zones(ctx)
    if zone:
        if zone not in {z["ZoneName"] for z in served}:
            raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")
        return zone
    if zone_id:
        for candidate in served:
            if candidate["ZoneId"] == zone_id:
                return str(candidate["ZoneName"])
        raise invalid_parameter_value(f"Invalid availability zone ID: [{zone_id}]")
    raise missing_parameter("AvailabilityZone")


async def _source_snapshot(ctx: RequestContext, snapshot_id: str) -> Record:
    from handlers import snapshots  # snapshots imports this module

    return await snapshots.get_visible_snapshot(ctx, snapshot_id)


@dataclass(frozen=True, slots=True)
class VolumeSpec:
    """A validated CreateVolume request."""

    availability_zone: str
    size: int
    volume_type: str
    iops: int | None
    throughput: int | None
    encrypted: bool
    kms_key_id: str | None
    snapshot_id: str
    multi_attach_enabled: bool


async def build_spec(
    ctx: RequestContext,
    *,
    availability_zone: str,
    size: int | None,
    volume_type: str | None,
    snapshot_id: str | None,
    encrypted: bool | None,
    kms_key_id: str | None,
    iops: int | None,
    throughput: int | None,
    multi_attach_enabled: bool = False,
) -> VolumeSpec:
    """Every CreateVolume rule, applied to one request."""
    volume_type = volume_type or DEFAULT_VOLUME_TYPE
    encrypt = bool(encrypted) or await account_settings.ebs_encryption_by_default(ctx)
    if kms_key_id:
        kms_key_id = account_settings.kms_key_arn(ctx, kms_key_id)
    snapshot: Record | None = None
    if snapshot_id:
        snapshot = await _source_snapshot(ctx, snapshot_id)
        snapshot_size = int(snapshot["volume_size"])
        if size is None:
            size = snapshot_size
        elif size < snapshot_size:
            raise invalid_parameter_value(
                f"Volume of {size}GiB is smaller than snapshot '{snapshot_id}', "
                f"expect size >= {snapshot_size}GiB"
            )
        if snapshot.get("encrypted"):
            encrypt = True
            kms_key_id = kms_key_id or snapshot.get("kms_key_id")
    if size is None:
        raise AwsError(
            "MissingParameter", "The request must contain the parameter size or snapshotId"
        )
    check_size(volume_type, size)
    iops, throughput = resolve_performance(volume_type, size, iops, throughput)
    check_multi_attach(volume_type, multi_attach_enabled)
    if kms_key_id and not encrypt:
        raise AwsError(
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        )
    if encrypt and not kms_key_id:
        kms_key_id = await default_kms_key_id(ctx)
    return VolumeSpec(
        availability_zone=availability_zone,
        size=size,
        volume_type=volume_type,
        iops=iops,
        throughput=throughput,
        encrypted=encrypt,
        kms_key_id=kms_key_id if encrypt else None,
        snapshot_id=snapshot_id or "",
        multi_attach_enabled=multi_attach_enabled,
    )


def new_volume_record(
    ctx: RequestContext,
    spec: VolumeSpec,
    tags: Mapping[str, str],
    *,
    at: datetime,
    available_at: str,
    client_token: str | None = None,
) -> Record:
    """A new volume record from a validated spec."""
    record: Record = {
        "volume_id": new_id("volume"),
        "account_id": ctx.account_id,
        "availability_zone": spec.availability_zone,
        "size": spec.size,
        "volume_type": spec.volume_type,
        "iops": spec.iops,
        "throughput": spec.throughput,
        "encrypted": spec.encrypted,
        "kms_key_id": spec.kms_key_id,
        "snapshot_id": spec.snapshot_id,
        "multi_attach_enabled": spec.multi_attach_enabled,
        "auto_enable_io": False,
        "fast_restored": False,
        "state": "available" if reached(available_at, at) else "creating",
        "created_at": stamp(at),
        "available_at": available_at,
        "attachments": [],
        "modification": None,
        "tags": dict(tags),
    }
    if client_token:
        record["client_token"] = client_token
    return record


# --- device claims ---------------------------------------------------------------------------

_DEVICE: Final = re.compile(
    r"^(/dev/)?((sd|xvd|hd)[a-z]{1,2}[0-9]{0,2}|nvme[0-9]{1,2}n[0-9]{1,2})$"
)


def check_device(device: str) -> None:
    """An EBS device name (``/dev/sdf``, ``/dev/xvdh``, ``xvdh``, ``/dev/sda1``)."""
    if not _DEVICE.match(device):
        raise invalid_parameter_value(
            f"Value ({device}) for parameter device is invalid. "
            f"{device} is not a valid EBS device name."
        )


def _device_slot(device: str) -> str:
    return device.removeprefix("/dev/")


def _device_claim(instance_id: str, device: str) -> str:
    return f"{instance_id}.{_device_slot(device)}"


def device_in_use(device: str) -> AwsError:
    """The device already carries a volume on that instance."""
    return invalid_parameter_value(
        f"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use"
    )


async def _claim_device(ctx: RequestContext, instance_id: str, device: str, volume_id: str) -> None:
    """Claim ``device`` on ``instance_id`` for ``volume_id`` (compare-and-swap).

    Another volume's claim stands while that volume is attached there, or while the claim is
    young (an attach in progress); a stale one (:data:`~hive_gateway.core.claims.DEVICE_SLOTS`)
    is taken over.
    """

    async def held(current: Record) -> bool | None:
        at = now()
        other = await records.find(ctx, VOLUME, str(current.get("holder")))
        slot = _device_slot(device)
        holds = (
            other is not None
            and volume_state(other, at) is not None
            and any(
                a["instance_id"] == instance_id and _device_slot(a["device"]) == slot
                for a in live_attachments(other, at)
            )
        )
        return True if holds else None

    claim = await claims.take(
        ctx, claims.DEVICE_SLOTS, _device_claim(instance_id, device), volume_id, held=held
    )
    if not claim.ours:
        raise device_in_use(device)


async def _release_device(
    ctx: RequestContext, instance_id: str, device: str, volume_id: str
) -> None:
    """Drop ``volume_id``'s claim on ``device`` of ``instance_id`` (if it still holds it)."""
    await claims.release(ctx, claims.DEVICE_SLOTS, _device_claim(instance_id, device), volume_id)


async def _drop_devices(ctx: RequestContext, instance_id: str) -> None:
    await claims.release_all(ctx, claims.DEVICE_SLOTS, f"{instance_id}.")


# --- attach / detach core (shared with RunInstances/TerminateInstances) -----------------------


def _incorrect_state(volume_id: str, state: str) -> AwsError:
    return AwsError("IncorrectState", f"Volume '{volume_id}' is in the '{state}' state.")


async def _attach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str,
    device: str,
    *,
    delete_on_termination: bool,
    delay: str | None,
) -> Record:
    """Claim the device, then CAS the attachment into the volume; returns a VolumeAttachment."""
    check_device(device)
    await _claim_device(ctx, instance_id, device, volume_id)
    attachment: Record = {}

    def add(record: Record, at: datetime) -> Record:
        state = volume_state(record, at)
        live = record["attachments"]
        if state in ("creating", "deleting"):
            raise _incorrect_state(volume_id, str(state))
        if any(a["instance_id"] == instance_id for a in live):
            raise AwsError("VolumeInUse", f"{volume_id} is already attached to an instance")
        if live and not record.get("multi_attach_enabled"):
            raise AwsError("VolumeInUse", f"{volume_id} is already attached to an instance")
        attachment.update(
            instance_id=instance_id,
            device=device,
            attach_time=stamp(at),
            attached_at=clock.after(ctx, delay, at) if delay else stamp(at),
            delete_on_termination=delete_on_termination,
        )
        attachment["state"] = attachment_state(attachment, at)
        live.append(dict(attachment))
        record["state"] = "in-use"
        return record

    try:
        await _mutate_volume(ctx, volume_id, add)
    except BaseException:
        await _release_device(ctx, instance_id, device, volume_id)
        raise
    return attachment_to_api(volume_id, attachment)


async def _detach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str | None,
    device: str | None,
    *,
    delay: str | None,
) -> Record:
    """Start (or, without ``delay``, finish) detaching; returns the VolumeAttachment."""
    detached: Record = {}

    def remove(record: Record, at: datetime) -> Record:
        live = record["attachments"]
        state = volume_state(record, at) or "deleted"
        if not live:
            raise _incorrect_state(volume_id, state)
        if instance_id is None and len(live) > 1:
            raise missing_parameter("InstanceId")
        target = (
            live[0]
            if instance_id is None
            else next((a for a in live if a["instance_id"] == instance_id), None)
        )
        if target is None:
            raise AwsError(
                "IncorrectState",
                f"Volume '{volume_id}' is not attached to instance '{instance_id}'.",
            )
        if device is not None and _device_slot(device) != _device_slot(target["device"]):
            raise AwsError(
                "InvalidAttachment.NotFound",
                f"The volume '{volume_id}' is not attached to instance "
                f"'{target['instance_id']}' as device '{device}'.",
            )
        if target.get("detached_at") is None:
            target["detaching_at"] = stamp(at)
            target["detached_at"] = clock.after(ctx, delay, at) if delay else stamp(at)
        target["state"] = attachment_state(target, at) or "detached"
        detached.update(target)
        record["attachments"] = [a for a in live if attachment_state(a, at) is not None]
        record["state"] = volume_state(record, at) or "deleted"
        return record

    await _mutate_volume(ctx, volume_id, remove)
    await _release_device(ctx, str(detached["instance_id"]), str(detached["device"]), volume_id)
    return attachment_to_api(volume_id, detached)


# --- exports for the instances module -----------------------------------------------------------


async def create_root_volume(
    ctx: RequestContext,
    *,
    availability_zone: str,
    size: int,
    volume_type: str,
    snapshot_id: str | None,
    encrypted: bool,
    iops: int | None,
    throughput: int | None,
    tags: dict[str, str],
) -> Record:
    """Create a launch-time volume, ``available`` at once (ready for :func:`attach`).

    Applies the CreateVolume rules (size ≥ snapshot size, per-type bounds, IOPS/throughput
    defaults, encryption by default); ``snapshot_id`` may be a catalogue image's public
    snapshot. Returns the ``Volume`` API form.
    """
    spec = await build_spec(
        ctx,
        availability_zone=availability_zone,
        size=size,
        volume_type=volume_type,
        snapshot_id=snapshot_id,
        encrypted=encrypted,
        kms_key_id=None,
        iops=iops,
        throughput=throughput,
    )
    at = now()
    record = new_volume_record(ctx, spec, tags, at=at, available_at=stamp(at))
    await records.create(ctx, VOLUME, record)
    api = volume_to_api(ctx, record, at)
    assert api is not None
    return api


async def attach(
    ctx: RequestContext,
    volume_id: str,
    instance_id: str,
    device: str,
    *,
    delete_on_termination: bool,
) -> Record:
    """Attach at launch: the attachment is ``attached`` at once (RunInstances' block devices).

    The instance record need not exist yet. Raises ``VolumeInUse``, ``IncorrectState``,
    ``InvalidVolume.NotFound`` or ``InvalidParameterValue`` (device in use / invalid) as
    AttachVolume does. Returns the ``VolumeAttachment`` API form.
    """
    return await _attach(
        ctx,
        volume_id,
        instance_id,
        device,
        delete_on_termination=delete_on_termination,
        delay=None,
    )


async def volumes_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The volumes attached to ``instance_id`` (``Volume`` API form), sorted by device.

    Each volume's ``Attachments`` holds only its attachment to this instance (state
    ``attaching``/``attached``/``detaching``), which is what the instance's
    ``BlockDeviceMappings`` are derived from: ``DeviceName`` = ``Device``, ``Ebs`` =
    ``{AttachTime, DeleteOnTermination, Status: State, VolumeId}``.
    """
    at = now()
    found: list[Record] = []
    for record in await visible_volumes(ctx, at):
        api = volume_to_api(ctx, record, at)
        if api is None:
            continue
        mine = [a for a in api["Attachments"] if a["InstanceId"] == instance_id]
        if mine:
            api["Attachments"] = mine
            found.append(api)
    found.sort(key=lambda v: str(v["Attachments"][0]["Device"]))
    return found


async def detach_all(ctx: RequestContext, instance_id: str) -> None:
    """Detach every volume from ``instance_id`` at once (the instance is going away)."""
    at = now()
    for record in await visible_volumes(ctx, at):
        if _find_attachment(record, instance_id, at) is not None:
            try:
                await _detach(ctx, str(record["volume_id"]), instance_id, None, delay=None)
            except AwsError as error:
                if error.code not in ("IncorrectState", VOLUME.not_found_code):
                    raise
    await _drop_devices(ctx, instance_id)


async def delete_on_termination(ctx: RequestContext, instance_id: str) -> None:
    """On terminate: delete the volumes marked DeleteOnTermination, detach the others."""
    at = now()
    for record in await visible_volumes(ctx, at):
        attachment = _find_attachment(record, instance_id, at)
        if attachment is None:
            continue
        volume_id = str(record["volume_id"])
        if not attachment.get("delete_on_termination"):
            try:
                await _detach(ctx, volume_id, instance_id, None, delay=None)
            except AwsError as error:
                if error.code not in ("IncorrectState", VOLUME.not_found_code):
                    raise
            continue

        def drop(current: Record, when: datetime) -> Record:
            current["attachments"] = [
                a for a in current["attachments"] if a["instance_id"] != instance_id
            ]
            if not current["attachments"] and current.get("delete_at") is None:
                current["delete_at"] = stamp(when)
                current["gone_at"] = clock.after(ctx, "volume-delete", when)
            current["state"] = volume_state(current, when) or "deleted"
            return current

        try:
            await _mutate_volume(ctx, volume_id, drop)
        except AwsError as error:
            if error.code != VOLUME.not_found_code:
                raise
    await _drop_devices(ctx, instance_id)


# --- actions -----------------------------------------------------------------------------------


@action("CreateVolume")
async def create_volume(ctx: RequestContext, params: Params) -> Result:
    """A new volume, ``creating`` then ``available``; idempotent per ``ClientToken``."""
    zone = check_zone(ctx, params.get("AvailabilityZone"), params.get("AvailabilityZoneId"))
    tags = tags_from_specifications(params, "volume")
    spec = await build_spec(
        ctx,
        availability_zone=zone,
        size=params.get("Size"),
        volume_type=params.get("VolumeType"),
        snapshot_id=params.get("SnapshotId"),
        encrypted=params.get("Encrypted"),
        kms_key_id=params.get("KmsKeyId"),
        iops=params.get("Iops"),
        throughput=params.get("Throughput"),
        multi_attach_enabled=bool(params.get("MultiAttachEnabled", False)),
    )
    at = now()
    token = params.get("ClientToken")
    record = new_volume_record(
        ctx,
        spec,
        tags,
        at=at,
        available_at=clock.after(ctx, "volume-create", at),
        client_token=token,
    )

    created: list[Record] = []

    async def create(volume_id: str) -> Record:
        created.append(await records.create(ctx, VOLUME, {**record, "volume_id": volume_id}))
        return created[0]

    async def existing(volume_id: str) -> Record | None:
        """The volume an earlier request with the token created, unless deleted since."""
        found = await records.find(ctx, VOLUME, volume_id)
        return found if found is not None and volume_state(found, now()) is not None else None

    stored = await idempotency.create_once(ctx, VOLUME, token, params, create, existing)
    api = volume_to_api(ctx, stored, at if created else now())
    if api is None:
        raise VOLUME.not_found(str(stored["volume_id"]))
    return api


@action("DeleteVolume")
async def delete_volume(ctx: RequestContext, params: Params) -> Result:
    """``deleting``, then gone; an attached volume is ``VolumeInUse``."""
    volume_id = str(params["VolumeId"])

    def mark(record: Record, at: datetime) -> Record:
        live = record["attachments"]
        if live:
            raise AwsError(
                "VolumeInUse",
                f"Volume {volume_id} is currently attached to {live[0]['instance_id']}",
            )
        if record.get("delete_at") is None:
            record["delete_at"] = stamp(at)
            record["gone_at"] = clock.after(ctx, "volume-delete", at)
        record["state"] = "deleting"
        return record

    await _mutate_volume(ctx, volume_id, mark)
    return None


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


async def _instance(ctx: RequestContext, instance_id: str) -> Record:
    """The caller's instance record; a terminated one is as good as missing."""
    record = await records.get(ctx, INSTANCE, instance_id)
    if record.get("state") == "terminated":
        raise INSTANCE.not_found(instance_id)
    return record


@action("AttachVolume")
async def attach_volume(ctx: RequestContext, params: Params) -> Result:
    """Attach an ``available`` volume to a running or stopped instance in its zone."""
    volume_id = str(params["VolumeId"])
    instance_id = str(params["InstanceId"])
    device = str(params["Device"])
    check_device(device)
    volume = await get_volume(ctx, volume_id)
    instance = await _instance(ctx, instance_id)
    if instance.get("state") not in ("running", "stopped"):
        raise AwsError(
            "IncorrectInstanceState",
            f"Instance '{instance_id}' is not 'running' or 'stopped'.",
        )
    zone = instance.get("availability_zone")
    if zone and zone != volume["availability_zone"]:
        raise AwsError(
            "InvalidVolume.ZoneMismatch",
            f"The volume '{volume_id}' is not in the same availability zone as instance "
            f"'{instance_id}'",
        )
    slot = _device_slot(device)
    for other in await volumes_of_instance(ctx, instance_id):
        if other["VolumeId"] != volume_id and any(
            _device_slot(a["Device"]) == slot for a in other["Attachments"]
        ):
            raise device_in_use(device)
    return await _attach(
        ctx,
        volume_id,
        instance_id,
        device,
        delete_on_termination=False,
        delay="volume-attach",
    )


@action("DetachVolume")
async def detach_volume(ctx: RequestContext, params: Params) -> Result:
    """``detaching``, then gone; a volume not attached is ``IncorrectState``."""
    instance_id = params.get("InstanceId")
    if instance_id is not None:
        INSTANCE.check_id(str(instance_id))
    return await _detach(
        ctx,
        str(params["VolumeId"]),
        instance_id,
        params.get("Device"),
        delay="volume-detach",
    )


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
