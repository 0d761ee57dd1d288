"""The VPC endpoint actions: create, modify, delete, describe; the service catalogue and the
(always empty) connections of endpoint services the caller owns."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from handlers import network_interfaces
from handlers.prefix_lists import lookup as prefix_lists
from handlers.vpc_endpoints import gateway, interface, services
from handlers.vpc_endpoints.services import GATEWAY, INTERFACE
from handlers.vpc_endpoints.view import (
    CONNECTION_FILTERS,
    DEFAULT_POLICY,
    SERVICE_FILTERS,
    VPC_ENDPOINT_FILTERS,
    api_state,
    endpoint_to_api,
    holds,
)
from hive_gateway.core import clock, dependents, describe, idempotency, records, zones
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value, missing_parameter
from hive_gateway.core.filters import apply_filters
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

VPCE: Final = KINDS["vpc-endpoint"]
VPC: Final = KINDS["vpc"]
SUBNET: Final = KINDS["subnet"]
SECURITY_GROUP: Final = KINDS["security-group"]
TYPES: Final = (GATEWAY, INTERFACE, "GatewayLoadBalancer")
_UNSUPPORTED: Final = ("ServiceNetworkArn", "ResourceConfigurationArn", "SubnetConfigurations")


# What an endpoint holds on to: its VPC (re-checked after create), the subnets it has
# interfaces in and its security groups cannot be deleted while it exists (its ENIs block them
# too). Route tables may go: a deleted table drops out of RouteTableIds.
def _gone(endpoint: Record) -> bool:
    return not holds(endpoint)


dependents.blocks("vpc", by="vpc-endpoint", field="vpc_id", unless=_gone)
dependents.blocks(
    "subnet",
    by="vpc-endpoint",
    where=lambda e, s: s["subnet_id"] in (e.get("subnet_ids") or ()),
    unless=_gone,
    via=("subnet_ids", "subnet_id"),
)
dependents.blocks(
    "security-group",
    by="vpc-endpoint",
    where=lambda e, g: g["group_id"] in (e.get("security_group_ids") or ()),
    unless=_gone,
    via=("security_group_ids", "group_id"),
)


# --- errors and checks ----------------------------------------------------------------------


def invalid_service(name: str) -> AwsError:
    """A service name the region does not serve."""
    return AwsError("InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist")


def invalid(message: str) -> AwsError:
    """``InvalidParameter`` (AWS's code for endpoint members that do not fit the type)."""
    return AwsError("InvalidParameter", message)


def policy_document(text: Any) -> str:
    """A policy as given (it must be a JSON object), or AWS's full-access default."""
    if text is None or text == "":
        return DEFAULT_POLICY
    try:
        parsed = json.loads(str(text))
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise AwsError("InvalidPolicyDocument", "The policy document is not valid JSON.")
    return str(text)


def _ids(params: Mapping[str, Any], member: str) -> list[str]:
    return [str(v) for v in dict.fromkeys(params.get(member) or [])]


async def _check_private_dns(
    ctx: RequestContext, vpc: Record, service_name: str, own_id: str | None = None
) -> None:
    """Private DNS needs the VPC's DNS attributes and no other endpoint owning the name."""
    if not (vpc.get("enable_dns_support", True) and vpc.get("enable_dns_hostnames")):
        raise invalid(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
            f"attributes set to true for {vpc['vpc_id']}"
        )
    for other in await records.where(ctx, VPCE, vpc_id=vpc["vpc_id"]):
        if (
            other["vpc_endpoint_id"] != own_id
            and other["service_name"] == service_name
            and other.get("private_dns_enabled")
            and api_state(other) in ("pending", "available")
        ):
            found = services.find(ctx.region, service_name, INTERFACE)
            domain = found[0].private_dns_name if found else service_name
            raise invalid(
                "private-dns-enabled cannot be set because there is already a conflicting DNS "
                f"domain for {domain} in the VPC {vpc['vpc_id']}"
            )


# --- rendering ------------------------------------------------------------------------------


async def render_all(ctx: RequestContext, endpoints: Sequence[Record]) -> list[Record]:
    """``VpcEndpoint`` items, with the lookups they need made once (by id: only the route
    tables, groups and subnets the endpoints name are read)."""

    def named(field: str) -> list[str]:
        return sorted({str(i) for e in endpoints for i in e.get(field) or ()})

    tables = await gateway.live_tables(ctx, named("route_table_ids"))
    names = {
        str(g["group_id"]): str(g.get("group_name", ""))
        for g in await records.find_many(
            ctx, SECURITY_GROUP, named("security_group_ids"), live_only=False
        )
    }
    subnet_zones = {
        str(s["subnet_id"]): str(s["availability_zone"])
        for s in await records.find_many(ctx, SUBNET, named("subnet_ids"), live_only=False)
    }
    return [
        endpoint_to_api(
            ctx,
            record,
            live_route_tables=tables,
            group_names=names,
            zone_names=[subnet_zones[s] for s in record["subnet_ids"] if s in subnet_zones],
        )
        for record in endpoints
    ]


# --- create ---------------------------------------------------------------------------------


@action("CreateVpcEndpoint")
async def create_vpc_endpoint(ctx: RequestContext, params: Params) -> Result:
    """A gateway endpoint (routes to the service's prefix list in ``RouteTableIds``) or an
    interface endpoint (one ENI per subnet, security groups, DNS names): ``pending``, then
    ``available``. ``ClientToken`` makes it idempotent."""
    for member in _UNSUPPORTED:
        if params.get(member):
            raise invalid(f"{member} is not supported by this endpoint.")
    vpc = await records.get(ctx, VPC, params["VpcId"])
    name = params.get("ServiceName")
    if not name:
        raise missing_parameter("ServiceName")
    endpoint_type = str(params.get("VpcEndpointType") or GATEWAY)
    if endpoint_type not in TYPES:
        raise invalid_parameter_value(
            f"Value ({endpoint_type}) for parameter VpcEndpointType is invalid."
        )
    if not services.find(ctx.region, str(name)):
        raise invalid_service(str(name))
    if not services.find(ctx.region, str(name), endpoint_type):
        raise invalid(
            f"The Vpc Endpoint Service '{name}' does not support {endpoint_type} endpoints."
        )
    policy = policy_document(params.get("PolicyDocument"))
    tags = tags_from_specifications(params, "vpc-endpoint")
    table_ids = _ids(params, "RouteTableIds")
    subnet_ids = _ids(params, "SubnetIds")
    group_ids = _ids(params, "SecurityGroupIds")
    private_dns = False
    subnet_records: list[Record] = []
    groups: list[str] = []
    pl_id = ""
    if endpoint_type == GATEWAY:
        if subnet_ids or group_ids:
            raise invalid("Subnets and security groups are not supported for Gateway endpoints.")
        if params.get("PrivateDnsEnabled"):
            raise invalid("Private DNS is not supported for Gateway endpoints.")
        await gateway.check_tables(ctx, vpc["vpc_id"], table_ids)
        service_list = prefix_lists.service_list(ctx.region, str(name))
        assert service_list is not None  # every gateway service has its AWS-managed list
        pl_id = service_list.prefix_list_id
    else:
        if table_ids:
            raise invalid("Route tables are not supported for Interface endpoints.")
        subnet_records = await interface.subnets(ctx, vpc["vpc_id"], subnet_ids)
        groups, _ = await network_interfaces.resolve_groups(ctx, vpc["vpc_id"], group_ids)
        private_dns = bool(params.get("PrivateDnsEnabled", True))
        if private_dns:
            await _check_private_dns(ctx, vpc, str(name))
    token = params.get("ClientToken")

    async def create(endpoint_id: str) -> Record:
        now = clock.now()
        record: Record = {
            "vpc_endpoint_id": endpoint_id,
            "vpc_endpoint_type": endpoint_type,
            "vpc_id": vpc["vpc_id"],
            "service_name": str(name),
            "state": "available",
            "pending_until": clock.after(ctx, "vpc-endpoint-pending", now),
            "policy_document": policy,
            "route_table_ids": table_ids,
            "subnet_ids": [str(s["subnet_id"]) for s in subnet_records],
            "security_group_ids": groups,
            "network_interface_ids": [],
            "private_dns_enabled": private_dns,
            "ip_address_type": str(params.get("IpAddressType") or "ipv4"),
            "tags": tags,
            "created_at": clock.stamp(now),
            "account_id": ctx.account_id,
        }
        if token:
            record["client_token"] = token
        if endpoint_type == GATEWAY:
            await gateway.add_routes(ctx, endpoint_id, pl_id, table_ids)
        else:
            record["network_interface_ids"] = await interface.create_interfaces(
                ctx, endpoint_id, subnet_records, groups
            )
        try:
            return await records.create(ctx, VPCE, record)
        except BaseException:
            await _release(ctx, record)
            raise

    async def existing(endpoint_id: str) -> Record | None:
        return await records.find(ctx, VPCE, endpoint_id)

    record = await idempotency.create_once(ctx, VPCE, token, params, create, existing)
    result: Record = {"VpcEndpoint": (await render_all(ctx, [record]))[0]}
    if token:
        result["ClientToken"] = token
    return result


async def _release(ctx: RequestContext, record: Record) -> None:
    """Remove what an endpoint holds: its routes, its interfaces."""
    await gateway.remove_routes(ctx, record["vpc_endpoint_id"], record["route_table_ids"])
    await interface.delete_interfaces(ctx, record["network_interface_ids"])


# --- modify ---------------------------------------------------------------------------------


def _only(endpoint_type: str, params: Mapping[str, Any], members: Sequence[str]) -> None:
    for member in members:
        if params.get(member):
            raise invalid(f"{member} is not supported for {endpoint_type} endpoints.")


@action("ModifyVpcEndpoint")
async def modify_vpc_endpoint(ctx: RequestContext, params: Params) -> Result:
    """Add/remove route tables (gateway), subnets and security groups (interface), change the
    policy (``ResetPolicy`` → full access) or private DNS; ``pending`` again, then
    ``available``."""
    endpoint_id = str(params["VpcEndpointId"])
    record = await records.get(ctx, VPCE, endpoint_id)
    if record.get("deleted_at"):
        raise VPCE.not_found(endpoint_id)
    endpoint_type = str(record["vpc_endpoint_type"])
    policy = record["policy_document"]
    if params.get("ResetPolicy"):
        policy = DEFAULT_POLICY
    elif params.get("PolicyDocument") is not None:
        policy = policy_document(params["PolicyDocument"])
    changes: Record = {"policy_document": policy}
    if endpoint_type == GATEWAY:
        _only(GATEWAY, params, ("AddSubnetIds", "AddSecurityGroupIds", "PrivateDnsEnabled"))
        changes["route_table_ids"] = await _modify_routes(ctx, record, params)
    else:
        _only(INTERFACE, params, ("AddRouteTableIds",))
        changes.update(await _modify_interfaces(ctx, record, params))
    changes["pending_until"] = clock.after(ctx, "vpc-endpoint-pending", clock.now())
    await records.mutate(ctx, VPCE, endpoint_id, lambda r: {**r, **changes})
    return {"Return": True}


async def _modify_routes(ctx: RequestContext, record: Record, params: Params) -> list[str]:
    endpoint_id = str(record["vpc_endpoint_id"])
    add = [t for t in _ids(params, "AddRouteTableIds") if t not in record["route_table_ids"]]
    remove = _ids(params, "RemoveRouteTableIds")
    await gateway.check_tables(ctx, record["vpc_id"], add)
    for table_id in remove:
        await records.get(ctx, gateway.RTB, table_id)
    service_list = prefix_lists.service_list(ctx.region, str(record["service_name"]))
    assert service_list is not None
    await gateway.add_routes(ctx, endpoint_id, service_list.prefix_list_id, add)
    await gateway.remove_routes(ctx, endpoint_id, remove)
    return [t for t in [*record["route_table_ids"], *add] if t not in remove]


async def _modify_interfaces(ctx: RequestContext, record: Record, params: Params) -> Record:
    endpoint_id = str(record["vpc_endpoint_id"])
    vpc = await records.get(ctx, VPC, record["vpc_id"])
    groups = [
        g for g in record["security_group_ids"] if g not in _ids(params, "RemoveSecurityGroupIds")
    ]
    groups += [g for g in _ids(params, "AddSecurityGroupIds") if g not in groups]
    groups, names = await network_interfaces.resolve_groups(ctx, vpc["vpc_id"], groups)
    by_subnet = await interface.interface_subnets(ctx, record["network_interface_ids"])
    remove = [s for s in _ids(params, "RemoveSubnetIds") if s in by_subnet]
    kept = [s for s in record["subnet_ids"] if s not in remove]
    keep_records = [await records.get(ctx, SUBNET, s) for s in kept]
    add = [s for s in _ids(params, "AddSubnetIds") if s not in kept]
    new_subnets = await interface.subnets(ctx, vpc["vpc_id"], add, keep=keep_records)
    private_dns = bool(record["private_dns_enabled"])
    if params.get("PrivateDnsEnabled") is not None:
        private_dns = bool(params["PrivateDnsEnabled"])
        if private_dns and not record["private_dns_enabled"]:
            await _check_private_dns(ctx, vpc, str(record["service_name"]), endpoint_id)
    created = await interface.create_interfaces(ctx, endpoint_id, new_subnets, groups)
    await interface.delete_interfaces(ctx, [by_subnet[s] for s in remove])
    eni_ids = [
        e for e in record["network_interface_ids"] if e not in {by_subnet[s] for s in remove}
    ]
    await interface.set_groups(ctx, eni_ids, groups, names)
    return {
        "security_group_ids": groups,
        "subnet_ids": [*kept, *(str(s["subnet_id"]) for s in new_subnets)],
        "network_interface_ids": [*eni_ids, *created],
        "private_dns_enabled": private_dns,
    }


# --- delete and describe --------------------------------------------------------------------


@action("DeleteVpcEndpoints")
async def delete_vpc_endpoints(ctx: RequestContext, params: Params) -> Result:
    """``deleting`` (routes and interfaces go at once), then gone; an unknown id is an
    ``Unsuccessful`` item (``InvalidVpcEndpoint.NotFound``), never an error of the call."""
    unsuccessful: list[Record] = []
    for endpoint_id in dict.fromkeys(str(i) for i in params["VpcEndpointIds"]):
        found = (
            await records.find(ctx, VPCE, endpoint_id) if endpoint_id.startswith("vpce-") else None
        )
        if found is None:
            unsuccessful.append(
                {
                    "Error": {
                        "Code": "InvalidVpcEndpoint.NotFound",
                        "Message": f"The VPC Endpoint Id '{endpoint_id}' does not exist",
                    },
                    "ResourceId": endpoint_id,
                }
            )
            continue
        if found.get("deleted_at"):
            continue
        marked = await records.mutate(ctx, VPCE, endpoint_id, _mark_deleting(ctx))
        assert marked is not None
        await _release(ctx, marked)
    return {"Unsuccessful": unsuccessful}


def _mark_deleting(ctx: RequestContext) -> Callable[[Record], Record]:
    now = clock.now()
    until = clock.parse_time(clock.after(ctx, "vpc-endpoint-deleting", now))
    gone = clock.after(ctx, "vpc-endpoint-deleted-retention", until)
    return lambda r: {
        **r,
        "deleted_at": clock.stamp(now),
        "pending_until": clock.stamp(until),
        "gone_at": gone,
    }


@action("DescribeVpcEndpoints")
async def describe_vpc_endpoints(ctx: RequestContext, params: Params) -> Result:
    """The caller's endpoints (unknown ids: ``InvalidVpcEndpointId.NotFound``), filtered, paged."""
    wanted = [str(i) for i in params.get("VpcEndpointIds") or ()]
    stored = await describe.stored_records(
        ctx, VPCE, params, wanted, VPC_ENDPOINT_FILTERS, live_only=False
    )
    now = clock.now()
    shown = []
    for record in stored:
        if api_state(record, now) is None:  # gone: purged
            await records.delete(ctx, VPCE, str(record["vpc_endpoint_id"]))
        else:
            shown.append(record)
    items = await render_all(ctx, shown)
    return describe.describe_items(
        items,
        params,
        kind=VPCE,
        id_member="VpcEndpointId",
        ids_param="VpcEndpointIds",
        result_key="VpcEndpoints",
        spec=VPC_ENDPOINT_FILTERS,
    )


@action("DescribeVpcEndpointServices")
async def describe_vpc_endpoint_services(ctx: RequestContext, params: Params) -> Result:
    """The region's endpoint services (``ServiceNames`` must exist: ``InvalidServiceName``)."""
    wanted = [str(n) for n in params.get("ServiceNames") or []]
    for name in wanted:
        if not services.find(ctx.region, name):
            raise invalid_service(name)
    regions = [str(r) for r in params.get("ServiceRegions") or []]
    zone_names = [str(z["ZoneName"]) for z in zones.zones(ctx)]
    details = [
        services.service_detail(s, zone_names)
        for s in services.services(ctx.region)
        if (not wanted or s.name in wanted) and (not regions or s.region in regions)
    ]
    filtered = apply_filters(SERVICE_FILTERS, params.get("Filters"), details)
    page = paginate(
        filtered,
        params,
        key=lambda d: f"{d['ServiceName']}\x00{d['ServiceType'][0]['ServiceType']}",
    )
    names = sorted({str(d["ServiceName"]) for d in page.items})
    return {"ServiceDetails": page.items, "ServiceNames": names, **page.token_member()}


@action("DescribeVpcEndpointConnections")
async def describe_vpc_endpoint_connections(ctx: RequestContext, params: Params) -> Result:
    """Connections to endpoint services the caller owns: none (it can own none here)."""
    connections = apply_filters(CONNECTION_FILTERS, params.get("Filters"), [])
    page = paginate(connections, params, key=lambda c: str(c.get("VpcEndpointId")))
    return {"VpcEndpointConnections": page.items, **page.token_member()}
