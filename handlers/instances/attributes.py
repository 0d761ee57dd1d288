"""DescribeInstanceAttribute and ModifyInstanceAttribute."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Final

from handlers import network_interfaces
from handlers.instances.constants import ENI, INSTANCE, MAX_USER_DATA
from handlers.instances.errors import daemon_error, not_stopped
from handlers.instances.record_fields import state_name
from handlers.instances.runtime import daemon_client
from handlers.instances.state import get_instance
from handlers.instances.views import gather_context, instance_to_api
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.catalogue import instance_types
from hive_gateway.core import records
from hive_gateway.hive.bus import NoRespondersError, RequestTimeoutError
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record


@action("DescribeInstanceAttribute")
async def describe_instance_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute; ``disableApiStop``/``disableApiTermination`` always carry a value
    (the provider dereferences them), ``userData`` returns exactly what was sent."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    attribute = params["Attribute"]
    out: Record = {"InstanceId": instance_id}
    view = await gather_context(ctx, [record])
    api = instance_to_api(ctx, record, view)
    if attribute == "instanceType":
        out["InstanceType"] = {"Value": api["InstanceType"]}
    elif attribute == "kernel":
        out["KernelId"] = {"Value": record["kernel_id"]} if record.get("kernel_id") else {}
    elif attribute == "ramdisk":
        out["RamdiskId"] = {"Value": record["ramdisk_id"]} if record.get("ramdisk_id") else {}
    elif attribute == "userData":
        out["UserData"] = {"Value": record["user_data"]} if record.get("user_data") else {}
    elif attribute == "disableApiTermination":
        out["DisableApiTermination"] = {"Value": bool(record.get("disable_api_termination", False))}
    elif attribute == "disableApiStop":
        out["DisableApiStop"] = {"Value": bool(record.get("disable_api_stop", False))}
    elif attribute == "instanceInitiatedShutdownBehavior":
        out["InstanceInitiatedShutdownBehavior"] = {
            "Value": record.get("instance_initiated_shutdown_behavior", "stop")
        }
    elif attribute == "rootDeviceName":
        out["RootDeviceName"] = {"Value": api["RootDeviceName"]}
    elif attribute == "blockDeviceMapping":
        out["BlockDeviceMappings"] = api["BlockDeviceMappings"]
    elif attribute == "productCodes":
        out["ProductCodes"] = []
    elif attribute == "sourceDestCheck":
        out["SourceDestCheck"] = {"Value": bool(api.get("SourceDestCheck", True))}
    elif attribute == "groupSet":
        out["Groups"] = [
            {"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in api["SecurityGroups"]
        ]
    elif attribute == "ebsOptimized":
        out["EbsOptimized"] = {"Value": bool(record.get("ebs_optimized", False))}
    elif attribute == "sriovNetSupport":
        out["SriovNetSupport"] = (
            {"Value": record["sriov_net_support"]} if record.get("sriov_net_support") else {}
        )
    elif attribute == "enaSupport":
        out["EnaSupport"] = {"Value": bool(record.get("ena_support", True))}
    elif attribute == "enclaveOptions":
        out["EnclaveOptions"] = {"Enabled": bool(record.get("enclave_enabled", False))}
    else:
        raise invalid_parameter_value(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    return out


#: ModifyInstanceAttribute member → wire name (AWS's error messages name them so).
_MODIFY_MEMBERS: Final[dict[str, str]] = {
    "SourceDestCheck": "sourceDestCheck",
    "DisableApiStop": "disableApiStop",
    "BlockDeviceMappings": "blockDeviceMapping",
    "DisableApiTermination": "disableApiTermination",
    "InstanceType": "instanceType",
    "Kernel": "kernel",
    "Ramdisk": "ramdisk",
    "UserData": "userData",
    "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
    "Groups": "groupSet",
    "EbsOptimized": "ebsOptimized",
    "SriovNetSupport": "sriovNetSupport",
    "EnaSupport": "enaSupport",
}
_LEGACY_ATTRIBUTES: Final[dict[str, str]] = {
    wire: member for member, wire in _MODIFY_MEMBERS.items()
}
_BOOLEAN_MEMBERS: Final = frozenset(
    {"SourceDestCheck", "DisableApiStop", "DisableApiTermination", "EbsOptimized", "EnaSupport"}
)


def _legacy(params: Params) -> Params:
    """``Attribute=instanceType&Value=t3.large`` in the member form."""
    attribute, value = params.get("Attribute"), params.get("Value")
    if attribute is None:
        return params
    member = _LEGACY_ATTRIBUTES.get(str(attribute))
    if member is None or member in ("BlockDeviceMappings", "Groups"):
        raise invalid_parameter_value(f"Value ({attribute}) for parameter attribute is invalid.")
    if value is None:
        raise missing_parameter("Value")
    converted: Any
    if member in _BOOLEAN_MEMBERS:
        converted = {"Value": str(value).lower() == "true"}
    elif member == "UserData":
        converted = {"Value": str(value).encode()}
    else:
        converted = {"Value": value}
    return {
        **{k: v for k, v in params.items() if k not in ("Attribute", "Value")},
        member: converted,
    }


@action("ModifyInstanceAttribute")
async def modify_instance_attribute(ctx: RequestContext, params: Params) -> Result:
    """Change exactly one attribute; the instance type and user data only while stopped."""
    params = _legacy(params)
    given = [m for m in _MODIFY_MEMBERS if params.get(m) is not None]
    if not given:
        raise invalid_parameter_combination("No attributes specified.")
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: "
            + ", ".join(_MODIFY_MEMBERS[m] for m in given)
        )
    member = given[0]
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    state = state_name(record)
    if state == "terminated" and member != "DisableApiTermination":
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    value = params[member]
    changes: Record = {}
    if member in _BOOLEAN_MEMBERS:
        flag = value.get("Value")
        if flag is None:
            raise missing_parameter(f"{member}.Value")
        field_name = {
            "SourceDestCheck": "source_dest_check",
            "DisableApiStop": "disable_api_stop",
            "DisableApiTermination": "disable_api_termination",
            "EbsOptimized": "ebs_optimized",
            "EnaSupport": "ena_support",
        }[member]
        if member in ("EbsOptimized", "EnaSupport") and state != "stopped":
            raise not_stopped(instance_id)
        changes[field_name] = bool(flag)
        if member == "SourceDestCheck":
            for eni in await network_interfaces.interfaces_of_instance(ctx, instance_id):
                if int(eni.get("device_index") or 0) == 0:
                    await records.mutate(
                        ctx,
                        ENI,
                        str(eni["network_interface_id"]),
                        lambda r: {**r, "source_dest_check": bool(flag)},
                    )
    elif member == "InstanceType":
        new_type = str(value.get("Value") or "")
        if state != "stopped":
            raise not_stopped(instance_id)
        if not instance_types.exists(new_type):
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"The instanceType attribute value '{new_type}' is invalid.",
            )
        if record.get("architecture", "x86_64") not in instance_types.architectures(new_type):
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"The instance type '{new_type}' does not support the architecture of the instance.",
            )
        changes["instance_type"] = new_type
        if record.get("credit_specification") is not None and not instance_types.is_burstable(
            new_type
        ):
            changes["credit_specification"] = None
        elif record.get("credit_specification") is None and instance_types.is_burstable(new_type):
            changes["credit_specification"] = instance_types.default_credits(new_type)
        await _forward_modify(ctx, {"InstanceId": instance_id, "InstanceType": {"Value": new_type}})
    elif member == "UserData":
        if state != "stopped":
            raise not_stopped(instance_id)
        raw = value.get("Value") or b""
        raw = raw.encode() if isinstance(raw, str) else bytes(raw)
        if len(raw) > MAX_USER_DATA:
            raise invalid_parameter_value(f"User data is limited to {MAX_USER_DATA} bytes.")
        changes["user_data"] = base64.b64encode(raw).decode("ascii") if raw else None
        await _forward_modify(ctx, {"InstanceId": instance_id, "UserData": {"Value": raw}})
    elif member == "InstanceInitiatedShutdownBehavior":
        behavior = value.get("Value")
        if behavior not in ("stop", "terminate"):
            raise invalid_parameter_value(
                f"Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid."
            )
        changes["instance_initiated_shutdown_behavior"] = behavior
    elif member == "Groups":
        groups = list(value)
        if not groups:
            raise missing_parameter("GroupId")
        primary = next(
            (
                e
                for e in await network_interfaces.interfaces_of_instance(ctx, instance_id)
                if int(e.get("device_index") or 0) == 0
            ),
            None,
        )
        vpc_id = str((primary or record).get("vpc_id") or "")
        resolved, names = await network_interfaces.resolve_groups(ctx, vpc_id, groups)
        if primary is not None:
            await records.mutate(
                ctx,
                ENI,
                str(primary["network_interface_id"]),
                lambda r: {**r, "security_group_ids": resolved, "security_group_names": names},
            )
        changes["security_group_ids"] = resolved
    elif member == "BlockDeviceMappings":
        await _modify_block_devices(ctx, instance_id, value)
    elif member == "SriovNetSupport":
        if state != "stopped":
            raise not_stopped(instance_id)
        if value.get("Value") != "simple":
            raise invalid_parameter_value(
                "Value for parameter sriovNetSupport is invalid. Valid value: simple"
            )
        changes["sriov_net_support"] = "simple"
    else:  # Kernel, Ramdisk
        raise AwsError(
            "UnsupportedOperation",
            f"The {_MODIFY_MEMBERS[member]} attribute is not supported for HVM instances.",
        )
    if changes:
        await records.mutate(ctx, INSTANCE, instance_id, lambda r: {**r, **changes})
    return None


async def _forward_modify(ctx: RequestContext, modify: Record) -> None:
    """Tell the daemons (``ec2.ModifyInstanceAttribute``); no daemon knows it → nothing to do."""
    client = daemon_client(ctx)
    if client is None:
        return
    try:
        await client.modify_stopped(ctx.account_id, modify)
    except (NoRespondersError, RequestTimeoutError):
        return
    except contract.DaemonError as exc:
        if exc.code not in ("InvalidInstanceID.NotFound",):
            raise daemon_error(exc, instance_id=str(modify["InstanceId"])) from exc


async def _modify_block_devices(
    ctx: RequestContext, instance_id: str, mappings: Sequence[Mapping[str, Any]]
) -> None:
    """``DeleteOnTermination`` of attached volumes (the attachment lives in the volume record)."""
    view = await gather_context(ctx, [await get_instance(ctx, instance_id, sync=False)])
    attached = {str(a["Device"]): a for a in view.volumes.get(instance_id, [])}
    for mapping in mappings:
        device = str(mapping.get("DeviceName") or "")
        ebs = mapping.get("Ebs") or {}
        attachment = attached.get(device)
        if attachment is None:
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"No device is currently mapped at {device}",
            )
        if ebs.get("DeleteOnTermination") is None:
            continue
        flag = bool(ebs["DeleteOnTermination"])

        def change(record: Record, device: str = device, flag: bool = flag) -> Record:
            for item in record.get("attachments") or []:
                if item.get("instance_id") == instance_id and item.get("device") == device:
                    item["delete_on_termination"] = flag
            return record

        await records.mutate(ctx, KINDS["volume"], str(attachment["VolumeId"]), change)
