"""Private IPv4 addresses per subnet and the public IPv4 pool, allocated by compare-and-swap.

**Private addresses** live in Hive's ``<prefix>-vpc-ipam`` bucket, one record per subnet keyed by
the bare subnet id (Hive's format, *not* account-prefixed: subnet ids are unique)::

    subnet-3fa81c09d2e4b7a15 → {"subnet_id": "subnet-…", "cidr_block": "10.0.1.0/24",
                                "allocated": ["10.0.1.4", "10.0.1.5"]}

AWS reserves the first four addresses of every subnet (network, VPC router, DNS, future use)
and the last (broadcast), so a /28 has 16 − 5 = 11 usable addresses. Automatic allocation takes
the lowest free address from network+4, as Hive does. An explicitly requested address must lie
inside the subnet, must not be reserved and must be free::

    CreateNetworkInterface PrivateIpAddress=10.0.1.5   (already taken)
    → InvalidIPAddress.InUse: Address 10.0.1.5 is in use.

Every change is one compare-and-swap on the subnet's record (retried on a lost race), so
concurrent allocations never hand out the same address (Hive gives up after 5 lost races).

**Public addresses** (Elastic IPs and instances' auto-assigned public IPs) come from one pool,
the range ``Settings.public_pool`` names (``--public-pool``; default ``198.51.100.0/24``,
TEST-NET-2, a documentation range that is never routed). Its allocation map is one record in the
gateway's ``vpc-index`` bucket, key ``public-ip-pool``, shaped like Hive's
``<prefix>-external-ipam`` records::

    {"pool_name": "public-ip-pool", "cidr": "198.51.100.0/24",
     "allocated": {"198.51.100.1": {"type": "eip", "allocation_id": "eipalloc-…",
                                    "account_id": "000000000001"}}}

``type`` uses Hive's purposes: ``eip`` (an Elastic IP) or ``eni-public`` (a public IP assigned
with an instance). Pool addresses are the range's host addresses (network and broadcast excluded).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from hive_gateway.config import Settings
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, internal_error, invalid_parameter_value
from kv.records import RecordBucket

LOG = logging.getLogger(__name__)

Record = dict[str, Any]

"""Environment variable naming the public IPv4 pool (a CIDR)."""
PUBLIC_POOL_KEY: Final = "public-ip-pool"
"""Key of the pool's allocation record in the ``vpc_index`` bucket (also its ``pool_name``)."""
RESERVED_LOW: Final = 4
"""AWS reserves the network address and the next three of every subnet."""
CAS_ATTEMPTS: Final = 200
"""Lost compare-and-swap races tolerated per allocation (many writers may race on one subnet)."""

PURPOSE_EIP: Final = "eip"
PURPOSE_ENI_PUBLIC: Final = "eni-public"


# --- address arithmetic ----------------------------------------------------------------------


def subnet_network(cidr: str) -> ipaddress.IPv4Network:
    """The subnet's IPv4 network (``10.0.1.0/24``)."""
    return ipaddress.IPv4Network(cidr, strict=False)


def reserved_addresses(network: ipaddress.IPv4Network) -> frozenset[ipaddress.IPv4Address]:
    """The five addresses AWS keeps for itself: network+0..3 and the broadcast address."""
    base = network.network_address
    low = {base + offset for offset in range(min(RESERVED_LOW, network.num_addresses))}
    return frozenset(low | {network.broadcast_address})


def usable_addresses(network: ipaddress.IPv4Network) -> int:
    """How many addresses of the subnet can be assigned (``/28`` → 11, ``/24`` → 251)."""
    return max(0, network.num_addresses - RESERVED_LOW - 1)


def _candidates(network: ipaddress.IPv4Network) -> Iterator[ipaddress.IPv4Address]:
    """Assignable addresses in ascending order, from network+4 to broadcast−1."""
    first = int(network.network_address) + RESERVED_LOW
    last = int(network.broadcast_address) - 1
    for value in range(first, last + 1):
        yield ipaddress.IPv4Address(value)


def _parse_address(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError as exc:
        raise invalid_parameter_value(f"Invalid value '{text}' for IP address") from exc


def check_private_address(network: ipaddress.IPv4Network, text: str) -> str:
    """A requested private address, normalised; refused outside the subnet or when reserved."""
    address = _parse_address(text)
    if address not in network:
        raise invalid_parameter_value(
            f"Address {address} does not fall within the subnet's address range"
        )
    if address in reserved_addresses(network):
        raise invalid_parameter_value(
            f"Address {address} is reserved and cannot be assigned (the first four addresses "
            "and the last address of a subnet are reserved)"
        )
    return str(address)


def address_in_use(address: str) -> AwsError:
    """AWS's answer for a private address some interface already has."""
    return AwsError("InvalidIPAddress.InUse", f"Address {address} is in use.")


def insufficient_addresses(subnet_id: str) -> AwsError:
    """A subnet with no free address left."""
    return AwsError(
        "InsufficientFreeAddressesInSubnet",
        f"There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested "
        "number of addresses.",
    )


def private_dns_name(region: str, address: str) -> str:
    """``ip-10-0-1-5.<region>.compute.internal`` (``ip-10-0-1-5.ec2.internal`` in us-east-1)."""
    host = "ip-" + address.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


def public_dns_name(region: str, address: str) -> str:
    """``ec2-198-51-100-4.<region>.compute.amazonaws.com`` (``compute-1`` in us-east-1)."""
    host = "ec2-" + address.replace(".", "-")
    if region == "us-east-1":
        return f"{host}.compute-1.amazonaws.com"
    return f"{host}.{region}.compute.amazonaws.com"


# --- private addresses -----------------------------------------------------------------------


async def _ipam_bucket(ctx: RequestContext) -> RecordBucket:
    return await ctx.runtime.records("ipam", "ipam")


async def allocate_private_ips(
    ctx: RequestContext, subnet: Mapping[str, Any], requested: Sequence[str] = (), count: int = 0
) -> list[str]:
    """Reserve the ``requested`` addresses plus ``count`` automatic ones, all or nothing.

    Returns the requested addresses (normalised) followed by the automatic ones. Raises
    ``InvalidParameterValue`` (outside the subnet / reserved / repeated),
    ``InvalidIPAddress.InUse`` or ``InsufficientFreeAddressesInSubnet`` without reserving anything.
    """
    subnet_id = str(subnet["subnet_id"])
    cidr = str(subnet["cidr_block"])
    network = subnet_network(cidr)
    wanted = [check_private_address(network, text) for text in requested]
    if len(set(wanted)) != len(wanted):
        raise invalid_parameter_value("The same private IP address was specified more than once")
    chosen: list[str] = []

    def take(current: Record | None) -> Record:
        record = current or {"subnet_id": subnet_id, "cidr_block": cidr, "allocated": []}
        allocated: list[str] = list(record.get("allocated") or [])
        taken = set(allocated)
        picked: list[str] = []
        for address in wanted:
            if address in taken:
                raise address_in_use(address)
            taken.add(address)
            picked.append(address)
        if count:
            free = (str(a) for a in _candidates(network) if str(a) not in taken)
            for _ in range(count):
                found = next(free, None)
                if found is None:
                    raise insufficient_addresses(subnet_id)
                taken.add(found)
                picked.append(found)
        chosen[:] = picked
        record["allocated"] = allocated + picked
        record.setdefault("subnet_id", subnet_id)
        record.setdefault("cidr_block", cidr)
        return record

    if not wanted and not count:
        return []
    await (await _ipam_bucket(ctx)).mutate(subnet_id, take, attempts=CAS_ATTEMPTS)
    return list(chosen)


async def allocate_private_ip(
    ctx: RequestContext, subnet: Mapping[str, Any], requested: str | None = None
) -> str:
    """One address of ``subnet``: ``requested`` if given (checked), else the lowest free one."""
    if requested:
        return (await allocate_private_ips(ctx, subnet, [requested]))[0]
    return (await allocate_private_ips(ctx, subnet, count=1))[0]


async def release_private_ips(
    ctx: RequestContext, subnet_id: str, addresses: Iterable[str]
) -> None:
    """Give ``addresses`` back to the subnet (unknown ones are ignored; idempotent)."""
    dropping = {str(a) for a in addresses if a}
    if not dropping:
        return

    def drop(current: Record | None) -> Record | None:
        if current is None:
            return None
        current["allocated"] = [a for a in current.get("allocated") or [] if a not in dropping]
        return current

    await (await _ipam_bucket(ctx)).mutate(subnet_id, drop, attempts=CAS_ATTEMPTS)


async def release_private_ip(ctx: RequestContext, subnet_id: str, ip: str) -> None:
    """Give one address back to the subnet (no error when it was not allocated)."""
    await release_private_ips(ctx, subnet_id, [ip])


async def allocated_addresses(ctx: RequestContext, subnet_id: str) -> list[str]:
    """The subnet's allocated addresses (empty when nothing was ever allocated)."""
    found = await (await _ipam_bucket(ctx)).get(subnet_id)
    if found is None:
        return []
    return [str(a) for a in found[0].get("allocated") or []]


async def used_addresses(ctx: RequestContext, subnet_id: str) -> int:
    """How many addresses of the subnet are in use (for ``AvailableIpAddressCount``)."""
    return len(await allocated_addresses(ctx, subnet_id))


async def available_addresses(ctx: RequestContext, subnet: Mapping[str, Any]) -> int:
    """``AvailableIpAddressCount``: usable addresses minus those in use (never negative)."""
    network = subnet_network(str(subnet["cidr_block"]))
    return max(0, usable_addresses(network) - await used_addresses(ctx, str(subnet["subnet_id"])))


async def forget_subnet(ctx: RequestContext, subnet_id: str) -> None:
    """Drop the subnet's IPAM record (``DeleteSubnet``, once no interface is left in it)."""
    await (await _ipam_bucket(ctx)).delete(subnet_id)


# --- the public pool -------------------------------------------------------------------------


def public_pool(settings: Settings) -> ipaddress.IPv4Network:
    """The configured public IPv4 pool (``--public-pool``, default TEST-NET-2)."""
    try:
        return ipaddress.IPv4Network(settings.public_pool, strict=False)
    except ValueError as exc:
        LOG.error("public pool %r is not an IPv4 CIDR", settings.public_pool)
        raise internal_error() from exc


def _pool_hosts(network: ipaddress.IPv4Network) -> Iterator[str]:
    for address in network.hosts():
        yield str(address)


async def _pool_bucket(ctx: RequestContext) -> RecordBucket:
    return await ctx.runtime.records("vpc_index", "vpc_index")


def insufficient_address_capacity() -> AwsError:
    """The public pool is exhausted."""
    return AwsError(
        "InsufficientAddressCapacity",
        "There are not enough free public IPv4 addresses in the address pool to satisfy your request.",
    )


async def allocate_public_ip(
    ctx: RequestContext, owner: Mapping[str, Any], *, address: str | None = None
) -> str:
    """Take a public address from the pool for ``owner`` (``{"type": "eip", ...}``).

    With ``address`` that exact address is taken: ``InvalidAddress.NotFound`` when it is not in
    the pool, ``InvalidIPAddress.InUse`` when it is allocated. Without it the lowest free address
    is taken, or ``InsufficientAddressCapacity`` when none is left.
    """
    network = public_pool(ctx.runtime.settings)
    entry = {k: v for k, v in owner.items() if v is not None}
    entry.setdefault("type", PURPOSE_EIP)
    entry.setdefault("account_id", ctx.account_id)
    wanted: str | None = None
    if address is not None:
        parsed = _parse_address(address)
        hosts = set(_pool_hosts(network)) if network.num_addresses <= 65536 else None
        inside = str(parsed) in hosts if hosts is not None else parsed in network
        if not inside:
            raise AwsError("InvalidAddress.NotFound", f"Address '{address}' not found.")
        wanted = str(parsed)
    chosen: list[str] = []

    def take(current: Record | None) -> Record:
        record = current or {"pool_name": PUBLIC_POOL_KEY, "allocated": {}}
        record["cidr"] = str(network)
        record.setdefault("pool_name", PUBLIC_POOL_KEY)
        allocated: dict[str, Any] = dict(record.get("allocated") or {})
        if wanted is not None:
            if wanted in allocated:
                raise address_in_use(wanted)
            picked = wanted
        else:
            found = next((a for a in _pool_hosts(network) if a not in allocated), None)
            if found is None:
                raise insufficient_address_capacity()
            picked = found
        allocated[picked] = entry
        record["allocated"] = allocated
        chosen[:] = [picked]
        return record

    await (await _pool_bucket(ctx)).mutate(PUBLIC_POOL_KEY, take, attempts=CAS_ATTEMPTS)
    return chosen[0]


async def update_public_ip(ctx: RequestContext, ip: str, owner: Mapping[str, Any]) -> None:
    """Record a new owner for an allocated public address (e.g. the ENI an EIP now serves)."""

    def change(current: Record | None) -> Record | None:
        if current is None or ip not in (current.get("allocated") or {}):
            return current
        entry = dict(current["allocated"][ip])
        for key, value in owner.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        current["allocated"][ip] = entry
        return current

    await (await _pool_bucket(ctx)).mutate(PUBLIC_POOL_KEY, change, attempts=CAS_ATTEMPTS)


async def release_public_ip(ctx: RequestContext, ip: str) -> None:
    """Give a public address back to the pool (idempotent)."""

    def drop(current: Record | None) -> Record | None:
        if current is None:
            return None
        allocated = dict(current.get("allocated") or {})
        allocated.pop(ip, None)
        current["allocated"] = allocated
        return current

    await (await _pool_bucket(ctx)).mutate(PUBLIC_POOL_KEY, drop, attempts=CAS_ATTEMPTS)


async def public_allocations(ctx: RequestContext) -> dict[str, Record]:
    """The pool's allocation map ``{ip: owner}`` (for tests and diagnostics)."""
    found = await (await _pool_bucket(ctx)).get(PUBLIC_POOL_KEY)
    if found is None:
        return {}
    return dict(found[0].get("allocated") or {})
