"""Device-index slots of an instance, claimed so two attachments never share one."""

from __future__ import annotations

from handlers.network_interfaces.common import ENI
from hive_gateway.core import claims, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record

# --- claims: device slots ---------------------------------------------------------------------


def _slot_name(instance_id: str, device_index: int) -> str:
    return f"{instance_id}.{device_index}"


async def _claim_slot(
    ctx: RequestContext, instance_id: str, device_index: int, eni_id: str
) -> bool:
    """Reserve ``device_index`` of the instance for ``eni_id`` (``InvalidParameterValue`` if taken).

    Returns whether the claim is new (``False``: ``eni_id`` already held it).

    A claim is taken over when its interface is gone, or when it is not attached in that slot
    and the claim is stale (:data:`~hive_gateway.core.claims.ENI_SLOTS`: a crash between the
    claim and the attach); a younger claim is an attach in progress and wins.
    """

    async def held(current: Record) -> bool | None:
        holder = await records.find(ctx, ENI, str(current.get("holder")))
        if holder is None:
            return False
        attached_here = (
            bool(holder.get("attachment_id"))
            and holder.get("instance_id") == instance_id
            and int(holder.get("device_index") or 0) == device_index
        )
        return True if attached_here else None

    claim = await claims.take(
        ctx,
        claims.ENI_SLOTS,
        _slot_name(instance_id, device_index),
        eni_id,
        data={"instance_id": instance_id, "device_index": device_index},
        held=held,
    )
    taken = invalid_parameter_value(
        f"Instance '{instance_id}' already has an interface attached at device index '{device_index}'."
    )
    if not claim.ours:
        raise taken
    if claim.fresh:  # an interface attached before slot claims had their own space holds none
        here = await records.where(ctx, ENI, instance_id=instance_id, device_index=device_index)
        if any(r.get("attachment_id") and r["network_interface_id"] != eni_id for r in here):
            await _release_slot(ctx, instance_id, device_index, eni_id)
            raise taken
    return claim.fresh


async def _release_slot(
    ctx: RequestContext, instance_id: str, device_index: int, eni_id: str
) -> None:
    await claims.release(ctx, claims.ENI_SLOTS, _slot_name(instance_id, device_index), eni_id)
