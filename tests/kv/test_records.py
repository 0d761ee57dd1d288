"""RecordBucket: JSON encoding, schema validation before every write, mutate."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from kv.buckets import BUCKETS, account_key, account_prefix, bucket_name, split_account_key
from kv.memory import MemoryStore
from kv.records import RecordBucket, RecordDecodeError, RecordValidationError, load_validator
from kv.store import KeyExistsError, RevisionMismatchError, Store, StoreError

ACCOUNT: dict[str, Any] = {
    "account_id": "000000000001",
    "account_name": "main",
    "status": "ACTIVE",
    "created_at": "2024-05-01T10:20:30.123456789Z",
}


def access_key(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "access_key_id": "AKIAABCDEFGHIJKLMNOP",
        "secret_access_key": base64.b64encode(bytes(12 + 40 + 16)).decode(),
        "user_name": "root",
        "account_id": "000000000001",
        "status": "Active",
        "created_at": "2024-05-01T10:20:30+10:00",
    }
    record.update(overrides)
    return record


@pytest.fixture
async def accounts(store: Store, bucket_name: str) -> RecordBucket:
    return RecordBucket(await store.bucket(bucket_name), "account")


async def test_roundtrip_compact_json(accounts: RecordBucket) -> None:
    revision = await accounts.create("000000000001", ACCOUNT)
    got = await accounts.get("000000000001")
    assert got == (ACCOUNT, revision)
    raw = await accounts.bucket.get("000000000001")
    assert raw is not None
    assert raw.value == json.dumps(ACCOUNT, separators=(",", ":")).encode()


async def test_unknown_fields_are_allowed(accounts: RecordBucket) -> None:
    record = {**ACCOUNT, "future_field": {"nested": [1, 2]}}
    await accounts.put("000000000001", record)
    got = await accounts.get("000000000001")
    assert got is not None and got[0] == record


@pytest.mark.parametrize(
    "bad",
    [
        {k: v for k, v in ACCOUNT.items() if k != "status"},
        {**ACCOUNT, "status": "active"},
        {**ACCOUNT, "account_id": "1234"},
        {**ACCOUNT, "account_id": 1},
        {**ACCOUNT, "created_at": "yesterday"},
        {**ACCOUNT, "created_at": "2024-05-01 10:20:30"},
        {**ACCOUNT, "account_name": ""},
    ],
)
async def test_invalid_records_are_refused_and_nothing_is_stored(
    accounts: RecordBucket, bad: dict[str, Any]
) -> None:
    with pytest.raises(RecordValidationError) as info:
        await accounts.put("000000000001", bad)
    assert info.value.schema == "account"
    assert isinstance(info.value, StoreError)
    with pytest.raises(RecordValidationError):
        await accounts.create("000000000001", bad)
    assert await accounts.get("000000000001") is None
    assert await accounts.bucket.keys() == []


async def test_invalid_update_keeps_previous_value(accounts: RecordBucket) -> None:
    revision = await accounts.create("000000000001", ACCOUNT)
    with pytest.raises(RecordValidationError):
        await accounts.update("000000000001", {**ACCOUNT, "status": "GONE"}, revision)
    assert await accounts.get("000000000001") == (ACCOUNT, revision)


async def test_non_json_values_are_refused(accounts: RecordBucket) -> None:
    with pytest.raises(RecordValidationError):
        await accounts.put("000000000001", {**ACCOUNT, "blob": b"bytes"})
    with pytest.raises(RecordValidationError):
        await accounts.put("000000000001", {**ACCOUNT, "ratio": float("nan")})
    with pytest.raises(RecordValidationError):
        await accounts.put("000000000001", ["not", "an", "object"])  # type: ignore[arg-type]
    assert await accounts.bucket.keys() == []


async def test_access_key_schema(store: Store, bucket_name: str) -> None:
    keys = RecordBucket(await store.bucket(bucket_name), "access_key")
    await keys.create("AKIAABCDEFGHIJKLMNOP", access_key())
    for bad in (
        access_key(status="ACTIVE"),
        access_key(secret_access_key="plain text secret!"),
        access_key(account_id="abc"),
        access_key(access_key_id="ab"),  # 3-128 printable characters (test/test is fine)
        access_key(access_key_id="has space"),
    ):
        with pytest.raises(RecordValidationError):
            await keys.put("AKIAABCDEFGHIJKLMNOP", bad)
    got = await keys.get("AKIAABCDEFGHIJKLMNOP")
    assert got is not None and got[0] == access_key()


async def test_schemaless_bucket_accepts_any_object(store: Store, bucket_name: str) -> None:
    records = RecordBucket(await store.bucket(bucket_name), None)
    await records.put("x", {"anything": [1, "two"]})
    assert await records.list() == [{"anything": [1, "two"]}]
    with pytest.raises(RecordValidationError):
        await records.put("y", {"set": {1, 2}})


async def test_create_update_delete_semantics(accounts: RecordBucket) -> None:
    r1 = await accounts.create("000000000001", ACCOUNT)
    with pytest.raises(KeyExistsError):
        await accounts.create("000000000001", ACCOUNT)
    suspended = {**ACCOUNT, "status": "SUSPENDED"}
    r2 = await accounts.update("000000000001", suspended, r1)
    with pytest.raises(RevisionMismatchError):
        await accounts.update("000000000001", ACCOUNT, r1)
    with pytest.raises(RevisionMismatchError):
        await accounts.delete("000000000001", r1)
    await accounts.delete("000000000001", r2)
    assert await accounts.get("000000000001") is None


async def test_list_and_items_by_prefix(store: Store, bucket_name: str) -> None:
    records = RecordBucket(await store.bucket(bucket_name), None)
    await records.put(account_key("000000000001", "vpc-b"), {"vpc_id": "vpc-b"})
    await records.put(account_key("000000000001", "vpc-a"), {"vpc_id": "vpc-a"})
    await records.put(account_key("000000000002", "vpc-c"), {"vpc_id": "vpc-c"})
    await records.bucket.put(account_key("000000000001", "vpc-corrupt"), b"{not json")
    assert await records.list(account_prefix("000000000001")) == [
        {"vpc_id": "vpc-a"},
        {"vpc_id": "vpc-b"},
    ]
    items = await records.items(account_prefix("000000000002"))
    assert [(key, record) for key, record, _ in items] == [
        ("000000000002.vpc-c", {"vpc_id": "vpc-c"})
    ]
    with pytest.raises(RecordDecodeError):
        await records.get(account_key("000000000001", "vpc-corrupt"))


async def test_mutate_creates_updates_and_deletes(accounts: RecordBucket) -> None:
    created = await accounts.mutate("000000000001", lambda current: current or dict(ACCOUNT))
    assert created == ACCOUNT

    def suspend(current: dict[str, Any] | None) -> dict[str, Any] | None:
        assert current is not None
        current["status"] = "SUSPENDED"
        return current

    assert (await accounts.mutate("000000000001", suspend)) == {**ACCOUNT, "status": "SUSPENDED"}
    got = await accounts.get("000000000001")
    assert got is not None and got[0]["status"] == "SUSPENDED"

    assert await accounts.mutate("000000000001", lambda current: None) is None
    assert await accounts.get("000000000001") is None


async def test_mutate_abort_and_invalid_result_write_nothing(accounts: RecordBucket) -> None:
    revision = await accounts.create("000000000001", ACCOUNT)

    def boom(current: dict[str, Any] | None) -> dict[str, Any]:
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        await accounts.mutate("000000000001", boom)
    with pytest.raises(RecordValidationError):
        await accounts.mutate("000000000001", lambda current: {**(current or {}), "status": "?"})
    assert await accounts.get("000000000001") == (ACCOUNT, revision)


async def test_mutate_concurrent_async_fn(store: Store, bucket_name: str) -> None:
    counters = RecordBucket(await store.bucket(bucket_name), None)

    async def bump(current: dict[str, Any] | None) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"n": (current or {"n": 0})["n"] + 1}

    await asyncio.gather(*(counters.mutate("c", bump) for _ in range(10)))
    got = await counters.get("c")
    assert got is not None and got[0] == {"n": 10}


def test_unknown_schema_is_an_error() -> None:
    with pytest.raises(ValueError):
        load_validator("no_such_schema")


def test_bucket_names_follow_hive_conventions() -> None:
    assert bucket_name("hive", "vpcs") == "hive-vpc-vpcs"
    assert bucket_name("spinifex", "network_interfaces") == "spinifex-vpc-enis"
    assert bucket_name("hive", "access_keys") == "hive-iam-access-keys"
    assert bucket_name("hive", "internet_gateways") == "hive-igw"
    assert len(set(BUCKETS.values())) == len(BUCKETS)
    with pytest.raises(KeyError):
        bucket_name("hive", "security_group_rules")
    with pytest.raises(ValueError):
        bucket_name("bad.prefix", "vpcs")
    assert account_key("000000000001", "vpc-abc") == "000000000001.vpc-abc"
    assert split_account_key("000000000001.vpc-abc") == ("000000000001", "vpc-abc")
    with pytest.raises(ValueError):
        split_account_key("no-dot")


async def test_containing_decodes_only_records_holding_the_bytes(
    store: Store, bucket_name: str
) -> None:
    """``items(containing=…)`` is a prefilter on the stored bytes: a key name finds every record
    with that key (and a value holding the same text, which the caller checks decoded)."""
    bucket = RecordBucket(await store.bucket(bucket_name), None)
    await bucket.put("000000000001.a", {"id": "a", "deleting": True})
    await bucket.put("000000000001.b", {"id": "b"})
    await bucket.put("000000000001.c", {"id": "c", "note": "deleting"})
    await bucket.put("000000000002.d", {"id": "d", "deleting": True})
    found = await bucket.items("000000000001.", containing=b'"deleting"')
    assert [key for key, _, _ in found] == ["000000000001.a", "000000000001.c"]
    assert [r["id"] for r in await bucket.list(containing=b'"deleting"')] == ["a", "c", "d"]


async def test_a_long_listing_decoded_in_slices_is_whole_and_in_order(
    store: Store, bucket_name: str
) -> None:
    bucket = RecordBucket(await store.bucket(bucket_name), None)
    count = 2_345  # more than two slices
    await asyncio.gather(*(bucket.put(f"k{n:05d}", {"n": n}) for n in range(count)))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    before = ticks
    listed = await bucket.list()
    between = ticks - before
    running.cancel()
    assert [r["n"] for r in listed] == list(range(count))
    if isinstance(store, MemoryStore):  # its listing itself never waits: the turns are slices'
        assert between == 2  # other work ran between the three slices


async def test_field_map_and_keys_read_no_value_behind_a_replica_and_agree_without(
    store: Store, bucket_name: str
) -> None:
    """``field_map`` (each key → the values its field holds) answers the same from a replica's
    index as from decoded records; behind a replica, once the index is made, it decodes
    nothing."""
    bucket = RecordBucket(await store.bucket(bucket_name), None)
    await bucket.put("000000000001.rtb-1", {"vpc_id": "v1", "associations": [{"subnet_id": "s1"}]})
    await bucket.put("000000000001.rtb-2", {"vpc_id": "v1", "associations": []})
    await bucket.put("000000000001.rtb-3", {"associations": [{"subnet_id": "s2"}, {"main": True}]})
    await bucket.put("000000000002.rtb-4", {"vpc_id": "v2"})
    await bucket.delete("000000000001.rtb-2")
    for field in ("vpc_id", "associations.subnet_id"):
        await bucket.field_map(field, "000000000003")  # makes a replica's index
    decoded: list[str] = []
    original = json.loads

    def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, bytes) and (b'"associations"' in value or b'"vpc_id"' in value):
            decoded.append(value)
        return original(value, *args, **kwargs)

    json.loads = counting  # type: ignore[assignment]
    try:
        by_vpc = await bucket.field_map("vpc_id", "000000000001")
        by_subnet = await bucket.field_map("associations.subnet_id", "000000000001")
        keys = await bucket.keys("000000000001.")
    finally:
        json.loads = original
    assert by_vpc == {"000000000001.rtb-1": ["v1"]}
    assert by_subnet == {"000000000001.rtb-1": ["s1"], "000000000001.rtb-3": ["s2"]}
    assert keys == ["000000000001.rtb-1", "000000000001.rtb-3"]
    if bucket.can_index():
        assert decoded == [], "the index answered without decoding values"
    else:
        assert decoded, "a store without a replica decodes"
