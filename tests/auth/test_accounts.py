"""Accounts and access keys over the in-memory store and a real NATS JetStream."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hive_gateway.api.auth.accounts import (
    ADMIN_ACCOUNT_ID,
    SYSTEM_ACCOUNT_ID,
    AccountNameTakenError,
    AccountRegistry,
    MasterKey,
    generate_access_key_id,
    generate_secret_access_key,
)
from hive_gateway.core.errors import AwsError
from kv.memory import MemoryStore
from kv.store import Store

ENV_KEY = "AKIAENVPROVIDED0001"
ENV_SECRET = "env-provided-secret-key-000000000000000000"


def registry(store: Store, data_dir: Path, prefix: str = "hive") -> AccountRegistry:
    return AccountRegistry(store, data_dir, bucket_prefix=prefix)


async def raw_record(store: Store, bucket: str, key: str) -> dict[str, object]:
    entry = await (await store.bucket(bucket)).get(key)
    assert entry is not None, f"{bucket}/{key} missing"
    value = json.loads(entry.value)
    assert isinstance(value, dict)
    return value


async def admin_keys(store: Store, prefix: str = "hive") -> list[str]:
    bucket = await store.bucket(f"{prefix}-iam-access-keys")
    return [
        e.key
        for e in await bucket.entries()
        if json.loads(e.value)["account_id"] == ADMIN_ACCOUNT_ID
    ]


def test_generated_keys_look_like_hive_admin_init() -> None:
    for _ in range(20):
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", generate_access_key_id())
        secret = generate_secret_access_key()
        assert len(secret) == 40 and len(base64.b64decode(secret)) == 30


async def test_bootstrap_seeds_accounts_counter_and_admin_key(tmp_path: Path) -> None:
    store = MemoryStore()
    admin = await registry(store, tmp_path).bootstrap(None, None)
    assert admin.account_id == ADMIN_ACCOUNT_ID and admin.user_name == "admin"
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", admin.access_key_id)
    assert admin.secret_access_key not in repr(admin)

    system = await raw_record(store, "hive-accounts", SYSTEM_ACCOUNT_ID)
    assert system["status"] == "ACTIVE" and system["account_id"] == SYSTEM_ACCOUNT_ID
    account = await raw_record(store, "hive-accounts", ADMIN_ACCOUNT_ID)
    assert account["account_name"] == "hive" and account["status"] == "ACTIVE"
    assert str(account["created_at"]).endswith("Z")
    counter = await (await store.bucket("hive-account-counter")).get("next_id")
    assert counter is not None and json.loads(counter.value) == 2

    record = await raw_record(store, "hive-iam-access-keys", admin.access_key_id)
    assert record["user_name"] == "admin" and record["account_id"] == ADMIN_ACCOUNT_ID
    assert record["status"] == "Active" and record["access_key_id"] == admin.access_key_id


async def test_bootstrap_is_idempotent_across_restarts(tmp_path: Path) -> None:
    store = MemoryStore()
    first = await registry(store, tmp_path).bootstrap(None, None)
    second = await registry(store, tmp_path).bootstrap(None, None)  # a restarted gateway
    assert second == first
    assert await admin_keys(store) == [first.access_key_id]
    key = await registry(store, tmp_path).lookup(first.access_key_id)
    assert key is not None and key.secret_access_key == first.secret_access_key


async def test_env_key_is_registered_next_to_the_generated_one(tmp_path: Path) -> None:
    store = MemoryStore()
    generated = await registry(store, tmp_path).bootstrap(None, None)
    admin = await registry(store, tmp_path).bootstrap(ENV_KEY, ENV_SECRET)
    assert (admin.access_key_id, admin.secret_access_key) == (ENV_KEY, ENV_SECRET)
    again = registry(store, tmp_path)
    assert await again.bootstrap(ENV_KEY, ENV_SECRET) == admin
    for akid, secret in (
        (ENV_KEY, ENV_SECRET),
        (generated.access_key_id, generated.secret_access_key),
    ):
        key = await again.lookup(akid)
        assert key is not None and key.secret_access_key == secret
        assert key.account_id == ADMIN_ACCOUNT_ID and key.user_name == "admin"
    assert sorted(await admin_keys(store)) == sorted([ENV_KEY, generated.access_key_id])


async def test_env_key_with_a_new_secret_replaces_the_old_secret(tmp_path: Path) -> None:
    store = MemoryStore()
    await registry(store, tmp_path).bootstrap(ENV_KEY, ENV_SECRET)
    await registry(store, tmp_path).bootstrap(ENV_KEY, "rotated-secret")
    key = await registry(store, tmp_path).lookup(ENV_KEY)
    assert key is not None and key.secret_access_key == "rotated-secret"


async def test_env_key_must_be_complete_and_well_formed(tmp_path: Path) -> None:
    reg = registry(MemoryStore(), tmp_path)
    with pytest.raises(ValueError):
        await reg.bootstrap(ENV_KEY, None)
    for bad_key in ("ab", "x" * 129, "has space", "slash/key", "comma,key", "tab\tkey"):
        with pytest.raises(ValueError, match="3-128 printable"):
            await reg.bootstrap(bad_key, ENV_SECRET)
    for bad_secret in ("ab", "s" * 129, "new\nline"):
        with pytest.raises(ValueError, match="secret key must be 3-128"):
            await reg.bootstrap("test", bad_secret)


@pytest.mark.parametrize("akid", ["test", "abc", "akia-lower-case", "t.e+s=t!~", "K" * 128])
async def test_any_printable_admin_key_a_user_chooses_is_accepted(
    tmp_path: Path, akid: str
) -> None:
    """``HIVE_GATEWAY_ACCESS_KEY=test`` (the emulator habit): 3-128 printable characters."""
    store = MemoryStore()
    admin = await registry(store, tmp_path).bootstrap(akid, "test")
    assert (admin.access_key_id, admin.secret_access_key) == (akid, "test")
    key = await registry(store, tmp_path).lookup(akid)
    assert key is not None and key.secret_access_key == "test"
    assert key.account_id == ADMIN_ACCOUNT_ID
    assert await registry(store, tmp_path).lookup(akid + "x") is None
    # A restart without the env pair keeps using the chosen key.
    again = await registry(store, tmp_path).bootstrap(None, None)
    assert again.access_key_id == akid


async def test_create_account_counts_up_from_two(tmp_path: Path) -> None:
    store = MemoryStore()
    reg = registry(store, tmp_path)
    await reg.bootstrap(None, None)
    first = await reg.create_account("tenant-a")
    second = await reg.create_account("tenant-b")
    assert first.account_id == "000000000002" and second.account_id == "000000000003"
    account_id, akid, secret = first  # also unpacks as a tuple
    assert (account_id, akid, secret) == tuple(first)
    key = await reg.lookup(first.access_key_id)
    assert key is not None
    assert (key.account_id, key.user_name, key.secret_access_key) == (
        "000000000002",
        "admin",
        first.secret_access_key,
    )
    record = await raw_record(store, "hive-accounts", "000000000003")
    assert record["account_name"] == "tenant-b"
    names = [a["account_name"] for a in await reg.list_accounts()]
    assert names == ["system", "hive", "tenant-a", "tenant-b"]
    counter = await (await store.bucket("hive-account-counter")).get("next_id")
    assert counter is not None and json.loads(counter.value) == 4


async def test_create_account_without_bootstrap_starts_at_two(tmp_path: Path) -> None:
    created = await registry(MemoryStore(), tmp_path).create_account("first")
    assert created.account_id == "000000000002"


async def test_duplicate_account_names_are_refused(tmp_path: Path) -> None:
    reg = registry(MemoryStore(), tmp_path)
    await reg.bootstrap(None, None)
    await reg.create_account("Tenant A")
    for name in ("Tenant A", "  tenant a ", "HIVE", "system"):
        with pytest.raises(AccountNameTakenError) as caught:
            await reg.create_account(name)
        assert caught.value.code == "EntityAlreadyExists"
    with pytest.raises(AwsError) as invalid:
        await reg.create_account("   ")
    assert invalid.value.code == "InvalidInput"
    assert len(await reg.list_accounts()) == 3


async def test_concurrent_creates_get_distinct_ids(tmp_path: Path) -> None:
    store = MemoryStore()
    regs = [registry(store, tmp_path) for _ in range(3)]  # three gateways, one store
    await regs[0].bootstrap(None, None)
    created = await asyncio.gather(*(regs[i % 3].create_account(f"tenant-{i}") for i in range(9)))
    ids = sorted(c.account_id for c in created)
    assert ids == [f"{n:012d}" for n in range(2, 11)]
    assert len({c.access_key_id for c in created}) == 9


async def test_concurrent_creates_of_one_name_make_one_account(tmp_path: Path) -> None:
    store = MemoryStore()
    regs = [registry(store, tmp_path) for _ in range(4)]
    results = await asyncio.gather(
        *(r.create_account("same-name") for r in regs), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(
        isinstance(r, AccountNameTakenError) for r in results if isinstance(r, BaseException)
    )
    assert [a["account_name"] for a in await regs[0].list_accounts()] == ["same-name"]


async def test_abandoned_name_reservation_is_taken_over(tmp_path: Path) -> None:
    store = MemoryStore()
    reg = registry(store, tmp_path)
    from hive_gateway.api.auth.accounts import _name_key

    stale = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    names = await store.bucket("hive-account-names")
    value = {"account_id": "", "client_token": "crashed", "created_at": stale}
    await names.create(_name_key("Orphan"), json.dumps(value).encode())
    assert (await reg.create_account("orphan")).account_id == "000000000002"
    recent = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    fresh = {"account_id": "", "client_token": "busy", "created_at": recent}
    await names.create(_name_key("Busy"), json.dumps(fresh).encode())
    with pytest.raises(AccountNameTakenError):
        await reg.create_account("busy")


async def test_stored_secret_is_encrypted_in_hive_format(tmp_path: Path) -> None:
    store = MemoryStore()
    reg = registry(store, tmp_path)
    created = await reg.create_account("tenant-a")
    record = await raw_record(store, "hive-iam-access-keys", created.access_key_id)
    stored = record["secret_access_key"]
    assert isinstance(stored, str) and stored != created.secret_access_key
    assert created.secret_access_key not in json.dumps(record)
    # base64(nonce ‖ ciphertext ‖ tag) under the raw 32-byte master.key, as Hive's EncryptSecret
    master = (tmp_path / "master.key").read_bytes()
    assert len(master) == 32
    assert stat.S_IMODE((tmp_path / "master.key").stat().st_mode) == 0o600
    blob = base64.b64decode(stored)
    assert len(blob) == 12 + len(created.secret_access_key) + 16
    plain = AESGCM(master).decrypt(blob[:12], blob[12:], None)
    assert plain.decode() == created.secret_access_key


async def test_unknown_inactive_and_malformed_keys_are_not_found(tmp_path: Path) -> None:
    store = MemoryStore()
    reg = registry(store, tmp_path)
    created = await reg.create_account("tenant-a")
    assert await reg.lookup("AKIAUNKNOWNKEY000000") is None
    assert await reg.lookup("not/a.valid key") is None
    assert await reg.lookup("") is None
    assert await reg.lookup(created.access_key_id) is not None

    bucket = await store.bucket("hive-iam-access-keys")
    entry = await bucket.get(created.access_key_id)
    assert entry is not None
    record = json.loads(entry.value)
    record["status"] = "Inactive"
    await bucket.update(entry.key, json.dumps(record).encode(), entry.revision)
    assert await reg.lookup(created.access_key_id) is not None  # still cached
    reg.forget(created.access_key_id)
    assert await reg.lookup(created.access_key_id) is None
    assert await registry(store, tmp_path).lookup(created.access_key_id) is None


async def test_wrong_master_key_cannot_decrypt(tmp_path: Path) -> None:
    store = MemoryStore()
    created = await registry(store, tmp_path / "node-a").create_account("tenant-a")
    other = registry(store, tmp_path / "node-b")  # a different master.key
    assert await other.lookup(created.access_key_id) is None
    record = await raw_record(store, "hive-iam-access-keys", created.access_key_id)
    with pytest.raises(InvalidTag):
        other.master_key.decrypt(str(record["secret_access_key"]))
    # ...and the right one still can
    same = MasterKey((tmp_path / "node-a" / "master.key").read_bytes())
    assert same.decrypt(str(record["secret_access_key"])) == created.secret_access_key


async def test_world_readable_master_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "master.key").write_bytes(b"k" * 32)
    (tmp_path / "master.key").chmod(0o644)
    with pytest.raises(PermissionError):
        await registry(MemoryStore(), tmp_path).bootstrap(None, None)
    (tmp_path / "master.key").chmod(0o640)  # Hive's shared IAM key mode is fine
    admin = await registry(MemoryStore(), tmp_path).bootstrap(None, None)
    assert admin.account_id == ADMIN_ACCOUNT_ID


async def test_bucket_prefix_is_used(tmp_path: Path) -> None:
    store = MemoryStore()
    reg = registry(store, tmp_path, prefix="spinifex")
    admin = await reg.bootstrap(None, None)
    record = await raw_record(store, "spinifex-accounts", ADMIN_ACCOUNT_ID)
    assert record["account_name"] == "spinifex"
    await raw_record(store, "spinifex-iam-access-keys", admin.access_key_id)


async def test_over_real_nats(nats_store: Store, tmp_path: Path) -> None:
    """Two gateways sharing one JetStream: same admin key, distinct account ids."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    gw_a = registry(nats_store, tmp_path, prefix)
    gw_b = registry(nats_store, tmp_path, prefix)
    admin_a, admin_b = await asyncio.gather(gw_a.bootstrap(None, None), gw_b.bootstrap(None, None))
    restarted = await registry(nats_store, tmp_path, prefix).bootstrap(None, None)
    # Racing first starts may each keep their own key, but all of them verify and a restart
    # settles on one of them.
    assert restarted.access_key_id in {admin_a.access_key_id, admin_b.access_key_id}
    for admin in (admin_a, admin_b):
        key = await gw_a.lookup(admin.access_key_id)
        assert key is not None and key.secret_access_key == admin.secret_access_key

    created = await asyncio.gather(
        *((gw_a if i % 2 else gw_b).create_account(f"tenant-{i}") for i in range(6))
    )
    assert sorted(c.account_id for c in created) == [f"{n:012d}" for n in range(2, 8)]
    key = await gw_b.lookup(created[0].access_key_id)
    assert key is not None and key.account_id == created[0].account_id
    with pytest.raises(AccountNameTakenError):
        await gw_a.create_account("TENANT-0")
    record = await raw_record(nats_store, f"{prefix}-iam-access-keys", created[0].access_key_id)
    assert record["secret_access_key"] != created[0].secret_access_key
