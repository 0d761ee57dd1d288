"""Which gateway processes share the store, so a gateway that is alone can skip the read
replica's revision round trip.

Read-your-writes across gateways costs every read one request to JetStream (the bucket's latest
revision, :meth:`kv.replica.ReplicaBucket.sync`). Only gateways write the replicated buckets,
so a gateway that knows no other one is running already holds every acknowledged write (its
own are applied when acknowledged). That knowledge is a *lease*:

* Every gateway keeps one key in the peers bucket (``<prefix>-gateway-peers``), written again
  every ``lease / 3`` seconds, and deleted when it stops.
* Every round it reads the bucket through a replica that always fetches the latest revision.
  If no other key has changed within ``expiry`` seconds, it declares itself alone until
  ``lease`` seconds after that read was *sent* (after taking in every write the departed ones
  left: :meth:`kv.replica.ReplicaStore.settle`); as soon as another key shows up it is shared
  again.
* A joining gateway registers and then waits ``lease`` seconds before it answers: by then every
  lease granted by a read sent before its key existed has lapsed, and every read sent after it
  sees the key. So a write acknowledged by the newcomer is never missed by an older gateway's
  read, whatever the clocks say (only durations on each process's monotonic clock are used).

Left out on purpose: a gateway whose writes land although its key has not been written for
``expiry`` seconds (an event loop stalled that long) is taken for gone; its later writes reach
the others through their watches (milliseconds), not through a fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid

from kv.replica import ReplicaBucket, ReplicaStore
from kv.store import VERSION_KEY, StoreError

__all__ = ["Peers"]

log = logging.getLogger(__name__)


class Peers:
    """This gateway's registration in the peers bucket and the lease of being alone."""

    def __init__(
        self,
        store: ReplicaStore,
        bucket: str,
        *,
        lease: float = 1.0,
        expiry: float = 5.0,
        may_be_alone: bool = True,
    ) -> None:
        """``may_be_alone=False``: register (others must know this process writes) but never
        take the lease (programs that do not register write the store too)."""
        if not 0 < lease < expiry:
            raise ValueError("need 0 < lease < expiry")
        self._may_be_alone = may_be_alone
        self._store = store
        self._bucket_name = bucket
        self._lease = lease
        self._expiry = expiry
        self.key = uuid.uuid4().hex
        """This process's key."""
        self._bucket: ReplicaBucket | None = None
        self._beats = 0
        self._changed: dict[str, tuple[int, float]] = {}
        """Other keys: (revision, when this process first saw that revision)."""
        self._settled: bool | None = None
        """Whether the writes of every process that was there are in (None: not looked yet)."""
        self._task: asyncio.Task[None] | None = None

    async def join(self) -> None:
        """Register, look at the others, and wait out every lease granted before this key
        existed; then keep the registration and the lease current in the background."""
        self._bucket = await self._store.bucket(self._bucket_name, shared=True)
        await self._beat()
        await self._round()
        await asyncio.sleep(self._lease)
        await self._round()  # the lease this process may hold from now on
        self._task = asyncio.ensure_future(self._rounds())

    async def leave(self) -> None:
        """Stop, give the lease up, and delete this key (others are then alone sooner)."""
        self._store.declare_shared()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)
        if self._bucket is not None:
            with contextlib.suppress(StoreError):
                await self._bucket.delete(self.key)

    def others(self) -> list[str]:
        """Keys of the other gateways taken to be running."""
        now = time.monotonic()
        return [key for key, (_, at) in self._changed.items() if now - at < self._expiry]

    async def _rounds(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._beat()
                await self._round()
            except StoreError as error:
                # The lease lapses by itself; reads fetch (and fail as unavailable) meanwhile.
                log.warning("gateway peers: %s", error)
            except Exception:  # keep the rounds going whatever nats-py raises
                log.exception("gateway peers: round failed")

    async def _beat(self) -> None:
        assert self._bucket is not None
        self._beats += 1
        value = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "beat": self._beats,
        }
        await self._bucket.put(self.key, json.dumps(value).encode())

    async def _round(self) -> None:
        """Read every key (fetching the latest revision), then declare alone or shared."""
        assert self._bucket is not None
        sent = time.monotonic()
        entries = await self._bucket.entries()
        now = time.monotonic()
        present: dict[str, int] = {}
        for entry in entries:
            if entry.key not in (self.key, VERSION_KEY):
                present[entry.key] = entry.revision
        for key in set(self._changed) - set(present):
            del self._changed[key]
        for key, revision in present.items():
            known = self._changed.get(key)
            if known is None or known[0] != revision:
                self._changed[key] = (revision, now)
        others = self.others()
        for key in set(self._changed) - set(others):
            # Gone without a goodbye: delete the key, unless it was written meanwhile.
            with contextlib.suppress(StoreError):
                await self._bucket.delete(key, self._changed[key][0])
        if others or not self._may_be_alone:
            if others and self._settled is not False:
                log.info("gateway peers: %d other gateway(s) running", len(others))
            self._settled = False
            self._store.declare_shared()
            return
        if not self._settled:
            await self._store.settle()
            self._settled = True
            log.info("gateway peers: no other gateway running; reads skip the revision fetch")
        self._store.declare_alone(sent + self._lease)
