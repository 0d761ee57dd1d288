"""``aws_route_table``, ``aws_route`` and ``aws_route_table_association``
(``vpc_route_table.go``, ``vpc_route.go``, ``vpc_route_table_association.go``).

Routes are found by destination (CIDRs compared canonically) and flattened as
``resourceRouteTableRead`` does: ``local`` routes (unless configured), propagated routes and
``vpce-`` prefix-list routes are skipped; target fields are copied, ``vpce-`` gateways as
``vpc_endpoint_id``. A route set diff deletes, replaces, then creates, each with its waiter."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hive_gateway.conformance.runner import ApiError, Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import (
    arn_of,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import (
    Obj,
    RouteConfig,
    RouteSpec,
    RouteTableAssociationConfig,
    RouteTableConfig,
    State,
)
from hive_gateway.conformance.terraform.finders import (
    ASSOCIATION_GONE,
    RT_GONE,
    find,
    find_member,
    retry_new,
    status,
)

# --- aws_route_table / aws_route -------------------------------------------------------------------


def _same_destination(route: Mapping[str, Any], member: str, value: str) -> bool:
    actual = route.get(member)
    if not actual:
        return False
    if member == "DestinationPrefixListId":
        return bool(actual == value)
    try:
        return ipaddress.ip_network(str(actual), strict=False) == ipaddress.ip_network(
            value, strict=False
        )
    except ValueError:
        return bool(actual == value)


def find_route(h: Harness, route_table_id: str, spec: RouteSpec) -> Obj:
    """``FindRouteByIPv4/IPv6/PrefixListIDDestination`` (CIDRs compared canonically)."""
    member, value = spec.destination()
    table = find(h, "route-table", route_table_id)
    for route in table.get("Routes") or []:
        if _same_destination(route, member, value):
            return dict(route)
    raise NotFound(f"route {value} in {route_table_id}", "empty")


def wait_route_ready(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``waitRouteReady``: found → ``ready``, twice in a row, NotFoundChecks 1000."""
    wait_for_state(
        status(lambda: find_route(h, route_table_id, spec), lambda _: "ready"),
        pending=(),
        target=("ready",),
        what=f"route {spec.destination()[1]} ready",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
        continuous_target_occurence=2,
    )


def wait_route_deleted(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``waitRouteDeleted``: Pending ``ready`` → gone, twice in a row."""
    wait_for_state(
        status(lambda: find_route(h, route_table_id, spec), lambda _: "ready"),
        pending=("ready",),
        target=(),
        what=f"route {spec.destination()[1]} delete",
        timeout=h.timeout,
        poll=h.poll,
        continuous_target_occurence=2,
    )


def create_route_in_table(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``CreateRoute`` (retried on ``InvalidParameterException``/``InvalidTransitGatewayID.NotFound``)
    + ``waitRouteReady``."""
    member, value = spec.destination()
    h.call(
        "CreateRoute",
        retry_on=("InvalidParameterException", "InvalidTransitGatewayID.NotFound"),
        RouteTableId=route_table_id,
        **{member: value},
        **spec.target(),
    )
    wait_route_ready(h, route_table_id, spec)


def replace_route(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``ReplaceRoute`` (``gateway_id="local"`` → ``LocalTarget=true``) + ``waitRouteReady``."""
    member, value = spec.destination()
    target: Obj = {"LocalTarget": True} if spec.gateway_id == "local" else dict(spec.target())
    h.call("ReplaceRoute", RouteTableId=route_table_id, **{member: value}, **target)
    wait_route_ready(h, route_table_id, spec)


def delete_route_in_table(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``DeleteRoute`` (``InvalidRoute.NotFound`` ok) + ``waitRouteDeleted``."""
    member, value = spec.destination()
    h.call(
        "DeleteRoute",
        tolerate=("InvalidRoute.NotFound",),
        RouteTableId=route_table_id,
        **{member: value},
    )
    wait_route_deleted(h, route_table_id, spec)


def flatten_routes(
    h: Harness, table: Mapping[str, Any], configured_local: Iterable[str] = ()
) -> list[dict[str, str]]:
    """The ``route`` set as ``resourceRouteTableRead`` builds it (sorted for a stable state)."""
    local_destinations = set(configured_local)
    routes: list[dict[str, str]] = []
    for route in table.get("Routes") or []:
        gateway = str(route.get("GatewayId", ""))
        destination = str(
            route.get("DestinationCidrBlock")
            or route.get("DestinationIpv6CidrBlock")
            or route.get("DestinationPrefixListId")
            or ""
        )
        if gateway == "VpcLattice":
            continue
        if gateway == "local" and destination not in local_destinations:
            continue
        if route.get("Origin") == "EnableVgwRoutePropagation":
            continue
        if route.get("DestinationPrefixListId") and gateway.startswith("vpce-"):
            continue
        if route.get("NetworkInterfaceId"):
            interface = h.find_all(
                "DescribeNetworkInterfaces",
                "NetworkInterfaces",
                not_found_codes=("InvalidNetworkInterfaceID.NotFound",),
                NetworkInterfaceIds=[route["NetworkInterfaceId"]],
            )
            if interface:
                attachment = interface[0].get("Attachment") or {}
                owner = attachment.get("InstanceOwnerId")
                if owner and owner != interface[0].get("OwnerId"):
                    continue
        spec = RouteSpec(
            cidr_block=str(route.get("DestinationCidrBlock", "")),
            ipv6_cidr_block=str(route.get("DestinationIpv6CidrBlock", "")),
            destination_prefix_list_id=str(route.get("DestinationPrefixListId", "")),
            gateway_id="" if gateway.startswith("vpce-") else gateway,
            vpc_endpoint_id=gateway if gateway.startswith("vpce-") else "",
            egress_only_gateway_id=str(route.get("EgressOnlyInternetGatewayId", "")),
            nat_gateway_id=str(route.get("NatGatewayId", "")),
            network_interface_id=str(route.get("NetworkInterfaceId", "")),
            transit_gateway_id=str(route.get("TransitGatewayId", "")),
            vpc_peering_connection_id=str(route.get("VpcPeeringConnectionId", "")),
            carrier_gateway_id=str(route.get("CarrierGatewayId", "")),
            core_network_arn=str(route.get("CoreNetworkArn", "")),
            local_gateway_id=str(route.get("LocalGatewayId", "")),
        )
        routes.append(spec.as_state())
    return sorted(routes, key=lambda r: sorted(r.items()))


def _route_table_state(h: Harness, table: Mapping[str, Any], routes: Sequence[RouteSpec]) -> State:
    route_table_id = str(table.get("RouteTableId", ""))
    local = [r.destination()[1] for r in routes if r.gateway_id == "local"]
    return {
        "id": route_table_id,
        "arn": arn_of(h, str(table.get("OwnerId", "")), f"route-table/{route_table_id}"),
        "owner_id": table.get("OwnerId"),
        "propagating_vgws": sorted(
            str(v.get("GatewayId")) for v in table.get("PropagatingVgws") or []
        ),
        "route": flatten_routes(h, table, local),
        "vpc_id": table.get("VpcId"),
        "tags": {k: v for k, v in tags_out(table.get("Tags")).items() if k != "AmazonFSx"},
    }


def read_route_table(h: Harness, route_table_id: str, routes: Sequence[RouteSpec] = ()) -> State:
    """``resourceRouteTableRead`` (``routes``: the configured ones, for the ``local`` rule)."""
    return _route_table_state(h, find(h, "route-table", route_table_id), routes)


def create_route_table(h: Harness, config: RouteTableConfig) -> tuple[str, State]:
    """CreateRouteTable → ``waitRouteTableReady`` (found twice) → each route → Read."""
    response = h.call(
        "CreateRouteTable",
        ClientToken=str(uuid.uuid4()),
        VpcId=config.vpc_id,
        **tag_specifications("route-table", config.tags),
    )
    assert response is not None
    route_table_id = str(response["RouteTable"]["RouteTableId"])
    wait_for_state(
        status(lambda: find(h, "route-table", route_table_id), lambda _: "ready"),
        pending=(),
        target=("ready",),
        what=f"route table {route_table_id} create",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
        continuous_target_occurence=2,
    )
    for spec in config.routes or ():
        if spec.gateway_id == "local":
            find_route(h, route_table_id, spec)
        else:
            create_route_in_table(h, route_table_id, spec)
    return route_table_id, retry_new(
        h, True, lambda: read_route_table(h, route_table_id, config.routes or ())
    )


def _update_routes(
    h: Harness, route_table_id: str, old: Sequence[RouteSpec], new: Sequence[RouteSpec]
) -> None:
    """Route set diff by destination: removed → DeleteRoute + wait; same destination, new
    target → ReplaceRoute + wait; new destination → CreateRoute + wait."""
    old_by_destination = {spec.destination(): spec for spec in old}
    new_by_destination = {spec.destination(): spec for spec in new}
    for destination, spec in old_by_destination.items():
        if destination not in new_by_destination:
            delete_route_in_table(h, route_table_id, spec)
    for destination, spec in new_by_destination.items():
        previous = old_by_destination.get(destination)
        if previous is None:
            create_route_in_table(h, route_table_id, spec)
        elif previous != spec:
            replace_route(h, route_table_id, spec)


def update_route_table(
    h: Harness, route_table_id: str, old: RouteTableConfig, new: RouteTableConfig
) -> State:
    """Tags, then the route set diff (only when ``route`` is configured), then Read."""
    update_tags(h, route_table_id, old.tags, new.tags)
    if new.routes is not None:
        _update_routes(h, route_table_id, old.routes or (), new.routes)
    return read_route_table(h, route_table_id, new.routes or ())


def delete_route_table(h: Harness, route_table_id: str) -> None:
    """Describe (gone → done); disassociate **every** association + wait; DeleteRouteTable
    (gone ok, no DependencyViolation retry); ``waitRouteTableDeleted`` (2 NotFounds in a row)."""
    try:
        table = find(h, "route-table", route_table_id)
    except NotFound:
        return
    for association in table.get("Associations") or []:
        association_id = str(association["RouteTableAssociationId"])
        h.call("DisassociateRouteTable", tolerate=ASSOCIATION_GONE, AssociationId=association_id)
        wait_route_table_association_deleted(h, association_id)
    h.call("DeleteRouteTable", tolerate=RT_GONE, RouteTableId=route_table_id)
    wait_for_state(
        status(lambda: find(h, "route-table", route_table_id), lambda _: "ready"),
        pending=("ready",),
        target=(),
        what=f"route table {route_table_id} delete",
        timeout=h.timeout,
        poll=h.poll,
        continuous_target_occurence=2,
    )


def create_route(h: Harness, config: RouteConfig) -> State:
    """``resourceRouteCreate``: the pre-check (a ``CreateRoute``-origin route with the same
    destination → ``RouteAlreadyExists``), CreateRoute, ``waitRouteReady``, Read."""
    try:
        existing = find_route(h, config.route_table_id, config.route)
    except NotFound:
        existing = None
    if existing is not None and existing.get("Origin") == "CreateRoute":
        raise ApiError(
            "CreateRoute", "RouteAlreadyExists", f"route {config.route.destination()[1]} exists"
        )
    create_route_in_table(h, config.route_table_id, config.route)
    return retry_new(h, True, lambda: read_route(h, config))


def read_route(h: Harness, config: RouteConfig) -> State:
    """``resourceRouteRead``: the route found by destination in ``DescribeRouteTables``."""
    route = find_route(h, config.route_table_id, config.route)
    gateway = str(route.get("GatewayId", ""))
    return {
        "route_table_id": config.route_table_id,
        "carrier_gateway_id": route.get("CarrierGatewayId", ""),
        "core_network_arn": route.get("CoreNetworkArn", ""),
        "destination_cidr_block": route.get("DestinationCidrBlock", ""),
        "destination_ipv6_cidr_block": route.get("DestinationIpv6CidrBlock", ""),
        "destination_prefix_list_id": route.get("DestinationPrefixListId", ""),
        "egress_only_gateway_id": route.get("EgressOnlyInternetGatewayId", ""),
        "gateway_id": "" if gateway.startswith("vpce-") else gateway,
        "vpc_endpoint_id": gateway if gateway.startswith("vpce-") else "",
        "instance_id": route.get("InstanceId", ""),
        "instance_owner_id": route.get("InstanceOwnerId", ""),
        "local_gateway_id": route.get("LocalGatewayId", ""),
        "nat_gateway_id": route.get("NatGatewayId", ""),
        "network_interface_id": route.get("NetworkInterfaceId", ""),
        "origin": route.get("Origin", ""),
        "state": route.get("State", ""),
        "transit_gateway_id": route.get("TransitGatewayId", ""),
        "vpc_peering_connection_id": route.get("VpcPeeringConnectionId", ""),
    }


def update_route(h: Harness, old: RouteConfig, new: RouteConfig) -> State:
    """Target change: ``ReplaceRoute`` + ``waitRouteReady``, Read."""
    if old != new:
        replace_route(h, new.route_table_id, new.route)
    return read_route(h, new)


def delete_route(h: Harness, config: RouteConfig) -> None:
    """``DeleteRoute`` (retried on ``InvalidParameterException``; ``InvalidRoute.NotFound`` and
    "cannot remove local route" ok) + ``waitRouteDeleted``."""
    member, value = config.route.destination()
    h.call(
        "DeleteRoute",
        tolerate=lambda e: (
            e.code == "InvalidRoute.NotFound"
            or (e.code == "InvalidParameterValue" and "cannot remove local route" in e.message)
        ),
        retry_on=("InvalidParameterException",),
        RouteTableId=config.route_table_id,
        **{member: value},
    )
    wait_route_deleted(h, config.route_table_id, config.route)


# --- aws_route_table_association -------------------------------------------------------------------


def find_route_table_association(h: Harness, association_id: str) -> Obj:
    """``findRouteTableAssociationByID``: the association-id filter; ``disassociated`` is gone."""
    association = find_member(
        h,
        "route-table",
        [{"Name": "association.route-table-association-id", "Values": [association_id]}],
        "Associations",
        "RouteTableAssociationId",
        association_id,
        f"association {association_id}",
    )
    if (association.get("AssociationState") or {}).get("State") == "disassociated":
        raise NotFound(f"association {association_id}", "disassociated")
    return association


def _association_state(association: Mapping[str, Any]) -> str:
    """A nil ``AssociationState`` counts as ``associated``."""
    state = association.get("AssociationState")
    return str(state.get("State")) if isinstance(state, Mapping) else "associated"


def wait_route_table_association(h: Harness, association_id: str) -> None:
    """``waitRouteTableAssociationCreated/Updated``: Pending ``associating`` → ``associated``."""
    wait_for_state(
        status(lambda: find_route_table_association(h, association_id), _association_state),
        pending=("associating",),
        target=("associated",),
        what=f"route table association {association_id}",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
    )


def wait_route_table_association_deleted(h: Harness, association_id: str) -> None:
    """Pending ``disassociating|associated`` → gone."""
    wait_for_state(
        status(lambda: find_route_table_association(h, association_id), _association_state),
        pending=("disassociating", "associated"),
        target=(),
        what=f"route table association {association_id} delete",
        timeout=h.timeout,
        poll=h.poll,
    )


def create_route_table_association(
    h: Harness, config: RouteTableAssociationConfig
) -> tuple[str, State]:
    params: Obj = {"RouteTableId": config.route_table_id}
    if config.subnet_id:
        params["SubnetId"] = config.subnet_id
    if config.gateway_id:
        params["GatewayId"] = config.gateway_id
    response = h.call("AssociateRouteTable", retry_on=RT_GONE, **params)
    assert response is not None
    association_id = str(response["AssociationId"])
    wait_route_table_association(h, association_id)
    return association_id, retry_new(
        h, True, lambda: read_route_table_association(h, association_id)
    )


def read_route_table_association(h: Harness, association_id: str) -> State:
    association = find_route_table_association(h, association_id)
    return {
        "id": association_id,
        "gateway_id": association.get("GatewayId", ""),
        "route_table_id": association.get("RouteTableId", ""),
        "subnet_id": association.get("SubnetId", ""),
    }


def update_route_table_association(
    h: Harness,
    association_id: str,
    old: RouteTableAssociationConfig,
    new: RouteTableAssociationConfig,
) -> tuple[str, State]:
    """``ReplaceRouteTableAssociation`` → ``NewAssociationId`` (the new resource id) + wait;
    ``InvalidAssociationID.NotFound`` re-runs Create."""
    if old.route_table_id == new.route_table_id:
        return association_id, read_route_table_association(h, association_id)
    response = h.call(
        "ReplaceRouteTableAssociation",
        tolerate=ASSOCIATION_GONE,
        AssociationId=association_id,
        RouteTableId=new.route_table_id,
    )
    if response is None:
        return create_route_table_association(h, new)
    new_id = str(response["NewAssociationId"])
    wait_route_table_association(h, new_id)
    return new_id, read_route_table_association(h, new_id)


def delete_route_table_association(h: Harness, association_id: str) -> None:
    h.call("DisassociateRouteTable", tolerate=ASSOCIATION_GONE, AssociationId=association_id)
    wait_route_table_association_deleted(h, association_id)
