"""Snapshot records: states and progress from the clock, API shape, filters, visibility."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hive_gateway.catalogue import image_catalogue
from hive_gateway.core import clock, records
from hive_gateway.core.clock import filter_time, reached
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags

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
