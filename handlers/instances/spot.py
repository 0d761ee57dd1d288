"""RunInstances with ``InstanceMarketOptions``: spot instances.

AWS: ``MarketType`` ``spot`` (``capacity-block`` is not offered here) launches instances whose
``InstanceLifecycle`` is ``spot``, each with its own spot instance request (``SpotInstanceRequestId``)
that is fulfilled at once; ``MaxPrice`` (default: the on-demand price) below the current spot
price is ``SpotMaxPriceTooLow``; a ``persistent`` request needs interruption behaviour ``stop``
or ``hibernate``. The request record is made by the spot family when the instance is stored
(``("instance", "spot-launched")``, :mod:`hive_gateway.core.dependents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers.instances.constants import TAGGABLE
from hive_gateway.catalogue import spot_prices
from hive_gateway.core import clock
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import tags_from_specifications


def market_options(params: Mapping[str, Any], instance_type: str, zone: str) -> Record | None:
    """The stored spot options of a request (``None``: on demand)."""
    market = params.get("InstanceMarketOptions")
    if not market:
        return None
    if market.get("MarketType") != "spot":
        raise invalid_parameter_value(
            f"Value ({market.get('MarketType')}) for parameter marketType is invalid."
        )
    options = market.get("SpotOptions") or {}
    kind = options.get("SpotInstanceType") or "one-time"
    behavior = options.get("InstanceInterruptionBehavior") or "terminate"
    if kind == "persistent" and behavior == "terminate":
        raise invalid_parameter_combination(
            "A persistent spot instance request requires the interruption behavior stop or "
            "hibernate."
        )
    current = spot_prices.spot_price(instance_type, zone)
    max_price = options.get("MaxPrice")
    if max_price is not None:
        try:
            wanted = float(max_price)
        except ValueError:
            raise invalid_parameter_value(f"Invalid value '{max_price}' for MaxPrice.") from None
        if wanted < float(current):
            raise AwsError(
                "SpotMaxPriceTooLow",
                f"Your Spot request price of {max_price} is lower than the minimum required Spot "
                f"request fulfillment price of {current}.",
            )
    until = options.get("ValidUntil")
    return {
        "max_price": str(max_price)
        if max_price is not None
        else f"{spot_prices.on_demand_price(instance_type):.6f}",
        "type": kind,
        "interruption_behavior": behavior,
        "valid_until": clock.stamp(until) if isinstance(until, datetime) else None,
        "request_tags": tags_from_specifications(
            params, "spot-instances-request", allowed=(*TAGGABLE, "spot-instances-request")
        ),
    }


def spot_fields(options: Record | None, request_ids: list[str], position: int) -> Record:
    """The instance record fields of a spot instance (``{}`` on demand)."""
    if options is None:
        return {}
    request_id = (
        request_ids[position] if position < len(request_ids) else new_id("spot-instance-request")
    )
    return {
        "instance_lifecycle": "spot",
        "spot_instance_request_id": request_id,
        "spot_options": options,
    }
