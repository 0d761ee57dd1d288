"""The Terraform AWS provider's exact call sequences for the VPC family, one function per phase.

Each resource has ``create_*`` (the provider's Create: request, waiters, follow-up modifications,
then Read), ``read_*`` (the attribute dict the provider puts in state, flattened as the provider
flattens it), ``update_*`` (tags first — ``DeleteTags`` with the old values, then ``CreateTags`` —
then the resource's own Update) and ``delete_*`` (the provider's Delete with its retries, gone-codes
and waiters). Data sources are ``read_data_*``. Sources: ``terraform-provider-calls.md`` §1–§9,
§17 and ``internal/service/ec2/vpc_network_acl*.go``, ``vpc_default_*.go``.

Every function takes a :class:`~hive_gateway.conformance.runner.Harness`; a resource that the
provider's finder decides is gone raises :class:`~hive_gateway.conformance.runner.NotFound`, any
error the provider does not tolerate raises :class:`~hive_gateway.conformance.runner.ApiError`, and
a waiter that would fail raises :class:`~hive_gateway.conformance.runner.WaitError`.

Flattening rules reproduced (they decide whether the next plan is empty):

* security group rules: ``securityGroupIPPermGather`` — one rule per (protocol, from, to,
  description), nil ports read as 0, protocol lower-cased but *not* renamed (the config side is
  normalised by ``protocolForValue``: ``6`` → ``tcp``, ``all`` → ``-1``), a group pair naming the
  group itself is ``self``;
* route table routes: ``local`` routes, propagated routes and ``vpce-`` prefix-list routes are
  skipped; target fields copied, ``vpce-`` gateways as ``vpc_endpoint_id``;
* IGW ``vpc_id`` from ``Attachments[0]``; EIGW ``vpc_id`` only for exactly one attachment whose
  state is ``attached``;
* subnet attributes including ``PrivateDnsNameOptionsOnLaunch`` (all nil when absent);
* network ACL entries: rules 32767/32768 skipped, protocol as its IANA number, absent ports and
  ICMP fields read as 0.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hive_gateway.conformance.runner import ApiError, Harness, NotFound, wait_for_state

Obj = dict[str, Any]
State = dict[str, Any]

# --- error codes the provider maps to "gone" (errors.go) ------------------------------------------

VPC_GONE: Final = ("InvalidVpcID.NotFound",)
SUBNET_GONE: Final = ("InvalidSubnetID.NotFound",)
SG_GONE: Final = ("InvalidGroup.NotFound", "InvalidSecurityGroupID.NotFound")
IGW_GONE: Final = ("InvalidInternetGatewayID.NotFound",)
RT_GONE: Final = ("InvalidRouteTableID.NotFound",)
NACL_GONE: Final = ("InvalidNetworkAclID.NotFound",)
DHCP_GONE: Final = ("InvalidDhcpOptionID.NotFound",)
ASSOCIATION_GONE: Final = ("InvalidAssociationID.NotFound",)

DEFAULT_ACL_RULES: Final = (32767, 32768)
"""``defaultACLRuleNumberIPv4/IPv6``: AWS's catch-all deny rules, never in state."""

AMAZON_IPV6_POOL: Final = "Amazon"

# --- configuration (what a .tf file would say) ----------------------------------------------------


@dataclass(frozen=True)
class SgRule:
    """One ``ingress``/``egress`` block of ``aws_security_group``."""

    protocol: str
    from_port: int = 0
    to_port: int = 0
    cidr_blocks: tuple[str, ...] = ()
    ipv6_cidr_blocks: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    self_ref: bool = False
    """The block's ``self = true``."""
    description: str = ""


@dataclass(frozen=True)
class RouteSpec:
    """A ``route`` block of ``aws_route_table`` (or the arguments of ``aws_route``)."""

    cidr_block: str = ""
    ipv6_cidr_block: str = ""
    destination_prefix_list_id: str = ""
    gateway_id: str = ""
    egress_only_gateway_id: str = ""
    nat_gateway_id: str = ""
    network_interface_id: str = ""
    transit_gateway_id: str = ""
    vpc_endpoint_id: str = ""
    vpc_peering_connection_id: str = ""
    carrier_gateway_id: str = ""
    core_network_arn: str = ""
    local_gateway_id: str = ""

    def destination(self) -> tuple[str, str]:
        """(API member, value) of the destination."""
        if self.cidr_block:
            return "DestinationCidrBlock", self.cidr_block
        if self.ipv6_cidr_block:
            return "DestinationIpv6CidrBlock", self.ipv6_cidr_block
        return "DestinationPrefixListId", self.destination_prefix_list_id

    def target(self) -> dict[str, str]:
        """The one target as API members (``gateway_id="local"`` is ``LocalTarget`` on replace)."""
        members = {
            "GatewayId": self.gateway_id,
            "EgressOnlyInternetGatewayId": self.egress_only_gateway_id,
            "NatGatewayId": self.nat_gateway_id,
            "NetworkInterfaceId": self.network_interface_id,
            "TransitGatewayId": self.transit_gateway_id,
            "VpcEndpointId": self.vpc_endpoint_id,
            "VpcPeeringConnectionId": self.vpc_peering_connection_id,
            "CarrierGatewayId": self.carrier_gateway_id,
            "CoreNetworkArn": self.core_network_arn,
            "LocalGatewayId": self.local_gateway_id,
        }
        return {key: value for key, value in members.items() if value}

    def as_state(self) -> dict[str, str]:
        """The route as the provider's route set element (unset fields are "")."""
        return {
            "cidr_block": self.cidr_block,
            "ipv6_cidr_block": self.ipv6_cidr_block,
            "destination_prefix_list_id": self.destination_prefix_list_id,
            "carrier_gateway_id": self.carrier_gateway_id,
            "core_network_arn": self.core_network_arn,
            "egress_only_gateway_id": self.egress_only_gateway_id,
            "gateway_id": self.gateway_id,
            "local_gateway_id": self.local_gateway_id,
            "nat_gateway_id": self.nat_gateway_id,
            "network_interface_id": self.network_interface_id,
            "transit_gateway_id": self.transit_gateway_id,
            "vpc_endpoint_id": self.vpc_endpoint_id,
            "vpc_peering_connection_id": self.vpc_peering_connection_id,
        }


@dataclass(frozen=True)
class NaclRule:
    """One ``ingress``/``egress`` block of ``aws_network_acl``."""

    rule_no: int
    protocol: str
    action: str
    cidr_block: str = ""
    ipv6_cidr_block: str = ""
    from_port: int = 0
    to_port: int = 0
    icmp_type: int = 0
    icmp_code: int = 0


@dataclass(frozen=True)
class VpcConfig:
    cidr_block: str
    tags: Mapping[str, str] = field(default_factory=dict)
    enable_dns_hostnames: bool = False
    enable_dns_support: bool = True
    enable_network_address_usage_metrics: bool = False
    assign_generated_ipv6_cidr_block: bool = False
    instance_tenancy: str = "default"


@dataclass(frozen=True)
class SubnetConfig:
    vpc_id: str
    cidr_block: str
    availability_zone: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    map_public_ip_on_launch: bool = False
    assign_ipv6_address_on_creation: bool = False
    enable_dns64: bool = False
    enable_resource_name_dns_a_record_on_launch: bool = False
    enable_resource_name_dns_aaaa_record_on_launch: bool = False
    private_dns_hostname_type_on_launch: str = ""
    """"" = not configured (Optional+Computed)."""


@dataclass(frozen=True)
class SecurityGroupConfig:
    name: str
    vpc_id: str
    description: str = "Managed by Terraform"
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InternetGatewayConfig:
    vpc_id: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EgressOnlyInternetGatewayConfig:
    vpc_id: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteTableConfig:
    vpc_id: str
    routes: tuple[RouteSpec, ...] | None = None
    """``None``: no ``route`` argument — the set is then Computed and routes added by
    ``aws_route`` resources are no diff (tables with inline routes must not be mixed with them)."""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteTableAssociationConfig:
    route_table_id: str
    subnet_id: str = ""
    gateway_id: str = ""


@dataclass(frozen=True)
class RouteConfig:
    route_table_id: str
    route: RouteSpec


@dataclass(frozen=True)
class NetworkAclConfig:
    vpc_id: str
    subnet_ids: tuple[str, ...] = ()
    ingress: tuple[NaclRule, ...] = ()
    egress: tuple[NaclRule, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultVpcConfig:
    tags: Mapping[str, str] = field(default_factory=dict)
    enable_dns_hostnames: bool = True
    enable_dns_support: bool = True


@dataclass(frozen=True)
class DefaultSubnetConfig:
    availability_zone: str
    tags: Mapping[str, str] = field(default_factory=dict)
    map_public_ip_on_launch: bool = True


@dataclass(frozen=True)
class DefaultSecurityGroupConfig:
    vpc_id: str
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultRouteTableConfig:
    default_route_table_id: str
    routes: tuple[RouteSpec, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultNetworkAclConfig:
    default_network_acl_id: str
    subnet_ids: tuple[str, ...] = ()
    ingress: tuple[NaclRule, ...] = ()
    egress: tuple[NaclRule, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultDhcpOptionsConfig:
    tags: Mapping[str, str] = field(default_factory=dict)


# --- shared helpers -------------------------------------------------------------------------------


def attribute_filters(values: Mapping[str, str]) -> list[Obj]:
    """``newAttributeFilterList``: names sorted, filters with an empty value dropped."""
    return [{"Name": name, "Values": [values[name]]} for name in sorted(values) if values[name]]


def tag_filters(tags: Mapping[str, str]) -> list[Obj]:
    """``newTagFilterList``: one ``tag:<Key>`` filter per tag (sorted here for determinism)."""
    return [{"Name": f"tag:{key}", "Values": [tags[key]]} for key in sorted(tags)]


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> Obj:
    """``getTagSpecificationsIn``: the parameter is omitted entirely when there are no tags."""
    if not tags:
        return {}
    return {
        "TagSpecifications": [
            {
                "ResourceType": resource_type,
                "Tags": [{"Key": key, "Value": tags[key]} for key in sorted(tags)],
            }
        ]
    }


def tags_out(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``setTagsOut`` through the interceptor: ``aws:*`` keys dropped."""
    return {
        str(t["Key"]): str(t.get("Value", ""))
        for t in tags or ()
        if not str(t["Key"]).startswith("aws:")
    }


def update_tags(
    h: Harness, resource_id: str, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    """``updateTags``: ``DeleteTags`` of removed keys *with their old values*, then ``CreateTags``
    of added and changed keys; no call when nothing changed."""
    removed = {k: v for k, v in old.items() if k not in new}
    if removed:
        h.call(
            "DeleteTags",
            Resources=[resource_id],
            Tags=[{"Key": k, "Value": removed[k]} for k in sorted(removed)],
        )
    updated = {k: v for k, v in new.items() if old.get(k) != v}
    if updated:
        h.call(
            "CreateTags",
            Resources=[resource_id],
            Tags=[{"Key": k, "Value": updated[k]} for k in sorted(updated)],
        )


def _region(h: Harness) -> str:
    return str(h.client.meta.region_name)


def _arn(h: Harness, owner: str, resource: str) -> str:
    return f"arn:aws:ec2:{_region(h)}:{owner}:{resource}"


def _retry_new(h: Harness, new: bool, read: Callable[[], State]) -> State:
    """``RetryWhenNewResourceNotFound``: right after Create, NotFound is retried until the deadline."""
    if not new:
        return read()
    last: NotFound | None = None

    def attempt() -> tuple[State | None, str]:
        nonlocal last
        try:
            return read(), "found"
        except NotFound as exc:
            last = exc
            return None, ""

    result = wait_for_state(
        attempt,
        pending=(),
        target=("found",),
        what="read new resource",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=10**9,
    )
    if result is None:  # pragma: no cover - target is non-empty
        raise last or NotFound("read", "empty")
    return result


def retry_until_not_found(h: Harness, what: str, find: Callable[[], object]) -> None:
    """``tfresource.RetryUntilNotFound``: poll the finder until it reports NotFound."""
    wait_for_state(
        lambda: (_found_or_none(find), "found"),
        pending=("found",),
        target=(),
        what=what,
        timeout=h.timeout,
        poll=h.poll,
    )


def _found_or_none(find: Callable[[], object]) -> object | None:
    try:
        return find()
    except NotFound:
        return None


def _status(
    find: Callable[[], Obj], state: Callable[[Obj], str]
) -> Callable[[], tuple[Obj | None, str]]:
    """A provider ``statusX`` function: NotFound → ``(nil, "")``."""

    def refresh() -> tuple[Obj | None, str]:
        try:
            obj = find()
        except NotFound:
            return None, ""
        return obj, state(obj)

    return refresh


def _bool(value: Any) -> bool:
    return bool(value)


# --- aws_vpc ---------------------------------------------------------------------------------------

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


def find_vpc(h: Harness, vpc_id: str) -> Obj:
    """``findVPCByID``: ``DescribeVpcs(VpcIds=[id])`` — no id check."""
    return h.find("DescribeVpcs", "Vpcs", not_found_codes=VPC_GONE, VpcIds=[vpc_id])


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


def _modify_vpc_attributes(
    h: Harness, vpc_id: str, wanted: Mapping[str, bool], current: Mapping[str, bool]
) -> None:
    for attribute, _, state_name in VPC_ATTRIBUTES:
        if wanted[state_name] != current[state_name]:
            modify_vpc_attribute(h, vpc_id, attribute, wanted[state_name])


def _vpc_attribute_config(config: VpcConfig | DefaultVpcConfig, metrics: bool) -> dict[str, bool]:
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
        _status(lambda: find_vpc(h, vpc_id), lambda v: str(v.get("State", ""))),
        pending=("pending",),
        target=("available",),
        what=f"VPC {vpc_id} create",
        timeout=h.timeout,
        poll=h.poll,
    )
    if ipv6_association_id:
        wait_vpc_ipv6_association(h, ipv6_association_id)
    _modify_vpc_attributes(
        h,
        vpc_id,
        _vpc_attribute_config(config, config.enable_network_address_usage_metrics),
        {
            "enable_dns_hostnames": False,
            "enable_dns_support": True,
            "enable_network_address_usage_metrics": False,
        },
    )
    return vpc_id, _retry_new(
        h, True, lambda: read_vpc(h, vpc_id, ipv6_association_id=ipv6_association_id)
    )


def wait_vpc_ipv6_association(h: Harness, association_id: str) -> None:
    """``waitVPCIPv6CIDRBlockAssociationCreated`` via the association-id filter."""

    def find() -> Obj:
        vpc = h.find(
            "DescribeVpcs",
            "Vpcs",
            not_found_codes=VPC_GONE,
            Filters=[
                {"Name": "ipv6-cidr-block-association.association-id", "Values": [association_id]}
            ],
        )
        for association in vpc.get("Ipv6CidrBlockAssociationSet") or []:
            if association.get("AssociationId") == association_id:
                return dict(association)
        raise NotFound(f"IPv6 association {association_id}", "empty")

    wait_for_state(
        _status(find, lambda a: str(a["Ipv6CidrBlockState"]["State"])),
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
    vpc = find_vpc(h, vpc_id)
    state: State = {
        "id": vpc_id,
        "arn": _arn(h, str(vpc.get("OwnerId", "")), f"vpc/{vpc_id}"),
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
    _modify_vpc_attributes(
        h,
        vpc_id,
        _vpc_attribute_config(new, new.enable_network_address_usage_metrics),
        _vpc_attribute_config(old, old.enable_network_address_usage_metrics),
    )
    return read_vpc(h, vpc_id, ipv6_association_id=ipv6_association_id)


def delete_vpc(h: Harness, vpc_id: str) -> None:
    """``DeleteVpc`` retried on ``DependencyViolation``; gone → done; then RetryUntilNotFound."""
    h.call("DeleteVpc", tolerate=VPC_GONE, retry_on=("DependencyViolation",), VpcId=vpc_id)
    retry_until_not_found(h, f"VPC {vpc_id} delete", lambda: find_vpc(h, vpc_id))


# --- aws_default_vpc -------------------------------------------------------------------------------


def create_default_vpc(h: Harness, config: DefaultVpcConfig) -> tuple[str, State]:
    """``resourceDefaultVPCCreate`` for an existing default VPC: ``DescribeVpcs(isDefault=true)``,
    3× DescribeVpcAttribute, attribute modifications, tags via ``updateTags``, Read."""
    vpc = h.find(
        "DescribeVpcs",
        "Vpcs",
        not_found_codes=VPC_GONE,
        Filters=attribute_filters({"isDefault": "true"}),
    )
    vpc_id = str(vpc["VpcId"])
    current = {
        state_name: find_vpc_attribute(h, vpc_id, attribute)
        for attribute, _, state_name in VPC_ATTRIBUTES
    }
    # enable_network_address_usage_metrics is Optional+Computed: unset reads as false.
    _modify_vpc_attributes(h, vpc_id, _vpc_attribute_config(config, False), current)
    update_tags(h, vpc_id, tags_out(vpc.get("Tags")), config.tags)
    return vpc_id, _retry_new(h, True, lambda: read_vpc(h, vpc_id))


def delete_default_vpc(h: Harness, vpc_id: str) -> None:
    """``force_destroy = false``: nothing is called; the VPC only leaves the state."""


# --- aws_subnet ------------------------------------------------------------------------------------


def find_subnet(h: Harness, subnet_id: str) -> Obj:
    """``findSubnetByID``: ``DescribeSubnets(SubnetIds=[id])`` with the id check."""
    return h.find(
        "DescribeSubnets",
        "Subnets",
        not_found_codes=SUBNET_GONE,
        id_field="SubnetId",
        expected_id=subnet_id,
        SubnetIds=[subnet_id],
    )


def _private_dns(subnet: Mapping[str, Any]) -> Mapping[str, Any]:
    options = subnet.get("PrivateDnsNameOptionsOnLaunch")
    return options if isinstance(options, Mapping) else {}


SUBNET_BOOL_ATTRIBUTES: Final[tuple[tuple[str, str, Callable[[Mapping[str, Any]], Any]], ...]] = (
    (
        "assign_ipv6_address_on_creation",
        "AssignIpv6AddressOnCreation",
        lambda s: s.get("AssignIpv6AddressOnCreation"),
    ),
    ("enable_dns64", "EnableDns64", lambda s: s.get("EnableDns64")),
    (
        "enable_resource_name_dns_aaaa_record_on_launch",
        "EnableResourceNameDnsAAAARecordOnLaunch",
        lambda s: _private_dns(s).get("EnableResourceNameDnsAAAARecord"),
    ),
    (
        "enable_resource_name_dns_a_record_on_launch",
        "EnableResourceNameDnsARecordOnLaunch",
        lambda s: _private_dns(s).get("EnableResourceNameDnsARecord"),
    ),
    ("map_public_ip_on_launch", "MapPublicIpOnLaunch", lambda s: s.get("MapPublicIpOnLaunch")),
)
"""(state attribute, ModifySubnetAttribute member, how the waiter reads it), in the provider's
order (``MapPublicIpOnLaunch`` last)."""


def modify_subnet_attribute(
    h: Harness, subnet_id: str, member: str, value: bool | str, read: Callable[[Obj], Any]
) -> None:
    """``ModifySubnetAttribute(SubnetId, <one attribute>)`` then poll ``DescribeSubnets`` until the
    field reads the new value (the provider's per-attribute waiters)."""
    argument: Any = value if isinstance(value, str) else {"Value": value}
    h.call("ModifySubnetAttribute", SubnetId=subnet_id, **{member: argument})
    expected = value if isinstance(value, str) else str(value).lower()
    wait_for_state(
        _status(
            lambda: find_subnet(h, subnet_id),
            lambda s: str(read(s)) if isinstance(value, str) else str(bool(read(s))).lower(),
        ),
        pending=(),
        target=(expected,),
        what=f"subnet {subnet_id} {member}",
        timeout=h.timeout,
        poll=h.poll,
    )


def _subnet_wanted(config: SubnetConfig | DefaultSubnetConfig) -> dict[str, bool]:
    if isinstance(config, DefaultSubnetConfig):
        return {
            "assign_ipv6_address_on_creation": False,
            "enable_dns64": False,
            "enable_resource_name_dns_aaaa_record_on_launch": False,
            "enable_resource_name_dns_a_record_on_launch": False,
            "map_public_ip_on_launch": config.map_public_ip_on_launch,
        }
    return {
        "assign_ipv6_address_on_creation": config.assign_ipv6_address_on_creation,
        "enable_dns64": config.enable_dns64,
        "enable_resource_name_dns_aaaa_record_on_launch": config.enable_resource_name_dns_aaaa_record_on_launch,
        "enable_resource_name_dns_a_record_on_launch": config.enable_resource_name_dns_a_record_on_launch,
        "map_public_ip_on_launch": config.map_public_ip_on_launch,
    }


def _modify_subnet_on_create(
    h: Harness, subnet: Obj, config: SubnetConfig | DefaultSubnetConfig
) -> None:
    """``modifySubnetAttributesOnCreate``: only attributes whose configured value differs from
    the subnet the waiter returned, one call each; the private-DNS ones only when
    ``PrivateDnsNameOptionsOnLaunch`` is present; ``MapPublicIpOnLaunch`` last."""
    subnet_id = str(subnet["SubnetId"])
    wanted = _subnet_wanted(config)
    has_private_dns = isinstance(subnet.get("PrivateDnsNameOptionsOnLaunch"), Mapping)
    for state_name, member, read in SUBNET_BOOL_ATTRIBUTES:
        if "resource_name" in state_name and not has_private_dns:
            continue
        if wanted[state_name] != bool(read(subnet)):
            modify_subnet_attribute(h, subnet_id, member, wanted[state_name], read)
        if state_name == "enable_resource_name_dns_a_record_on_launch" and isinstance(
            config, SubnetConfig
        ):
            hostname = config.private_dns_hostname_type_on_launch
            if (
                has_private_dns
                and hostname
                and hostname != _private_dns(subnet).get("HostnameType")
            ):
                modify_subnet_attribute(
                    h,
                    subnet_id,
                    "PrivateDnsHostnameTypeOnLaunch",
                    hostname,
                    lambda s: _private_dns(s).get("HostnameType"),
                )


def create_subnet(h: Harness, config: SubnetConfig) -> tuple[str, State]:
    """``resourceSubnetCreate``: CreateSubnet → wait available → attribute modifications → Read."""
    params: Obj = {"VpcId": config.vpc_id, **tag_specifications("subnet", config.tags)}
    if config.availability_zone:
        params["AvailabilityZone"] = config.availability_zone
    params["CidrBlock"] = config.cidr_block
    response = h.call("CreateSubnet", **params)
    assert response is not None
    subnet_id = str(response["Subnet"]["SubnetId"])
    subnet = wait_for_state(
        _status(lambda: find_subnet(h, subnet_id), lambda s: str(s.get("State", ""))),
        pending=("pending",),
        target=("available",),
        what=f"subnet {subnet_id} create",
        timeout=h.timeout,
        poll=h.poll,
    )
    assert subnet is not None
    _modify_subnet_on_create(h, subnet, config)
    return subnet_id, _retry_new(h, True, lambda: read_subnet(h, subnet_id))


def flatten_subnet(h: Harness, subnet: Mapping[str, Any]) -> State:
    """The attributes ``resourceSubnetRead`` sets (ARN taken from the API)."""
    private_dns = subnet.get("PrivateDnsNameOptionsOnLaunch")
    state: State = {
        "id": subnet.get("SubnetId"),
        "arn": subnet.get("SubnetArn"),
        "assign_ipv6_address_on_creation": _bool(subnet.get("AssignIpv6AddressOnCreation")),
        "availability_zone": subnet.get("AvailabilityZone"),
        "availability_zone_id": subnet.get("AvailabilityZoneId"),
        "cidr_block": subnet.get("CidrBlock"),
        "customer_owned_ipv4_pool": subnet.get("CustomerOwnedIpv4Pool", ""),
        "enable_dns64": _bool(subnet.get("EnableDns64")),
        "enable_lni_at_device_index": int(subnet.get("EnableLniAtDeviceIndex") or 0),
        "ipv6_native": _bool(subnet.get("Ipv6Native")),
        "map_customer_owned_ip_on_launch": _bool(subnet.get("MapCustomerOwnedIpOnLaunch")),
        "map_public_ip_on_launch": _bool(subnet.get("MapPublicIpOnLaunch")),
        "outpost_arn": subnet.get("OutpostArn", ""),
        "owner_id": subnet.get("OwnerId"),
        "vpc_id": subnet.get("VpcId"),
        "ipv6_cidr_block": "",
        "ipv6_cidr_block_association_id": "",
    }
    for association in subnet.get("Ipv6CidrBlockAssociationSet") or []:
        # Dereferenced without a nil check by the provider.
        if association["Ipv6CidrBlockState"]["State"] == "associated":
            state["ipv6_cidr_block"] = association.get("Ipv6CidrBlock", "")
            state["ipv6_cidr_block_association_id"] = association.get("AssociationId", "")
            break
    if isinstance(private_dns, Mapping):
        state["enable_resource_name_dns_aaaa_record_on_launch"] = _bool(
            private_dns.get("EnableResourceNameDnsAAAARecord")
        )
        state["enable_resource_name_dns_a_record_on_launch"] = _bool(
            private_dns.get("EnableResourceNameDnsARecord")
        )
        state["private_dns_hostname_type_on_launch"] = private_dns.get("HostnameType")
    else:
        state["enable_resource_name_dns_aaaa_record_on_launch"] = None
        state["enable_resource_name_dns_a_record_on_launch"] = None
        state["private_dns_hostname_type_on_launch"] = None
    state["tags"] = tags_out(subnet.get("Tags"))
    return state


def read_subnet(h: Harness, subnet_id: str) -> State:
    """``resourceSubnetRead``."""
    return flatten_subnet(h, find_subnet(h, subnet_id))


def update_subnet(
    h: Harness,
    subnet_id: str,
    old: SubnetConfig | DefaultSubnetConfig,
    new: SubnetConfig | DefaultSubnetConfig,
) -> State:
    """Tags, then one ``ModifySubnetAttribute`` + waiter per changed attribute, then Read."""
    update_tags(h, subnet_id, old.tags, new.tags)
    before, after = _subnet_wanted(old), _subnet_wanted(new)
    for state_name, member, read in SUBNET_BOOL_ATTRIBUTES:
        if before[state_name] != after[state_name]:
            modify_subnet_attribute(h, subnet_id, member, after[state_name], read)
    return read_subnet(h, subnet_id)


def delete_lingering_enis(h: Harness, filter_name: str, value: str) -> None:
    """``deleteLingeringENIs``: only Lambda/Comprehend/DMS interfaces would be deleted."""
    interfaces = h.find_all(
        "DescribeNetworkInterfaces",
        "NetworkInterfaces",
        Filters=[{"Name": filter_name, "Values": [value]}],
    )
    for eni in interfaces:
        description = str(eni.get("Description", ""))
        requester = str(eni.get("RequesterId", ""))
        if (
            description.startswith("AWS Lambda VPC ENI")
            or requester.endswith(":Comprehend")
            or (description == "DMSNetworkInterface")
        ):
            h.call(
                "DeleteNetworkInterface",
                tolerate=("InvalidNetworkInterfaceID.NotFound",),
                NetworkInterfaceId=eni["NetworkInterfaceId"],
            )


def delete_subnet(h: Harness, subnet_id: str) -> None:
    """Lingering ENIs, then ``DeleteSubnet`` retried on ``DependencyViolation``; no waiter."""
    delete_lingering_enis(h, "subnet-id", subnet_id)
    h.call(
        "DeleteSubnet", tolerate=SUBNET_GONE, retry_on=("DependencyViolation",), SubnetId=subnet_id
    )


# --- aws_default_subnet ----------------------------------------------------------------------------


def create_default_subnet(h: Harness, config: DefaultSubnetConfig) -> tuple[str, State]:
    """``resourceDefaultSubnetCreate`` for an existing default subnet: ``DescribeSubnets`` with the
    legacy filters ``availabilityZone`` + ``defaultForAz``, modifications, tags, Read."""
    subnet = h.find(
        "DescribeSubnets",
        "Subnets",
        Filters=attribute_filters(
            {"availabilityZone": config.availability_zone, "defaultForAz": "true"}
        ),
    )
    subnet_id = str(subnet["SubnetId"])
    _modify_subnet_on_create(h, subnet, config)
    update_tags(h, subnet_id, tags_out(subnet.get("Tags")), config.tags)
    return subnet_id, _retry_new(h, True, lambda: read_subnet(h, subnet_id))


def delete_default_subnet(h: Harness, subnet_id: str) -> None:
    """``force_destroy = false``: nothing is called."""


# --- aws_security_group ----------------------------------------------------------------------------

SG_PROTOCOL_NUMBERS: Final = {"icmpv6": 58, "udp": 17, "tcp": 6, "icmp": 1, "all": -1}


def protocol_for_value(value: str) -> str:
    """``protocolForValue``: lower-case; ``all``/``-1`` → ``-1``; known numbers → names."""
    protocol = value.lower()
    if protocol in ("-1", "all"):
        return "-1"
    if protocol in SG_PROTOCOL_NUMBERS:
        return protocol
    try:
        number = int(protocol)
    except ValueError:
        return protocol
    for name, known in SG_PROTOCOL_NUMBERS.items():
        if known == number:
            return name
    return protocol


def find_security_group(h: Harness, group_id: str) -> Obj:
    """``findSecurityGroupByID``: gone on either NotFound code, empty, or a mismatched id."""
    return h.find(
        "DescribeSecurityGroups",
        "SecurityGroups",
        not_found_codes=SG_GONE,
        id_field="GroupId",
        expected_id=group_id,
        GroupIds=[group_id],
    )


Atom = tuple[str, int, int, str, str, str]
"""(protocol, from_port, to_port, description, source kind, source) — one rule per source, as
``securityGroupExpandRules`` produces and as the provider's rule matching compares."""


def config_atoms(rules: Iterable[SgRule]) -> set[Atom]:
    """The configured rules, normalised (``protocolForValue``) and expanded one per source."""
    atoms: set[Atom] = set()
    for rule in rules:
        protocol = protocol_for_value(rule.protocol)
        key = (protocol, rule.from_port, rule.to_port, rule.description)
        atoms.update((*key, "cidr_blocks", v) for v in rule.cidr_blocks)
        atoms.update((*key, "ipv6_cidr_blocks", v) for v in rule.ipv6_cidr_blocks)
        atoms.update((*key, "prefix_list_ids", v) for v in rule.prefix_list_ids)
        atoms.update((*key, "security_groups", v) for v in rule.security_groups)
        if rule.self_ref:
            atoms.add((*key, "self", "true"))
    return atoms


def state_atoms(rules: Iterable[Mapping[str, Any]]) -> set[Atom]:
    """Flattened state rules expanded the same way (protocol as the API returned it)."""
    atoms: set[Atom] = set()
    for rule in rules:
        key = (
            str(rule["protocol"]),
            int(rule["from_port"]),
            int(rule["to_port"]),
            str(rule["description"]),
        )
        for kind in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"):
            atoms.update((*key, kind, v) for v in rule.get(kind) or ())
        if rule.get("self"):
            atoms.add((*key, "self", "true"))
    return atoms


def gather_permissions(
    group_id: str, owner_id: str, permissions: Iterable[Mapping[str, Any]]
) -> list[Obj]:
    """``securityGroupIPPermGather``: one rule per (protocol, from, to, description); nil ports → 0;
    the protocol lower-cased as the API sent it; own group → ``self``; another account's group →
    ``"<UserId>/<GroupId>"``. Lists are sorted for a stable state."""
    rules: dict[tuple[str, int, int, str], Obj] = {}

    def rule_for(permission: Mapping[str, Any], description: str) -> Obj:
        protocol = str(permission.get("IpProtocol", "")).lower()
        from_port = int(permission.get("FromPort") or 0)
        to_port = int(permission.get("ToPort") or 0)
        key = (protocol, from_port, to_port, description)
        if key not in rules:
            rules[key] = {
                "protocol": protocol,
                "from_port": from_port,
                "to_port": to_port,
                "description": description,
                "cidr_blocks": [],
                "ipv6_cidr_blocks": [],
                "prefix_list_ids": [],
                "security_groups": [],
                "self": False,
            }
        return rules[key]

    for permission in permissions:
        for ip_range in permission.get("IpRanges") or []:
            rule_for(permission, str(ip_range.get("Description", "")))["cidr_blocks"].append(
                ip_range["CidrIp"]
            )
        for ip_range in permission.get("Ipv6Ranges") or []:
            rule_for(permission, str(ip_range.get("Description", "")))["ipv6_cidr_blocks"].append(
                ip_range["CidrIpv6"]
            )
        for prefix in permission.get("PrefixListIds") or []:
            rule_for(permission, str(prefix.get("Description", "")))["prefix_list_ids"].append(
                prefix["PrefixListId"]
            )
        for pair in permission.get("UserIdGroupPairs") or []:
            rule = rule_for(permission, str(pair.get("Description", "")))
            user = str(pair.get("UserId", ""))
            pair_id = str(pair.get("GroupId", ""))
            if user and user != owner_id:
                pair_id = f"{user}/{pair_id}"
            if pair_id == group_id:
                rule["self"] = True
            elif pair_id not in rule["security_groups"]:
                rule["security_groups"].append(pair_id)
    flattened = []
    for key in sorted(rules):
        rule = rules[key]
        for kind in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"):
            rule[kind] = sorted(rule[kind])
        flattened.append(rule)
    return flattened


def expand_permissions(group_id: str, atoms: Iterable[Atom]) -> list[Obj]:
    """``securityGroupCollapseRules`` + ``expandIPPerms``: atoms grouped by (protocol, ports,
    description) into ``IpPermission`` s; ports only when the protocol is not ``-1``; the
    description on every range; ``self`` as the group's own id."""
    grouped: dict[tuple[str, int, int, str], list[tuple[str, str]]] = {}
    for protocol, from_port, to_port, description, kind, source in atoms:
        grouped.setdefault((protocol, from_port, to_port, description), []).append((kind, source))
    permissions: list[Obj] = []
    for (protocol, from_port, to_port, description), sources in sorted(grouped.items()):
        permission: Obj = {"IpProtocol": protocol_for_value(protocol)}
        if permission["IpProtocol"] != "-1":
            permission["FromPort"] = from_port
            permission["ToPort"] = to_port
        described: Obj = {"Description": description} if description else {}
        pairs = [s for k, s in sorted(sources) if k == "security_groups"]
        if any(k == "self" for k, _ in sources):
            pairs.append(group_id)
        if pairs:
            expanded = []
            for name in pairs:
                owner, _, pair_id = name.rpartition("/")
                pair: Obj = {"GroupId": pair_id, **described}
                if owner:
                    pair["UserId"] = owner
                expanded.append(pair)
            permission["UserIdGroupPairs"] = expanded
        cidrs = [s for k, s in sorted(sources) if k == "cidr_blocks"]
        if cidrs:
            permission["IpRanges"] = [{"CidrIp": c, **described} for c in cidrs]
        ipv6 = [s for k, s in sorted(sources) if k == "ipv6_cidr_blocks"]
        if ipv6:
            permission["Ipv6Ranges"] = [{"CidrIpv6": c, **described} for c in ipv6]
        prefixes = [s for k, s in sorted(sources) if k == "prefix_list_ids"]
        if prefixes:
            permission["PrefixListIds"] = [{"PrefixListId": p, **described} for p in prefixes]
        permissions.append(permission)
    return permissions


def update_security_group_rules(
    h: Harness, group_id: str, direction: str, old: Iterable[SgRule], new: Iterable[SgRule]
) -> None:
    """``updateSecurityGroupRules``: revoke ``old − new`` first, then authorize ``new − old``."""
    before, after = config_atoms(old), config_atoms(new)
    suffix = "Egress" if direction == "egress" else "Ingress"
    removed = expand_permissions(group_id, before - after)
    added = expand_permissions(group_id, after - before)
    if removed:
        h.call(f"RevokeSecurityGroup{suffix}", GroupId=group_id, IpPermissions=removed)
    if added:
        h.call(f"AuthorizeSecurityGroup{suffix}", GroupId=group_id, IpPermissions=added)


def _sg_rule_update(
    h: Harness,
    group_id: str,
    old: tuple[tuple[SgRule, ...], tuple[SgRule, ...]],
    new: tuple[tuple[SgRule, ...], tuple[SgRule, ...]],
) -> None:
    """``resourceSecurityGroupUpdate``: DescribeSecurityGroups, then ingress and egress diffs."""
    find_security_group(h, group_id)
    if old[0] != new[0]:
        update_security_group_rules(h, group_id, "ingress", old[0], new[0])
    if old[1] != new[1]:
        update_security_group_rules(h, group_id, "egress", old[1], new[1])


def create_security_group(h: Harness, config: SecurityGroupConfig) -> tuple[str, State]:
    """``resourceSecurityGroupCreate``: create, wait (3 consecutive finds), revoke the default IPv4
    egress (any error fatal), revoke the default IPv6 egress (``InvalidPermission.NotFound`` and
    ``InvalidParameterValue`` "remote-ipv6-range" tolerated), Update (rules), Read."""
    response = h.call(
        "CreateSecurityGroup",
        GroupName=config.name,
        Description=config.description,
        VpcId=config.vpc_id,
        **tag_specifications("security-group", config.tags),
    )
    assert response is not None
    group_id = str(response["GroupId"])
    wait_for_state(
        _status(lambda: find_security_group(h, group_id), lambda _: "Created"),
        pending=(),
        target=("Created",),
        what=f"security group {group_id} create",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
        continuous_target_occurence=3,
    )
    h.call(
        "RevokeSecurityGroupEgress",
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    h.call(
        "RevokeSecurityGroupEgress",
        tolerate=lambda e: (
            e.code == "InvalidPermission.NotFound"
            or (e.code == "InvalidParameterValue" and "remote-ipv6-range" in e.message)
        ),
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
        ],
    )
    _sg_rule_update(h, group_id, ((), ()), (config.ingress, config.egress))
    return group_id, read_security_group(h, group_id)


def flatten_security_group(h: Harness, group: Mapping[str, Any]) -> State:
    """The attributes ``resourceSecurityGroupRead`` sets."""
    group_id = str(group.get("GroupId", ""))
    owner = str(group.get("OwnerId", ""))
    return {
        "id": group_id,
        "arn": _arn(h, owner, f"security-group/{group_id}"),
        "description": group.get("Description"),
        "name": group.get("GroupName"),
        "owner_id": group.get("OwnerId"),
        "vpc_id": group.get("VpcId"),
        "ingress": gather_permissions(group_id, owner, group.get("IpPermissions") or []),
        "egress": gather_permissions(group_id, owner, group.get("IpPermissionsEgress") or []),
        "tags": tags_out(group.get("Tags")),
    }


def read_security_group(h: Harness, group_id: str) -> State:
    """``resourceSecurityGroupRead`` (no RetryWhenNewResourceNotFound)."""
    return flatten_security_group(h, find_security_group(h, group_id))


def update_security_group(
    h: Harness,
    group_id: str,
    old: SecurityGroupConfig | DefaultSecurityGroupConfig,
    new: SecurityGroupConfig | DefaultSecurityGroupConfig,
) -> State:
    """Tags, then rule diffs (revoke before authorize), then Read."""
    update_tags(h, group_id, old.tags, new.tags)
    _sg_rule_update(h, group_id, (old.ingress, old.egress), (new.ingress, new.egress))
    return read_security_group(h, group_id)


def delete_security_group(h: Harness, group_id: str) -> None:
    """Lingering ENIs, ``DeleteSecurityGroup`` retried on ``DependencyViolation``/``InvalidGroup.InUse``
    (``InvalidGroup.NotFound`` → done), then RetryUntilNotFound."""
    delete_lingering_enis(h, "group-id", group_id)
    h.call(
        "DeleteSecurityGroup",
        tolerate=("InvalidGroup.NotFound",),
        retry_on=("DependencyViolation", "InvalidGroup.InUse"),
        GroupId=group_id,
    )
    retry_until_not_found(
        h, f"security group {group_id} delete", lambda: find_security_group(h, group_id)
    )


# --- aws_default_security_group --------------------------------------------------------------------


def force_revoke_security_group_rules(h: Harness, group_id: str) -> None:
    """``forceRevokeSecurityGroupRules(searchAll=false)``: the group and the groups its rules name,
    ``DescribeSecurityGroupRules(group-id=…)``, then one revoke per rule id (rule-id and group
    NotFound tolerated)."""
    group = find_security_group(h, group_id)
    related = [group_id]
    for permission in [
        *(group.get("IpPermissions") or []),
        *(group.get("IpPermissionsEgress") or []),
    ]:
        for pair in permission.get("UserIdGroupPairs") or []:
            if pair.get("GroupId") and pair["GroupId"] != group_id:
                related.append(str(pair["GroupId"]))
    rules = h.find_all(
        "DescribeSecurityGroupRules",
        "SecurityGroupRules",
        Filters=[{"Name": "group-id", "Values": related}],
    )
    for rule in rules:
        if not rule.get("GroupId"):
            continue
        referenced = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
        if rule["GroupId"] != group_id and referenced != group_id:
            continue
        operation = (
            "RevokeSecurityGroupEgress" if rule.get("IsEgress") else "RevokeSecurityGroupIngress"
        )
        h.call(
            operation,
            tolerate=("InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound"),
            GroupId=rule["GroupId"],
            SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]],
        )


def create_default_security_group(
    h: Harness, config: DefaultSecurityGroupConfig
) -> tuple[str, State]:
    """``resourceDefaultSecurityGroupCreate``: find ``default`` by name and VPC, tags, revoke every
    existing rule by id, then Update (authorize the configured rules) and Read."""
    group = h.find(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=[
            *attribute_filters({"group-name": "default"}),
            *attribute_filters({"vpc-id": config.vpc_id}),
        ],
    )
    group_id = str(group["GroupId"])
    update_tags(h, group_id, tags_out(group.get("Tags")), config.tags)
    force_revoke_security_group_rules(h, group_id)
    _sg_rule_update(h, group_id, ((), ()), (config.ingress, config.egress))
    return group_id, read_security_group(h, group_id)


def delete_default_security_group(h: Harness, group_id: str) -> None:
    """``schema.NoopContext``: nothing is called."""


# --- aws_internet_gateway --------------------------------------------------------------------------


def find_internet_gateway(h: Harness, igw_id: str) -> Obj:
    return h.find(
        "DescribeInternetGateways",
        "InternetGateways",
        not_found_codes=IGW_GONE,
        id_field="InternetGatewayId",
        expected_id=igw_id,
        InternetGatewayIds=[igw_id],
    )


def find_internet_gateway_attachment(h: Harness, igw_id: str, vpc_id: str) -> Obj:
    """``findInternetGatewayAttachment``: exactly one attachment, to ``vpc_id``."""
    gateway = find_internet_gateway(h, igw_id)
    attachments = gateway.get("Attachments") or []
    if len(attachments) != 1:
        raise NotFound(f"IGW {igw_id} attachment", "empty" if not attachments else "too many")
    if attachments[0].get("VpcId") != vpc_id:
        raise NotFound(f"IGW {igw_id} attachment", "id mismatch")
    return dict(attachments[0])


def attach_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    """``AttachInternetGateway`` (retried on the IGW's NotFound) + ``waitInternetGatewayAttached``:
    Pending ``attaching`` → Target **``available``** (``attached`` is an unexpected state)."""
    h.call("AttachInternetGateway", retry_on=IGW_GONE, InternetGatewayId=igw_id, VpcId=vpc_id)
    wait_for_state(
        _status(
            lambda: find_internet_gateway_attachment(h, igw_id, vpc_id),
            lambda a: str(a.get("State", "")),
        ),
        pending=("attaching",),
        target=("available",),
        what=f"IGW {igw_id} attach",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
    )


def detach_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    """``DetachInternetGateway`` (retried on ``DependencyViolation``; ``Gateway.NotAttached`` ok) +
    ``waitInternetGatewayDetached`` (Pending ``available|detaching`` → gone)."""
    h.call(
        "DetachInternetGateway",
        tolerate=("Gateway.NotAttached",),
        retry_on=("DependencyViolation",),
        InternetGatewayId=igw_id,
        VpcId=vpc_id,
    )
    wait_for_state(
        _status(
            lambda: find_internet_gateway_attachment(h, igw_id, vpc_id),
            lambda a: str(a.get("State", "")),
        ),
        pending=("available", "detaching"),
        target=(),
        what=f"IGW {igw_id} detach",
        timeout=h.timeout,
        poll=h.poll,
    )


def create_internet_gateway(h: Harness, config: InternetGatewayConfig) -> tuple[str, State]:
    response = h.call(
        "CreateInternetGateway", **tag_specifications("internet-gateway", config.tags)
    )
    assert response is not None
    igw_id = str(response["InternetGateway"]["InternetGatewayId"])
    if config.vpc_id:
        attach_internet_gateway(h, igw_id, config.vpc_id)
    return igw_id, _retry_new(h, True, lambda: read_internet_gateway(h, igw_id))


def read_internet_gateway(h: Harness, igw_id: str) -> State:
    """``vpc_id`` from ``Attachments[0].VpcId`` ("" without attachments)."""
    gateway = find_internet_gateway(h, igw_id)
    attachments = gateway.get("Attachments") or []
    return {
        "id": igw_id,
        "arn": _arn(h, str(gateway.get("OwnerId", "")), f"internet-gateway/{igw_id}"),
        "owner_id": gateway.get("OwnerId"),
        "vpc_id": attachments[0].get("VpcId", "") if attachments else "",
        "tags": tags_out(gateway.get("Tags")),
    }


def update_internet_gateway(
    h: Harness, igw_id: str, old: InternetGatewayConfig, new: InternetGatewayConfig
) -> State:
    update_tags(h, igw_id, old.tags, new.tags)
    if old.vpc_id != new.vpc_id:
        if old.vpc_id:
            detach_internet_gateway(h, igw_id, old.vpc_id)
        if new.vpc_id:
            attach_internet_gateway(h, igw_id, new.vpc_id)
    return read_internet_gateway(h, igw_id)


def delete_internet_gateway(h: Harness, igw_id: str, vpc_id: str) -> None:
    if vpc_id:
        detach_internet_gateway(h, igw_id, vpc_id)
    h.call(
        "DeleteInternetGateway",
        tolerate=IGW_GONE,
        retry_on=("DependencyViolation",),
        InternetGatewayId=igw_id,
    )


# --- aws_egress_only_internet_gateway --------------------------------------------------------------


def find_egress_only_internet_gateway(h: Harness, eigw_id: str) -> Obj:
    """No error code means gone here: only an empty list does (any error fails the refresh)."""
    return h.find(
        "DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways",
        id_field="EgressOnlyInternetGatewayId",
        expected_id=eigw_id,
        EgressOnlyInternetGatewayIds=[eigw_id],
    )


def create_egress_only_internet_gateway(
    h: Harness, config: EgressOnlyInternetGatewayConfig
) -> tuple[str, State]:
    """Create (random ClientToken), no waiter, Read."""
    response = h.call(
        "CreateEgressOnlyInternetGateway",
        ClientToken=str(uuid.uuid4()),
        VpcId=config.vpc_id,
        **tag_specifications("egress-only-internet-gateway", config.tags),
    )
    assert response is not None
    eigw_id = str(response["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"])
    return eigw_id, _retry_new(h, True, lambda: read_egress_only_internet_gateway(h, eigw_id))


def read_egress_only_internet_gateway(h: Harness, eigw_id: str) -> State:
    """``vpc_id`` only for exactly one attachment in state ``attached`` (else nil → replacement)."""
    gateway = find_egress_only_internet_gateway(h, eigw_id)
    attachments = gateway.get("Attachments") or []
    vpc_id = None
    if len(attachments) == 1 and attachments[0].get("State") == "attached":
        vpc_id = attachments[0].get("VpcId")
    return {"id": eigw_id, "vpc_id": vpc_id, "tags": tags_out(gateway.get("Tags"))}


def update_egress_only_internet_gateway(
    h: Harness,
    eigw_id: str,
    old: EgressOnlyInternetGatewayConfig,
    new: EgressOnlyInternetGatewayConfig,
) -> State:
    update_tags(h, eigw_id, old.tags, new.tags)
    return read_egress_only_internet_gateway(h, eigw_id)


def delete_egress_only_internet_gateway(h: Harness, eigw_id: str) -> None:
    h.call(
        "DeleteEgressOnlyInternetGateway",
        tolerate=("InvalidGatewayID.NotFound",),
        EgressOnlyInternetGatewayId=eigw_id,
    )


# --- aws_route_table / aws_route -------------------------------------------------------------------


def find_route_table(h: Harness, route_table_id: str) -> Obj:
    return h.find(
        "DescribeRouteTables",
        "RouteTables",
        not_found_codes=RT_GONE,
        id_field="RouteTableId",
        expected_id=route_table_id,
        RouteTableIds=[route_table_id],
    )


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
    table = find_route_table(h, route_table_id)
    for route in table.get("Routes") or []:
        if _same_destination(route, member, value):
            return dict(route)
    raise NotFound(f"route {value} in {route_table_id}", "empty")


def wait_route_ready(h: Harness, route_table_id: str, spec: RouteSpec) -> None:
    """``waitRouteReady``: found → ``ready``, twice in a row, NotFoundChecks 1000."""
    wait_for_state(
        _status(lambda: find_route(h, route_table_id, spec), lambda _: "ready"),
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
        _status(lambda: find_route(h, route_table_id, spec), lambda _: "ready"),
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
        "arn": _arn(h, str(table.get("OwnerId", "")), f"route-table/{route_table_id}"),
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
    return _route_table_state(h, find_route_table(h, route_table_id), routes)


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
        _status(lambda: find_route_table(h, route_table_id), lambda _: "ready"),
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
    return route_table_id, _retry_new(
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
        table = find_route_table(h, route_table_id)
    except NotFound:
        return
    for association in table.get("Associations") or []:
        association_id = str(association["RouteTableAssociationId"])
        h.call("DisassociateRouteTable", tolerate=ASSOCIATION_GONE, AssociationId=association_id)
        wait_route_table_association_deleted(h, association_id)
    h.call("DeleteRouteTable", tolerate=RT_GONE, RouteTableId=route_table_id)
    wait_for_state(
        _status(lambda: find_route_table(h, route_table_id), lambda _: "ready"),
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
    return _retry_new(h, True, lambda: read_route(h, config))


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
    table = h.find(
        "DescribeRouteTables",
        "RouteTables",
        not_found_codes=RT_GONE,
        Filters=[{"Name": "association.route-table-association-id", "Values": [association_id]}],
    )
    for association in table.get("Associations") or []:
        if association.get("RouteTableAssociationId") == association_id:
            state = (association.get("AssociationState") or {}).get("State")
            if state == "disassociated":
                raise NotFound(f"association {association_id}", "disassociated")
            return dict(association)
    raise NotFound(f"association {association_id}", "empty")


def _association_state(association: Mapping[str, Any]) -> str:
    """A nil ``AssociationState`` counts as ``associated``."""
    state = association.get("AssociationState")
    return str(state.get("State")) if isinstance(state, Mapping) else "associated"


def wait_route_table_association(h: Harness, association_id: str) -> None:
    """``waitRouteTableAssociationCreated/Updated``: Pending ``associating`` → ``associated``."""
    wait_for_state(
        _status(lambda: find_route_table_association(h, association_id), _association_state),
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
        _status(lambda: find_route_table_association(h, association_id), _association_state),
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
    return association_id, _retry_new(
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


# --- aws_default_route_table -----------------------------------------------------------------------


def create_default_route_table(h: Harness, config: DefaultRouteTableConfig) -> tuple[str, State]:
    """``resourceDefaultRouteTableCreate``: find by id, disable VGW propagation, delete every
    non-local, non-propagated, non-endpoint route (+ wait), add the configured routes, tag with
    ``CreateTags``, Read."""
    table = find_route_table(h, config.default_route_table_id)
    route_table_id = str(table["RouteTableId"])
    for vgw in table.get("PropagatingVgws") or []:
        h.call(
            "DisableVgwRoutePropagation", GatewayId=vgw["GatewayId"], RouteTableId=route_table_id
        )
    for route in table.get("Routes") or []:
        gateway = str(route.get("GatewayId", ""))
        if gateway == "local" or route.get("Origin") == "EnableVgwRoutePropagation":
            continue
        if route.get("DestinationPrefixListId") and gateway.startswith("vpce-"):
            continue
        spec = RouteSpec(
            cidr_block=str(route.get("DestinationCidrBlock", "")),
            ipv6_cidr_block=str(route.get("DestinationIpv6CidrBlock", "")),
            destination_prefix_list_id=str(route.get("DestinationPrefixListId", "")),
        )
        member, value = spec.destination()
        response = h.call(
            "DeleteRoute",
            tolerate=("InvalidRoute.NotFound",),
            RouteTableId=route_table_id,
            **{member: value},
        )
        if response is not None:
            wait_route_deleted(h, route_table_id, spec)
    for spec in config.routes:
        create_route_in_table(h, route_table_id, spec)
    if config.tags:
        h.call(
            "CreateTags",
            Resources=[route_table_id],
            Tags=[{"Key": k, "Value": config.tags[k]} for k in sorted(config.tags)],
        )
    state = _retry_new(h, True, lambda: read_route_table(h, route_table_id, config.routes))
    return route_table_id, {**state, "default_route_table_id": route_table_id}


def read_default_route_table(
    h: Harness, route_table_id: str, routes: Sequence[RouteSpec] = ()
) -> State:
    return {**read_route_table(h, route_table_id, routes), "default_route_table_id": route_table_id}


def delete_default_route_table(h: Harness, route_table_id: str) -> None:
    """Nothing is called: the table only leaves the state."""


# --- aws_network_acl -------------------------------------------------------------------------------

NACL_PROTOCOLS: Final = {"all": -1, "icmp": 1, "tcp": 6, "udp": 17, "ipv6-icmp": 58}
"""The part of the provider's IANA table this module needs (numbers pass through)."""


def nacl_protocol_number(protocol: str) -> int:
    """``networkACLProtocolNumber``."""
    try:
        return int(protocol)
    except ValueError:
        return NACL_PROTOCOLS[protocol]


NaclKey = tuple[int, str, int, str, str, int, int, int, int]
"""(rule_no, action lower, protocol number, cidr, ipv6 cidr, from, to, icmp type, icmp code)."""


def nacl_rule_key(rule: NaclRule | Mapping[str, Any]) -> NaclKey:
    """The identity the rule set hashes on (absent fields as zero values)."""
    if isinstance(rule, NaclRule):
        values: Mapping[str, Any] = rule.__dict__
    else:
        values = rule
    return (
        int(values.get("rule_no") or 0),
        str(values.get("action") or "").lower(),
        nacl_protocol_number(str(values.get("protocol"))),
        str(values.get("cidr_block") or ""),
        str(values.get("ipv6_cidr_block") or ""),
        int(values.get("from_port") or 0),
        int(values.get("to_port") or 0),
        int(values.get("icmp_type") or 0),
        int(values.get("icmp_code") or 0),
    )


def find_network_acl(h: Harness, acl_id: str) -> Obj:
    return h.find(
        "DescribeNetworkAcls",
        "NetworkAcls",
        not_found_codes=NACL_GONE,
        id_field="NetworkAclId",
        expected_id=acl_id,
        NetworkAclIds=[acl_id],
    )


def find_vpc_default_network_acl(h: Harness, vpc_id: str) -> Obj:
    """``FindVPCDefaultNetworkACL``: filters ``default=true``, ``vpc-id``."""
    return h.find(
        "DescribeNetworkAcls",
        "NetworkAcls",
        not_found_codes=NACL_GONE,
        Filters=attribute_filters({"default": "true", "vpc-id": vpc_id}),
    )


def find_network_acl_association_by_subnet(h: Harness, subnet_id: str) -> Obj:
    """``FindNetworkACLAssociationBySubnetID``: filter ``association.subnet-id``."""
    acl = h.find(
        "DescribeNetworkAcls",
        "NetworkAcls",
        not_found_codes=NACL_GONE,
        Filters=attribute_filters({"association.subnet-id": subnet_id}),
    )
    for association in acl.get("Associations") or []:
        if association.get("SubnetId") == subnet_id:
            return dict(association)
    raise NotFound(f"network ACL association of {subnet_id}", "empty")


def network_acl_association_create(h: Harness, acl_id: str, subnet_id: str) -> str:
    """``networkACLAssociationCreate``: replace the subnet's current association."""
    association = find_network_acl_association_by_subnet(h, subnet_id)
    response = h.call(
        "ReplaceNetworkAclAssociation",
        retry_on=ASSOCIATION_GONE,
        AssociationId=association["NetworkAclAssociationId"],
        NetworkAclId=acl_id,
    )
    assert response is not None
    return str(response["NewAssociationId"])


def network_acl_associations_delete(h: Harness, vpc_id: str, subnet_ids: Iterable[str]) -> None:
    """``networkACLAssociationsDelete``: each subnet goes back to the VPC's default ACL."""
    default_acl = find_vpc_default_network_acl(h, vpc_id)
    for subnet_id in subnet_ids:
        try:
            association = find_network_acl_association_by_subnet(h, subnet_id)
        except NotFound:
            continue
        h.call(
            "ReplaceNetworkAclAssociation",
            tolerate=ASSOCIATION_GONE,
            AssociationId=association["NetworkAclAssociationId"],
            NetworkAclId=default_acl["NetworkAclId"],
        )


def _create_entries(h: Harness, acl_id: str, rules: Iterable[NaclRule], egress: bool) -> None:
    """``createNetworkACLEntries``: ``PortRange`` always sent; ``IcmpTypeCode`` for ICMP(v6)."""
    for rule in rules:
        number = nacl_protocol_number(rule.protocol)
        params: Obj = {
            "Egress": egress,
            "NetworkAclId": acl_id,
            "PortRange": {"From": rule.from_port, "To": rule.to_port},
            "Protocol": str(number),
            "RuleAction": rule.action,
            "RuleNumber": rule.rule_no,
        }
        if rule.cidr_block:
            params["CidrBlock"] = rule.cidr_block
        if rule.ipv6_cidr_block:
            params["Ipv6CidrBlock"] = rule.ipv6_cidr_block
        if number in (1, 58):
            params["IcmpTypeCode"] = {"Code": rule.icmp_code, "Type": rule.icmp_type}
        h.call("CreateNetworkAclEntry", **params)


def _delete_entries(h: Harness, acl_id: str, entries: Iterable[tuple[int, bool]]) -> None:
    """``deleteNetworkACLEntries`` (the 32767/32768 catch-alls skipped)."""
    for rule_no, egress in entries:
        if rule_no in DEFAULT_ACL_RULES:
            continue
        h.call("DeleteNetworkAclEntry", Egress=egress, NetworkAclId=acl_id, RuleNumber=rule_no)


def _modify_acl_on_create(
    h: Harness, acl_id: str, config: NetworkAclConfig | DefaultNetworkAclConfig
) -> None:
    """``modifyNetworkACLAttributesOnCreate``: egress entries, ingress entries, associations."""
    _create_entries(h, acl_id, config.egress, True)
    _create_entries(h, acl_id, config.ingress, False)
    for subnet_id in config.subnet_ids:
        network_acl_association_create(h, acl_id, subnet_id)


def _update_entries(
    h: Harness, acl_id: str, old: Iterable[NaclRule], new: Iterable[NaclRule], egress: bool
) -> None:
    before = {nacl_rule_key(r): r for r in old}
    after = {nacl_rule_key(r): r for r in new}
    _delete_entries(h, acl_id, [(r.rule_no, egress) for k, r in before.items() if k not in after])
    _create_entries(h, acl_id, [r for k, r in after.items() if k not in before], egress)


def _modify_acl_on_update(
    h: Harness,
    acl_id: str,
    vpc_id: str,
    old: NetworkAclConfig | DefaultNetworkAclConfig,
    new: NetworkAclConfig | DefaultNetworkAclConfig,
    delete_associations: bool,
) -> None:
    """``modifyNetworkACLAttributesOnUpdate``: ingress, egress, then associations."""
    if set(map(nacl_rule_key, old.ingress)) != set(map(nacl_rule_key, new.ingress)):
        _update_entries(h, acl_id, old.ingress, new.ingress, False)
    if set(map(nacl_rule_key, old.egress)) != set(map(nacl_rule_key, new.egress)):
        _update_entries(h, acl_id, old.egress, new.egress, True)
    removed = [s for s in old.subnet_ids if s not in new.subnet_ids]
    added = [s for s in new.subnet_ids if s not in old.subnet_ids]
    if removed and delete_associations:
        network_acl_associations_delete(h, vpc_id, removed)
    for subnet_id in added:
        try:
            network_acl_association_create(h, acl_id, subnet_id)
        except NotFound:
            continue


def flatten_nacl_entries(entries: Iterable[Mapping[str, Any]], egress: bool) -> list[Obj]:
    """``flattenNetworkACLEntries``: protocol as its number; absent ports/ICMP fields → 0."""
    flattened = []
    for entry in entries:
        if (
            int(entry.get("RuleNumber", 0)) in DEFAULT_ACL_RULES
            or bool(entry.get("Egress")) != egress
        ):
            continue
        port_range = entry.get("PortRange") or {}
        icmp = entry.get("IcmpTypeCode") or {}
        flattened.append(
            {
                "rule_no": int(entry.get("RuleNumber", 0)),
                "action": entry.get("RuleAction", ""),
                "cidr_block": entry.get("CidrBlock", ""),
                "ipv6_cidr_block": entry.get("Ipv6CidrBlock", ""),
                "from_port": int(port_range.get("From") or 0),
                "to_port": int(port_range.get("To") or 0),
                "protocol": str(nacl_protocol_number(str(entry.get("Protocol", "")))),
                "icmp_type": int(icmp.get("Type") or 0),
                "icmp_code": int(icmp.get("Code") or 0),
            }
        )
    return sorted(flattened, key=nacl_rule_key)


def read_network_acl(h: Harness, acl_id: str) -> State:
    """``resourceNetworkACLRead``."""
    acl = find_network_acl(h, acl_id)
    return {
        "id": acl_id,
        "arn": _arn(h, str(acl.get("OwnerId", "")), f"network-acl/{acl_id}"),
        "owner_id": acl.get("OwnerId"),
        "subnet_ids": sorted(str(a.get("SubnetId")) for a in acl.get("Associations") or []),
        "vpc_id": acl.get("VpcId"),
        "egress": flatten_nacl_entries(acl.get("Entries") or [], True),
        "ingress": flatten_nacl_entries(acl.get("Entries") or [], False),
        "tags": tags_out(acl.get("Tags")),
    }


def create_network_acl(h: Harness, config: NetworkAclConfig) -> tuple[str, State]:
    response = h.call(
        "CreateNetworkAcl",
        ClientToken=str(uuid.uuid4()),
        VpcId=config.vpc_id,
        **tag_specifications("network-acl", config.tags),
    )
    assert response is not None
    acl_id = str(response["NetworkAcl"]["NetworkAclId"])
    _modify_acl_on_create(h, acl_id, config)
    return acl_id, _retry_new(h, True, lambda: read_network_acl(h, acl_id))


def update_network_acl(
    h: Harness, acl_id: str, old: NetworkAclConfig, new: NetworkAclConfig
) -> State:
    update_tags(h, acl_id, old.tags, new.tags)
    _modify_acl_on_update(h, acl_id, new.vpc_id, old, new, True)
    return read_network_acl(h, acl_id)


def delete_network_acl(h: Harness, acl_id: str, vpc_id: str) -> None:
    """Find (gone → done), return every associated subnet to the default ACL, then
    ``DeleteNetworkAcl`` retried on ``DependencyViolation`` (gone ok)."""
    try:
        acl = find_network_acl(h, acl_id)
    except NotFound:
        return
    subnet_ids = [str(a.get("SubnetId")) for a in acl.get("Associations") or []]
    if subnet_ids:
        network_acl_associations_delete(h, vpc_id, subnet_ids)
    h.call(
        "DeleteNetworkAcl",
        tolerate=NACL_GONE,
        retry_on=("DependencyViolation",),
        NetworkAclId=acl_id,
    )


# --- aws_default_network_acl -----------------------------------------------------------------------


def create_default_network_acl(h: Harness, config: DefaultNetworkAclConfig) -> tuple[str, State]:
    """``resourceDefaultNetworkACLCreate``: find by id (must be ``IsDefault``), delete every
    existing entry, create the configured ones and associations, tags via ``updateTags``, Read."""
    acl = find_network_acl(h, config.default_network_acl_id)
    if not acl.get("IsDefault"):
        raise ApiError(
            "aws_default_network_acl", "NotDefault", "use the `aws_network_acl` resource instead"
        )
    acl_id = str(acl["NetworkAclId"])
    _delete_entries(
        h, acl_id, [(int(e["RuleNumber"]), bool(e.get("Egress"))) for e in acl.get("Entries") or []]
    )
    _modify_acl_on_create(h, acl_id, config)
    update_tags(h, acl_id, tags_out(acl.get("Tags")), config.tags)
    state = _retry_new(h, True, lambda: read_network_acl(h, acl_id))
    return acl_id, {**state, "default_network_acl_id": acl_id}


def read_default_network_acl(h: Harness, acl_id: str) -> State:
    return {**read_network_acl(h, acl_id), "default_network_acl_id": acl_id}


def update_default_network_acl(
    h: Harness, acl_id: str, vpc_id: str, old: DefaultNetworkAclConfig, new: DefaultNetworkAclConfig
) -> State:
    """Associations are never removed from the default ACL (``deleteAssociations=false``)."""
    update_tags(h, acl_id, old.tags, new.tags)
    _modify_acl_on_update(h, acl_id, vpc_id, old, new, False)
    return read_default_network_acl(h, acl_id)


def delete_default_network_acl(h: Harness, acl_id: str) -> None:
    """Nothing is called: a warning, and the ACL leaves the state."""


# --- aws_default_vpc_dhcp_options ------------------------------------------------------------------


def regional_private_dns_suffix(region: str) -> str:
    """``RegionalPrivateDNSSuffix``."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def find_dhcp_options(h: Harness, dhcp_options_id: str) -> Obj:
    return h.find(
        "DescribeDhcpOptions",
        "DhcpOptions",
        not_found_codes=DHCP_GONE,
        id_field="DhcpOptionsId",
        expected_id=dhcp_options_id,
        DhcpOptionsIds=[dhcp_options_id],
    )


def read_dhcp_options(h: Harness, dhcp_options_id: str) -> State:
    """``resourceVPCDHCPOptionsRead`` (the default resource's server lists are joined by ", ")."""
    options = find_dhcp_options(h, dhcp_options_id)
    values: dict[str, list[str]] = {}
    for configuration in options.get("DhcpConfigurations") or []:
        values[str(configuration.get("Key"))] = [
            str(v.get("Value")) for v in configuration.get("Values") or []
        ]
    return {
        "id": dhcp_options_id,
        "arn": _arn(h, str(options.get("OwnerId", "")), f"dhcp-options/{dhcp_options_id}"),
        "domain_name": " ".join(values.get("domain-name", [])),
        "domain_name_servers": ", ".join(values.get("domain-name-servers", [])),
        "ipv6_address_preferred_lease_time": " ".join(
            values.get("ipv6-address-preferred-lease-time", [])
        ),
        "netbios_name_servers": ", ".join(values.get("netbios-name-servers", [])),
        "netbios_node_type": " ".join(values.get("netbios-node-type", [])),
        "ntp_servers": ", ".join(values.get("ntp-servers", [])),
        "owner_id": options.get("OwnerId"),
        "tags": tags_out(options.get("Tags")),
    }


def create_default_dhcp_options(h: Harness, config: DefaultDhcpOptionsConfig) -> tuple[str, State]:
    """``resourceDefaultVPCDHCPOptionsCreate``: ``DescribeDhcpOptions`` with the repeated filters
    ``key=domain-name, value=<regional suffix>, key=domain-name-servers, value=AmazonProvidedDNS``
    (exactly one set must match), then tags and Read."""
    options = h.find(
        "DescribeDhcpOptions",
        "DhcpOptions",
        Filters=[
            {"Name": "key", "Values": ["domain-name"]},
            {"Name": "value", "Values": [regional_private_dns_suffix(_region(h))]},
            {"Name": "key", "Values": ["domain-name-servers"]},
            {"Name": "value", "Values": ["AmazonProvidedDNS"]},
        ],
    )
    dhcp_options_id = str(options["DhcpOptionsId"])
    update_tags(h, dhcp_options_id, tags_out(options.get("Tags")), config.tags)
    return dhcp_options_id, _retry_new(h, True, lambda: read_dhcp_options(h, dhcp_options_id))


def delete_default_dhcp_options(h: Harness, dhcp_options_id: str) -> None:
    """``schema.NoopContext``."""


# --- data sources ----------------------------------------------------------------------------------


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
        "id": _region(h),
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
        "arn": _arn(h, str(vpc.get("OwnerId", "")), f"vpc/{found_id}"),
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
    return {"id": _region(h), "ids": sorted(str(s["SubnetId"]) for s in subnets)}


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
        "arn": _arn(h, str(group["OwnerId"]), f"security-group/{found_id}"),
        "description": group.get("Description"),
        "name": group.get("GroupName"),
        "vpc_id": group.get("VpcId"),
        "tags": tags_out(group.get("Tags")),
    }
