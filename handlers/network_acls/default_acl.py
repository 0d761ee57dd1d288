"""A VPC's default network ACL and subnet associations, kept in step with subnets and VPCs."""

from __future__ import annotations

from typing import Any

from handlers.network_acls.constants import ACL, VPC
from handlers.network_acls.records import _new_record, add_ipv6_default_rules, default_acl_id
from hive_gateway.core import dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record

# --- exported helpers (CreateVpc, DeleteVpc, subnets) ----------------------------------------------


async def create_default_network_acl(ctx: RequestContext, vpc: dict[str, Any]) -> dict[str, Any]:
    """Create ``vpc``'s default ACL (idempotent: an existing one is returned unchanged)."""
    acl_id = default_acl_id(vpc["vpc_id"])
    record = _new_record(ctx, acl_id, vpc, is_default=True, tags={})
    return await records.create(ctx, ACL, record, exist_ok=True)


async def associate_with_default_acl(ctx: RequestContext, subnet: dict[str, Any]) -> None:
    """Associate a new subnet with its VPC's default ACL (creating that ACL if Hive made the VPC)."""
    subnet_id = subnet["subnet_id"]
    acl_id = default_acl_id(subnet["vpc_id"])

    def add(record: Record) -> Record:
        associations = list(record.get("associations") or [])
        if not any(a["subnet_id"] == subnet_id for a in associations):
            associations.append(
                {
                    "network_acl_association_id": new_id("network-acl-association"),
                    "subnet_id": subnet_id,
                }
            )
        return {**record, "associations": associations}

    if await records.find(ctx, ACL, acl_id) is None:
        vpc = await records.get(ctx, VPC, subnet["vpc_id"])
        await create_default_network_acl(ctx, vpc)
    await records.mutate(ctx, ACL, acl_id, add)


async def disassociate_subnet(
    ctx: RequestContext, subnet_id: str, vpc_id: str | None = None
) -> None:
    """Drop every ACL association of ``subnet_id`` (the subnet is being deleted). A subnet is
    only ever associated with an ACL of its own VPC: with ``vpc_id`` only that VPC's ACLs are
    read (from the index)."""

    def drop(record: Record) -> Record:
        kept = [a for a in record.get("associations") or () if a.get("subnet_id") != subnet_id]
        return {**record, "associations": kept}

    acls = (
        await records.where(ctx, ACL, live_only=False, vpc_id=vpc_id)
        if vpc_id
        else await records.list_records(ctx, ACL)
    )
    for record in acls:
        if any(a.get("subnet_id") == subnet_id for a in record.get("associations") or ()):
            await records.mutate(ctx, ACL, record["network_acl_id"], drop, missing_ok=True)


async def custom_network_acl_ids(ctx: RequestContext, vpc_id: str) -> list[str]:
    """Ids of ``vpc_id``'s non-default ACLs (``DeleteVpc`` refuses while any remain)."""
    return [
        r["network_acl_id"]
        for r in await records.where(ctx, ACL, live_only=False, vpc_id=vpc_id)
        if not r.get("is_default")
    ]


async def delete_default_network_acl(ctx: RequestContext, vpc_id: str) -> None:
    """Remove ``vpc_id``'s default ACL (``DeleteVpc``, once the VPC has no subnets)."""
    for record in await records.where(ctx, ACL, live_only=False, vpc_id=vpc_id):
        if record.get("is_default"):
            await records.delete(ctx, ACL, record["network_acl_id"])


@dependents.on("subnet", "created")
async def _subnet_created(ctx: RequestContext, subnet: Record) -> None:
    """A new subnet is associated with its VPC's default ACL."""
    await associate_with_default_acl(ctx, subnet)


@dependents.on("subnet", "deleted")
async def _subnet_deleted(ctx: RequestContext, subnet: Record) -> None:
    """A deleted subnet's association goes with it."""
    await disassociate_subnet(ctx, subnet["subnet_id"], subnet.get("vpc_id"))


@dependents.on("vpc", "cidr-associated")
async def _vpc_cidr_associated(ctx: RequestContext, vpc: Record) -> None:
    """A VPC gaining an IPv6 block gains the ``::/0`` rules on its ACLs."""
    if ":" in vpc["cidr"]:
        await add_ipv6_default_rules(ctx, vpc["vpc_id"])


@dependents.on("vpc", "deleted")
async def _vpc_deleted(ctx: RequestContext, vpc: Record) -> None:
    """The default ACL goes with its VPC (custom ones blocked the delete)."""
    for record in await records.where(ctx, ACL, live_only=False, vpc_id=vpc["vpc_id"]):
        await records.delete(ctx, ACL, record["network_acl_id"])
