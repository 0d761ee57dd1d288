"""``AssociateVpcCidrBlock`` / ``DisassociateVpcCidrBlock`` (IPv4 and Amazon-provided IPv6)."""

from __future__ import annotations

import ipaddress

from handlers.vpcs.constants import CIDR, MAX_IPV4_CIDRS, VPC
from handlers.vpcs.lifecycle import (
    _allocate_ipv6,
    _records_in_vpc,
    _restricted_family,
    parse_vpc_cidr,
)
from handlers.vpcs.views import cidr_associations
from hive_gateway.core import dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_combination
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


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
