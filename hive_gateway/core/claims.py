"""Named claim spaces: uniqueness under concurrent requests, by compare-and-swap, never by scan.

A claim is a small document ``{"holder": …, "claimed_at": …, …}`` under the caller's key
``<account>.<name>`` in its space's own bucket (one :mod:`kv.buckets` row per space). Taking a
claim is one CAS write: two requests racing for one name cannot both win.

Staleness is decided here and only here. A claim held by someone else is taken over when:

* the space's ``held`` check says its holder let go (the resource it stands for is gone), or
* the check cannot tell (``None``: the holder may still be writing its resource) and the claim is
  older than the space's :attr:`ClaimSpace.stale_seconds` (a crash between claim and write).

A holder re-taking its own claim succeeds (it is not fresh then).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from kv.buckets import account_key, account_prefix
from kv.records import RecordBucket

SCHEMA: Final = "claim"
"""``schemas/records/claim.schema.json``: every space's documents."""


@dataclass(frozen=True, slots=True)
class ClaimSpace:
    """One namespace of claims, stored in its own bucket."""

    bucket: str
    """Logical bucket (a :data:`kv.buckets.BUCKETS` row)."""
    stale_seconds: float
    """Age after which a claim whose holder cannot be confirmed is taken over."""


CLIENT_TOKENS: Final = ClaimSpace("client_tokens", stale_seconds=60.0)
"""``ClientToken`` → the resource a request creates (:mod:`hive_gateway.core.idempotency`)."""
KEY_PAIR_NAMES: Final = ClaimSpace("key_pair_names", stale_seconds=30.0)
"""Key pair names, unique per account."""
ENI_SLOTS: Final = ClaimSpace("eni_slots", stale_seconds=60.0)
"""``<instance>.<device-index>`` → the network interface attached (or attaching) there."""
IMAGE_NAMES: Final = ClaimSpace("image_names", stale_seconds=60.0)
"""AMI names, unique per account."""
LAUNCH_TEMPLATE_NAMES: Final = ClaimSpace("launch_template_names", stale_seconds=30.0)
"""Launch template names, unique per account (and region)."""
DEVICE_SLOTS: Final = ClaimSpace("device_slots", stale_seconds=30.0)
"""``<instance>.<device>`` → the volume attached (or attaching) there."""

Held = Callable[[Record], Awaitable[bool | None]]
"""Whether another holder's claim still stands: ``True`` held, ``False`` let go, ``None``
unknown (the claim's age decides)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of :func:`take`."""

    value: Record
    """The claim document now stored (the other holder's when not :attr:`ours`)."""
    ours: bool
    """The caller holds the claim."""
    fresh: bool
    """The caller has just taken it (it was free, stale or let go)."""


class _Held(Exception):
    """Another holder keeps the claim: abort the write."""

    def __init__(self, value: Record) -> None:
        super().__init__()
        self.value = value


class _Unchanged(Exception):
    """Nothing to write."""


async def _bucket(ctx: RequestContext, space: ClaimSpace) -> RecordBucket:
    return await ctx.runtime.records(space.bucket, SCHEMA)


def is_stale(space: ClaimSpace, claim: Mapping[str, Any], at: datetime | None = None) -> bool:
    """Whether ``claim`` is older than the space's staleness limit (unreadable stamps are)."""
    at = at or clock.now()
    try:
        claimed = clock.parse_time(str(claim["claimed_at"]))
    except (KeyError, ValueError):
        return True
    return (at - claimed).total_seconds() >= space.stale_seconds


async def get(ctx: RequestContext, space: ClaimSpace, name: str) -> Record | None:
    """The caller's claim on ``name``, or ``None``."""
    found = await (await _bucket(ctx, space)).get(account_key(ctx.account_id, name))
    return found[0] if found is not None else None


async def take(
    ctx: RequestContext,
    space: ClaimSpace,
    name: str,
    holder: str,
    *,
    data: Mapping[str, Any] | None = None,
    held: Held | None = None,
) -> Claim:
    """Claim ``name`` for ``holder`` (with extra ``data``), unless someone else holds it.

    Never raises for a taken claim: :attr:`Claim.ours` says who holds it, and the caller answers
    its own AWS error (``InvalidKeyPair.Duplicate``, ``InvalidParameterValue``, …). Exceptions
    raised by ``held`` abort without writing.
    """
    fresh = False

    async def change(current: Record | None) -> Record:
        nonlocal fresh
        if current is not None and current.get("holder") != holder:
            stands = await held(current) if held is not None else None
            if stands or (stands is None and not is_stale(space, current)):
                raise _Held(current)
        fresh = current is None or current.get("holder") != holder
        return {**(data or {}), "holder": holder, "claimed_at": clock.utc_now()}

    try:
        value = await (await _bucket(ctx, space)).mutate(account_key(ctx.account_id, name), change)
    except _Held as other:
        return Claim(other.value, ours=False, fresh=False)
    assert value is not None
    return Claim(value, ours=True, fresh=fresh)


async def update(
    ctx: RequestContext, space: ClaimSpace, name: str, holder: str, data: Mapping[str, Any]
) -> bool:
    """Merge ``data`` into ``holder``'s claim on ``name``; whether ``holder`` still held it."""

    def change(current: Record | None) -> Record:
        if current is None or current.get("holder") != holder:
            raise _Unchanged()
        return {**current, **data}

    try:
        await (await _bucket(ctx, space)).mutate(account_key(ctx.account_id, name), change)
    except _Unchanged:
        return False
    return True


async def release(ctx: RequestContext, space: ClaimSpace, name: str, holder: str) -> None:
    """Drop ``holder``'s claim on ``name`` (a claim taken over meanwhile is left alone)."""

    def change(current: Record | None) -> None:
        if current is None or current.get("holder") != holder:
            raise _Unchanged()

    try:
        await (await _bucket(ctx, space)).mutate(account_key(ctx.account_id, name), change)
    except _Unchanged:
        pass


async def release_all(ctx: RequestContext, space: ClaimSpace, prefix: str) -> None:
    """Drop every claim of the caller whose name starts with ``prefix`` (whoever holds it)."""
    bucket = await _bucket(ctx, space)
    for key, _, _ in await bucket.items(account_prefix(ctx.account_id) + prefix):
        await bucket.delete(key)
