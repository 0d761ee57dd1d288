"""``aws_vpc`` (``vpc_.go``): CreateVpc with its ``available`` waiter, the IPv6 association
waiter, one ``ModifyVpcAttribute`` + ``waitVPCAttributeUpdated`` per attribute that differs from
the assumed defaults; Read is DescribeVpcs, 3× DescribeVpcAttribute and the default NACL / main
route table / default security group lookups (a failed lookup only leaves the attribute empty);
Delete retries ``DependencyViolation`` then polls until NotFound."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from hive_gateway.conformance.runner import ApiError, Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.common import (
    arn_of,
    attribute_filters,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import DefaultVpcConfig, Obj, State, VpcConfig
from hive_gateway.conformance.terraform.finders import (
    VPC_GONE,
    find,
    find_member,
    retry_new,
    retry_until_not_found,
    status,
)

VPC_ATTRIBUTES: Final = (
    ("enableDnsHostnames", "EnableDnsHostnames", "enable_dns_hostnames"),
    ("enableDnsSupport", "EnableDnsSupport", "enable_dns_support"),
    (
        "enableNetworkAddressUsageMetrics",
        "EnableNetworkAddressUsageMetrics",
        "enable_network_address_usage_metrics",
    ),
)
"""(Attribute value, response member, state attribute), in the provider's order."""

AMAZON_IPV6_POOL: Final = "Amazon"


def find_vpc_attribute(h: Harness, vpc_id: str, attribute: str) -> bool:
    """``findVPCAttribute``: a missing attribute struct is EmptyResult (a Read error)."""
    member = attribute[0].upper() + attribute[1:]
    try:
        response = h.call("DescribeVpcAttribute", Attribute=attribute, VpcId=vpc_id)
    except ApiError as error:
        if error.code in VPC_GONE:
            h.calls[-1].tolerated = True
            raise NotFound(f"DescribeVpcAttribute({attribute})", error.code) from None
        raise
    assert response is not None
    value = response.get(member)
    if not isinstance(value, Mapping) or "Value" not in value:
        raise NotFound(f"DescribeVpcAttribute({attribute})", "empty")
    return bool(value["Value"])


def _wait_vpc_attribute(h: Harness, vpc_id: str, attribute: str, expected: bool) -> None:
    """``waitVPCAttributeUpdated``: poll until the value string is ``"true"``/``"false"``."""

    def refresh() -> tuple[Obj | None, str]:
        try:
            value = find_vpc_attribute(h, vpc_id, attribute)
        except NotFound:
            return None, ""
        return {"value": value}, str(value).lower()

    wait_for_state(
        refresh,
        pending=(),
        target=(str(expected).lower(),),
        what=f"VPC {vpc_id} attribute {attribute}",
        timeout=h.timeout,
        poll=h.poll,
    )


def modify_vpc_attribute(h: Harness, vpc_id: str, attribute: str, value: bool) -> None:
    """``ModifyVpcAttribute`` (one attribute per call) + ``waitVPCAttributeUpdated``."""
    member = attribute[0].upper() + attribute[1:]
    h.call("ModifyVpcAttribute", VpcId=vpc_id, **{member: {"Value": value}})
    _wait_vpc_attribute(h, vpc_id, attribute, value)


def modify_vpc_attributes(
    h: Harness, vpc_id: str, wanted: Mapping[str, bool], current: Mapping[str, bool]
) -> None:
    """One ``ModifyVpcAttribute`` + wait per attribute whose wanted value differs, in order."""
    for attribute, _, state_name in VPC_ATTRIBUTES:
        if wanted[state_name] != current[state_name]:
            modify_vpc_attribute(h, vpc_id, attribute, wanted[state_name])


def vpc_attribute_config(config: VpcConfig | DefaultVpcConfig, metrics: bool) -> dict[str, bool]:
    """The three attributes as configured (state names → values)."""
    return {
        "enable_dns_hostnames": config.enable_dns_hostnames,
        "enable_dns_support": config.enable_dns_support,
        "enable_network_address_usage_metrics": metrics,
    }


def create_vpc(h: Harness, config: VpcConfig) -> tuple[str, State]:
    """``resourceVPCCreate``: CreateVpc → wait available → (IPv6 association wait) → attribute
    modifications against the assumed defaults → Read."""
    response = h.call(
        "CreateVpc",
        retry_on=lambda e: (
            e.code == "UnsupportedOperation" and "is not monitored by IPAM" in e.message
        ),
        AmazonProvidedIpv6CidrBlock=config.assign_generated_ipv6_cidr_block,
        InstanceTenancy=config.instance_tenancy,
        CidrBlock=config.cidr_block,
        **tag_specifications("vpc", config.tags),
    )
    assert response is not None
    vpc_id = str(response["Vpc"]["VpcId"])
    associations = response["Vpc"].get("Ipv6CidrBlockAssociationSet") or []
    ipv6_association_id = str(associations[0].get("AssociationId", "")) if associations else ""
    wait_for_state(
        status(lambda: find(h, "vpc", vpc_id), lambda v: str(v.get("State", ""))),
        pending=("pending",),
        target=("available",),
        what=f"VPC {vpc_id} create",
        timeout=h.timeout,
        poll=h.poll,
    )
    if ipv6_association_id:
        wait_vpc_ipv6_association(h, ipv6_association_id)
    modify_vpc_attributes(
        h,
        vpc_id,
        vpc_attribute_config(config, config.enable_network_address_usage_metrics),
        {
            "enable_dns_hostnames": False,
            "enable_dns_support": True,
            "enable_network_address_usage_metrics": False,
        },
    )
    return vpc_id, retry_new(
        h, True, lambda: read_vpc(h, vpc_id, ipv6_association_id=ipv6_association_id)
    )


def wait_vpc_ipv6_association(h: Harness, association_id: str) -> None:
    """``waitVPCIPv6CIDRBlockAssociationCreated`` via the association-id filter."""

    def find_association() -> Obj:
        return find_member(
            h,
            "vpc",
            [{"Name": "ipv6-cidr-block-association.association-id", "Values": [association_id]}],
            "Ipv6CidrBlockAssociationSet",
            "AssociationId",
            association_id,
            f"IPv6 association {association_id}",
        )

    wait_for_state(
        status(find_association, lambda a: str(a["Ipv6CidrBlockState"]["State"])),
        pending=("associating", "disassociated", "failing"),
        target=("associated",),
        what=f"VPC IPv6 association {association_id}",
        timeout=h.timeout,
        poll=h.poll,
    )


def _lookup_logged(h: Harness, find: Callable[[], Obj], member: str) -> str:
    """VPC Read steps 5–7: a failed lookup is only logged and leaves the attribute empty."""
    try:
        return str(find().get(member, ""))
    except (NotFound, ApiError):
        return ""


def read_vpc(h: Harness, vpc_id: str, *, ipv6_association_id: str = "") -> State:
    """``resourceVPCRead``: DescribeVpcs, 3× DescribeVpcAttribute, default NACL / main route
    table / default SG lookups, IPv6 association."""
    vpc = find(h, "vpc", vpc_id)
    state: State = {
        "id": vpc_id,
        "arn": arn_of(h, str(vpc.get("OwnerId", "")), f"vpc/{vpc_id}"),
        "cidr_block": vpc.get("CidrBlock"),
        "dhcp_options_id": vpc.get("DhcpOptionsId"),
        "instance_tenancy": vpc.get("InstanceTenancy"),
        "owner_id": vpc.get("OwnerId"),
    }
    for attribute, _, state_name in VPC_ATTRIBUTES:
        state[state_name] = find_vpc_attribute(h, vpc_id, attribute)
    state["default_network_acl_id"] = _lookup_logged(
        h,
        lambda: h.find(
            "DescribeNetworkAcls",
            "NetworkAcls",
            Filters=attribute_filters({"default": "true", "vpc-id": vpc_id}),
        ),
        "NetworkAclId",
    )
    main = _lookup_logged(
        h,
        lambda: h.find(
            "DescribeRouteTables",
            "RouteTables",
            Filters=attribute_filters({"association.main": "true", "vpc-id": vpc_id}),
        ),
        "RouteTableId",
    )
    state["default_route_table_id"] = main
    state["main_route_table_id"] = main
    state["default_security_group_id"] = _lookup_logged(
        h,
        lambda: h.find(
            "DescribeSecurityGroups",
            "SecurityGroups",
            Filters=attribute_filters({"group-name": "default", "vpc-id": vpc_id}),
        ),
        "GroupId",
    )
    association = default_ipv6_association(vpc, ipv6_association_id)
    if association is None:
        state.update(
            assign_generated_ipv6_cidr_block=False,
            ipv6_association_id="",
            ipv6_cidr_block="",
            ipv6_cidr_block_network_border_group="",
            ipv6_ipam_pool_id="",
        )
    else:
        pool = str(association.get("Ipv6Pool", ""))
        state.update(
            assign_generated_ipv6_cidr_block=pool == AMAZON_IPV6_POOL,
            ipv6_association_id=association.get("AssociationId", ""),
            ipv6_cidr_block=association.get("Ipv6CidrBlock", ""),
            ipv6_cidr_block_network_border_group=association.get("NetworkBorderGroup", ""),
            ipv6_ipam_pool_id="" if pool == AMAZON_IPV6_POOL else pool,
        )
    state["tags"] = tags_out(vpc.get("Tags"))
    return state


def default_ipv6_association(vpc: Mapping[str, Any], preferred: str) -> Obj | None:
    """``defaultIPv6CIDRBlockAssociation``: an ``associated`` association, the stored one first.

    Like the provider, ``Ipv6CidrBlockState`` is dereferenced without a nil check (a missing
    element raises ``KeyError`` — the provider panics)."""
    chosen: Obj | None = None
    for association in vpc.get("Ipv6CidrBlockAssociationSet") or []:
        associated = association["Ipv6CidrBlockState"]["State"] == "associated"
        if associated and (chosen is None or association.get("AssociationId") == preferred):
            chosen = dict(association)
    return chosen


def update_vpc(
    h: Harness, vpc_id: str, old: VpcConfig, new: VpcConfig, *, ipv6_association_id: str = ""
) -> State:
    """Tags (interceptor), then one ``ModifyVpcAttribute`` + wait per changed attribute, then Read."""
    update_tags(h, vpc_id, old.tags, new.tags)
    modify_vpc_attributes(
        h,
        vpc_id,
        vpc_attribute_config(new, new.enable_network_address_usage_metrics),
        vpc_attribute_config(old, old.enable_network_address_usage_metrics),
    )
    return read_vpc(h, vpc_id, ipv6_association_id=ipv6_association_id)


def delete_vpc(h: Harness, vpc_id: str) -> None:
    """``DeleteVpc`` retried on ``DependencyViolation``; gone → done; then RetryUntilNotFound."""
    h.call("DeleteVpc", tolerate=VPC_GONE, retry_on=("DependencyViolation",), VpcId=vpc_id)
    retry_until_not_found(h, f"VPC {vpc_id} delete", lambda: find(h, "vpc", vpc_id))
