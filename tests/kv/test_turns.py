"""Background work rests at each turn as long as it worked, so a request needing several loop
turns is not held up behind several slices of it (the start-up repair at 100k VPCs)."""

from __future__ import annotations

import asyncio
import time

from kv import turns

SLICE = 0.04


def work(seconds: float) -> None:
    """Hold the loop (a slice of decoding)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def slices(n: int, *, marked: bool) -> None:
    if marked:
        turns.background()
    for _ in range(n):
        work(SLICE)
        await turns.take_turn()


async def request_time(*, marked: bool) -> float:
    """How long a five-turn request takes while ``slices`` run beside it."""
    job = asyncio.create_task(slices(10, marked=marked))
    await asyncio.sleep(0)  # the job takes its first slice
    started = time.monotonic()
    for _ in range(5):
        await asyncio.sleep(0)
    took = time.monotonic() - started
    await job
    return took


def test_a_request_runs_between_two_slices_of_background_work() -> None:
    assert asyncio.run(request_time(marked=True)) < 2 * SLICE
    # unmarked, the same work takes the loop back after every turn of the request
    assert asyncio.run(request_time(marked=False)) >= 4 * SLICE


def test_a_request_itself_does_not_rest() -> None:
    async def turn() -> float:
        work(SLICE)
        started = time.monotonic()
        await turns.take_turn()
        return time.monotonic() - started

    assert asyncio.run(turn()) < SLICE / 4
