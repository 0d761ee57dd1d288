"""What interface and instance events do to the addresses associated with them."""

from __future__ import annotations

from collections.abc import Iterable

from handlers import network_interfaces
from handlers.addresses.association import _associated_with, _clear_eip, _nat_event, disassociate
from handlers.addresses.common import EIP, ENI
from hive_gateway.core import dependents, ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record


async def interface_gone(ctx: RequestContext, eni_id: str) -> None:
    """The interface was deleted: its EIPs become unassociated (they stay allocated)."""
    for record in await _associated_with(ctx, eni_id):
        if await _clear_eip(ctx, str(record["allocation_id"]), str(record["association_id"])):
            await ipam.update_public_ip(ctx, str(record["public_ip"]), {"eni_id": None})
            await _nat_event(
                ctx, "vpc.delete-nat", record, str(record.get("private_ip") or ""), None
            )


async def interface_ips_gone(ctx: RequestContext, eni_id: str, private_ips: Iterable[str]) -> None:
    """Secondary addresses were unassigned: EIPs on them become unassociated."""
    gone = set(private_ips)
    for record in await _associated_with(ctx, eni_id):
        if record.get("private_ip") in gone:
            await _clear_eip(ctx, str(record["allocation_id"]), str(record["association_id"]))


async def interface_instance_changed(
    ctx: RequestContext, eni_id: str, instance_id: str | None
) -> None:
    """The interface was attached to / detached from an instance: EIPs follow (``InstanceId``)."""
    for record in await _associated_with(ctx, eni_id):

        def change(current: Record, association_id: str = str(record["association_id"])) -> Record:
            if current.get("association_id") != association_id:
                return current
            if instance_id:
                current["instance_id"] = instance_id
            else:
                current.pop("instance_id", None)
            return current

        await records.mutate(ctx, EIP, str(record["allocation_id"]), change, missing_ok=True)


async def addresses_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The EIP records associated with the instance (through any of its interfaces)."""
    found = await records.where(ctx, EIP, instance_id=instance_id)
    return [r for r in found if r.get("association_id")]


async def release_instance_associations(ctx: RequestContext, instance_id: str) -> None:
    """On termination: EIPs on interfaces that die with the instance are disassociated; EIPs on
    interfaces that survive (delete-on-termination false) stay with the interface."""
    for record in await addresses_of_instance(ctx, instance_id):
        eni = (
            await records.find(ctx, ENI, str(record.get("eni_id") or ""))
            if record.get("eni_id")
            else None
        )
        dies = eni is None or (
            eni.get("instance_id") == instance_id and bool(eni.get("delete_on_termination"))
        )
        if dies:
            await disassociate(ctx, record, restore_public=False)
        elif eni is not None and eni.get("instance_id") != instance_id:
            await interface_instance_changed(
                ctx, str(eni["network_interface_id"]), eni.get("instance_id")
            )


# --- Elastic IPs follow their interface and instance (core.dependents) ---------------------------


@dependents.on("network-interface", "deleted")
async def _interface_deleted(ctx: RequestContext, eni: Record) -> None:
    await interface_gone(ctx, str(eni["network_interface_id"]))


@dependents.on("network-interface", "attached")
@dependents.on("network-interface", "detached")
async def _interface_instance_changed(ctx: RequestContext, eni: Record) -> None:
    await interface_instance_changed(
        ctx, str(eni["network_interface_id"]), eni.get("instance_id") or None
    )


@dependents.on("network-interface", "ips-unassigned")
async def _interface_ips_unassigned(ctx: RequestContext, eni: Record) -> None:
    await interface_ips_gone(
        ctx, str(eni["network_interface_id"]), eni[network_interfaces.UNASSIGNED]
    )


@dependents.on("instance", "terminated")
async def _instance_terminated(ctx: RequestContext, instance: Record) -> None:
    await release_instance_associations(ctx, str(instance["instance_id"]))
