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
"""AWS's documented default is m1.small, a paravirtual-era type the catalogue lists but that the
HVM images of this cloud would not boot on AWS; t3.micro is what tools pick today."""
MAX_USER_DATA: Final = 16384
TERMINAL_STATES: Final = frozenset({"terminated"})
SETTLED_STATES: Final = frozenset({"terminated", "stopped"})
SHUTDOWN_REASON: Final = {
    "code": "Client.UserInitiatedShutdown",
    "message": "Client.UserInitiatedShutdown: User initiated shutdown",
}
IDS_WIRE_NAME: Final = "instancesSet"
