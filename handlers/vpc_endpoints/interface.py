"""Interface endpoints' network interfaces: one requester-managed ENI per subnet.

Each ENI is a real interface record (``DescribeNetworkInterfaces`` shows it, the provider reads
its subnet and address for ``subnet_configuration``): ``InterfaceType vpc_endpoint``,
``RequesterManaged true``, ``Status in-use``, ``Description "VPC Endpoint Interface vpce-…"``,
the endpoint's security groups, an address from the subnet. Users cannot delete it
(``InvalidNetworkInterface.InUse``); it goes with its subnet's removal from the endpoint or the
endpoint's deletion. At most one subnet per availability zone::

    CreateVpcEndpoint … SubnetId.1=subnet-a1&SubnetId.2=subnet-a2   (both in zone a)
    → DuplicateSubnetsInSameZone
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from handlers import network_interfaces
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record

SUBNET: Final = KINDS["subnet"]
ENI: Final = KINDS["network-interface"]
INTERFACE_TYPE: Final = "vpc_endpoint"


async def subnets(
    ctx: RequestContext, vpc_id: str, subnet_ids: Sequence[str], keep: Sequence[Record] = ()
) -> list[Record]:
    """The subnet records, checked: the caller's, in the VPC, one per zone (with ``keep``)."""
    found: list[Record] = []
    zones = {str(s["availability_zone"]): str(s["subnet_id"]) for s in keep}
    for subnet_id in dict.fromkeys(subnet_ids):
        subnet = await records.get(ctx, SUBNET, subnet_id)
        if subnet["vpc_id"] != vpc_id:
            raise AwsError(
                "InvalidParameter", f"The subnet {subnet_id} does not belong to vpc {vpc_id}."
            )
        zone = str(subnet["availability_zone"])
        if zone in zones and zones[zone] != subnet_id:
            raise AwsError(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. "
                "VPC endpoint subnets should be in different availability zones supported by "
                "the VPC endpoint service.",
            )
        zones[zone] = subnet_id
        found.append(subnet)
    return found


async def create_interfaces(
    ctx: RequestContext, endpoint_id: str, subnet_records: Sequence[Record], groups: Sequence[str]
) -> list[str]:
    """One requester-managed ENI per subnet; returns their ids (all or none are created)."""
    created: list[str] = []
    try:
        for subnet in subnet_records:
            eni = await network_interfaces.create_interface(
                ctx,
                subnet=subnet,
                security_group_ids=list(groups),
                private_ip=None,
                description=f"VPC Endpoint Interface {endpoint_id}",
                interface_type=INTERFACE_TYPE,
            )
            eni_id = str(eni["network_interface_id"])
            created.append(eni_id)
            await records.mutate(
                ctx,
                ENI,
                eni_id,
                lambda r: {**r, "requester_managed": True, "status": "in-use"},
            )
    except BaseException:
        await delete_interfaces(ctx, created)
        raise
    return created


async def delete_interfaces(ctx: RequestContext, eni_ids: Sequence[str]) -> None:
    """Delete the endpoint's ENIs (already gone ones are skipped)."""
    for eni_id in eni_ids:
        if await records.find(ctx, ENI, eni_id) is not None:
            await network_interfaces.delete_interface(ctx, eni_id, force=True)


async def set_groups(
    ctx: RequestContext, eni_ids: Sequence[str], groups: Sequence[str], names: dict[str, str]
) -> None:
    """Give the endpoint's ENIs its new security groups."""
    for eni_id in eni_ids:
        await records.mutate(
            ctx,
            ENI,
            eni_id,
            lambda r: {
                **r,
                "security_group_ids": list(groups),
                "security_group_names": {g: names.get(g, "") for g in groups},
            },
            missing_ok=True,
        )


async def interface_subnets(ctx: RequestContext, eni_ids: Sequence[str]) -> dict[str, str]:
    """Subnet id → ENI id of the endpoint's interfaces."""
    found: dict[str, str] = {}
    for eni_id in eni_ids:
        eni = await records.find(ctx, ENI, eni_id)
        if eni is not None:
            found[str(eni["subnet_id"])] = eni_id
    return found
