"""Route propagation from a virtual private gateway into route tables.

``EnableVgwRoutePropagation`` adds the gateway to the table's ``PropagatingVgws`` (shown by
``DescribeRouteTables``); the gateway must be attached to the table's VPC
(``Gateway.NotAttached`` otherwise). ``DisableVgwRoutePropagation`` removes it. A deleted
gateway stops propagating everywhere, and routes to it turn ``blackhole``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from handlers import route_tables
from handlers.vpn.vpn_gateways import VGW, attached_to
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action

RTB: Final = KINDS["route-table"]
FIELD: Final = "propagating_vgws"
records.indexed(RTB, FIELD)  # the tables a gateway propagates to
"""Route-table record field listing the gateways that propagate into it."""


@action("EnableVgwRoutePropagation")
async def enable_vgw_route_propagation(ctx: RequestContext, params: Params) -> Result:
    """The gateway (attached to the table's VPC) propagates its routes into the table."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    gateway_id = params["GatewayId"]
    gateway = await records.get(ctx, VGW, gateway_id)
    if attached_to(gateway, clock.now()) != table["vpc_id"]:
        raise AwsError(
            "Gateway.NotAttached",
            f"resource {gateway_id} is not attached to network {table['vpc_id']}",
        )

    def enable(current: Record) -> Record:
        vgws = list(current.get(FIELD) or [])
        if gateway_id not in vgws:
            vgws.append(gateway_id)
        return {**current, FIELD: vgws}

    await records.mutate(ctx, RTB, table["route_table_id"], enable)
    return None


@action("DisableVgwRoutePropagation")
async def disable_vgw_route_propagation(ctx: RequestContext, params: Params) -> Result:
    """The gateway no longer propagates into the table."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    gateway_id = params["GatewayId"]
    VGW.check_id(gateway_id)
    await records.mutate(ctx, RTB, table["route_table_id"], _without(gateway_id))
    return None


def _without(gateway_id: str) -> Callable[[Record], Record]:
    def drop(current: Record) -> Record:
        return {**current, FIELD: [g for g in current.get(FIELD) or [] if g != gateway_id]}

    return drop


@dependents.on("vpn-gateway", "deleted")
async def _gateway_deleted(ctx: RequestContext, gateway: Record) -> None:
    """A deleted gateway propagates nowhere; routes to it turn ``blackhole``."""
    gateway_id = str(gateway["vpn_gateway_id"])
    tables = await records.any_of(ctx, RTB, FIELD, [gateway_id])  # from the index
    if tables is None:
        tables = await records.list_records(ctx, RTB)
    for table in tables:
        if gateway_id in (table.get(FIELD) or []):
            await records.mutate(
                ctx, RTB, table["route_table_id"], _without(gateway_id), missing_ok=True
            )
    await route_tables.blackhole_routes(ctx, "gateway_id", gateway_id)
