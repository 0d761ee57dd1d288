"""Lifecycle actions: Stop, Start, Reboot, Terminate, Monitor, Unmonitor."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from handlers.instances.constants import (
    INSTANCE,
    SETTLED_STATES,
    SHUTDOWN_REASON,
    TERMINAL_STATES,
)
from handlers.instances.errors import daemon_error, incorrect_state, insufficient_capacity
from handlers.instances.record_fields import iso_stamp, state_name, user_initiated_reason, utc_now
from handlers.instances.runtime import daemon_client, spawn_background
from handlers.instances.state import records_for, sync_states
from handlers.instances.state_effects import finalize_termination, public_ip_follows
from handlers.instances.views import state_api
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.core import records
from hive_gateway.hive.bus import BusError, NoRespondersError, RequestTimeoutError
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record

LOG = logging.getLogger(__name__)


def _change(instance_id: str, previous: str, current: str) -> Record:
    return {
        "InstanceId": instance_id,
        "PreviousState": state_api(previous),
        "CurrentState": state_api(current),
    }


async def _set_state(ctx: RequestContext, instance_id: str, state: str, **extra: Any) -> None:
    now = utc_now()

    def change(record: Record) -> Record:
        if state_name(record) == "terminated":
            return record
        record.update(state=state, state_changed_at=iso_stamp(now), **extra)
        if state in ("stopping", "shutting-down"):
            record["state_transition_reason"] = user_initiated_reason(now)
        if state in ("pending",):
            record["state_transition_reason"] = ""
            record["state_reason"] = None
        if state == "terminated":
            record["terminated_at"] = iso_stamp(now)
            record["state_reason"] = dict(SHUTDOWN_REASON)
        return record

    await records.mutate(ctx, INSTANCE, instance_id, change)


@action("StopInstances")
async def stop_instances(ctx: RequestContext, params: Params) -> Result:
    """running → stopping (→ stopped when the daemon has shut it down)."""
    client = daemon_client(ctx)
    rows = await records_for(ctx, params["InstanceIds"])
    for record in rows:
        state = state_name(record)
        if record.get("disable_api_stop") and state not in SETTLED_STATES:
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{record['instance_id']}' may not be stopped. Modify its "
                "'disableApiStop' instance attribute and try again.",
            )
        if state in ("terminated", "shutting-down"):
            raise incorrect_state(str(record["instance_id"]), "stopped")
    changes = []
    for record in rows:
        instance_id, state = str(record["instance_id"]), state_name(record)
        if state in ("stopping", "stopped"):
            changes.append(_change(instance_id, state, state))
            continue
        if state == "pending":
            raise incorrect_state(instance_id, "stopped")
        if client is None:
            raise AwsError("InternalError", "An internal error has occurred", status=500)
        try:
            await client.command(ctx.account_id, contract.InstanceCommand.stop(instance_id))
        except contract.DaemonError as exc:
            raise daemon_error(exc, instance_id=instance_id) from exc
        except (NoRespondersError, RequestTimeoutError) as exc:
            raise AwsError("InternalError", "An internal error has occurred", status=500) from exc
        await _set_state(ctx, instance_id, "stopping")
        changes.append(_change(instance_id, state, "stopping"))
    return {"StoppingInstances": changes}


@action("StartInstances")
async def start_instances(ctx: RequestContext, params: Params) -> Result:
    """stopped → pending (→ running), on whichever node has room (``ec2.start``)."""
    client = daemon_client(ctx)
    rows = await records_for(ctx, params["InstanceIds"])
    for record in rows:
        if state_name(record) in ("stopping", "shutting-down", "terminated"):
            raise incorrect_state(str(record["instance_id"]), "started")
    changes = []
    for record in rows:
        instance_id, state = str(record["instance_id"]), state_name(record)
        if state in ("pending", "running"):
            changes.append(_change(instance_id, state, state))
            continue
        if client is None:
            raise insufficient_capacity(
                str(record.get("instance_type")), str(record.get("availability_zone"))
            )
        node: str | None = None
        try:
            try:
                await client.command(ctx.account_id, contract.InstanceCommand.start(instance_id))
                node = record.get("node")
            except NoRespondersError:
                await _start_stopped(ctx, client, record)
        except contract.DaemonError as exc:
            if exc.code == "InsufficientInstanceCapacity":
                raise insufficient_capacity(
                    str(record.get("instance_type")), str(record.get("availability_zone"))
                ) from exc
            raise daemon_error(exc, instance_id=instance_id) from exc
        except (NoRespondersError, RequestTimeoutError) as exc:
            raise insufficient_capacity(
                str(record.get("instance_type")), str(record.get("availability_zone"))
            ) from exc
        await _set_state(ctx, instance_id, "pending", node=node)
        await public_ip_follows(ctx, instance_id, "pending")
        changes.append(_change(instance_id, state, "pending"))
    return {"StartingInstances": changes}


async def _start_stopped(
    ctx: RequestContext, client: contract.DaemonClient, record: Record
) -> None:
    """``ec2.start`` goes to one node of the queue group; another may have room: try a few."""
    attempts = max(1, len(await client.nodes()))
    last: contract.DaemonError | None = None
    for _ in range(attempts * 2):
        try:
            await client.start_stopped(ctx.account_id, str(record["instance_id"]))
            return
        except contract.DaemonError as exc:
            if exc.code != "InsufficientInstanceCapacity":
                raise
            last = exc
    assert last is not None
    raise last


@action("RebootInstances")
async def reboot_instances(ctx: RequestContext, params: Params) -> Result:
    """A running instance reboots (and stays running)."""
    client = daemon_client(ctx)
    rows = await records_for(ctx, params["InstanceIds"])
    for record in rows:
        if state_name(record) in ("terminated", "shutting-down"):
            raise incorrect_state(str(record["instance_id"]), "rebooted")
    for record in rows:
        if state_name(record) != "running" or client is None:
            continue
        try:
            await client.command(
                ctx.account_id, contract.InstanceCommand.reboot(str(record["instance_id"]))
            )
        except (BusError, contract.DaemonError):
            LOG.warning("reboot of %s not delivered", record["instance_id"], exc_info=True)
    return None


@action("TerminateInstances")
async def terminate_instances(ctx: RequestContext, params: Params) -> Result:
    """→ shutting-down → terminated; interfaces, volumes and addresses are released then."""
    client = daemon_client(ctx)
    rows = await records_for(ctx, params["InstanceIds"])
    for record in rows:
        if record.get("disable_api_termination") and state_name(record) not in TERMINAL_STATES:
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{record['instance_id']}' may not be terminated. Modify its "
                "'disableApiTermination' instance attribute and try again.",
            )
    changes, watched = [], []
    for record in rows:
        instance_id, state = str(record["instance_id"]), state_name(record)
        if state in ("terminated", "shutting-down"):
            changes.append(_change(instance_id, state, state))
            continue
        gone = False
        if client is not None:
            try:
                try:
                    await client.command(
                        ctx.account_id, contract.InstanceCommand.terminate(instance_id)
                    )
                except NoRespondersError:
                    # Stopped instances belong to no node: any node removes them from the KV.
                    await client.terminate_stopped(ctx.account_id, instance_id)
                    gone = True
            except (NoRespondersError, RequestTimeoutError):
                gone = True  # no daemon runs it: nothing to shut down
            except contract.DaemonError as exc:
                if exc.code not in ("InvalidInstanceID.NotFound", "IncorrectInstanceState"):
                    raise daemon_error(exc, instance_id=instance_id) from exc
                gone = True
        else:
            gone = True
        if gone:
            await _set_state(ctx, instance_id, "terminated")
            await finalize_termination(ctx, instance_id)
        else:
            await _set_state(ctx, instance_id, "shutting-down")
            watched.append(instance_id)
        changes.append(_change(instance_id, state, "shutting-down"))
    if watched:
        _watch_termination(ctx, watched)
    return {"TerminatingInstances": changes}


@action("MonitorInstances")
async def monitor_instances(ctx: RequestContext, params: Params) -> Result:
    """Detailed monitoring on (``Monitoring.State`` enabled)."""
    return await _monitoring(ctx, params, "enabled")


@action("UnmonitorInstances")
async def unmonitor_instances(ctx: RequestContext, params: Params) -> Result:
    """Detailed monitoring off."""
    return await _monitoring(ctx, params, "disabled")


async def _monitoring(ctx: RequestContext, params: Params, state: str) -> Result:
    rows = await records_for(ctx, params["InstanceIds"])
    for record in rows:
        if state_name(record) == "terminated":
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{record['instance_id']}' is not in a valid state for this operation.",
            )
    out = []
    for record in rows:
        await records.mutate(
            ctx, INSTANCE, str(record["instance_id"]), lambda r: {**r, "monitoring": state}
        )
        out.append({"InstanceId": record["instance_id"], "Monitoring": {"State": state}})
    return {"InstanceMonitorings": out}


def _watch_termination(ctx: RequestContext, instance_ids: Sequence[str]) -> None:
    """Poll the daemons until the instances are terminated, then release their resources
    (so a subnet or security group can be deleted even if nobody describes the instance)."""

    async def watch() -> None:
        pending = set(instance_ids)
        loop = asyncio.get_running_loop()
        timings = ctx.runtime.settings.timings
        deadline = loop.time() + timings.termination_watch
        while pending and loop.time() < deadline:
            await asyncio.sleep(timings.termination_poll)
            try:
                rows = await records.find_many(ctx, INSTANCE, sorted(pending), live_only=False)
                for record in await sync_states(ctx, rows):
                    if state_name(record) == "terminated" and record.get("released"):
                        pending.discard(str(record["instance_id"]))
                pending &= {str(r["instance_id"]) for r in rows}
            except Exception:
                LOG.debug("termination watch", exc_info=True)

    spawn_background(ctx, watch())
