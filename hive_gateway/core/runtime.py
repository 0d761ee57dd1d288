"""Shared, long-lived state of a running gateway: settings, store, accounts, record buckets, and
the background tasks, locks and clients its handlers keep (several runtimes may share one
process: nothing of theirs lives in module globals)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kv.buckets import BUCKETS, NOT_REPLICATED, bucket_name
from kv.peers import Peers
from kv.records import RecordBucket
from kv.replica import Loaded, ReplicaStore
from kv.store import Store

from hive_gateway.config import Settings

from hive_gateway.core.registry import ACCOUNT_SETUP

T = TypeVar("T")

LOG = logging.getLogger(__name__)

if TYPE_CHECKING:
    from hive_gateway.core.context import RequestContext
    from hive_gateway.api.auth.accounts import AccountRegistry
    from hive_gateway.hive.bus import Bus


@dataclass
class Runtime:
    """What every handler reaches through ``ctx.runtime``."""

    settings: Settings
    store: Store
    accounts: AccountRegistry
    bus: Bus | None = None
    """NATS request/reply and events towards Hive daemons (``None``: no bus, events dropped)."""
    _records: dict[str, RecordBucket] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _prepared: set[str] = field(default_factory=set)
    _account_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _locks: dict[tuple[str, ...], asyncio.Lock] = field(default_factory=dict)
    _services: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.settings.read_replica and not isinstance(self.store, ReplicaStore):
            # Records are read from a watch-fed in-memory replica (writes still go to the store).
            self.store = ReplicaStore(
                self.store, sync_timeout=min(5.0, self.settings.request_timeout)
            )

    async def load_replica(self) -> Loaded | None:
        """Load the read replica of every bucket the gateway reads (:data:`kv.buckets.BUCKETS`
        but :data:`kv.buckets.NOT_REPLICATED`), concurrently, one pass each, and log what it
        took; ``None`` without a replica. ``serve`` awaits it before it answers, so no request
        pays for a first load."""
        if not isinstance(self.store, ReplicaStore):
            return None
        prefix = self.settings.bucket_prefix
        names = [
            bucket_name(prefix, logical) for logical in BUCKETS if logical not in NOT_REPLICATED
        ]
        loaded = await self.store.load(names)
        LOG.info(
            "read replica loaded: %d buckets, %d records in %.2fs",
            loaded.buckets,
            loaded.records,
            loaded.seconds,
        )
        return loaded

    async def join_peers(self) -> Peers | None:
        """Register this gateway among the running ones (:mod:`kv.peers`): while it is the
        only one, its replica's reads skip the revision round trip (never with
        ``always_sync_reads``: it registers, so the others know it writes, but always fetches).
        ``None`` without a replica. ``serve`` awaits it before it answers (it waits out older
        gateways' leases)."""
        if not isinstance(self.store, ReplicaStore):
            return None
        peers = Peers(
            self.store,
            bucket_name(self.settings.bucket_prefix, "gateway_peers"),
            may_be_alone=not self.settings.always_sync_reads,
        )
        await peers.join()
        return peers

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, referenced by this runtime until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def lock(self, *key: str) -> asyncio.Lock:
        """This gateway process's lock named ``key`` (``("000000000001", "finalize", "i-…")``).

        Only for work that one process must not do twice at once; what must hold across
        gateways sharing a store is a claim (:mod:`hive_gateway.core.claims`) or a lease
        (:mod:`hive_gateway.core.leases`).
        """
        found = self._locks.get(key)
        if found is None:
            found = self._locks[key] = asyncio.Lock()
        return found

    def forget_lock(self, *key: str) -> None:
        """Drop the lock of :meth:`lock` once nothing will take it again."""
        self._locks.pop(key, None)

    def service(self, name: str, make: Callable[[], T]) -> T:
        """This runtime's ``name`` object (a client of the daemons …), made on first use."""
        if name not in self._services:
            self._services[name] = make()
        return cast(T, self._services[name])

    async def prepare_account(self, ctx: RequestContext) -> None:
        """Run the :func:`~hive_gateway.core.registry.on_first_request` hooks once per account."""
        account = ctx.account_id
        if account in self._prepared:
            return
        lock = self._account_locks.setdefault(account, asyncio.Lock())
        async with lock:
            if account in self._prepared:
                return
            for hook in ACCOUNT_SETUP:
                await hook(ctx)
            self._prepared.add(account)

    async def records(self, logical: str, schema: str | None = None) -> RecordBucket:
        """The JSON record bucket for logical bucket ``logical`` (e.g. ``"vpcs"``).

        ``schema`` names ``schemas/records/<schema>.schema.json``; it defaults to ``logical``.
        """
        cached = self._records.get(logical)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._records.get(logical)
            if cached is None:
                bucket = await self.store.bucket(bucket_name(self.settings.bucket_prefix, logical))
                cached = RecordBucket(bucket, schema if schema is not None else logical)
                self._records[logical] = cached
            return cached
