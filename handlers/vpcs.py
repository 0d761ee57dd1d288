"""VPCs: create (with AWS's implicit resources), delete, describe, attributes, CIDR blocks.

``CreateVpc`` does what AWS does in the same call: it creates the main route table (a
``local`` route per CIDR and a ``Main`` association), the ``default`` security group, the default
network ACL, and associates the account's default DHCP options. ``DeleteVpc`` removes those with
the VPC and refuses (``DependencyViolation``) while anything else is left in it.

Every account also gets a default VPC (172.31.0.0/16, a /20 default subnet per zone that maps
public IPs, an attached internet gateway and a ``0.0.0.0/0`` route) before its first EC2 request,
as Hive does, so ``aws_default_vpc`` and ``data "aws_vpc" { default = true }`` work.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any, Final


from handlers import (
    dhcp_options,
    internet_gateways,
    network_acls,
    route_tables,
    security_groups,
    subnets,
)
from hive_gateway.hive import events
from hive_gateway.core import vpc_index
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action, on_first_request
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications
from hive_gateway.core.zones import zones

VPC = KINDS["vpc"]

# What a VPC holds on to (architecture.md §2): its DHCP option set cannot be deleted while used
# (AssociateDhcpOptions re-reads the set after pointing the VPC at it; CreateVpc uses the
# account's default set, created on demand, so it is not re-checked). Every family whose records
# live in a VPC declares its own ``blocks("vpc", …)``; NAT gateways have no family yet.
dependents.blocks("dhcp-options", by="vpc", field="dhcp_options_id", recheck=False)
dependents.blocks("vpc", by="nat-gateway", field="vpc_id")

#: ModifyVpcAttribute / DescribeVpcAttribute: API member ↔ record field ↔ Attribute enum value.
ATTRIBUTES: Final[dict[str, tuple[str, str]]] = {
    "EnableDnsSupport": ("enable_dns_support", "enableDnsSupport"),
    "EnableDnsHostnames": ("enable_dns_hostnames", "enableDnsHostnames"),
    "EnableNetworkAddressUsageMetrics": (
        "enable_network_address_usage_metrics",
        "enableNetworkAddressUsageMetrics",
    ),
}

#: AWS refuses to mix these private ranges as primary and secondary VPC CIDRs.
_RESTRICTED_RANGES: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.19.0.0/16")
)
MAX_IPV4_CIDRS: Final = 5
DEFAULT_VPC_CIDR: Final = "172.31.0.0/16"
DEFAULT_VPC_MARKER: Final = "default-vpc"
"""The claim document (``vpc-index``) that lets one request per account create the default VPC."""
FIRST_VNI: Final = 100
"""Hive's VNI counter starts at 100 (``vpc/service_impl.go``)."""


# --- rendering and filters -------------------------------------------------------------------


def _hex(vpc_id: str) -> str:
    return vpc_id.split("-", 1)[1]


def cidr_associations(record: Record) -> list[Record]:
    """The IPv4 CIDR associations, including Hive records that only carry ``cidr_block``."""
    stored = record.get("cidr_block_associations")
    if stored:
        return list(stored)
    return [
        {
            "association_id": f"vpc-cidr-assoc-{_hex(record['vpc_id'])}",
            "cidr_block": record["cidr_block"],
            "state": "associated",
        }
    ]


def vpc_to_api(ctx: RequestContext, record: Record) -> Record:
    """A VPC record in the ``Vpc`` shape."""
    ipv6 = [
        {
            "AssociationId": a["association_id"],
            "Ipv6CidrBlock": a["ipv6_cidr_block"],
            "Ipv6CidrBlockState": {"State": a["state"]},
            "NetworkBorderGroup": a.get("network_border_group", ctx.runtime.settings.region),
            "Ipv6Pool": a.get("ipv6_pool", "Amazon"),
        }
        for a in record.get("ipv6_cidr_block_associations", [])
        if a["state"] != "disassociated"
    ]
    return {
        "OwnerId": record.get("account_id", ctx.account_id),
        "InstanceTenancy": record.get("instance_tenancy", "default"),
        "Ipv6CidrBlockAssociationSet": ipv6,
        "CidrBlockAssociationSet": [
            {
                "AssociationId": a["association_id"],
                "CidrBlock": a["cidr_block"],
                "CidrBlockState": {"State": a["state"]},
            }
            for a in cidr_associations(record)
            if a["state"] != "disassociated"
        ],
        "IsDefault": bool(record.get("is_default")),
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
        "Tags": api_tags(record_tags(record)),
        "VpcId": record["vpc_id"],
        "State": record.get("state", "available"),
        "CidrBlock": record["cidr_block"],
        "DhcpOptionsId": record.get("dhcp_options_id") or "default",
    }


def _each(key: str, field: str, state: bool = False) -> Any:
    if state:
        return lambda v: [a[field]["State"] for a in v[key]]
    return lambda v: [a[field] for a in v[key]]


VPC_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "cidr": lambda v: v["CidrBlock"],
        "cidr-block-association.cidr-block": _each("CidrBlockAssociationSet", "CidrBlock"),
        "cidr-block-association.association-id": _each("CidrBlockAssociationSet", "AssociationId"),
        "cidr-block-association.state": _each("CidrBlockAssociationSet", "CidrBlockState", True),
        "dhcp-options-id": lambda v: v["DhcpOptionsId"],
        "ipv6-cidr-block-association.ipv6-cidr-block": _each(
            "Ipv6CidrBlockAssociationSet", "Ipv6CidrBlock"
        ),
        "ipv6-cidr-block-association.ipv6-pool": _each("Ipv6CidrBlockAssociationSet", "Ipv6Pool"),
        "ipv6-cidr-block-association.association-id": _each(
            "Ipv6CidrBlockAssociationSet", "AssociationId"
        ),
        "ipv6-cidr-block-association.state": _each(
            "Ipv6CidrBlockAssociationSet", "Ipv6CidrBlockState", True
        ),
        "is-default": lambda v: v["IsDefault"],
        "owner-id": lambda v: v["OwnerId"],
        "state": lambda v: v["State"],
        "vpc-id": lambda v: v["VpcId"],
    },
    tags=lambda v: {t["Key"]: t["Value"] for t in v["Tags"]},
    aliases={
        "cidrBlock": "cidr",
        "cidr-block": "cidr",
        "isDefault": "is-default",
        "vpcId": "vpc-id",
    },
    indexes={"vpc-id": "vpc_id"},
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
    return [r for r in await records.list_records(ctx, KINDS[kind]) if r.get("vpc_id") == vpc_id]


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


# --- DescribeVpcs, attributes, tenancy -----------------------------------------------------------


@action("DescribeVpcs")
async def describe_vpcs(ctx: RequestContext, params: Params) -> Result:
    """The caller's VPCs by id and filters, paged."""
    return await describe.describe(
        ctx, VPC, params, ids_param="VpcIds", result_key="Vpcs", spec=VPC_FILTERS, to_api=vpc_to_api
    )


@action("ModifyVpcAttribute")
async def modify_vpc_attribute(ctx: RequestContext, params: Params) -> Result:
    """Set exactly one DNS / metrics attribute (AWS refuses several in one call)."""
    given = [member for member in ATTRIBUTES if member in params]
    if not given:
        raise missing_parameter(
            "EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics"
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: "
            + ", ".join(ATTRIBUTES[m][1] for m in given)
        )
    member = given[0]
    value = params[member].get("Value")
    if value is None:
        raise missing_parameter(f"{member}.Value")
    field = ATTRIBUTES[member][0]

    def change(record: Record) -> Record:
        if field == "enable_dns_hostnames" and value and not record.get("enable_dns_support", True):
            raise invalid_parameter_value(
                "Cannot enable DNS hostnames while DNS support is disabled for the VPC."
            )
        return {**record, field: bool(value)}

    await records.mutate(ctx, VPC, params["VpcId"], change)
    return None


@action("DescribeVpcAttribute")
async def describe_vpc_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute of a VPC: ``{VpcId, EnableDnsSupport: {Value}}``."""
    record = await records.get(ctx, VPC, params["VpcId"])
    for member, (field, name) in ATTRIBUTES.items():
        if params["Attribute"] == name:
            default = field == "enable_dns_support"
            return {"VpcId": record["vpc_id"], member: {"Value": bool(record.get(field, default))}}
    raise invalid_parameter_value(
        f"Value ({params['Attribute']}) for parameter attribute is invalid."
    )


@action("ModifyVpcTenancy")
async def modify_vpc_tenancy(ctx: RequestContext, params: Params) -> Result:
    """Only ``dedicated`` → ``default`` is possible, as on AWS."""
    if params["InstanceTenancy"] != "default":
        raise invalid_parameter_value("The tenancy of a VPC can only be changed to default.")
    await records.mutate(ctx, VPC, params["VpcId"], lambda r: {**r, "instance_tenancy": "default"})
    return {"ReturnValue": True}


# --- CIDR blocks -------------------------------------------------------------------------------


CIDR: Final = "cidr"
"""Field of a ``("vpc", "cidr-associated" | "cidr-disassociated")`` event record: the block."""


async def _cidr_event(ctx: RequestContext, vpc_id: str, event: str, cidr: str) -> None:
    """Tell the VPC's dependents (local routes, ACL IPv6 rules) that ``cidr`` came or went."""
    vpc = await records.get(ctx, VPC, vpc_id)
    await dependents.fire(ctx, "vpc", event, {**vpc, CIDR: cidr})


@action("AssociateVpcCidrBlock")
async def associate_vpc_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Add a secondary IPv4 CIDR or an Amazon-provided IPv6 /56."""
    vpc_id = params["VpcId"]
    text = params.get("CidrBlock")
    ipv6 = bool(params.get("AmazonProvidedIpv6CidrBlock"))
    if params.get("Ipv4IpamPoolId") or params.get("Ipv6IpamPoolId") or params.get("Ipv6Pool"):
        raise AwsError(
            "UnsupportedOperation", "IPAM and BYOIP pools are not supported by this gateway."
        )
    if bool(text) == ipv6:
        raise invalid_parameter_combination(
            "Specify exactly one of cidrBlock or amazonProvidedIpv6CidrBlock."
        )
    association: Record
    if text:
        network = parse_vpc_cidr(text)
        association = {
            "association_id": new_id("vpc-cidr-assoc"),
            "cidr_block": str(network),
            "state": "associated",
        }

        def add_ipv4(record: Record) -> Record:
            current = [a for a in cidr_associations(record) if a["state"] == "associated"]
            if len(current) >= MAX_IPV4_CIDRS:
                raise AwsError(
                    "CidrLimitExceeded",
                    f"This network '{vpc_id}' has met its maximum number of allowed CIDRs: {MAX_IPV4_CIDRS}",
                )
            family = _restricted_family(ipaddress.IPv4Network(record["cidr_block"]))
            candidate = _restricted_family(network)
            if family is not None and candidate is not None and family != candidate:
                raise AwsError(
                    "InvalidVpc.Range",
                    f"The CIDR '{text}' is restricted and cannot be used with this VPC.",
                )
            for existing in current:
                if ipaddress.ip_network(existing["cidr_block"]).overlaps(network):
                    raise AwsError(
                        "InvalidVpc.Range",
                        f"The CIDR '{text}' conflicts with another CIDR block of the VPC.",
                    )
            return {**record, "cidr_block_associations": [*cidr_associations(record), association]}

        await records.mutate(ctx, VPC, vpc_id, add_ipv4)
        await _cidr_event(ctx, vpc_id, "cidr-associated", str(network))
        return {
            "VpcId": vpc_id,
            "CidrBlockAssociation": {
                "AssociationId": association["association_id"],
                "CidrBlock": association["cidr_block"],
                "CidrBlockState": {"State": "associated"},
            },
        }
    record = await records.get(ctx, VPC, vpc_id)
    if any(a["state"] == "associated" for a in record.get("ipv6_cidr_block_associations", [])):
        raise AwsError(
            "CidrLimitExceeded",
            f"This network '{vpc_id}' has met its maximum number of allowed CIDRs: 1",
        )
    block = await _allocate_ipv6(ctx)
    association = {
        "association_id": new_id("vpc-cidr-assoc"),
        "ipv6_cidr_block": block,
        "state": "associated",
        "ipv6_pool": "Amazon",
        "network_border_group": ctx.runtime.settings.region,
    }

    def add_ipv6(current: Record) -> Record:
        return {
            **current,
            "ipv6_cidr_block_associations": [
                *current.get("ipv6_cidr_block_associations", []),
                association,
            ],
        }

    await records.mutate(ctx, VPC, vpc_id, add_ipv6)
    await _cidr_event(ctx, vpc_id, "cidr-associated", block)
    return {
        "VpcId": vpc_id,
        "Ipv6CidrBlockAssociation": {
            "AssociationId": association["association_id"],
            "Ipv6CidrBlock": block,
            "Ipv6CidrBlockState": {"State": "associated"},
            "NetworkBorderGroup": association["network_border_group"],
            "Ipv6Pool": "Amazon",
        },
    }


@action("DisassociateVpcCidrBlock")
async def disassociate_vpc_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Remove a secondary IPv4 CIDR or the IPv6 block (never the primary CIDR)."""
    association_id = params["AssociationId"]
    for record in await records.list_records(ctx, VPC):
        for a in cidr_associations(record):
            if a["association_id"] == association_id and a["state"] == "associated":
                return await _disassociate(ctx, record, a, "cidr_block")
        for a in record.get("ipv6_cidr_block_associations", []):
            if a["association_id"] == association_id and a["state"] == "associated":
                return await _disassociate(ctx, record, a, "ipv6_cidr_block")
    raise AwsError(
        "InvalidVpcCidrBlockAssociationID.NotFound",
        f"The vpc CIDR block association ID '{association_id}' does not exist",
    )


async def _disassociate(
    ctx: RequestContext, vpc: Record, association: Record, field: str
) -> Result:
    vpc_id = vpc["vpc_id"]
    cidr = association[field]
    if field == "cidr_block" and cidr == vpc["cidr_block"]:
        raise AwsError(
            "OperationNotPermitted",
            f"The vpc CIDR block with association ID {association['association_id']} may not be disassociated. "
            "It is the primary IPv4 CIDR block of the VPC",
        )
    network = ipaddress.ip_network(cidr)
    for subnet in await _records_in_vpc(ctx, "subnet", vpc_id):
        blocks = [subnet["cidr_block"]] + [
            a["ipv6_cidr_block"] for a in subnet.get("ipv6_cidr_block_associations", [])
        ]
        if any(
            ipaddress.ip_network(b).version == network.version
            and ipaddress.ip_network(b).subnet_of(network)  # type: ignore[arg-type]
            for b in blocks
        ):
            raise AwsError(
                "InvalidCidrBlock.InUse",
                f"The vpc {vpc_id} currently has a subnet within CIDR block {cidr}",
            )
    list_field = (
        "cidr_block_associations" if field == "cidr_block" else "ipv6_cidr_block_associations"
    )

    def drop(record: Record) -> Record:
        current = (
            cidr_associations(record) if field == "cidr_block" else list(record.get(list_field, []))
        )
        kept = [a for a in current if a["association_id"] != association["association_id"]]
        return {**record, list_field: kept}

    await records.mutate(ctx, VPC, vpc_id, drop)
    await _cidr_event(ctx, vpc_id, "cidr-disassociated", cidr)
    if field == "cidr_block":
        return {
            "VpcId": vpc_id,
            "CidrBlockAssociation": {
                "AssociationId": association["association_id"],
                "CidrBlock": cidr,
                "CidrBlockState": {"State": "disassociated"},
            },
        }
    return {
        "VpcId": vpc_id,
        "Ipv6CidrBlockAssociation": {
            "AssociationId": association["association_id"],
            "Ipv6CidrBlock": cidr,
            "Ipv6CidrBlockState": {"State": "disassociated"},
            "NetworkBorderGroup": association.get(
                "network_border_group", ctx.runtime.settings.region
            ),
            "Ipv6Pool": association.get("ipv6_pool", "Amazon"),
        },
    }


# --- the default VPC -------------------------------------------------------------------------


DEFAULT_VPC_WAIT_SECONDS: Final = 30.0
"""How long a gateway waits for another one creating the account's default VPC (a marker
older than this, or without ``claimed_at``, was left by a crash: not waited for)."""


async def _default_vpc_made(ctx: RequestContext) -> None:
    """Wait while another gateway sharing the store is still creating the default VPC, so the
    first request here (a RunInstances without a subnet, say) finds its default subnets."""
    delay = 0.02
    while True:
        found = await records.doc_get(ctx, records.INDEX, DEFAULT_VPC_MARKER)
        if found is None or found[0].get("state") != "creating":
            return
        try:
            since = clock.parse_time(str(found[0]["claimed_at"]))
        except (KeyError, ValueError):
            return
        if (clock.now() - since).total_seconds() >= DEFAULT_VPC_WAIT_SECONDS:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


@on_first_request
async def ensure_default_vpc(ctx: RequestContext) -> None:
    """Create the account's default VPC once (race-safe across gateways sharing a store)."""
    if not ctx.runtime.settings.default_vpc:
        return
    if not await records.doc_create(
        ctx, records.INDEX, DEFAULT_VPC_MARKER, {"state": "creating", "claimed_at": clock.utc_now()}
    ):
        await _default_vpc_made(ctx)
        return
    network = ipaddress.IPv4Network(DEFAULT_VPC_CIDR)
    vpc = await create_vpc_record(ctx, network, tags={}, is_default=True)
    blocks = list(network.subnets(new_prefix=20))
    for zone, block in zip(zones(ctx), blocks):
        await subnets.create_subnet_record(
            ctx,
            vpc,
            str(block),
            zone["ZoneName"],
            default_for_az=True,
            map_public_ip_on_launch=True,
        )
    igw = await internet_gateways.create_internet_gateway_record(ctx, {})
    await internet_gateways.attach_internet_gateway(ctx, igw["internet_gateway_id"], vpc["vpc_id"])
    main = next(
        t for t in await _records_in_vpc(ctx, "route-table", vpc["vpc_id"]) if t.get("is_main")
    )
    await route_tables.add_route(
        ctx, main["route_table_id"], "0.0.0.0/0", gateway_id=igw["internet_gateway_id"]
    )
    await records.doc_put(
        ctx, records.INDEX, DEFAULT_VPC_MARKER, {"state": "created", "vpc_id": vpc["vpc_id"]}
    )
