"""The VPC stack the replay applies, updates and destroys: its resource addresses, the settings
that vary between runs, and its configuration before and after the update.

The stack (a typical VPC configuration, see :func:`stack_config`)::

    data "aws_availability_zones" "available" { state = "available" }
    resource "aws_vpc" "main"  { cidr_block = "10.42.0.0/16", assign_generated_ipv6_cidr_block = true,
                                 enable_dns_hostnames = true → false, tags (changed) }
    resource "aws_subnet" "a" / "b"                 # a: map_public_ip_on_launch false → true
    resource "aws_security_group" "web"             # inline rules; ingress 22 → 80 on update
    resource "aws_internet_gateway" "gw"
    resource "aws_egress_only_internet_gateway" "eigw"
    resource "aws_route_table" "public"  { route { cidr_block = "0.0.0.0/0", gateway_id = igw } }
                                                    # gains an inline route ::/0 → igw on update
    resource "aws_route_table" "private" {}         # no inline routes (route set Computed)
    resource "aws_route" "v6"                       # private ::/0 → eigw, retargeted to the igw
    resource "aws_route_table_association" "a"      # subnet a → public, moved to private
    resource "aws_network_acl" "main"               # subnet b; an ingress rule added on update
    resource "aws_default_vpc" / "aws_default_subnet" / "aws_default_vpc_dhcp_options" "default"
    resource "aws_default_security_group" / "aws_default_route_table" / "aws_default_network_acl" "main"
    data "aws_vpc" (by CIDR+tag, and default = true), "aws_subnet" (legacy filters, and
    default_for_az), "aws_subnets", "aws_security_group"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hive_gateway.conformance.terraform.config import (
    DefaultDhcpOptionsConfig,
    DefaultNetworkAclConfig,
    DefaultRouteTableConfig,
    DefaultSecurityGroupConfig,
    DefaultSubnetConfig,
    DefaultVpcConfig,
    EgressOnlyInternetGatewayConfig,
    InternetGatewayConfig,
    NaclRule,
    NetworkAclConfig,
    RouteConfig,
    RouteSpec,
    RouteTableAssociationConfig,
    RouteTableConfig,
    SecurityGroupConfig,
    SgRule,
    SubnetConfig,
    VpcConfig,
)

# --- resource addresses (state keys) -------------------------------------------------------------

VPC: Final = "aws_vpc.main"
SUBNET_A: Final = "aws_subnet.a"
SUBNET_B: Final = "aws_subnet.b"
SG: Final = "aws_security_group.web"
IGW: Final = "aws_internet_gateway.gw"
EIGW: Final = "aws_egress_only_internet_gateway.eigw"
RT_PUBLIC: Final = "aws_route_table.public"
RT_PRIVATE: Final = "aws_route_table.private"
ROUTE: Final = "aws_route.v6"
RTA: Final = "aws_route_table_association.a"
NACL: Final = "aws_network_acl.main"
DEFAULT_VPC: Final = "aws_default_vpc.default"
DEFAULT_SUBNET: Final = "aws_default_subnet.default"
DEFAULT_DHCP: Final = "aws_default_vpc_dhcp_options.default"
DEFAULT_SG: Final = "aws_default_security_group.main"
DEFAULT_RT: Final = "aws_default_route_table.main"
DEFAULT_NACL: Final = "aws_default_network_acl.main"
DATA_AZS: Final = "data.aws_availability_zones.available"
DATA_VPC: Final = "data.aws_vpc.main"
DATA_DEFAULT_VPC: Final = "data.aws_vpc.default"
DATA_SUBNET: Final = "data.aws_subnet.a"
DATA_DEFAULT_SUBNET: Final = "data.aws_subnet.default"
DATA_SUBNETS: Final = "data.aws_subnets.main"
DATA_SG: Final = "data.aws_security_group.web"


@dataclass(frozen=True)
class StackSettings:
    """What varies between runs: names, CIDRs, and whether to touch the account's defaults."""

    name: str = "hive-replay"
    vpc_cidr: str = "10.42.0.0/16"
    subnet_a_cidr: str = "10.42.1.0/24"
    subnet_b_cidr: str = "10.42.2.0/24"
    include_defaults: bool = True


@dataclass(frozen=True)
class StackConfig:
    """The whole configuration at one phase (ids of other resources already resolved)."""

    vpc: VpcConfig
    subnet_a: SubnetConfig
    subnet_b: SubnetConfig
    security_group: SecurityGroupConfig
    internet_gateway: InternetGatewayConfig
    egress_only_internet_gateway: EgressOnlyInternetGatewayConfig
    route_table_public: RouteTableConfig
    route_table_private: RouteTableConfig
    route: RouteConfig
    route_table_association: RouteTableAssociationConfig
    network_acl: NetworkAclConfig
    default_vpc: DefaultVpcConfig
    default_subnet: DefaultSubnetConfig
    default_dhcp_options: DefaultDhcpOptionsConfig
    default_security_group: DefaultSecurityGroupConfig
    default_route_table: DefaultRouteTableConfig
    default_network_acl: DefaultNetworkAclConfig


def stack_config(
    settings: StackSettings, ids: Mapping[str, str], az: str, *, updated: bool
) -> StackConfig:
    """The configuration before (``updated=False``) or after the update. Ids not created yet read
    as ""; each resource is built only once everything it references exists."""
    name = settings.name
    vpc_id = ids.get(VPC, "")
    igw_id = ids.get(IGW, "")
    eigw_id = ids.get(EIGW, "")
    vpc_tags = {"Name": name, "Env": "prod" if updated else "test"}
    if not updated:
        vpc_tags["Retired"] = "yes"
    else:
        vpc_tags["Owner"] = "platform"
    ingress = (
        SgRule(
            "tcp",
            443,
            443,
            cidr_blocks=("0.0.0.0/0",),
            ipv6_cidr_blocks=("::/0",),
            description="https",
        ),
        SgRule("6", 80, 80, cidr_blocks=("0.0.0.0/0",))
        if updated
        else SgRule("tcp", 22, 22, cidr_blocks=("10.0.0.0/8", "192.168.0.0/16"), description="ssh"),
        SgRule("icmp", 8, 0, cidr_blocks=(settings.vpc_cidr,)),
    )
    egress = (SgRule("-1", 0, 0, cidr_blocks=("0.0.0.0/0",), ipv6_cidr_blocks=("::/0",)),)
    public_routes: tuple[RouteSpec, ...] = (RouteSpec(cidr_block="0.0.0.0/0", gateway_id=igw_id),)
    if updated:
        public_routes += (RouteSpec(ipv6_cidr_block="::/0", gateway_id=igw_id),)
    nacl_ingress = (
        NaclRule(100, "tcp", "allow", cidr_block="0.0.0.0/0", from_port=443, to_port=443),
        NaclRule(110, "-1", "allow", cidr_block=settings.vpc_cidr),
    ) + (
        (NaclRule(200, "udp", "allow", cidr_block="0.0.0.0/0", from_port=1024, to_port=65535),)
        if updated
        else ()
    )
    default_rules_in = (SgRule("-1", 0, 0, self_ref=True),)
    default_rules_out = (SgRule("-1", 0, 0, cidr_blocks=("0.0.0.0/0",)),)
    return StackConfig(
        vpc=VpcConfig(
            settings.vpc_cidr,
            tags=vpc_tags,
            enable_dns_hostnames=not updated,
            assign_generated_ipv6_cidr_block=True,
        ),
        subnet_a=SubnetConfig(
            vpc_id,
            settings.subnet_a_cidr,
            availability_zone=az,
            tags={"Name": f"{name}-a", "Tier": "public" if updated else "private"},
            map_public_ip_on_launch=updated,
        ),
        subnet_b=SubnetConfig(
            vpc_id, settings.subnet_b_cidr, availability_zone=az, tags={"Name": f"{name}-b"}
        ),
        security_group=SecurityGroupConfig(
            f"{name}-web",
            vpc_id,
            description="web tier",
            ingress=ingress,
            egress=egress,
            tags={"Name": f"{name}-web", **({"Rev": "2"} if updated else {})},
        ),
        internet_gateway=InternetGatewayConfig(
            vpc_id, tags={"Name": f"{name}-gw", "Rev": "2" if updated else "1"}
        ),
        egress_only_internet_gateway=EgressOnlyInternetGatewayConfig(
            vpc_id,
            tags={"Name": f"{name}-eigw"} if not updated else {"Name": f"{name}-eigw", "Rev": "2"},
        ),
        route_table_public=RouteTableConfig(
            vpc_id,
            routes=public_routes,
            tags={"Name": f"{name}-public", **({"Rev": "2"} if updated else {})},
        ),
        route_table_private=RouteTableConfig(vpc_id, tags={"Name": f"{name}-private"}),
        route=RouteConfig(
            ids.get(RT_PRIVATE, ""),
            RouteSpec(ipv6_cidr_block="::/0", gateway_id=igw_id)
            if updated
            else RouteSpec(ipv6_cidr_block="::/0", egress_only_gateway_id=eigw_id),
        ),
        route_table_association=RouteTableAssociationConfig(
            ids.get(RT_PRIVATE if updated else RT_PUBLIC, ""), subnet_id=ids.get(SUBNET_A, "")
        ),
        network_acl=NetworkAclConfig(
            vpc_id,
            subnet_ids=(ids.get(SUBNET_B, ""),),
            ingress=nacl_ingress,
            egress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            tags={"Name": f"{name}-acl", **({"Rev": "2"} if updated else {})},
        ),
        default_vpc=DefaultVpcConfig(tags={"Name": "Default VPC"}),
        default_subnet=DefaultSubnetConfig(az, tags={"Name": f"Default subnet for {az}"}),
        default_dhcp_options=DefaultDhcpOptionsConfig(tags={"Name": "Default DHCP Option Set"}),
        default_security_group=DefaultSecurityGroupConfig(
            vpc_id,
            ingress=default_rules_in,
            egress=default_rules_out,
            tags={"Name": f"{name}-default", **({"Rev": "2"} if updated else {})},
        ),
        default_route_table=DefaultRouteTableConfig(
            ids.get("default_route_table_id", ""), tags={"Name": f"{name}-main"}
        ),
        default_network_acl=DefaultNetworkAclConfig(
            ids.get("default_network_acl_id", ""),
            subnet_ids=(ids.get(SUBNET_A, ""),),
            ingress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            egress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            tags={"Name": f"{name}-default-acl"},
        ),
    )
