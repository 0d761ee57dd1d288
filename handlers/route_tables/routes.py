"""``CreateRoute``, ``ReplaceRoute`` and ``DeleteRoute``."""

from __future__ import annotations

from handlers.prefix_lists import lookup as prefix_lists
from handlers.route_tables.constants import ACTIVE, LOCAL, LOCAL_ROUTE_TARGETS, ORIGIN_ROUTE, RTB
from handlers.route_tables.destinations import is_local, requested_destination
from handlers.route_tables.reactions import _recheck_internet_gateway
from handlers.route_tables.tables import _find_route
from handlers.route_tables.targets import requested_target
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- routes ----------------------------------------------------------------------------------


@action("CreateRoute")
async def create_route(ctx: RequestContext, params: Params) -> Result:
    """Add a route; ``RouteAlreadyExists`` when the destination is taken (local routes too)."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    destination = requested_destination(params)
    if destination[0] == "destination_prefix_list_id":
        await prefix_lists.check_reference(ctx, destination[1])  # InvalidPrefixListID.NotFound
    target = await requested_target(ctx, table, params)
    route: Record = {
        destination[0]: destination[1],
        **target,
        "state": ACTIVE,
        "origin": ORIGIN_ROUTE,
    }

    def add(current: Record) -> Record:
        if _find_route(current, destination) is not None:
            raise AwsError(
                "RouteAlreadyExists",
                f"The route identified by {destination[1]} already exists.",
            )
        return {**current, "routes": [*current.get("routes", []), route]}

    await records.mutate(ctx, RTB, table["route_table_id"], add)
    await _recheck_internet_gateway(ctx, table, route)
    return {"Return": True}


@action("ReplaceRoute")
async def replace_route(ctx: RequestContext, params: Params) -> Result:
    """Retarget an existing route; ``LocalTarget`` restores a local route to ``local``."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    destination = requested_destination(params)
    target = await requested_target(ctx, table, params, replace=True)
    shown = destination[1]

    def swap(current: Record) -> Record:
        routes = list(current.get("routes", []))
        index = _find_route(current, destination)
        if index is None:
            raise invalid_parameter_value(
                f"There is no route defined for '{shown}' in the route table. Use CreateRoute instead."
            )
        old = routes[index]
        if target.get("gateway_id") == LOCAL:
            if not is_local(old):
                raise invalid_parameter_value(
                    f"The destination '{shown}' is not a local route destination of route table "
                    f"{current['route_table_id']}; the local target cannot be used."
                )
        elif is_local(old) and not LOCAL_ROUTE_TARGETS.intersection(target):
            raise invalid_parameter_value(
                f"The local route {shown} can only target a network interface, a NAT gateway or a "
                "Gateway Load Balancer endpoint."
            )
        routes[index] = {
            destination[0]: destination[1],
            **target,
            "state": ACTIVE,
            "origin": old["origin"],
        }
        return {**current, "routes": routes}

    await records.mutate(ctx, RTB, table["route_table_id"], swap)
    await _recheck_internet_gateway(ctx, table, target)
    return None


@action("DeleteRoute")
async def delete_route(ctx: RequestContext, params: Params) -> Result:
    """Remove a route; local routes stay (``InvalidParameterValue``)."""
    table_id = params["RouteTableId"]
    destination = requested_destination(params)
    shown = destination[1]

    def remove(current: Record) -> Record:
        routes = list(current.get("routes", []))
        index = _find_route(current, destination)
        if index is None:
            raise AwsError(
                "InvalidRoute.NotFound",
                f"There is no route defined for '{shown}' in the route table. Use a different destination.",
            )
        if is_local(routes[index]):
            raise invalid_parameter_value(
                f"cannot remove local route {shown} in route table {table_id}"
            )
        del routes[index]
        return {**current, "routes": routes}

    await records.mutate(ctx, RTB, table_id, remove)
    return None
