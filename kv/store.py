"""The store interface every backend implements (NATS JetStream KV, in-memory).

Semantics follow JetStream KV, because that is what Hive daemons share with us:

* every write (deletes included) returns/consumes the new *revision*: a monotonically increasing
  integer shared by all keys of a bucket (the bucket stream's sequence number);
* ``create`` succeeds only when the key is absent (or its last operation was a delete);
* ``update`` succeeds only when ``revision`` is the revision of the key's last operation
  (compare-and-swap); a delete is an operation too, so it leaves a tombstone revision behind;
* keys match ``[-/_=.a-zA-Z0-9]+`` without a leading/trailing dot or an empty ``..`` token;
* the bookkeeping key ``_version`` (Hive's per-bucket schema version) is never listed.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

VERSION_KEY = "_version"
"""Hive writes ``_version`` = ``"1"`` into every bucket it creates; listings skip it."""


class StoreError(Exception):
    """Base class of every storage failure."""


class KeyExistsError(StoreError):
    """``create`` found the key already present."""


class RevisionMismatchError(StoreError):
    """``update``/``delete`` with a revision that is no longer the key's latest."""


class StoreUnavailableError(StoreError):
    """The backend cannot be reached (NATS down, JetStream not ready, timeout)."""


class InvalidKeyError(StoreError):
    """The key contains characters the backend cannot store (JetStream: ``[-/_=.a-zA-Z0-9]``)."""


_KEY_RE = re.compile(r"[-/_=.a-zA-Z0-9]+")


def is_valid_key(key: str) -> bool:
    """Whether JetStream KV can store ``key``.

    Allowed: ``[-/_=.a-zA-Z0-9]+``, not starting or ending with ``.``, no empty token (``..``;
    the server silently drops such subjects, so the write would only time out).
    """
    return (
        _KEY_RE.fullmatch(key) is not None
        and not key.startswith(".")
        and not key.endswith(".")
        and ".." not in key
    )


def validate_key(key: str) -> None:
    """Raise :class:`InvalidKeyError` unless :func:`is_valid_key`."""
    if not is_valid_key(key):
        raise InvalidKeyError(f"invalid key {key!r}")


_BUCKET_RE = re.compile(r"[a-zA-Z0-9_-]+")


def validate_bucket_name(name: str) -> None:
    """Raise :class:`ValueError` unless ``name`` is a valid bucket name (``[a-zA-Z0-9_-]+``)."""
    if _BUCKET_RE.fullmatch(name) is None:
        raise ValueError(f"invalid bucket name {name!r}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored value with the revision that wrote it."""

    key: str
    value: bytes
    revision: int


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A change seen by :meth:`Bucket.watch`; ``value`` is ``None`` for deletes."""

    key: str
    value: bytes | None
    revision: int
    op: Literal["put", "delete"]


class Bucket(Protocol):
    """A named key space (a JetStream KV bucket)."""

    @property
    def name(self) -> str: ...

    async def get(self, key: str) -> Entry | None:
        """The live value of ``key``, or ``None`` when absent or deleted."""

    async def create(self, key: str, value: bytes) -> int:
        """Write only if absent; raises :class:`KeyExistsError`. Returns the revision."""

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Compare-and-swap; raises :class:`RevisionMismatchError`. Returns the new revision."""

    async def put(self, key: str, value: bytes) -> int:
        """Unconditional write. Returns the revision."""

    async def delete(self, key: str, revision: int | None = None) -> int | None:
        """Delete (optionally only at ``revision``); deleting an absent key is a no-op.

        Returns the revision of the delete marker when the backend reports it."""

    async def keys(self, prefix: str = "") -> list[str]:
        """Sorted live keys starting with ``prefix`` (``_version`` excluded)."""

    async def entries(self, prefix: str = "") -> list[Entry]:
        """Live entries whose key starts with ``prefix``, sorted by key (``_version`` excluded)."""

    def watch(self, prefix: str = "") -> AsyncIterator[WatchEvent]:
        """Current values under ``prefix`` first, then every later change, until closed."""


class Followable(Protocol):
    """What a watch-fed replica (:mod:`kv.replica`) needs from a bucket besides :class:`Bucket`."""

    async def last_revision(self) -> int:
        """The bucket's latest revision (its stream's last sequence; 0 when empty)."""

    def follow(self) -> AsyncIterator[WatchEvent]:
        """Every key's current value (``_version`` included; deletes as ``op="delete"``) in
        revision order, then every later change, until the store closes. After a lost
        connection it resumes after the last revision it yielded."""


class Store(Protocol):
    """A connection to a set of buckets."""

    async def bucket(self, name: str) -> Bucket:
        """Get or create bucket ``name`` (history 10, ``_version``="1" written on creation)."""

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless the backend answers now."""

    async def close(self) -> None:
        """Release connections; the store is unusable afterwards."""


Mutation = Callable[[bytes | None], Awaitable[bytes | None] | bytes | None]


async def cas_update(
    bucket: Bucket, key: str, mutate: Mutation, *, attempts: int = 20
) -> Entry | None:
    """Read-modify-write ``key`` with compare-and-swap, retrying on conflicts.

    ``mutate`` receives the current value (``None`` when absent) and returns the new value, or
    ``None`` to delete. It may raise to abort (nothing is written). Returns the written entry
    (``None`` after a delete). Raises :class:`RevisionMismatchError` after ``attempts`` lost races.
    """
    for attempt in range(attempts):
        if attempt:
            # Lost a race: back off a random, growing while (≤ 50 ms), so a crowd of writers on
            # one hot key (a shared counter) spreads out instead of colliding again in lockstep.
            await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        current = await bucket.get(key)
        result = mutate(current.value if current else None)
        new_value = await result if inspect.isawaitable(result) else result
        try:
            if new_value is None:
                if current is None:
                    return None
                await bucket.delete(key, revision=current.revision)
                return None
            if current is None:
                revision = await bucket.create(key, new_value)
            else:
                revision = await bucket.update(key, new_value, current.revision)
            return Entry(key, new_value, revision)
        except (KeyExistsError, RevisionMismatchError):
            continue
    raise RevisionMismatchError(
        f"gave up on {bucket.name}/{key} after {attempts} conflicting writes"
    )
