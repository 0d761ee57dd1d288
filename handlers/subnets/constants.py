"""Subnet kinds and AWS's subnet size limits."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

SUBNET: Final = KINDS["subnet"]


VPC: Final = KINDS["vpc"]


MIN_PREFIX: Final = 16


MAX_PREFIX: Final = 28


IPV6_PREFIX: Final = 64


RESERVED_ADDRESSES: Final = 5
"""AWS reserves the first four addresses and the last one of every subnet."""


LIVE_CIDR_STATES: Final = ("associating", "associated")
