"""DescribeSpotPriceHistory: plausible hourly spot prices per type, zone and product."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from hive_gateway.catalogue import instance_types, spot_prices
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.kinds import Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.zones import zone_ids

PRICE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "availability-zone": lambda p: p["AvailabilityZone"],
        "instance-type": lambda p: p["InstanceType"],
        "product-description": lambda p: p["ProductDescription"],
        "spot-price": lambda p: p["SpotPrice"],
        "timestamp": lambda p: clock.filter_time(p["Timestamp"]),
    }
)
DEFAULT_PAGE: Final = 1000


def _time(params: Params, member: str) -> datetime | None:
    value = params.get(member)
    return value if isinstance(value, datetime) else None


@action("DescribeSpotPriceHistory")
async def describe_spot_price_history(ctx: RequestContext, params: Params) -> Result:
    """Prices of the requested types (default: all), products and zones, for every hour from
    ``StartTime`` to ``EndTime`` (default: the current price only)."""
    zones = zone_ids(ctx)
    zone = params.get("AvailabilityZone")
    if not zone and params.get("AvailabilityZoneId"):
        zone = next((n for n, i in zones.items() if i == params["AvailabilityZoneId"]), None)
    if zone and zone not in zones:
        raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")
    wanted_types = [str(t) for t in params.get("InstanceTypes") or []]
    types = [t for t in wanted_types if instance_types.exists(t)] or (
        [] if wanted_types else sorted(instance_types.INSTANCE_TYPES)
    )
    products = [str(p) for p in params.get("ProductDescriptions") or []] or list(
        spot_prices.PRODUCTS
    )
    now = clock.now()
    end = _time(params, "EndTime") or now
    start = _time(params, "StartTime") or end
    if start > end:
        raise invalid_parameter_value("The start time must be before the end time.")
    marks = spot_prices.history_hours(start, min(end, now)) or [now]
    items = [
        {
            "AvailabilityZone": z,
            "AvailabilityZoneId": zones[z],
            "InstanceType": t,
            "ProductDescription": p,
            "SpotPrice": spot_prices.spot_price(t, z, p, mark),
            "Timestamp": mark,
        }
        for t in types
        for z in ([zone] if zone else sorted(zones))
        for p in products
        if p in spot_prices.PRODUCTS
        for mark in marks
    ]
    filtered = apply_filters(PRICE_FILTERS, params.get("Filters"), items)
    page = paginate(
        filtered,
        params,
        key=lambda p: (
            f"{p['InstanceType']}|{p['AvailabilityZone']}|{p['ProductDescription']}|"
            f"{9999999999 - int(p['Timestamp'].timestamp()):010d}"
        ),
        default_page_size=DEFAULT_PAGE,
    )
    return {"SpotPriceHistory": page.items, **page.token_member()}
