"""Isolation table: account B can neither see nor touch account A's resources (issue 11).

Every implemented EC2 action (from the registry, so new actions are covered automatically) that
names a resource in a top-level member is called as account B with account A's real id (or
name) in that member, and again with a well-formed id of the same kind that exists nowhere. The
two answers must be the same (same error code, same message up to the id; or both 200 without
A's id in the body): another account's id looks exactly like one that does not exist. A's
records (every bucket, its keys) must be unchanged after each call.

One in-process gateway over the memory store; A's world is the fuzz test's seeded world.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import ListShape, Shape, StructureShape

import handlers  # noqa: F401  (registers every @action)
from hive_gateway.api.protocol.models import operation_model
from hive_gateway.core.registry import implemented
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import Credentials, RunningGateway, start_gateway
from tests.fuzz.test_no_server_errors import (
    _KIND_BY_NAME,
    World,
    _wants_id,
    seed_world,
    store_snapshot,
)

OWNED_KINDS = {
    "vpc", "subnet", "sg", "igw", "rtb", "rtbassoc", "key", "keyname", "groupname", "vol",
    "snap", "eni", "eipalloc", "publicip", "dopt", "acl", "eigw", "instance", "pl", "vpce",
    "lt", "cr", "sir",
}
"""Kinds of the seeded world that belong to an account (``ami``: the world's image is a shared
catalogue image; zones, CIDRs and private IPs are not resources)."""

SKIP: dict[str, str] = {
    # Members that look like ids but name shared things, not account resources:
    "DescribeImages": "ImageIds of the shared catalogue are visible to every account",
    "DescribeInstanceTypes": "instance types are shared",
    "DescribeInstanceTypeOfferings": "instance types are shared",
    "DescribeAvailabilityZones": "zones are shared",
    "DescribeRegions": "regions are shared",
    "RegisterImage": "names a snapshot inside BlockDeviceMappings only (not top-level)",
}

FAKE_NAME = "no-such-name-4711"


def _kind(member: str) -> str | None:
    lowered = member.lower()
    for fragment, kind in _KIND_BY_NAME:
        if fragment in lowered:
            return kind if kind in OWNED_KINDS else None
    return None


def _filler(name: str, shape: Shape, depth: int = 0) -> Any:
    """A plausible value for a required member (validation passes; semantics may not)."""
    if isinstance(shape, StructureShape):
        return {
            m: _filler(m, shape.members[m], depth + 1)
            for m in shape.required_members
            if depth < 3
        }
    if isinstance(shape, ListShape):
        return [_filler(name, shape.member, depth + 1)]
    if shape.type_name == "string":
        if shape.enum:
            return shape.enum[0]
        lowered = name.lower()
        if "cidr" in lowered:
            return "10.7.2.0/24"
        if "zone" in lowered:
            return "ap-southeast-2a"
        return "x" * max(1, int(shape.metadata.get("min", 1)))
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name == "boolean":
        return False
    if shape.type_name == "timestamp":
        return "2026-01-01T00:00:00Z"
    return "x"


def _fake(value: str, kind: str) -> str:
    """A well-formed value of ``kind`` that exists in no account."""
    if kind in ("keyname", "groupname"):
        return f"{FAKE_NAME}-{secrets.token_hex(4)}"
    if kind == "publicip":
        return "198.51.100.254"
    prefix, _, rest = value.rpartition("-")
    return f"{prefix}-{secrets.token_hex(len(rest))[: len(rest)]}"


def _cases() -> list[tuple[str, str, str]]:
    """(action, member, kind) for every implemented action's top-level resource member."""
    cases = []
    for action in implemented("ec2"):
        if action in SKIP:
            continue
        op = operation_model("ec2", action)
        assert op is not None
        members = op.input_shape.members if op.input_shape else {}
        for member, shape in members.items():
            if member == "DryRun" or "Owner" in member or "Rule" in member:
                continue  # OwnerId(s): account ids; SecurityGroupRuleIds: no rule in the world
            if not _wants_id(member):
                continue
            is_string_list = isinstance(shape, ListShape) and shape.member.type_name == "string"
            if shape.type_name != "string" and not is_string_list:
                continue
            kind = _kind(member)
            if kind is not None:
                cases.append((action, member, kind))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def tenants(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningGateway, World, Credentials]]:
    async def memory() -> Store:
        return MemoryStore()

    gateway = start_gateway(memory, tmp_path_factory.mktemp("isolation"))
    try:
        a = gateway.create_account("tenant-a")
        world = seed_world(gateway, a, instance=True)
        b = gateway.create_account("tenant-b")
        gateway.client("ec2", creds=b).describe_vpcs()  # B's default VPC exists before the table
        yield gateway, world, b
    finally:
        gateway._stop()


def _answer(client: Any, action: str, params: dict[str, Any]) -> tuple[int, str, str]:
    method = getattr(client, _snake(client, action))
    try:
        response = method(**params)
    except ClientError as error:
        body = error.response["Error"]
        return error.response["ResponseMetadata"]["HTTPStatusCode"], body["Code"], body.get(
            "Message", ""
        )
    return 200, "", repr({k: v for k, v in response.items() if k != "ResponseMetadata"})


def _snake(client: Any, action: str) -> str:
    for snake, api in client.meta.method_to_api_mapping.items():
        if api == action:
            return str(snake)
    raise KeyError(action)


def test_the_table_covers_every_family() -> None:
    """The derived table is not empty and reaches every owned kind (a guard against a registry
    or model change silently emptying it)."""
    kinds = {kind for _, _, kind in CASES}
    assert not OWNED_KINDS - kinds, OWNED_KINDS - kinds
    assert len(CASES) > 100, len(CASES)


@pytest.mark.parametrize(("action", "member", "kind"), CASES, ids=[f"{a}.{m}" for a, m, _ in CASES])
def test_another_accounts_resource_looks_like_a_missing_one(
    tenants: tuple[RunningGateway, World, Credentials], action: str, member: str, kind: str
) -> None:
    """As account B, account A's id in ``member`` gets exactly the answer a nonexistent id gets
    (the kind's NotFound, or the action's own error), and A's records do not change."""
    gateway, world, b = tenants
    if kind in ("keyname", "groupname"):
        # Names are per account: a fresh B, so that B's own earlier creations (same names,
        # made by other rows of the table) do not answer for A's.
        b = gateway.create_account(f"tenant-b-{secrets.token_hex(4)}")
        gateway.client("ec2", creds=b).describe_vpcs()  # its default VPC: before the snapshot
    op = operation_model("ec2", action)
    assert op is not None and op.input_shape is not None
    shape = op.input_shape.members[member]
    values = [v for v in world.ids[kind] if v != "default"]
    assert values, kind
    client = gateway.client("ec2", creds=b)
    for real in values:
        params = {
            m: _filler(m, op.input_shape.members[m])
            for m in op.input_shape.required_members
            if m != member
        }
        for m, v in list(params.items()):  # required members that are ids: A's too
            k = _kind(m)
            m_shape = op.input_shape.members[m]
            plain = m_shape.type_name == "string" or (
                isinstance(m_shape, ListShape) and m_shape.member.type_name == "string"
            )
            if plain and k is not None and world.ids.get(k):
                params[m] = [world.ids[k][0]] if isinstance(v, list) else world.ids[k][0]
        fake = _fake(real, kind)
        as_list = isinstance(shape, ListShape)
        before = store_snapshot(gateway, world.creds.account_id)
        status, code, message = _answer(client, action, {**params, member: [real] if as_list else real})
        after = store_snapshot(gateway, world.creds.account_id)
        assert after == before, f"{action} as B with A's {member}={real} changed A's records"
        f_status, f_code, f_message = _answer(
            client, action, {**params, member: [fake] if as_list else fake}
        )
        assert status < 500, (action, member, status, code, message)
        if status == 200:
            if kind in ("keyname", "groupname"):
                # Names are per account: B may create its own "fuzz-key"; the answer for a
                # name that exists nowhere was a 200 too (checked below), so nothing leaked.
                assert f_status == 200, (action, member, f_status, f_code, f_message)
                continue
            if real in message:
                # Answers that echo the ids given (DeleteVpcEndpoints' Unsuccessful items) must
                # echo a missing id exactly the same way.
                assert message.replace(real, "<id>") == f_message.replace(fake, "<id>"), (
                    f"{action} showed A's {real} to B: {message[:500]}"
                )
            assert f_status == 200 or f_code, (f_status, f_code)
            continue
        assert (status, code) == (f_status, f_code), (
            f"{action} {member}: A's {real} → {status} {code} '{message}', "
            f"missing {fake} → {f_status} {f_code} '{f_message}'"
        )
        assert message.replace(real, "<id>") == f_message.replace(fake, "<id>"), (message, f_message)
