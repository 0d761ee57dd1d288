"""AMI attributes (``launchPermission`` and others) and ``GetInstanceUefiData``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from handlers.ebs.image_common import _IMAGE_ID, IMAGE, image_state
from handlers.ebs.image_views import ImageView, find_visible, get_own_image
from handlers.ebs.snapshot_records import _ACCOUNT
from handlers.ebs.volume_records import INSTANCE
from hive_gateway.core import records
from hive_gateway.core.clock import now
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- attributes --------------------------------------------------------------------------------


def _value(value: Any) -> Record:
    return {"Value": value} if value is not None and value != "" else {}


_ATTRIBUTE_READERS: Final[dict[str, Callable[[ImageView], tuple[str, Any]]]] = {
    "description": lambda v: ("Description", _value(v.record.get("description"))),
    "kernel": lambda v: ("KernelId", _value(v.record.get("kernel_id"))),
    "ramdisk": lambda v: ("RamdiskId", _value(v.record.get("ramdisk_id"))),
    "launchPermission": lambda v: (
        "LaunchPermissions",
        ([{"Group": "all"}] if v.record.get("public") else [])
        + [{"UserId": u} for u in v.record.get("shared_with") or ()],
    ),
    "productCodes": lambda v: ("ProductCodes", v.api["ProductCodes"]),
    "blockDeviceMapping": lambda v: ("BlockDeviceMappings", v.api["BlockDeviceMappings"]),
    "sriovNetSupport": lambda v: ("SriovNetSupport", _value(v.record.get("sriov_net_support"))),
    "bootMode": lambda v: ("BootMode", _value(v.record.get("boot_mode"))),
    "tpmSupport": lambda v: ("TpmSupport", _value(v.record.get("tpm_support"))),
    "uefiData": lambda v: ("UefiData", _value(v.record.get("uefi_data"))),
    "lastLaunchedTime": lambda v: ("LastLaunchedTime", _value(v.record.get("last_launched_time"))),
    "imdsSupport": lambda v: ("ImdsSupport", _value(v.record.get("imds_support"))),
    "deregistrationProtection": lambda v: (
        "DeregistrationProtection",
        _value(v.record.get("deregistration_protection", "disabled")),
    ),
}
"""DescribeImageAttribute: attribute name → (output member, value)."""


@action("DescribeImageAttribute")
async def describe_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute of an image the caller owns."""
    view = await get_own_image(ctx, str(params["ImageId"]))
    member, value = _ATTRIBUTE_READERS[str(params["Attribute"])](view)
    return {"ImageId": view.image_id, member: value}


def _launch_permission_changes(params: Mapping[str, Any]) -> tuple[list[Record], list[Record]]:
    structured = params.get("LaunchPermission")
    if structured:
        return list(structured.get("Add") or []), list(structured.get("Remove") or [])
    entries = [{"UserId": u} for u in params.get("UserIds") or ()]
    entries += [{"Group": g} for g in params.get("UserGroups") or ()]
    if not entries:
        raise missing_parameter("LaunchPermission")
    operation = params.get("OperationType")
    if operation is None:
        raise missing_parameter("OperationType")
    return (entries, []) if operation == "add" else ([], entries)


def _check_launch_permission(entry: Mapping[str, Any]) -> None:
    if entry.get("OrganizationArn") or entry.get("OrganizationalUnitArn"):
        raise AwsError(
            "UnsupportedOperation", "Sharing with organizations is not supported by this gateway."
        )
    user = entry.get("UserId")
    if user is not None and not _ACCOUNT.match(str(user)):
        raise AwsError(
            "InvalidAMIAttributeItemValue",
            f'Invalid attribute item value "{user}" for userId item type.',
        )
    if user is None and entry.get("Group") != "all":
        raise AwsError(
            "InvalidAMIAttributeItemValue",
            f'Invalid attribute item value "{entry.get("Group")}" for group item type.',
        )


def _modification(params: Mapping[str, Any]) -> Callable[[Record], Record]:
    """The change a ModifyImageAttribute request makes to the record."""
    attribute = params.get("Attribute")
    if (
        params.get("LaunchPermission")
        or attribute == "launchPermission"
        or params.get("UserIds")
        or params.get("UserGroups")
    ):
        add, remove = _launch_permission_changes(params)
        for entry in add + remove:
            _check_launch_permission(entry)

        def permissions(record: Record) -> Record:
            shared = list(record.get("shared_with") or [])
            public = bool(record.get("public"))
            for entry in add:
                if entry.get("UserId") is None:
                    public = True
                elif entry["UserId"] not in shared:
                    shared.append(str(entry["UserId"]))
            for entry in remove:
                if entry.get("UserId") is None:
                    public = False
                else:
                    shared = [u for u in shared if u != entry["UserId"]]
            return {**record, "shared_with": shared, "public": public}

        return permissions
    if params.get("Description") is not None or attribute == "description":
        value = (params.get("Description") or {}).get("Value", params.get("Value"))
        description = str(value or "")
        return lambda record: {**record, "description": description}
    if params.get("ImdsSupport") is not None or attribute == "imdsSupport":
        value = (params.get("ImdsSupport") or {}).get("Value", params.get("Value"))
        if value != "v2.0":
            raise invalid_parameter_value(
                f"Value ({value}) for parameter imdsSupport is invalid. Valid value: v2.0"
            )
        return lambda record: {**record, "imds_support": "v2.0"}
    if params.get("ProductCodes") or attribute == "productCodes":
        codes = ", ".join(params.get("ProductCodes") or [])
        raise AwsError(
            "InvalidProductInfo", f"Product code(s) [{codes}] are not valid for this AMI."
        )
    if attribute is None:
        raise missing_parameter("Attribute")
    raise invalid_parameter_value(
        f"Value ({attribute}) for parameter attribute is invalid. Only description, "
        "launchPermission, productCodes and imdsSupport can be modified."
    )


@action("ModifyImageAttribute")
async def modify_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """Description, launch permissions, IMDS support; unchanged values write nothing."""
    image_id = str(params["ImageId"])
    view = await get_own_image(ctx, image_id)
    change = _modification(params)
    if change(dict(view.record)) == view.record:
        return None  # Hive's no-op guard: aws_ami refreshes re-send the same value

    def apply(record: Record) -> Record:
        if image_state(record, now()) is None:
            raise IMAGE.not_found(image_id)
        return change(record)

    await records.mutate(ctx, IMAGE, image_id, apply)
    return None


@action("ResetImageAttribute")
async def reset_image_attribute(ctx: RequestContext, params: Params) -> Result:
    """``launchPermission`` back to private (the only resettable attribute)."""
    image_id = str(params["ImageId"])
    await get_own_image(ctx, image_id)
    await records.mutate(ctx, IMAGE, image_id, lambda r: {**r, "shared_with": [], "public": False})
    return None


@action("GetInstanceUefiData")
async def get_instance_uefi_data(ctx: RequestContext, params: Params) -> Result:
    """Empty UEFI variable store for any instance (or image) the caller knows.

    The provider's ``aws_ami`` data source calls it with an *image* id and ignores the error,
    so an unknown id is a plain ``InvalidInstanceID.NotFound``, never a server fault.
    """
    target = str(params["InstanceId"])
    if target.startswith("ami-"):
        view = await find_visible(ctx, target) if _IMAGE_ID.match(target) else None
        if view is None:
            raise INSTANCE.not_found(target)
        return {"InstanceId": target, "UefiData": str(view.record.get("uefi_data") or "")}
    record = await records.get(ctx, INSTANCE, target)
    return {"InstanceId": target, "UefiData": str(record.get("uefi_data") or "")}
