"""Which instances use a reservation, and taking room in one for a launch (compare-and-swap).

An instance uses reservation ``cr-…`` while its record names it (``capacity_reservation_id``)
and it is ``pending`` or ``running``. A launch first *holds* room: one compare-and-swap on the
reservation record checks ``in use + held + wanted ≤ total`` and records the hold, so two
concurrent launches cannot both take the last slot. The hold is dropped once the instances
are stored (they count from then on) and lapses after the ``capacity_hold`` timing if the
launch crashed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from handlers.capacity_reservations.views import state_of
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record

CAPACITY_RESERVATION: Final = KINDS["capacity-reservation"]
INSTANCE: Final = KINDS["instance"]
records.indexed(INSTANCE, "capacity_reservation_id")  # the instances using a reservation
USING_STATES: Final = frozenset({"pending", "running"})
PLATFORM: Final = "Linux/UNIX"


def insufficient(reservation_id: str) -> AwsError:
    """A targeted reservation without room for the launch."""
    return AwsError(
        "ReservationCapacityExceeded",
        f"The requested reservation '{reservation_id}' does not have sufficient compatible and "
        "available capacity for this request.",
    )


async def in_use(ctx: RequestContext, reservation_ids: Sequence[str]) -> dict[str, int]:
    """Reservation id → instances of the caller using it now, for ``reservation_ids`` (read
    from the index of the instances' ``capacity_reservation_id``)."""
    counts: dict[str, int] = {}
    using: list[Record] = []
    for wanted in dict.fromkeys(reservation_ids):
        using += await records.where(ctx, INSTANCE, capacity_reservation_id=wanted)
    for instance in using:
        reservation_id = instance.get("capacity_reservation_id")
        if reservation_id and instance.get("state") in USING_STATES:
            counts[str(reservation_id)] = counts.get(str(reservation_id), 0) + 1
    return counts


def _held(record: Record, at: datetime) -> int:
    return sum(
        int(hold["count"])
        for hold in (record.get("holds") or {}).values()
        if clock.parse_time(str(hold["until"])) > at
    )


@dataclass(frozen=True, slots=True)
class Hold:
    """Room taken in a reservation for the first :attr:`count` instances of a launch."""

    reservation_id: str
    count: int
    holder: str


def _fits(record: Record, instance_type: str, zone: str, tenancy: str) -> bool:
    return (
        record["instance_type"] == instance_type
        and record["availability_zone"] == zone
        and (record.get("tenancy") or "default") == tenancy
        and record.get("instance_platform") == PLATFORM
    )


async def _take(
    ctx: RequestContext, record: Record, wanted: int, least: int, used: int
) -> Hold | None:
    """Hold up to ``wanted`` (at least ``least``) instances of room in ``record``."""
    holder = uuid.uuid4().hex
    taken = 0

    def change(current: Record) -> Record:
        nonlocal taken
        now = clock.now()
        if state_of(current, now) != "active":
            taken = 0
            return current
        room = int(current["total_instance_count"]) - used - _held(current, now)
        taken = min(wanted, max(0, room))
        if taken < least:
            taken = 0
            return current
        holds = {
            k: v
            for k, v in (current.get("holds") or {}).items()
            if clock.parse_time(str(v["until"])) > now
        }
        until = clock.stamp(now + clock.seconds(ctx, "capacity-hold"))
        holds[holder] = {"count": taken, "until": until}
        return {**current, "holds": holds}

    reservation_id = str(record["capacity_reservation_id"])
    await records.mutate(ctx, CAPACITY_RESERVATION, reservation_id, change, missing_ok=True)
    return Hold(reservation_id, taken, holder) if taken else None


async def hold_for_launch(
    ctx: RequestContext,
    specification: Mapping[str, Any] | None,
    *,
    instance_type: str,
    zone: str,
    tenancy: str,
    min_count: int,
    max_count: int,
) -> Hold | None:
    """Room for a launch per its ``CapacityReservationSpecification``, or ``None``.

    A target must fit the instances (type, zone, tenancy, platform) and have room for
    ``min_count``; preference ``open`` (the default) uses the first matching open reservation
    with room; ``none`` uses none.
    """
    specification = specification or {}
    target = (specification.get("CapacityReservationTarget") or {}).get("CapacityReservationId")
    if target:
        used = await in_use(ctx, [str(target)])
        record = await records.get(ctx, CAPACITY_RESERVATION, str(target))
        if state_of(record, clock.now()) != "active" or not _fits(
            record, instance_type, zone, tenancy
        ):
            raise insufficient(str(target))
        hold = await _take(ctx, record, max_count, min_count, used.get(str(target), 0))
        if hold is None:
            raise insufficient(str(target))
        return hold
    if specification.get("CapacityReservationPreference") == "none":
        return None
    candidates = [
        record
        for record in await records.where(ctx, CAPACITY_RESERVATION)
        if record.get("instance_match_criteria") == "open"
        and _fits(record, instance_type, zone, tenancy)
    ]
    used = (
        await in_use(ctx, [str(r["capacity_reservation_id"]) for r in candidates])
        if candidates
        else {}
    )
    for record in candidates:
        reservation_id = str(record["capacity_reservation_id"])
        hold = await _take(ctx, record, max_count, 1, used.get(reservation_id, 0))
        if hold is not None:
            return hold
    return None


async def release(ctx: RequestContext, hold: Hold | None) -> None:
    """Drop a hold (its instances are stored, or the launch failed)."""
    if hold is None:
        return

    def change(current: Record) -> Record:
        holds = {k: v for k, v in (current.get("holds") or {}).items() if k != hold.holder}
        return {**current, "holds": holds}

    await records.mutate(ctx, CAPACITY_RESERVATION, hold.reservation_id, change, missing_ok=True)
