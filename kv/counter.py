"""A counter in one KV key shared by several writers (gateways, Hive), handed out in groups.

Hive's VNI counter (``<prefix>-vpc-vni-counter``/``counter``, a JSON int) is bumped by one
compare-and-swap per number. A crowd of CreateVpc calls on one gateway would queue behind each
other on that key (two round trips each) or collide on it. :class:`SharedCounter` commits in
groups instead: callers that arrive while a swap is in flight wait for the next one, which adds
their count at once — ``41 → 44`` hands out 42, 43 and 44 — so n waiting callers cost one read
and one swap, and the numbers stay unique and contiguous, as if each had bumped the counter.
Across processes the swap still decides (a lost race re-reads and tries again).
"""

from __future__ import annotations

import asyncio
import json

from kv.store import Bucket, cas_update

__all__ = ["SharedCounter"]


class SharedCounter:
    """The numbers of ``bucket``/``key``; the first ever handed out is ``first``."""

    def __init__(self, bucket: Bucket, key: str, *, first: int) -> None:
        self._bucket = bucket
        self._key = key
        self._first = first
        self._waiting: list[asyncio.Future[int]] = []
        self._committer: asyncio.Task[None] | None = None

    async def take(self) -> int:
        """The next number (unique across every writer of the key)."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit())
        return await future

    async def _commit(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                last = await self._bump(len(group))
            except Exception as error:  # noqa: BLE001 (handed to every caller of the group)
                for future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            # A caller that went away (its request timed out) leaves a gap, never a duplicate.
            for number, future in enumerate(group, start=last - len(group) + 1):
                if not future.done():
                    future.set_result(number)

    async def _bump(self, count: int) -> int:
        """Add ``count`` with compare-and-swap; the counter's new value."""
        bumped = 0

        def bump(current: bytes | None) -> bytes:
            nonlocal bumped
            bumped = (json.loads(current) if current else self._first - 1) + count
            return json.dumps(bumped).encode()

        await cas_update(self._bucket, self._key, bump)
        return bumped
