"""Route targets: the table of target kinds (``TARGETS``) and the checks of a requested target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from handlers.route_tables.constants import LOCAL
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params

# --- targets ---------------------------------------------------------------------------------


def gateway_not_found(gateway_id: str) -> AwsError:
    """``GatewayId`` naming no gateway of the caller (also ``local`` on ``CreateRoute``)."""
    return AwsError("InvalidGatewayID.NotFound", f"The gateway ID '{gateway_id}' does not exist")


def _not_found(code: str, noun: str, dot: str = "") -> Callable[[str], AwsError]:
    return lambda value: AwsError(code, f"The {noun} ID '{value}' does not exist{dot}")


@dataclass(frozen=True, slots=True)
class Target:
    """One route target member: how it is checked, stored and rendered."""

    param: str
    field: str
    api: str
    prefix: str
    not_found: Callable[[str], AwsError]
    kind: str | None = None
    """A key of KINDS when we store records of the target (existence and VPC are checked)."""
    noun: str = "network gateway"
    """How AWS names the target in "… belong to different networks"."""


TARGETS: Final = (
    Target("GatewayId", "gateway_id", "GatewayId", "igw-", gateway_not_found, "internet-gateway"),
    Target(
        "NatGatewayId",
        "nat_gateway_id",
        "NatGatewayId",
        "nat-",
        KINDS["nat-gateway"].not_found,
        "nat-gateway",
    ),
    Target(
        "EgressOnlyInternetGatewayId",
        "egress_only_internet_gateway_id",
        "EgressOnlyInternetGatewayId",
        "eigw-",
        gateway_not_found,
        "egress-only-internet-gateway",
    ),
    Target(
        "NetworkInterfaceId",
        "network_interface_id",
        "NetworkInterfaceId",
        "eni-",
        KINDS["network-interface"].not_found,
        "network-interface",
        "interface",
    ),
    Target(
        "InstanceId",
        "instance_id",
        "InstanceId",
        "i-",
        KINDS["instance"].not_found,
        "instance",
        "instance",
    ),
    Target(
        "VpcPeeringConnectionId",
        "vpc_peering_connection_id",
        "VpcPeeringConnectionId",
        "pcx-",
        _not_found("InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection"),
    ),
    Target(
        "TransitGatewayId",
        "transit_gateway_id",
        "TransitGatewayId",
        "tgw-",
        _not_found("InvalidTransitGatewayID.NotFound", "transitGateway", "."),
    ),
    Target(
        "LocalGatewayId",
        "local_gateway_id",
        "LocalGatewayId",
        "lgw-",
        _not_found("InvalidLocalGatewayID.NotFound", "localGateway"),
    ),
    Target(
        "CarrierGatewayId",
        "carrier_gateway_id",
        "CarrierGatewayId",
        "cagw-",
        _not_found("InvalidCarrierGatewayID.NotFound", "carrierGateway"),
    ),
    Target(
        "VpcEndpointId",
        "vpc_endpoint_id",
        "GatewayId",
        "vpce-",
        _not_found("InvalidVpcEndpointId.NotFound", "VpcEndPoint"),
    ),
    Target(
        "CoreNetworkArn",
        "core_network_arn",
        "CoreNetworkArn",
        "arn:",
        lambda v: invalid_parameter_value(f"Value ({v}) for parameter coreNetworkArn is invalid."),
    ),
    Target(
        "OdbNetworkArn",
        "odb_network_arn",
        "OdbNetworkArn",
        "arn:",
        lambda v: invalid_parameter_value(f"Value ({v}) for parameter odbNetworkArn is invalid."),
    ),
)


TARGET_BY_PARAM: Final = {t.param: t for t in TARGETS}


_TARGET_WIRES: Final = ", ".join(t.param[0].lower() + t.param[1:] for t in TARGETS)


#: ``GatewayId`` prefixes AWS files under another member, and the ones accepted as given.
_GATEWAY_ALIASES: Final = {"nat-": "NatGatewayId", "eigw-": "EgressOnlyInternetGatewayId"}


_UNSTORED_GATEWAYS: Final = ("vgw-", "vpce-")


async def find_record(ctx: RequestContext, kind: str, resource_id: str) -> Record | None:
    """The caller's record of a target kind, or ``None``.

    A kind whose record schema does not exist (its family is not implemented yet) has no
    records: nothing could have written one.
    """
    try:
        return await records.find(ctx, KINDS[kind], resource_id)
    except ValueError:
        return None


def _different_networks(table: Record, target: Target, value: str) -> AwsError:
    return invalid_parameter_value(
        f"route table {table['route_table_id']} and {target.noun} {value} belong to different networks"
    )


async def _check_target(ctx: RequestContext, table: Record, target: Target, value: str) -> None:
    """The target exists for the caller and lives in the table's VPC (kinds we store)."""
    if not value.startswith(target.prefix):
        raise target.not_found(value)
    if target.kind is None:
        return
    record = await find_record(ctx, target.kind, value)
    if record is None:
        raise target.not_found(value)
    if target.kind == "internet-gateway":  # vpc_id "" = detached: in no network at all
        if record.get("vpc_id") != table["vpc_id"]:
            raise _different_networks(table, target, value)
    elif record.get("vpc_id") and record["vpc_id"] != table["vpc_id"]:
        raise _different_networks(table, target, value)


async def requested_target(
    ctx: RequestContext, table: Record, params: Params, *, replace: bool = False
) -> dict[str, str]:
    """The route's one target as record fields (``{"gateway_id": "igw-…"}``), checked.

    ``replace`` allows ``LocalTarget=true`` / ``GatewayId=local`` (``ReplaceRoute``), which give
    ``{"gateway_id": "local"}``.
    """
    given = [(TARGET_BY_PARAM[p], str(params[p])) for p in TARGET_BY_PARAM if params.get(p)]
    wants_local = bool(params.get("LocalTarget")) or params.get("GatewayId") == LOCAL
    if replace and wants_local:
        if len(given) > (1 if params.get("GatewayId") == LOCAL else 0):
            raise invalid_parameter_combination(
                "The parameter localTarget cannot be used with another route target"
            )
        return {"gateway_id": LOCAL}
    if not given:
        raise AwsError(
            "MissingParameter", f"The request must contain exactly one of {_TARGET_WIRES}"
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            f"The request must contain exactly one of {_TARGET_WIRES}"
        )
    target, value = given[0]
    if target.param == "GatewayId":
        alias = next(
            (p for prefix, p in _GATEWAY_ALIASES.items() if value.startswith(prefix)), None
        )
        if alias is not None:
            target = TARGET_BY_PARAM[alias]
            if await find_record(ctx, str(target.kind), value) is None:
                raise gateway_not_found(value)
        elif value.startswith(_UNSTORED_GATEWAYS):
            return {"gateway_id": value}
        elif not value.startswith("igw-"):
            raise gateway_not_found(value)
    await _check_target(ctx, table, target, value)
    return {target.field: value}
