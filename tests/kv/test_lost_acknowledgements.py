"""A conditional write whose acknowledgement is lost is settled by reading the key back.

During a JetStream leader election a create or update may be stored while its answer times out.
Callers undo their claims when a write fails (a security-group name, a subnet CIDR), so a write
reported as failed must not be stored: otherwise the retry makes a second resource and the first
is an orphan that blocks DeleteVpc. These tests lose the acknowledgement on purpose, on a real
nats-server, by wrapping nats-py's call so it raises a timeout after (or instead of) writing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
import pytest

from kv.nats_store import NatsBucket, NatsStore
from kv.store import StoreUnavailableError

KEY = "000000000001.sg-0123456789abcdef0"


def _losing(call: Callable[..., Awaitable[Any]], *, write: bool) -> Callable[..., Awaitable[Any]]:
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        if write:
            await call(*args, **kwargs)
        raise nats.errors.TimeoutError

    return wrapped


async def _bucket(store: NatsStore, name: str) -> NatsBucket:
    return await store.bucket(name)


async def test_a_stored_create_whose_answer_is_lost_is_reported_done(
    nats_store: NatsStore, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = await _bucket(nats_store, bucket_name)
    monkeypatch.setattr(bucket._kv, "create", _losing(bucket._kv.create, write=True))
    revision = await bucket.create(KEY, b'{"a":1}')
    entry = await bucket.get(KEY)
    assert entry is not None and entry.value == b'{"a":1}' and entry.revision == revision


async def test_a_create_that_was_not_stored_still_fails(
    nats_store: NatsStore, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = await _bucket(nats_store, bucket_name)
    monkeypatch.setattr(bucket._kv, "create", _losing(bucket._kv.create, write=False))
    with pytest.raises(StoreUnavailableError):
        await bucket.create(KEY, b'{"a":1}')
    assert await bucket.get(KEY) is None


async def test_a_stored_update_whose_answer_is_lost_is_reported_done(
    nats_store: NatsStore, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = await _bucket(nats_store, bucket_name)
    first = await bucket.create(KEY, b'{"a":1}')
    monkeypatch.setattr(bucket._kv, "update", _losing(bucket._kv.update, write=True))
    revision = await bucket.update(KEY, b'{"a":2}', first)
    assert revision > first
    entry = await bucket.get(KEY)
    assert entry is not None and entry.value == b'{"a":2}'


async def test_an_update_that_was_not_stored_still_fails(
    nats_store: NatsStore, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = await _bucket(nats_store, bucket_name)
    first = await bucket.create(KEY, b'{"a":1}')
    monkeypatch.setattr(bucket._kv, "update", _losing(bucket._kv.update, write=False))
    with pytest.raises(StoreUnavailableError):
        await bucket.update(KEY, b'{"a":2}', first)
    entry = await bucket.get(KEY)
    assert entry is not None and entry.value == b'{"a":1}' and entry.revision == first
