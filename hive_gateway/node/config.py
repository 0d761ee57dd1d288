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


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One simulator process: ``nodes`` hosts named ``<name_prefix>1`` … ``<name_prefix>N``.

    Three hosts by default, so that a spread placement group (at most one instance per host)
    holds the three instances of a typical small deployment.

    Hosts are spread round-robin over ``azs`` (default ``<region>a``). Each host offers
    ``vcpus`` vCPUs and ``memory_mib`` MiB to instances; an instance type fits while both
    suffice, so capacity per type follows from the catalogue (t3.small: 2 vCPU, 2 GiB).
    """

    nodes: int = 3
    name_prefix: str = "node"
    bucket_prefix: str = "hive"
    region: str = DEFAULT_REGION
    azs: tuple[str, ...] = ()
    vcpus: int = 64
    memory_mib: int = 256 * 1024
    pending_seconds: float = DEFAULT_PENDING_SECONDS
    stopping_seconds: float = DEFAULT_STOPPING_SECONDS
    shutting_down_seconds: float = DEFAULT_SHUTTING_DOWN_SECONDS
    terminated_retention_seconds: float = DEFAULT_TERMINATED_RETENTION
    host_names: tuple[str, ...] = field(default=())
    """Explicit host names (overrides ``name_prefix``/``nodes``)."""

    @property
    def zones(self) -> tuple[str, ...]:
        return self.azs or (f"{self.region}a",)

    def hosts(self) -> list[tuple[str, str]]:
        """``(name, availability zone)`` of every simulated host."""
        names = list(self.host_names) or [
            f"{self.name_prefix}{i}" for i in range(1, self.nodes + 1)
        ]
        zones = self.zones
        return [(name, zones[i % len(zones)]) for i, name in enumerate(names)]
