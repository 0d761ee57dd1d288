"""Claim spaces and ClientToken idempotency on each store (memory and real NATS KV)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, cast

import pytest

from hive_gateway.config import Settings
from hive_gateway.core import claims, idempotency
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.runtime import Runtime
from kv.buckets import account_key
from kv.store import Store
from tests.fixtures.gateway import free_port

SPACE = claims.KEY_PAIR_NAMES
ACL = KINDS["network-acl"]


def _ctx(store: Store, prefix: str, account: str = "000000000001") -> RequestContext:
    settings = replace(Settings(), bucket_prefix=prefix)
    runtime = Runtime(settings=settings, store=store, accounts=cast(Any, None))
    return RequestContext("t", "ec2", "Test", account, "u", "k", settings.region, runtime)


@pytest.fixture
def prefix() -> str:
    return f"t{free_port()}"


async def test_take_release_and_staleness(store: Store, prefix: str) -> None:
    ctx = _ctx(store, prefix)
    first = await claims.take(ctx, SPACE, "web", "key-1", data={"name": "web"})
    assert first.ours and first.fresh and first.value["name"] == "web"
    again = await claims.take(ctx, SPACE, "web", "key-1")
    assert again.ours and not again.fresh
    other = await claims.take(ctx, SPACE, "web", "key-2")
    assert not other.ours and other.value["holder"] == "key-1"

    async def holds(_: Record) -> bool | None:
        return True

    async def let_go(_: Record) -> bool | None:
        return False

    assert not (await claims.take(ctx, SPACE, "web", "key-2", held=holds)).ours
    taken = await claims.take(ctx, SPACE, "web", "key-2", held=let_go)
    assert taken.ours and taken.fresh
    await claims.release(ctx, SPACE, "web", "key-1")  # no longer key-1's: left alone
    assert (await claims.get(ctx, SPACE, "web") or {}).get("holder") == "key-2"
    assert await claims.update(ctx, SPACE, "web", "key-2", {"done": True})
    assert not await claims.update(ctx, SPACE, "web", "key-1", {"done": True})
    # a claim older than the space's limit is taken over when its holder cannot be confirmed
    bucket = await ctx.runtime.records(SPACE.bucket, claims.SCHEMA)
    old = {"holder": "key-3", "claimed_at": "2020-01-01T00:00:00Z"}
    await bucket.put(account_key(ctx.account_id, "old"), old)
    assert (await claims.take(ctx, SPACE, "old", "key-4")).ours
    # another account's claim on the same name is another claim
    assert (await claims.take(_ctx(store, prefix, "000000000002"), SPACE, "web", "key-9")).ours
    await claims.release(ctx, SPACE, "web", "key-2")
    assert await claims.get(ctx, SPACE, "web") is None
    await claims.take(ctx, SPACE, "i-1.sdf", "vol-1")
    await claims.take(ctx, SPACE, "i-1.sdg", "vol-2")
    await claims.take(ctx, SPACE, "i-2.sdf", "vol-3")
    await claims.release_all(ctx, SPACE, "i-1.")
    assert await claims.get(ctx, SPACE, "i-1.sdf") is None
    assert await claims.get(ctx, SPACE, "i-2.sdf") is not None


async def test_racing_takes_have_one_winner(store: Store, prefix: str) -> None:
    ctx = _ctx(store, prefix)
    outcomes = await asyncio.gather(
        *(claims.take(ctx, SPACE, "race", f"key-{n}") for n in range(10))
    )
    assert sum(o.ours for o in outcomes) == 1


async def test_one_creation_per_token_across_runtimes(store: Store, prefix: str) -> None:
    """Two runtimes (two gateways) on one store: the token creates once; others get the same."""
    runtimes = [_ctx(store, prefix), _ctx(store, prefix)]
    created: list[str] = []

    async def attempt(ctx: RequestContext) -> str:
        async def create(resource_id: str) -> str:
            await asyncio.sleep(0.05)  # the others arrive while this one is still creating
            created.append(resource_id)
            return resource_id

        async def existing(resource_id: str) -> str | None:
            return resource_id if resource_id in created else None

        params = {"VpcId": "vpc-1", "ClientToken": "tok"}
        return await idempotency.create_once(ctx, ACL, "tok", params, create, existing)

    ids = await asyncio.gather(*(attempt(runtimes[n % 2]) for n in range(6)))
    assert len(created) == 1 and set(ids) == set(created)
    assert created[0] == idempotency.derived_id(runtimes[0], ACL, "tok")

    async def never(_: str) -> str:
        raise AssertionError("must not create")

    async def found(resource_id: str) -> str | None:
        return resource_id

    with pytest.raises(AwsError) as exc:
        await idempotency.create_once(runtimes[1], ACL, "tok", {"VpcId": "vpc-2"}, never, found)
    assert exc.value.code == "IdempotentParameterMismatch"
    assert exc.value.message == (
        "The client token 'tok' has already been used with different parameters."
    )


async def test_a_failed_creation_frees_the_token(store: Store, prefix: str) -> None:
    ctx = _ctx(store, prefix)

    async def fail(_: str) -> str:
        raise AwsError("InvalidParameterValue", "no")

    async def nothing(_: str) -> str | None:
        return None

    with pytest.raises(AwsError):
        await idempotency.create_once(ctx, ACL, "t2", {"a": 1}, fail, nothing)

    async def make(resource_id: str) -> str:
        return resource_id

    # other parameters are fine now: the failed request created nothing
    assert await idempotency.create_once(ctx, ACL, "t2", {"a": 2}, make, nothing)
