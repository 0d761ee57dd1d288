"""An in-process :class:`~hive_gateway.hive.bus.Bus` with NATS subject semantics.

Used with the in-memory store (tests, storage-less development) so that the gateway and the
built-in node simulator talk through exactly the subjects and payloads they use over NATS.

NATS rules reproduced:

* subjects are ``.``-separated tokens; in a subscription ``*`` matches exactly one token and
  ``>`` (last token only) matches one or more;
* every plain subscription gets each message; a queue group gets it once, on a random member;
* ``request`` answers with the first reply; nobody subscribed → :class:`NoRespondersError`;
* delivery is asynchronous (a handler never runs inside the publisher's call stack) and in
  order per subscription, as a nats-py subscription task delivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field

from hive_gateway.hive.bus import (
    Message,
    MessageHandler,
    NoRespondersError,
    RequestTimeoutError,
    Subscription,
)

LOG = logging.getLogger(__name__)

_inbox_ids = itertools.count(1)


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether subscription ``pattern`` (with ``*``/``>`` wildcards) matches ``subject``."""
    want = pattern.split(".")
    have = subject.split(".")
    for index, token in enumerate(want):
        if token == ">":
            return len(have) > index
        if index >= len(have):
            return False
        if token != "*" and token != have[index]:
            return False
    return len(want) == len(have)


@dataclass(eq=False)
class _LocalSubscription:
    bus: LocalBus
    pattern: str
    handler: MessageHandler
    queue: str | None
    inbox: asyncio.Queue[tuple[Message, asyncio.Future[bytes] | None]] = field(
        default_factory=asyncio.Queue
    )
    task: asyncio.Task[None] | None = None
    active: bool = True

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        while True:
            message, reply = await self.inbox.get()
            if not self.active:
                continue
            try:
                answer = await self.handler(message)
            except Exception:
                LOG.exception("handler for %s failed", message.subject)
                answer = None
            if reply is not None and not reply.done():
                if answer is None:
                    reply.cancel()  # this recipient will not answer
                else:
                    reply.set_result(answer)

    async def unsubscribe(self) -> None:
        if not self.active:
            return
        self.active = False
        self.bus._remove(self)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


class LocalBus:
    """A process-local bus; create and use it from one event loop."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._subscriptions: list[_LocalSubscription] = []
        self._rng = rng or random.Random()
        self.published: list[tuple[str, bytes, dict[str, str]]] = []
        """Every message published (fire-and-forget), for tests and debugging."""

    # --- routing -----------------------------------------------------------------------------

    def _recipients(self, subject: str) -> list[_LocalSubscription]:
        plain: list[_LocalSubscription] = []
        groups: dict[str, list[_LocalSubscription]] = defaultdict(list)
        for sub in self._subscriptions:
            if sub.active and subject_matches(sub.pattern, subject):
                if sub.queue is None:
                    plain.append(sub)
                else:
                    groups[sub.queue].append(sub)
        return plain + [self._rng.choice(members) for members in groups.values()]

    def _remove(self, sub: _LocalSubscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)

    def _deliver(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None,
        replies: list[asyncio.Future[bytes]] | None,
    ) -> int:
        recipients = self._recipients(subject)
        loop = asyncio.get_running_loop()
        reply_subject = f"_INBOX.local.{next(_inbox_ids)}" if replies is not None else None
        for sub in recipients:
            future: asyncio.Future[bytes] | None = None
            if replies is not None:
                future = loop.create_future()
                replies.append(future)
            message = Message(subject, bytes(data), dict(headers or {}), reply_subject)
            sub.inbox.put_nowait((message, future))
        return len(recipients)

    # --- Bus ---------------------------------------------------------------------------------

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        """Deliver to every matching subscription (one member per queue group)."""
        self.published.append((subject, bytes(data), dict(headers or {})))
        self._deliver(subject, data, headers, None)

    async def request(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> bytes:
        """The first reply from any recipient."""
        replies: list[asyncio.Future[bytes]] = []
        if self._deliver(subject, data, headers, replies) == 0:
            raise NoRespondersError(f"no responders on {subject}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending: set[asyncio.Future[bytes]] = set(replies)
        try:
            while pending:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                done, pending = await asyncio.wait(
                    pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                for future in done:
                    if not future.cancelled():
                        return future.result()
        finally:
            for future in pending:
                future.cancel()
        raise RequestTimeoutError(f"no reply on {subject} within {timeout}s")

    async def request_many(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 3.0,
        expected: int | None = None,
    ) -> list[bytes]:
        """Every reply within ``timeout``; returns as soon as ``expected`` (or every recipient)
        replied — unlike NATS, a local bus knows how many recipients there are."""
        replies: list[asyncio.Future[bytes]] = []
        count = self._deliver(subject, data, headers, replies)
        if count == 0:
            return []
        target = count if expected is None else min(count, expected)
        results: list[bytes] = []
        deadline = asyncio.get_running_loop().time() + timeout
        pending: set[asyncio.Future[bytes]] = set(replies)
        while pending and len(results) < target:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            done, pending = await asyncio.wait(
                pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            results.extend(f.result() for f in done if not f.cancelled())
        for future in pending:
            future.cancel()
        return results

    async def subscribe(
        self, subject: str, handler: MessageHandler, queue: str | None = None
    ) -> Subscription:
        """Register ``handler`` for ``subject``."""
        sub = _LocalSubscription(self, subject, handler, queue)
        sub.start()
        self._subscriptions.append(sub)
        return sub

    async def flush(self) -> None:
        """Nothing to flush in-process."""

    async def close(self) -> None:
        """Drop every subscription."""
        for sub in list(self._subscriptions):
            await sub.unsubscribe()
