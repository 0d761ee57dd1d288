"""``AssociateSubnetCidrBlock`` / ``DisassociateSubnetCidrBlock`` (IPv6 /64s)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.subnets.attributes import _has_ipv6
from handlers.subnets.cidrs import check_ipv6_cidr
from handlers.subnets.constants import SUBNET, VPC
from handlers.subnets.lifecycle import _refuse_ipam
from hive_gateway.core import records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- IPv6 CIDR association ---------------------------------------------------------------------------


def _association_api(subnet_id: str, assoc: Mapping[str, Any], state: str) -> Record:
    return {
        "Ipv6CidrBlockAssociation": {
            "AssociationId": assoc["association_id"],
            "Ipv6CidrBlock": assoc["ipv6_cidr_block"],
            "Ipv6CidrBlockState": {"State": state},
            "Ipv6AddressAttribute": "public",
            "IpSource": "amazon",
        },
        "SubnetId": subnet_id,
    }


def _already_associated(subnet_id: str) -> AwsError:
    return invalid_parameter_value(
        f"The subnet '{subnet_id}' already has an associated IPv6 CIDR block"
    )


@action("AssociateSubnetCidrBlock")
async def associate_subnet_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Give the subnet its one IPv6 /64, inside the VPC's /56 and overlapping no other subnet."""
    _refuse_ipam(params, "Ipv6IpamPoolId")
    subnet_id = params["SubnetId"]
    subnet = await records.get(ctx, SUBNET, subnet_id)
    text = params.get("Ipv6CidrBlock")
    if not text:
        raise missing_parameter("ipv6CidrBlock")
    vpc = await records.get(ctx, VPC, subnet["vpc_id"])
    cidr = check_ipv6_cidr(vpc, str(text))
    if _has_ipv6(subnet):
        raise _already_associated(subnet_id)
    await vpc_index.claim_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id), cidr)
    assoc = {
        "association_id": new_id("subnet-cidr-assoc"),
        "ipv6_cidr_block": cidr,
        "state": "associated",
    }

    def add(record: Record) -> Record:
        if _has_ipv6(record):
            raise _already_associated(subnet_id)
        return {
            **record,
            "ipv6_cidr_block_associations": [
                *(record.get("ipv6_cidr_block_associations") or []),
                assoc,
            ],
        }

    try:
        await records.mutate(ctx, SUBNET, subnet_id, add)
    except BaseException:
        await vpc_index.release_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id))
        raise
    return _association_api(subnet_id, assoc, "associated")


def _find_association(rows: Iterable[Record], association_id: str) -> tuple[Record, Record] | None:
    for record in rows:
        for assoc in record.get("ipv6_cidr_block_associations") or ():
            if assoc.get("association_id") == association_id:
                return record, assoc
    return None


@action("DisassociateSubnetCidrBlock")
async def disassociate_subnet_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Remove a subnet's IPv6 CIDR by association id (``assign_ipv6_address_on_creation`` is
    switched off with it, since it needs an IPv6 CIDR)."""
    association_id = params["AssociationId"]
    found = _find_association(await records.list_records(ctx, SUBNET), association_id)
    if found is None:
        raise AwsError(
            "InvalidSubnetCidrBlockAssociationID.NotFound",
            f"The subnet CIDR block with association ID '{association_id}' does not exist",
        )
    subnet, assoc = found
    subnet_id = subnet["subnet_id"]

    def drop(record: Record) -> Record:
        kept = [
            a
            for a in record.get("ipv6_cidr_block_associations") or ()
            if a.get("association_id") != association_id
        ]
        return {
            **record,
            "ipv6_cidr_block_associations": kept,
            "assign_ipv6_address_on_creation": False,
        }

    await records.mutate(ctx, SUBNET, subnet_id, drop)
    await vpc_index.release_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id))
    return _association_api(subnet_id, assoc, "disassociating")
