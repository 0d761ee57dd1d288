"""Volume records: kinds, states derived from the clock, reading and changing one volume."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from hive_gateway.core import records
from hive_gateway.core.clock import now, reached
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record, live

VOLUME: Final = KINDS["volume"]


INSTANCE: Final = KINDS["instance"]


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
