"""IPAM: private addresses per subnet and the public pool, as properties and under concurrency."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_gateway.core import ipam
from hive_gateway.api.auth.accounts import AccountRegistry
from hive_gateway.config import Settings
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.runtime import Runtime
from kv.memory import MemoryStore
from tests.fixtures.gateway import RunningGateway

T = TypeVar("T")


def memory_context(account: str = "000000000001", *, pool: str | None = None) -> RequestContext:
    """A request context over a fresh in-memory store (the IPAM needs nothing else)."""
    settings = Settings() if pool is None else Settings(public_pool=pool)
    runtime = Runtime(settings=settings, store=MemoryStore(), accounts=cast(AccountRegistry, None))
    return RequestContext("t", "ec2", "Test", account, "test", "", "ap-southeast-2", runtime)


def run(factory: Callable[[RequestContext], Awaitable[T]], ctx: RequestContext | None = None) -> T:
    async def main() -> T:
        return await factory(ctx or memory_context())

    return asyncio.run(main())


def subnet(cidr: str, subnet_id: str = "subnet-0123456789abcdef0") -> dict[str, str]:
    return {"subnet_id": subnet_id, "cidr_block": cidr}


def error_code(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(AwsError) as exc:
        call()
    return exc.value.code, exc.value.message


# --- arithmetic ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cidr,usable", [("10.0.1.0/28", 11), ("10.0.1.0/24", 251), ("10.0.0.0/16", 65531)])
def test_usable_addresses_exclude_the_five_reserved(cidr: str, usable: int) -> None:
    network = ipaddress.IPv4Network(cidr)
    assert ipam.usable_addresses(network) == usable
    reserved = ipam.reserved_addresses(network)
    base = network.network_address
    assert reserved == {base, base + 1, base + 2, base + 3, network.broadcast_address}


@pytest.mark.parametrize(
    "address,message",
    [
        ("10.0.2.5", "Address 10.0.2.5 does not fall within the subnet's address range"),
        ("10.0.1.0", "Address 10.0.1.0 is reserved"),
        ("10.0.1.3", "Address 10.0.1.3 is reserved"),
        ("10.0.1.255", "Address 10.0.1.255 is reserved"),
        ("10.0.1.256", "Invalid value '10.0.1.256' for IP address"),
    ],
)
def test_requested_addresses_are_checked(address: str, message: str) -> None:
    code, text = error_code(lambda: ipam.check_private_address(ipaddress.IPv4Network("10.0.1.0/24"), address))
    assert code == "InvalidParameterValue"
    assert text.startswith(message)


def test_dns_names_follow_aws() -> None:
    assert ipam.private_dns_name("ap-southeast-2", "10.0.1.5") == "ip-10-0-1-5.ap-southeast-2.compute.internal"
    assert ipam.private_dns_name("us-east-1", "10.0.1.5") == "ip-10-0-1-5.ec2.internal"
    assert ipam.public_dns_name("eu-west-1", "198.51.100.7") == "ec2-198-51-100-7.eu-west-1.compute.amazonaws.com"
    assert ipam.public_dns_name("us-east-1", "198.51.100.7") == "ec2-198-51-100-7.compute-1.amazonaws.com"


# --- private allocation ------------------------------------------------------------------------------


def test_allocation_starts_at_network_plus_four_and_takes_the_lowest_free() -> None:
    async def scenario(ctx: RequestContext) -> list[str]:
        s = subnet("10.0.1.0/24")
        first = await ipam.allocate_private_ip(ctx, s)
        second = await ipam.allocate_private_ip(ctx, s)
        explicit = await ipam.allocate_private_ip(ctx, s, "10.0.1.7")
        await ipam.release_private_ip(ctx, s["subnet_id"], first)
        again = await ipam.allocate_private_ip(ctx, s)
        nxt = await ipam.allocate_private_ip(ctx, s)
        return [first, second, explicit, again, nxt, str(await ipam.used_addresses(ctx, s["subnet_id"]))]

    assert run(scenario) == ["10.0.1.4", "10.0.1.5", "10.0.1.7", "10.0.1.4", "10.0.1.6", "4"]


def test_record_has_hives_format_under_the_bare_subnet_id() -> None:
    ctx = memory_context()

    async def scenario(c: RequestContext) -> Any:
        await ipam.allocate_private_ips(c, subnet("10.0.1.0/28"), ["10.0.1.9"], 2)
        bucket = await c.runtime.store.bucket("hive-vpc-ipam")
        entry = await bucket.get("subnet-0123456789abcdef0")
        assert entry is not None
        return entry.value

    import json

    assert json.loads(run(scenario, ctx)) == {
        "subnet_id": "subnet-0123456789abcdef0",
        "cidr_block": "10.0.1.0/28",
        "allocated": ["10.0.1.9", "10.0.1.4", "10.0.1.5"],
    }


def test_explicit_address_in_use_is_refused_and_nothing_is_reserved() -> None:
    async def scenario(ctx: RequestContext) -> tuple[tuple[str, str], int]:
        s = subnet("10.0.1.0/24")
        await ipam.allocate_private_ip(ctx, s, "10.0.1.5")
        try:
            await ipam.allocate_private_ips(ctx, s, ["10.0.1.6", "10.0.1.5"], 3)
        except AwsError as exc:
            return (exc.code, exc.message), await ipam.used_addresses(ctx, s["subnet_id"])
        raise AssertionError("expected InvalidIPAddress.InUse")

    assert run(scenario) == (("InvalidIPAddress.InUse", "Address 10.0.1.5 is in use."), 1)


def test_a_full_subnet_is_insufficient_free_addresses() -> None:
    async def scenario(ctx: RequestContext) -> tuple[list[str], str, int]:
        s = subnet("10.0.1.16/28", "subnet-00000000000000001")
        taken = await ipam.allocate_private_ips(ctx, s, count=11)
        try:
            await ipam.allocate_private_ip(ctx, s)
        except AwsError as exc:
            return taken, exc.code, await ipam.available_addresses(ctx, s)
        raise AssertionError("expected exhaustion")

    taken, code, available = run(scenario)
    assert taken == [f"10.0.1.{n}" for n in range(20, 31)]
    assert code == "InsufficientFreeAddressesInSubnet"
    assert available == 0


def test_asking_for_more_than_is_free_reserves_nothing() -> None:
    async def scenario(ctx: RequestContext) -> tuple[str, int]:
        s = subnet("10.0.1.0/28")
        await ipam.allocate_private_ips(ctx, s, count=9)
        try:
            await ipam.allocate_private_ips(ctx, s, count=3)
        except AwsError as exc:
            return exc.code, await ipam.used_addresses(ctx, s["subnet_id"])
        raise AssertionError("expected exhaustion")

    assert run(scenario) == ("InsufficientFreeAddressesInSubnet", 9)


def test_release_is_idempotent_and_forget_drops_the_record() -> None:
    async def scenario(ctx: RequestContext) -> tuple[int, int, list[str]]:
        s = subnet("10.0.1.0/24")
        ip = await ipam.allocate_private_ip(ctx, s)
        await ipam.release_private_ip(ctx, s["subnet_id"], ip)
        await ipam.release_private_ip(ctx, s["subnet_id"], ip)
        await ipam.release_private_ip(ctx, "subnet-00000000000000009", "10.9.9.9")
        used = await ipam.used_addresses(ctx, s["subnet_id"])
        await ipam.allocate_private_ip(ctx, s)
        before = await ipam.used_addresses(ctx, s["subnet_id"])
        await ipam.forget_subnet(ctx, s["subnet_id"])
        return used, before, await ipam.allocated_addresses(ctx, s["subnet_id"])

    assert run(scenario) == (0, 1, [])


operations = st.lists(
    st.one_of(
        st.tuples(st.just("auto"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("explicit"), st.integers(min_value=0, max_value=255)),
        st.tuples(st.just("release"), st.integers(min_value=0, max_value=1000)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.integers(min_value=26, max_value=28), ops=operations)
def test_allocations_are_unique_never_reserved_and_release_frees(prefix: int, ops: list[tuple[str, int]]) -> None:
    network = ipaddress.IPv4Network(f"10.1.2.0/{prefix}")
    reserved = {str(a) for a in ipam.reserved_addresses(network)}
    usable = [str(a) for a in network if str(a) not in reserved]

    async def scenario(ctx: RequestContext) -> None:
        s = subnet(str(network))
        model: list[str] = []
        for op, n in ops:
            if op == "auto":
                free = [a for a in usable if a not in model]
                if len(free) < n:
                    with pytest.raises(AwsError) as exc:
                        await ipam.allocate_private_ips(ctx, s, count=n)
                    assert exc.value.code == "InsufficientFreeAddressesInSubnet"
                    continue
                got = await ipam.allocate_private_ips(ctx, s, count=n)
                assert got == free[:n]  # always the lowest free addresses
                model.extend(got)
            elif op == "explicit":
                address = str(network.network_address + (n % network.num_addresses))
                if address in reserved:
                    with pytest.raises(AwsError) as exc:
                        await ipam.allocate_private_ip(ctx, s, address)
                    assert exc.value.code == "InvalidParameterValue"
                elif address in model:
                    with pytest.raises(AwsError) as exc:
                        await ipam.allocate_private_ip(ctx, s, address)
                    assert exc.value.code == "InvalidIPAddress.InUse"
                else:
                    assert await ipam.allocate_private_ip(ctx, s, address) == address
                    model.append(address)
            elif model:
                address = model.pop(n % len(model))
                await ipam.release_private_ip(ctx, s["subnet_id"], address)
            stored = await ipam.allocated_addresses(ctx, s["subnet_id"])
            assert sorted(stored) == sorted(model)
            assert len(set(stored)) == len(stored)
            assert not set(stored) & reserved
            assert all(ipaddress.IPv4Address(a) in network for a in stored)
            assert await ipam.available_addresses(ctx, s) == len(usable) - len(model)

    run(scenario)


def test_concurrent_allocations_in_one_event_loop_never_collide() -> None:
    async def scenario(ctx: RequestContext) -> list[str | BaseException]:
        s = subnet("10.0.1.0/28")
        return list(await asyncio.gather(*(ipam.allocate_private_ip(ctx, s) for _ in range(20)), return_exceptions=True))

    results = run(scenario)
    addresses = [r for r in results if isinstance(r, str)]
    failures = [r for r in results if not isinstance(r, str)]
    assert len(addresses) == 11 and len(set(addresses)) == 11
    assert all(isinstance(f, AwsError) and f.code == "InsufficientFreeAddressesInSubnet" for f in failures)


def test_concurrent_allocations_over_nats_never_collide(nats_gateway: RunningGateway) -> None:
    """Real JetStream compare-and-swap: 20 racing writers, 11 addresses, no duplicates."""
    ctx = RequestContext("t", "ec2", "Test", "000000000001", "test", "", "ap-southeast-2", nats_gateway.runtime)
    s = subnet("10.0.1.0/28", "subnet-0000000000000abcd")

    async def race() -> list[str | BaseException]:
        return list(await asyncio.gather(*(ipam.allocate_private_ip(ctx, s) for _ in range(20)), return_exceptions=True))

    results = nats_gateway.run(race())
    addresses = [r for r in results if isinstance(r, str)]
    assert len(addresses) == 11 and len(set(addresses)) == 11
    assert sorted(nats_gateway.run(ipam.allocated_addresses(ctx, s["subnet_id"]))) == sorted(addresses)
    assert all(isinstance(r, AwsError) and r.code == "InsufficientFreeAddressesInSubnet" for r in results if not isinstance(r, str))


# --- the public pool ---------------------------------------------------------------------------------


@pytest.fixture
def small_pool() -> RequestContext:
    return memory_context(pool="203.0.113.8/29")  # hosts .9 – .14


def test_public_pool_defaults_to_test_net_2() -> None:
    assert ipam.public_pool(Settings()) == ipaddress.IPv4Network("198.51.100.0/24")
    assert run(lambda c: ipam.allocate_public_ip(c, {"type": "eip"})) == "198.51.100.1"


def test_public_pool_allocates_hosts_until_exhausted(small_pool: RequestContext) -> None:
    async def scenario(ctx: RequestContext) -> tuple[list[str], str, dict[str, Any]]:
        got = [await ipam.allocate_public_ip(ctx, {"type": "eip", "allocation_id": f"eipalloc-{n:017x}"}) for n in range(6)]
        try:
            await ipam.allocate_public_ip(ctx, {"type": "eip"})
        except AwsError as exc:
            return got, exc.code, await ipam.public_allocations(ctx)
        raise AssertionError("expected exhaustion")

    got, code, allocations = run(scenario, small_pool)
    assert got == [f"203.0.113.{n}" for n in range(9, 15)]
    assert code == "InsufficientAddressCapacity"
    assert allocations["203.0.113.9"] == {
        "type": "eip", "allocation_id": "eipalloc-00000000000000000", "account_id": "000000000001"
    }


def test_public_pool_specific_address_release_and_owner_update(small_pool: RequestContext) -> None:
    async def scenario(ctx: RequestContext) -> list[Any]:
        out: list[Any] = [await ipam.allocate_public_ip(ctx, {"type": "eni-public", "eni_id": "eni-1"}, address="203.0.113.12")]
        for address, expected in (("203.0.113.12", "InvalidIPAddress.InUse"), ("203.0.113.15", "InvalidAddress.NotFound"),
                                  ("192.0.2.1", "InvalidAddress.NotFound"), ("nonsense", "InvalidParameterValue")):
            try:
                await ipam.allocate_public_ip(ctx, {"type": "eip"}, address=address)
            except AwsError as exc:
                out.append(exc.code == expected)
        await ipam.update_public_ip(ctx, "203.0.113.12", {"eni_id": None, "instance_id": "i-1"})
        out.append((await ipam.public_allocations(ctx))["203.0.113.12"])
        await ipam.release_public_ip(ctx, "203.0.113.12")
        await ipam.release_public_ip(ctx, "203.0.113.12")
        out.append(await ipam.public_allocations(ctx))
        out.append(await ipam.allocate_public_ip(ctx, {"type": "eip"}))
        return out

    assert run(scenario, small_pool) == [
        "203.0.113.12", True, True, True, True,
        {"type": "eni-public", "account_id": "000000000001", "instance_id": "i-1"},
        {},
        "203.0.113.9",
    ]


def test_public_pool_record_lives_in_the_vpc_index_bucket(small_pool: RequestContext) -> None:
    async def scenario(ctx: RequestContext) -> Any:
        await ipam.allocate_public_ip(ctx, {"type": "eip", "allocation_id": "eipalloc-00000000000000001"})
        found = await (await ctx.runtime.records("vpc_index", "vpc_index")).get(ipam.PUBLIC_POOL_KEY)
        assert found is not None
        return found[0]

    assert run(scenario, small_pool) == {
        "pool_name": "public-ip-pool",
        "cidr": "203.0.113.8/29",
        "allocated": {"203.0.113.9": {"type": "eip", "allocation_id": "eipalloc-00000000000000001", "account_id": "000000000001"}},
    }


def test_concurrent_public_allocations_never_collide(small_pool: RequestContext) -> None:
    async def scenario(ctx: RequestContext) -> list[str | BaseException]:
        return list(await asyncio.gather(*(ipam.allocate_public_ip(ctx, {"type": "eip"}) for _ in range(10)), return_exceptions=True))

    results = run(scenario, small_pool)
    addresses = [r for r in results if isinstance(r, str)]
    assert len(addresses) == 6 and set(addresses) == {f"203.0.113.{n}" for n in range(9, 15)}
    assert all(isinstance(r, AwsError) and r.code == "InsufficientAddressCapacity" for r in results if not isinstance(r, str))


def test_invalid_pool_setting_is_an_internal_error() -> None:
    code, _ = error_code(lambda: ipam.public_pool(Settings(public_pool="not-a-cidr")))
    assert code == "InternalError"


def test_untouched_pool_has_no_allocations() -> None:
    """The pool record is created lazily: an untouched store has no allocations."""
    assert run(ipam.public_allocations) == {}
