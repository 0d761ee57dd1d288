"""Device names of attachments, claimed per instance so two volumes never share one."""

from __future__ import annotations

import re
from typing import Final

from handlers.ebs.volume_records import VOLUME, live_attachments, volume_state
from hive_gateway.core import claims, records
from hive_gateway.core.clock import now
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_value,
)
from hive_gateway.core.kinds import Record

# --- device claims ---------------------------------------------------------------------------

_DEVICE: Final = re.compile(
    r"^(/dev/)?((sd|xvd|hd)[a-z]{1,2}[0-9]{0,2}|nvme[0-9]{1,2}n[0-9]{1,2})$"
)


def check_device(device: str) -> None:
    """An EBS device name (``/dev/sdf``, ``/dev/xvdh``, ``xvdh``, ``/dev/sda1``)."""
    if not _DEVICE.match(device):
        raise invalid_parameter_value(
            f"Value ({device}) for parameter device is invalid. "
            f"{device} is not a valid EBS device name."
        )


def _device_slot(device: str) -> str:
    return device.removeprefix("/dev/")


def _device_claim(instance_id: str, device: str) -> str:
    return f"{instance_id}.{_device_slot(device)}"


def device_in_use(device: str) -> AwsError:
    """The device already carries a volume on that instance."""
    return invalid_parameter_value(
        f"Invalid value '{device}' for unixDevice. Attachment point {device} is already in use"
    )


async def _claim_device(ctx: RequestContext, instance_id: str, device: str, volume_id: str) -> None:
    """Claim ``device`` on ``instance_id`` for ``volume_id`` (compare-and-swap).

    Another volume's claim stands while that volume is attached there, or while the claim is
    young (an attach in progress); a stale one (:data:`~hive_gateway.core.claims.DEVICE_SLOTS`)
    is taken over.
    """

    async def held(current: Record) -> bool | None:
        at = now()
        other = await records.find(ctx, VOLUME, str(current.get("holder")))
        slot = _device_slot(device)
        holds = (
            other is not None
            and volume_state(other, at) is not None
            and any(
                a["instance_id"] == instance_id and _device_slot(a["device"]) == slot
                for a in live_attachments(other, at)
            )
        )
        return True if holds else None

    claim = await claims.take(
        ctx, claims.DEVICE_SLOTS, _device_claim(instance_id, device), volume_id, held=held
    )
    if not claim.ours:
        raise device_in_use(device)


async def _release_device(
    ctx: RequestContext, instance_id: str, device: str, volume_id: str
) -> None:
    """Drop ``volume_id``'s claim on ``device`` of ``instance_id`` (if it still holds it)."""
    await claims.release(ctx, claims.DEVICE_SLOTS, _device_claim(instance_id, device), volume_id)


async def _drop_devices(ctx: RequestContext, instance_id: str) -> None:
    await claims.release_all(ctx, claims.DEVICE_SLOTS, f"{instance_id}.")
