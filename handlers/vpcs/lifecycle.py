"""``CreateVpc`` (with AWS's implicit resources) and ``DeleteVpc``."""

from __future__ import annotations

import ipaddress
from typing import Final

from handlers import dhcp_options, network_acls, route_tables, security_groups
from handlers.vpcs.constants import FIRST_VNI, VPC
from handlers.vpcs.views import _hex, vpc_to_api
from hive_gateway.core import clock, dependents, records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.hive import events

# What a VPC holds on to (architecture.md §2): its DHCP option set cannot be deleted while used
# (AssociateDhcpOptions re-reads the set after pointing the VPC at it; CreateVpc uses the
# account's default set, created on demand, so it is not re-checked). Every family whose records
# live in a VPC declares its own ``blocks("vpc", …)``.
dependents.blocks("dhcp-options", by="vpc", field="dhcp_options_id", recheck=False)


#: AWS refuses to mix these private ranges as primary and secondary VPC CIDRs.
_RESTRICTED_RANGES: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.19.0.0/16")
)


# --- validation ------------------------------------------------------------------------------


def parse_vpc_cidr(text: str, parameter: str = "cidrBlock") -> ipaddress.IPv4Network:
    """A VPC IPv4 CIDR, normalised (``10.0.0.5/16`` → ``10.0.0.0/16``), sized /16–/28."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {parameter} is invalid. This is not a valid CIDR block."
        ) from exc
    if not isinstance(network, ipaddress.IPv4Network):
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {parameter} is invalid. This is not a valid CIDR block."
        )
    if not 16 <= network.prefixlen <= 28:
        raise AwsError("InvalidVpc.Range", f"The CIDR '{text}' is invalid.")
    return network


def _restricted_family(network: ipaddress.IPv4Network) -> ipaddress.IPv4Network | None:
    return next((r for r in _RESTRICTED_RANGES if network.subnet_of(r)), None)


# --- storage helpers -------------------------------------------------------------------------


async def _next_vni(ctx: RequestContext) -> int:
    """Hive's VNI counter (``<prefix>-vpc-vni-counter``/``counter``, a JSON int from 100)."""
    return await records.next_in_sequence(ctx, "vni_counter", first=FIRST_VNI)


async def _allocate_ipv6(ctx: RequestContext) -> str:
    """The next Amazon-provided /56 from the gateway's IPv6 pool."""
    pool = ipaddress.IPv6Network(ctx.runtime.settings.ipv6_pool)
    index = await ctx.runtime.records("vpc_index", "vpc_index")
    chosen: list[int] = []

    def take(current: Record | None) -> Record:
        cursor = int((current or {}).get("next", 0))
        chosen.append(cursor)
        return {"next": cursor + 1}

    await index.mutate("ipv6-pool", take)
    block = pool.network_address + chosen[-1] * (1 << (128 - 56))
    network = ipaddress.IPv6Network((block, 56))
    if not network.subnet_of(pool):
        raise AwsError(
            "InsufficientCidrBlocks", "There are not enough free IPv6 addresses in the pool."
        )
    return str(network)


async def _records_in_vpc(ctx: RequestContext, kind: str, vpc_id: str) -> list[Record]:
    return await records.where(ctx, KINDS[kind], live_only=False, vpc_id=vpc_id)


# --- CreateVpc -------------------------------------------------------------------------------


async def create_vpc_record(
    ctx: RequestContext,
    cidr: ipaddress.IPv4Network,
    *,
    tags: dict[str, str],
    tenancy: str = "default",
    is_default: bool = False,
    amazon_ipv6: bool = False,
) -> Record:
    """Create a VPC with everything AWS creates alongside it; returns the stored record."""
    vpc_id = new_id("vpc")
    ipv6_associations: list[Record] = []
    if amazon_ipv6:
        ipv6_associations.append(
            {
                "association_id": new_id("vpc-cidr-assoc"),
                "ipv6_cidr_block": await _allocate_ipv6(ctx),
                "state": "associated",
                "ipv6_pool": "Amazon",
                "network_border_group": ctx.runtime.settings.region,
            }
        )
    record: Record = {
        "vpc_id": vpc_id,
        "cidr_block": str(cidr),
        "state": "available",
        "is_default": is_default,
        "vni": await _next_vni(ctx),
        "enable_dns_hostnames": is_default,
        "enable_dns_support": True,
        "enable_network_address_usage_metrics": False,
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "instance_tenancy": tenancy,
        "dhcp_options_id": await dhcp_options.default_dhcp_options_id(ctx),
        "cidr_block_associations": [
            {
                "association_id": f"vpc-cidr-assoc-{_hex(vpc_id)}",
                "cidr_block": str(cidr),
                "state": "associated",
            }
        ],
        "ipv6_cidr_block_associations": ipv6_associations,
    }
    await vpc_index.create(ctx, vpc_id)
    await records.create(ctx, VPC, record)
    await route_tables.create_main_route_table(ctx, record)
    await security_groups.create_default_security_group(ctx, record)
    await network_acls.create_default_network_acl(ctx, record)
    await events.publish(
        ctx, "vpc.create", {"vpc_id": vpc_id, "cidr_block": str(cidr), "vni": record["vni"]}
    )
    return record


@action("CreateVpc")
async def create_vpc(ctx: RequestContext, params: Params) -> Result:
    """Create a VPC (``CidrBlock`` /16–/28; optional Amazon-provided IPv6 /56)."""
    if params.get("Ipv4IpamPoolId") or params.get("Ipv6IpamPoolId") or params.get("Ipv6Pool"):
        raise AwsError(
            "UnsupportedOperation", "IPAM and BYOIP pools are not supported by this gateway."
        )
    text = params.get("CidrBlock")
    if not text:
        raise AwsError(
            "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided."
        )
    tenancy = params.get("InstanceTenancy", "default")
    if tenancy == "host":
        raise invalid_parameter_value("The tenancy value host is not supported for a VPC.")
    tags = tags_from_specifications(params, "vpc")
    record = await create_vpc_record(
        ctx,
        parse_vpc_cidr(text),
        tags=tags,
        tenancy=tenancy,
        amazon_ipv6=bool(params.get("AmazonProvidedIpv6CidrBlock")),
    )
    return {"Vpc": vpc_to_api(ctx, record)}


# --- DeleteVpc -------------------------------------------------------------------------------


@action("DeleteVpc")
async def delete_vpc(ctx: RequestContext, params: Params) -> Result:
    """Delete a VPC and its default security group, main route table and default ACL."""
    vpc_id = params["VpcId"]
    # Blockers are declared by the dependent families; the default security group, main route
    # table and default ACL go with the VPC (their families' ("vpc", "deleted") reactions).
    await dependents.delete_guarded(ctx, VPC, vpc_id)
    await events.publish(ctx, "vpc.delete", {"vpc_id": vpc_id})
    return None
