"""``CreateNetworkAcl`` and ``DeleteNetworkAcl``."""

from __future__ import annotations

from handlers.network_acls.constants import ACL, VPC
from handlers.network_acls.records import _new_record
from handlers.network_acls.views import network_acl_to_api
from hive_gateway.core import dependents, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

# What an ACL holds on to (architecture.md §2): a VPC with custom ACLs cannot be deleted (its
# default ACL goes with it); CreateNetworkAcl re-checks the VPC after its write.
dependents.blocks(
    "vpc", by="network-acl", field="vpc_id", unless=lambda a: bool(a.get("is_default"))
)


# --- CreateNetworkAcl / DeleteNetworkAcl ---------------------------------------------------------


@action("CreateNetworkAcl")
async def create_network_acl(ctx: RequestContext, params: Params) -> Result:
    """A custom ACL in the VPC: only the deny-all rules, no associations.

    ``ClientToken`` makes the call idempotent: the same token and parameters return the ACL it
    created; the same token with another ``VpcId`` (or other tags) is
    ``IdempotentParameterMismatch``.
    """
    tags = tags_from_specifications(params, "network-acl")
    vpc = await records.get(ctx, VPC, params["VpcId"])
    token = params.get("ClientToken")
    record = await idempotency.create_record(
        ctx,
        ACL,
        _new_record(ctx, new_id("network-acl"), vpc, is_default=False, tags=tags),
        token,
        {"VpcId": vpc["vpc_id"], "Tags": tags},
    )
    result: Record = {"NetworkAcl": network_acl_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


@action("DeleteNetworkAcl")
async def delete_network_acl(ctx: RequestContext, params: Params) -> Result:
    """Delete a custom ACL; the default one and ACLs still associated with subnets stay.

    ``DeleteNetworkAcl acl-default`` → ``InvalidParameterValue: cannot delete default network ACL
    acl-…``; with associations → ``DependencyViolation``.
    """
    acl_id = params["NetworkAclId"]

    def remove(record: Record) -> None:
        if record.get("is_default"):
            raise invalid_parameter_value(f"cannot delete default network ACL {acl_id}")
        if record.get("associations"):
            raise AwsError(
                "DependencyViolation",
                f"The networkAcl '{acl_id}' has dependencies and cannot be deleted.",
            )

    await records.mutate(ctx, ACL, acl_id, remove)
    return None
