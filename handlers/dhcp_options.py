"""DHCP option sets: ``CreateDhcpOptions``, ``DeleteDhcpOptions``, ``DescribeDhcpOptions`` and
``AssociateDhcpOptions``.

AWS behaviour reproduced:

* each account has a default set (``domain-name`` = ``<region>.compute.internal``, or
  ``ec2.internal`` in us-east-1; ``domain-name-servers`` = ``AmazonProvidedDNS``) that new VPCs
  use;
* ``AssociateDhcpOptions DhcpOptionsId=default`` leaves the VPC with no options (its
  ``DhcpOptionsId`` reads ``default``);
* a set in use by a VPC cannot be deleted::

    DeleteDhcpOptions DhcpOptionsId=dopt-1
    → DependencyViolation: The dhcpOptions 'dopt-1' has dependencies and cannot be deleted.

* keys are limited to the documented options; at most four servers per server option.

The default set's id is derived from the account (``dopt-`` + 17 hex of a hash), so creating it
is a create-if-absent on one key and concurrent first ``CreateVpc`` calls agree on one set.
``DeleteDhcpOptions`` marks the set ``deleting`` (compare-and-swap) before looking for VPCs that
use it, and ``AssociateDhcpOptions`` re-reads the set after pointing the VPC at it, so a racing
delete and associate never leave a VPC pointing at a deleted set.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any, Final

from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value, missing_parameter
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

DOPT: Final = KINDS["dhcp-options"]
VPC: Final = KINDS["vpc"]

NO_OPTIONS: Final = "default"
"""``DhcpOptionsId`` of a VPC associated with no options."""

MAX_SERVERS: Final = 4
MIN_LEASE_TIME: Final = 140
MAX_LEASE_TIME: Final = 2147483647


def _single(key: str, values: list[str]) -> None:
    if len(values) != 1:
        raise invalid_parameter_value(
            f"Value ({','.join(values)}) for parameter {key} is invalid. Only one value is allowed."
        )


def _servers(*, ipv6: bool, amazon_dns: bool = False) -> Callable[[str, list[str]], None]:
    """Checker for a server list: at most four IP addresses (or ``AmazonProvidedDNS``)."""

    def check(key: str, values: list[str]) -> None:
        if len(values) > MAX_SERVERS:
            raise invalid_parameter_value(
                f"Value ({','.join(values)}) for parameter {key} is invalid. "
                f"At most {MAX_SERVERS} servers can be specified."
            )
        for value in values:
            if amazon_dns and value == "AmazonProvidedDNS":
                continue
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                address = None
            if address is None or (address.version == 6 and not ipv6):
                raise invalid_parameter_value(
                    f"Value ({value}) for parameter {key} is invalid. It is not a valid IP address."
                )

    return check


def _node_type(key: str, values: list[str]) -> None:
    _single(key, values)
    if values[0] not in ("1", "2", "4", "8"):
        raise invalid_parameter_value(
            f"Value ({values[0]}) for parameter {key} is invalid. Valid values are 1, 2, 4 and 8."
        )


def _lease_time(key: str, values: list[str]) -> None:
    _single(key, values)
    try:
        seconds = int(values[0])
    except ValueError:
        seconds = -1
    if not MIN_LEASE_TIME <= seconds <= MAX_LEASE_TIME:
        raise invalid_parameter_value(
            f"Value ({values[0]}) for parameter {key} is invalid. "
            f"It must be between {MIN_LEASE_TIME} and {MAX_LEASE_TIME} seconds."
        )


#: Every option AWS accepts, in the order sets are rendered, with its value check.
OPTIONS: Final[dict[str, Callable[[str, list[str]], None]]] = {
    "domain-name": _single,
    "domain-name-servers": _servers(ipv6=True, amazon_dns=True),
    "ntp-servers": _servers(ipv6=True),
    "netbios-name-servers": _servers(ipv6=False),
    "netbios-node-type": _node_type,
    "ipv6-address-preferred-lease-time": _lease_time,
}


def _configurations(params: Mapping[str, Any]) -> list[Record]:
    """Validated ``DhcpConfigurations`` as record ``configurations`` (a key given twice merges)."""
    merged: dict[str, list[str]] = {}
    for item in params.get("DhcpConfigurations") or ():
        key = item.get("Key")
        if not key:
            raise missing_parameter("dhcpConfiguration.key")
        if key not in OPTIONS:
            raise invalid_parameter_value(
                f"Value ({key}) for parameter dhcpConfiguration.key is invalid. Unknown DHCP option."
            )
        values = [str(v) for v in item.get("Values") or ()]
        if not values:
            raise invalid_parameter_value(f"Value for parameter {key} must not be empty.")
        merged.setdefault(key, []).extend(v for v in values if v not in merged.get(key, []))
    if not merged:
        raise missing_parameter("dhcpConfiguration")
    for key, values in merged.items():
        OPTIONS[key](key, values)
    return [{"key": key, "values": merged[key]} for key in OPTIONS if key in merged]


def dhcp_options_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """A stored set in API form (``DhcpOptions`` shape)."""
    return {
        "DhcpConfigurations": [
            {"Key": c["key"], "Values": [{"Value": v} for v in c.get("values") or ()]}
            for c in record.get("configurations") or ()
        ],
        "DhcpOptionsId": record["dhcp_options_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
        "Tags": api_tags(record_tags(record)),
    }


DHCP_OPTIONS_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "dhcp-options-id": lambda d: d["DhcpOptionsId"],
        "key": lambda d: [c["Key"] for c in d["DhcpConfigurations"]],
        "value": lambda d: [v["Value"] for c in d["DhcpConfigurations"] for v in c["Values"]],
        "owner-id": lambda d: d["OwnerId"],
    },
    tags=lambda d: {t["Key"]: t["Value"] for t in d.get("Tags", [])},
    indexes={"dhcp-options-id": "dhcp_options_id"},
)


# --- the account's default set ----------------------------------------------------------------------


def default_domain_name(region: str) -> str:
    """AWS's default ``domain-name``: ``ec2.internal`` in us-east-1, else ``<region>.compute.internal``."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def _default_id(account_id: str) -> str:
    digest = hashlib.sha256(f"default-dhcp-options:{account_id}".encode()).hexdigest()
    return f"dopt-{digest[:17]}"


async def default_dhcp_options_id(ctx: RequestContext) -> str:
    """The id of the account's default set, created on first use (safe under concurrency)."""
    dopt_id = _default_id(ctx.account_id)
    if await records.find(ctx, DOPT, dopt_id) is not None:
        return dopt_id
    record: Record = {
        "dhcp_options_id": dopt_id,
        "configurations": [
            {"key": "domain-name", "values": [default_domain_name(ctx.runtime.settings.region)]},
            {"key": "domain-name-servers", "values": ["AmazonProvidedDNS"]},
        ],
        "is_default": True,
        "tags": {},
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    await records.create(ctx, DOPT, record, exist_ok=True)  # a racing request: same id and content
    return dopt_id


# --- actions ------------------------------------------------------------------------------------------


@action("CreateDhcpOptions")
async def create_dhcp_options(ctx: RequestContext, params: Params) -> Result:
    """A new set from ``DhcpConfigurations`` (validated per option)."""
    tags = tags_from_specifications(params, "dhcp-options")
    record: Record = {
        "dhcp_options_id": new_id("dhcp-options"),
        "configurations": _configurations(params),
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    await records.create(ctx, DOPT, record)
    return {"DhcpOptions": dhcp_options_to_api(ctx, record)}


@action("DeleteDhcpOptions")
async def delete_dhcp_options(ctx: RequestContext, params: Params) -> Result:
    """Delete a set no VPC uses (``DependencyViolation`` otherwise)."""
    # VPCs using the set are declared in vpcs (blocks("dhcp-options", by="vpc", ...)).
    await dependents.delete_guarded(ctx, DOPT, params["DhcpOptionsId"])
    return None


@action("DescribeDhcpOptions")
async def describe_dhcp_options(ctx: RequestContext, params: Params) -> Result:
    """Sets by id, filters (``dhcp-options-id``, ``key``, ``value``, ``owner-id``, tags) and page."""
    return await describe.describe(
        ctx,
        DOPT,
        params,
        ids_param="DhcpOptionsIds",
        result_key="DhcpOptions",
        spec=DHCP_OPTIONS_FILTERS,
        to_api=dhcp_options_to_api,
    )


@action("AssociateDhcpOptions")
async def associate_dhcp_options(ctx: RequestContext, params: Params) -> Result:
    """Point the VPC at a set, or at none with ``default``; other VPC fields are untouched."""
    dopt_id = params["DhcpOptionsId"]
    vpc_id = params["VpcId"]
    if dopt_id != NO_OPTIONS:
        found = await records.get(ctx, DOPT, dopt_id)
        if await dependents.is_deleting(ctx, DOPT, found):
            raise DOPT.not_found(dopt_id)
    previous: dict[str, Any] = {}

    def point(vpc: Record) -> Record:
        previous["id"] = vpc.get("dhcp_options_id")
        return {**vpc, "dhcp_options_id": dopt_id}

    await records.mutate(ctx, VPC, vpc_id, point)
    if dopt_id == NO_OPTIONS:
        return None

    async def undo() -> None:
        """A DeleteDhcpOptions won the race: undo, unless someone re-pointed the VPC since."""

        def restore(vpc: Record) -> Record:
            if vpc.get("dhcp_options_id") != dopt_id:
                return vpc
            restored = {k: v for k, v in vpc.items() if k != "dhcp_options_id"}
            if previous.get("id") is not None:
                restored["dhcp_options_id"] = previous["id"]
            return restored

        await records.mutate(ctx, VPC, vpc_id, restore)

    current = await records.find(ctx, DOPT, dopt_id)
    if current is None or await dependents.is_deleting(ctx, DOPT, current):
        await undo()
        raise DOPT.not_found(dopt_id)
    return None
