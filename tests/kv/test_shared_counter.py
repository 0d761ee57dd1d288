"""kv.counter.SharedCounter: unique, contiguous numbers for concurrent callers, in groups.

Run over the in-memory store and a real nats-server (the contract fixtures of tests/kv).
"""

from __future__ import annotations

import asyncio
import json

from kv.counter import SharedCounter
from kv.store import Store


async def test_concurrent_callers_get_contiguous_unique_numbers_with_few_swaps(
    store: Store, bucket_name: str
) -> None:
    bucket = await store.bucket(bucket_name)
    counter = SharedCounter(bucket, "counter", first=100)
    numbers = await asyncio.gather(*(counter.take() for _ in range(200)))
    assert sorted(numbers) == list(range(100, 300))
    entry = await bucket.get("counter")
    assert entry is not None and json.loads(entry.value) == 299
    # Grouped: far fewer swaps than numbers (the key's revision counts its writes).
    assert entry.revision < 50


async def test_two_counters_on_one_key_never_hand_out_one_twice(
    store: Store, bucket_name: str
) -> None:
    """Two gateways (two counters) sharing the key: the compare-and-swap decides."""
    bucket = await store.bucket(bucket_name)
    first, second = (SharedCounter(bucket, "counter", first=1) for _ in range(2))
    numbers = await asyncio.gather(
        *(counter.take() for _ in range(100) for counter in (first, second))
    )
    assert sorted(numbers) == list(range(1, 201))


async def test_existing_counter_continues_and_failures_reach_every_caller(
    store: Store, bucket_name: str
) -> None:
    bucket = await store.bucket(bucket_name)
    await bucket.put("counter", b"41")
    counter = SharedCounter(bucket, "counter", first=100)
    assert await asyncio.gather(counter.take(), counter.take(), counter.take()) == [42, 43, 44]
    await bucket.put("counter", b"not json")
    results = await asyncio.gather(counter.take(), counter.take(), return_exceptions=True)
    assert all(isinstance(result, ValueError) for result in results)
    await bucket.put("counter", b"50")
    assert await counter.take() == 51  # a failed group does not stop the next one
