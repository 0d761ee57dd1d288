"""Public IPv4 associations of an interface: Elastic IPs and the auto-assigned address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.network_interfaces.common import AMAZON_OWNER, ENI
from handlers.network_interfaces.record_fields import (
    association_of,
    primary_association,
    private_ips,
)
from hive_gateway.core import ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record

# --- public addresses on the primary private address ------------------------------------------------


async def set_interface_association(
    ctx: RequestContext, eni_id: str, private_ip: str, association: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Map ``association`` (an Elastic IP) onto ``private_ip`` of the interface.

    Returns the association it displaced (another EIP, or an auto-assigned address, which the
    caller gives back). ``InvalidParameterValue`` if the address is not the interface's.
    """
    displaced: dict[str, Any] = {}

    def change(record: Record) -> Record:
        if private_ip not in private_ips(record):
            raise invalid_parameter_value(
                f"The specified private IP address {private_ip} is not assigned to network interface {eni_id}."
            )
        displaced.clear()
        displaced.update(association_of(record, private_ip) or {})
        if private_ip == record["private_ip_address"]:
            record["association"] = dict(association)
            record["public_ip_address"] = association["public_ip"]
            record["public_ip_pool"] = ipam.PUBLIC_POOL_KEY
        else:
            secondary = dict(record.get("secondary_associations") or {})
            secondary[private_ip] = dict(association)
            record["secondary_associations"] = secondary
        return record

    await records.mutate(ctx, ENI, eni_id, change)
    if displaced and displaced.get("association_id") == association.get("association_id"):
        return None
    return displaced or None


async def clear_interface_association(
    ctx: RequestContext, eni_id: str, association_id: str, *, restore_public: bool = True
) -> None:
    """Remove the Elastic IP association ``association_id`` from the interface (if still there).

    With ``restore_public`` an interface launched with a public IP gets a fresh auto-assigned
    one back on its primary address, as AWS does when an EIP is disassociated from an instance.
    """

    def change(record: Record) -> Record:
        primary = record.get("association") or {}
        if primary.get("association_id") == association_id:
            for field in ("association", "public_ip_address", "public_ip_pool"):
                record.pop(field, None)
        secondary = {
            ip: entry
            for ip, entry in (record.get("secondary_associations") or {}).items()
            if entry.get("association_id") != association_id
        }
        record["secondary_associations"] = secondary
        return record

    updated = await records.mutate(ctx, ENI, eni_id, change, missing_ok=True)
    if restore_public and updated is not None and updated.get("auto_public_ip"):
        await ensure_auto_public_ip(ctx, eni_id)


async def ensure_auto_public_ip(ctx: RequestContext, eni_id: str) -> None:
    """Give the primary address an auto-assigned public IP if it has no public address."""
    record = await records.find(ctx, ENI, eni_id)
    if record is None or primary_association(record) is not None:
        return
    address = await ipam.allocate_public_ip(
        ctx, {"type": ipam.PURPOSE_ENI_PUBLIC, "eni_id": eni_id}
    )
    kept: list[bool] = []

    def change(current: Record) -> Record:
        kept.clear()
        if primary_association(current) is not None:
            return current
        kept.append(True)
        return {
            **current,
            "public_ip_address": address,
            "public_ip_pool": ipam.PUBLIC_POOL_KEY,
            "association": {"public_ip": address, "ip_owner_id": AMAZON_OWNER},
        }

    try:
        await records.mutate(ctx, ENI, eni_id, change)
    finally:
        if not kept:
            await ipam.release_public_ip(ctx, address)


async def drop_auto_public_ip(ctx: RequestContext, eni_id: str, *, keep_flag: bool) -> None:
    """Give back the auto-assigned public IP of the primary address (an EIP stays)."""
    released: list[str] = []

    def change(record: Record) -> Record:
        released.clear()
        association = primary_association(record)
        if association is not None and not association.get("allocation_id"):
            released.append(str(association["public_ip"]))
            for field in ("association", "public_ip_address", "public_ip_pool"):
                record.pop(field, None)
        if not keep_flag:
            record["auto_public_ip"] = False
        return record

    await records.mutate(ctx, ENI, eni_id, change)
    for address in released:
        await ipam.release_public_ip(ctx, address)


async def set_auto_public_ip(ctx: RequestContext, eni_id: str, enabled: bool) -> None:
    """``AssociatePublicIpAddress``: assign (or give back) an auto-assigned public IP."""
    if enabled:
        await records.mutate(ctx, ENI, eni_id, lambda r: {**r, "auto_public_ip": True})
        await ensure_auto_public_ip(ctx, eni_id)
    else:
        await drop_auto_public_ip(ctx, eni_id, keep_flag=False)
