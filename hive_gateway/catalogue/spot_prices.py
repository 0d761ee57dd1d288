"""Plausible spot prices: what DescribeSpotPriceHistory answers and spot launches are priced at.

No market here: a type's on-demand price is derived from its vCPUs and memory (close to AWS's
Linux prices for current families: t3.small ≈ $0.0208/h), the spot price is about 30 % of it,
varying a little by zone and, for history, by hour — deterministic, so two gateways agree.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Final

from hive_gateway.catalogue import instance_types

PRODUCTS: Final = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)", "Windows", "Windows (Amazon VPC)")
_PER_VCPU: Final = 0.0052
_PER_GIB: Final = 0.0052
_WINDOWS_PER_VCPU: Final = 0.0092


def on_demand_price(instance_type: str, product: str = "Linux/UNIX") -> float:
    """The hourly on-demand price in USD (0 for an unknown type)."""
    vcpus = instance_types.vcpus(instance_type)
    gib = instance_types.memory_mib(instance_type) / 1024
    price = vcpus * _PER_VCPU + gib * _PER_GIB
    if product.startswith("Windows"):
        price += vcpus * _WINDOWS_PER_VCPU
    return price


def _jitter(*parts: str) -> float:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return 0.9 + (digest[0] / 255) * 0.2  # 0.9 … 1.1


def spot_price(
    instance_type: str, zone: str, product: str = "Linux/UNIX", at: datetime | None = None
) -> str:
    """The spot price of a type in a zone (during ``at``'s hour), as AWS writes it: ``0.006300``."""
    hour = (at or datetime.now()).strftime("%Y%m%d%H")
    price = on_demand_price(instance_type, product) * 0.3 * _jitter(instance_type, zone, hour)
    return f"{max(price, 0.0001):.6f}"


def history_hours(start: datetime, end: datetime, limit: int = 24) -> list[datetime]:
    """The hour marks from ``start`` to ``end`` (at most the ``limit`` most recent)."""
    mark = end.replace(minute=0, second=0, microsecond=0)
    marks: list[datetime] = []
    while mark >= start.replace(minute=0, second=0, microsecond=0) and len(marks) < limit:
        marks.append(mark)
        mark -= timedelta(hours=1)
    return marks
