"""``CreateVolume`` (a checked :class:`VolumeSpec`, also for RunInstances), ``DeleteVolume``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from handlers import account_settings
from handlers.ebs.snapshot_records import get_visible_snapshot
from handlers.ebs.volume_records import VOLUME, _mutate_volume, volume_state
from handlers.ebs.volume_types import (
    DEFAULT_VOLUME_TYPE,
    check_multi_attach,
    check_size,
    resolve_performance,
)
from handlers.ebs.volume_views import volume_to_api
from hive_gateway.core import clock, idempotency, records
from hive_gateway.core.clock import now, reached, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.core.zones import zones


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
    return await get_visible_snapshot(ctx, snapshot_id)


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
