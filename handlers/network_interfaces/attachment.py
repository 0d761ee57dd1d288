"""Attaching interfaces to instances and detaching them (actions, RunInstances, termination)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.network_interfaces.common import (
    ATTACHABLE_STATES,
    DETACHABLE_PRIMARY_STATES,
    ENI,
    INSTANCE,
    attachment_not_found,
)
from handlers.network_interfaces.lifecycle import delete_interface
from handlers.network_interfaces.public_ip import drop_auto_public_ip
from handlers.network_interfaces.slots import _claim_slot, _release_slot
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- attaching -----------------------------------------------------------------------------------


async def attach_to_instance(
    ctx: RequestContext,
    eni_id: str,
    instance_id: str,
    device_index: int,
    *,
    delete_on_termination: bool,
    network_card_index: int = 0,
) -> Record:
    """Attach the interface at ``device_index`` (status ``in-use``); returns the updated record.

    The instance record need not exist yet (``RunInstances`` attaches before it stores the
    instance). ``InvalidNetworkInterface.InUse`` when already attached,
    ``InvalidParameterValue`` when the slot is taken.
    """
    current = await records.get(ctx, ENI, eni_id)
    if current.get("attachment_id"):
        raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    fresh = await _claim_slot(ctx, instance_id, device_index, eni_id)
    attachment_id = new_id("network-interface-attachment")

    def attach(record: Record) -> Record:
        if record.get("attachment_id"):
            raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
        record.pop("last_attachment", None)
        record.update(
            status="in-use",
            attachment_id=attachment_id,
            instance_id=instance_id,
            device_index=device_index,
            attach_time=clock.utc_now(),
            delete_on_termination=delete_on_termination,
            attachment_status="attached",
            network_card_index=network_card_index,
        )
        return record

    try:
        updated = await records.mutate(ctx, ENI, eni_id, attach)
    except BaseException:
        if fresh:
            await _release_slot(ctx, instance_id, device_index, eni_id)
        raise
    assert updated is not None
    await dependents.fire(ctx, "network-interface", "attached", updated)
    return updated


async def detach_interface(
    ctx: RequestContext, eni_id: str, attachment_id: str | None = None
) -> Record | None:
    """Detach the interface (if attached, and only from ``attachment_id`` when given).

    The last attachment is kept as ``last_attachment`` for the detach waiter. Returns the
    updated record, ``None`` when it was not attached.
    """
    previous: Record = {}

    def detach(record: Record) -> Record:
        previous.clear()
        current = record.get("attachment_id")
        if attachment_id is not None and current != attachment_id:
            raise attachment_not_found(attachment_id)
        if not current:
            return record
        previous.update(record)
        record["last_attachment"] = {
            "attachment_id": current,
            "instance_id": str(record.get("instance_id") or ""),
            "device_index": int(record.get("device_index") or 0),
            "attach_time": str(record.get("attach_time") or record["created_at"]),
            "detach_time": clock.utc_now(),
            "delete_on_termination": bool(record.get("delete_on_termination", False)),
            "network_card_index": int(record.get("network_card_index") or 0),
        }
        for field in (
            "attachment_id",
            "instance_id",
            "attach_time",
            "delete_on_termination",
            "attachment_status",
            "network_card_index",
        ):
            record.pop(field, None)
        record["status"] = "available"
        record["device_index"] = 0
        return record

    updated = await records.mutate(ctx, ENI, eni_id, detach)
    if not previous:
        return None
    await _release_slot(
        ctx, str(previous.get("instance_id")), int(previous.get("device_index") or 0), eni_id
    )
    assert updated is not None
    await dependents.fire(ctx, "network-interface", "detached", updated)
    return updated


@action("AttachNetworkInterface")
async def attach_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Attach an interface to an instance in the same availability zone."""
    eni_id = params["NetworkInterfaceId"]
    instance_id = params["InstanceId"]
    device_index = int(params["DeviceIndex"])
    card = int(params.get("NetworkCardIndex") or 0)
    if device_index < 0:
        raise invalid_parameter_value(
            f"Value ({device_index}) for parameter deviceIndex is invalid."
        )
    if card != 0:
        raise invalid_parameter_value(f"Network card index {card} is not supported; only 0 is.")
    record = await records.get(ctx, ENI, eni_id)
    instance = await records.get(ctx, INSTANCE, instance_id)
    state = _state_name(instance)
    if state not in ATTACHABLE_STATES:
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    if (
        instance.get("availability_zone")
        and instance["availability_zone"] != record["availability_zone"]
    ):
        raise invalid_parameter_combination(
            "You may not attach a network interface to an instance if they are not in the same availability zone"
        )
    if record.get("attachment_id"):
        raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    updated = await attach_to_instance(
        ctx, eni_id, instance_id, device_index, delete_on_termination=False, network_card_index=card
    )
    return {"AttachmentId": updated["attachment_id"], "NetworkCardIndex": card}


def _state_name(instance: Mapping[str, Any]) -> str:
    state = instance.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "")
    return str(state or "")


@action("DetachNetworkInterface")
async def detach_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Detach by attachment id; the primary interface (device 0) of a live instance stays."""
    attachment_id = params["AttachmentId"]
    record = next(iter(await records.where(ctx, ENI, attachment_id=attachment_id)), None)
    if record is None:
        raise attachment_not_found(attachment_id)
    if int(record.get("device_index") or 0) == 0:
        instance = await records.find(ctx, INSTANCE, str(record.get("instance_id")))
        if instance is not None and _state_name(instance) not in DETACHABLE_PRIMARY_STATES:
            raise AwsError(
                "OperationNotPermitted",
                "The network interface at device index 0 cannot be detached.",
            )
    await detach_interface(ctx, str(record["network_interface_id"]), attachment_id)
    return None


async def interfaces_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The interfaces attached to ``instance_id``, by device index."""
    found = [
        r for r in await records.where(ctx, ENI, instance_id=instance_id) if r.get("attachment_id")
    ]
    return sorted(found, key=lambda r: int(r.get("device_index") or 0))


async def release_instance_interfaces(ctx: RequestContext, instance_id: str) -> None:
    """On termination: delete the interfaces marked delete-on-termination (their EIPs are
    disassociated), detach the others (their EIPs stay with them), and give back every
    auto-assigned public IP (Elastic IP associations follow ``("instance", "terminated")``)."""
    for record in await interfaces_of_instance(ctx, instance_id):
        eni_id = str(record["network_interface_id"])
        if record.get("delete_on_termination"):
            await delete_interface(ctx, eni_id, force=True)
        else:
            await drop_auto_public_ip(ctx, eni_id, keep_flag=False)
            await detach_interface(ctx, eni_id)
