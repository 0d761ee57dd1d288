"""``CreateSubnet`` and ``DeleteSubnet``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.subnets.cidrs import check_ipv4_cidr, check_ipv6_cidr
from handlers.subnets.constants import SUBNET, VPC
from handlers.subnets.views import subnet_to_api
from handlers.subnets.zone import resolve_zone
from hive_gateway.core import clock, dependents, ipam, records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.hive import events

# What a subnet holds on to (architecture.md §2): a VPC with subnets cannot be deleted.
dependents.blocks("vpc", by="subnet", field="vpc_id")


# --- claims ---------------------------------------------------------------------------------------


async def _release_all(ctx: RequestContext, vpc_id: str, subnet_id: str) -> None:
    await vpc_index.release_subnet(ctx, vpc_id, subnet_id)
    await vpc_index.release_subnet(ctx, vpc_id, vpc_index.ipv6_claim(subnet_id))


# --- create ---------------------------------------------------------------------------------------


async def create_subnet_record(
    ctx: RequestContext,
    vpc: dict[str, Any],
    cidr: str,
    availability_zone: str,
    *,
    default_for_az: bool = False,
    map_public_ip_on_launch: bool = False,
    tags: dict[str, str] | None = None,
    availability_zone_id: str | None = None,
    ipv6_cidr_block: str | None = None,
    ipv6_native: bool = False,
) -> dict[str, Any]:
    """Validate, claim the CIDR(s), store the subnet, associate it with the default network ACL
    and publish ``vpc.create-subnet``. Any failure after the claim releases it.

    ``cidr`` may be empty only with ``ipv6_native``; an empty ``availability_zone`` (with no
    ``availability_zone_id``) means the gateway's first zone. Raises ``CreateSubnet``'s AWS errors
    (``InvalidSubnet.Range``, ``InvalidSubnet.Conflict``, ``InvalidParameterValue``, …).
    """
    vpc_id = vpc["vpc_id"]
    ipv4 = check_ipv4_cidr(vpc, cidr) if cidr else None
    ipv6 = check_ipv6_cidr(vpc, ipv6_cidr_block) if ipv6_cidr_block else None
    zone_name, zone_id = resolve_zone(ctx, availability_zone or None, availability_zone_id)
    subnet_id = new_id("subnet")
    record: Record = {
        "subnet_id": subnet_id,
        "vpc_id": vpc_id,
        "availability_zone": zone_name,
        "state": "available",
        "is_default": default_for_az,
        "map_public_ip_on_launch": map_public_ip_on_launch,
        "tags": dict(tags or {}),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "availability_zone_id": zone_id,
        "assign_ipv6_address_on_creation": False,
        "enable_dns64": False,
        "ipv6_native": ipv6_native,
        "map_customer_owned_ip_on_launch": False,
        "private_dns_hostname_type_on_launch": "ip-name",
        "enable_resource_name_dns_a_record_on_launch": False,
        "enable_resource_name_dns_aaaa_record_on_launch": False,
        "ipv6_cidr_block_associations": [],
    }
    if ipv4:
        record["cidr_block"] = ipv4
    if ipv6:
        record["ipv6_cidr_block_associations"] = [
            {
                "association_id": new_id("subnet-cidr-assoc"),
                "ipv6_cidr_block": ipv6,
                "state": "associated",
            }
        ]
    claimed = False
    try:
        if ipv4:
            await vpc_index.claim_subnet(ctx, vpc_id, subnet_id, ipv4)
            claimed = True
        if ipv6:
            await vpc_index.claim_subnet(ctx, vpc_id, vpc_index.ipv6_claim(subnet_id), ipv6)
            claimed = True
        await records.create(ctx, SUBNET, record)
        try:
            await dependents.fire(ctx, "subnet", "created", record)
        except BaseException:
            await records.delete(ctx, SUBNET, subnet_id)
            raise
    except BaseException:
        if claimed:
            await _release_all(ctx, vpc_id, subnet_id)
        raise
    await events.publish(
        ctx,
        "vpc.create-subnet",
        {"subnet_id": subnet_id, "vpc_id": vpc_id, "cidr_block": ipv4 or ""},
    )
    return record


def _refuse_ipam(params: Mapping[str, Any], *names: str) -> None:
    """IPAM pools do not exist here: any pool id is unknown."""
    for name in names:
        pool = params.get(name)
        if pool:
            raise AwsError(
                "InvalidIpamPoolId.NotFound", f"The ipam pool ID '{pool}' does not exist"
            )


@action("CreateSubnet")
async def create_subnet(ctx: RequestContext, params: Params) -> Result:
    """A subnet in the VPC: ``CidrBlock`` (or ``Ipv6Native`` with ``Ipv6CidrBlock``), optional zone."""
    tags = tags_from_specifications(params, "subnet")
    _refuse_ipam(params, "Ipv4IpamPoolId", "Ipv6IpamPoolId")
    if params.get("OutpostArn"):
        raise invalid_parameter_value(
            f"Value ({params['OutpostArn']}) for parameter outpostArn is invalid. "
            "This gateway has no outposts."
        )
    vpc = await records.get(ctx, VPC, params["VpcId"])
    ipv6_native = bool(params.get("Ipv6Native"))
    cidr = params.get("CidrBlock")
    ipv6_cidr = params.get("Ipv6CidrBlock")
    if ipv6_native:
        if cidr:
            raise invalid_parameter_combination(
                "The parameter cidrBlock cannot be used with the parameter ipv6Native"
            )
        if not ipv6_cidr:
            raise missing_parameter("ipv6CidrBlock")
    elif not cidr:
        raise AwsError(
            "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided."
        )
    record = await create_subnet_record(
        ctx,
        vpc,
        cidr or "",
        params.get("AvailabilityZone") or "",
        tags=tags,
        availability_zone_id=params.get("AvailabilityZoneId"),
        ipv6_cidr_block=ipv6_cidr,
        ipv6_native=ipv6_native,
    )
    return {"Subnet": subnet_to_api(ctx, record)}


# --- delete ---------------------------------------------------------------------------------------


@action("DeleteSubnet")
async def delete_subnet(ctx: RequestContext, params: Params) -> Result:
    """Delete a subnet with no network interfaces or instances; frees its CIDRs and associations."""
    subnet_id = params["SubnetId"]
    subnet = await dependents.delete_guarded(ctx, SUBNET, subnet_id)
    await _release_all(ctx, subnet["vpc_id"], subnet_id)
    await ipam.forget_subnet(ctx, subnet_id)
    await events.publish(
        ctx,
        "vpc.delete-subnet",
        {
            "subnet_id": subnet_id,
            "vpc_id": subnet["vpc_id"],
            "cidr_block": subnet.get("cidr_block", ""),
        },
    )
    return None
