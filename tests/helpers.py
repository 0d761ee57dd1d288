"""Helpers shared by the end-to-end test modules (VPC family, compute, gateway foundation).

Everything here works against a :class:`~tests.fixtures.gateway.RunningGateway` (or a boto3 EC2
client made by one) and asserts nothing of its own beyond what its docstring says, so a test reads
the same whether it uses a helper or spells the call out:

- errors: :func:`error_of`, :func:`code`, :func:`message`, :func:`outcome`;
- seeding the store directly: :func:`request_context`, :func:`put_raw`, :func:`seed_subnet_instance`;
- raw wire requests and the strict XML check: :func:`admin_send`, :func:`assert_matches_model`;
- builders: :func:`new_vpc`, :func:`new_eni`, :func:`tag_specifications`;
- timing and concurrency: :func:`wait_for`, :func:`race`;
- test doubles: :class:`RecordingBus`;
- the ``nats_token_gateway`` fixture (import it into a test module to use it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from hive_gateway.core import clock, records
from hive_gateway.conformance.xml_check import assert_xml_matches_shape
from hive_gateway.core.context import RequestContext
from hive_gateway.core.ids import new_id
from hive_gateway.api.protocol.models import operation_model
from hive_gateway.core.kinds import KINDS
from kv.buckets import account_key, bucket_name
from kv.nats_store import NatsStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, free_port, start_gateway
from tests.fixtures.raw import RawResponse, send

T = TypeVar("T")
A = TypeVar("A")

ADMIN = "000000000001"
"""The account id of the gateway fixture's admin credentials."""

# --- errors --------------------------------------------------------------------------------------


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of the boto3 ``ClientError`` caught by ``pytest.raises``."""
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error.get("Message", ""))


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The error code of the boto3 ``ClientError`` caught by ``pytest.raises``."""
    return error_of(exc)[0]


def message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The error message of the boto3 ``ClientError`` caught by ``pytest.raises``."""
    return error_of(exc)[1]


def outcome(call: Callable[[], object]) -> str:
    """What ``call()`` came to: the code of the ``ClientError`` it raised, else the string it
    returned (an id, say), else ``"ok"`` (a boto3 answer, ``None``, ...)."""
    try:
        result = call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return result if isinstance(result, str) else "ok"


# --- seeding the store directly -------------------------------------------------------------------


def request_context(gateway: RunningGateway, account_id: str = ADMIN) -> RequestContext:
    """A request context of ``account_id`` for seeding/inspecting records and calling module code.

    Only the account, region and runtime matter to the handlers; the caller fields are fixed.
    """
    return RequestContext(
        request_id="test",
        service="ec2",
        operation="Test",
        account_id=account_id,
        user_name="test",
        access_key_id="test",
        region=gateway.settings.region,
        runtime=gateway.runtime,
    )


def put_raw(gateway: RunningGateway, logical: str, key: str, value: dict[str, Any]) -> None:
    """Write ``value`` as JSON under ``key`` in the bucket ``logical``, as another module would."""

    async def put() -> None:
        bucket = await gateway.runtime.store.bucket(
            bucket_name(gateway.settings.bucket_prefix, logical)
        )
        await bucket.put(key, json.dumps(value).encode())

    gateway.run(put())


def seed_subnet_instance(
    gateway: RunningGateway,
    subnet: dict[str, Any],
    *,
    state: str = "running",
    zone: str | None = None,
    account: str = ADMIN,
) -> str:
    """A minimal instance record in ``subnet`` (a boto3 ``Subnet``), written as raw JSON.

    The instances module owns the real records; this is only what other modules look at.
    Skips the test while the instance record schema is not available.
    """
    instance_id = new_id("instance")
    record = {
        "instance_id": instance_id,
        "state": state,
        "availability_zone": zone or subnet["AvailabilityZone"],
        "subnet_id": subnet["SubnetId"],
        "vpc_id": subnet["VpcId"],
        "security_group_ids": [],
        "tags": {},
        "created_at": clock.utc_now(),
    }

    async def write() -> None:
        try:
            await records.records(request_context(gateway, account), KINDS["instance"])
        except ValueError:
            pytest.skip("the instance record schema is not available yet")
        bucket = await gateway.runtime.store.bucket(
            bucket_name(gateway.settings.bucket_prefix, "instances")
        )
        await bucket.create(account_key(account, instance_id), json.dumps(record).encode())

    gateway.run(write())
    return instance_id


# --- raw wire requests ----------------------------------------------------------------------------


def admin_send(gateway: RunningGateway, body: str, **kwargs: Any) -> RawResponse:
    """POST the form ``body`` to ``gateway``, SigV4-signed with the admin's keys for its region."""
    kwargs.setdefault("region", gateway.settings.region)
    return send(
        gateway.url,
        body,
        access_key=gateway.admin.access_key_id,
        secret_key=gateway.admin.secret_access_key,
        **kwargs,
    )


def assert_matches_model(body: bytes, operation: str) -> None:
    """Assert the XML ``body`` matches the botocore output shape of EC2's ``operation`` strictly."""
    model = operation_model("ec2", operation)
    assert model is not None
    assert_xml_matches_shape(body, model)


# --- builders -------------------------------------------------------------------------------------


def new_vpc(ec2: Any, cidr: str = "10.0.0.0/16") -> str:
    """``CreateVpc`` through boto3; returns the new VPC's id."""
    return str(ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"])


def new_eni(ec2: Any, subnet_id: str, **kwargs: Any) -> dict[str, Any]:
    """``CreateNetworkInterface`` in ``subnet_id`` through boto3; returns the interface."""
    return dict(ec2.create_network_interface(SubnetId=subnet_id, **kwargs)["NetworkInterface"])


def tag_specifications(resource_type: str, **tags: str) -> list[dict[str, Any]]:
    """A one-entry ``TagSpecifications`` list tagging ``resource_type`` with ``tags``."""
    return [
        {
            "ResourceType": resource_type,
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
    ]


# --- timing and concurrency -----------------------------------------------------------------------


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, every: float = 0.2) -> T:
    """Poll ``probe`` until it returns something truthy (bounded, like a Terraform waiter)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(every)


def race(attempt: Callable[[A], object], items: Iterable[A], workers: int | None = None) -> list[str]:
    """Run ``attempt(item)`` for every item in threads at once; the :func:`outcome` of each, in order.

    ``workers`` defaults to one thread per item.
    """
    args = list(items)
    with ThreadPoolExecutor(max_workers=workers or len(args)) as pool:
        return list(pool.map(lambda arg: outcome(lambda: attempt(arg)), args))


# --- test doubles --------------------------------------------------------------------------------


class RecordingBus:
    """A stand-in for the NATS bus that records published events and expects no requests."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], dict[str, str] | None]] = []

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.events.append((subject, json.loads(data), headers))

    async def request(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> bytes:
        raise AssertionError("no requests expected")


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def nats_token_gateway(tmp_path: Path, nats_server: Any) -> Iterator[RunningGateway]:
    """A gateway over the real nats-server (JetStream KV compare-and-swap), connecting with its token.

    The shared ``nats_gateway`` fixture connects without the token the test server requires.
    """

    async def nats() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    running = start_gateway(nats, tmp_path, bucket_prefix=f"t{free_port()}")
    yield running
    running._stop()
