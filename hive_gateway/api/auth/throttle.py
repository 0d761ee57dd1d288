"""Throttling of repeated SigV4 failures per source address, as Hive does.

Hive (``gateway/ratelimit.go``): 10 failed authentications within 60 s lock the source IP for
30 s, doubling on each further lockout up to 5 min; a locked source gets ``RequestLimitExceeded``
(503) for every request, signed correctly or not, until the lock expires. The same here, with the
numbers in :class:`~hive_gateway.config.Settings` (``auth_failure_limit`` 0 turns it off).

The source is the TCP peer address: behind a load balancer that is the balancer's address, so
put the throttle there too (or run the gateways where clients reach them directly).
State is in memory, per gateway process; a restart forgets it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.core.errors import AwsError

__all__ = ["COUNTED_CODES", "AuthThrottle"]

COUNTED_CODES: Final = frozenset(
    {
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "AuthFailure",
        "IncompleteSignature",
        "UnrecognizedClientException",
    }
)
"""Auth errors that count as a failed attempt (a request with no signature at all does not)."""

_MAX_SOURCES: Final = 10_000
"""Above this many tracked sources, idle ones are forgotten (bounded memory under a spray)."""


@dataclass
class _Source:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    lockouts: int = 0
    last_seen: float = 0.0


@dataclass
class AuthThrottle:
    """Per-source failure counter and lock; ``limit`` 0 disables it."""

    limit: int = 10
    window: float = 60.0
    lockout: float = 30.0
    max_lockout: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _sources: dict[str, _Source] = field(default_factory=dict)

    def check(self, source: str) -> None:
        """Raise ``RequestLimitExceeded`` while ``source`` is locked out."""
        if self.limit <= 0:
            return
        state = self._sources.get(source)
        if state is None:
            return
        now = self.clock()
        if state.locked_until > now:
            wait = math.ceil(state.locked_until - now)
            raise AwsError(
                "RequestLimitExceeded",
                f"Too many failed authentication attempts from {source}; "
                f"requests from this address are refused for another {wait} seconds.",
            )

    def failed(self, source: str) -> None:
        """Record one failed authentication from ``source`` (may start a lockout)."""
        if self.limit <= 0:
            return
        now = self.clock()
        state = self._sources.get(source)
        if state is None:
            if len(self._sources) >= _MAX_SOURCES:
                self._forget_idle(now)
            state = self._sources[source] = _Source()
        if state.lockouts and now - max(state.locked_until, state.last_seen) > self.max_lockout:
            state.lockouts = 0  # quiet for a long while: start over at the shortest lock
        state.last_seen = now
        failures = state.failures
        failures.append(now)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) >= self.limit:
            state.lockouts += 1
            duration = min(self.lockout * 2 ** (state.lockouts - 1), self.max_lockout)
            state.locked_until = now + duration
            failures.clear()

    def _forget_idle(self, now: float) -> None:
        horizon = max(self.window, self.max_lockout)
        for source in [
            s
            for s, st in self._sources.items()
            if st.locked_until <= now and now - st.last_seen > horizon
        ]:
            del self._sources[source]
        if len(self._sources) >= _MAX_SOURCES:  # all busy: drop the oldest half
            oldest = sorted(self._sources, key=lambda s: self._sources[s].last_seen)
            for source in oldest[: len(oldest) // 2]:
                del self._sources[source]
