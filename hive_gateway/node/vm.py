"""One simulated instance and its JSON form in Hive's ``<prefix>-instance-state`` bucket (``vm.VM``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hive_gateway.hive import daemon_contract as contract
from hive_gateway.catalogue import instance_types

LIVE_STATES = frozenset({"pending", "running", "stopping", "shutting-down"})
"""States in which an instance holds capacity on its node."""


def user_initiated(at: datetime) -> str:
    """AWS's StateTransitionReason: ``User initiated (2026-05-01 10:20:30 GMT)``."""
    return f"User initiated ({at.strftime('%Y-%m-%d %H:%M:%S')} GMT)"


@dataclass
class SimVM:
    """A simulated instance; ``instance`` is the ``Instance`` shape (member names, Python values)."""

    id: str
    account_id: str
    status: str
    instance_type: str
    reservation_id: str
    instance: dict[str, Any]
    run_input: dict[str, Any]
    state_changed_at: datetime
    placement_group: str | None = None
    placement_node: str | None = None
    eni_id: str | None = None
    eni_mac: str | None = None
    public_ip: str | None = None
    terminated_at: datetime | None = None
    last_node: str | None = None
    attributes: dict[str, bool] = field(default_factory=dict)
    console: str = ""

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATES

    @property
    def vcpus(self) -> int:
        return instance_types.vcpus(self.instance_type)

    @property
    def memory_mib(self) -> int:
        return instance_types.memory_mib(self.instance_type)

    def set_status(self, status: str, at: datetime) -> None:
        """Move to ``status`` and reflect it in the Instance (State, transition reason)."""
        self.status = status
        self.state_changed_at = at
        self.instance["State"] = {"Code": contract.STATE_CODES[status], "Name": status}
        if status in ("stopping", "shutting-down"):
            self.instance["StateTransitionReason"] = user_initiated(at)
        if status in ("stopped", "terminated"):
            self.instance["StateReason"] = {
                "Code": "Client.UserInitiatedShutdown",
                "Message": "Client.UserInitiatedShutdown: User initiated shutdown",
            }
        if status in ("pending", "running"):
            self.instance["StateTransitionReason"] = ""
            self.instance.pop("StateReason", None)
        if status == "terminated":
            self.terminated_at = at

    def described(self) -> dict[str, Any]:
        """A copy of the Instance with the current State."""
        copy = dict(self.instance)
        copy["State"] = {"Code": contract.STATE_CODES[self.status], "Name": self.status}
        return copy

    def to_json(self) -> dict[str, Any]:
        """``vm.VM`` JSON (plus ``state_changed_at`` / ``terminated_at``, ignored by Go)."""
        instance = self.described()
        arch = instance.get("Architecture") or "x86_64"
        return {
            "id": self.id,
            "status": self.status,
            "instance_type": self.instance_type,
            "config": {
                "name": self.id,
                "cpu_count": self.vcpus,
                "memory": self.memory_mib,
                "machine_type": "q35",
                "instance_type": self.instance_type,
                "architecture": arch,
            },
            "attributes": {
                flag: bool(self.attributes.get(flag)) for flag in contract.COMMAND_FLAGS
            },
            "run_instances_input": contract.encode(
                contract.input_shape("RunInstances"), self.run_input
            ),
            "reservation": contract.encode(
                "Reservation",
                {"ReservationId": self.reservation_id, "OwnerId": self.account_id, "Groups": []},
            ),
            "instance": contract.encode("Instance", instance),
            "account_id": self.account_id,
            "eni_id": self.eni_id or "",
            "eni_mac": self.eni_mac or "",
            "public_ip": self.public_ip or "",
            "placement_group_name": self.placement_group or "",
            "placement_group_node": self.placement_node or "",
            "last_node": self.last_node or "",
            "state_changed_at": contract.go_time(self.state_changed_at),
            "terminated_at": contract.go_time(self.terminated_at) if self.terminated_at else None,
            "console_output": self.console,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SimVM:
        """Read back :meth:`to_json` (or a Hive ``vm.VM`` with the fields we use)."""
        instance = contract.decode("Instance", value.get("instance") or {}, strict=False)
        run_input = contract.decode(
            contract.input_shape("RunInstances"),
            value.get("run_instances_input") or {},
            strict=False,
        )
        reservation = value.get("reservation") or {}
        changed = value.get("state_changed_at")
        terminated = value.get("terminated_at")
        launch = instance.get("LaunchTime")
        return cls(
            id=str(value["id"]),
            account_id=str(value.get("account_id") or reservation.get("OwnerId") or ""),
            status=str(value.get("status") or "pending"),
            instance_type=str(value.get("instance_type") or instance.get("InstanceType") or ""),
            reservation_id=str(reservation.get("ReservationId") or ""),
            instance=instance,
            run_input=run_input,
            state_changed_at=contract.parse_go_time(changed)
            if changed
            else (launch or contract.utc_now()),
            placement_group=value.get("placement_group_name") or None,
            placement_node=value.get("placement_group_node") or None,
            eni_id=value.get("eni_id") or None,
            eni_mac=value.get("eni_mac") or None,
            public_ip=value.get("public_ip") or None,
            terminated_at=contract.parse_go_time(terminated) if terminated else None,
            last_node=value.get("last_node") or None,
            attributes={k: bool(v) for k, v in (value.get("attributes") or {}).items()},
            console=str(value.get("console_output") or ""),
        )
