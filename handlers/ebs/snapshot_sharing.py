"""The ``createVolumePermission`` attribute: Describe/Modify/ResetSnapshotAttribute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.ebs.snapshot_records import _ACCOUNT, SNAPSHOT, get_own_snapshot
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value, missing_parameter
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


@action("DescribeSnapshotAttribute")
async def describe_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """``createVolumePermission`` (user ids and group ``all``) or ``productCodes`` (none)."""
    record = await get_own_snapshot(ctx, str(params["SnapshotId"]))
    result: Record = {"SnapshotId": record["snapshot_id"]}
    if params["Attribute"] == "createVolumePermission":
        permissions: list[Record] = [{"Group": "all"}] if record.get("public") else []
        permissions += [{"UserId": user} for user in record.get("shared_with") or ()]
        result["CreateVolumePermissions"] = permissions
    else:
        result["ProductCodes"] = []
    return result


def _permission_changes(params: Mapping[str, Any]) -> tuple[list[Record], list[Record]]:
    """``(add, remove)`` permission entries from either request form."""
    structured = params.get("CreateVolumePermission")
    if structured:
        return list(structured.get("Add") or []), list(structured.get("Remove") or [])
    entries = [{"UserId": u} for u in params.get("UserIds") or ()]
    entries += [{"Group": g} for g in params.get("GroupNames") or ()]
    operation = params.get("OperationType")
    if not entries:
        raise missing_parameter("CreateVolumePermission")
    if operation is None:
        raise missing_parameter("OperationType")
    return (entries, []) if operation == "add" else ([], entries)


def _check_permission(entry: Mapping[str, Any]) -> None:
    user = entry.get("UserId")
    group = entry.get("Group")
    if user is not None and not _ACCOUNT.match(str(user)):
        raise invalid_parameter_value(
            f"Invalid value '{user}' for userId. It must be a 12-digit account id."
        )
    if user is None and group != "all":
        raise invalid_parameter_value(f"Invalid value '{group}' for group. It must be 'all'.")


@action("ModifySnapshotAttribute")
async def modify_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """Add or remove ``createVolumePermission`` user ids and the ``all`` group."""
    snapshot_id = str(params["SnapshotId"])
    await get_own_snapshot(ctx, snapshot_id)
    attribute = params.get("Attribute") or "createVolumePermission"
    if attribute != "createVolumePermission":
        raise invalid_parameter_value(
            f"Value ({attribute}) for parameter attribute is invalid. "
            "Only createVolumePermission can be modified."
        )
    add, remove = _permission_changes(params)
    for entry in add + remove:
        _check_permission(entry)

    def apply(record: Record) -> Record:
        shared = list(record.get("shared_with") or [])
        public = bool(record.get("public"))
        for entry in add:
            if entry.get("UserId") is not None:
                if entry["UserId"] not in shared:
                    shared.append(str(entry["UserId"]))
            else:
                public = True
        for entry in remove:
            if entry.get("UserId") is not None:
                shared = [u for u in shared if u != entry["UserId"]]
            else:
                public = False
        return {**record, "shared_with": shared, "public": public}

    await records.mutate(ctx, SNAPSHOT, snapshot_id, apply)
    return None


@action("ResetSnapshotAttribute")
async def reset_snapshot_attribute(ctx: RequestContext, params: Params) -> Result:
    """``createVolumePermission`` back to private."""
    snapshot_id = str(params["SnapshotId"])
    await get_own_snapshot(ctx, snapshot_id)
    if params["Attribute"] != "createVolumePermission":
        raise invalid_parameter_value(
            f"Value ({params['Attribute']}) for parameter attribute is invalid."
        )
    await records.mutate(
        ctx, SNAPSHOT, snapshot_id, lambda r: {**r, "shared_with": [], "public": False}
    )
    return None
