"""The configuration side of a replay: what a ``.tf`` file would say, one frozen dataclass per
Terraform resource block (ids of other resources already resolved), and the rule/route blocks
nested in them. Unset optional arguments carry the provider's schema defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
"""One API structure (request parameters or a response element)."""
State = dict[str, Any]
"""The attributes the provider puts in state for one resource."""


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
