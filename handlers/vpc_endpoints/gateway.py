"""Gateway endpoints' routes: one route per chosen table to the service's prefix list.

AWS adds ``DestinationPrefixListId=<service list>`` → ``GatewayId=vpce-…`` (``Origin
CreateRoute``, ``State active``) to every table in ``RouteTableIds`` and removes it when the
table is dropped from the endpoint or the endpoint is deleted. A table that already routes the
list elsewhere is refused::

    CreateVpcEndpoint … RouteTableId.1=rtb-1   (rtb-1 has a route to pl-1 already)
    → RouteAlreadyExists: route table rtb-1 already has a route with destination-prefix-list-id pl-1

The route is written in the route-table record's documented shape (``vpc_endpoint_id`` renders
as ``GatewayId``), every change one compare-and-swap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record

RTB: Final = KINDS["route-table"]
PL_FIELD: Final = "destination_prefix_list_id"
VPCE_FIELD: Final = "vpc_endpoint_id"


async def check_tables(ctx: RequestContext, vpc_id: str, table_ids: Sequence[str]) -> None:
    """Every table exists for the caller and is in the endpoint's VPC."""
    for table_id in table_ids:
        table = await records.get(ctx, RTB, table_id)
        if table["vpc_id"] != vpc_id:
            raise AwsError(
                "InvalidParameter",
                f"Route table {table_id} does not belong to vpc {vpc_id}.",
            )


async def add_routes(
    ctx: RequestContext, endpoint_id: str, pl_id: str, table_ids: Sequence[str]
) -> list[str]:
    """Route ``pl_id`` to the endpoint in each table; returns the tables changed (for undo)."""
    done: list[str] = []
    route: Record = {
        PL_FIELD: pl_id,
        VPCE_FIELD: endpoint_id,
        "state": "active",
        "origin": "CreateRoute",
    }

    def add(table: Record) -> Record:
        for existing in table.get("routes", []):
            if existing.get(PL_FIELD) == pl_id:
                if existing.get(VPCE_FIELD) == endpoint_id:
                    return table
                raise AwsError(
                    "RouteAlreadyExists",
                    f"route table {table['route_table_id']} already has a route with "
                    f"destination-prefix-list-id {pl_id}",
                )
        return {**table, "routes": [*table.get("routes", []), route]}

    try:
        for table_id in table_ids:
            await records.mutate(ctx, RTB, table_id, add)
            done.append(table_id)
    except BaseException:
        await remove_routes(ctx, endpoint_id, done)
        raise
    return done


async def remove_routes(ctx: RequestContext, endpoint_id: str, table_ids: Sequence[str]) -> None:
    """Drop the endpoint's routes from each table (tables deleted meanwhile are skipped)."""

    def drop(table: Record) -> Record:
        kept = [r for r in table.get("routes", []) if r.get(VPCE_FIELD) != endpoint_id]
        return {**table, "routes": kept}

    for table_id in table_ids:
        await records.mutate(ctx, RTB, table_id, drop, missing_ok=True)


async def live_tables(ctx: RequestContext, table_ids: list[str]) -> set[str]:
    """Those of ``table_ids`` that are the caller's existing route tables."""
    return {
        str(t["route_table_id"])
        for t in await records.find_many(ctx, RTB, table_ids, live_only=False)
    }
