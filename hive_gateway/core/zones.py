"""Regions and availability zones served by this gateway, from its settings.

Each region serves three zones by default, ``<region>a``, ``b`` and ``c`` (``--az`` replaces the
served region's list), with AWS's zone ids: the region's short code and the zone's position,
``ap-southeast-2a`` → ``apse2-az1`` (AWS shuffles the name → id mapping per account; we do not).
A request signed for another region (``--accept-any-region``) sees that region's zones
(``eu-west-1a/b/c``), so configurations with hard-coded zone names work. (Hive answers one zone,
``ap-southeast-2a`` / ``hivez1``.)
"""

from __future__ import annotations

from typing import Final

from hive_gateway.config import Settings
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record

NOT_REQUIRED: Final = "opt-in-not-required"
OPTED_IN: Final = "opted-in"
NOT_OPTED_IN: Final = "not-opted-in"

COMMERCIAL_REGIONS: Final[dict[str, bool]] = {
    "af-south-1": True,
    "ap-east-1": True,
    "ap-northeast-1": False,
    "ap-northeast-2": False,
    "ap-northeast-3": False,
    "ap-south-1": False,
    "ap-south-2": True,
    "ap-southeast-1": False,
    "ap-southeast-2": False,
    "ap-southeast-3": True,
    "ap-southeast-4": True,
    "ap-southeast-5": True,
    "ap-southeast-7": True,
    "ca-central-1": False,
    "ca-west-1": True,
    "eu-central-1": False,
    "eu-central-2": True,
    "eu-north-1": False,
    "eu-south-1": True,
    "eu-south-2": True,
    "eu-west-1": False,
    "eu-west-2": False,
    "eu-west-3": False,
    "il-central-1": True,
    "me-central-1": True,
    "me-south-1": True,
    "mx-central-1": True,
    "sa-east-1": False,
    "us-east-1": False,
    "us-east-2": False,
    "us-west-1": False,
    "us-west-2": False,
}
"""AWS's commercial regions → whether an account must opt in to use them."""

_DIRECTIONS: Final[dict[str, str]] = {
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
}
DEFAULT_ZONE_LETTERS: Final = ("a", "b", "c")


def short_code(region: str) -> str:
    """AWS's short region code used in zone ids: ``ap-southeast-2`` → ``apse2``,
    ``us-east-1`` → ``use1``, ``eu-central-1`` → ``euc1``."""
    parts = region.split("-")
    if len(parts) < 3:
        return "".join(ch for ch in region if ch.isalnum()).lower() or "region"
    middle = "".join(_DIRECTIONS.get(word, word[:1]) for word in parts[1:-1])
    return f"{parts[0]}{middle}{parts[-1]}".lower()


def zone_names(settings: Settings, region: str) -> tuple[str, ...]:
    """The zones of ``region``: the configured ones for the gateway's region, else a/b/c."""
    if region == settings.region:
        return settings.zones
    return tuple(f"{region}{letter}" for letter in DEFAULT_ZONE_LETTERS)


def region_zones(settings: Settings, region: str) -> list[Record]:
    """Every availability zone of ``region``, in API (``AvailabilityZone``) form."""
    code = short_code(region)
    return [
        {
            "State": "available",
            "OptInStatus": NOT_REQUIRED,
            "Messages": [],
            "RegionName": region,
            "ZoneName": name,
            "ZoneId": f"{code}-az{index}",
            "GroupName": region,
            "GroupLongName": region,
            "NetworkBorderGroup": region,
            "ZoneType": "availability-zone",
        }
        for index, name in enumerate(zone_names(settings, region), start=1)
    ]


def request_region(settings: Settings, signed_region: str) -> str:
    """The region a request is served as: the one it was signed for under
    ``--accept-any-region``, else the gateway's."""
    return signed_region if settings.accept_any_region and signed_region else settings.region


def zones(ctx: RequestContext) -> list[Record]:
    """Every availability zone of the request's region, in API form."""
    return region_zones(ctx.runtime.settings, ctx.region)


def zone_ids(ctx: RequestContext) -> dict[str, str]:
    """Zone name → zone id (``ap-southeast-2a`` → ``apse2-az1``) of every served zone."""
    return {str(zone["ZoneName"]): str(zone["ZoneId"]) for zone in zones(ctx)}


def home_zone(ctx: RequestContext, zone: str) -> str:
    """The gateway's own zone (where its hosts run) standing for ``zone`` of the request's region:
    the zone at the same position (``eu-west-1b`` → ``ap-southeast-2b``); ``zone`` itself when it
    is one of the gateway's zones or unknown."""
    settings = ctx.runtime.settings
    own = settings.zones
    if zone in own:
        return zone
    names = zone_names(settings, ctx.region)
    if zone in names:
        index = names.index(zone)
        if index < len(own):
            return own[index]
    return zone


def regions(settings: Settings, *, all_regions: bool = False) -> list[Record]:
    """``DescribeRegions``: the commercial regions (and the served one, whatever its name), each
    with its opt-in status; opt-in regions count as opted in when every region is accepted.
    Without ``all_regions`` only enabled ones, as AWS."""
    names = sorted({*COMMERCIAL_REGIONS, settings.region})
    found: list[Record] = []
    for name in names:
        if name == settings.region or not COMMERCIAL_REGIONS.get(name, False):
            status = NOT_REQUIRED if not COMMERCIAL_REGIONS.get(name, False) else OPTED_IN
        else:
            status = OPTED_IN if settings.accept_any_region else NOT_OPTED_IN
        if status == NOT_OPTED_IN and not all_regions:
            continue
        served = name == settings.region or settings.accept_any_region
        endpoint = settings.endpoint if served else f"ec2.{name}.amazonaws.com"
        found.append({"Endpoint": endpoint, "RegionName": name, "OptInStatus": status})
    return found
