"""Settings of the node simulator: how many hosts, how big, and how fast instances change state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from hive_gateway.config import DEFAULT_REGION

DEFAULT_PENDING_SECONDS: Final = 2.0
DEFAULT_STOPPING_SECONDS: Final = 2.0
DEFAULT_SHUTTING_DOWN_SECONDS: Final = 2.0
DEFAULT_TERMINATED_RETENTION: Final = 3600.0
"""AWS keeps terminated instances visible for about an hour."""
HOSTS_PER_ZONE: Final = 3
DEFAULT_HOST_VCPUS: Final = 256
DEFAULT_HOST_MEMORY_MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One simulator process: ``nodes`` hosts named ``<name_prefix>1`` … ``<name_prefix>N``.

    Three hosts per zone by default (``nodes`` 0), so that every zone has capacity and a spread
    placement group (at most one instance per host) holds the three instances of a typical small
    deployment in any zone.

    Hosts are spread round-robin over ``azs`` (default ``<region>a``, ``b``, ``c``). Each host
    offers ``vcpus`` vCPUs and ``memory_mib`` MiB to instances; an instance type fits while both
    suffice, so capacity per type follows from the catalogue (t3.small: 2 vCPU, 2 GiB). The
    defaults (256 vCPUs, 1 TiB per host) hold what a CI run of a large module launches: 384
    t3.small per zone. A real Hive cluster's limits: ``nodes`` and its hosts' sizes.
    """

    nodes: int = 0
    """Hosts in all; 0 means :data:`HOSTS_PER_ZONE` per zone."""
    name_prefix: str = "node"
    bucket_prefix: str = "hive"
    region: str = DEFAULT_REGION
    azs: tuple[str, ...] = ()
    vcpus: int = DEFAULT_HOST_VCPUS
    memory_mib: int = DEFAULT_HOST_MEMORY_MIB
    pending_seconds: float = DEFAULT_PENDING_SECONDS
    stopping_seconds: float = DEFAULT_STOPPING_SECONDS
    shutting_down_seconds: float = DEFAULT_SHUTTING_DOWN_SECONDS
    terminated_retention_seconds: float = DEFAULT_TERMINATED_RETENTION
    host_names: tuple[str, ...] = field(default=())
    """Explicit host names (overrides ``name_prefix``/``nodes``)."""

    @property
    def zones(self) -> tuple[str, ...]:
        return self.azs or tuple(f"{self.region}{letter}" for letter in "abc")

    @property
    def host_count(self) -> int:
        """``nodes``, or three per zone."""
        return self.nodes or HOSTS_PER_ZONE * len(self.zones)

    def hosts(self) -> list[tuple[str, str]]:
        """``(name, availability zone)`` of every simulated host (round-robin over the zones)."""
        names = list(self.host_names) or [
            f"{self.name_prefix}{i}" for i in range(1, self.host_count + 1)
        ]
        zones = self.zones
        return [(name, zones[i % len(zones)]) for i, name in enumerate(names)]
