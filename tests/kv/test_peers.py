"""Gateway peers (kv/peers.py) on a real nats-server: a lone gateway's reads skip the revision
round trip; a joining gateway ends every other gateway's lease before it answers; a gateway
that leaves or dies gives the others their lease back; writes are read at once across them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from kv.memory import MemoryStore
from kv.nats_store import NatsStore
from kv.peers import Peers
from kv.replica import ReplicaBucket, ReplicaStore
from tests.fixtures.nats import NatsServer

ACCT = "000000000001"
LEASE, EXPIRY = 0.6, 2.0

Join = Callable[..., Awaitable[tuple[ReplicaStore, Peers]]]


def count_fetches(bucket: ReplicaBucket) -> list[int]:
    """Count the backend revision fetches of ``bucket`` (one element per fetch)."""
    inner: Any = bucket._inner  # the backend bucket, wrapped for counting
    calls: list[int] = []
    original = inner.last_revision

    async def counted() -> int:
        calls.append(1)
        return int(await original())

    inner.last_revision = counted
    return calls


async def eventually(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` held (fails after ``timeout``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "condition not reached"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
async def join(nats_server: NatsServer, bucket_name: str) -> AsyncIterator[Join]:
    """Start one more gateway (a replica store on its own connection, registered)."""
    started: list[tuple[ReplicaStore, Peers]] = []

    async def one(**options: Any) -> tuple[ReplicaStore, Peers]:
        store = ReplicaStore(
            await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
        )
        peers = Peers(store, f"{bucket_name}-peers", lease=LEASE, expiry=EXPIRY, **options)
        await peers.join()
        started.append((store, peers))
        return store, peers

    try:
        yield one
    finally:
        for store, peers in started:
            await peers.leave()
            await store.close()


async def test_a_lone_gateway_reads_without_a_round_trip(join: Join, bucket_name: str) -> None:
    store, _ = await join()
    assert store.alone()
    data = await store.bucket(bucket_name)
    fetches = count_fetches(data)
    for index in range(20):
        revision = await data.put(f"{ACCT}.k{index}", b"v")
        entries = await data.entries(f"{ACCT}.")
        assert [e.revision for e in entries if e.key == f"{ACCT}.k{index}"] == [revision]
    assert fetches == []
    await asyncio.sleep(LEASE * 2)  # the lease is renewed, not just granted once
    assert store.alone()


async def test_a_joining_gateway_ends_the_others_lease_before_it_answers(
    join: Join, bucket_name: str
) -> None:
    first, _ = await join()
    assert first.alone()
    second, _ = await join()
    # Whatever the first gateway's rounds did meanwhile, its lease is over once join returns.
    assert not first.alone() and not second.alone()
    one, two = await first.bucket(bucket_name), await second.bucket(bucket_name)
    fetches = count_fetches(one)
    for index in range(30):
        writer, reader = (two, one) if index % 2 else (one, two)
        revision = await writer.put(f"{ACCT}.k{index}", b"v")
        listed = await reader.entries(f"{ACCT}.k{index}")  # no sleep: the read fetches
        assert [e.revision for e in listed] == [revision]
    assert fetches  # the first gateway's reads fetch again


async def test_a_gateway_that_leaves_gives_the_other_its_lease_back(join: Join) -> None:
    first, first_peers = await join()
    _, second_peers = await join()
    assert first_peers.others() == [second_peers.key]
    await second_peers.leave()
    await eventually(first.alone, timeout=LEASE * 4)
    assert first_peers.others() == []


async def test_a_gateway_that_dies_is_taken_for_gone_after_the_expiry(
    join: Join, nats_server: NatsServer, bucket_name: str
) -> None:
    first, first_peers = await join()
    _, second_peers = await join()
    task = second_peers._task  # stop its rounds as a crash would: no goodbye
    assert task is not None
    task.cancel()
    took = await eventually(first.alone, timeout=EXPIRY + LEASE * 4)
    assert took > EXPIRY - LEASE  # not before its key went unwritten for the expiry
    # The dead gateway's key is deleted (compare-and-swap on the revision last seen).
    raw = await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
    try:
        bucket = await raw.bucket(f"{bucket_name}-peers")
        assert await bucket.keys() == [first_peers.key]
    finally:
        await raw.close()


async def test_a_gateway_that_may_not_be_alone_registers_but_always_fetches(
    join: Join, bucket_name: str
) -> None:
    """``--always-sync-reads``: never the lease, and still a peer to the others."""
    cautious, _ = await join(may_be_alone=False)
    data = await cautious.bucket(bucket_name)
    fetches = count_fetches(data)
    await data.keys()
    await asyncio.sleep(LEASE * 2)
    assert not cautious.alone() and len(fetches) == 1
    other, _ = await join()
    await asyncio.sleep(LEASE * 2)
    assert not other.alone()  # the cautious one writes too


async def test_reads_fetch_unless_alone_and_the_peers_bucket_always_fetches() -> None:
    store = ReplicaStore(MemoryStore())
    try:
        data, peers = await store.bucket("data"), await store.bucket("peers", shared=True)
        data_fetches, peer_fetches = count_fetches(data), count_fetches(peers)
        await data.keys()
        await peers.keys()
        assert (len(data_fetches), len(peer_fetches)) == (1, 1)
        store.declare_alone(time.monotonic() + 60)
        await data.keys()
        await peers.keys()
        assert (len(data_fetches), len(peer_fetches)) == (1, 2)
        await store.settle()  # settling fetches whatever the lease says
        assert (len(data_fetches), len(peer_fetches)) == (2, 3)
        store.declare_alone(time.monotonic() - 1)  # a lease that has lapsed
        await data.keys()
        assert len(data_fetches) == 3
        store.declare_alone(time.monotonic() + 60)
        store.declare_shared()
        await data.keys()
        assert len(data_fetches) == 4
    finally:
        await store.close()


def test_the_lease_must_be_shorter_than_the_expiry() -> None:
    with pytest.raises(ValueError):
        Peers(ReplicaStore(MemoryStore()), "peers", lease=5.0, expiry=5.0)
