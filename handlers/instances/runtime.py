"""Per-runtime plumbing of the instances handlers: the daemon client, background tasks,
served zones. Everything lives on ``ctx.runtime`` (several gateways may share one process)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from hive_gateway.hive import daemon_contract as contract
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.zones import zones


def spawn_background(ctx: RequestContext, coro: Coroutine[Any, Any, Any]) -> None:
    """Run ``coro`` in the background of the caller's runtime."""
    ctx.runtime.spawn(coro)


def daemon_client(ctx: RequestContext) -> contract.DaemonClient | None:
    """The gateway's client of the daemon contract (``None`` when the gateway has no bus)."""
    bus = ctx.runtime.bus
    if bus is None:
        return None
    prefix = ctx.runtime.settings.bucket_prefix
    return ctx.runtime.service("daemon-client", lambda: contract.DaemonClient(bus, prefix))


def served_zones(ctx: RequestContext) -> list[Record]:
    """The availability zones the gateway serves."""
    return zones(ctx)
