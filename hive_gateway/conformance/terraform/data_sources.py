"""The data sources the stacks read (``*_data_source.go``): ``aws_availability_zones``,
``aws_vpc``, ``aws_subnet``, ``aws_subnets``, ``aws_security_group``. Filters are built as the
provider builds them (attribute filters sorted, then ``tag:<Key>``); a singular data source fails
the plan (:class:`DataSourceError`) unless exactly one item matches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hive_gateway.conformance.runner import Harness
from hive_gateway.conformance.terraform.aws_subnet import flatten_subnet
from hive_gateway.conformance.terraform.aws_vpc import VPC_ATTRIBUTES, find_vpc_attribute
from hive_gateway.conformance.terraform.common import (
    arn_of,
    attribute_filters,
    region_of,
    tag_filters,
    tags_out,
)
from hive_gateway.conformance.terraform.config import Obj, State


class DataSourceError(Exception):
    """A data source read that fails the plan ("no matching …", "multiple … matched")."""


def _single_match(h: Harness, operation: str, key: str, what: str, **params: Any) -> Obj:
    items = h.find_all(operation, key, **params)
    if not items:
        raise DataSourceError(f"no matching {what} found")
    if len(items) > 1:
        raise DataSourceError(
            f"multiple {what}s matched; use additional constraints to reduce matches to a single {what}"
        )
    return items[0]


def read_data_availability_zones(h: Harness, *, state: str = "available") -> State:
    """``aws_availability_zones``: ``Filter state=<state>``; sorted by ``ZoneName`` client-side."""
    params: Obj = {}
    if state:
        params["Filters"] = [{"Name": "state", "Values": [state]}]
    response = h.call("DescribeAvailabilityZones", **params)
    assert response is not None
    zones = sorted(response.get("AvailabilityZones") or [], key=lambda z: str(z.get("ZoneName")))
    return {
        "id": region_of(h),
        "names": [z.get("ZoneName") for z in zones],
        "zone_ids": [z.get("ZoneId") for z in zones],
        "group_names": sorted({str(z.get("GroupName")) for z in zones}),
    }


def read_data_vpc(
    h: Harness,
    *,
    vpc_id: str = "",
    cidr_block: str = "",
    default: bool = False,
    tags: Mapping[str, str] | None = None,
) -> State:
    """``aws_vpc`` data source: ``DescribeVpcs([VpcIds], Filters=sorted[cidr, dhcp-options-id,
    isDefault ("true" only), state] + tag:K)`` — exactly one — then 3× DescribeVpcAttribute and the
    main route table lookup. ``CidrBlockState`` is dereferenced without a nil check."""
    params: Obj = {}
    if vpc_id:
        params["VpcIds"] = [vpc_id]
    filters = attribute_filters({"cidr": cidr_block, "isDefault": "true" if default else ""})
    filters += tag_filters(tags or {})
    if filters:
        params["Filters"] = filters
    vpc = _single_match(h, "DescribeVpcs", "Vpcs", "EC2 VPC", **params)
    found_id = str(vpc["VpcId"])
    state: State = {
        "id": found_id,
        "arn": arn_of(h, str(vpc.get("OwnerId", "")), f"vpc/{found_id}"),
        "cidr_block": vpc.get("CidrBlock"),
        "cidr_block_associations": [
            {
                "association_id": a.get("AssociationId"),
                "cidr_block": a.get("CidrBlock"),
                "state": a["CidrBlockState"]["State"],
            }
            for a in vpc.get("CidrBlockAssociationSet") or []
        ],
        "default": bool(vpc.get("IsDefault")),
        "dhcp_options_id": vpc.get("DhcpOptionsId"),
        "instance_tenancy": vpc.get("InstanceTenancy"),
        "owner_id": vpc.get("OwnerId"),
        "state": vpc.get("State"),
        "tags": tags_out(vpc.get("Tags")),
    }
    for attribute, _, state_name in VPC_ATTRIBUTES:
        state[state_name] = find_vpc_attribute(h, found_id, attribute)
    ipv6 = (vpc.get("Ipv6CidrBlockAssociationSet") or [{}])[0]
    state["ipv6_association_id"] = ipv6.get("AssociationId", "")
    state["ipv6_cidr_block"] = ipv6.get("Ipv6CidrBlock", "")
    main = h.find(
        "DescribeRouteTables",
        "RouteTables",
        Filters=attribute_filters({"association.main": "true", "vpc-id": found_id}),
    )
    state["main_route_table_id"] = main.get("RouteTableId")
    return state


def read_data_subnet(
    h: Harness,
    *,
    subnet_id: str = "",
    vpc_id: str = "",
    availability_zone: str = "",
    cidr_block: str = "",
    default_for_az: bool = False,
    tags: Mapping[str, str] | None = None,
) -> State:
    """``aws_subnet`` data source with the legacy camelCase filter names (``availabilityZone``,
    ``cidrBlock``, ``defaultForAz``), sorted, plus tag filters; exactly one match."""
    params: Obj = {}
    if subnet_id:
        params["SubnetIds"] = [subnet_id]
    filters = attribute_filters(
        {
            "availabilityZone": availability_zone,
            "cidrBlock": cidr_block,
            "defaultForAz": "true" if default_for_az else "",
            "vpc-id": vpc_id,
        }
    )
    filters += tag_filters(tags or {})
    if filters:
        params["Filters"] = filters
    subnet = _single_match(h, "DescribeSubnets", "Subnets", "EC2 Subnet", **params)
    state = flatten_subnet(h, subnet)
    state.update(
        available_ip_address_count=int(subnet.get("AvailableIpAddressCount") or 0),
        default_for_az=bool(subnet.get("DefaultForAz")),
        state=subnet.get("State"),
    )
    return state


def read_data_subnets(
    h: Harness, *, filters: Sequence[Obj] = (), tags: Mapping[str, str] | None = None
) -> State:
    """``aws_subnets``: tag filters + custom filters, paginated; only ``SubnetId`` s are read."""
    params: Obj = {}
    all_filters = [*tag_filters(tags or {}), *filters]
    if all_filters:
        params["Filters"] = all_filters
    subnets = h.find_all("DescribeSubnets", "Subnets", **params)
    return {"id": region_of(h), "ids": sorted(str(s["SubnetId"]) for s in subnets)}


def read_data_security_group(
    h: Harness,
    *,
    group_id: str = "",
    name: str = "",
    vpc_id: str = "",
    tags: Mapping[str, str] | None = None,
) -> State:
    """``aws_security_group`` data source: ``Filters=sorted[group-name, vpc-id] + tag:K``;
    exactly one; ``OwnerId`` dereferenced (``KeyError`` where the provider panics)."""
    params: Obj = {}
    if group_id:
        params["GroupIds"] = [group_id]
    filters = attribute_filters({"group-name": name, "vpc-id": vpc_id}) + tag_filters(tags or {})
    if filters:
        params["Filters"] = filters
    group = _single_match(
        h, "DescribeSecurityGroups", "SecurityGroups", "EC2 Security Group", **params
    )
    found_id = str(group["GroupId"])
    return {
        "id": found_id,
        "arn": arn_of(h, str(group["OwnerId"]), f"security-group/{found_id}"),
        "description": group.get("Description"),
        "name": group.get("GroupName"),
        "vpc_id": group.get("VpcId"),
        "tags": tags_out(group.get("Tags")),
    }
