"""The Availability Zone of a new subnet (by name or zone id, or the first one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.zones import zones

# --- zones ---------------------------------------------------------------------------------------------


def resolve_zone(ctx: RequestContext, name: str | None, zone_id: str | None) -> tuple[str, str]:
    """(zone name, zone id) for ``AvailabilityZone`` / ``AvailabilityZoneId``; first zone by default."""
    served = zones(ctx)
    by_name = {z["ZoneName"]: z["ZoneId"] for z in served}
    by_id = {z["ZoneId"]: z["ZoneName"] for z in served}
    if name is not None and name not in by_name:
        raise invalid_parameter_value(
            f"Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only "
            f"be created in the following availability zones: {', '.join(by_name)}."
        )
    if zone_id is not None and zone_id not in by_id:
        raise invalid_parameter_value(
            f"Value ({zone_id}) for parameter availabilityZoneId is invalid. Subnets can currently "
            f"only be created in the following availability zones: {', '.join(by_id)}."
        )
    if name is not None and zone_id is not None and by_name[name] != zone_id:
        raise invalid_parameter_combination(
            f"The availability zone {name} does not have the zone id {zone_id}"
        )
    if name is not None:
        return name, by_name[name]
    if zone_id is not None:
        return by_id[zone_id], zone_id
    first = served[0]
    return first["ZoneName"], first["ZoneId"]


def _zone_id(ctx: RequestContext, record: Mapping[str, Any]) -> str | None:
    stored = record.get("availability_zone_id")
    if stored:
        return str(stored)
    for zone in zones(ctx):
        if zone["ZoneName"] == record.get("availability_zone"):
            return str(zone["ZoneId"])
    return None
