"""``ReplaceNetworkAclAssociation``: move a subnet to another ACL of its VPC."""

from __future__ import annotations

from handlers.network_acls.constants import ACL
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- associations -------------------------------------------------------------------------------


def _association_not_found(association_id: str) -> AwsError:
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


@action("ReplaceNetworkAclAssociation")
async def replace_network_acl_association(ctx: RequestContext, params: Params) -> Result:
    """Move the association's subnet to another ACL of the same VPC; returns a new association id.

    ``ReplaceNetworkAclAssociation AssociationId=aclassoc-1&NetworkAclId=acl-2`` →
    ``{NewAssociationId: aclassoc-…}``; the old id no longer exists.
    """
    association_id = params["AssociationId"]
    target_id = params["NetworkAclId"]
    source = next(
        (
            r
            for r in await records.list_records(ctx, ACL)
            if any(
                a.get("network_acl_association_id") == association_id
                for a in r.get("associations") or ()
            )
        ),
        None,
    )
    if source is None:
        raise _association_not_found(association_id)
    target = await records.get(ctx, ACL, target_id)
    subnet_id = next(
        a["subnet_id"]
        for a in source["associations"]
        if a["network_acl_association_id"] == association_id
    )
    if target["vpc_id"] != source["vpc_id"]:
        raise invalid_parameter_value(
            f"Network ACL {target_id} and subnet {subnet_id} belong to different VPCs"
        )
    new_association = {
        "network_acl_association_id": new_id("network-acl-association"),
        "subnet_id": subnet_id,
    }

    def take(record: Record) -> Record:
        associations = list(record.get("associations") or [])
        if not any(a.get("network_acl_association_id") == association_id for a in associations):
            raise _association_not_found(association_id)
        kept = [a for a in associations if a.get("network_acl_association_id") != association_id]
        if record["network_acl_id"] == target_id:
            kept.append(new_association)
        return {**record, "associations": kept}

    def give(record: Record) -> Record:
        return {**record, "associations": [*(record.get("associations") or []), new_association]}

    await records.mutate(ctx, ACL, source["network_acl_id"], take)
    if source["network_acl_id"] != target_id:
        try:
            await records.mutate(ctx, ACL, target_id, give)
        except BaseException:
            # The target vanished meanwhile: put the subnet back where it was.
            old = {"network_acl_association_id": association_id, "subnet_id": subnet_id}
            await records.mutate(
                ctx,
                ACL,
                source["network_acl_id"],
                lambda r: {**r, "associations": [*(r.get("associations") or []), old]},
            )
            raise
    return {"NewAssociationId": new_association["network_acl_association_id"]}
