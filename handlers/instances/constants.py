"""Constants of the instances handlers: resource kinds, timings, limits, state sets."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

INSTANCE: Final = KINDS["instance"]
SUBNET: Final = KINDS["subnet"]
VPC: Final = KINDS["vpc"]
SECURITY_GROUP: Final = KINDS["security-group"]
ENI: Final = KINDS["network-interface"]

TIMINGS: Final[dict[str, float]] = {
    "terminated-retention": 3600.0,
    "metadata-apply": 2.0,
    "status-initializing": 2.0,
    "termination-watch": 900.0,
    "termination-poll": 0.5,
}
"""Seconds: how long terminated instances stay visible, how long metadata options stay
``pending``, how long status checks stay ``initializing``, how long the gateway watches a
terminating instance. A mutable table: ``serve --terminated-retention`` and tests change it."""

TAGGABLE: Final = ("instance", "volume", "network-interface")
DEFAULT_INSTANCE_TYPE: Final = "t3.micro"
"""AWS's documented default is m1.small, which this cloud does not offer."""
MAX_USER_DATA: Final = 16384
MAX_INSTANCES_PER_ACCOUNT: Final = 100
"""``max-instances`` of DescribeAccountAttributes (Hive's static value)."""
TERMINAL_STATES: Final = frozenset({"terminated"})
SETTLED_STATES: Final = frozenset({"terminated", "stopped"})
SHUTDOWN_REASON: Final = {
    "code": "Client.UserInitiatedShutdown",
    "message": "Client.UserInitiatedShutdown: User initiated shutdown",
}
IDS_WIRE_NAME: Final = "instancesSet"
