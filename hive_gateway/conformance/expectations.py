"""What a plan compares: per address, every attribute whose state value must match the
configuration (:func:`expectations`), matchers for the sets the provider compares by content
(security group rules, network ACL entries, routes), and the two comparisons the replay makes —
state against configuration (:func:`compare_state`) and refresh against refresh
(:func:`state_differences`); each difference is a :class:`~hive_gateway.conformance.runner.Drift`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive_gateway.conformance.runner import Drift
from hive_gateway.conformance.stack import (
    DATA_AZS,
    DATA_DEFAULT_SUBNET,
    DATA_DEFAULT_VPC,
    DATA_SG,
    DATA_SUBNET,
    DATA_SUBNETS,
    DATA_VPC,
    DEFAULT_DHCP,
    DEFAULT_NACL,
    DEFAULT_RT,
    DEFAULT_SG,
    DEFAULT_SUBNET,
    DEFAULT_VPC,
    EIGW,
    IGW,
    NACL,
    ROUTE,
    RT_PRIVATE,
    RT_PUBLIC,
    RTA,
    SG,
    SUBNET_A,
    SUBNET_B,
    VPC,
    StackConfig,
    StackSettings,
)
from hive_gateway.conformance.terraform.aws_network_acl import nacl_rule_key
from hive_gateway.conformance.terraform.aws_security_group import config_atoms, state_atoms
from hive_gateway.conformance.terraform.config import (
    DefaultSubnetConfig,
    NaclRule,
    RouteSpec,
    SgRule,
    State,
    SubnetConfig,
)


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
        expected, got = config_atoms(self.rules), state_atoms(actual or [])
        if expected == got:
            return None
        return f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"

    def __repr__(self) -> str:
        return f"rules {sorted(config_atoms(self.rules))}"


@dataclass(repr=False)
class NaclRulesMatch(Matcher):
    rules: tuple[NaclRule, ...]

    def problem(self, actual: Any) -> str | None:
        expected = {nacl_rule_key(r) for r in self.rules}
        got = {nacl_rule_key(r) for r in actual or []}
        if expected == got:
            return None
        return f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"

    def __repr__(self) -> str:
        return f"entries {sorted(nacl_rule_key(r) for r in self.rules)}"


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


def _subnet_expectations(config: SubnetConfig | DefaultSubnetConfig, vpc_id: str) -> Expected:
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
    if isinstance(config, SubnetConfig):
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
