"""Regions and availability zones served by this gateway, from its settings.

Hive answers one region and one zone (``ap-southeast-2`` / ``ap-southeast-2a``, zone id
``hivez1``); we serve the configured region and every configured zone, numbering zone ids
``<prefix>z1``, ``<prefix>z2``, … after the bucket prefix (``hivez1``, ``spinifexz1``).
"""

from __future__ import annotations

from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record


def zones(ctx: RequestContext) -> list[Record]:
    """Every availability zone of the gateway's region, in API (``AvailabilityZone``) form."""
    settings = ctx.runtime.settings
    return [
        {
            "State": "available",
            "OptInStatus": "opt-in-not-required",
            "Messages": [],
            "RegionName": settings.region,
            "ZoneName": name,
            "ZoneId": f"{settings.bucket_prefix}z{index}",
            "GroupName": settings.region,
            "GroupLongName": settings.region,
            "NetworkBorderGroup": settings.region,
            "ZoneType": "availability-zone",
        }
        for index, name in enumerate(settings.zones, start=1)
    ]


def zone_ids(ctx: RequestContext) -> dict[str, str]:
    """Zone name → zone id (``ap-southeast-2a`` → ``hivez1``) of every served zone."""
    return {str(zone["ZoneName"]): str(zone["ZoneId"]) for zone in zones(ctx)}
