"""RunInstances networking: the subnet and interfaces of either request form."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.instances.constants import ENI, SECURITY_GROUP, SUBNET, VPC
from handlers.instances.plans import InterfacePlan
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.registry import Params
from hive_gateway.core.kinds import Record


async def default_subnet(ctx: RequestContext, zone: str | None) -> Record:
    """The default subnet of the default VPC (in ``zone`` if given)."""
    vpcs = await records.where(ctx, VPC, live_only=False, is_default=True)
    if not vpcs:
        raise AwsError("VPCIdNotSpecified", "No default VPC for this user.")
    vpc_id = vpcs[0]["vpc_id"]
    subnets = [
        s
        for s in await records.where(ctx, SUBNET, live_only=False, vpc_id=vpc_id)
        if s.get("is_default") and (zone is None or s.get("availability_zone") == zone)
    ]
    if not subnets:
        raise AwsError(
            "MissingInput",
            f"No subnets found for the default VPC '{vpc_id}'. Please specify a subnet.",
        )
    return min(subnets, key=lambda s: str(s["availability_zone"]))


async def resolve_groups_by_name(
    ctx: RequestContext, vpc_id: str, names: Sequence[str]
) -> list[str]:
    """Security group ids of ``names`` in ``vpc_id`` (``InvalidGroup.NotFound``)."""
    groups = await records.where(ctx, SECURITY_GROUP, vpc_id=vpc_id)
    ids = []
    for name in names:
        match = next((g for g in groups if g.get("group_name") == name), None)
        if match is None:
            raise AwsError(
                "InvalidGroup.NotFound",
                f"The security group '{name}' does not exist in VPC '{vpc_id}'",
            )
        ids.append(str(match["group_id"]))
    return ids


async def plan_interfaces(
    ctx: RequestContext, params: Params, zone: str | None
) -> tuple[Record, list[InterfacePlan]]:
    """The subnet and the interfaces to create, from either networking form of RunInstances."""
    specs = list(params.get("NetworkInterfaces") or [])
    top_subnet = params.get("SubnetId")
    top_groups = list(params.get("SecurityGroupIds") or [])
    top_names = list(params.get("SecurityGroups") or [])
    if specs:
        if top_subnet:
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level subnet ID may not be specified on the same request"
            )
        if top_groups or top_names:
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level security groups may not be specified on the same request"
            )
        if params.get("PrivateIpAddress"):
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level private IP address may not be specified on the same request"
            )
    else:
        specs = [
            {
                "DeviceIndex": 0,
                "SubnetId": top_subnet,
                "Groups": top_groups,
                "PrivateIpAddress": params.get("PrivateIpAddress"),
                "_names": top_names,
            }
        ]
    indexes = [
        int(s.get("DeviceIndex", 0) if s.get("DeviceIndex") is not None else 0) for s in specs
    ]
    if 0 not in indexes:
        raise invalid_parameter_value("A network interface with DeviceIndex 0 is required.")
    if len(set(indexes)) != len(indexes):
        raise invalid_parameter_value("Each network interface requires a unique device index.")
    plans: list[InterfacePlan] = []
    subnet: Record | None = None
    for spec, index in sorted(zip(specs, indexes, strict=True), key=lambda p: p[1]):
        existing = spec.get("NetworkInterfaceId")
        if existing:
            eni = await records.get(ctx, ENI, str(existing))
            if eni.get("attachment_id"):
                raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{existing}] in use.")
            sub = await records.get(ctx, SUBNET, str(eni["subnet_id"]))
            if spec.get("AssociatePublicIpAddress"):
                raise invalid_parameter_combination(
                    "The associatePublicIPAddress parameter cannot be specified when launching with "
                    "an existing network interface"
                )
            plan = InterfacePlan(
                index,
                sub,
                list(eni.get("security_group_ids") or []),
                None,
                0,
                [],
                False,
                bool(spec.get("DeleteOnTermination", False)),
                "",
                str(existing),
            )
        else:
            subnet_id = spec.get("SubnetId")
            if subnet_id:
                sub = await records.get(ctx, SUBNET, str(subnet_id))
            elif index == 0:
                sub = await default_subnet(ctx, zone)
            else:
                raise missing_parameter("NetworkInterface.SubnetId")
            groups = list(spec.get("Groups") or [])
            if spec.get("_names"):
                groups += await resolve_groups_by_name(ctx, str(sub["vpc_id"]), spec["_names"])
            if spec.get("AssociatePublicIpAddress") is not None and index != 0:
                raise invalid_parameter_value(
                    "The associatePublicIPAddress parameter can only be specified for the network "
                    "interface with DeviceIndex 0."
                )
            public = spec.get("AssociatePublicIpAddress")
            if public is None:
                public = index == 0 and bool(sub.get("map_public_ip_on_launch"))
            addresses = list(spec.get("PrivateIpAddresses") or [])
            primary_ip = spec.get("PrivateIpAddress") or next(
                (a.get("PrivateIpAddress") for a in addresses if a.get("Primary")), None
            )
            secondary_ips = [
                str(a["PrivateIpAddress"])
                for a in addresses
                if a.get("PrivateIpAddress") and a.get("PrivateIpAddress") != primary_ip
            ]
            plan = InterfacePlan(
                index,
                sub,
                groups,
                primary_ip,
                int(spec.get("SecondaryPrivateIpAddressCount") or 0),
                secondary_ips,
                bool(public),
                bool(spec.get("DeleteOnTermination", True)),
                str(spec.get("Description") or ""),
            )
        if index == 0:
            subnet = plan.subnet
        elif subnet is not None and plan.subnet["availability_zone"] != subnet["availability_zone"]:
            raise invalid_parameter_combination(
                "The network interfaces must all be in the same availability zone."
            )
        plans.append(plan)
    assert subnet is not None
    return subnet, plans
