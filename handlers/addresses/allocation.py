"""``AllocateAddress`` and ``ReleaseAddress``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.addresses.association import disassociate
from handlers.addresses.common import (
    DEFAULT_PUBLIC_IPV4_POOL,
    EIP,
    MAX_ADDRESSES,
    VPC,
    check_changeable,
)
from hive_gateway.core import clock, ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

# --- actions -------------------------------------------------------------------------------------


@action("AllocateAddress")
async def allocate_address(ctx: RequestContext, params: Params) -> Result:
    """Allocate a VPC Elastic IP from the public pool (or the pool address ``Address``)."""
    domain = params.get("Domain") or "vpc"
    if domain != "vpc":
        raise invalid_parameter_value(
            f"The domain '{domain}' is not supported: Elastic IP addresses are for use in a VPC (domain vpc)."
        )
    for member in ("CustomerOwnedIpv4Pool", "IpamPoolId"):
        if params.get(member):
            raise AwsError("UnsupportedOperation", f"{member} is not supported by this gateway.")
    region = ctx.runtime.settings.region
    border_group = params.get("NetworkBorderGroup") or region
    if border_group != region:
        raise invalid_parameter_value(f"The network border group '{border_group}' is invalid.")
    pool = str(params.get("PublicIpv4Pool") or DEFAULT_PUBLIC_IPV4_POOL)
    tags = tags_from_specifications(params, "elastic-ip")
    if len(await records.list_records(ctx, EIP)) >= MAX_ADDRESSES:
        raise AwsError("AddressLimitExceeded", "The maximum number of addresses has been reached.")
    allocation_id = new_id("elastic-ip")
    public_ip = await ipam.allocate_public_ip(
        ctx,
        {"type": ipam.PURPOSE_EIP, "allocation_id": allocation_id},
        address=params.get("Address"),
    )
    record: Record = {
        "allocation_id": allocation_id,
        "public_ip": public_ip,
        "pool_name": ipam.PUBLIC_POOL_KEY,
        "state": "allocated",
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "domain": "vpc",
        "public_ipv4_pool": pool,
        "network_border_group": border_group,
    }
    try:
        await records.create(ctx, EIP, record)
    except BaseException:
        await ipam.release_public_ip(ctx, public_ip)
        raise
    return {
        "AllocationId": allocation_id,
        "PublicIp": public_ip,
        "Domain": "vpc",
        "PublicIpv4Pool": pool,
        "NetworkBorderGroup": border_group,
    }


async def _in_default_vpc(ctx: RequestContext, record: Mapping[str, Any]) -> bool:
    vpc_id = record.get("vpc_id")
    if not vpc_id:
        return False
    vpc = await records.find(ctx, VPC, str(vpc_id))
    return bool(vpc and vpc.get("is_default"))


@action("ReleaseAddress")
async def release_address(ctx: RequestContext, params: Params) -> Result:
    """Release an Elastic IP back to the pool (associated: ``InvalidIPAddress.InUse``)."""
    allocation_id = params.get("AllocationId")
    if not allocation_id:
        if params.get("PublicIp"):
            raise invalid_parameter_value(
                "You must specify an allocation id when releasing a VPC elastic IP address"
            )
        raise missing_parameter("AllocationId")
    record = await records.get(ctx, EIP, allocation_id)
    await check_changeable(ctx, record)
    border_group = params.get("NetworkBorderGroup")
    if border_group and border_group != (
        record.get("network_border_group") or ctx.runtime.settings.region
    ):
        raise AwsError("InvalidAddress.NotFound", f"Address '{record['public_ip']}' not found.")
    if record.get("association_id"):
        if not await _in_default_vpc(ctx, record):
            raise ipam.address_in_use(str(record["public_ip"]))
        await disassociate(ctx, record)

    def remove(current: Record) -> None:
        if current.get("association_id"):
            raise ipam.address_in_use(str(current["public_ip"]))

    await records.mutate(ctx, EIP, allocation_id, remove)
    await ipam.release_public_ip(ctx, str(record["public_ip"]))
    return None
