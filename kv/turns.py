"""Taking turns on the event loop: how long work over a whole bucket lets requests run.

A read of the read replica never suspends (it is memory), so work over 100k records yields
on purpose, once per slice (:func:`take_turn`). A request runs in several loop turns (read,
sync, render, write back); if a long background job (the start-up repair) took the loop again
right after each of them, a request would wait behind several of its slices: reads of over a
second while a 100k-VPC start-up repairs. A task marked :func:`background` therefore rests at
each turn as long as it worked since its previous one (at most :data:`MAX_REST` seconds): it
gets at most half the loop, and requests finish between two of its slices.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar

MAX_REST = 0.1
"""Seconds a background task rests at one turn, at most."""

_last_turn: ContextVar[float | None] = ContextVar("kv_background_last_turn", default=None)
"""When the current background task last took a turn; ``None`` outside one."""


def background() -> None:
    """Mark the current task (and tasks it starts) as background work."""
    _last_turn.set(time.monotonic())


async def take_turn() -> None:
    """Let other tasks run: one loop turn, or for background work a rest as long as it worked
    since its last turn (capped at :data:`MAX_REST`)."""
    last = _last_turn.get()
    if last is None:
        await asyncio.sleep(0)
        return
    await asyncio.sleep(min(time.monotonic() - last, MAX_REST))
    _last_turn.set(time.monotonic())
