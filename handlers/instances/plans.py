"""The validated form of a RunInstances request (what the launch works from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hive_gateway.core.registry import Params
from hive_gateway.core.kinds import Record


@dataclass
class VolumePlan:
    """One block device to create at launch."""

    device: str
    size: int | None
    volume_type: str | None
    snapshot_id: str | None
    encrypted: bool
    iops: int | None
    throughput: int | None
    delete_on_termination: bool


@dataclass
class InterfacePlan:
    """One network interface to create (or an existing one to attach) at launch."""

    device_index: int
    subnet: Record
    group_ids: list[str]
    private_ip: str | None
    secondary_count: int
    secondary_ips: list[str]
    public_ip: bool
    delete_on_termination: bool
    description: str
    existing_id: str | None = None


@dataclass
class RunPlan:
    """A validated RunInstances request."""

    params: Params
    image: Record
    instance_type: str
    min_count: int
    max_count: int
    zone: str
    subnet: Record
    interfaces: list[InterfacePlan]
    volumes: list[VolumePlan]
    root_device: str
    placement_group: Record | None
    tenancy: str
    tags: dict[str, str]
    volume_tags: dict[str, str]
    interface_tags: dict[str, str]
    fingerprint: str
    record_defaults: Record
    spot_options: Record | None = None
    """Stored spot options when the instances are spot instances."""
    spot_request_ids: list[str] = field(default_factory=list)
    """The spot instance requests the instances fulfil (RequestSpotInstances), by position."""
    capacity_hold: Any = None
    """Room held in a capacity reservation for the first instances (``usage.Hold``)."""
