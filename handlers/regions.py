"""``DescribeRegions`` and ``DescribeAvailabilityZones``: AWS's commercial regions and the
zones of the request's region.

Regions and zones come from the settings (:mod:`hive_gateway.core.zones`); unlike Hive, we honour
filters and explicit names.
"""

from __future__ import annotations

from typing import Any

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.zones import regions, zones

Record = dict[str, Any]

REGION_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "endpoint": lambda r: r["Endpoint"],
        "region-name": lambda r: r["RegionName"],
        "opt-in-status": lambda r: r["OptInStatus"],
    }
)

ZONE_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "group-long-name": lambda z: z.get("GroupLongName"),
        "group-name": lambda z: z["GroupName"],
        "message": lambda z: [m["Message"] for m in z["Messages"]],
        "opt-in-status": lambda z: z["OptInStatus"],
        "parent-zone-id": lambda z: z.get("ParentZoneId"),
        "parent-zone-name": lambda z: z.get("ParentZoneName"),
        "region-name": lambda z: z["RegionName"],
        "state": lambda z: z["State"],
        "zone-id": lambda z: z["ZoneId"],
        "zone-name": lambda z: z["ZoneName"],
        "zone-type": lambda z: z["ZoneType"],
    }
)


@action("DescribeRegions")
async def describe_regions(ctx: RequestContext, params: Params) -> Result:
    """The commercial regions with their opt-in status (``AllRegions`` adds the not-opted-in
    ones); the served region's endpoint is this gateway's (every region's under
    ``--accept-any-region``). An unknown ``RegionNames`` entry is ``InvalidParameterValue``."""
    settings = ctx.runtime.settings
    names = params.get("RegionNames") or []
    found = regions(settings, all_regions=bool(params.get("AllRegions")) or bool(names))
    known = {r["RegionName"] for r in found}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise invalid_parameter_value(f"Invalid region: {', '.join(unknown)}")
    if names:
        found = [r for r in found if r["RegionName"] in names]
    return {"Regions": apply_filters(REGION_FILTERS, params.get("Filters"), found)}


@action("DescribeAvailabilityZones")
async def describe_availability_zones(ctx: RequestContext, params: Params) -> Result:
    """The configured zones, narrowed by ``ZoneNames``, ``ZoneIds`` and filters."""
    found = zones(ctx)
    names = params.get("ZoneNames") or []
    ids = params.get("ZoneIds") or []
    known_names = {z["ZoneName"] for z in found}
    known_ids = {z["ZoneId"] for z in found}
    unknown = [n for n in names if n not in known_names] + [i for i in ids if i not in known_ids]
    if unknown:
        raise invalid_parameter_value(f"Invalid availability zone: [{', '.join(unknown)}]")
    if names or ids:
        found = [z for z in found if z["ZoneName"] in names or z["ZoneId"] in ids]
    return {"AvailabilityZones": apply_filters(ZONE_FILTERS, params.get("Filters"), found)}
