"""Capacity reservations in the ``CapacityReservation`` shape; their visible state and filters."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record, live
from hive_gateway.core.tagging import api_tags, record_tags
from hive_gateway.core.zones import zone_ids

LIVE_STATES: Final = ("active",)


def state_of(record: Record, at: datetime) -> str:
    """``active`` until cancelled or past a ``limited`` end date (then ``expired``)."""
    state = str(record["state"])
    end = record.get("end_date")
    if state == "active" and end and clock.parse_time(str(end)) <= at:
        return "expired"
    return state


def ended_at(record: Record) -> datetime | None:
    """When the reservation stopped being active (``None`` while it is)."""
    if record.get("cancelled_at"):
        return clock.parse_time(str(record["cancelled_at"]))
    if record.get("end_date"):
        return clock.parse_time(str(record["end_date"]))
    return None


@live("capacity-reservation")
def _visible(ctx: RequestContext, record: Record, now: datetime) -> bool:
    if state_of(record, now) == "active":
        return True
    end = ended_at(record)
    return end is None or now - end < clock.seconds(ctx, "capacity-reservation-retention")


def arn(ctx: RequestContext, reservation_id: str) -> str:
    """``arn:aws:ec2:<region>:<account>:capacity-reservation/<id>``."""
    region = ctx.runtime.settings.region
    return f"arn:aws:ec2:{region}:{ctx.account_id}:capacity-reservation/{reservation_id}"


def reservation_to_api(ctx: RequestContext, record: Record, in_use: int, at: datetime) -> Record:
    """A reservation record as a ``CapacityReservation``, ``in_use`` of its instances running."""
    reservation_id = str(record["capacity_reservation_id"])
    state = state_of(record, at)
    total = int(record["total_instance_count"])
    zone = str(record["availability_zone"])
    out: Record = {
        "CapacityReservationId": reservation_id,
        "OwnerId": ctx.account_id,
        "CapacityReservationArn": arn(ctx, reservation_id),
        "AvailabilityZoneId": zone_ids(ctx).get(zone, ""),
        "InstanceType": record["instance_type"],
        "InstancePlatform": record["instance_platform"],
        "AvailabilityZone": zone,
        "Tenancy": record.get("tenancy") or "default",
        "TotalInstanceCount": total,
        "AvailableInstanceCount": max(0, total - in_use) if state == "active" else 0,
        "EbsOptimized": bool(record.get("ebs_optimized", False)),
        "EphemeralStorage": bool(record.get("ephemeral_storage", False)),
        "State": state,
        "StartDate": clock.parse_time(str(record["created_at"])),
        "EndDateType": record.get("end_date_type") or "unlimited",
        "InstanceMatchCriteria": record.get("instance_match_criteria") or "open",
        "CreateDate": clock.parse_time(str(record["created_at"])),
        "Tags": api_tags(record_tags(record)),
        "CapacityAllocations": [],
        "ReservationType": "default",
        "DeliveryPreference": "fixed",
    }
    if record.get("end_date"):
        out["EndDate"] = clock.parse_time(str(record["end_date"]))
    for field, member in (
        ("placement_group_arn", "PlacementGroupArn"),
        ("outpost_arn", "OutpostArn"),
    ):
        if record.get(field):
            out[member] = record[field]
    return out


def _time(item: Record, member: str) -> str | None:
    value = item.get(member)
    return clock.filter_time(value) if isinstance(value, datetime) else None


CAPACITY_RESERVATION_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "instance-type": lambda r: r["InstanceType"],
        "owner-id": lambda r: r["OwnerId"],
        "instance-platform": lambda r: r["InstancePlatform"],
        "availability-zone": lambda r: r["AvailabilityZone"],
        "availability-zone-id": lambda r: r["AvailabilityZoneId"],
        "tenancy": lambda r: r["Tenancy"],
        "outpost-arn": lambda r: r.get("OutpostArn"),
        "state": lambda r: r["State"],
        "start-date": lambda r: _time(r, "StartDate"),
        "end-date": lambda r: _time(r, "EndDate"),
        "end-date-type": lambda r: r["EndDateType"],
        "instance-match-criteria": lambda r: r["InstanceMatchCriteria"],
        "placement-group-arn": lambda r: r.get("PlacementGroupArn"),
        "capacity-reservation-id": lambda r: r["CapacityReservationId"],
    },
    tags=lambda r: {tag["Key"]: tag["Value"] for tag in r.get("Tags", [])},
    indexes={
        "availability-zone": "availability_zone",
        "capacity-reservation-id": "capacity_reservation_id",
        "instance-platform": "instance_platform",
        "instance-type": "instance_type",
        "outpost-arn": "outpost_arn",
        "placement-group-arn": "placement_group_arn",
    },
)
