"""The NATS bus towards Hive daemons: publish (events), request/reply, scatter-gather, subscribe.

Two implementations share this protocol:

* :class:`hive_gateway.hive.nats_bus.NatsBus` over a real NATS connection (embedded or external
  server) — what Hive daemons and a separately started ``hive-gateway node`` see;
* :class:`hive_gateway.hive.local_bus.LocalBus`, in-process, with the same subject semantics
  (``*`` matches one token, ``>`` one or more trailing tokens; a queue group delivers each
  message to one of its members), used with the in-memory store.

Request/reply follows NATS core semantics::

    request("ec2.cmd.i-0abc…", b'{"id":…}', {"X-Account-ID": "000000000001"})
      → the first reply; NoRespondersError when nobody subscribes; RequestTimeoutError

    request_many("ec2.DescribeInstances", b'{…}', headers, timeout=3.0, expected=2)
      → every reply that arrived within ``timeout``, returning early once ``expected`` did
        (Hive's scatter-gather: no queue group, every daemon answers for its own instances)

A subscription handler gets a :class:`Message` and returns the reply bytes (``None``: no reply).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias


class BusError(Exception):
    """A bus operation failed."""


class NoRespondersError(BusError):
    """Nobody subscribes to the subject (NATS ``503`` no-responders status)."""


class RequestTimeoutError(BusError):
    """A request got no reply in time."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message delivered to a subscription handler."""

    subject: str
    data: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    reply: str | None = None

    def header(self, name: str) -> str | None:
        """A header value, matched case-insensitively as NATS (Go ``http.Header``) does."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


MessageHandler: TypeAlias = Callable[[Message], Awaitable[bytes | None]]
"""Handles one message; the returned bytes (if any) are sent to the message's reply subject."""


class Subscription(Protocol):
    """A live subscription."""

    async def unsubscribe(self) -> None:
        """Stop delivering messages (idempotent)."""


class Bus(Protocol):
    """What the gateway (and the node simulator) need from NATS beyond KV."""

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        """Fire and forget."""

    async def request(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> bytes:
        """One request, one reply (raises :class:`NoRespondersError` / :class:`RequestTimeoutError`)."""

    async def request_many(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 3.0,
        expected: int | None = None,
    ) -> list[bytes]:
        """Scatter-gather: every reply within ``timeout`` (early exit after ``expected`` replies).

        No responders is simply an empty list.
        """

    async def subscribe(
        self, subject: str, handler: MessageHandler, queue: str | None = None
    ) -> Subscription:
        """Deliver messages on ``subject`` (wildcards allowed) to ``handler``; ``queue`` names a
        queue group (one member per group gets each message)."""

    async def flush(self) -> None:
        """Wait until subscriptions made so far are known to the server."""
