"""Leases (core/leases.py) on each store: exclusion across runtimes sharing one store (as two
gateway processes do), renewal while held, release, take-over of a stale lease, bounded wait."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, cast

import pytest

from hive_gateway.config import Settings
from hive_gateway.core import claims, clock, leases
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.runtime import Runtime
from kv.buckets import account_key
from kv.store import Store
from tests.fixtures.gateway import free_port


def _ctx(store: Store, prefix: str) -> RequestContext:
    """A request context on its own runtime: two of them behave as two gateway processes."""
    settings = replace(Settings(), bucket_prefix=prefix)
    runtime = Runtime(settings=settings, store=store, accounts=cast(Any, None))
    return RequestContext("t", "ec2", "Test", "000000000001", "u", "k", settings.region, runtime)


@pytest.fixture
def prefix() -> str:
    return f"l{free_port()}"


async def test_a_lease_excludes_across_runtimes_sharing_a_store(store: Store, prefix: str) -> None:
    """Property: at most one holder at a time, whichever runtime (process) asks."""
    contexts = [_ctx(store, prefix), _ctx(store, prefix)]
    inside = 0
    most = 0
    entered = 0

    async def work(ctx: RequestContext) -> None:
        nonlocal inside, most, entered
        async with leases.held(ctx, leases.lease_name("placement", "web")):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1
            entered += 1

    await asyncio.gather(*(work(contexts[i % 2]) for i in range(12)))
    assert entered == 12
    assert most == 1


async def test_a_lease_is_released_on_exit_even_after_an_error(store: Store, prefix: str) -> None:
    """Property: leaving the block (normally or by an exception) frees the lease at once."""
    ctx = _ctx(store, prefix)
    name = leases.lease_name("finalize", "i-1")
    with pytest.raises(RuntimeError):
        async with leases.held(ctx, name):
            assert await claims.get(ctx, leases.LEASES, name) is not None
            raise RuntimeError("boom")
    assert await claims.get(ctx, leases.LEASES, name) is None


async def test_a_held_lease_is_renewed(
    store: Store, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Property: a holder working longer than the renewal period keeps refreshing its stamp."""
    monkeypatch.setattr(leases, "RENEW_SECONDS", 0.05)
    ctx = _ctx(store, prefix)
    name = leases.lease_name("placement", "slow")
    async with leases.held(ctx, name):
        first = (await claims.get(ctx, leases.LEASES, name) or {})["claimed_at"]
        await asyncio.sleep(0.4)
        later = (await claims.get(ctx, leases.LEASES, name) or {})["claimed_at"]
    assert clock.parse_time(later) > clock.parse_time(first)


async def test_a_stale_lease_is_taken_over(store: Store, prefix: str) -> None:
    """Property: a lease whose holder stopped renewing (crashed) is taken after its TTL."""
    ctx = _ctx(store, prefix)
    name = leases.lease_name("placement", "crashed")
    bucket = await ctx.runtime.records(leases.LEASES.bucket, claims.SCHEMA)
    await bucket.put(
        account_key(ctx.account_id, name), {"holder": "dead", "claimed_at": "2020-01-01T00:00:00Z"}
    )
    async with leases.held(ctx, name, wait_seconds=1.0):
        now = await claims.get(ctx, leases.LEASES, name)
        assert now is not None and now["holder"] != "dead"


async def test_a_live_lease_makes_others_wait_then_answer_503(store: Store, prefix: str) -> None:
    """Property: a fresh lease of another holder is never taken over; a waiter gives up after
    its bound with a retryable ServiceUnavailable."""
    one, two = _ctx(store, prefix), _ctx(store, prefix)
    name = leases.lease_name("placement", "busy")
    async with leases.held(one, name):
        with pytest.raises(AwsError) as raised:
            async with leases.held(two, name, wait_seconds=0.3):
                pytest.fail("entered a lease held by another")
    assert raised.value.code == "ServiceUnavailable" and raised.value.status == 503
