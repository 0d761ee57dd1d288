"""Runtimes own their background tasks, locks and clients: several share one process."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, cast

import pytest

from hive_gateway.config import Settings
from hive_gateway.core.runtime import Runtime
from kv.buckets import BUCKETS, NOT_REPLICATED, bucket_name
from kv.memory import MemoryStore
from kv.nats_store import NatsStore
from kv.replica import ReplicaStore
from tests.fixtures.nats import NatsServer


def _runtime() -> Runtime:
    return Runtime(settings=Settings(), store=MemoryStore(), accounts=cast(Any, None))


def test_locks_and_services_are_per_runtime() -> None:
    first, second = _runtime(), _runtime()
    assert first.lock("a", "finalize", "i-1") is first.lock("a", "finalize", "i-1")
    assert first.lock("a", "finalize", "i-1") is not second.lock("a", "finalize", "i-1")
    old = first.lock("a", "finalize", "i-1")
    first.forget_lock("a", "finalize", "i-1")
    assert first.lock("a", "finalize", "i-1") is not old
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return len(made)

    assert first.service("client", make) == 1 == first.service("client", make)
    assert second.service("client", make) == 2


def test_spawned_tasks_are_held_until_they_end() -> None:
    async def scenario() -> None:
        runtime = _runtime()
        gate = asyncio.Event()

        async def work() -> str:
            await gate.wait()
            return "done"

        task = runtime.spawn(work())
        assert task in runtime._tasks
        gate.set()
        assert await task == "done"
        await asyncio.sleep(0)
        assert task not in runtime._tasks

    asyncio.run(scenario())


async def test_load_replica_loads_every_bucket_before_any_request(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    """What ``serve`` does before it answers: every bucket the gateway reads is loaded (one
    pass each), so the records written before the start are in memory without a request."""
    prefix = f"load{uuid.uuid4().hex[:8]}"
    account = "000000000001"
    writer = await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
    store = await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
    runtime = Runtime(
        settings=Settings(bucket_prefix=prefix), store=store, accounts=cast(Any, None)
    )
    try:
        vpcs = await writer.bucket(bucket_name(prefix, "vpcs"))
        for index in range(40):
            value = {"vpc_id": f"vpc-{index:017x}", "cidr_block": "10.0.0.0/16"}
            await vpcs.put(f"{account}.vpc-{index:017x}", json.dumps(value).encode())
        await vpcs.delete(f"{account}.vpc-{0:017x}")
        subnets = await writer.bucket(bucket_name(prefix, "subnets"))
        await subnets.put(f"{account}.subnet-1", json.dumps({"vpc_id": "vpc-1"}).encode())

        with caplog.at_level(logging.INFO, logger="hive_gateway.core.runtime"):
            loaded = await runtime.load_replica()
        assert loaded is not None
        assert loaded.buckets == len(BUCKETS) - len(NOT_REPLICATED)
        assert loaded.records == 39 + 1
        assert any("read replica loaded" in r.getMessage() for r in caplog.records)

        replica = runtime.store
        assert isinstance(replica, ReplicaStore)
        for logical in BUCKETS:
            name = bucket_name(prefix, logical)
            opened = name in replica._buckets
            assert opened == (logical not in NOT_REPLICATED), logical
        # In memory already: read without the consistency wait a request would make.
        vpc_replica = await replica.bucket(bucket_name(prefix, "vpcs"))
        assert len(vpc_replica._listed(f"{account}.")) == 39
        # ... and a later write by another process is followed as before.
        await vpcs.put(f"{account}.vpc-new", json.dumps({"vpc_id": "vpc-new"}).encode())
        assert len(await vpc_replica.keys(f"{account}.")) == 40
    finally:
        await runtime.store.close()
        await writer.close()


async def test_load_replica_without_a_replica_does_nothing() -> None:
    runtime = Runtime(
        settings=Settings(read_replica=False), store=MemoryStore(), accounts=cast(Any, None)
    )
    assert await runtime.load_replica() is None


@pytest.mark.parametrize("always_sync_reads", [False, True])
async def test_join_peers_takes_the_lease_unless_reads_must_always_sync(
    nats_server: NatsServer, always_sync_reads: bool
) -> None:
    """``serve`` registers the gateway; alone, it skips the revision fetch unless
    ``--always-sync-reads`` says other programs write the store too."""
    store = await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
    settings = Settings(
        bucket_prefix=f"peers{uuid.uuid4().hex[:8]}", always_sync_reads=always_sync_reads
    )
    runtime = Runtime(settings=settings, store=store, accounts=cast(Any, None))
    try:
        peers = await runtime.join_peers()
        assert peers is not None
        assert isinstance(runtime.store, ReplicaStore)
        assert runtime.store.alone() is not always_sync_reads
        await peers.leave()
    finally:
        await runtime.store.close()
