"""In-memory :class:`kv.store.Store` with the same observable semantics as JetStream KV.

Used by unit tests and by a storage-less development mode. Like a JetStream bucket (one
stream per bucket), each bucket numbers its writes with its own sequence: every put, create,
update *and delete* consumes the next revision, and a delete leaves a tombstone whose revision
is what a later ``update``/``delete(revision=...)`` must quote. Nothing here is thread-safe;
use it from one event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from kv.store import (
    VERSION_KEY,
    Entry,
    KeyExistsError,
    RevisionMismatchError,
    StoreUnavailableError,
    WatchEvent,
    validate_bucket_name,
    validate_key,
)

__all__ = ["MemoryBucket", "MemoryStore"]


@dataclass(slots=True)
class _Slot:
    """The last operation on a key: a value, or a tombstone (``value is None``)."""

    value: bytes | None
    revision: int


class MemoryBucket:
    """One in-memory bucket; obtain it from :meth:`MemoryStore.bucket`."""

    def __init__(self, name: str, store: MemoryStore) -> None:
        self._name = name
        self._store = store
        self._slots: dict[str, _Slot] = {}
        self._sequence = 0
        self._watchers: list[tuple[str, asyncio.Queue[WatchEvent]]] = []

    @property
    def name(self) -> str:
        return self._name

    # -- writes -------------------------------------------------------------------------------

    def _last_revision(self, key: str) -> int:
        slot = self._slots.get(key)
        return slot.revision if slot else 0

    def _write(self, key: str, value: bytes | None) -> int:
        self._sequence += 1
        self._slots[key] = _Slot(value, self._sequence)
        event = WatchEvent(
            key=key,
            value=value,
            revision=self._sequence,
            op="put" if value is not None else "delete",
        )
        for prefix, queue in self._watchers:
            if _listed(key, prefix):
                queue.put_nowait(event)
        return self._sequence

    async def get(self, key: str) -> Entry | None:
        """The live value of ``key``, or ``None`` when absent or deleted."""
        self._store._check_open()
        validate_key(key)
        slot = self._slots.get(key)
        if slot is None or slot.value is None:
            return None
        return Entry(key, slot.value, slot.revision)

    async def create(self, key: str, value: bytes) -> int:
        """Write only if absent or deleted; raises :class:`KeyExistsError`."""
        self._store._check_open()
        validate_key(key)
        slot = self._slots.get(key)
        if slot is not None and slot.value is not None:
            raise KeyExistsError(f"{self._name}/{key} already exists")
        return self._write(key, bytes(value))

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Write only if ``revision`` is the revision of the key's last operation (0: none)."""
        self._store._check_open()
        validate_key(key)
        current = self._last_revision(key)
        if current != revision:
            raise RevisionMismatchError(
                f"{self._name}/{key} is at revision {current}, not {revision}"
            )
        return self._write(key, bytes(value))

    async def put(self, key: str, value: bytes) -> int:
        """Unconditional write."""
        self._store._check_open()
        validate_key(key)
        return self._write(key, bytes(value))

    async def delete(self, key: str, revision: int | None = None) -> int:
        """Write a tombstone (optionally only if the last operation is at ``revision``).

        As in JetStream, deleting an absent key still writes a tombstone (and watchers see it).
        """
        self._store._check_open()
        validate_key(key)
        if revision is not None:
            current = self._last_revision(key)
            if current != revision:
                raise RevisionMismatchError(
                    f"{self._name}/{key} is at revision {current}, not {revision}"
                )
        return self._write(key, None)

    # -- reads --------------------------------------------------------------------------------

    def _live(self, prefix: str) -> list[Entry]:
        return [
            Entry(key, slot.value, slot.revision)
            for key, slot in self._slots.items()
            if slot.value is not None and _listed(key, prefix)
        ]

    async def keys(self, prefix: str = "") -> list[str]:
        """Sorted live keys starting with ``prefix`` (``_version`` excluded)."""
        self._store._check_open()
        return sorted(entry.key for entry in self._live(prefix))

    async def entries(self, prefix: str = "") -> list[Entry]:
        """Live entries under ``prefix`` sorted by key (``_version`` excluded)."""
        self._store._check_open()
        return sorted(self._live(prefix), key=lambda entry: entry.key)

    async def last_revision(self) -> int:
        """The bucket's latest revision."""
        self._store._check_open()
        return self._sequence

    async def follow(self) -> AsyncIterator[WatchEvent]:
        """Every key's last operation (``_version`` and tombstones included), then every change."""
        self._store._check_open()
        queue: asyncio.Queue[WatchEvent] = asyncio.Queue()
        snapshot = sorted(self._slots.items(), key=lambda item: item[1].revision)
        registration = (_EVERYTHING, queue)
        self._watchers.append(registration)
        try:
            for key, slot in snapshot:
                op: Literal["put", "delete"] = "put" if slot.value is not None else "delete"
                yield WatchEvent(key, slot.value, slot.revision, op)
            while True:
                event = await queue.get()
                if event.revision < 0:  # close marker
                    return
                yield event
        finally:
            self._watchers.remove(registration)

    async def watch(self, prefix: str = "") -> AsyncIterator[WatchEvent]:
        """Live values under ``prefix`` (in revision order), then every later change.

        Deletes of keys in the initial snapshot are not replayed; later deletes are yielded
        with ``value=None``. Stops when the consumer closes the iterator or the store closes.
        """
        self._store._check_open()
        queue: asyncio.Queue[WatchEvent] = asyncio.Queue()
        # Snapshot and subscribe without an await in between, so no change can slip through.
        snapshot = sorted(self._live(prefix), key=lambda entry: entry.revision)
        registration = (prefix, queue)
        self._watchers.append(registration)
        try:
            for entry in snapshot:
                yield WatchEvent(entry.key, entry.value, entry.revision, "put")
            while True:
                event = await queue.get()
                if event.revision < 0:  # close marker
                    return
                yield event
        finally:
            self._watchers.remove(registration)

    def _close_watchers(self) -> None:
        for _, queue in self._watchers:
            queue.put_nowait(_CLOSED)


_CLOSED = WatchEvent(key="", value=None, revision=-1, op="delete")


_EVERYTHING = "\x00every-key"
"""The watcher prefix of :meth:`MemoryBucket.follow` (``_version`` included)."""


def _listed(key: str, prefix: str) -> bool:
    if prefix == _EVERYTHING:
        return True
    return key != VERSION_KEY and key.startswith(prefix)


class MemoryStore:
    """A set of :class:`MemoryBucket`; buckets are created on first use with ``_version``="1"."""

    def __init__(self) -> None:
        self._buckets: dict[str, MemoryBucket] = {}
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailableError("memory store is closed")

    async def bucket(self, name: str) -> MemoryBucket:
        """Get or create bucket ``name``; a new bucket gets ``_version``="1" (revision 1).

        Raises :class:`ValueError` unless ``name`` matches ``[a-zA-Z0-9_-]+`` (as JetStream).
        """
        self._check_open()
        validate_bucket_name(name)
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = MemoryBucket(name, self)
            await bucket.create(VERSION_KEY, b"1")
            self._buckets[name] = bucket
        return bucket

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` once closed."""
        self._check_open()

    async def close(self) -> None:
        """Mark the store closed and end every open watch."""
        self._closed = True
        for bucket in self._buckets.values():
            bucket._close_watchers()
