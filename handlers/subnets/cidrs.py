"""Subnet CIDR checks: inside the VPC's blocks, the allowed sizes, no overlap."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from handlers.subnets.constants import IPV6_PREFIX, LIVE_CIDR_STATES, MAX_PREFIX, MIN_PREFIX
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)

# --- CIDR rules ---------------------------------------------------------------------------------------


def _parse(
    text: str, version: int, parameter: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``text`` as a network of ``version``; AWS's "not a valid CIDR block" otherwise."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        network = None
    if network is None or network.version != version or "/" not in text:
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {parameter} is invalid. This is not a valid CIDR block."
        )
    return network


def _subnet_range(cidr: str) -> AwsError:
    return AwsError("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")


def vpc_ipv4_networks(vpc: Mapping[str, Any]) -> list[ipaddress.IPv4Network]:
    """The VPC's primary CIDR and every associated secondary one."""
    texts = [vpc.get("cidr_block")] + [
        a.get("cidr_block")
        for a in vpc.get("cidr_block_associations") or ()
        if a.get("state", "associated") in LIVE_CIDR_STATES
    ]
    networks: list[ipaddress.IPv4Network] = []
    for text in texts:
        if text:
            network = ipaddress.ip_network(str(text), strict=False)
            if isinstance(network, ipaddress.IPv4Network) and network not in networks:
                networks.append(network)
    return networks


def vpc_ipv6_networks(vpc: Mapping[str, Any]) -> list[ipaddress.IPv6Network]:
    """The VPC's associated IPv6 CIDRs (Amazon-provided /56s)."""
    networks: list[ipaddress.IPv6Network] = []
    for assoc in vpc.get("ipv6_cidr_block_associations") or ():
        text = assoc.get("ipv6_cidr_block")
        if text and assoc.get("state", "associated") in LIVE_CIDR_STATES:
            network = ipaddress.ip_network(str(text), strict=False)
            if isinstance(network, ipaddress.IPv6Network):
                networks.append(network)
    return networks


def check_ipv4_cidr(vpc: Mapping[str, Any], cidr: str) -> str:
    """The normalised subnet CIDR, after AWS's size and containment rules."""
    network = _parse(cidr, 4, "cidrBlock")
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        raise _subnet_range(cidr)
    assert isinstance(network, ipaddress.IPv4Network)
    if not any(network.subnet_of(outer) for outer in vpc_ipv4_networks(vpc)):
        raise _subnet_range(cidr)
    return str(network)


def check_ipv6_cidr(vpc: Mapping[str, Any], cidr: str) -> str:
    """The normalised /64, which must lie inside one of the VPC's IPv6 CIDRs."""
    network = _parse(cidr, 6, "ipv6CidrBlock")
    outer = vpc_ipv6_networks(vpc)
    if not outer:
        raise invalid_parameter_value(
            f"Value ({cidr}) for parameter ipv6CidrBlock is invalid. "
            f"The VPC '{vpc['vpc_id']}' has no IPv6 CIDR block."
        )
    assert isinstance(network, ipaddress.IPv6Network)
    if network.prefixlen != IPV6_PREFIX or not any(network.subnet_of(o) for o in outer):
        raise _subnet_range(cidr)
    return str(network)
