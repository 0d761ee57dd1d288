"""What VPC, subnet, gateway, interface and instance events do to route tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.route_tables.constants import ACTIVE, BLACKHOLE, IGW, RTB
from handlers.route_tables.tables import (
    add_local_route,
    blackhole_routes,
    remove_local_route,
    remove_subnet_associations,
    set_route_state,
)
from handlers.route_tables.targets import TARGET_BY_PARAM, TARGETS, Target
from hive_gateway.core import dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

# --- what other families' events mean for route tables (core.dependents) ----------------------

dependents.blocks("vpc", by="route-table", field="vpc_id", unless=lambda t: bool(t.get("is_main")))


def _routes_to_prefix_list(table: Record, prefix_list: Record) -> bool:
    """Whether a route of ``table`` has ``prefix_list`` as its destination."""
    wanted = prefix_list["prefix_list_id"]
    return any(r.get("destination_prefix_list_id") == wanted for r in table.get("routes", []))


# A prefix list a route goes to is associated with the table and cannot be deleted.
dependents.blocks("prefix-list", by="route-table", where=_routes_to_prefix_list)


@dependents.on("vpc", "deleted")
async def _vpc_deleted(ctx: RequestContext, vpc: Record) -> None:
    """The main table goes with its VPC (other tables blocked the delete)."""
    for table in await records.where(ctx, RTB, live_only=False, vpc_id=vpc["vpc_id"]):
        await records.delete(ctx, RTB, table["route_table_id"])


@dependents.on("vpc", "cidr-associated")
async def _vpc_cidr_associated(ctx: RequestContext, vpc: Record) -> None:
    """Every table of the VPC gains the new block's local route."""
    await add_local_route(ctx, vpc["vpc_id"], vpc["cidr"])


@dependents.on("vpc", "cidr-disassociated")
async def _vpc_cidr_disassociated(ctx: RequestContext, vpc: Record) -> None:
    """Every table of the VPC loses the block's local route."""
    await remove_local_route(ctx, vpc["vpc_id"], vpc["cidr"])


@dependents.on("subnet", "deleted")
async def _subnet_deleted(ctx: RequestContext, subnet: Record) -> None:
    """A deleted subnet's explicit association goes with it (AWS does this implicitly)."""
    await remove_subnet_associations(ctx, subnet["subnet_id"], subnet.get("vpc_id"))


def _blackholes(target: Target) -> dependents.Reaction:
    """The reaction that turns the routes to a gone ``target`` into ``blackhole``."""
    kind = KINDS[str(target.kind)]

    async def blackhole(ctx: RequestContext, record: Record) -> None:
        await blackhole_routes(ctx, target.field, str(record[kind.id_field]))

    blackhole.__qualname__ = f"blackhole_routes[{target.field}]"
    return blackhole


for _target in TARGETS:
    if _target.kind is not None:
        dependents.on(_target.kind, "deleted")(_blackholes(_target))


dependents.on("instance", "terminated")(_blackholes(TARGET_BY_PARAM["InstanceId"]))


@dependents.on("internet-gateway", "attached")
async def _igw_attached(ctx: RequestContext, igw: Record) -> None:
    """Routes to a gateway attached to their VPC are ``active`` (again)."""
    await set_route_state(
        ctx, "gateway_id", igw["internet_gateway_id"], ACTIVE, vpc_id=igw["vpc_id"]
    )


@dependents.on("internet-gateway", "detached")
async def _igw_detached(ctx: RequestContext, igw: Record) -> None:
    """Routes to a gateway detached from their VPC become ``blackhole`` (``igw["vpc_id"]`` is the
    VPC it left)."""
    await set_route_state(
        ctx, "gateway_id", igw["internet_gateway_id"], BLACKHOLE, vpc_id=igw["vpc_id"]
    )


async def _recheck_internet_gateway(
    ctx: RequestContext, table: Record, route: Mapping[str, Any]
) -> None:
    """A route written while its internet gateway was being detached ends up ``blackhole``.

    The IGW check happens before the route is written; ``DetachInternetGateway`` blackholes the
    routes it finds after clearing the attachment. Re-reading the IGW after writing closes the
    window between the two (one of the two always sees the other's write).
    """
    gateway_id = str(route.get("gateway_id") or "")
    if not gateway_id.startswith("igw-"):
        return
    igw = await records.find(ctx, IGW, gateway_id)
    if igw is None or igw.get("vpc_id") != table["vpc_id"]:
        await set_route_state(ctx, "gateway_id", gateway_id, BLACKHOLE, vpc_id=table["vpc_id"])
