"""Associating an Elastic IP with an interface or instance, and the actions that do it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers import network_interfaces
from handlers.addresses.common import (
    _ASSOCIATION_FIELDS,
    EIP,
    ENI,
    INSTANCE,
    INTERNET_GATEWAY,
    association_not_found,
    check_changeable,
    not_yours,
    service_managed,
)
from hive_gateway.core import ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.hive import events

# --- helpers ---------------------------------------------------------------------------------------


async def _by_public_ip(ctx: RequestContext, public_ip: str) -> Record:
    found = await records.where(ctx, EIP, public_ip=public_ip)
    if not found:
        raise not_yours(public_ip)
    return found[0]


async def _clear_eip(ctx: RequestContext, allocation_id: str, association_id: str | None) -> bool:
    """Mark the EIP unassociated if ``association_id`` is still its association; True if it was."""
    cleared: list[bool] = []

    def change(record: Record) -> Record:
        cleared.clear()
        if not record.get("association_id") or (
            association_id and record["association_id"] != association_id
        ):
            return record
        cleared.append(True)
        for field in _ASSOCIATION_FIELDS:
            record.pop(field, None)
        record["state"] = "allocated"
        return record

    await records.mutate(ctx, EIP, allocation_id, change, missing_ok=True)
    return bool(cleared)


async def _nat_event(
    ctx: RequestContext,
    subject: str,
    record: Mapping[str, Any],
    private_ip: str,
    eni: Mapping[str, Any] | None,
) -> None:
    """Hive's ``vpc.add-nat`` / ``vpc.delete-nat`` payload (``eip/service_impl.go``)."""
    await events.publish(
        ctx,
        subject,
        {
            "vpc_id": (eni or {}).get("vpc_id") or record.get("vpc_id") or "",
            "external_ip": record["public_ip"],
            "logical_ip": private_ip,
            "port_name": (eni or {}).get("network_interface_id") or record.get("eni_id") or "",
            "mac": (eni or {}).get("mac_address") or record.get("mac_address") or "",
        },
    )


async def _check_internet_gateway(ctx: RequestContext, vpc_id: str) -> None:
    """AWS refuses to map a public address into a VPC without an attached internet gateway."""
    if await records.where(ctx, INTERNET_GATEWAY, live_only=False, vpc_id=vpc_id):
        return  # from the index of ``vpc_id``
    for gateway in await records.list_records(ctx, INTERNET_GATEWAY):
        if any(a.get("vpc_id") == vpc_id for a in gateway.get("attachments") or []):
            return
    raise AwsError(
        "Gateway.NotAttached", f"Network {vpc_id} is not attached to any internet gateway"
    )


def _state_name(instance: Mapping[str, Any]) -> str:
    state = instance.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "")
    return str(state or "")


# --- associating -----------------------------------------------------------------------------------


async def associate(
    ctx: RequestContext,
    eip: Mapping[str, Any],
    eni: Mapping[str, Any],
    private_ip: str,
    *,
    allow_reassociation: bool,
) -> str:
    """Associate the EIP with ``private_ip`` of the interface; returns the association id."""
    allocation_id = str(eip["allocation_id"])
    eni_id = str(eni["network_interface_id"])
    association_id = new_id("elastic-ip-association")
    outcome: dict[str, Any] = {}

    def claim(record: Record) -> Record:
        outcome.clear()
        existing = record.get("association_id")
        if existing:
            if record.get("eni_id") == eni_id and record.get("private_ip") == private_ip:
                outcome["same"] = existing
                return record
            if not allow_reassociation:
                raise AwsError(
                    "Resource.AlreadyAssociated",
                    f"resource {allocation_id} is already associated with associate-id {existing}",
                )
            outcome["previous"] = {"eni_id": record.get("eni_id"), "association_id": existing}
        record.update(
            association_id=association_id,
            eni_id=eni_id,
            private_ip=private_ip,
            vpc_id=eni["vpc_id"],
            subnet_id=eni["subnet_id"],
            mac_address=eni["mac_address"],
            network_interface_owner_id=str(eni.get("account_id") or ctx.account_id),
            state="associated",
        )
        if eni.get("attachment_id") and eni.get("instance_id"):
            record["instance_id"] = eni["instance_id"]
        else:
            record.pop("instance_id", None)
        return record

    stored = await records.mutate(ctx, EIP, allocation_id, claim)
    assert stored is not None
    if "same" in outcome:
        return str(outcome["same"])
    previous = outcome.get("previous")
    if previous and previous.get("eni_id"):
        await network_interfaces.clear_interface_association(
            ctx, str(previous["eni_id"]), str(previous["association_id"])
        )
    mapping = {
        "public_ip": stored["public_ip"],
        "allocation_id": allocation_id,
        "association_id": association_id,
        "ip_owner_id": ctx.account_id,
    }
    try:
        displaced = await network_interfaces.set_interface_association(
            ctx, eni_id, private_ip, mapping
        )
    except BaseException:
        await _clear_eip(ctx, allocation_id, association_id)
        raise
    if displaced:
        if displaced.get("allocation_id"):
            await _clear_eip(ctx, str(displaced["allocation_id"]), displaced.get("association_id"))
        else:
            await ipam.release_public_ip(ctx, str(displaced["public_ip"]))
    await ipam.update_public_ip(ctx, str(stored["public_ip"]), {"eni_id": eni_id})
    await _nat_event(ctx, "vpc.add-nat", stored, private_ip, eni)
    return association_id


async def disassociate(
    ctx: RequestContext, eip: Mapping[str, Any], *, restore_public: bool = True
) -> None:
    """Undo the EIP's current association (interface side included)."""
    association_id = eip.get("association_id")
    if not association_id:
        return
    if not await _clear_eip(ctx, str(eip["allocation_id"]), str(association_id)):
        return
    if eip.get("eni_id"):
        await network_interfaces.clear_interface_association(
            ctx, str(eip["eni_id"]), str(association_id), restore_public=restore_public
        )
    await ipam.update_public_ip(ctx, str(eip["public_ip"]), {"eni_id": None})
    await _nat_event(ctx, "vpc.delete-nat", eip, str(eip.get("private_ip") or ""), None)


# --- hooks for network interfaces and instances ---------------------------------------------------


async def _associated_with(ctx: RequestContext, eni_id: str) -> list[Record]:
    return [r for r in await records.where(ctx, EIP, eni_id=eni_id) if r.get("association_id")]


@action("AssociateAddress")
async def associate_address(ctx: RequestContext, params: Params) -> Result:
    """Associate an Elastic IP with an interface (or an instance's only interface)."""
    allocation_id = params.get("AllocationId")
    if allocation_id:
        eip = await records.get(ctx, EIP, allocation_id)
    elif params.get("PublicIp"):
        eip = await _by_public_ip(ctx, str(params["PublicIp"]))
    else:
        raise missing_parameter("AllocationId")
    await check_changeable(ctx, eip)
    instance_id = params.get("InstanceId")
    eni_id = params.get("NetworkInterfaceId")
    if instance_id and eni_id:
        raise invalid_parameter_combination(
            "You can specify either an instance ID or a network interface ID, but not both."
        )
    if eni_id:
        eni = await records.get(ctx, ENI, eni_id)
    elif instance_id:
        eni = await _only_interface(ctx, instance_id)
    else:
        raise AwsError(
            "MissingParameter", "Either instance ID or network interface id must be specified"
        )
    if eni.get("requester_managed"):
        raise service_managed()
    private_ip = str(params.get("PrivateIpAddress") or eni["private_ip_address"])
    if private_ip not in network_interfaces.private_ips(eni):
        raise invalid_parameter_value(
            f"The specified private IP address {private_ip} is not assigned to network interface "
            f"{eni['network_interface_id']}."
        )
    await _check_internet_gateway(ctx, str(eni["vpc_id"]))
    association_id = await associate(
        ctx, eip, eni, private_ip, allow_reassociation=bool(params.get("AllowReassociation"))
    )
    return {"AssociationId": association_id}


async def _only_interface(ctx: RequestContext, instance_id: str) -> Record:
    instance = await records.get(ctx, INSTANCE, instance_id)
    state = _state_name(instance)
    if state == "pending":
        raise AwsError(
            "InvalidInstanceID",
            f"The pending instance '{instance_id}' is not in a valid state for this operation.",
        )
    if state in ("shutting-down", "terminated"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    interfaces = await network_interfaces.interfaces_of_instance(ctx, instance_id)
    if not interfaces:
        raise AwsError(
            "InvalidInstanceID",
            f"The instance '{instance_id}' has no network interface to associate the address with.",
        )
    if len(interfaces) > 1:
        raise AwsError(
            "InvalidInstanceID",
            f"There are multiple interfaces attached to instance '{instance_id}'. "
            "Please specify an interface ID for the operation instead.",
        )
    return interfaces[0]


@action("DisassociateAddress")
async def disassociate_address(ctx: RequestContext, params: Params) -> Result:
    """Disassociate by association id (``InvalidAssociationID.NotFound`` when unknown)."""
    association_id = params.get("AssociationId")
    if association_id:
        record = next(iter(await records.where(ctx, EIP, association_id=association_id)), None)
        if record is None:
            raise association_not_found(association_id)
    elif params.get("PublicIp"):
        record = await _by_public_ip(ctx, str(params["PublicIp"]))
    else:
        raise missing_parameter("AssociationId")
    await check_changeable(ctx, record)
    await disassociate(ctx, record)
    return None
