"""Route destinations: IPv4 and IPv6 CIDRs and prefix lists, as requested and as stored."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from handlers.route_tables.constants import ACTIVE, LOCAL, ORIGIN_LOCAL
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params

# --- destinations ----------------------------------------------------------------------------


def _cidr_parser(version: int, wire: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            network = None
        if network is None or network.version != version or "/" not in text:
            raise invalid_parameter_value(
                f"Value ({text}) for parameter {wire} is invalid. This is not a valid CIDR block."
            )
        return network.compressed

    return parse


def _parse_prefix_list(text: str) -> str:
    if not text.startswith("pl-"):
        raise AwsError(
            "InvalidPrefixListID.NotFound", f"The prefix list ID '{text}' does not exist"
        )
    return text


@dataclass(frozen=True, slots=True)
class Destination:
    """One way of naming a route's destination."""

    param: str
    field: str
    wire: str
    parse: Callable[[str], str]


DESTINATIONS: Final = (
    Destination(
        "DestinationCidrBlock",
        "destination_cidr_block",
        "destinationCidrBlock",
        _cidr_parser(4, "destinationCidrBlock"),
    ),
    Destination(
        "DestinationIpv6CidrBlock",
        "destination_ipv6_cidr_block",
        "destinationIpv6CidrBlock",
        _cidr_parser(6, "destinationIpv6CidrBlock"),
    ),
    Destination(
        "DestinationPrefixListId",
        "destination_prefix_list_id",
        "destinationPrefixListId",
        _parse_prefix_list,
    ),
)


_DESTINATION_WIRES: Final = ", ".join(d.wire for d in DESTINATIONS)


def requested_destination(params: Params) -> tuple[str, str]:
    """``(record field, canonical value)`` of the one destination in a route request."""
    given = [d for d in DESTINATIONS if params.get(d.param)]
    if not given:
        raise AwsError(
            "MissingParameter",
            f"The request must contain exactly one of {_DESTINATION_WIRES}",
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            f"The request must contain exactly one of {_DESTINATION_WIRES}"
        )
    destination = given[0]
    return destination.field, destination.parse(str(params[destination.param]))


def route_destination(route: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(field, value)`` of a stored route's destination."""
    for destination in DESTINATIONS:
        value = route.get(destination.field)
        if value:
            return destination.field, str(value)
    return None


def local_route(cidr: str) -> Record:
    """The ``local`` route of a VPC CIDR (IPv4 or IPv6)."""
    network = ipaddress.ip_network(cidr, strict=False)
    field = "destination_cidr_block" if network.version == 4 else "destination_ipv6_cidr_block"
    return {field: network.compressed, "gateway_id": LOCAL, "state": ACTIVE, "origin": ORIGIN_LOCAL}


def is_local(route: Mapping[str, Any]) -> bool:
    """A route the table got from its VPC's CIDR (cannot be deleted)."""
    return route.get("origin") == ORIGIN_LOCAL
