"""Route table kinds, route origins and states."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

RTB: Final = KINDS["route-table"]


VPC: Final = KINDS["vpc"]


SUBNET: Final = KINDS["subnet"]


IGW: Final = KINDS["internet-gateway"]


LOCAL: Final = "local"


ORIGIN_LOCAL: Final = "CreateRouteTable"


ORIGIN_ROUTE: Final = "CreateRoute"


ACTIVE: Final = "active"


BLACKHOLE: Final = "blackhole"


ASSOCIATED: Final = "associated"


#: Targets a local route may be replaced with (middlebox routing); ``local`` restores it.
LOCAL_ROUTE_TARGETS: Final = frozenset(
    {"network_interface_id", "nat_gateway_id", "vpc_endpoint_id"}
)
