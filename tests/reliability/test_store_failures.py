"""Store failures answer a retryable 503 quickly, never a 500 or a hang (issue 11).

A gateway over the in-memory store whose buckets are made to fail (or to stop answering) after
start-up; every request must come back as ``ServiceUnavailable`` (503), within the request
deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kv.memory import MemoryBucket, MemoryStore
from kv.store import RevisionMismatchError, Store, StoreError, StoreUnavailableError
from tests.fixtures.gateway import RunningGateway, start_gateway


@pytest.fixture
def fragile(tmp_path: Path) -> Iterator[RunningGateway]:
    """A gateway over the memory store with a 2-second request deadline."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, builtin_node=False, request_timeout=2.0)
    running.client().describe_vpcs()  # first request: the account's default VPC exists
    yield running
    running._stop()


def _code(call: Any) -> tuple[str, int, float]:
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        time.monotonic() - started,
    )


@pytest.mark.parametrize(
    "failure",
    [
        StoreUnavailableError("no JetStream leader"),
        StoreError("unexpected JetStream answer"),
        RevisionMismatchError("a conflict that escaped its handler"),
    ],
    ids=["unavailable", "other-store-error", "escaped-conflict"],
)
def test_store_errors_are_503_not_500(
    fragile: RunningGateway, monkeypatch: pytest.MonkeyPatch, failure: StoreError
) -> None:
    """Any store error reaching the pipeline (unavailable, an unexpected answer, an escaped
    conflict) answers ``ServiceUnavailable`` 503, which SDKs retry — never ``InternalError``."""

    async def broken(self: MemoryBucket, *args: Any, **kwargs: Any) -> Any:
        raise failure

    # (last_revision: what the read replica asks the store before answering a listing.)
    for method in ("get", "put", "create", "update", "delete", "keys", "entries", "last_revision"):
        monkeypatch.setattr(MemoryBucket, method, broken)
    client = fragile.client()
    for call in (client.describe_vpcs, lambda: client.create_vpc(CidrBlock="10.7.0.0/16")):
        code, status, _ = _code(call)
        assert (code, status) == ("ServiceUnavailable", 503)


def test_a_store_that_stops_answering_is_a_503_within_the_deadline(
    fragile: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store call that never returns (a NATS request stuck mid-election) does not hang the
    client: past the request deadline (2 s here) the answer is a retryable 503."""

    async def stuck(self: MemoryBucket, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)

    for method in ("get", "put", "create", "update", "keys", "entries"):
        monkeypatch.setattr(MemoryBucket, method, stuck)
    client = fragile.client(read_timeout=30)
    code, status, elapsed = _code(lambda: client.create_vpc(CidrBlock="10.8.0.0/16"))
    assert (code, status) == ("ServiceUnavailable", 503)
    assert 1.5 < elapsed < 10, elapsed
