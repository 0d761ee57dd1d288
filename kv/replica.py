"""A watch-fed in-memory replica in front of a :class:`kv.store.Store`: reads from memory, writes
through to the backend (compare-and-swap stays the backend's), one watch per bucket.

* **Load and follow.** A bucket's replica is loaded by one pass over its current values (on
  first use, or every bucket at once before a gateway answers: :meth:`ReplicaStore.load`) and
  kept current by the same watch (:meth:`kv.store.Followable.follow`: one ordered consumer per
  bucket, which nats-py resumes after the last revision it delivered when the connection comes
  back). If the watch itself ends while the store is open it is started again
  and the replica reloaded in full (keys the new pass does not show are dropped).
* **Reads** (``keys``/``entries``/``get_many``/:meth:`ReplicaBucket.matching`) first make sure the
  replica has applied every write the backend had acknowledged when the read began: they fetch
  the bucket's latest revision (one request shared by every read that arrived while the
  previous fetch was out, so concurrent reads coalesce) and wait, at most ``sync_timeout``
  seconds, until the watch has delivered it. So a write acknowledged by any process (another
  gateway) is seen by every later read on every process; a replica that cannot catch up
  answers :class:`StoreUnavailableError` (a retryable 503), never stale data. While the store
  holds a lease of being the only writer (:meth:`ReplicaStore.declare_alone`, granted by
  :class:`kv.peers.Peers` when no other gateway is registered; only gateways write the buckets
  a gateway replicates) that round trip is skipped: every write the backend holds was then
  applied here when it was acknowledged.
* **One key** (``get``: what a compare-and-swap reads) is read from the backend (a direct
  get, no consumer) and applied to the replica.
* **Writes** go to the backend and are applied to the replica at once with the revision the
  backend gave them (the watch later delivers the same revision, which changes nothing; an
  older one never overwrites a newer one).
* **Indexes** (:meth:`ReplicaBucket.index`): a value extracted from each JSON value, kept per
  key group (the key's first ``.``-token: the account of ``<account>.<id>`` keys), so "the
  account's records whose ``vpc_id`` is X" costs O(matches).
* ``watch`` is the backend's own (a consumer of its own; the gateway does not use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from bisect import bisect_left
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Hashable,
    Iterable,
    Mapping,
    Sized,
)
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kv.store import (
    VERSION_KEY,
    Bucket,
    Entry,
    Followable,
    Store,
    StoreError,
    StoreUnavailableError,
    WatchEvent,
    validate_key,
)
from kv.turns import take_turn

__all__ = ["Extractor", "Loaded", "ReplicaBucket", "ReplicaStore", "field_values"]

log = logging.getLogger(__name__)

INDEX_SLICE = 1000
"""Values an index build decodes between two turns of the event loop."""

Extractor = Callable[[Any], Iterable[Hashable]]
"""The index values of one decoded JSON value (called only for JSON objects)."""


class _Backend(Bucket, Followable, Protocol):
    """A bucket a replica can follow."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :meth:`ReplicaStore.load` loaded."""

    buckets: int
    records: int
    """Live keys (``_version`` excluded) in those buckets when each finished loading."""
    seconds: float


class _Slot:
    """A key's last operation seen: a value, or a tombstone (``value is None``)."""

    __slots__ = ("revision", "value")

    def __init__(self, value: bytes | None, revision: int) -> None:
        self.value = value
        self.revision = revision


def _group(key: str) -> str:
    return key.partition(".")[0]


def field_values(field: str) -> Extractor:
    """The extractor indexing a field: its scalar value, or each scalar of a list. A dotted
    path reaches into nested objects and lists of them: ``associations.association_id``
    indexes each association's id (``{"associations": [{"association_id": "a-1"}, ...]}``)."""
    path = field.split(".")

    def extract(record: Any) -> Iterable[Hashable]:
        values: list[Any] = [record]
        for name in path:
            step: list[Any] = []
            for value in values:
                found = value.get(name) if isinstance(value, dict) else None
                step += found if isinstance(found, list) else [found]
            values = step
        return [v for v in values if isinstance(v, (str, int, float, bool))]

    return extract


def _decoded(value: bytes) -> dict[str, Any] | None:
    """``value`` as the JSON object indexes extract from (``None``: not a JSON object)."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


_T = TypeVar("_T", bound=Sized)


async def _turn_after(result: _T) -> _T:
    """``result``, after a turn of the event loop when it is large: a read of the replica
    never suspends (it is memory), so a caller chaining listings of 100k keys (the start-up
    repair) would otherwise hold the loop for all of them while requests wait."""
    if len(result) > INDEX_SLICE:
        await take_turn()
    return result


class _Index:
    """``(group, value) → keys`` for one extractor."""

    __slots__ = ("extract", "keys")

    def __init__(self, extract: Extractor) -> None:
        self.extract = extract
        self.keys: dict[tuple[str, Hashable], set[str]] = {}

    def values(self, decoded: dict[str, Any] | None) -> Iterable[Hashable]:
        if decoded is None:
            return ()
        try:
            return set(self.extract(decoded))
        except (TypeError, ValueError, AttributeError):
            return ()

    def add(self, key: str, decoded: dict[str, Any] | None) -> None:
        group = _group(key)
        for found in self.values(decoded):
            self.keys.setdefault((group, found), set()).add(key)

    def remove(self, key: str, decoded: dict[str, Any] | None) -> None:
        group = _group(key)
        for found in self.values(decoded):
            members = self.keys.get((group, found))
            if members is not None:
                members.discard(key)
                if not members:
                    del self.keys[(group, found)]


class _Coalescer:
    """Fetches the backend's latest revision for many readers: a reader only trusts a fetch
    sent after it arrived, and every reader that arrives while one is out shares the next."""

    def __init__(self, fetch: Callable[[], Coroutine[Any, Any, int]]) -> None:
        self._fetch = fetch
        self._running = False
        self._queued: asyncio.Future[int] | None = None

    async def latest(self) -> int:
        future = self._queued
        if future is None:
            future = self._queued = asyncio.get_running_loop().create_future()
            if not self._running:
                self._start()
        return await asyncio.shield(future)

    def _start(self) -> None:
        future, self._queued = self._queued, None
        assert future is not None
        self._running = True
        task = asyncio.ensure_future(self._fetch())

        def done(finished: asyncio.Task[int]) -> None:
            self._running = False
            if finished.cancelled():
                future.set_exception(StoreUnavailableError("revision fetch cancelled"))
            elif (error := finished.exception()) is not None:
                future.set_exception(error)
            else:
                future.set_result(finished.result())
            future.exception()  # retrieved: readers that went away must not log it
            if self._queued is not None:
                self._start()

        task.add_done_callback(done)


class ReplicaBucket:
    """One bucket's replica; obtain it from :meth:`ReplicaStore.bucket`."""

    def __init__(
        self, inner: _Backend, *, sync_timeout: float, alone: Callable[[], bool] | None = None
    ) -> None:
        self._inner = inner
        self._sync_timeout = sync_timeout
        self._alone = alone
        self._slots: dict[str, _Slot] = {}
        self._groups: dict[str, set[str]] = {}
        self._ordered: dict[str, list[str]] = {}
        """A group's live keys sorted, made when listed and dropped when a key joins or leaves
        the group (not when one changes): a walk of pages over 100k keys sorts them once."""
        self._indexes: dict[str, _Index] = {}
        self._building: dict[str, asyncio.Event] = {}
        """Indexes being built (in :attr:`_indexes` already, not whole yet)."""
        self._seen = 0
        self._tombstones: list[tuple[int, str]] = []
        self._progress = asyncio.Event()
        self._closed = False
        self._failure: BaseException | None = None
        self._latest = _Coalescer(lambda: self._inner.last_revision())
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self._inner.name

    # -- following ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start following the backend (the first pass loads the replica)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._follow())

    async def _follow(self) -> None:
        reload = False
        while not self._closed:
            try:
                stale: set[str] | None = None
                target = 0
                if reload:
                    stale, target = set(self._slots), await self._inner.last_revision()
                async for event in self._inner.follow():
                    self._apply(event.key, event.value, event.revision, local=False)
                    if stale is not None:
                        stale.discard(event.key)
                        if event.revision >= target:
                            self._drop(stale)
                            stale = None
                    if event.revision > self._seen:
                        self._advance(event.revision)
                self._failure = StoreUnavailableError(f"watch of {self.name} ended")
                self._progress.set()
                return  # the store closed
            except StoreError as error:
                log.warning("replica of %s: watch failed (%s); reloading", self.name, error)
            except Exception:  # keep following whatever nats-py raises
                log.exception("replica of %s: watch failed; reloading", self.name)
            reload = True
            await asyncio.sleep(1.0)

    def _advance(self, revision: int) -> None:
        """The watch has delivered everything up to ``revision``: wake readers, forget the
        tombstones it has passed."""
        self._seen = revision
        while self._tombstones and self._tombstones[0][0] <= revision:
            _, key = heapq.heappop(self._tombstones)
            slot = self._slots.get(key)
            if slot is not None and slot.value is None and slot.revision <= revision:
                del self._slots[key]
        self._progress.set()
        self._progress = asyncio.Event()

    def _drop(self, keys: set[str]) -> None:
        for key in keys:
            slot = self._slots.get(key)
            if slot is not None and slot.value is not None and slot.revision <= self._seen:
                self._set(key, None, slot.revision)

    def _apply(self, key: str, value: bytes | None, revision: int, *, local: bool) -> None:
        """Take ``value`` at ``revision`` unless the replica already has a later operation
        (for a local write: or the watch has already passed ``revision``)."""
        slot = self._slots.get(key)
        if slot is not None:
            if slot.revision >= revision:
                return
        elif local and revision <= self._seen:
            return
        self._set(key, value, revision)

    def _set(self, key: str, value: bytes | None, revision: int) -> None:
        slot = self._slots.get(key)
        old = slot.value if slot is not None else None
        if old is not None and self._indexes:
            decoded = _decoded(old)  # once for every index
            for index in self._indexes.values():
                index.remove(key, decoded)
        if value is None:
            # A tombstone, until the watch has passed it (so a late older put cannot revive it).
            self._slots[key] = _Slot(None, revision)
            heapq.heappush(self._tombstones, (revision, key))
            group = _group(key)
            members = self._groups.get(group)
            if members is not None and key in members:
                members.discard(key)
                self._ordered.pop(group, None)
            return
        self._slots[key] = _Slot(value, revision)
        group = _group(key)
        members = self._groups.setdefault(group, set())
        if key not in members:
            members.add(key)
            self._ordered.pop(group, None)
        if self._indexes:
            decoded = _decoded(value)
            for index in self._indexes.values():
                index.add(key, decoded)

    # -- reads --------------------------------------------------------------------------------

    async def sync(self, *, fetch: bool = False) -> None:
        """Wait until the replica holds every write acknowledged before this call: at once while
        this process is the only writer (unless ``fetch``), else by fetching the backend's
        latest revision and waiting for the watch to deliver it."""
        if self._failure is not None:
            raise StoreUnavailableError(str(self._failure))
        if not fetch and self._alone is not None and self._alone():
            return
        latest = await self._latest.latest()
        if self._seen >= latest:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._sync_timeout
        while self._seen < latest:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._failure is not None:
                raise StoreUnavailableError(
                    f"replica of {self.name} is at revision {self._seen}, not yet {latest}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)

    async def load(self, timeout: float | None = None) -> int:
        """Wait until the first pass has delivered everything the backend held when this was
        called (``timeout`` seconds at most: ``None`` waits as long as it takes, unlike a
        read's ``sync_timeout``); returns the number of live keys (``_version`` excluded)."""
        self.start()
        latest = await self._inner.last_revision()
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._seen < latest:
            if self._failure is not None:
                raise StoreUnavailableError(str(self._failure))
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise StoreUnavailableError(
                    f"replica of {self.name} is at revision {self._seen}, not yet {latest}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)
        return sum(
            1 for key, slot in self._slots.items() if slot.value is not None and key != VERSION_KEY
        )

    def _live(self, key: str) -> Entry | None:
        slot = self._slots.get(key)
        if slot is None or slot.value is None:
            return None
        return Entry(key, slot.value, slot.revision)

    async def get(self, key: str) -> Entry | None:
        """The live value of ``key`` (``_version`` included), or ``None``.

        One key is read from the backend itself (a direct get: one round trip, like a
        :meth:`sync`, but without waiting for the watch), so the read of a compare-and-swap
        is always the latest; what it finds is applied to the replica. Many keys at once:
        :meth:`get_many`."""
        validate_key(key)
        if self._failure is not None:
            raise StoreUnavailableError(str(self._failure))
        entry = await self._inner.get(key)
        if entry is not None:
            self._apply(key, entry.value, entry.revision, local=True)
        return entry

    async def get_many(self, keys: list[str]) -> list[Entry]:
        """The live entries of ``keys`` in the order given (one :meth:`sync` for all)."""
        for key in keys:
            validate_key(key)
        await self.sync()
        return [entry for key in keys if (entry := self._live(key)) is not None]

    def _listed(self, prefix: str) -> list[str]:
        """Sorted live keys under ``prefix``: within a group (``<account>.``) a slice of its
        sorted keys, else every key filtered and sorted."""
        if "." in prefix:
            group = _group(prefix)
            ordered = self._ordered.get(group)
            if ordered is None:
                ordered = self._ordered[group] = sorted(self._groups.get(group, ()))
            start = bisect_left(ordered, prefix)
            # Keys are ASCII (``kv.store.validate_key``): none under ``prefix`` sorts past this.
            return ordered[start : bisect_left(ordered, prefix + "\U0010ffff", start)]
        return sorted(
            key
            for key, slot in self._slots.items()
            if key != VERSION_KEY and key.startswith(prefix) and slot.value is not None
        )

    async def keys(self, prefix: str = "") -> list[str]:
        """Sorted live keys starting with ``prefix`` (``_version`` excluded)."""
        await self.sync()
        return await _turn_after(self._listed(prefix))

    async def entries(self, prefix: str = "") -> list[Entry]:
        """Live entries under ``prefix`` sorted by key (``_version`` excluded)."""
        await self.sync()
        listed = self._listed(prefix)
        return await _turn_after(
            [entry for key in listed if (entry := self._live(key)) is not None]
        )

    async def index(self, name: str, extract: Extractor) -> None:
        """Maintain index ``name``, kept with every change; returns once it is whole.

        It is built from the replica in slices of :data:`INDEX_SLICE` values, letting requests
        run in between (a first index over 100k records decodes each of them once); changes
        applied meanwhile reach it too, and a second caller waits for the first one's build.
        """
        while (building := self._building.get(name)) is not None:
            await building.wait()
        if name in self._indexes:
            return
        index = _Index(extract)
        self._indexes[name] = index  # from now on every change is applied to it as well
        done = self._building[name] = asyncio.Event()
        try:
            keys = [k for k, slot in self._slots.items() if slot.value is not None]
            for start in range(0, len(keys), INDEX_SLICE):
                if start:
                    await take_turn()
                for key in keys[start : start + INDEX_SLICE]:
                    slot = self._slots.get(key)  # its value now: it may have changed meanwhile
                    if slot is not None and slot.value is not None and key != VERSION_KEY:
                        index.add(key, _decoded(slot.value))
        except BaseException:
            del self._indexes[name]
            raise
        finally:
            del self._building[name]
            done.set()

    def has_index(self, name: str) -> bool:
        return name in self._indexes and name not in self._building

    async def matching(self, criteria: Mapping[str, Iterable[Hashable]], group: str) -> list[Entry]:
        """Live entries of key group ``group`` that every index of ``criteria`` maps one of
        its values to, by key: ``{"vpc": ["vpc-1"], "name": ["default"]}`` is the default
        group of vpc-1, found through the smaller of the two key sets."""
        keys = await self.matching_keys(criteria, group)
        return [entry for key in keys if (entry := self._live(key)) is not None]

    async def matching_keys(
        self, criteria: Mapping[str, Iterable[Hashable]], group: str
    ) -> list[str]:
        """The sorted keys of :meth:`matching`, no value read."""
        await self.sync()
        chosen: set[str] | None = None
        for selected in sorted(
            (self._keys_of(name, values, group) for name, values in criteria.items()), key=len
        ):
            chosen = set(selected) if chosen is None else chosen & selected
            if not chosen:
                break
        return sorted(key for key in chosen or () if self._live(key) is not None)

    async def index_map(self, name: str, group: str) -> dict[str, list[Hashable]]:
        """Every live key of key group ``group`` that index ``name`` holds a value for → those
        values: the index read backwards, no value decoded (O(the index's entries))."""
        await self.sync()
        found: dict[str, list[Hashable]] = {}
        for (owner, value), keys in self._indexes[name].keys.items():
            if owner == group:
                for key in keys:
                    found.setdefault(key, []).append(value)
        return await _turn_after(found)

    def _keys_of(self, name: str, values: Iterable[Hashable], group: str) -> set[str]:
        """Keys of ``group`` that index ``name`` maps any of ``values`` to."""
        index = self._indexes[name].keys
        sets = [keys for value in values if (keys := index.get((group, value)))]
        return sets[0] if len(sets) == 1 else set().union(*sets)

    # -- writes (to the backend, then applied here) ------------------------------------------

    async def create(self, key: str, value: bytes) -> int:
        """Write only if absent or deleted (the backend decides); raises ``KeyExistsError``."""
        revision = await self._inner.create(key, value)
        self._apply(key, bytes(value), revision, local=True)
        return revision

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Compare-and-swap on the backend; raises ``RevisionMismatchError``."""
        written = await self._inner.update(key, value, revision)
        self._apply(key, bytes(value), written, local=True)
        return written

    async def put(self, key: str, value: bytes) -> int:
        """Unconditional write."""
        revision = await self._inner.put(key, value)
        self._apply(key, bytes(value), revision, local=True)
        return revision

    async def delete(self, key: str, revision: int | None = None) -> int | None:
        """Delete on the backend (optionally only at ``revision``)."""
        written = await self._inner.delete(key, revision)
        if written is not None:
            self._apply(key, None, written, local=True)
        return written

    def watch(self, prefix: str = "") -> AsyncIterator[WatchEvent]:
        """The backend's own watch."""
        return self._inner.watch(prefix)

    async def last_revision(self) -> int:
        """The backend's latest revision."""
        return await self._inner.last_revision()

    def follow(self) -> AsyncIterator[WatchEvent]:
        """The backend's own follow."""
        return self._inner.follow()

    async def close(self) -> None:
        """Stop following."""
        self._closed = True
        self._failure = StoreUnavailableError(f"replica of {self.name} is closed")
        if self._task is not None:
            self._task.cancel()
            # nats-py may not let a watch being set up go at once: don't wait for it forever.
            await asyncio.wait({self._task}, timeout=1.0)


class ReplicaStore:
    """A :class:`kv.store.Store` whose buckets are :class:`ReplicaBucket` over ``inner``'s."""

    def __init__(self, inner: Store, *, sync_timeout: float = 5.0) -> None:
        self._inner = inner
        self._sync_timeout = sync_timeout
        self._buckets: dict[str, ReplicaBucket] = {}
        self._lock = asyncio.Lock()
        self._alone_until = float("-inf")

    def alone(self) -> bool:
        """Whether this process holds a lease of being the only writer of the store's buckets
        (the peers bucket excepted): reads then skip the revision round trip."""
        return time.monotonic() < self._alone_until

    def declare_alone(self, until: float) -> None:
        """No other process writes the buckets until ``until`` (:func:`time.monotonic`); only
        after :meth:`settle` has taken in every write of the processes that were there."""
        self._alone_until = until

    def declare_shared(self) -> None:
        """Other processes write too: every read fetches the latest revision again."""
        self._alone_until = float("-inf")

    async def settle(self) -> None:
        """Wait until every open replica holds every write the backend has acknowledged."""
        await asyncio.gather(*(b.sync(fetch=True) for b in list(self._buckets.values())))

    @property
    def inner(self) -> Store:
        """The backend."""
        return self._inner

    async def bucket(self, name: str, *, shared: bool = False) -> ReplicaBucket:
        """The replica of bucket ``name`` (created on the backend if absent), following it.
        ``shared``: written by every process whatever :meth:`alone` says (the peers bucket),
        so its reads always fetch the latest revision."""
        found = self._buckets.get(name)
        if found is not None:
            return found
        async with self._lock:
            found = self._buckets.get(name)
            if found is None:
                inner: Any = await self._inner.bucket(name)
                found = ReplicaBucket(
                    inner,
                    sync_timeout=self._sync_timeout,
                    alone=None if shared else self.alone,
                )
                found.start()
                self._buckets[name] = found
            return found

    async def load(self, names: Iterable[str], *, timeout: float | None = None) -> Loaded:
        """Open and load the replicas of buckets ``names`` (created on the backend if absent)
        concurrently, each by one pass: what a gateway does before it answers, so no request
        waits for a first load. ``timeout``: at most that long for each bucket's pass."""
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def one(name: str) -> int:
            return await (await self.bucket(name)).load(timeout)

        counts = await asyncio.gather(*(one(name) for name in dict.fromkeys(names)))
        return Loaded(len(counts), sum(counts), loop.time() - started)

    async def ping(self) -> None:
        """The backend's ping."""
        await self._inner.ping()

    async def close(self) -> None:
        """Stop every replica and close the backend."""
        for bucket in list(self._buckets.values()):
            await bucket.close()
        self._buckets.clear()
        await self._inner.close()
