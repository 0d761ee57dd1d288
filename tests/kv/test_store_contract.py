"""The store contract: every test runs against MemoryStore and a real NATS JetStream KV."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kv.store import (
    VERSION_KEY,
    Bucket,
    InvalidKeyError,
    KeyExistsError,
    RevisionMismatchError,
    Store,
    WatchEvent,
    cas_update,
)

ACCT = "000000000001"
OTHER = "000000000002"


@pytest.fixture
async def bucket(store: Store, bucket_name: str) -> Bucket:
    return await store.bucket(bucket_name)


async def next_event(events: AsyncIterator[WatchEvent]) -> WatchEvent:
    return await asyncio.wait_for(anext(events), 5.0)


async def test_version_key_written_on_creation(bucket: Bucket) -> None:
    version = await bucket.get(VERSION_KEY)
    assert version is not None
    assert version.value == b"1"
    assert await bucket.keys() == []
    assert await bucket.entries() == []


async def test_bucket_handles_are_reused_and_version_not_rewritten(
    store: Store, bucket_name: str
) -> None:
    first = await store.bucket(bucket_name)
    version = await first.get(VERSION_KEY)
    await first.put("a", b"1")
    again = await store.bucket(bucket_name)
    assert (await again.get("a")) is not None
    assert await again.get(VERSION_KEY) == version


async def test_get_absent_is_none(bucket: Bucket) -> None:
    assert await bucket.get("missing") is None


async def test_put_get_roundtrip_and_revisions_increase(bucket: Bucket) -> None:
    version = await bucket.get(VERSION_KEY)
    assert version is not None
    r1 = await bucket.put("k", b"one")
    r2 = await bucket.put("other", b"x")
    r3 = await bucket.put("k", b"two")
    assert version.revision < r1 < r2 < r3
    entry = await bucket.get("k")
    assert entry is not None
    assert (entry.key, entry.value, entry.revision) == ("k", b"two", r3)


async def test_empty_value_is_a_value(bucket: Bucket) -> None:
    revision = await bucket.put("empty", b"")
    entry = await bucket.get("empty")
    assert entry is not None
    assert (entry.value, entry.revision) == (b"", revision)


async def test_create_only_if_absent(bucket: Bucket) -> None:
    revision = await bucket.create("k", b"first")
    with pytest.raises(KeyExistsError):
        await bucket.create("k", b"second")
    entry = await bucket.get("k")
    assert entry is not None
    assert (entry.value, entry.revision) == (b"first", revision)


async def test_create_after_delete(bucket: Bucket) -> None:
    first = await bucket.create("k", b"first")
    await bucket.delete("k")
    assert await bucket.get("k") is None
    second = await bucket.create("k", b"again")
    assert second > first
    entry = await bucket.get("k")
    assert entry is not None
    assert entry.value == b"again"


async def test_update_compare_and_swap(bucket: Bucket) -> None:
    r1 = await bucket.create("k", b"v1")
    r2 = await bucket.update("k", b"v2", r1)
    assert r2 > r1
    with pytest.raises(RevisionMismatchError):
        await bucket.update("k", b"stale", r1)
    entry = await bucket.get("k")
    assert entry is not None
    assert (entry.value, entry.revision) == (b"v2", r2)


async def test_update_of_absent_key_with_nonzero_revision_fails(bucket: Bucket) -> None:
    with pytest.raises(RevisionMismatchError):
        await bucket.update("absent", b"v", 12345)
    assert await bucket.get("absent") is None


async def test_delete_unconditional_and_absent(bucket: Bucket) -> None:
    await bucket.put("k", b"v")
    await bucket.delete("k")
    assert await bucket.get("k") is None
    await bucket.delete("never-existed")  # no error
    assert await bucket.get("never-existed") is None


async def test_delete_with_revision(bucket: Bucket) -> None:
    r1 = await bucket.put("k", b"v1")
    r2 = await bucket.put("k", b"v2")
    with pytest.raises(RevisionMismatchError):
        await bucket.delete("k", revision=r1)
    entry = await bucket.get("k")
    assert entry is not None and entry.value == b"v2"
    await bucket.delete("k", revision=r2)
    assert await bucket.get("k") is None


async def test_delete_consumes_a_revision(bucket: Bucket) -> None:
    r1 = await bucket.put("k", b"v")
    await bucket.delete("k")
    r2 = await bucket.put("other", b"v")
    assert r2 == r1 + 2


async def test_keys_and_entries_by_prefix(bucket: Bucket) -> None:
    await bucket.put(f"{ACCT}.vpc-b", b"b")
    await bucket.put(f"{ACCT}.vpc-a", b"a")
    await bucket.put(f"{ACCT}.subnet-1", b"s")
    await bucket.put(f"{OTHER}.vpc-c", b"c")
    await bucket.put(f"{ACCT}.vpc-gone", b"x")
    await bucket.delete(f"{ACCT}.vpc-gone")
    await bucket.put(ACCT, b"bare")  # not under "<acct>."

    assert await bucket.keys(f"{ACCT}.") == [
        f"{ACCT}.subnet-1",
        f"{ACCT}.vpc-a",
        f"{ACCT}.vpc-b",
    ]
    assert await bucket.keys(f"{ACCT}.vpc-") == [f"{ACCT}.vpc-a", f"{ACCT}.vpc-b"]
    assert await bucket.keys("00000000000") == [
        ACCT,
        f"{ACCT}.subnet-1",
        f"{ACCT}.vpc-a",
        f"{ACCT}.vpc-b",
        f"{OTHER}.vpc-c",
    ]
    assert await bucket.keys() == await bucket.keys("0")
    assert VERSION_KEY not in await bucket.keys()
    assert await bucket.keys("_") == []
    assert await bucket.keys("nomatch.") == []
    assert await bucket.keys("*") == []
    assert await bucket.keys(".") == []

    entries = await bucket.entries(f"{ACCT}.vpc-")
    assert [(e.key, e.value) for e in entries] == [(f"{ACCT}.vpc-a", b"a"), (f"{ACCT}.vpc-b", b"b")]
    current = await bucket.get(f"{ACCT}.vpc-a")
    assert current is not None and entries[0].revision == current.revision
    assert [e.key for e in await bucket.entries()] == await bucket.keys()


async def test_entries_return_latest_value_only(bucket: Bucket) -> None:
    for i in range(5):
        await bucket.put("multi.k", str(i).encode())
    entries = await bucket.entries("multi.")
    assert [(e.key, e.value) for e in entries] == [("multi.k", b"4")]


async def test_many_entries_in_one_listing(bucket: Bucket) -> None:
    # More than nats-py's 256-entry watcher queue, to exercise flow through the consumer.
    await asyncio.gather(*(bucket.put(f"{ACCT}.r-{i:04d}", str(i).encode()) for i in range(300)))
    entries = await bucket.entries(f"{ACCT}.")
    assert len(entries) == 300
    assert entries[0].key == f"{ACCT}.r-0000" and entries[-1].value == b"299"


@pytest.mark.parametrize(
    "key",
    ["", ".lead", "trail.", "a..b", "sp ace", "star*", "gt>", "ünï", "a\tb", "x:y"],
)
async def test_invalid_keys_raise(bucket: Bucket, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        await bucket.put(key, b"v")
    with pytest.raises(InvalidKeyError):
        await bucket.create(key, b"v")
    with pytest.raises(InvalidKeyError):
        await bucket.get(key)
    with pytest.raises(InvalidKeyError):
        await bucket.delete(key)


async def test_all_allowed_key_characters_work(bucket: Bucket) -> None:
    key = "Az09-/_=.x"
    await bucket.put(key, b"v")
    assert await bucket.keys() == [key]


async def test_bucket_name_validation(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.bucket("bad.name")


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_watch_initial_values_then_changes(bucket: Bucket) -> None:
    await bucket.put(f"{ACCT}.a", b"1")
    await bucket.put(f"{ACCT}.gone", b"x")
    await bucket.delete(f"{ACCT}.gone")
    await bucket.put(f"{OTHER}.z", b"other account")
    events = bucket.watch(f"{ACCT}.")
    try:
        first = await next_event(events)
        assert (first.key, first.value, first.op) == (f"{ACCT}.a", b"1", "put")

        r_put = await bucket.put(f"{ACCT}.b", b"2")
        await bucket.put(f"{OTHER}.y", b"not mine")
        await bucket.delete(f"{ACCT}.a")
        r_last = await bucket.put(f"{ACCT}.b", b"3")

        seen = [await next_event(events) for _ in range(3)]
        assert [(e.key, e.value, e.op) for e in seen] == [
            (f"{ACCT}.b", b"2", "put"),
            (f"{ACCT}.a", None, "delete"),
            (f"{ACCT}.b", b"3", "put"),
        ]
        assert seen[0].revision == r_put and seen[2].revision == r_last
        assert seen[0].revision < seen[1].revision < seen[2].revision
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def test_watch_all_excludes_version_key(bucket: Bucket) -> None:
    events = bucket.watch()
    try:
        await bucket.put("k", b"v")
        event = await next_event(events)
        assert event.key == "k"
    finally:
        await events.aclose()  # type: ignore[attr-defined]


async def test_watch_ends_when_store_closes(store: Store, bucket_name: str) -> None:
    bucket = await store.bucket(bucket_name)
    await bucket.put("k", b"v")
    events = bucket.watch()
    assert (await next_event(events)).key == "k"
    waiter = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.05)
    await store.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiter, 5.0)


async def test_cas_update_concurrent_increments_all_land(bucket: Bucket) -> None:
    async def increment(current: bytes | None) -> bytes:
        await asyncio.sleep(0)  # give the other writers a chance to interleave
        return str(int(current or b"0") + 1).encode()

    results = await asyncio.gather(*(cas_update(bucket, "counter", increment) for _ in range(20)))
    entry = await bucket.get("counter")
    assert entry is not None
    assert entry.value == b"20"
    assert sorted(int(r.value) for r in results if r is not None) == list(range(1, 21))


async def test_cas_update_abort_leaves_value_untouched(bucket: Bucket) -> None:
    revision = await bucket.put("k", b"keep")

    def refuse(current: bytes | None) -> bytes:
        raise LookupError("not allowed")

    with pytest.raises(LookupError):
        await cas_update(bucket, "k", refuse)
    entry = await bucket.get("k")
    assert entry is not None
    assert (entry.value, entry.revision) == (b"keep", revision)


async def test_cas_update_create_and_delete(bucket: Bucket) -> None:
    created = await cas_update(bucket, "k", lambda current: b"new" if current is None else None)
    assert created is not None and created.value == b"new"
    assert await cas_update(bucket, "k", lambda current: None) is None
    assert await bucket.get("k") is None
    assert await cas_update(bucket, "absent", lambda current: None) is None
    assert await bucket.get("absent") is None


async def test_listings_never_come_back_short(bucket: Bucket) -> None:
    """Many concurrent listings right after writes each see every key.

    nats-py's watcher decides "no more values" from consumer info, which can report nothing
    pending while the values are still in flight; a listing built on that came back empty
    under load. Each listing here must return all 60 keys.
    """
    for index in range(60):
        await bucket.put(f"{ACCT}.k{index:03d}", b"x" * 200)

    async def listing() -> int:
        return len(await bucket.entries(f"{ACCT}."))

    for _ in range(5):
        counts = await asyncio.gather(*(listing() for _ in range(40)))
        assert set(counts) == {60}
        expected = [f"{ACCT}.k{index:03d}" for index in range(60)]
        key_lists = await asyncio.gather(*(bucket.keys(f"{ACCT}.") for _ in range(20)))
        assert all(keys == expected for keys in key_lists)
