"""Create/Modify/Cancel/DescribeCapacityReservations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from handlers.capacity_reservations.usage import CAPACITY_RESERVATION, in_use
from handlers.capacity_reservations.views import (
    CAPACITY_RESERVATION_FILTERS,
    reservation_to_api,
    state_of,
)
from hive_gateway.catalogue import instance_types
from hive_gateway.core import clock, describe, idempotency, records
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
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.core.zones import zone_ids

PLATFORMS: Final = frozenset(
    {
        "Linux/UNIX", "Red Hat Enterprise Linux", "SUSE Linux", "Windows",
        "Windows with SQL Server", "Windows with SQL Server Enterprise",
        "Windows with SQL Server Standard", "Windows with SQL Server Web",
        "Linux with SQL Server Standard", "Linux with SQL Server Web",
        "Linux with SQL Server Enterprise", "RHEL with SQL Server Standard",
        "RHEL with SQL Server Enterprise", "RHEL with SQL Server Web", "RHEL with HA",
        "RHEL with HA and SQL Server Standard", "RHEL with HA and SQL Server Enterprise",
        "Ubuntu Pro",
    }
)  # fmt: skip
MAX_INSTANCES: Final = 10000


def _count(value: Any) -> int:
    count = int(value)
    if not 1 <= count <= MAX_INSTANCES:
        raise invalid_parameter_value(
            f"Value ({count}) for parameter instanceCount is invalid. "
            f"Expected a value between 1 and {MAX_INSTANCES}."
        )
    return count


def _end(params: Params, current: Record | None = None) -> tuple[str, str | None]:
    """``(EndDateType, stored EndDate)`` of a request (a modification keeps what it omits)."""
    end_type = params.get("EndDateType") or (current or {}).get("end_date_type") or "unlimited"
    end = params.get("EndDate")
    if end_type == "unlimited":
        if end is not None:
            raise invalid_parameter_combination(
                "EndDate cannot be specified when EndDateType is unlimited."
            )
        return "unlimited", None
    if end_type != "limited":
        raise invalid_parameter_value(f"Value ({end_type}) for parameter endDateType is invalid.")
    if end is None:
        if current is not None and current.get("end_date") and not params.get("EndDateType"):
            return "limited", str(current["end_date"])
        raise missing_parameter("EndDate")
    if not isinstance(end, datetime) or end <= clock.now():
        raise invalid_parameter_value("The EndDate must be in the future.")
    return "limited", clock.stamp(end)


@action("CreateCapacityReservation")
async def create_capacity_reservation(ctx: RequestContext, params: Params) -> Result:
    """An ``active`` reservation of ``InstanceCount`` instances in one zone."""
    instance_type = str(params["InstanceType"])
    if not instance_types.exists(instance_type):
        raise invalid_parameter_value(f"Invalid value '{instance_type}' for InstanceType.")
    platform = str(params["InstancePlatform"])
    if platform not in PLATFORMS:
        raise invalid_parameter_value(
            f"Value ({platform}) for parameter instancePlatform is invalid."
        )
    zones = zone_ids(ctx)
    zone = params.get("AvailabilityZone")
    if not zone and params.get("AvailabilityZoneId"):
        zone = next((n for n, i in zones.items() if i == params["AvailabilityZoneId"]), None)
        if zone is None:
            raise invalid_parameter_value(
                f"Invalid availability zone id: [{params['AvailabilityZoneId']}]"
            )
    if not zone:
        raise missing_parameter("AvailabilityZone")
    if zone not in zones:
        raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")
    tenancy = params.get("Tenancy") or "default"
    if tenancy not in ("default", "dedicated"):
        raise invalid_parameter_value(f"Value ({tenancy}) for parameter tenancy is invalid.")
    criteria = params.get("InstanceMatchCriteria") or "open"
    if criteria not in ("open", "targeted"):
        raise invalid_parameter_value(
            f"Value ({criteria}) for parameter instanceMatchCriteria is invalid."
        )
    end_type, end = _end(params)
    record: Record = {
        "capacity_reservation_id": new_id("capacity-reservation"),
        "account_id": ctx.account_id,
        "instance_type": instance_type,
        "instance_platform": platform,
        "availability_zone": str(zone),
        "tenancy": tenancy,
        "total_instance_count": _count(params["InstanceCount"]),
        "ebs_optimized": bool(params.get("EbsOptimized", False)),
        "ephemeral_storage": bool(params.get("EphemeralStorage", False)),
        "state": "active",
        "end_date_type": end_type,
        "end_date": end,
        "instance_match_criteria": criteria,
        "placement_group_arn": params.get("PlacementGroupArn"),
        "outpost_arn": params.get("OutpostArn"),
        "tags": tags_from_specifications(params, "capacity-reservation"),
        "created_at": clock.utc_now(),
    }
    token = params.get("ClientToken")
    stored = await idempotency.create_record(
        ctx, CAPACITY_RESERVATION, record, str(token) if token else None, params
    )
    reservation_id = str(stored["capacity_reservation_id"])
    used = (await in_use(ctx, [reservation_id])).get(reservation_id, 0)
    return {"CapacityReservation": reservation_to_api(ctx, stored, used, clock.now())}


def _incorrect_state(reservation_id: str, state: str) -> AwsError:
    return AwsError(
        "InvalidCapacityReservationId.NotFound"
        if state == "deleted"
        else "IncorrectCapacityReservationState",
        f"The capacity reservation '{reservation_id}' is in the '{state}' state and cannot be "
        "modified or cancelled.",
    )


@action("ModifyCapacityReservation")
async def modify_capacity_reservation(ctx: RequestContext, params: Params) -> Result:
    """Change an active reservation's instance count, end date or match criteria."""
    reservation_id = str(params["CapacityReservationId"])

    def change(current: Record) -> Record:
        state = state_of(current, clock.now())
        if state != "active":
            raise _incorrect_state(reservation_id, state)
        updated = dict(current)
        if params.get("InstanceCount") is not None:
            updated["total_instance_count"] = _count(params["InstanceCount"])
        if params.get("EndDateType") is not None or params.get("EndDate") is not None:
            updated["end_date_type"], updated["end_date"] = _end(params, current)
        criteria = params.get("InstanceMatchCriteria")
        if criteria is not None:
            if criteria not in ("open", "targeted"):
                raise invalid_parameter_value(
                    f"Value ({criteria}) for parameter instanceMatchCriteria is invalid."
                )
            updated["instance_match_criteria"] = criteria
        return updated

    await records.mutate(ctx, CAPACITY_RESERVATION, reservation_id, change)
    return {"Return": True}


@action("CancelCapacityReservation")
async def cancel_capacity_reservation(ctx: RequestContext, params: Params) -> Result:
    """``active`` → ``cancelled``: the capacity is freed, its instances keep running."""
    reservation_id = str(params["CapacityReservationId"])

    def change(current: Record) -> Record:
        state = state_of(current, clock.now())
        if state != "active":
            raise _incorrect_state(reservation_id, state)
        return {**current, "state": "cancelled", "cancelled_at": clock.utc_now(), "holds": {}}

    await records.mutate(ctx, CAPACITY_RESERVATION, reservation_id, change)
    return {"Return": True}


@action("DescribeCapacityReservations")
async def describe_capacity_reservations(ctx: RequestContext, params: Params) -> Result:
    """The caller's reservations (cancelled and expired ones for a while), filters, pages."""
    wanted = [str(i) for i in params.get("CapacityReservationIds") or ()]
    stored = await describe.stored_records(
        ctx, CAPACITY_RESERVATION, params, wanted, CAPACITY_RESERVATION_FILTERS
    )
    used = await in_use(ctx, [str(r["capacity_reservation_id"]) for r in stored])
    at = clock.now()
    items = [
        reservation_to_api(ctx, r, used.get(str(r["capacity_reservation_id"]), 0), at)
        for r in stored
    ]
    return describe.describe_items(
        items,
        params,
        kind=CAPACITY_RESERVATION,
        id_member="CapacityReservationId",
        ids_param="CapacityReservationIds",
        result_key="CapacityReservations",
        spec=CAPACITY_RESERVATION_FILTERS,
    )
