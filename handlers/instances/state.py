"""Instance records with the daemons' lifecycle state merged in (read by every action)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from handlers.instances.constants import (
    INSTANCE,
    SETTLED_STATES,
    SHUTDOWN_REASON,
    TERMINAL_STATES,
)
from handlers.instances.errors import check_instance_id
from handlers.instances.record_fields import (
    iso_stamp,
    parse_moment,
    state_name,
    user_initiated_reason,
    utc_now,
)
from handlers.instances.runtime import daemon_client
from handlers.instances.state_effects import finalize_termination, public_ip_follows
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.core import clock, describe, records
from hive_gateway.hive.bus import BusError
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import Record, live

LOG = logging.getLogger(__name__)


def _expired(ctx: RequestContext, record: Mapping[str, Any], at: datetime) -> bool:
    """A terminated instance is gone after ``settings.timings.terminated_retention``."""
    if state_name(record) != "terminated":
        return False
    since = parse_moment(record.get("terminated_at") or record.get("state_changed_at"), at)
    return at - since > clock.seconds(ctx, "terminated-retention")


@live("instance")
def instance_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A terminated instance stays visible for the retention time (about an hour, as on AWS),
    then its id is unknown (``InvalidInstanceID.NotFound``)."""
    return not _expired(ctx, record, at)


async def _transition(
    ctx: RequestContext,
    instance_id: str,
    state: str,
    *,
    reason: str | None = None,
) -> Record | None:
    """Write the daemon-reported ``state`` into the record (never out of ``terminated``)."""
    now = utc_now()

    def change(record: Record) -> Record:
        current = state_name(record)
        if current == state or current == "terminated":
            return record
        record["state"] = state
        record["state_changed_at"] = iso_stamp(now)
        if state in ("stopping", "shutting-down"):
            record["state_transition_reason"] = reason or user_initiated_reason(now)
        if state in ("stopped", "terminated"):
            record["state_reason"] = dict(SHUTDOWN_REASON)
            record.setdefault("state_transition_reason", user_initiated_reason(now))
            if not record.get("state_transition_reason"):
                record["state_transition_reason"] = user_initiated_reason(now)
        if state in ("pending", "running"):
            record["state_transition_reason"] = ""
            record["state_reason"] = None
        if state == "terminated":
            record["terminated_at"] = iso_stamp(now)
        return record

    try:
        return await records.mutate(ctx, INSTANCE, instance_id, change)
    except AwsError:
        return None


async def _apply_state(ctx: RequestContext, record: Record, state: str) -> Record:
    """Record a daemon-reported state and run what the new state implies."""
    if (
        state == state_name(record)
        or state_name(record) == "terminated"
        or state not in contract.STATE_CODES
    ):
        return record
    updated = await _transition(ctx, str(record["instance_id"]), state)
    if updated is None:
        return record
    if state == "terminated":
        await finalize_termination(ctx, str(record["instance_id"]))
        updated = await records.find(ctx, INSTANCE, str(record["instance_id"])) or updated
    elif state == "stopped":
        await public_ip_follows(ctx, str(record["instance_id"]), state)
    return updated


async def sync_states(ctx: RequestContext, rows: list[Record]) -> list[Record]:
    """Ask the daemons for the state of the caller's live instances and merge it in."""
    client = daemon_client(ctx)
    live = [r for r in rows if state_name(r) not in SETTLED_STATES]
    unreleased = [r for r in rows if state_name(r) == "terminated" and not r.get("released")]
    for record in unreleased:
        await finalize_termination(ctx, str(record["instance_id"]))
    if client is None or not live:
        return rows
    try:
        reported = await client.describe_instances(
            ctx.account_id, [str(r["instance_id"]) for r in live]
        )
    except BusError:
        LOG.warning("DescribeInstances: daemons unreachable", exc_info=True)
        return rows
    merged: list[Record] = []
    for record in rows:
        seen = reported.get(str(record["instance_id"]))
        if seen is not None and state_name(record) not in TERMINAL_STATES:
            record = await _apply_state(ctx, record, seen.state)
        merged.append(record)
    return merged


async def current_records(
    ctx: RequestContext, stored: Sequence[Record] | None = None
) -> list[Record]:
    """The caller's visible instance rows with daemon state merged in (expired ones purged):
    of all its instances, or of those ``stored`` records."""
    at = utc_now()
    rows: list[Record] = []
    if stored is None:
        stored = await records.list_records(ctx, INSTANCE)
    for record in stored:
        if _expired(ctx, record, at):
            await finalize_termination(ctx, str(record["instance_id"]))
            await records.delete(ctx, INSTANCE, str(record["instance_id"]))
            continue
        rows.append(record)
    return await sync_states(ctx, rows)


async def get_instance(ctx: RequestContext, instance_id: str, *, sync: bool = True) -> Record:
    """The caller's record of ``instance_id`` (state synced with the daemons)."""
    check_instance_id(instance_id)
    record = await records.find(ctx, INSTANCE, instance_id)
    if record is None or _expired(ctx, record, utc_now()):
        raise INSTANCE.not_found(instance_id)
    if sync:
        record = (await sync_states(ctx, [record]))[0]
    return record


async def records_for(ctx: RequestContext, instance_ids: Sequence[str]) -> list[Record]:
    """Records of every id (all must exist, checked before anything changes)."""
    for instance_id in instance_ids:
        check_instance_id(instance_id)
    stored = await records.find_many(ctx, INSTANCE, list(instance_ids), live_only=False)
    rows = {str(r["instance_id"]): r for r in await current_records(ctx, stored)}
    describe.check_ids_exist(INSTANCE, list(instance_ids), set(rows))
    return [rows[i] for i in dict.fromkeys(instance_ids)]
