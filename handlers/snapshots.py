"""EBS snapshots: create, delete, describe, copy, and the ``createVolumePermission`` attribute.

Records live in the ``snapshots`` bucket under ``<account>.<snap-id>`` with the fields Hive keeps
in ``<snap-id>/metadata.json`` (``snapshot_id, volume_id, volume_size, state, progress,
start_time, description, encrypted, owner_id, availability_zone, tags``). A new snapshot is
``pending`` until ``completed_at`` (``settings.timings.snapshot_complete`` later), computed
at read time like every transition here; ``Progress`` grows with the clock and is ``100%`` once
``completed``.

Visibility follows AWS: the caller sees their own snapshots, snapshots other accounts shared with
them (``createVolumePermission`` user ids), public ones (group ``all``) and the public snapshots
behind the catalogue images. Another tenant's private snapshot is indistinguishable from a
missing one (``InvalidSnapshot.NotFound: The snapshot 'snap-…' does not exist.``); deleting or
re-permissioning a snapshot one can see but does not own is ``UnauthorizedOperation`` (Hive's
answer for a cross-account delete). A snapshot that backs a registered image of its owner cannot
be deleted: ``InvalidSnapshot.InUse: The snapshot snap-… is currently in use by ami-…``.

``CopySnapshot`` copies within the gateway's one region: the copy gets a new id, AWS's
placeholder volume id ``vol-ffffffff`` and AWS's default description
``[Copied snap-… from <region>]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from handlers import account_settings, volumes
from hive_gateway.core.clock import filter_time, now, reached, stamp
from hive_gateway.catalogue import image_catalogue
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value, missing_parameter
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

SNAPSHOT: Final = KINDS["snapshot"]
COPY_VOLUME_ID: Final = "vol-ffffffff"
"""The volume id AWS reports for a copied snapshot."""

_ACCOUNT: Final = re.compile(r"^[0-9]{12}$")
_SNAPSHOT_ID: Final = re.compile(r"^snap-([0-9a-f]{8}|[0-9a-f]{17})$")


def check_snapshot_id(snapshot_id: str) -> None:
    """``InvalidSnapshotID.Malformed`` unless ``snap-`` + 8 or 17 hex digits."""
    if not _SNAPSHOT_ID.match(snapshot_id):
        raise AwsError(
            "InvalidSnapshotID.Malformed", f'Invalid id: "{snapshot_id}" (expecting "snap-...")'
        )


def snapshot_state(record: Mapping[str, Any], at: datetime) -> str:
    """``pending`` until ``completed_at``, then the stored terminal state."""
    if not reached(record.get("completed_at"), at):
        return "pending"
    stored = str(record.get("state", "completed"))
    return "completed" if stored == "pending" else stored


def snapshot_progress(record: Mapping[str, Any], at: datetime) -> str:
    """``0%`` … ``99%`` while pending (by elapsed time), ``100%`` when completed."""
    if snapshot_state(record, at) != "pending":
        return "100%"
    start = clock.parse_time(str(record["start_time"]))
    end = clock.parse_time(str(record["completed_at"]))
    total = (end - start).total_seconds()
    done = (at - start).total_seconds() / total if total > 0 else 1.0
    return f"{max(0, min(99, int(done * 100)))}%"


def snapshot_to_api(record: Mapping[str, Any], at: datetime) -> Record:
    """A snapshot record in the ``Snapshot`` shape."""
    state = snapshot_state(record, at)
    api: Record = {
        "SnapshotId": record["snapshot_id"],
        "VolumeId": record["volume_id"],
        "State": state,
        "StartTime": clock.parse_time(record["start_time"]),
        "Progress": snapshot_progress(record, at),
        "OwnerId": record["owner_id"],
        "Description": record.get("description", ""),
        "VolumeSize": int(record["volume_size"]),
        "Encrypted": bool(record.get("encrypted")),
        "StorageTier": record.get("storage_tier", "standard"),
        "Tags": api_tags(record_tags(record)),
    }
    if api["Encrypted"] and record.get("kms_key_id"):
        api["KmsKeyId"] = record["kms_key_id"]
    if record.get("owner_alias"):
        api["OwnerAlias"] = record["owner_alias"]
    if state == "completed" and record.get("completed_at"):
        api["CompletionTime"] = clock.parse_time(record["completed_at"])
    return api


SNAPSHOT_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "description": lambda s: s["Description"],
        "encrypted": lambda s: s["Encrypted"],
        "owner-alias": lambda s: s.get("OwnerAlias"),
        "owner-id": lambda s: s["OwnerId"],
        "progress": lambda s: s["Progress"],
        "snapshot-id": lambda s: s["SnapshotId"],
        "start-time": lambda s: filter_time(s["StartTime"]),
        "status": lambda s: s["State"],
        "storage-tier": lambda s: s["StorageTier"],
        "transfer-type": lambda s: s.get("TransferType"),
        "volume-id": lambda s: s["VolumeId"],
        "volume-size": lambda s: s["VolumeSize"],
    },
    tags=lambda s: {t["Key"]: t["Value"] for t in s["Tags"]},
)


# --- visibility --------------------------------------------------------------------------------


def _can_see(record: Mapping[str, Any], account_id: str) -> bool:
    return (
        record.get("owner_id") == account_id
        or bool(record.get("public"))
        or account_id in (record.get("shared_with") or ())
    )


async def visible_snapshots(ctx: RequestContext) -> list[Record]:
    """Every snapshot record the caller can see: own, shared, public, catalogue."""
    seen: list[Record] = []
    for owner, record in await records.every_account(ctx, SNAPSHOT):
        record.setdefault("owner_id", owner)
        if owner == ctx.account_id or _can_see(record, ctx.account_id):
            seen.append(record)
    known = {str(r["snapshot_id"]) for r in seen}
    seen.extend(s for s in image_catalogue.catalogue_snapshots() if s["snapshot_id"] not in known)
    return seen


async def get_visible_snapshot(ctx: RequestContext, snapshot_id: str) -> Record:
    """A snapshot record the caller can see (``InvalidSnapshot.NotFound`` otherwise)."""
    check_snapshot_id(snapshot_id)
    own = await records.find(ctx, SNAPSHOT, snapshot_id)
    if own is not None:
        own.setdefault("owner_id", ctx.account_id)
        return own
    catalogued = image_catalogue.find_snapshot(snapshot_id)
    if catalogued is not None and _can_see(catalogued, ctx.account_id):
        return catalogued
    for record in await visible_snapshots(ctx):
        if record["snapshot_id"] == snapshot_id:
            return record
    raise SNAPSHOT.not_found(snapshot_id)


async def get_own_snapshot(ctx: RequestContext, snapshot_id: str) -> Record:
    """A snapshot the caller owns; one they only see is ``UnauthorizedOperation``."""
    record = await get_visible_snapshot(ctx, snapshot_id)
    if record.get("owner_id") != ctx.account_id:
        raise AwsError("UnauthorizedOperation", "You are not authorized to perform this operation.")
    return record


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
    volume = await volumes.get_volume(ctx, volume_id)
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
        kms_key_id = source.get("kms_key_id") or await volumes.default_kms_key_id(ctx)
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


@action("DescribeSnapshotAttribute")
async def describe_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """``createVolumePermission`` (user ids and group ``all``) or ``productCodes`` (none)."""
    record = await get_own_snapshot(ctx, str(params["SnapshotId"]))
    result: Record = {"SnapshotId": record["snapshot_id"]}
    if params["Attribute"] == "createVolumePermission":
        permissions: list[Record] = [{"Group": "all"}] if record.get("public") else []
        permissions += [{"UserId": user} for user in record.get("shared_with") or ()]
        result["CreateVolumePermissions"] = permissions
    else:
        result["ProductCodes"] = []
    return result


def _permission_changes(params: Mapping[str, Any]) -> tuple[list[Record], list[Record]]:
    """``(add, remove)`` permission entries from either request form."""
    structured = params.get("CreateVolumePermission")
    if structured:
        return list(structured.get("Add") or []), list(structured.get("Remove") or [])
    entries = [{"UserId": u} for u in params.get("UserIds") or ()]
    entries += [{"Group": g} for g in params.get("GroupNames") or ()]
    operation = params.get("OperationType")
    if not entries:
        raise missing_parameter("CreateVolumePermission")
    if operation is None:
        raise missing_parameter("OperationType")
    return (entries, []) if operation == "add" else ([], entries)


def _check_permission(entry: Mapping[str, Any]) -> None:
    user = entry.get("UserId")
    group = entry.get("Group")
    if user is not None and not _ACCOUNT.match(str(user)):
        raise invalid_parameter_value(
            f"Invalid value '{user}' for userId. It must be a 12-digit account id."
        )
    if user is None and group != "all":
        raise invalid_parameter_value(f"Invalid value '{group}' for group. It must be 'all'.")


@action("ModifySnapshotAttribute")
async def modify_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """Add or remove ``createVolumePermission`` user ids and the ``all`` group."""
    snapshot_id = str(params["SnapshotId"])
    await get_own_snapshot(ctx, snapshot_id)
    attribute = params.get("Attribute") or "createVolumePermission"
    if attribute != "createVolumePermission":
        raise invalid_parameter_value(
            f"Value ({attribute}) for parameter attribute is invalid. "
            "Only createVolumePermission can be modified."
        )
    add, remove = _permission_changes(params)
    for entry in add + remove:
        _check_permission(entry)

    def apply(record: Record) -> Record:
        shared = list(record.get("shared_with") or [])
        public = bool(record.get("public"))
        for entry in add:
            if entry.get("UserId") is not None:
                if entry["UserId"] not in shared:
                    shared.append(str(entry["UserId"]))
            else:
                public = True
        for entry in remove:
            if entry.get("UserId") is not None:
                shared = [u for u in shared if u != entry["UserId"]]
            else:
                public = False
        return {**record, "shared_with": shared, "public": public}

    await records.mutate(ctx, SNAPSHOT, snapshot_id, apply)
    return None


@action("ResetSnapshotAttribute")
async def reset_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """``createVolumePermission`` back to private."""
    snapshot_id = str(params["SnapshotId"])
    await get_own_snapshot(ctx, snapshot_id)
    if params["Attribute"] != "createVolumePermission":
        raise invalid_parameter_value(
            f"Value ({params['Attribute']}) for parameter attribute is invalid."
        )
    await records.mutate(
        ctx, SNAPSHOT, snapshot_id, lambda r: {**r, "shared_with": [], "public": False}
    )
    return None
