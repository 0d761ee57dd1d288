"""Customer gateways: create, delete, describe.

AWS behaviour reproduced:

* ``Type`` is ``ipsec.1``; ``BgpAsn`` defaults to 65000 (``BgpAsnExtended`` takes 32-bit ASNs
  from 2147483648, not both); ``IpAddress`` (or the older ``PublicIp``) is an IPv4 address;
* creating a gateway with the type, address and ASN of an existing one answers that one (AWS:
  "subsequent requests do not create new customer gateway resources");
* a new gateway is ``available``; a deleted one is ``deleted`` and stays describable for a
  while (``vpn-retention``), which Terraform's finder treats as gone;
* an unknown id is ``InvalidCustomerGatewayID.NotFound``.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Final

from handlers.vpn.retention import describe_retained
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

CGW: Final = KINDS["customer-gateway"]
records.indexed(CGW, "ip_address")  # CreateCustomerGateway finds an existing twin by address
IPSEC: Final = "ipsec.1"
DEFAULT_ASN: Final = 65000
RETENTION: Final = "vpn-retention"


def shown(record: Record) -> str:
    """``available`` or ``deleted``."""
    return str(record.get("state") or "available")



@live("customer-gateway")
def _live(ctx: RequestContext, record: Record, now: datetime) -> bool:
    return shown(record) != "deleted"


def customer_gateway_to_api(ctx: RequestContext, record: Record) -> Record:
    """A record as a ``CustomerGateway`` (``BgpAsn`` is a string in the model)."""
    out: Record = {
        "CustomerGatewayId": record["customer_gateway_id"],
        "BgpAsn": str(record["bgp_asn"]),
        "IpAddress": record.get("ip_address"),
        "State": shown(record),
        "Type": record["type"],
        "Tags": api_tags(record_tags(record)),
    }
    if record["bgp_asn"] > 2147483647:
        out["BgpAsnExtended"] = str(record["bgp_asn"])
    for field, member in (("certificate_arn", "CertificateArn"), ("device_name", "DeviceName")):
        if record.get(field):
            out[member] = record[field]
    return out


CUSTOMER_GATEWAY_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "bgp-asn": lambda g: g["BgpAsn"],
        "customer-gateway-id": lambda g: g["CustomerGatewayId"],
        "ip-address": lambda g: g.get("IpAddress"),
        "state": lambda g: g["State"],
        "type": lambda g: g["Type"],
    },
    tags=lambda g: {t["Key"]: t["Value"] for t in g.get("Tags", [])},
    # ``bgp-asn`` is a number in the record, text in the filter; ``state`` is derived.
    indexes={
        "customer-gateway-id": "customer_gateway_id",
        "ip-address": "ip_address",
        "type": "type",
    },
)


def _asn(params: Params) -> int:
    asn, extended = params.get("BgpAsn"), params.get("BgpAsnExtended")
    if asn is not None and extended is not None:
        raise invalid_parameter_combination(
            "The parameter bgpAsn cannot be used with the parameter bgpAsnExtended"
        )
    if extended is not None:
        if not 2147483648 <= int(extended) <= 4294967295:
            raise invalid_parameter_value(
                f"Value ({extended}) for parameter bgpAsnExtended is invalid. "
                "It must be between 2147483648 and 4294967295."
            )
        return int(extended)
    value = DEFAULT_ASN if asn is None else int(asn)
    if not 1 <= value <= 2147483647:
        raise invalid_parameter_value(
            f"Value ({value}) for parameter bgpAsn is invalid. It must be between 1 and 2147483647."
        )
    return value


def _ip(params: Params) -> str | None:
    given = params.get("IpAddress") or params.get("PublicIp")
    if given is None:
        return None
    try:
        return str(ipaddress.IPv4Address(str(given)))
    except ValueError:
        raise invalid_parameter_value(
            f"Value ({given}) for parameter ipAddress is invalid. Invalid IP address format."
        ) from None


@action("CreateCustomerGateway")
async def create_customer_gateway(ctx: RequestContext, params: Params) -> Result:
    """A customer gateway (or the existing one with the same type, address and ASN)."""
    kind = params.get("Type") or IPSEC
    if kind != IPSEC:
        raise invalid_parameter_value(f"Value ({kind}) for parameter type is invalid.")
    asn = _asn(params)
    ip = _ip(params)
    if ip is None and not params.get("CertificateArn"):
        raise AwsError("MissingParameter", "The request must contain the parameter ipAddress")
    tags = tags_from_specifications(params, "customer-gateway")
    for existing in await records.where(ctx, CGW, ip_address=ip, type=kind, bgp_asn=asn):
        return {"CustomerGateway": customer_gateway_to_api(ctx, existing)}
    record: Record = {
        "customer_gateway_id": new_id("customer-gateway"),
        "type": kind,
        "bgp_asn": asn,
        "ip_address": ip,
        "state": "available",
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    for field, member in (("certificate_arn", "CertificateArn"), ("device_name", "DeviceName")):
        if params.get(member):
            record[field] = str(params[member])
    if ip is None:
        del record["ip_address"]
    record = await records.create(ctx, CGW, record)
    return {"CustomerGateway": customer_gateway_to_api(ctx, record)}


@action("DeleteCustomerGateway")
async def delete_customer_gateway(ctx: RequestContext, params: Params) -> Result:
    """The gateway becomes ``deleted`` (describable for a while)."""
    gateway_id = params["CustomerGatewayId"]
    await records.get(ctx, CGW, gateway_id)
    gone_at = clock.stamp(clock.now() + clock.seconds(ctx, RETENTION))

    def delete(current: Record) -> Record:
        if shown(current) == "deleted":
            raise CGW.not_found(gateway_id)
        return {**current, "state": "deleted", "gone_at": gone_at}

    await records.mutate(ctx, CGW, gateway_id, delete)
    return None


@action("DescribeCustomerGateways")
async def describe_customer_gateways(ctx: RequestContext, params: Params) -> Result:
    """The caller's customer gateways (deleted ones for a while): ids, filters."""
    return await describe_retained(
        ctx,
        params,
        CGW,
        customer_gateway_to_api,
        id_member="CustomerGatewayId",
        ids_param="CustomerGatewayIds",
        result_key="CustomerGateways",
        spec=CUSTOMER_GATEWAY_FILTERS,
    )
