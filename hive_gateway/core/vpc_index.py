"""Per-VPC claims that keep AWS's uniqueness rules true under concurrent requests.

Checking "is this CIDR free?" by scanning subnets and then writing is racy (Hive does exactly
that). Instead every VPC has one index document, ``<account>.<vpc-id>`` in the gateway's
``vpc-index`` bucket, and each rule is a compare-and-swap on it:

* subnet CIDRs never overlap inside a VPC (``InvalidSubnet.Conflict``);
* security-group names are unique per VPC (``InvalidGroup.Duplicate``);
* a VPC has at most one internet gateway (``Resource.AlreadyAssociated``);
* nothing new lands in a VPC that ``DeleteVpc`` is removing: it marks the document
  ``deleting`` with the same compare-and-swap, so a racing ``CreateSubnet`` sees the VPC gone.

The document exists exactly while the VPC does. A VPC Hive made has no document: the first claim
on it (or ``DeleteVpc``) seeds one from the VPC's records (:func:`seed`). Records stay in Hive's
buckets, untouched, so Hive daemons read them as before; the index is ours alone.

What blocks ``DeleteVpc`` is declared by the dependent families (:mod:`hive_gateway.core.
dependents`); this module only keeps the VPC's ``deleting`` mark for it (:data:`MARKER`).
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable
from typing import Any

from kv.buckets import account_key
from kv.records import RecordBucket
from kv.store import KeyExistsError, is_valid_key

from hive_gateway.core import dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS

Index = dict[str, Any]

_VPC = KINDS["vpc"]


def _empty() -> Index:
    return {"subnets": {}, "security_groups": {}, "internet_gateway": None, "deleting": False}


async def _bucket(ctx: RequestContext) -> RecordBucket:
    return await ctx.runtime.records("vpc_index", "vpc_index")


async def create(ctx: RequestContext, vpc_id: str) -> None:
    """Start the index of a new VPC (before its record is written)."""
    await (await _bucket(ctx)).create(account_key(ctx.account_id, vpc_id), _empty())


def ipv6_claim(subnet_id: str) -> str:
    """The claim key of a subnet's IPv6 CIDR (its IPv4 claim uses the subnet id itself)."""
    return f"{subnet_id}:ipv6"


async def seed(ctx: RequestContext, vpc_id: str) -> bool:
    """Create the index of a VPC that predates it (made by Hive) from the VPC's records.

    Returns whether a new index was written (or raced in): ``False`` when a document already
    exists (maybe being deleted) or no such VPC exists. CreateVpc writes the index before the
    VPC record and DeleteVpc drops it after, so a VPC record without an index is such a VPC.
    """
    key = _key(ctx, vpc_id)
    if key is None:
        return False
    bucket = await _bucket(ctx)
    if await bucket.get(key) is not None:
        return False
    if await records.find(ctx, _VPC, vpc_id) is None:
        return False
    claims: dict[str, str] = {}
    for subnet in await records.where(ctx, KINDS["subnet"], vpc_id=vpc_id):
        if subnet.get("cidr_block"):
            claims[subnet["subnet_id"]] = subnet["cidr_block"]
        for assoc in subnet.get("ipv6_cidr_block_associations") or ():
            claims[ipv6_claim(subnet["subnet_id"])] = assoc["ipv6_cidr_block"]
    groups = {
        g["group_name"]: g["group_id"]
        for g in await records.where(ctx, KINDS["security-group"], vpc_id=vpc_id)
        if g.get("group_name")
    }
    igws = await records.where(ctx, KINDS["internet-gateway"], vpc_id=vpc_id)
    index = {
        **_empty(),
        "subnets": claims,
        "security_groups": groups,
        "internet_gateway": igws[0]["internet_gateway_id"] if igws else None,
    }
    with contextlib.suppress(KeyExistsError):  # created concurrently: fine either way
        await bucket.create(key, index)
    return True


class _NoIndex(Exception):
    """The VPC has no index document."""


async def _change(ctx: RequestContext, vpc_id: str, change: Callable[[Index], None]) -> Index:
    """CAS ``change`` into the VPC's index; a missing or deleting VPC is ``InvalidVpcID.NotFound``.

    A Hive-made VPC (a record, no document) is seeded first (:func:`seed`).
    """

    def apply(current: Index | None) -> Index:
        if current is None:
            raise _NoIndex()
        if current.get("deleting"):
            raise _VPC.not_found(vpc_id)
        change(current)
        return current

    key = _key(ctx, vpc_id)
    if key is None:
        raise _VPC.not_found(vpc_id)
    for _ in range(2):
        try:
            result = await (await _bucket(ctx)).mutate(key, apply)
        except _NoIndex:
            if await seed(ctx, vpc_id):
                continue
            break
        assert result is not None
        return result
    raise _VPC.not_found(vpc_id)


def _key(ctx: RequestContext, vpc_id: str) -> str | None:
    """The index key of ``vpc_id``; ``None`` for an id no VPC can have (``""``, ``vpc-é``,
    ``vpc-a.b``), which the store would refuse (``InvalidKeyError``, a 500)."""
    key = account_key(ctx.account_id, vpc_id)
    return key if "." not in vpc_id and is_valid_key(key) else None


async def claim_subnet(ctx: RequestContext, vpc_id: str, subnet_id: str, cidr: str) -> None:
    """Reserve ``cidr`` for ``subnet_id``; ``InvalidSubnet.Conflict`` when it overlaps another."""
    network = ipaddress.ip_network(cidr)

    def add(index: Index) -> None:
        for other in index["subnets"].values():
            other_network = ipaddress.ip_network(other)
            if other_network.version == network.version and other_network.overlaps(network):
                raise AwsError(
                    "InvalidSubnet.Conflict", f"The CIDR '{cidr}' conflicts with another subnet"
                )
        index["subnets"][subnet_id] = cidr

    await _change(ctx, vpc_id, add)


async def release_subnet(ctx: RequestContext, vpc_id: str, subnet_id: str) -> None:
    """Free every CIDR claim of ``subnet_id``."""
    await _release(ctx, vpc_id, lambda index: index["subnets"].pop(subnet_id, None))


async def claim_security_group_name(
    ctx: RequestContext, vpc_id: str, name: str, group_id: str
) -> None:
    """Reserve ``name`` in the VPC; ``InvalidGroup.Duplicate`` when another group has it."""

    def add(index: Index) -> None:
        if name in index["security_groups"]:
            raise AwsError(
                "InvalidGroup.Duplicate",
                f"The security group '{name}' already exists for VPC '{vpc_id}'",
            )
        index["security_groups"][name] = group_id

    await _change(ctx, vpc_id, add)


async def release_security_group_name(ctx: RequestContext, vpc_id: str, name: str) -> None:
    """Free a security-group name."""
    await _release(ctx, vpc_id, lambda index: index["security_groups"].pop(name, None))


async def claim_internet_gateway(ctx: RequestContext, vpc_id: str, igw_id: str) -> None:
    """Attach ``igw_id`` as the VPC's one internet gateway."""

    def add(index: Index) -> None:
        current = index.get("internet_gateway")
        if current and current != igw_id:
            raise AwsError(
                "Resource.AlreadyAssociated",
                f"resource {vpc_id} is already associated with internet gateway {current}",
            )
        index["internet_gateway"] = igw_id

    await _change(ctx, vpc_id, add)


async def release_internet_gateway(ctx: RequestContext, vpc_id: str, igw_id: str) -> None:
    """Forget ``igw_id`` as the VPC's internet gateway (if it still is)."""

    def drop(index: Index) -> None:
        if index.get("internet_gateway") == igw_id:
            index["internet_gateway"] = None

    await _release(ctx, vpc_id, drop)


async def _release(ctx: RequestContext, vpc_id: str, change: Callable[[Index], object]) -> None:
    """Like :func:`_change` but a no-op when the VPC is already gone (releases are idempotent)."""

    def apply(current: Index | None) -> Index | None:
        if current is None:
            return None
        change(current)
        return current

    key = _key(ctx, vpc_id)
    if key is not None:
        await (await _bucket(ctx)).mutate(key, apply)


async def begin_delete(ctx: RequestContext, vpc_id: str) -> None:
    """Mark the VPC as being deleted (seeding a Hive-made VPC's index first); after this every
    claim on the VPC fails as if it did not exist. What blocks the delete is declared in
    :mod:`hive_gateway.core.dependents`; this is only its mark."""
    await _change(ctx, vpc_id, lambda index: index.update(deleting=True))


async def abort_delete(ctx: RequestContext, vpc_id: str) -> None:
    """Undo :func:`begin_delete` (a dependency turned up)."""
    await _release(ctx, vpc_id, lambda index: index.update(deleting=False))


async def is_deleting(ctx: RequestContext, vpc_id: str) -> bool:
    """Whether ``DeleteVpc`` has marked (or finished deleting) the VPC."""
    key = _key(ctx, vpc_id)
    if key is None:
        return True
    found = await (await _bucket(ctx)).get(key)
    if found is None:  # Hive-made, or dropped just now: gone iff the record is
        return await records.find(ctx, _VPC, vpc_id) is None
    return bool(found[0].get("deleting"))


async def drop(ctx: RequestContext, vpc_id: str) -> None:
    """Remove the index once the VPC record is gone."""
    key = _key(ctx, vpc_id)
    if key is not None:
        await (await _bucket(ctx)).delete(key)


MARKER = dependents.Marker(
    mark=begin_delete, unmark=abort_delete, is_deleting=is_deleting, finish=drop
)
dependents.marker("vpc", MARKER)
