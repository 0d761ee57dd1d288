"""Runtimes own their background tasks, locks and clients: several share one process."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from hive_gateway.config import Settings
from hive_gateway.core.runtime import Runtime
from kv.memory import MemoryStore


def _runtime() -> Runtime:
    return Runtime(settings=Settings(), store=MemoryStore(), accounts=cast(Any, None))


def test_locks_and_services_are_per_runtime() -> None:
    first, second = _runtime(), _runtime()
    assert first.lock("a", "finalize", "i-1") is first.lock("a", "finalize", "i-1")
    assert first.lock("a", "finalize", "i-1") is not second.lock("a", "finalize", "i-1")
    old = first.lock("a", "finalize", "i-1")
    first.forget_lock("a", "finalize", "i-1")
    assert first.lock("a", "finalize", "i-1") is not old
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return len(made)

    assert first.service("client", make) == 1 == first.service("client", make)
    assert second.service("client", make) == 2


def test_spawned_tasks_are_held_until_they_end() -> None:
    async def scenario() -> None:
        runtime = _runtime()
        gate = asyncio.Event()

        async def work() -> str:
            await gate.wait()
            return "done"

        task = runtime.spawn(work())
        assert task in runtime._tasks
        gate.set()
        assert await task == "done"
        await asyncio.sleep(0)
        assert task not in runtime._tasks

    asyncio.run(scenario())
