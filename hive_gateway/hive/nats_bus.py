"""The :class:`~hive_gateway.hive.bus.Bus` over a nats-py connection — the wire Hive daemons listen on.

The gateway shares the connection its :class:`kv.nats_store.NatsStore` opened (one TCP
connection for KV and request/reply, as a Hive service does); :func:`connection_of` is the one
place that knows where the store keeps it. ``X-Account-ID`` and every other header travel as
NATS message headers, exactly what ``nats.Msg.Header.Set`` produces on the Go side.

Scatter-gather (:meth:`NatsBus.request_many`) is Hive's ``utils.Gather``: publish with a fresh
inbox as reply subject, collect until ``expected`` replies or the timeout; the server's
no-responders status (``503``) ends it at once with no replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from hive_gateway.hive.bus import (
    BusError,
    Message,
    MessageHandler,
    NoRespondersError,
    RequestTimeoutError,
    Subscription,
)

LOG = logging.getLogger(__name__)

_NO_RESPONDERS = "503"


def connection_of(store: object) -> NatsClient | None:
    """The nats-py connection a :class:`kv.nats_store.NatsStore` holds (``None`` for others)."""
    nc = getattr(store, "_nc", None)
    return nc if isinstance(nc, NatsClient) else None


def _headers(msg: Msg) -> dict[str, str]:
    return {str(k): str(v) for k, v in (msg.headers or {}).items()}


def _is_no_responders(msg: Msg) -> bool:
    headers = msg.headers or {}
    return not msg.data and str(headers.get("Status", "")) == _NO_RESPONDERS


class _NatsSubscription:
    def __init__(self, sub: Any) -> None:
        self._sub = sub
        self._active = True

    async def unsubscribe(self) -> None:
        if not self._active:
            return
        self._active = False
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()


class NatsBus:
    """Publish, request, scatter-gather and subscribe over one nats-py connection."""

    def __init__(self, nc: NatsClient) -> None:
        self._nc = nc

    @classmethod
    def from_store(cls, store: object) -> NatsBus:
        """A bus on the connection of ``store`` (a :class:`kv.nats_store.NatsStore`)."""
        nc = connection_of(store)
        if nc is None:
            raise TypeError(f"{type(store).__name__} has no NATS connection")
        return cls(nc)

    @property
    def connection(self) -> NatsClient:
        return self._nc

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        """Fire and forget."""
        try:
            await self._nc.publish(subject, data, headers=headers or None)
        except nats.errors.Error as exc:
            raise BusError(f"publish {subject}: {exc!r}") from exc

    async def request(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> bytes:
        """One request, the first reply."""
        try:
            msg = await self._nc.request(subject, data, timeout=timeout, headers=headers or None)
        except nats.errors.NoRespondersError as exc:
            raise NoRespondersError(f"no responders on {subject}") from exc
        except nats.errors.TimeoutError as exc:
            raise RequestTimeoutError(f"no reply on {subject} within {timeout}s") from exc
        except nats.errors.Error as exc:
            raise BusError(f"request {subject}: {exc!r}") from exc
        return bytes(msg.data)

    async def request_many(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 3.0,
        expected: int | None = None,
    ) -> list[bytes]:
        """Scatter-gather on a private inbox."""
        inbox = self._nc.new_inbox()
        replies: asyncio.Queue[Msg] = asyncio.Queue()

        async def collect(msg: Msg) -> None:
            replies.put_nowait(msg)

        try:
            sub = await self._nc.subscribe(inbox, cb=collect)
        except nats.errors.Error as exc:
            raise BusError(f"subscribe {inbox}: {exc!r}") from exc
        results: list[bytes] = []
        try:
            await self._nc.publish(subject, data, reply=inbox, headers=headers or None)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while expected is None or len(results) < expected:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    msg = await asyncio.wait_for(replies.get(), remaining)
                except TimeoutError:
                    break
                if _is_no_responders(msg):
                    break
                results.append(bytes(msg.data))
        except nats.errors.Error as exc:
            raise BusError(f"gather {subject}: {exc!r}") from exc
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        return results

    async def subscribe(
        self, subject: str, handler: MessageHandler, queue: str | None = None
    ) -> Subscription:
        """Deliver messages to ``handler``; its answer goes to the message's reply subject."""

        async def deliver(msg: Msg) -> None:
            message = Message(msg.subject, bytes(msg.data), _headers(msg), msg.reply or None)
            try:
                answer = await handler(message)
            except Exception:
                LOG.exception("handler for %s failed", msg.subject)
                return
            if answer is not None and msg.reply:
                try:
                    await self._nc.publish(msg.reply, answer)
                except nats.errors.Error:
                    LOG.warning("could not reply on %s", msg.subject, exc_info=True)

        try:
            sub = await self._nc.subscribe(subject, queue=queue or "", cb=deliver)
        except nats.errors.Error as exc:
            raise BusError(f"subscribe {subject}: {exc!r}") from exc
        return _NatsSubscription(sub)

    async def flush(self) -> None:
        """Round-trip to the server so that earlier subscriptions are active."""
        with contextlib.suppress(Exception):
            await self._nc.flush(timeout=5)
