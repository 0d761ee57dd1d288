"""Constants of the instances handlers: resource kinds, limits, state sets (timings are
``ctx.runtime.settings.timings``)."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

INSTANCE: Final = KINDS["instance"]
SUBNET: Final = KINDS["subnet"]
VPC: Final = KINDS["vpc"]
SECURITY_GROUP: Final = KINDS["security-group"]
ENI: Final = KINDS["network-interface"]

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
