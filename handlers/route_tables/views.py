"""The API shape of route tables, routes and associations, filters and ``DescribeRouteTables``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from handlers.route_tables.constants import ASSOCIATED, RTB
from handlers.route_tables.targets import TARGETS
from hive_gateway.core import describe
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags

# --- rendering and filters -------------------------------------------------------------------

#: Stored route field → ``Route`` member (``vpc_endpoint_id`` is shown as ``GatewayId``, as on AWS).
ROUTE_MEMBERS: Final = (
    ("destination_cidr_block", "DestinationCidrBlock"),
    ("destination_ipv6_cidr_block", "DestinationIpv6CidrBlock"),
    ("destination_prefix_list_id", "DestinationPrefixListId"),
    *((t.field, t.api) for t in TARGETS),
    ("origin", "Origin"),
    ("state", "State"),
)


def route_to_api(ctx: RequestContext, route: Mapping[str, Any]) -> Record:
    """A stored route as a ``Route``: only the members that are set (unset targets absent)."""
    out: Record = {api: route[field] for field, api in ROUTE_MEMBERS if route.get(field)}
    if route.get("instance_id"):
        out["InstanceOwnerId"] = ctx.account_id
    return out


def association_to_api(table_id: str, association: Mapping[str, Any]) -> Record:
    """A stored association as a ``RouteTableAssociation``."""
    out: Record = {
        "Main": bool(association.get("main")),
        "RouteTableAssociationId": association["association_id"],
        "RouteTableId": table_id,
    }
    for field, api in (("subnet_id", "SubnetId"), ("gateway_id", "GatewayId")):
        if association.get(field):
            out[api] = association[field]
    out["AssociationState"] = {"State": association.get("state", ASSOCIATED)}
    return out


def route_table_to_api(ctx: RequestContext, record: Record) -> Record:
    """A route-table record as a ``RouteTable``."""
    table_id = record["route_table_id"]
    return {
        "Associations": [association_to_api(table_id, a) for a in record.get("associations", [])],
        "PropagatingVgws": [{"GatewayId": g} for g in record.get("propagating_vgws", [])],
        "RouteTableId": table_id,
        "Routes": [route_to_api(ctx, r) for r in record.get("routes", [])],
        "Tags": api_tags(record_tags(record)),
        "VpcId": record["vpc_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
    }


def _associations(member: str) -> Callable[[Record], list[Any]]:
    return lambda table: [a.get(member) for a in table["Associations"]]


def _routes(member: str) -> Callable[[Record], list[Any]]:
    return lambda table: [r.get(member) for r in table["Routes"]]


ROUTE_TABLE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "association.gateway-id": _associations("GatewayId"),
        "association.route-table-association-id": _associations("RouteTableAssociationId"),
        "association.route-table-id": _associations("RouteTableId"),
        "association.subnet-id": _associations("SubnetId"),
        "association.main": _associations("Main"),
        "owner-id": lambda t: t["OwnerId"],
        "route-table-id": lambda t: t["RouteTableId"],
        "route.destination-cidr-block": _routes("DestinationCidrBlock"),
        "route.destination-ipv6-cidr-block": _routes("DestinationIpv6CidrBlock"),
        "route.destination-prefix-list-id": _routes("DestinationPrefixListId"),
        "route.egress-only-internet-gateway-id": _routes("EgressOnlyInternetGatewayId"),
        "route.gateway-id": _routes("GatewayId"),
        "route.instance-id": _routes("InstanceId"),
        "route.nat-gateway-id": _routes("NatGatewayId"),
        "route.transit-gateway-id": _routes("TransitGatewayId"),
        "route.origin": _routes("Origin"),
        "route.state": _routes("State"),
        "route.vpc-peering-connection-id": _routes("VpcPeeringConnectionId"),
        "vpc-id": lambda t: t["VpcId"],
    },
    tags=lambda t: {tag["Key"]: tag["Value"] for tag in t.get("Tags", [])},
    indexes={
        "vpc-id": "vpc_id",
        "route-table-id": "route_table_id",
        "association.route-table-association-id": "associations.association_id",
        "association.subnet-id": "associations.subnet_id",
        "association.gateway-id": "associations.gateway_id",
    },
)


@action("DescribeRouteTables")
async def describe_route_tables(ctx: RequestContext, params: Params) -> Result:
    """The caller's route tables: ids (must exist), filters, pages."""
    return await describe.describe(
        ctx,
        RTB,
        params,
        ids_param="RouteTableIds",
        result_key="RouteTables",
        spec=ROUTE_TABLE_FILTERS,
        to_api=route_table_to_api,
    )
