"""``CreateSnapshot``, ``DeleteSnapshot``, ``DescribeSnapshots`` and ``CopySnapshot``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers import account_settings
from handlers.ebs.snapshot_records import (
    _ACCOUNT,
    COPY_VOLUME_ID,
    SNAPSHOT,
    SNAPSHOT_FILTERS,
    check_snapshot_id,
    get_own_snapshot,
    get_visible_snapshot,
    snapshot_to_api,
    visible_snapshots,
)
from handlers.ebs.volume_lifecycle import default_kms_key_id
from handlers.ebs.volume_records import get_volume
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.clock import now, stamp
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, tags_from_specifications

# --- creation (shared with CreateImage) -------------------------------------------------------


def new_snapshot_record(
    ctx: RequestContext,
    *,
    volume_id: str,
    volume_size: int,
    encrypted: bool,
    kms_key_id: str | None,
    description: str,
    tags: Mapping[str, str],
    at: datetime,
    availability_zone: str | None = None,
    source_snapshot_id: str | None = None,
) -> Record:
    """A new ``pending`` snapshot record owned by the caller."""
    record: Record = {
        "snapshot_id": new_id("snapshot"),
        "volume_id": volume_id,
        "volume_size": volume_size,
        "state": "pending",
        "progress": "0%",
        "start_time": stamp(at),
        "completed_at": clock.after(ctx, "snapshot-complete", at),
        "description": description,
        "encrypted": encrypted,
        "kms_key_id": kms_key_id if encrypted else None,
        "owner_id": ctx.account_id,
        "storage_tier": "standard",
        "public": False,
        "shared_with": [],
        "tags": dict(tags),
        "created_at": stamp(at),
    }
    if availability_zone:
        record["availability_zone"] = availability_zone
    if source_snapshot_id:
        record["source_snapshot_id"] = source_snapshot_id
    return record


async def snapshot_volume(
    ctx: RequestContext, volume_id: str, *, description: str, tags: Mapping[str, str]
) -> Record:
    """Snapshot the caller's volume ``volume_id``; returns the stored record."""
    volume = await get_volume(ctx, volume_id)
    record = new_snapshot_record(
        ctx,
        volume_id=volume_id,
        volume_size=int(volume["size"]),
        encrypted=bool(volume.get("encrypted")),
        kms_key_id=volume.get("kms_key_id"),
        description=description,
        tags=tags,
        at=now(),
        availability_zone=str(volume["availability_zone"]),
    )
    await records.create(ctx, SNAPSHOT, record)
    return record


# --- actions -----------------------------------------------------------------------------------


@action("CreateSnapshot")
async def create_snapshot(ctx: RequestContext, params: Params) -> Result:
    """A ``pending`` snapshot of one of the caller's volumes; ``completed`` shortly after."""
    tags = tags_from_specifications(params, "snapshot")
    record = await snapshot_volume(
        ctx,
        str(params["VolumeId"]),
        description=str(params.get("Description") or ""),
        tags=tags,
    )
    return snapshot_to_api(record, clock.parse_time(record["start_time"]))


@action("DeleteSnapshot")
async def delete_snapshot(ctx: RequestContext, params: Params) -> Result:
    """Remove a snapshot the caller owns, unless a registered image uses it (declared in images)."""
    snapshot_id = str(params["SnapshotId"])
    snapshot = await get_own_snapshot(ctx, snapshot_id)
    users = sorted(str(i["image_id"]) for i in await dependents.blockers(ctx, "snapshot", snapshot))
    if users:
        raise AwsError(
            "InvalidSnapshot.InUse", f"The snapshot {snapshot_id} is currently in use by {users[0]}"
        )
    await records.delete(ctx, SNAPSHOT, snapshot_id)
    return None


def _check_owner_ids(values: list[str]) -> None:
    for value in values:
        if value not in ("self", "amazon") and not _ACCOUNT.match(value):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{value}"')


def _owned_by(record: Mapping[str, Any], owners: list[str], account_id: str) -> bool:
    ids = {record.get("owner_id"), *(record.get("owner_aliases") or ())}
    for owner in owners:
        if owner == "self" and record.get("owner_id") == account_id:
            return True
        if owner == "amazon" and record.get("owner_alias") == "amazon":
            return True
        if owner in ids:
            return True
    return False


def _restorable_by(record: Mapping[str, Any], users: list[str], account_id: str) -> bool:
    for user in users:
        if user == "all" and record.get("public"):
            return True
        target = account_id if user == "self" else user
        if record.get("owner_id") == target or record.get("public"):
            return True
        if target in (record.get("shared_with") or ()):
            return True
    return False


@action("DescribeSnapshots")
async def describe_snapshots(ctx: RequestContext, params: Params) -> Result:
    """Own, shared, public and catalogue snapshots; ``OwnerIds``, ``RestorableByUserIds``."""
    at = now()
    rows = await visible_snapshots(ctx)
    for snapshot_id in params.get("SnapshotIds") or ():
        check_snapshot_id(str(snapshot_id))
    owners: list[str] = list(params.get("OwnerIds") or [])
    _check_owner_ids(owners)
    if owners:
        rows = [r for r in rows if _owned_by(r, owners, ctx.account_id)]
    users: list[str] = list(params.get("RestorableByUserIds") or [])
    for user in users:
        if user not in ("self", "all") and not _ACCOUNT.match(user):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{user}"')
    if users:
        rows = [r for r in rows if _restorable_by(r, users, ctx.account_id)]
    items = [snapshot_to_api(r, at) for r in rows]
    return describe.describe_items(
        items,
        params,
        kind=SNAPSHOT,
        id_member="SnapshotId",
        ids_param="SnapshotIds",
        result_key="Snapshots",
        spec=SNAPSHOT_FILTERS,
    )


@action("CopySnapshot")
async def copy_snapshot(ctx: RequestContext, params: Params) -> Result:
    """A new snapshot with the source's data, owned by the caller, in this region."""
    region = ctx.runtime.settings.region
    source_region = str(params["SourceRegion"])
    if source_region != region:
        raise invalid_parameter_value(
            f"Value ({source_region}) for parameter sourceRegion is invalid. "
            f"Only {region} is served here."
        )
    source_id = str(params["SourceSnapshotId"])
    source = await get_visible_snapshot(ctx, source_id)
    tags = tags_from_specifications(params, "snapshot")
    encrypted = bool(source.get("encrypted")) or bool(params.get("Encrypted"))
    kms_key_id = params.get("KmsKeyId")
    if kms_key_id:
        kms_key_id = account_settings.kms_key_arn(ctx, str(kms_key_id))
    if kms_key_id and not encrypted:
        raise AwsError(
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        )
    if encrypted and not kms_key_id:
        kms_key_id = source.get("kms_key_id") or await default_kms_key_id(ctx)
    record = new_snapshot_record(
        ctx,
        volume_id=COPY_VOLUME_ID,
        volume_size=int(source["volume_size"]),
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        description=str(params.get("Description") or f"[Copied {source_id} from {region}]"),
        tags=tags,
        at=now(),
        source_snapshot_id=source_id,
    )
    await records.create(ctx, SNAPSHOT, record)
    return {"SnapshotId": record["snapshot_id"], "Tags": api_tags(tags)}
