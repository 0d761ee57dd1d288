"""``ModifyVpcAttribute``, ``DescribeVpcAttribute`` and ``ModifyVpcTenancy``."""

from __future__ import annotations

from handlers.vpcs.constants import ATTRIBUTES, VPC
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


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
