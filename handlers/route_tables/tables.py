"""Route table records and the changes other families make to them (main table, routes)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from handlers.route_tables.constants import ACTIVE, ASSOCIATED, BLACKHOLE, ORIGIN_ROUTE, RTB
from handlers.route_tables.destinations import is_local, local_route, route_destination
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record

# --- records ---------------------------------------------------------------------------------


def vpc_local_cidrs(vpc: Mapping[str, Any]) -> list[str]:
    """Every associated CIDR of a VPC record (IPv4 first, then IPv6)."""
    ipv4 = [
        a["cidr_block"]
        for a in vpc.get("cidr_block_associations") or []
        if a.get("state", ASSOCIATED) == ASSOCIATED
    ] or [vpc["cidr_block"]]
    ipv6 = [
        a["ipv6_cidr_block"]
        for a in vpc.get("ipv6_cidr_block_associations") or []
        if a.get("state", ASSOCIATED) == ASSOCIATED
    ]
    return [*ipv4, *ipv6]


def _new_table(
    ctx: RequestContext, vpc: Mapping[str, Any], *, main: bool, tags: dict[str, str]
) -> Record:
    associations: list[Record] = []
    if main:
        associations.append(
            {"association_id": new_id("route-table-association"), "main": True, "state": ASSOCIATED}
        )
    return {
        "route_table_id": new_id("route-table"),
        "vpc_id": vpc["vpc_id"],
        "account_id": ctx.account_id,
        "is_main": main,
        "routes": [local_route(cidr) for cidr in vpc_local_cidrs(vpc)],
        "associations": associations,
        "tags": tags,
        "created_at": clock.utc_now(),
    }


async def tables_of_vpc(ctx: RequestContext, vpc_id: str) -> list[Record]:
    """The caller's route tables in ``vpc_id``."""
    return await records.where(ctx, RTB, vpc_id=vpc_id)


async def _mutate_if_present(
    ctx: RequestContext, table_id: str, change: Callable[[Record], Record | None]
) -> None:
    """CAS ``change`` into a table that may have been deleted meanwhile (then: nothing)."""
    await records.mutate(ctx, RTB, table_id, change, missing_ok=True)


def _find_route(table: Record, destination: tuple[str, str]) -> int | None:
    for index, route in enumerate(table.get("routes", [])):
        if route_destination(route) == destination:
            return index
    return None


# --- exports for other families --------------------------------------------------------------


async def create_main_route_table(ctx: RequestContext, vpc: dict[str, Any]) -> dict[str, Any]:
    """The main route table ``CreateVpc`` makes: local routes and a ``Main`` association."""
    return await records.create(ctx, RTB, _new_table(ctx, vpc, main=True, tags={}))


async def add_local_route(ctx: RequestContext, vpc_id: str, cidr: str) -> None:
    """Every table of the VPC gains the local route of a newly associated CIDR."""
    route = local_route(cidr)
    destination = route_destination(route)
    assert destination is not None

    def add(table: Record) -> Record:
        if _find_route(table, destination) is not None:
            return table
        return {**table, "routes": [*table.get("routes", []), route]}

    for table in await tables_of_vpc(ctx, vpc_id):
        await _mutate_if_present(ctx, table["route_table_id"], add)


async def remove_local_route(ctx: RequestContext, vpc_id: str, cidr: str) -> None:
    """Every table of the VPC loses the local route of a disassociated CIDR."""
    destination = route_destination(local_route(cidr))

    def drop(table: Record) -> Record:
        routes = [
            r
            for r in table.get("routes", [])
            if not (is_local(r) and route_destination(r) == destination)
        ]
        return {**table, "routes": routes}

    for table in await tables_of_vpc(ctx, vpc_id):
        await _mutate_if_present(ctx, table["route_table_id"], drop)


async def add_route(
    ctx: RequestContext, route_table_id: str, destination_cidr: str, *, gateway_id: str
) -> None:
    """Route ``destination_cidr`` to ``gateway_id`` (idempotent: an existing route is retargeted)."""
    network = ipaddress.ip_network(destination_cidr, strict=False)
    field = "destination_cidr_block" if network.version == 4 else "destination_ipv6_cidr_block"
    route: Record = {
        field: network.compressed,
        "gateway_id": gateway_id,
        "state": ACTIVE,
        "origin": ORIGIN_ROUTE,
    }

    def put(table: Record) -> Record:
        routes = list(table.get("routes", []))
        index = _find_route(table, (field, network.compressed))
        if index is None:
            routes.append(route)
        elif not is_local(routes[index]):
            routes[index] = route
        return {**table, "routes": routes}

    await records.mutate(ctx, RTB, route_table_id, put)


async def remove_subnet_associations(
    ctx: RequestContext, subnet_id: str, vpc_id: str | None = None
) -> None:
    """Drop the explicit association of a subnet being deleted (AWS does this implicitly).

    A subnet is only ever associated with a table of its own VPC: with ``vpc_id`` only that
    VPC's tables are read (from the index)."""

    def drop(table: Record) -> Record:
        kept = [a for a in table.get("associations", []) if a.get("subnet_id") != subnet_id]
        return {**table, "associations": kept}

    tables = (
        await records.where(ctx, RTB, live_only=False, vpc_id=vpc_id)
        if vpc_id
        else await records.list_records(ctx, RTB)
    )
    for table in tables:
        if any(a.get("subnet_id") == subnet_id for a in table.get("associations", [])):
            await _mutate_if_present(ctx, table["route_table_id"], drop)


async def set_route_state(
    ctx: RequestContext, field: str, target_id: str, state: str, *, vpc_id: str | None = None
) -> None:
    """Set ``State`` of every route whose ``field`` is ``target_id`` (optionally in one VPC)."""

    def change(table: Record) -> Record:
        routes = [
            {**r, "state": state} if r.get(field) == target_id else r
            for r in table.get("routes", [])
        ]
        return {**table, "routes": routes}

    tables = (
        await records.list_records(ctx, RTB)
        if vpc_id is None
        else await records.where(ctx, RTB, live_only=False, vpc_id=vpc_id)  # by index
    )
    for table in tables:
        if any(
            r.get(field) == target_id and r.get("state") != state for r in table.get("routes", [])
        ):
            await _mutate_if_present(ctx, table["route_table_id"], change)


async def blackhole_routes(ctx: RequestContext, field: str, target_id: str) -> None:
    """Routes to a deleted target (``gateway_id``, ``nat_gateway_id``, …) become ``blackhole``."""
    await set_route_state(ctx, field, target_id, BLACKHOLE)
