"""The account's default VPC, made before its first EC2 request, once across gateways."""

from __future__ import annotations

import asyncio
import ipaddress

from handlers import internet_gateways, route_tables, subnets
from handlers.vpcs.constants import DEFAULT_VPC_CIDR, DEFAULT_VPC_MARKER, DEFAULT_VPC_WAIT_SECONDS
from handlers.vpcs.lifecycle import _records_in_vpc, create_vpc_record
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.registry import on_first_request
from hive_gateway.core.zones import zones


async def _default_vpc_made(ctx: RequestContext) -> None:
    """Wait while another gateway sharing the store is still creating the default VPC, so the
    first request here (a RunInstances without a subnet, say) finds its default subnets."""
    delay = 0.02
    while True:
        found = await records.doc_get(ctx, records.INDEX, DEFAULT_VPC_MARKER)
        if found is None or found[0].get("state") != "creating":
            return
        try:
            since = clock.parse_time(str(found[0]["claimed_at"]))
        except (KeyError, ValueError):
            return
        if (clock.now() - since).total_seconds() >= DEFAULT_VPC_WAIT_SECONDS:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


@on_first_request
async def ensure_default_vpc(ctx: RequestContext) -> None:
    """Create the account's default VPC once (race-safe across gateways sharing a store)."""
    if not ctx.runtime.settings.default_vpc:
        return
    if not await records.doc_create(
        ctx, records.INDEX, DEFAULT_VPC_MARKER, {"state": "creating", "claimed_at": clock.utc_now()}
    ):
        await _default_vpc_made(ctx)
        return
    network = ipaddress.IPv4Network(DEFAULT_VPC_CIDR)
    vpc = await create_vpc_record(ctx, network, tags={}, is_default=True)
    blocks = list(network.subnets(new_prefix=20))
    for zone, block in zip(zones(ctx), blocks):
        await subnets.create_subnet_record(
            ctx,
            vpc,
            str(block),
            zone["ZoneName"],
            default_for_az=True,
            map_public_ip_on_launch=True,
        )
    igw = await internet_gateways.create_internet_gateway_record(ctx, {})
    await internet_gateways.attach_internet_gateway(ctx, igw["internet_gateway_id"], vpc["vpc_id"])
    main = next(
        t for t in await _records_in_vpc(ctx, "route-table", vpc["vpc_id"]) if t.get("is_main")
    )
    await route_tables.add_route(
        ctx, main["route_table_id"], "0.0.0.0/0", gateway_id=igw["internet_gateway_id"]
    )
    await records.doc_put(
        ctx, records.INDEX, DEFAULT_VPC_MARKER, {"state": "created", "vpc_id": vpc["vpc_id"]}
    )
