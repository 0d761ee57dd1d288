"""``Modify``/``Reset``/``DescribeNetworkInterfaceAttribute``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from handlers.network_interfaces.common import ENI, attachment_not_found, unsupported
from handlers.network_interfaces.groups import _sync_instance_groups, resolve_groups
from handlers.network_interfaces.public_ip import set_auto_public_ip
from handlers.network_interfaces.views import interface_to_api
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- attributes ------------------------------------------------------------------------------------


#: ModifyNetworkInterfaceAttribute members → the attribute name AWS uses in messages.
_MODIFIABLE: Final = {
    "Description": "description",
    "SourceDestCheck": "sourceDestCheck",
    "Groups": "groupSet",
    "Attachment": "attachment",
    "AssociatePublicIpAddress": "associatePublicIpAddress",
}


_UNSUPPORTED_MODIFY: Final = {
    "EnaSrdSpecification": "ENA Express",
    "EnablePrimaryIpv6": "IPv6 addressing of network interfaces",
    "ConnectionTrackingSpecification": "Connection tracking configuration",
    "AssociatedSubnetIds": "Multi-subnet network interfaces",
}


@action("ModifyNetworkInterfaceAttribute")
async def modify_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """Change exactly one attribute: description, source/dest check, groups, attachment, public IP."""
    for member, what in _UNSUPPORTED_MODIFY.items():
        if params.get(member) is not None:
            raise unsupported(what)
    given = [member for member in _MODIFIABLE if params.get(member) is not None]
    if not given:
        raise missing_parameter(
            "Description, SourceDestCheck, Groups, Attachment or AssociatePublicIpAddress"
        )
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: "
            + ", ".join(_MODIFIABLE[m] for m in given)
        )
    eni_id = params["NetworkInterfaceId"]
    member = given[0]
    record = await records.get(ctx, ENI, eni_id)
    if member == "Description":
        value = str(params["Description"].get("Value") or "")
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "description": value})
    elif member == "SourceDestCheck":
        flag = params["SourceDestCheck"].get("Value")
        if flag is None:
            raise missing_parameter("SourceDestCheck.Value")
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "source_dest_check": bool(flag)})
    elif member == "Groups":
        groups, names = await resolve_groups(ctx, str(record["vpc_id"]), list(params["Groups"]))
        if not groups:
            raise missing_parameter("Groups")
        updated = await records.mutate(
            ctx,
            ENI,
            eni_id,
            lambda r: {**r, "security_group_ids": groups, "security_group_names": names},
        )
        if updated is not None:
            await _sync_instance_groups(ctx, updated)
    elif member == "Attachment":
        await _modify_attachment(ctx, eni_id, params["Attachment"])
    else:
        await set_auto_public_ip(ctx, eni_id, bool(params["AssociatePublicIpAddress"]))
    return None


async def _modify_attachment(ctx: RequestContext, eni_id: str, changes: Mapping[str, Any]) -> None:
    attachment_id = changes.get("AttachmentId")
    flag = changes.get("DeleteOnTermination")
    if not attachment_id:
        raise missing_parameter("Attachment.AttachmentId")
    if flag is None:
        raise missing_parameter("Attachment.DeleteOnTermination")

    def change(record: Record) -> Record:
        if record.get("attachment_id") != attachment_id:
            raise attachment_not_found(str(attachment_id))
        return {**record, "delete_on_termination": bool(flag)}

    await records.mutate(ctx, ENI, eni_id, change)


@action("ResetNetworkInterfaceAttribute")
async def reset_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """Reset ``sourceDestCheck`` to its default (true)."""
    if not params.get("SourceDestCheck"):
        raise missing_parameter("SourceDestCheck")
    await records.mutate(
        ctx, ENI, params["NetworkInterfaceId"], lambda r: {**r, "source_dest_check": True}
    )
    return None


@action("DescribeNetworkInterfaceAttribute")
async def describe_network_interface_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute: ``description``, ``groupSet``, ``sourceDestCheck``, ``attachment``, ``associatePublicIpAddress``."""
    attribute = params.get("Attribute")
    if not attribute:
        raise missing_parameter("Attribute")
    record = await records.get(ctx, ENI, params["NetworkInterfaceId"])
    full = interface_to_api(ctx, record)
    answers: dict[str, Callable[[], Record]] = {
        "description": lambda: {"Description": {"Value": full["Description"]}},
        "groupSet": lambda: {"Groups": full["Groups"]},
        "sourceDestCheck": lambda: {"SourceDestCheck": {"Value": full["SourceDestCheck"]}},
        "attachment": lambda: {"Attachment": full["Attachment"]} if "Attachment" in full else {},
        "associatePublicIpAddress": lambda: {
            "AssociatePublicIpAddress": bool(record.get("auto_public_ip")) or "Association" in full
        },
    }
    answer = answers.get(str(attribute))
    if answer is None:
        raise invalid_parameter_value(f"Value ({attribute}) for parameter attribute is invalid.")
    return {"NetworkInterfaceId": record["network_interface_id"], **answer()}
