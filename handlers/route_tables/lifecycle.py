"""``CreateRouteTable`` and ``DeleteRouteTable``."""

from __future__ import annotations

from handlers.route_tables.constants import RTB, VPC
from handlers.route_tables.tables import _new_table
from handlers.route_tables.views import route_table_to_api
from hive_gateway.core import idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

# --- route tables ----------------------------------------------------------------------------


@action("CreateRouteTable")
async def create_route_table(ctx: RequestContext, params: Params) -> Result:
    """A non-main table with the VPC's local routes and no associations (``ClientToken`` aware)."""
    vpc = await records.get(ctx, VPC, params["VpcId"])
    tags = tags_from_specifications(params, "route-table")
    token = params.get("ClientToken")
    record = await idempotency.create_record(
        ctx,
        RTB,
        _new_table(ctx, vpc, main=False, tags=tags),
        token,
        {"VpcId": vpc["vpc_id"], "Tags": tags},
    )
    result: Record = {"RouteTable": route_table_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


def route_table_dependency_violation(table_id: str) -> AwsError:
    """Deleting a main or associated table."""
    return AwsError(
        "DependencyViolation",
        f"The routeTable '{table_id}' has dependencies and cannot be deleted.",
    )


@action("DeleteRouteTable")
async def delete_route_table(ctx: RequestContext, params: Params) -> Result:
    """Delete a table that is neither main nor associated (``DependencyViolation`` otherwise)."""
    table_id = params["RouteTableId"]

    def drop(table: Record) -> None:
        """Delete (``None``) unless main or associated."""
        if table.get("is_main") or table.get("associations"):
            raise route_table_dependency_violation(table_id)

    await records.mutate(ctx, RTB, table_id, drop)
    return None
