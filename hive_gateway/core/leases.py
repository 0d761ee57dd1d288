"""Leases: mutual exclusion that holds across every gateway process sharing one store.

An in-process ``asyncio.Lock`` only orders the requests of one gateway; two gateways behind a
load balancer would both pass it. A lease is a claim (:mod:`hive_gateway.core.claims`, space
:data:`LEASES`) under ``<account>.<name>`` holding its owner and the time it was last renewed:

* taking it is one compare-and-swap create-or-take-over (two processes cannot both win);
* while held, a background task renews it every :data:`RENEW_SECONDS` (a long daemon call
  does not lose it);
* leaving the ``async with`` releases it (only if still ours);
* a lease not renewed for :data:`TTL_SECONDS` (its holder crashed or lost the store) is stale
  and taken over by the next caller.

Wall clocks decide staleness, so gateways sharing a store need clocks within a few seconds of
each other (NTP), as Hive's own heartbeats do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Final

from hive_gateway.core import claims, clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError

LOG = logging.getLogger(__name__)

TTL_SECONDS: Final = 15.0
"""A lease not renewed for this long is stale: its holder is presumed dead."""
RENEW_SECONDS: Final = TTL_SECONDS / 3
"""How often a holder renews its lease."""
LEASES: Final = claims.ClaimSpace("leases", stale_seconds=TTL_SECONDS)
"""The claim space of every lease (bucket ``<prefix>-claim-leases``)."""
_POLL_SECONDS: Final = (0.02, 0.05, 0.1, 0.2)
"""Back-off while another holder keeps the lease."""


def lease_name(*parts: str) -> str:
    """A storable lease name for ``parts`` (``("placement", group)``: any characters)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"{parts[0]}.{digest}" if parts and parts[0].isidentifier() else digest


def busy(name: str) -> AwsError:
    """The retryable answer when a lease stays held past the caller's patience."""
    return AwsError(
        "ServiceUnavailable",
        f"Another request is still working on {name}; retry.",
        status=503,
    )


async def _renew(ctx: RequestContext, name: str, holder: str) -> None:
    while True:
        await asyncio.sleep(RENEW_SECONDS)
        try:
            kept = await claims.update(ctx, LEASES, name, holder, {"claimed_at": clock.utc_now()})
        except Exception:  # the store may be electing a leader: try again
            LOG.warning("lease %s: renewal failed (retrying)", name, exc_info=True)
            continue
        if not kept:
            LOG.warning("lease %s was taken over (not renewed in time)", name)
            return


@contextlib.asynccontextmanager
async def held(
    ctx: RequestContext, name: str, *, wait_seconds: float = 2 * TTL_SECONDS
) -> AsyncIterator[None]:
    """Hold the caller's lease ``name`` for the body (waiting up to ``wait_seconds`` for it).

    Raises a retryable ``ServiceUnavailable`` when another holder keeps it longer.
    """
    holder = f"{uuid.uuid4().hex}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    attempt = 0
    while True:
        claim = await claims.take(ctx, LEASES, name, holder)
        if claim.ours:
            break
        if loop.time() >= deadline:
            raise busy(name)
        await asyncio.sleep(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)])
        attempt += 1
    renewal = asyncio.ensure_future(_renew(ctx, name, holder))
    try:
        yield
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await renewal
        try:
            await asyncio.shield(claims.release(ctx, LEASES, name, holder))
        except Exception:  # it goes stale by itself
            LOG.warning(
                "lease %s not released (expires in %.0fs)", name, TTL_SECONDS, exc_info=True
            )
