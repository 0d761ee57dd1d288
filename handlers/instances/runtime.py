"""Per-process plumbing: the daemon client, in-process locks, background tasks, served zones."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from handlers.regions import zones
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.hive.bus import Bus
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record

_background: set[asyncio.Task[Any]] = set()
_locks: dict[tuple[int, str, str, str], asyncio.Lock] = {}
_clients: dict[int, tuple[weakref.ref[Any], contract.DaemonClient]] = {}


def spawn_background(coro: Any) -> None:
    """Run ``coro`` in the background, keeping a reference until it ends."""
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def process_lock(ctx: RequestContext, kind: str, name: str) -> asyncio.Lock:
    """An in-process lock per (gateway, account, kind, name)."""
    key = (id(ctx.runtime), ctx.account_id, kind, name)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock


def forget_lock(ctx: RequestContext, kind: str, name: str) -> None:
    """Drop the lock of :func:`process_lock` once nothing will take it again."""
    _locks.pop((id(ctx.runtime), ctx.account_id, kind, name), None)


def daemon_client(ctx: RequestContext) -> contract.DaemonClient | None:
    """The gateway's client of the daemon contract (``None`` when the gateway has no bus)."""
    bus: Bus | None = ctx.runtime.bus
    if bus is None:
        return None
    found = _clients.get(id(bus))
    if found is not None and found[0]() is bus:
        return found[1]
    client = contract.DaemonClient(bus, ctx.runtime.settings.bucket_prefix)
    _clients[id(bus)] = (weakref.ref(bus), client)
    return client


def served_zones(ctx: RequestContext) -> list[Record]:
    """The availability zones the gateway serves."""
    return zones(ctx)
