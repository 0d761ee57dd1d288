"""``aws_vpc_endpoint`` (``vpc_endpoint.go``): create with a random ClientToken, then wait
``pending → available`` (or ``pendingAcceptance``); read = ``findVPCEndpointByID`` (``deleted``
is gone), the service's prefix list by name (``DescribePrefixLists``; gone → no
``cidr_blocks``) and each interface of ``NetworkInterfaceIds`` (``subnet_configuration``);
update = one ``ModifyVpcEndpoint`` with the added/removed route tables, subnets and groups,
then the same waiter; delete = ``DeleteVpcEndpoints`` (an ``Unsuccessful`` item other than
``InvalidVpcEndpoint.NotFound`` is an error) and wait until gone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.conformance.runner import ApiError, Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out, update_tags
from hive_gateway.conformance.terraform.config import Obj, State

GONE: Final = ("InvalidVpcEndpointId.NotFound",)
DELETE_GONE: Final = "InvalidVpcEndpoint.NotFound"


@dataclass(frozen=True)
class VpcEndpointConfig:
    """The resource's arguments."""

    vpc_id: str
    service_name: str
    vpc_endpoint_type: str = "Gateway"
    route_table_ids: frozenset[str] = frozenset()
    subnet_ids: frozenset[str] = frozenset()
    security_group_ids: frozenset[str] = frozenset()
    private_dns_enabled: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def find_vpc_endpoint(h: Harness, endpoint_id: str) -> Obj:
    """``findVPCEndpointByID``: the one endpoint, ``deleted`` is gone."""
    found = h.find(
        "DescribeVpcEndpoints",
        "VpcEndpoints",
        not_found_codes=GONE,
        id_field="VpcEndpointId",
        expected_id=endpoint_id,
        VpcEndpointIds=[endpoint_id],
    )
    if found.get("State") == "deleted":
        raise NotFound(f"VPC endpoint {endpoint_id}", "deleted")
    return found


def _wait(h: Harness, endpoint_id: str, pending: tuple[str, ...], target: tuple[str, ...]) -> None:
    def refresh() -> tuple[Obj | None, str]:
        try:
            found = find_vpc_endpoint(h, endpoint_id)
        except NotFound:
            return None, ""
        return found, str(found.get("State"))

    wait_for_state(
        refresh,
        pending=pending,
        target=target,
        what=f"VPC endpoint {endpoint_id}",
        timeout=h.timeout,
        poll=h.poll,
    )


def _wait_available(h: Harness, endpoint_id: str) -> None:
    _wait(h, endpoint_id, ("pending",), ("available", "pendingAcceptance"))


def create_vpc_endpoint(h: Harness, config: VpcEndpointConfig) -> tuple[str, State]:
    """Create (random ClientToken), wait for ``available``, Read."""
    params: Obj = {
        "ClientToken": str(uuid.uuid4()),
        "PrivateDnsEnabled": config.private_dns_enabled,
        "ServiceName": config.service_name,
        "VpcEndpointType": config.vpc_endpoint_type,
        "VpcId": config.vpc_id,
        **tag_specifications("vpc-endpoint", config.tags),
    }
    for member, values in (
        ("RouteTableIds", config.route_table_ids),
        ("SecurityGroupIds", config.security_group_ids),
        ("SubnetIds", config.subnet_ids),
    ):
        if values:
            params[member] = sorted(values)
    response = h.call("CreateVpcEndpoint", **params)
    assert response is not None
    endpoint_id = str(response["VpcEndpoint"]["VpcEndpointId"])
    _wait_available(h, endpoint_id)
    return endpoint_id, read_vpc_endpoint(h, endpoint_id)


def read_vpc_endpoint(h: Harness, endpoint_id: str) -> State:
    """Every attribute the provider sets, from the three reads it makes."""
    found = find_vpc_endpoint(h, endpoint_id)
    service = str(found.get("ServiceName"))
    try:
        prefix_list: Obj | None = h.find(
            "DescribePrefixLists",
            "PrefixLists",
            not_found_codes=("InvalidPrefixListId.NotFound",),
            Filters=[{"Name": "prefix-list-name", "Values": [service]}],
        )
    except NotFound:
        prefix_list = None
    subnets = []
    for eni_id in found.get("NetworkInterfaceIds") or []:
        eni = h.find(
            "DescribeNetworkInterfaces",
            "NetworkInterfaces",
            not_found_codes=("InvalidNetworkInterfaceID.NotFound",),
            NetworkInterfaceIds=[eni_id],
        )
        subnets.append((eni.get("SubnetId"), eni.get("PrivateIpAddress")))
    return {
        "id": endpoint_id,
        "cidr_blocks": (prefix_list or {}).get("Cidrs"),
        "dns_entry": [e.get("DnsName") for e in found.get("DnsEntries") or []],
        "network_interface_ids": sorted(found.get("NetworkInterfaceIds") or []),
        "policy": found.get("PolicyDocument"),
        "prefix_list_id": (prefix_list or {}).get("PrefixListId"),
        "private_dns_enabled": found.get("PrivateDnsEnabled"),
        "route_table_ids": sorted(found.get("RouteTableIds") or []),
        "security_group_ids": sorted(g["GroupId"] for g in found.get("Groups") or []),
        "service_name": service,
        "state": found.get("State"),
        "subnet_configuration": sorted(subnets),
        "subnet_ids": sorted(found.get("SubnetIds") or []),
        "vpc_endpoint_type": found.get("VpcEndpointType"),
        "vpc_id": found.get("VpcId"),
        "tags": tags_out(found.get("Tags")),
    }


def update_vpc_endpoint(
    h: Harness, endpoint_id: str, old: VpcEndpointConfig, new: VpcEndpointConfig
) -> State:
    """One ``ModifyVpcEndpoint`` with the set differences, then wait for ``available``."""
    params: Obj = {"VpcEndpointId": endpoint_id}
    for suffix, attribute in (
        ("RouteTableIds", "route_table_ids"),
        ("SecurityGroupIds", "security_group_ids"),
        ("SubnetIds", "subnet_ids"),
    ):
        before, after = getattr(old, attribute), getattr(new, attribute)
        if after - before:
            params[f"Add{suffix}"] = sorted(after - before)
        if before - after:
            params[f"Remove{suffix}"] = sorted(before - after)
    if new.private_dns_enabled != old.private_dns_enabled:
        params["PrivateDnsEnabled"] = new.private_dns_enabled
    if len(params) > 1:
        h.call("ModifyVpcEndpoint", **params)
        _wait_available(h, endpoint_id)
    update_tags(h, endpoint_id, old.tags, new.tags)
    return read_vpc_endpoint(h, endpoint_id)


def delete_vpc_endpoint(h: Harness, endpoint_id: str) -> None:
    """Delete; an ``Unsuccessful`` item fails unless it says the endpoint is gone; wait."""
    response = h.call("DeleteVpcEndpoints", VpcEndpointIds=[endpoint_id])
    assert response is not None
    for item in response.get("Unsuccessful") or []:
        code = str(item.get("Error", {}).get("Code", ""))
        if code == DELETE_GONE:
            return
        raise ApiError("DeleteVpcEndpoints", code, str(item.get("Error", {}).get("Message", "")))
    _wait(h, endpoint_id, ("deleting", "deleted"), ())
