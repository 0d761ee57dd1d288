"""The API shape of a VPC, its filters and ``DescribeVpcs``."""

from __future__ import annotations

from typing import Any

from handlers.vpcs.constants import VPC
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags

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
records.indexed(VPC, "is_default")  # the account's default VPC (RunInstances, default groups)


# --- DescribeVpcs ---------------------------------------------------------------------------------


@action("DescribeVpcs")
async def describe_vpcs(ctx: RequestContext, params: Params) -> Result:
    """The caller's VPCs by id and filters, paged."""
    return await describe.describe(
        ctx, VPC, params, ids_param="VpcIds", result_key="Vpcs", spec=VPC_FILTERS, to_api=vpc_to_api
    )
