"""Route tables, routes and route-table associations.

AWS behaviour reproduced:

* every table has a ``local`` route per associated VPC CIDR (IPv4 and IPv6): ``GatewayId=local``,
  ``Origin=CreateRouteTable``, ``State=active``; it cannot be deleted::

      DeleteRoute RouteTableId=rtb-1&DestinationCidrBlock=10.0.0.0/16
      → InvalidParameterValue: cannot remove local route 10.0.0.0/16 in route table rtb-1

* ``CreateVpc`` creates the VPC's *main* table (one ``Main=true`` association without a subnet);
  ``ReplaceRouteTableAssociation`` on that association makes another table main, with a NEW
  association id;
* a route has exactly one destination (``DestinationCidrBlock`` — canonicalised, ``10.0.0.9/16``
  is stored as ``10.0.0.0/16`` — ``DestinationIpv6CidrBlock`` or ``DestinationPrefixListId``)
  and exactly one target. Only the target that was set is rendered (Terraform reads every
  non-nil target field), ``Origin=CreateRoute``, ``State`` ``active`` or ``blackhole`` once the
  target is gone or detached;
* an internet gateway target must be attached to the table's VPC::

      CreateRoute RouteTableId=rtb-1&DestinationCidrBlock=0.0.0.0/0&GatewayId=igw-2
      → InvalidParameterValue: route table rtb-1 and network gateway igw-2 belong to different networks

  ``GatewayId`` is as forgiving as on AWS: a ``nat-``/``eigw-`` id given there is stored (and
  rendered) as ``NatGatewayId``/``EgressOnlyInternetGatewayId``; ``local`` is only accepted by
  ``ReplaceRoute`` (or ``LocalTarget=true``) to restore a local route;
* a subnet (or gateway) has at most one explicit association (``Resource.AlreadyAssociated``); a
  table that is main or associated cannot be deleted (``DependencyViolation``).

Every read-modify-write is a compare-and-swap through :func:`records.mutate`. Uniqueness of
explicit associations is kept by write-then-verify: an association that finds a rival after
writing removes itself, so two racing requests never both succeed.

The module exports what ``vpcs`` composes: :func:`create_main_route_table` (CreateVpc),
:func:`add_local_route`/:func:`remove_local_route` (VPC CIDR blocks) and :func:`add_route` (the
default VPC). What other families' events mean for route tables is declared here through
:mod:`hive_gateway.core.dependents`: non-main tables block ``DeleteVpc`` and go with the VPC; a
deleted subnet loses its association; every route target with a stored kind (:data:`TARGETS`)
blackholes its routes when deleted, an instance's when it terminates, and an internet gateway's
routes follow its attachment (``active`` on attach, ``blackhole`` on detach).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

RTB: Final = KINDS["route-table"]
VPC: Final = KINDS["vpc"]
SUBNET: Final = KINDS["subnet"]
IGW: Final = KINDS["internet-gateway"]

LOCAL: Final = "local"
ORIGIN_LOCAL: Final = "CreateRouteTable"
ORIGIN_ROUTE: Final = "CreateRoute"
ACTIVE: Final = "active"
BLACKHOLE: Final = "blackhole"
ASSOCIATED: Final = "associated"

#: Targets a local route may be replaced with (middlebox routing); ``local`` restores it.
LOCAL_ROUTE_TARGETS: Final = frozenset(
    {"network_interface_id", "nat_gateway_id", "vpc_endpoint_id"}
)




# --- destinations ----------------------------------------------------------------------------


def _cidr_parser(version: int, wire: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            network = None
        if network is None or network.version != version or "/" not in text:
            raise invalid_parameter_value(
                f"Value ({text}) for parameter {wire} is invalid. This is not a valid CIDR block."
            )
        return network.compressed

    return parse


def _parse_prefix_list(text: str) -> str:
    if not text.startswith("pl-"):
        raise AwsError(
            "InvalidPrefixListID.NotFound", f"The prefix list ID '{text}' does not exist"
        )
    return text


@dataclass(frozen=True, slots=True)
class Destination:
    """One way of naming a route's destination."""

    param: str
    field: str
    wire: str
    parse: Callable[[str], str]


DESTINATIONS: Final = (
    Destination(
        "DestinationCidrBlock",
        "destination_cidr_block",
        "destinationCidrBlock",
        _cidr_parser(4, "destinationCidrBlock"),
    ),
    Destination(
        "DestinationIpv6CidrBlock",
        "destination_ipv6_cidr_block",
        "destinationIpv6CidrBlock",
        _cidr_parser(6, "destinationIpv6CidrBlock"),
    ),
    Destination(
        "DestinationPrefixListId",
        "destination_prefix_list_id",
        "destinationPrefixListId",
        _parse_prefix_list,
    ),
)
_DESTINATION_WIRES: Final = ", ".join(d.wire for d in DESTINATIONS)


def requested_destination(params: Params) -> tuple[str, str]:
    """``(record field, canonical value)`` of the one destination in a route request."""
    given = [d for d in DESTINATIONS if params.get(d.param)]
    if not given:
        raise AwsError(
            "MissingParameter",
            f"The request must contain exactly one of {_DESTINATION_WIRES}",
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            f"The request must contain exactly one of {_DESTINATION_WIRES}"
        )
    destination = given[0]
    return destination.field, destination.parse(str(params[destination.param]))


def route_destination(route: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(field, value)`` of a stored route's destination."""
    for destination in DESTINATIONS:
        value = route.get(destination.field)
        if value:
            return destination.field, str(value)
    return None


def local_route(cidr: str) -> Record:
    """The ``local`` route of a VPC CIDR (IPv4 or IPv6)."""
    network = ipaddress.ip_network(cidr, strict=False)
    field = "destination_cidr_block" if network.version == 4 else "destination_ipv6_cidr_block"
    return {field: network.compressed, "gateway_id": LOCAL, "state": ACTIVE, "origin": ORIGIN_LOCAL}


def is_local(route: Mapping[str, Any]) -> bool:
    """A route the table got from its VPC's CIDR (cannot be deleted)."""
    return route.get("origin") == ORIGIN_LOCAL


# --- targets ---------------------------------------------------------------------------------


def gateway_not_found(gateway_id: str) -> AwsError:
    """``GatewayId`` naming no gateway of the caller (also ``local`` on ``CreateRoute``)."""
    return AwsError("InvalidGatewayID.NotFound", f"The gateway ID '{gateway_id}' does not exist")


def _not_found(code: str, noun: str, dot: str = "") -> Callable[[str], AwsError]:
    return lambda value: AwsError(code, f"The {noun} ID '{value}' does not exist{dot}")


@dataclass(frozen=True, slots=True)
class Target:
    """One route target member: how it is checked, stored and rendered."""

    param: str
    field: str
    api: str
    prefix: str
    not_found: Callable[[str], AwsError]
    kind: str | None = None
    """A key of KINDS when we store records of the target (existence and VPC are checked)."""
    noun: str = "network gateway"
    """How AWS names the target in "… belong to different networks"."""


TARGETS: Final = (
    Target("GatewayId", "gateway_id", "GatewayId", "igw-", gateway_not_found, "internet-gateway"),
    Target(
        "NatGatewayId",
        "nat_gateway_id",
        "NatGatewayId",
        "nat-",
        KINDS["nat-gateway"].not_found,
        "nat-gateway",
    ),
    Target(
        "EgressOnlyInternetGatewayId",
        "egress_only_internet_gateway_id",
        "EgressOnlyInternetGatewayId",
        "eigw-",
        gateway_not_found,
        "egress-only-internet-gateway",
    ),
    Target(
        "NetworkInterfaceId",
        "network_interface_id",
        "NetworkInterfaceId",
        "eni-",
        KINDS["network-interface"].not_found,
        "network-interface",
        "interface",
    ),
    Target(
        "InstanceId",
        "instance_id",
        "InstanceId",
        "i-",
        KINDS["instance"].not_found,
        "instance",
        "instance",
    ),
    Target(
        "VpcPeeringConnectionId",
        "vpc_peering_connection_id",
        "VpcPeeringConnectionId",
        "pcx-",
        _not_found("InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection"),
    ),
    Target(
        "TransitGatewayId",
        "transit_gateway_id",
        "TransitGatewayId",
        "tgw-",
        _not_found("InvalidTransitGatewayID.NotFound", "transitGateway", "."),
    ),
    Target(
        "LocalGatewayId",
        "local_gateway_id",
        "LocalGatewayId",
        "lgw-",
        _not_found("InvalidLocalGatewayID.NotFound", "localGateway"),
    ),
    Target(
        "CarrierGatewayId",
        "carrier_gateway_id",
        "CarrierGatewayId",
        "cagw-",
        _not_found("InvalidCarrierGatewayID.NotFound", "carrierGateway"),
    ),
    Target(
        "VpcEndpointId",
        "vpc_endpoint_id",
        "GatewayId",
        "vpce-",
        _not_found("InvalidVpcEndpointId.NotFound", "VpcEndPoint"),
    ),
    Target(
        "CoreNetworkArn",
        "core_network_arn",
        "CoreNetworkArn",
        "arn:",
        lambda v: invalid_parameter_value(f"Value ({v}) for parameter coreNetworkArn is invalid."),
    ),
    Target(
        "OdbNetworkArn",
        "odb_network_arn",
        "OdbNetworkArn",
        "arn:",
        lambda v: invalid_parameter_value(f"Value ({v}) for parameter odbNetworkArn is invalid."),
    ),
)
TARGET_BY_PARAM: Final = {t.param: t for t in TARGETS}
_TARGET_WIRES: Final = ", ".join(t.param[0].lower() + t.param[1:] for t in TARGETS)

#: ``GatewayId`` prefixes AWS files under another member, and the ones accepted as given.
_GATEWAY_ALIASES: Final = {"nat-": "NatGatewayId", "eigw-": "EgressOnlyInternetGatewayId"}
_UNSTORED_GATEWAYS: Final = ("vgw-", "vpce-")


async def find_record(ctx: RequestContext, kind: str, resource_id: str) -> Record | None:
    """The caller's record of a target kind, or ``None``.

    A kind whose record schema does not exist (its family is not implemented yet) has no
    records: nothing could have written one.
    """
    try:
        return await records.find(ctx, KINDS[kind], resource_id)
    except ValueError:
        return None


def _different_networks(table: Record, target: Target, value: str) -> AwsError:
    return invalid_parameter_value(
        f"route table {table['route_table_id']} and {target.noun} {value} belong to different networks"
    )


async def _check_target(ctx: RequestContext, table: Record, target: Target, value: str) -> None:
    """The target exists for the caller and lives in the table's VPC (kinds we store)."""
    if not value.startswith(target.prefix):
        raise target.not_found(value)
    if target.kind is None:
        return
    record = await find_record(ctx, target.kind, value)
    if record is None:
        raise target.not_found(value)
    if target.kind == "internet-gateway":  # vpc_id "" = detached: in no network at all
        if record.get("vpc_id") != table["vpc_id"]:
            raise _different_networks(table, target, value)
    elif record.get("vpc_id") and record["vpc_id"] != table["vpc_id"]:
        raise _different_networks(table, target, value)


async def requested_target(
    ctx: RequestContext, table: Record, params: Params, *, replace: bool = False
) -> dict[str, str]:
    """The route's one target as record fields (``{"gateway_id": "igw-…"}``), checked.

    ``replace`` allows ``LocalTarget=true`` / ``GatewayId=local`` (``ReplaceRoute``), which give
    ``{"gateway_id": "local"}``.
    """
    given = [(TARGET_BY_PARAM[p], str(params[p])) for p in TARGET_BY_PARAM if params.get(p)]
    wants_local = bool(params.get("LocalTarget")) or params.get("GatewayId") == LOCAL
    if replace and wants_local:
        if len(given) > (1 if params.get("GatewayId") == LOCAL else 0):
            raise invalid_parameter_combination(
                "The parameter localTarget cannot be used with another route target"
            )
        return {"gateway_id": LOCAL}
    if not given:
        raise AwsError(
            "MissingParameter", f"The request must contain exactly one of {_TARGET_WIRES}"
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            f"The request must contain exactly one of {_TARGET_WIRES}"
        )
    target, value = given[0]
    if target.param == "GatewayId":
        alias = next(
            (p for prefix, p in _GATEWAY_ALIASES.items() if value.startswith(prefix)), None
        )
        if alias is not None:
            target = TARGET_BY_PARAM[alias]
            if await find_record(ctx, str(target.kind), value) is None:
                raise gateway_not_found(value)
        elif value.startswith(_UNSTORED_GATEWAYS):
            return {"gateway_id": value}
        elif not value.startswith("igw-"):
            raise gateway_not_found(value)
    await _check_target(ctx, table, target, value)
    return {target.field: value}


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
        "PropagatingVgws": [],
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
    indexes={"vpc-id": "vpc_id", "route-table-id": "route_table_id"},
)


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


async def remove_subnet_associations(ctx: RequestContext, subnet_id: str) -> None:
    """Drop the explicit association of a subnet being deleted (AWS does this implicitly)."""

    def drop(table: Record) -> Record:
        kept = [a for a in table.get("associations", []) if a.get("subnet_id") != subnet_id]
        return {**table, "associations": kept}

    for table in await records.list_records(ctx, RTB):
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

    for table in await records.list_records(ctx, RTB):
        if vpc_id is not None and table.get("vpc_id") != vpc_id:
            continue
        if any(
            r.get(field) == target_id and r.get("state") != state for r in table.get("routes", [])
        ):
            await _mutate_if_present(ctx, table["route_table_id"], change)


async def blackhole_routes(ctx: RequestContext, field: str, target_id: str) -> None:
    """Routes to a deleted target (``gateway_id``, ``nat_gateway_id``, …) become ``blackhole``."""
    await set_route_state(ctx, field, target_id, BLACKHOLE)


# --- what other families' events mean for route tables (core.dependents) ----------------------

dependents.blocks("vpc", by="route-table", field="vpc_id", unless=lambda t: bool(t.get("is_main")))


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
    await remove_subnet_associations(ctx, subnet["subnet_id"])


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


# --- routes ----------------------------------------------------------------------------------


@action("CreateRoute")
async def create_route(ctx: RequestContext, params: Params) -> Result:
    """Add a route; ``RouteAlreadyExists`` when the destination is taken (local routes too)."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    destination = requested_destination(params)
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


# --- associations ----------------------------------------------------------------------------


def association_not_found(association_id: str) -> AwsError:
    """An association id the caller has no table with."""
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


def _already_associated(table_id: str) -> AwsError:
    return AwsError(
        "Resource.AlreadyAssociated",
        f"the specified association for route table {table_id} conflicts with an existing association",
    )


async def _table_with_association(
    ctx: RequestContext, association_id: str
) -> tuple[Record, Record]:
    """``(table, association)`` holding ``association_id``; ``InvalidAssociationID.NotFound``."""
    for table in await records.list_records(ctx, RTB):
        for association in table.get("associations", []):
            if association.get("association_id") == association_id:
                return table, association
    raise association_not_found(association_id)


async def _rivals(ctx: RequestContext, field: str, value: str, own_id: str | None) -> list[Record]:
    """Explicit associations of ``field=value`` other than ``own_id``, across the account."""
    return [
        a
        for table in await records.list_records(ctx, RTB)
        for a in table.get("associations", [])
        if a.get(field) == value and a.get("association_id") != own_id
    ]


async def _association_member(
    ctx: RequestContext, table: Record, params: Params
) -> tuple[str, str]:
    """``("subnet_id", id)`` or ``("gateway_id", id)`` for ``AssociateRouteTable``, checked."""
    subnet_id, gateway_id = params.get("SubnetId"), params.get("GatewayId")
    table_id = table["route_table_id"]
    if subnet_id and gateway_id:
        raise invalid_parameter_combination(
            "The parameter subnetId cannot be used with the parameter gatewayId"
        )
    if subnet_id:
        subnet = await records.get(ctx, SUBNET, subnet_id)
        if subnet.get("vpc_id") != table["vpc_id"]:
            raise invalid_parameter_value(
                f"Route table {table_id} and subnet {subnet_id} belong to different networks"
            )
        return "subnet_id", subnet_id
    if gateway_id:
        if gateway_id.startswith("vgw-"):
            return "gateway_id", gateway_id
        if not gateway_id.startswith("igw-"):
            raise gateway_not_found(gateway_id)
        igw = await records.find(ctx, IGW, gateway_id)
        if igw is None:
            raise gateway_not_found(gateway_id)
        if igw.get("vpc_id") != table["vpc_id"]:
            raise invalid_parameter_value(
                f"Route table {table_id} and gateway {gateway_id} belong to different networks"
            )
        return "gateway_id", gateway_id
    raise AwsError(
        "MissingParameter", "The request must contain the parameter subnetId or gatewayId"
    )


def _drop_association(association_id: str, *, main: bool = False) -> Callable[[Record], Record]:
    def drop(table: Record) -> Record:
        kept = [
            a for a in table.get("associations", []) if a.get("association_id") != association_id
        ]
        return {**table, "associations": kept, **({"is_main": False} if main else {})}

    return drop


@action("AssociateRouteTable")
async def associate_route_table(ctx: RequestContext, params: Params) -> Result:
    """Explicitly associate a subnet (or an edge gateway) with a table of its VPC."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    table_id = table["route_table_id"]
    field, value = await _association_member(ctx, table, params)
    for existing in table.get("associations", []):
        if existing.get(field) == value and not existing.get("main"):
            # The same association again (a client's retry of a call that did succeed): AWS
            # answers with the existing association rather than Resource.AlreadyAssociated.
            return {
                "AssociationId": existing["association_id"],
                "AssociationState": {"State": existing.get("state", ASSOCIATED)},
            }
    if await _rivals(ctx, field, value, None):
        raise _already_associated(table_id)
    association: Record = {
        "association_id": new_id("route-table-association"),
        field: value,
        "main": False,
        "state": ASSOCIATED,
    }

    def add(current: Record) -> Record:
        return {**current, "associations": [*current.get("associations", []), association]}

    await records.mutate(ctx, RTB, table_id, add)
    if await _rivals(ctx, field, value, association["association_id"]):
        await _mutate_if_present(ctx, table_id, _drop_association(association["association_id"]))
        raise _already_associated(table_id)
    return {
        "AssociationId": association["association_id"],
        "AssociationState": {"State": ASSOCIATED},
    }


@action("DisassociateRouteTable")
async def disassociate_route_table(ctx: RequestContext, params: Params) -> Result:
    """Remove an explicit association (never the main one)."""
    association_id = params["AssociationId"]
    table, _ = await _table_with_association(ctx, association_id)

    def drop(current: Record) -> Record:
        found = [
            a for a in current.get("associations", []) if a.get("association_id") == association_id
        ]
        if not found:
            raise association_not_found(association_id)
        if found[0].get("main"):
            raise invalid_parameter_value(
                f"cannot disassociate the main route table association {association_id}"
            )
        return _drop_association(association_id)(current)

    if await records.mutate(ctx, RTB, table["route_table_id"], drop, missing_ok=True) is None:
        raise association_not_found(association_id)  # the table went meanwhile
    return None


@action("ReplaceRouteTableAssociation")
async def replace_route_table_association(ctx: RequestContext, params: Params) -> Result:
    """Move an association (main included) to another table of the VPC; returns a new id."""
    association_id = params["AssociationId"]
    old_table, old = await _table_with_association(ctx, association_id)
    new_table = await records.get(ctx, RTB, params["RouteTableId"])
    if new_table["vpc_id"] != old_table["vpc_id"]:
        raise invalid_parameter_value(
            f"Route table {new_table['route_table_id']} and association {association_id} "
            "belong to different networks"
        )
    main = bool(old.get("main"))
    association: Record = {
        "association_id": new_id("route-table-association"),
        **{k: old[k] for k in ("subnet_id", "gateway_id") if old.get(k)},
        "main": main,
        "state": ASSOCIATED,
    }
    new_id_ = association["association_id"]

    def check_present(current: Record) -> None:
        if not any(
            a.get("association_id") == association_id for a in current.get("associations", [])
        ):
            raise association_not_found(association_id)

    if new_table["route_table_id"] == old_table["route_table_id"]:

        def renew(current: Record) -> Record:
            check_present(current)
            kept = [
                association if a.get("association_id") == association_id else a
                for a in current.get("associations", [])
            ]
            return {**current, "associations": kept}

        await records.mutate(ctx, RTB, old_table["route_table_id"], renew)
        return {"NewAssociationId": new_id_, "AssociationState": {"State": ASSOCIATED}}

    def add(current: Record) -> Record:
        return {
            **current,
            "associations": [*current.get("associations", []), association],
            **({"is_main": True} if main else {}),
        }

    def move_out(current: Record) -> Record:
        check_present(current)
        return _drop_association(association_id, main=main)(current)

    await records.mutate(ctx, RTB, new_table["route_table_id"], add)
    try:
        await records.mutate(ctx, RTB, old_table["route_table_id"], move_out)
    except AwsError as error:
        await _undo_add(ctx, new_table["route_table_id"], new_id_, main)
        if error.code == RTB.not_found_code:
            raise association_not_found(association_id) from None
        raise
    return {"NewAssociationId": new_id_, "AssociationState": {"State": ASSOCIATED}}


async def _undo_add(ctx: RequestContext, table_id: str, association_id: str, main: bool) -> None:
    await _mutate_if_present(ctx, table_id, _drop_association(association_id, main=main))


__all__ = [
    "add_local_route",
    "add_route",
    "blackhole_routes",
    "create_main_route_table",
    "remove_local_route",
    "remove_subnet_associations",
    "route_table_to_api",
    "set_route_state",
]
