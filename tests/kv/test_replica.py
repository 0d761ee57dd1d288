"""The read replica beyond the store contract: reads on another process see a write at once,
indexes follow every change, a failed watch reloads, and no read lists through a consumer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from kv.memory import MemoryStore
from kv.nats_store import NatsStore
from kv.replica import ReplicaBucket, ReplicaStore, field_values
from kv.store import StoreUnavailableError
from tests.fixtures.nats import NatsServer

ACCT = "000000000001"


def record(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.fixture
async def two_gateways(nats_server: NatsServer) -> AsyncIterator[tuple[ReplicaStore, ReplicaStore]]:
    """Two replicas over two NATS connections (as two gateway processes)."""
    stores = [
        ReplicaStore(await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0))
        for _ in range(2)
    ]
    try:
        yield stores[0], stores[1]
    finally:
        for store in stores:
            await store.close()


async def test_a_write_on_one_process_is_read_at_once_on_another(
    two_gateways: tuple[ReplicaStore, ReplicaStore], bucket_name: str
) -> None:
    writer, reader = [await store.bucket(bucket_name) for store in two_gateways]
    assert await reader.keys() == []  # the reader's replica is loaded and following
    for index in range(30):
        revision = await writer.put(f"{ACCT}.k{index}", b"v")
        entry = await reader.get(f"{ACCT}.k{index}")  # no sleep: the read waits for the watch
        assert entry is not None and entry.revision == revision
    assert len(await reader.entries(f"{ACCT}.")) == 30
    await writer.delete(f"{ACCT}.k0")
    assert await reader.get(f"{ACCT}.k0") is None


async def test_indexes_follow_updates_and_deletes_from_other_writers(
    two_gateways: tuple[ReplicaStore, ReplicaStore], bucket_name: str
) -> None:
    writer, reader = [await store.bucket(bucket_name) for store in two_gateways]
    await reader.index("vpc", field_values("vpc_id"))
    await writer.put(f"{ACCT}.subnet-1", record(vpc_id="vpc-a"))
    await writer.put(f"{ACCT}.subnet-2", record(vpc_id="vpc-a"))
    await writer.put("000000000002.subnet-3", record(vpc_id="vpc-a"))  # another account
    assert [e.key for e in await reader.matching({"vpc": ["vpc-a"]}, ACCT)] == [
        f"{ACCT}.subnet-1",
        f"{ACCT}.subnet-2",
    ]
    await writer.put(f"{ACCT}.subnet-1", record(vpc_id="vpc-b"))
    await writer.delete(f"{ACCT}.subnet-2")
    assert await reader.matching({"vpc": ["vpc-a"]}, ACCT) == []
    assert [e.key for e in await reader.matching({"vpc": ["vpc-b"]}, ACCT)] == [f"{ACCT}.subnet-1"]


async def test_matching_intersects_indexes_and_reaches_into_nested_lists() -> None:
    """Every index of the criteria must hold one of its values; a dotted field indexes each
    item of a nested list (route-table associations)."""
    store = ReplicaStore(MemoryStore())
    try:
        bucket = await store.bucket("b")
        await bucket.index("vpc", field_values("vpc_id"))
        await bucket.index("name", field_values("group_name"))
        await bucket.index("assoc", field_values("associations.association_id"))
        for n, (vpc, name) in enumerate([("v1", "default"), ("v1", "web"), ("v2", "default")]):
            await bucket.put(f"{ACCT}.sg-{n}", record(vpc_id=vpc, group_name=name))
        await bucket.put("000000000002.sg-9", record(vpc_id="v1", group_name="default"))
        await bucket.put(
            f"{ACCT}.rtb-1",
            record(associations=[{"association_id": "a-1"}, {"association_id": "a-2"}, {}]),
        )

        async def keys(criteria: dict[str, list[object]]) -> list[str]:
            return [e.key for e in await bucket.matching(criteria, ACCT)]

        assert await keys({"vpc": ["v1"], "name": ["default"]}) == [f"{ACCT}.sg-0"]
        assert await keys({"vpc": ["v1", "v2"], "name": ["default"]}) == [
            f"{ACCT}.sg-0",
            f"{ACCT}.sg-2",
        ]
        assert await keys({"vpc": ["v2"], "name": ["web"]}) == []
        assert await keys({"vpc": ["v3"]}) == []
        assert await keys({"assoc": ["a-2"]}) == [f"{ACCT}.rtb-1"]
        await bucket.put(f"{ACCT}.rtb-1", record(associations=[{"association_id": "a-1"}]))
        assert await keys({"assoc": ["a-2"]}) == []  # the old value left the index
        assert await keys({"assoc": ["a-1", "a-2"]}) == [f"{ACCT}.rtb-1"]
    finally:
        await store.close()


def test_a_dotted_field_extracts_scalars_of_nested_objects_and_lists() -> None:
    extract = field_values("associations.subnet_id")
    stored = {"associations": [{"subnet_id": "s-1"}, {"gateway_id": "g"}, {"subnet_id": ["s-2"]}]}
    assert list(extract(stored)) == ["s-1", "s-2"]
    assert list(extract({"associations": {"subnet_id": "s-3"}})) == ["s-3"]
    assert list(extract({"associations": "s-4"})) == []
    assert list(field_values("tags")({"tags": ["a", {"b": 1}, 2]})) == ["a", 2]


async def test_an_index_is_built_in_slices_and_takes_in_changes_made_meanwhile() -> None:
    """A first index over many records lets other work run between slices; writes landing
    during the build are in it, and a second caller returns only once it is whole."""
    store = ReplicaStore(MemoryStore())
    try:
        bucket = await store.bucket("b")
        count = 2_500  # three slices
        for n in range(count):
            await bucket.put(f"{ACCT}.k{n:05d}", record(vpc_id=f"v{n % 2}"))
        turns = 0

        async def writer() -> None:
            nonlocal turns
            await asyncio.sleep(0)
            turns += 1  # the build yielded: change a key it has read and one it has not
            await bucket.put(f"{ACCT}.k00000", record(vpc_id="moved"))
            await bucket.put(f"{ACCT}.k02499", record(vpc_id="moved"))
            await bucket.delete(f"{ACCT}.k00002")
            await bucket.put(f"{ACCT}.new", record(vpc_id="v0"))

        first = asyncio.ensure_future(bucket.index("vpc", field_values("vpc_id")))
        writing = asyncio.ensure_future(writer())
        await asyncio.sleep(0)
        assert not bucket.has_index("vpc")
        await bucket.index("vpc", field_values("vpc_id"))  # waits for the first build
        assert bucket.has_index("vpc") and first.done()
        await writing
        assert turns == 1
        moved = [e.key for e in await bucket.matching({"vpc": ["moved"]}, ACCT)]
        assert moved == [f"{ACCT}.k00000", f"{ACCT}.k02499"]
        evens = {e.key for e in await bucket.matching({"vpc": ["v0"]}, ACCT)}
        expected = {f"{ACCT}.k{n:05d}" for n in range(2, count, 2)} - {f"{ACCT}.k00002"}
        assert evens == expected | {f"{ACCT}.new"}
        assert len(await bucket.matching({"vpc": ["v1"]}, ACCT)) == count // 2 - 1
    finally:
        await store.close()


async def test_own_writes_are_applied_at_once_and_never_go_back() -> None:
    store = ReplicaStore(MemoryStore())
    try:
        bucket = await store.bucket("b")
        await bucket.index("vpc", field_values("vpc_id"))
        first = await bucket.create(f"{ACCT}.x", record(vpc_id="vpc-1"))
        second = await bucket.update(f"{ACCT}.x", record(vpc_id="vpc-2"), first)
        # Replaying the older revision (as a late watch event would) changes nothing.
        bucket._apply(f"{ACCT}.x", record(vpc_id="vpc-1"), first, local=False)
        entry = await bucket.get(f"{ACCT}.x")
        assert entry is not None and entry.revision == second
        assert [e.key for e in await bucket.matching({"vpc": ["vpc-2"]}, ACCT)] == [f"{ACCT}.x"]
        assert await bucket.matching({"vpc": ["vpc-1"]}, ACCT) == []
    finally:
        await store.close()


async def test_reads_fail_as_unavailable_once_the_store_is_closed() -> None:
    inner = MemoryStore()
    store = ReplicaStore(inner, sync_timeout=0.5)
    bucket: ReplicaBucket = await store.bucket("b")
    await bucket.put("k", b"v")
    await inner.close()
    await asyncio.sleep(0.05)
    with pytest.raises(StoreUnavailableError):
        await bucket.get("k")
    await store.close()


async def test_listing_uses_no_consumer(nats_server: NatsServer, bucket_name: str) -> None:
    """Hundreds of concurrent listings cost no JetStream consumer beyond the one watch."""
    inner = await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)
    store = ReplicaStore(inner)
    try:
        bucket = await store.bucket(bucket_name)
        for index in range(20):
            await bucket.put(f"{ACCT}.k{index:02d}", b"x")
        counts = await asyncio.gather(*(bucket.entries(f"{ACCT}.") for _ in range(300)))
        assert {len(found) for found in counts} == {20}
        info = await inner._js.stream_info(f"KV_{bucket_name}")
        assert info.state.consumer_count == 1
    finally:
        await store.close()


async def test_load_opens_and_loads_buckets_before_any_read() -> None:
    """``ReplicaStore.load``: every named bucket (created when absent) loaded by one pass each,
    concurrently; the records are in memory without a read's consistency wait."""
    backend = MemoryStore()
    first = await backend.bucket("load-a")
    for index in range(5):
        await first.put(f"{ACCT}.k{index}", record(n=index))
    await first.delete(f"{ACCT}.k0")
    replica = ReplicaStore(backend)
    try:
        loaded = await replica.load(["load-a", "load-b", "load-a"])
        assert (loaded.buckets, loaded.records) == (2, 4)
        assert loaded.seconds >= 0
        bucket = await replica.bucket("load-a")
        assert bucket._listed(f"{ACCT}.") == [
            f"{ACCT}.k{index}" for index in range(1, 5)
        ]
        assert (await replica.load(["load-a"])).records == 4  # loading again is harmless
    finally:
        await replica.close()


async def test_a_groups_sorted_keys_follow_creates_and_deletes() -> None:
    """Listing a group (an account) slices its kept sorted keys; a key that joins or leaves
    the group is in the next listing, an update keeps it, and a narrower prefix, another
    group's keys and another bucket stay apart."""
    store = ReplicaStore(MemoryStore())
    try:
        bucket = await store.bucket("b")
        for key in ("vpc-3", "sg-1", "vpc-1", "vpc-2"):
            await bucket.put(f"{ACCT}.{key}", b"{}")
        await bucket.put("000000000002.vpc-0", b"{}")
        assert await bucket.keys(f"{ACCT}.") == [
            f"{ACCT}.{k}" for k in ("sg-1", "vpc-1", "vpc-2", "vpc-3")
        ]
        await bucket.put(f"{ACCT}.vpc-0", b"{}")
        await bucket.delete(f"{ACCT}.vpc-2")
        await bucket.put(f"{ACCT}.vpc-3", b'{"changed": true}')
        assert await bucket.keys(f"{ACCT}.vpc-") == [
            f"{ACCT}.{k}" for k in ("vpc-0", "vpc-1", "vpc-3")
        ]
        assert [e.key for e in await bucket.entries(f"{ACCT}.")] == [
            f"{ACCT}.{k}" for k in ("sg-1", "vpc-0", "vpc-1", "vpc-3")
        ]
        assert (await bucket.entries(f"{ACCT}.vpc-3"))[0].value == b'{"changed": true}'
        assert await bucket.keys("000000000002.") == ["000000000002.vpc-0"]
        assert await bucket.keys(f"{ACCT}.x") == []
        assert await bucket.keys() == sorted(
            [f"{ACCT}.{k}" for k in ("sg-1", "vpc-0", "vpc-1", "vpc-3")] + ["000000000002.vpc-0"]
        )
    finally:
        await store.close()
