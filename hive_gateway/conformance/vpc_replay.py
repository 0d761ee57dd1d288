"""Replay ``terraform apply`` → ``plan`` → ``plan`` → update → ``destroy`` of a VPC stack.

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

:func:`replay_vpc_stack` runs: create everything in dependency order → read all (state A) →
compare state A with the configuration (every attribute a plan would diff) → read all again
(state B must equal A) → update → read and compare with the new configuration → destroy in
reverse order → verify every id is gone with the exact NotFound code (or an empty list where the
provider expects one). It works against any endpoint: the ``aws_default_*`` resources tag the
account's default VPC, subnet and DHCP options (as Terraform would); pass
``StackSettings(include_defaults=False)`` to leave them alone on a real account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from hive_gateway.conformance import vpc_stack as tf
from hive_gateway.conformance.runner import (
    ApiError,
    Drift,
    Harness,
    NotFound,
    Report,
    ResponseCheck,
    WaitError,
)
from hive_gateway.conformance.vpc_stack import (
    NaclRule,
    RouteSpec,
    SgRule,
    State,
)

__all__ = [
    "NONEMPTY",
    "StackConfig",
    "StackSettings",
    "compare_state",
    "expectations",
    "replay_vpc_stack",
    "stack_config",
]

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

    vpc: tf.VpcConfig
    subnet_a: tf.SubnetConfig
    subnet_b: tf.SubnetConfig
    security_group: tf.SecurityGroupConfig
    internet_gateway: tf.InternetGatewayConfig
    egress_only_internet_gateway: tf.EgressOnlyInternetGatewayConfig
    route_table_public: tf.RouteTableConfig
    route_table_private: tf.RouteTableConfig
    route: tf.RouteConfig
    route_table_association: tf.RouteTableAssociationConfig
    network_acl: tf.NetworkAclConfig
    default_vpc: tf.DefaultVpcConfig
    default_subnet: tf.DefaultSubnetConfig
    default_dhcp_options: tf.DefaultDhcpOptionsConfig
    default_security_group: tf.DefaultSecurityGroupConfig
    default_route_table: tf.DefaultRouteTableConfig
    default_network_acl: tf.DefaultNetworkAclConfig


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
        vpc=tf.VpcConfig(
            settings.vpc_cidr,
            tags=vpc_tags,
            enable_dns_hostnames=not updated,
            assign_generated_ipv6_cidr_block=True,
        ),
        subnet_a=tf.SubnetConfig(
            vpc_id,
            settings.subnet_a_cidr,
            availability_zone=az,
            tags={"Name": f"{name}-a", "Tier": "public" if updated else "private"},
            map_public_ip_on_launch=updated,
        ),
        subnet_b=tf.SubnetConfig(
            vpc_id, settings.subnet_b_cidr, availability_zone=az, tags={"Name": f"{name}-b"}
        ),
        security_group=tf.SecurityGroupConfig(
            f"{name}-web",
            vpc_id,
            description="web tier",
            ingress=ingress,
            egress=egress,
            tags={"Name": f"{name}-web", **({"Rev": "2"} if updated else {})},
        ),
        internet_gateway=tf.InternetGatewayConfig(
            vpc_id, tags={"Name": f"{name}-gw", "Rev": "2" if updated else "1"}
        ),
        egress_only_internet_gateway=tf.EgressOnlyInternetGatewayConfig(
            vpc_id,
            tags={"Name": f"{name}-eigw"} if not updated else {"Name": f"{name}-eigw", "Rev": "2"},
        ),
        route_table_public=tf.RouteTableConfig(
            vpc_id,
            routes=public_routes,
            tags={"Name": f"{name}-public", **({"Rev": "2"} if updated else {})},
        ),
        route_table_private=tf.RouteTableConfig(vpc_id, tags={"Name": f"{name}-private"}),
        route=tf.RouteConfig(
            ids.get(RT_PRIVATE, ""),
            RouteSpec(ipv6_cidr_block="::/0", gateway_id=igw_id)
            if updated
            else RouteSpec(ipv6_cidr_block="::/0", egress_only_gateway_id=eigw_id),
        ),
        route_table_association=tf.RouteTableAssociationConfig(
            ids.get(RT_PRIVATE if updated else RT_PUBLIC, ""), subnet_id=ids.get(SUBNET_A, "")
        ),
        network_acl=tf.NetworkAclConfig(
            vpc_id,
            subnet_ids=(ids.get(SUBNET_B, ""),),
            ingress=nacl_ingress,
            egress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            tags={"Name": f"{name}-acl", **({"Rev": "2"} if updated else {})},
        ),
        default_vpc=tf.DefaultVpcConfig(tags={"Name": "Default VPC"}),
        default_subnet=tf.DefaultSubnetConfig(az, tags={"Name": f"Default subnet for {az}"}),
        default_dhcp_options=tf.DefaultDhcpOptionsConfig(tags={"Name": "Default DHCP Option Set"}),
        default_security_group=tf.DefaultSecurityGroupConfig(
            vpc_id,
            ingress=default_rules_in,
            egress=default_rules_out,
            tags={"Name": f"{name}-default", **({"Rev": "2"} if updated else {})},
        ),
        default_route_table=tf.DefaultRouteTableConfig(
            ids.get("default_route_table_id", ""), tags={"Name": f"{name}-main"}
        ),
        default_network_acl=tf.DefaultNetworkAclConfig(
            ids.get("default_network_acl_id", ""),
            subnet_ids=(ids.get(SUBNET_A, ""),),
            ingress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            egress=(NaclRule(100, "-1", "allow", cidr_block="0.0.0.0/0"),),
            tags={"Name": f"{name}-default-acl"},
        ),
    )


# --- expected state -------------------------------------------------------------------------------


class Matcher:
    """An expectation that is not plain equality; ``problem`` says why a value does not match."""

    def problem(self, actual: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__


class _NonEmpty(Matcher):
    """A computed attribute that must be set (an empty one means a failed lookup)."""

    def problem(self, actual: Any) -> str | None:
        return None if actual not in (None, "", [], {}) else "must be set"

    def __repr__(self) -> str:
        return "<non-empty>"


NONEMPTY: Final = _NonEmpty()


@dataclass(repr=False)
class SgRulesMatch(Matcher):
    """The rule set a plan compares: configured sources (protocol normalised by
    ``protocolForValue``) against the flattened API rules (protocol as returned)."""

    rules: tuple[SgRule, ...]

    def problem(self, actual: Any) -> str | None:
        expected, got = tf.config_atoms(self.rules), tf.state_atoms(actual or [])
        if expected == got:
            return None
        return f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"

    def __repr__(self) -> str:
        return f"rules {sorted(tf.config_atoms(self.rules))}"


@dataclass(repr=False)
class NaclRulesMatch(Matcher):
    rules: tuple[NaclRule, ...]

    def problem(self, actual: Any) -> str | None:
        expected = {tf.nacl_rule_key(r) for r in self.rules}
        got = {tf.nacl_rule_key(r) for r in actual or []}
        if expected == got:
            return None
        return f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"

    def __repr__(self) -> str:
        return f"entries {sorted(tf.nacl_rule_key(r) for r in self.rules)}"


@dataclass(repr=False)
class RoutesMatch(Matcher):
    """The ``route`` set; ``None`` (not configured) is Computed and accepts anything."""

    routes: tuple[RouteSpec, ...] | None

    def problem(self, actual: Any) -> str | None:
        if self.routes is None:
            return None
        expected = sorted(sorted(r.as_state().items()) for r in self.routes)
        got = sorted(sorted(dict(r).items()) for r in actual or [])
        return None if expected == got else f"routes differ: {got}"

    def __repr__(self) -> str:
        return f"routes {[r.as_state() for r in self.routes or ()]}"


Expected = dict[str, Any]


def _subnet_expectations(config: tf.SubnetConfig | tf.DefaultSubnetConfig, vpc_id: str) -> Expected:
    expected: Expected = {
        "id": NONEMPTY,
        "arn": NONEMPTY,
        "availability_zone": config.availability_zone,
        "map_public_ip_on_launch": config.map_public_ip_on_launch,
        "assign_ipv6_address_on_creation": False,
        "enable_dns64": False,
        "enable_resource_name_dns_a_record_on_launch": False,
        "enable_resource_name_dns_aaaa_record_on_launch": False,
        "ipv6_native": False,
        "map_customer_owned_ip_on_launch": False,
        "vpc_id": vpc_id,
        "tags": dict(config.tags),
    }
    if isinstance(config, tf.SubnetConfig):
        expected["cidr_block"] = config.cidr_block
        expected.update(
            assign_ipv6_address_on_creation=config.assign_ipv6_address_on_creation,
            enable_dns64=config.enable_dns64,
            enable_resource_name_dns_a_record_on_launch=config.enable_resource_name_dns_a_record_on_launch,
            enable_resource_name_dns_aaaa_record_on_launch=config.enable_resource_name_dns_aaaa_record_on_launch,
        )
    return expected


def expectations(
    config: StackConfig, ids: Mapping[str, str], settings: StackSettings, azs: list[str]
) -> dict[str, Expected]:
    """Per address, every attribute whose state value a plan would compare with this config
    (Required/Optional arguments and their defaults; computed ids that must be set)."""
    vpc_id = ids.get(VPC, "")
    result: dict[str, Expected] = {
        VPC: {
            "id": vpc_id,
            "arn": NONEMPTY,
            "cidr_block": config.vpc.cidr_block,
            "instance_tenancy": "default",
            "enable_dns_support": config.vpc.enable_dns_support,
            "enable_dns_hostnames": config.vpc.enable_dns_hostnames,
            "enable_network_address_usage_metrics": False,
            "assign_generated_ipv6_cidr_block": config.vpc.assign_generated_ipv6_cidr_block,
            "ipv6_association_id": NONEMPTY,
            "ipv6_cidr_block": NONEMPTY,
            "ipv6_ipam_pool_id": "",
            "default_network_acl_id": NONEMPTY,
            "default_route_table_id": NONEMPTY,
            "main_route_table_id": NONEMPTY,
            "default_security_group_id": NONEMPTY,
            "dhcp_options_id": NONEMPTY,
            "owner_id": NONEMPTY,
            "tags": dict(config.vpc.tags),
        },
        SUBNET_A: _subnet_expectations(config.subnet_a, vpc_id),
        SUBNET_B: _subnet_expectations(config.subnet_b, vpc_id),
        SG: {
            "id": ids.get(SG, ""),
            "name": config.security_group.name,
            "description": config.security_group.description,
            "vpc_id": vpc_id,
            "owner_id": NONEMPTY,
            "ingress": SgRulesMatch(config.security_group.ingress),
            "egress": SgRulesMatch(config.security_group.egress),
            "tags": dict(config.security_group.tags),
        },
        IGW: {
            "id": ids.get(IGW, ""),
            "vpc_id": vpc_id,
            "owner_id": NONEMPTY,
            "tags": dict(config.internet_gateway.tags),
        },
        EIGW: {
            "id": ids.get(EIGW, ""),
            "vpc_id": vpc_id,
            "tags": dict(config.egress_only_internet_gateway.tags),
        },
        RT_PUBLIC: {
            "vpc_id": vpc_id,
            "route": RoutesMatch(config.route_table_public.routes),
            "propagating_vgws": [],
            "tags": dict(config.route_table_public.tags),
        },
        RT_PRIVATE: {
            "vpc_id": vpc_id,
            "route": RoutesMatch(config.route_table_private.routes),
            "propagating_vgws": [],
            "tags": dict(config.route_table_private.tags),
        },
        ROUTE: {
            "route_table_id": config.route.route_table_id,
            **_route_expectations(config.route.route),
            "origin": "CreateRoute",
            "state": "active",
        },
        RTA: {
            "subnet_id": config.route_table_association.subnet_id,
            "route_table_id": config.route_table_association.route_table_id,
            "gateway_id": "",
        },
        NACL: {
            "vpc_id": vpc_id,
            "subnet_ids": sorted(config.network_acl.subnet_ids),
            "ingress": NaclRulesMatch(config.network_acl.ingress),
            "egress": NaclRulesMatch(config.network_acl.egress),
            "tags": dict(config.network_acl.tags),
        },
        DEFAULT_SG: {
            "id": ids.get(DEFAULT_SG, ""),
            "name": "default",
            "vpc_id": vpc_id,
            "ingress": SgRulesMatch(config.default_security_group.ingress),
            "egress": SgRulesMatch(config.default_security_group.egress),
            "tags": dict(config.default_security_group.tags),
        },
        DEFAULT_RT: {
            "id": config.default_route_table.default_route_table_id,
            "vpc_id": vpc_id,
            "route": RoutesMatch(config.default_route_table.routes),
            "propagating_vgws": [],
            "tags": dict(config.default_route_table.tags),
        },
        DEFAULT_NACL: {
            "id": config.default_network_acl.default_network_acl_id,
            "vpc_id": vpc_id,
            "subnet_ids": sorted(config.default_network_acl.subnet_ids),
            "ingress": NaclRulesMatch(config.default_network_acl.ingress),
            "egress": NaclRulesMatch(config.default_network_acl.egress),
            "tags": dict(config.default_network_acl.tags),
        },
        DATA_AZS: {"names": azs},
        DATA_VPC: {
            "id": vpc_id,
            "cidr_block": config.vpc.cidr_block,
            "default": False,
            "state": "available",
            "main_route_table_id": NONEMPTY,
            "tags": dict(config.vpc.tags),
        },
        DATA_SUBNET: {
            "id": ids.get(SUBNET_A, ""),
            "cidr_block": config.subnet_a.cidr_block,
            "state": "available",
        },
        DATA_SUBNETS: {"ids": sorted([ids.get(SUBNET_A, ""), ids.get(SUBNET_B, "")])},
        DATA_SG: {"id": ids.get(SG, ""), "name": config.security_group.name, "vpc_id": vpc_id},
    }
    if settings.include_defaults:
        default_vpc_id = ids.get(DEFAULT_VPC, "")
        result[DEFAULT_VPC] = {
            "id": default_vpc_id,
            "enable_dns_hostnames": config.default_vpc.enable_dns_hostnames,
            "enable_dns_support": config.default_vpc.enable_dns_support,
            "default_security_group_id": NONEMPTY,
            "default_route_table_id": NONEMPTY,
            "default_network_acl_id": NONEMPTY,
            "tags": dict(config.default_vpc.tags),
        }
        result[DEFAULT_SUBNET] = _subnet_expectations(config.default_subnet, default_vpc_id)
        result[DEFAULT_DHCP] = {
            "id": ids.get(DEFAULT_DHCP, ""),
            "domain_name_servers": "AmazonProvidedDNS",
            "domain_name": NONEMPTY,
            "tags": dict(config.default_dhcp_options.tags),
        }
        result[DATA_DEFAULT_VPC] = {"id": default_vpc_id, "default": True}
        result[DATA_DEFAULT_SUBNET] = {"id": ids.get(DEFAULT_SUBNET, ""), "default_for_az": True}
    return result


def _route_expectations(spec: RouteSpec) -> Expected:
    """``aws_route``: destination and target echoed; unset targets empty."""
    return {
        "destination_cidr_block": spec.cidr_block,
        "destination_ipv6_cidr_block": spec.ipv6_cidr_block,
        "destination_prefix_list_id": spec.destination_prefix_list_id,
        "gateway_id": spec.gateway_id,
        "egress_only_gateway_id": spec.egress_only_gateway_id,
        "nat_gateway_id": spec.nat_gateway_id,
        "transit_gateway_id": spec.transit_gateway_id,
        "vpc_peering_connection_id": spec.vpc_peering_connection_id,
        "vpc_endpoint_id": spec.vpc_endpoint_id,
        "carrier_gateway_id": spec.carrier_gateway_id,
        "core_network_arn": spec.core_network_arn,
        "local_gateway_id": spec.local_gateway_id,
    }


def compare_state(
    states: Mapping[str, State], expected: Mapping[str, Expected], *, phase: str = ""
) -> list[Drift]:
    """Every expectation the state does not meet, as :class:`Drift` (a plan would not be empty)."""
    drifts: list[Drift] = []
    for address, attributes in expected.items():
        state = states.get(address)
        if state is None:
            drifts.append(
                Drift(address, "*", "present", None, f"{phase}: not in state (gone or not read)")
            )
            continue
        for attribute, value in attributes.items():
            actual = state.get(attribute)
            if isinstance(value, Matcher):
                problem = value.problem(actual)
                if problem is not None:
                    drifts.append(Drift(address, attribute, value, actual, f"{phase}: {problem}"))
            elif actual != value:
                drifts.append(Drift(address, attribute, value, actual, phase))
    return drifts


def state_differences(a: Mapping[str, State], b: Mapping[str, State], *, phase: str) -> list[Drift]:
    """Attributes whose value changed between two refreshes with nothing applied in between."""
    drifts: list[Drift] = []
    for address in sorted(set(a) | set(b)):
        first, second = a.get(address) or {}, b.get(address) or {}
        for attribute in sorted(set(first) | set(second)):
            if first.get(attribute) != second.get(attribute):
                drifts.append(
                    Drift(address, attribute, first.get(attribute), second.get(attribute), phase)
                )
    return drifts


# --- the replay -----------------------------------------------------------------------------------

GONE_CHECKS: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    # (address, operation, id parameter, exact error code — None: an empty list, no error)
    (VPC, "DescribeVpcs", "VpcIds", "InvalidVpcID.NotFound"),
    (SUBNET_A, "DescribeSubnets", "SubnetIds", "InvalidSubnetID.NotFound"),
    (SUBNET_B, "DescribeSubnets", "SubnetIds", "InvalidSubnetID.NotFound"),
    (SG, "DescribeSecurityGroups", "GroupIds", "InvalidGroup.NotFound"),
    (DEFAULT_SG, "DescribeSecurityGroups", "GroupIds", "InvalidGroup.NotFound"),
    (IGW, "DescribeInternetGateways", "InternetGatewayIds", "InvalidInternetGatewayID.NotFound"),
    (EIGW, "DescribeEgressOnlyInternetGateways", "EgressOnlyInternetGatewayIds", None),
    (RT_PUBLIC, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (RT_PRIVATE, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (DEFAULT_RT, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (NACL, "DescribeNetworkAcls", "NetworkAclIds", "InvalidNetworkAclID.NotFound"),
    (DEFAULT_NACL, "DescribeNetworkAcls", "NetworkAclIds", "InvalidNetworkAclID.NotFound"),
)

CREATED_ID_PATHS: Final = {
    "CreateVpc": ("Vpc", "VpcId"),
    "CreateSubnet": ("Subnet", "SubnetId"),
    "CreateSecurityGroup": ("GroupId",),
    "CreateInternetGateway": ("InternetGateway", "InternetGatewayId"),
    "CreateEgressOnlyInternetGateway": ("EgressOnlyInternetGateway", "EgressOnlyInternetGatewayId"),
    "CreateRouteTable": ("RouteTable", "RouteTableId"),
    "AssociateRouteTable": ("AssociationId",),
    "CreateNetworkAcl": ("NetworkAcl", "NetworkAclId"),
}
"""Where each Create response carries the new id (the provider's ``d.SetId`` before its waiters)."""

RESULT_KEYS: Final = {
    "DescribeVpcs": "Vpcs",
    "DescribeSubnets": "Subnets",
    "DescribeSecurityGroups": "SecurityGroups",
    "DescribeInternetGateways": "InternetGateways",
    "DescribeEgressOnlyInternetGateways": "EgressOnlyInternetGateways",
    "DescribeRouteTables": "RouteTables",
    "DescribeNetworkAcls": "NetworkAcls",
}


@dataclass
class _Replay:
    h: Harness
    settings: StackSettings
    report: Report
    ids: dict[str, str] = field(default_factory=dict)
    az: str = ""
    azs: list[str] = field(default_factory=list)
    phase: str = "start"
    ipv6_association_id: str = ""

    def config(self, *, updated: bool = False) -> StackConfig:
        return stack_config(self.settings, self.ids, self.az, updated=updated)

    def create(self, address: str, create: Callable[[], tuple[str, State]]) -> State:
        """Run one resource's Create. If it fails after the Create call returned an id, the id is
        kept (Terraform keeps the resource in state, tainted) so that destroy removes it."""
        mark = len(self.h.calls)
        try:
            self.ids[address], state = create()
        except Exception:
            for call in reversed(self.h.calls[mark:]):
                path = CREATED_ID_PATHS.get(call.operation)
                if path and call.response is not None and address not in self.ids:
                    value: Any = call.response
                    for key in path:
                        value = value.get(key, {}) if isinstance(value, dict) else {}
                    if isinstance(value, str) and value:
                        self.ids[address] = value
            raise
        return state

    # --- apply ---------------------------------------------------------------------------------

    def create_all(self) -> None:
        self.phase = "create"
        h = self.h
        zones = tf.read_data_availability_zones(h)
        self.azs = list(zones["names"])
        if not self.azs:
            raise NotFound("aws_availability_zones", "empty")
        self.az = self.azs[0]
        vpc = self.create(VPC, lambda: tf.create_vpc(h, self.config().vpc))
        self.ipv6_association_id = str(vpc.get("ipv6_association_id") or "")
        self.ids["default_route_table_id"] = str(vpc.get("default_route_table_id") or "")
        self.ids["default_network_acl_id"] = str(vpc.get("default_network_acl_id") or "")
        if self.settings.include_defaults:
            config = self.config()
            self.create(
                DEFAULT_DHCP, lambda: tf.create_default_dhcp_options(h, config.default_dhcp_options)
            )
            self.create(DEFAULT_VPC, lambda: tf.create_default_vpc(h, config.default_vpc))
            self.create(DEFAULT_SUBNET, lambda: tf.create_default_subnet(h, config.default_subnet))
        steps: list[tuple[str, Callable[[StackConfig], tuple[str, State]]]] = [
            (SUBNET_A, lambda c: tf.create_subnet(h, c.subnet_a)),
            (SUBNET_B, lambda c: tf.create_subnet(h, c.subnet_b)),
            (SG, lambda c: tf.create_security_group(h, c.security_group)),
            (IGW, lambda c: tf.create_internet_gateway(h, c.internet_gateway)),
            (
                EIGW,
                lambda c: tf.create_egress_only_internet_gateway(h, c.egress_only_internet_gateway),
            ),
            (RT_PUBLIC, lambda c: tf.create_route_table(h, c.route_table_public)),
            (RT_PRIVATE, lambda c: tf.create_route_table(h, c.route_table_private)),
            (ROUTE, lambda c: (c.route.route_table_id, tf.create_route(h, c.route))),
            (RTA, lambda c: tf.create_route_table_association(h, c.route_table_association)),
            (NACL, lambda c: tf.create_network_acl(h, c.network_acl)),
            (DEFAULT_SG, lambda c: tf.create_default_security_group(h, c.default_security_group)),
            (DEFAULT_RT, lambda c: tf.create_default_route_table(h, c.default_route_table)),
            (DEFAULT_NACL, lambda c: tf.create_default_network_acl(h, c.default_network_acl)),
        ]
        for address, step in steps:
            config = self.config()  # each step sees the ids created before it
            self.create(address, partial(step, config))

    def update_all(self) -> None:
        self.phase = "update"
        h = self.h
        old, new = self.config(), self.config(updated=True)
        tf.update_vpc(
            h, self.ids[VPC], old.vpc, new.vpc, ipv6_association_id=self.ipv6_association_id
        )
        tf.update_subnet(h, self.ids[SUBNET_A], old.subnet_a, new.subnet_a)
        tf.update_security_group(h, self.ids[SG], old.security_group, new.security_group)
        tf.update_internet_gateway(h, self.ids[IGW], old.internet_gateway, new.internet_gateway)
        tf.update_egress_only_internet_gateway(
            h, self.ids[EIGW], old.egress_only_internet_gateway, new.egress_only_internet_gateway
        )
        tf.update_route_table(
            h, self.ids[RT_PUBLIC], old.route_table_public, new.route_table_public
        )
        tf.update_route(h, old.route, new.route)
        self.ids[RTA], _ = tf.update_route_table_association(
            h, self.ids[RTA], old.route_table_association, new.route_table_association
        )
        tf.update_network_acl(h, self.ids[NACL], old.network_acl, new.network_acl)
        tf.update_security_group(
            h, self.ids[DEFAULT_SG], old.default_security_group, new.default_security_group
        )

    # --- refresh -------------------------------------------------------------------------------

    def read_all(self, *, updated: bool = False) -> dict[str, State]:
        """One refresh: every resource's Read and every data source, in plan order."""
        h, ids = self.h, self.ids
        config = self.config(updated=updated)
        readers: list[tuple[str, Callable[[], State]]] = [
            (DATA_AZS, lambda: tf.read_data_availability_zones(h)),
            (VPC, lambda: tf.read_vpc(h, ids[VPC], ipv6_association_id=self.ipv6_association_id)),
            (SUBNET_A, lambda: tf.read_subnet(h, ids[SUBNET_A])),
            (SUBNET_B, lambda: tf.read_subnet(h, ids[SUBNET_B])),
            (SG, lambda: tf.read_security_group(h, ids[SG])),
            (IGW, lambda: tf.read_internet_gateway(h, ids[IGW])),
            (EIGW, lambda: tf.read_egress_only_internet_gateway(h, ids[EIGW])),
            (
                RT_PUBLIC,
                lambda: tf.read_route_table(
                    h, ids[RT_PUBLIC], config.route_table_public.routes or ()
                ),
            ),
            (
                RT_PRIVATE,
                lambda: tf.read_route_table(
                    h, ids[RT_PRIVATE], config.route_table_private.routes or ()
                ),
            ),
            (ROUTE, lambda: tf.read_route(h, config.route)),
            (RTA, lambda: tf.read_route_table_association(h, ids[RTA])),
            (NACL, lambda: tf.read_network_acl(h, ids[NACL])),
            (DEFAULT_SG, lambda: tf.read_security_group(h, ids[DEFAULT_SG])),
            (
                DEFAULT_RT,
                lambda: tf.read_default_route_table(
                    h, ids[DEFAULT_RT], config.default_route_table.routes
                ),
            ),
            (DEFAULT_NACL, lambda: tf.read_default_network_acl(h, ids[DEFAULT_NACL])),
            (
                DATA_VPC,
                lambda: tf.read_data_vpc(
                    h, cidr_block=config.vpc.cidr_block, tags={"Name": self.settings.name}
                ),
            ),
            (
                DATA_SUBNET,
                lambda: tf.read_data_subnet(
                    h,
                    vpc_id=ids[VPC],
                    availability_zone=self.az,
                    cidr_block=config.subnet_a.cidr_block,
                ),
            ),
            (
                DATA_SUBNETS,
                lambda: tf.read_data_subnets(h, filters=[{"Name": "vpc-id", "Values": [ids[VPC]]}]),
            ),
            (
                DATA_SG,
                lambda: tf.read_data_security_group(
                    h, name=config.security_group.name, vpc_id=ids[VPC]
                ),
            ),
        ]
        if self.settings.include_defaults:
            readers += [
                (DEFAULT_VPC, lambda: tf.read_vpc(h, ids[DEFAULT_VPC])),
                (DEFAULT_SUBNET, lambda: tf.read_subnet(h, ids[DEFAULT_SUBNET])),
                (DEFAULT_DHCP, lambda: tf.read_dhcp_options(h, ids[DEFAULT_DHCP])),
                (DATA_DEFAULT_VPC, lambda: tf.read_data_vpc(h, default=True)),
                (
                    DATA_DEFAULT_SUBNET,
                    lambda: tf.read_data_subnet(h, availability_zone=self.az, default_for_az=True),
                ),
            ]
        states: dict[str, State] = {}
        for address, read in readers:
            try:
                states[address] = read()
            except NotFound as exc:
                # On a refresh the provider silently drops the resource: the next plan recreates it.
                self.report.problems.append(f"{self.phase}: {address} read as gone ({exc})")
            except tf.DataSourceError as exc:
                self.report.problems.append(f"{self.phase}: {address}: {exc}")
        return states

    # --- destroy -------------------------------------------------------------------------------

    def destroy_all(self, *, best_effort: bool = False) -> None:
        """Reverse dependency order, with each resource's retries and waiters."""
        self.phase = "destroy"
        h, ids = self.h, self.ids
        config = self.config(updated=True)
        steps: list[tuple[str, Callable[[], None]]] = [
            (DEFAULT_NACL, lambda: tf.delete_default_network_acl(h, ids[DEFAULT_NACL])),
            (DEFAULT_RT, lambda: tf.delete_default_route_table(h, ids[DEFAULT_RT])),
            (DEFAULT_SG, lambda: tf.delete_default_security_group(h, ids[DEFAULT_SG])),
            (RTA, lambda: tf.delete_route_table_association(h, ids[RTA])),
            (ROUTE, lambda: tf.delete_route(h, config.route)),
            (NACL, lambda: tf.delete_network_acl(h, ids[NACL], ids[VPC])),
            (RT_PRIVATE, lambda: tf.delete_route_table(h, ids[RT_PRIVATE])),
            (RT_PUBLIC, lambda: tf.delete_route_table(h, ids[RT_PUBLIC])),
            (EIGW, lambda: tf.delete_egress_only_internet_gateway(h, ids[EIGW])),
            (IGW, lambda: tf.delete_internet_gateway(h, ids[IGW], ids[VPC])),
            (SG, lambda: tf.delete_security_group(h, ids[SG])),
            (SUBNET_B, lambda: tf.delete_subnet(h, ids[SUBNET_B])),
            (SUBNET_A, lambda: tf.delete_subnet(h, ids[SUBNET_A])),
            (DEFAULT_SUBNET, lambda: tf.delete_default_subnet(h, ids[DEFAULT_SUBNET])),
            (DEFAULT_VPC, lambda: tf.delete_default_vpc(h, ids[DEFAULT_VPC])),
            (DEFAULT_DHCP, lambda: tf.delete_default_dhcp_options(h, ids[DEFAULT_DHCP])),
            (VPC, lambda: tf.delete_vpc(h, ids[VPC])),
        ]
        for address, delete in steps:
            if address not in ids:
                continue
            try:
                delete()
            except (ApiError, NotFound, WaitError, KeyError) as exc:
                if not best_effort:
                    raise
                self.report.problems.append(f"cleanup: {address}: {type(exc).__name__}: {exc}")

    def verify_gone(self) -> None:
        """Describe every destroyed id: the exact NotFound code, or an empty list for the EIGW."""
        self.phase = "verify"
        for address, operation, id_param, code in GONE_CHECKS:
            resource_id = self.ids.get(address)
            if not resource_id:
                continue
            try:
                response = self.h.call(operation, **{id_param: [resource_id]})
            except ApiError as error:
                self.h.calls[-1].tolerated = error.code == code
                if error.code != code:
                    self.report.problems.append(
                        f"verify: {address} {resource_id}: {operation} gave {error.code}, expected {code or 'an empty list'}"
                    )
                continue
            assert response is not None
            items = response.get(RESULT_KEYS[operation]) or []
            if code is not None or items:
                self.report.problems.append(
                    f"verify: {address} {resource_id}: {operation} still returns {len(items)} item(s)"
                    + (f", expected {code}" if code else "")
                )
        association = self.ids.get(RTA)
        if association:
            tables = self.h.find_all(
                "DescribeRouteTables",
                "RouteTables",
                Filters=[
                    {"Name": "association.route-table-association-id", "Values": [association]}
                ],
            )
            if tables:
                self.report.problems.append(f"verify: association {association} still listed")
        vpc_id = self.ids.get(VPC)
        if vpc_id:
            for operation in (
                "DescribeSubnets",
                "DescribeSecurityGroups",
                "DescribeRouteTables",
                "DescribeNetworkAcls",
            ):
                left = self.h.find_all(
                    operation,
                    RESULT_KEYS[operation],
                    Filters=[{"Name": "vpc-id", "Values": [vpc_id]}],
                )
                if left:
                    self.report.problems.append(
                        f"verify: {operation}(vpc-id={vpc_id}) still returns {len(left)}"
                    )

    # --- the whole run -------------------------------------------------------------------------

    def run(self) -> None:
        settings = self.settings
        self.create_all()
        self.phase = "refresh A"
        state_a = self.read_all()
        self.report.states["A"] = state_a
        self.report.drifts += compare_state(
            state_a, expectations(self.config(), self.ids, settings, self.azs), phase="after apply"
        )
        self.phase = "refresh B"
        state_b = self.read_all()
        self.report.states["B"] = state_b
        self.report.drifts += state_differences(
            state_a, state_b, phase="refresh B differs from refresh A"
        )
        self.update_all()
        self.phase = "refresh after update"
        updated = self.read_all(updated=True)
        self.report.states["updated"] = updated
        self.report.drifts += compare_state(
            updated,
            expectations(self.config(updated=True), self.ids, settings, self.azs),
            phase="after update",
        )
        self.destroy_all()
        self.verify_gone()


def replay_vpc_stack(
    client: Any,
    *,
    settings: StackSettings | None = None,
    check: ResponseCheck | None = None,
    poll: float = 0.05,
    timeout: float = 15.0,
) -> Report:
    """Replay the provider's full sequence for the VPC stack against ``client``'s endpoint.

    ``client`` is a botocore (or boto3) EC2 client, or a zero-argument factory returning one;
    ``check(operation_model, status, body)`` is called with every raw response. Never raises for endpoint misbehaviour: everything is in the
    returned :class:`Report` (``report.ok``), and after a failure whatever was created is destroyed
    on a best-effort basis.
    """
    if callable(client) and not hasattr(client, "meta"):
        client = client()
    harness = Harness(client, check=check, poll=poll, timeout=timeout)
    report = Report(calls=harness.calls)
    replay = _Replay(harness, settings or StackSettings(), report)
    try:
        replay.run()
    except (ApiError, NotFound, WaitError, tf.DataSourceError, KeyError) as exc:
        report.problems.append(f"{replay.phase}: {type(exc).__name__}: {exc}")
        replay.destroy_all(best_effort=True)
    report.ids = dict(replay.ids)
    return report
