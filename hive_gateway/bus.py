"""The NATS bus towards Hive daemons: publish (events) and request/reply (daemon calls)."""

from __future__ import annotations

from typing import Protocol


class Bus(Protocol):
    """What the gateway needs from NATS beyond KV."""

    async def publish(self, subject: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        """Fire and forget."""

    async def request(
        self, subject: str, data: bytes, headers: dict[str, str] | None = None, timeout: float = 30.0
    ) -> bytes:
        """One request, one reply (raises on timeout / no responders)."""
