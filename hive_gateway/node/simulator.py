"""The node simulator: N simulated hosts answering Hive's daemon subjects.

Each :class:`SimulatedHost` behaves like one ``hive daemon``: it advertises itself on
``<prefix>.nodes.discover`` / ``<prefix>.node.status``, subscribes to
``ec2.RunInstances.<type>`` (queue group) and ``ec2.RunInstances.<type>.<node>`` only for the
types it still has room for, answers the ``ec2.DescribeInstances`` scatter-gather for its own
instances, and owns ``ec2.cmd.<id>`` / ``ec2.<id>.GetConsoleOutput`` of every instance it runs.
State lives in Hive's ``<prefix>-instance-state`` bucket (``node.<host>`` maps, stopped
instances under ``instance.<id>``), so a restarted simulator resumes where it stopped.

Lifecycle (timers from :class:`~hive_gateway.node.config.NodeConfig`)::

    pending ──pending_seconds──▶ running ──stop──▶ stopping ──stopping_seconds──▶ stopped
       │                            │                                   (leaves the node,
       └──────────terminate─────────┴──▶ shutting-down ──shutting_down_seconds──▶ terminated
                                                                   (kept visible ~1 h, then purged)

Spread placement: a host refuses a second live instance of the same spread placement group
(the group's strategy is read from Hive's ``<prefix>-placement-groups`` bucket), so even
concurrent gateways cannot put two on one host.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from hive_gateway.hive import daemon_contract as contract
from hive_gateway.catalogue import instance_types
from hive_gateway.hive.bus import Bus, Message, MessageHandler, Subscription
from hive_gateway.core.ids import new_id
from hive_gateway.node import console
from hive_gateway.node.config import NodeConfig
from hive_gateway.node.vm import SimVM
from kv.buckets import account_key, bucket_name
from kv.store import Bucket, KeyExistsError, RevisionMismatchError, Store

LOG = logging.getLogger(__name__)


def _account(message: Message) -> str:
    return message.header(contract.ACCOUNT_HEADER) or ""


def _error(code: str) -> bytes:
    return contract.error_payload(code)


class SimulatedHost:
    """One simulated hypervisor host."""

    def __init__(self, sim: NodeSimulator, name: str, az: str) -> None:
        self.sim = sim
        self.name = name
        self.az = az
        self.vms: dict[str, SimVM] = {}
        self._subs: dict[str, Subscription] = {}
        self._type_subs: dict[str, Subscription] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._write_lock = asyncio.Lock()
        self._subs_lock = asyncio.Lock()
        self._started = time.monotonic()

    # --- capacity --------------------------------------------------------------------------

    @property
    def used_vcpus(self) -> int:
        return sum(vm.vcpus for vm in self.vms.values() if vm.live)

    @property
    def used_memory_mib(self) -> int:
        return sum(vm.memory_mib for vm in self.vms.values() if vm.live)

    def fits(self, instance_type: str, wanted: int = 1 << 30) -> int:
        """How many more instances of ``instance_type`` fit (at most ``wanted``)."""
        cpu, mem = instance_types.vcpus(instance_type), instance_types.memory_mib(instance_type)
        if not cpu or not mem:
            return 0
        free_cpu = self.sim.config.vcpus - self.used_vcpus
        free_mem = self.sim.config.memory_mib - self.used_memory_mib
        return max(0, min(wanted, free_cpu // cpu, free_mem // mem))

    def hosts_group(self, account_id: str, group: str) -> bool:
        """Whether a live instance of placement group ``group`` already runs here."""
        return any(
            vm.live and vm.account_id == account_id and vm.placement_group == group
            for vm in self.vms.values()
        )

    # --- start / stop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load persisted state, resume timers and subscribe."""
        await self._load()
        prefix = self.sim.config.bucket_prefix
        queue = contract.queue_group(prefix)
        static: list[tuple[str, MessageHandler, str | None]] = [
            (contract.nodes_discover_subject(prefix), self._on_discover, None),
            (contract.node_status_subject(prefix), self._on_status, None),
            (contract.DESCRIBE_INSTANCES, self._on_describe, None),
            (contract.DESCRIBE_INSTANCE_TYPES, self._on_describe_types, None),
            (contract.DESCRIBE_STOPPED_INSTANCES, self._on_describe_stopped, queue),
            (contract.START_STOPPED, self._on_start_stopped, queue),
            (contract.TERMINATE_STOPPED, self._on_terminate_stopped, queue),
            (contract.MODIFY_INSTANCE_ATTRIBUTE, self._on_modify_stopped, queue),
        ]
        for subject, handler, group in static:
            self._subs[subject] = await self.sim.bus.subscribe(subject, handler, queue=group)
        for vm in self.vms.values():
            if vm.status != "terminated":
                await self._own(vm)
            self._schedule(vm)
        await self.refresh_type_subscriptions()

    async def stop(self) -> None:
        """Cancel timers and drop every subscription (state stays in KV)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for sub in list(self._subs.values()) + list(self._type_subs.values()):
            await sub.unsubscribe()
        self._subs.clear()
        self._type_subs.clear()

    async def _load(self) -> None:
        entry = await (await self.sim.state_bucket()).get(contract.node_key(self.name))
        if entry is None:
            return
        try:
            value = json.loads(entry.value)
        except ValueError:
            LOG.warning("%s: unreadable state, starting empty", self.name)
            return
        for item in (value.get("vms") or {}).values():
            try:
                vm = SimVM.from_json(item)
            except (KeyError, ValueError, contract.ContractError):
                LOG.warning("%s: skipping unreadable instance state", self.name, exc_info=True)
                continue
            self.vms[vm.id] = vm

    async def persist(self) -> None:
        """Write this host's instance map (``node.<host>``)."""
        async with self._write_lock:
            payload = {"vms": {vm.id: vm.to_json() for vm in self.vms.values()}}
            await (await self.sim.state_bucket()).put(
                contract.node_key(self.name), contract.dumps(payload)
            )

    # --- subscriptions -------------------------------------------------------------------------

    async def refresh_type_subscriptions(self) -> None:
        """Subscribe to ``ec2.RunInstances.<type>[.<node>]`` exactly for the types that fit."""
        async with self._subs_lock:
            queue = contract.queue_group(self.sim.config.bucket_prefix)
            for instance_type in instance_types.INSTANCE_TYPES:
                can_fit = self.fits(instance_type, 1) >= 1
                for subject, group in (
                    (contract.run_instances_subject(instance_type), queue),
                    (contract.run_instances_subject(instance_type, self.name), None),
                ):
                    current = self._type_subs.get(subject)
                    if can_fit and current is None:
                        self._type_subs[subject] = await self.sim.bus.subscribe(
                            subject, self._on_run_instances, queue=group
                        )
                    elif not can_fit and current is not None:
                        await current.unsubscribe()
                        del self._type_subs[subject]

    async def _own(self, vm: SimVM) -> None:
        """Subscribe to the instance's command and console subjects."""
        for subject, handler in (
            (contract.command_subject(vm.id), self._on_command),
            (contract.console_subject(vm.id), self._on_console),
        ):
            if subject not in self._subs:
                self._subs[subject] = await self.sim.bus.subscribe(subject, handler)

    async def _disown(self, vm: SimVM) -> None:
        for subject in (contract.command_subject(vm.id), contract.console_subject(vm.id)):
            sub = self._subs.pop(subject, None)
            if sub is not None:
                await sub.unsubscribe()

    # --- timers ------------------------------------------------------------------------------

    def _schedule(self, vm: SimVM) -> None:
        """Arm the timer of ``vm``'s current transitional state (resuming after a restart)."""
        config = self.sim.config
        delays = {
            "pending": config.pending_seconds,
            "stopping": config.stopping_seconds,
            "shutting-down": config.shutting_down_seconds,
        }
        delay = delays.get(vm.status)
        if delay is None:
            return
        elapsed = (contract.utc_now() - vm.state_changed_at).total_seconds()
        remaining = max(0.0, delay - elapsed)
        old = self._timers.pop(vm.id, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[vm.id] = loop.call_later(remaining, self._fire, vm.id, vm.status)

    def _fire(self, instance_id: str, expected: str) -> None:
        self._timers.pop(instance_id, None)
        self.sim.spawn(self._advance(instance_id, expected))

    async def _advance(self, instance_id: str, expected: str) -> None:
        vm = self.vms.get(instance_id)
        if vm is None or vm.status != expected:
            return
        now = contract.utc_now()
        if expected == "pending":
            vm.set_status("running", now)
            vm.console += console.boot_log(
                vm.id,
                instance_type=vm.instance_type,
                vcpus=vm.vcpus,
                memory_mib=vm.memory_mib,
                private_ip=vm.instance.get("PrivateIpAddress"),
                region=self.sim.config.region,
                at=now,
            )
            await self.persist()
        elif expected == "stopping":
            vm.set_status("stopped", now)
            vm.console += console.shutdown_lines(now)
            await self._release_stopped(vm)
        elif expected == "shutting-down":
            vm.set_status("terminated", now)
            vm.console += console.shutdown_lines(now)
            await self._disown(vm)
            await self.persist()
            await self.refresh_type_subscriptions()

    async def _release_stopped(self, vm: SimVM) -> None:
        """A stopped instance leaves the node for the shared ``instance.<id>`` key."""
        vm.last_node = self.name
        bucket = await self.sim.state_bucket()
        await bucket.put(contract.stopped_key(vm.id), contract.dumps(vm.to_json()))
        self.vms.pop(vm.id, None)
        await self._disown(vm)
        await self.persist()
        await self.refresh_type_subscriptions()

    def purge_terminated(self, retention: float) -> bool:
        """Forget terminated instances older than ``retention`` seconds; whether any went."""
        cutoff = contract.utc_now() - timedelta(seconds=retention)
        gone = [
            vm.id
            for vm in self.vms.values()
            if vm.status == "terminated"
            and vm.terminated_at is not None
            and vm.terminated_at < cutoff
        ]
        for instance_id in gone:
            del self.vms[instance_id]
        return bool(gone)

    # --- handlers: discovery and status ---------------------------------------------------------

    async def _on_discover(self, message: Message) -> bytes:
        return contract.dumps({"node": self.name})

    async def _on_status(self, message: Message) -> bytes:
        config = self.sim.config
        caps = []
        for instance_type in instance_types.INSTANCE_TYPES:
            cpu = instance_types.vcpus(instance_type)
            caps.append(
                {
                    "name": instance_type,
                    "vcpu": cpu,
                    "memory_gb": instance_types.memory_mib(instance_type) / 1024,
                    "available": self.fits(instance_type),
                }
            )
        return contract.dumps(
            {
                "node": self.name,
                "status": "Ready",
                "host": self.name,
                "region": config.region,
                "az": self.az,
                "uptime": int(time.monotonic() - self._started),
                "services": ["daemon"],
                "total_vcpu": config.vcpus,
                "total_mem_gb": config.memory_mib / 1024,
                "reserved_vcpu": 0,
                "reserved_mem_gb": 0,
                "alloc_vcpu": self.used_vcpus,
                "alloc_mem_gb": self.used_memory_mib / 1024,
                "total_gpus": 0,
                "alloc_gpus": 0,
                "vm_count": sum(1 for vm in self.vms.values() if vm.status == "running"),
                "instance_types": caps,
            }
        )

    # --- handlers: RunInstances -------------------------------------------------------------------

    async def _on_run_instances(self, message: Message) -> bytes:
        account = _account(message)
        if not account:
            return _error("ServerInternal")
        try:
            run_input = contract.decode_message(contract.input_shape("RunInstances"), message.data)
        except contract.ContractError as exc:
            LOG.info("%s: RunInstances rejected: %s", self.name, exc)
            return _error(exc.code)
        instance_type = run_input.get("InstanceType") or ""
        if not instance_types.exists(instance_type):
            return _error("InvalidInstanceType")
        if not run_input.get("ImageId"):
            return _error("MissingParameter")
        min_count = int(run_input.get("MinCount") or 0)
        max_count = int(run_input.get("MaxCount") or 0)
        if min_count < 1 or max_count < min_count:
            return _error("InvalidParameterValue")
        group = (run_input.get("Placement") or {}).get("GroupName") or None
        spread = bool(group) and await self.sim.is_spread_group(account, str(group))
        interfaces = run_input.get("NetworkInterfaces") or []
        primary = next((n for n in interfaces if int(n.get("DeviceIndex") or 0) == 0), None)
        eni = None
        if primary and primary.get("NetworkInterfaceId"):
            eni = await self.sim.interface(account, str(primary["NetworkInterfaceId"]))
        # Capacity check and allocation happen without an await in between: atomic per host.
        count = self.fits(instance_type, max_count)
        if spread:
            count = 0 if self.hosts_group(account, str(group)) else min(count, 1)
        if count < min_count:
            return _error("InsufficientInstanceCapacity")
        now = contract.utc_now()
        reservation_id = new_id("reservation")
        launched = []
        for index in range(count):
            vm = self._new_vm(account, run_input, reservation_id, index, now, primary, eni)
            vm.placement_group = str(group) if group else None
            vm.placement_node = self.name if group else None
            self.vms[vm.id] = vm
            launched.append(vm)
        for vm in launched:
            await self._own(vm)
            self._schedule(vm)
        await self.persist()
        await self.refresh_type_subscriptions()
        LOG.info("%s: launched %s", self.name, ", ".join(vm.id for vm in launched))
        reservation = {
            "ReservationId": reservation_id,
            "OwnerId": account,
            "Groups": [],
            "Instances": [vm.described() for vm in launched],
        }
        return contract.encode_message("Reservation", reservation)

    def _new_vm(
        self,
        account: str,
        run_input: dict[str, Any],
        reservation_id: str,
        index: int,
        now: datetime,
        primary: dict[str, Any] | None,
        eni: dict[str, Any] | None,
    ) -> SimVM:
        instance_type = str(run_input["InstanceType"])
        arches = instance_types.architectures(instance_type)
        placement = run_input.get("Placement") or {}
        mappings = run_input.get("BlockDeviceMappings") or []
        instance: dict[str, Any] = {
            "InstanceId": new_id("instance"),
            "ImageId": run_input["ImageId"],
            "InstanceType": instance_type,
            "KeyName": run_input.get("KeyName"),
            "LaunchTime": now,
            "AmiLaunchIndex": index,
            "Placement": {
                "AvailabilityZone": self.az,
                "GroupName": placement.get("GroupName") or "",
                "Tenancy": placement.get("Tenancy") or "default",
            },
            "Architecture": "x86_64" if "x86_64" in arches else (arches[0] if arches else "x86_64"),
            "Hypervisor": "xen",
            "VirtualizationType": "hvm",
            "RootDeviceType": "ebs",
            "RootDeviceName": mappings[0].get("DeviceName") if mappings else "/dev/xvda",
            "EbsOptimized": bool(run_input.get("EbsOptimized")),
            "Monitoring": {
                "State": "enabled"
                if (run_input.get("Monitoring") or {}).get("Enabled")
                else "disabled"
            },
            "ClientToken": run_input.get("ClientToken") or "",
            "StateTransitionReason": "",
            "ProductCodes": [],
            "EnaSupport": True,
            "SourceDestCheck": True,
        }
        vm = SimVM(
            id=instance["InstanceId"],
            account_id=account,
            status="pending",
            instance_type=instance_type,
            reservation_id=reservation_id,
            instance=instance,
            run_input=run_input,
            state_changed_at=now,
        )
        vm.set_status("pending", now)
        if primary is not None:
            subnet = primary.get("SubnetId") or (eni or {}).get("subnet_id")
            private_ip = (eni or {}).get("private_ip_address") or primary.get("PrivateIpAddress")
            vpc = (eni or {}).get("vpc_id")
            vm.eni_id = primary.get("NetworkInterfaceId")
            vm.eni_mac = (eni or {}).get("mac_address")
            vm.public_ip = (eni or {}).get("public_ip_address")
            instance.update({"SubnetId": subnet, "VpcId": vpc, "PrivateIpAddress": private_ip})
            if vm.public_ip:
                instance["PublicIpAddress"] = vm.public_ip
            instance["NetworkInterfaces"] = [
                {
                    "NetworkInterfaceId": vm.eni_id,
                    "PrivateIpAddress": private_ip,
                    "MacAddress": vm.eni_mac,
                    "SubnetId": subnet,
                    "VpcId": vpc,
                    "Status": "in-use",
                    "Attachment": {"DeviceIndex": 0, "Status": "attached"},
                }
            ]
        elif run_input.get("SubnetId"):
            instance["SubnetId"] = run_input["SubnetId"]
        return vm

    # --- handlers: describe ----------------------------------------------------------------------

    async def _on_describe(self, message: Message) -> bytes:
        account = _account(message)
        try:
            request = contract.decode_message(
                contract.input_shape("DescribeInstances"), message.data
            )
        except contract.ContractError as exc:
            return _error(exc.code)
        wanted = set(request.get("InstanceIds") or [])
        if any(not i.startswith("i-") for i in wanted):
            return _error("InvalidInstanceID.Malformed")
        return _reservations(
            vm
            for vm in self.vms.values()
            if (not account or vm.account_id == account) and (not wanted or vm.id in wanted)
        )

    async def _on_describe_stopped(self, message: Message) -> bytes:
        account = _account(message)
        try:
            request = contract.decode_message(
                contract.input_shape("DescribeInstances"), message.data
            )
        except contract.ContractError as exc:
            return _error(exc.code)
        wanted = set(request.get("InstanceIds") or [])
        bucket = await self.sim.state_bucket()
        stopped = []
        for entry in await bucket.entries(contract.STOPPED_KEY_PREFIX):
            try:
                vm = SimVM.from_json(json.loads(entry.value))
            except (KeyError, ValueError, contract.ContractError):
                continue
            if (not account or vm.account_id == account) and (not wanted or vm.id in wanted):
                stopped.append(vm)
        return _reservations(stopped)

    async def _on_describe_types(self, message: Message) -> bytes:
        try:
            request = contract.decode_message(
                contract.input_shape("DescribeInstanceTypes"), message.data
            )
        except contract.ContractError as exc:
            return _error(exc.code)
        show_capacity = any(
            f.get("Name") == "capacity" and "true" in (f.get("Values") or [])
            for f in request.get("Filters") or []
        )
        infos = []
        for instance_type in instance_types.INSTANCE_TYPES:
            count = self.fits(instance_type)
            if count:
                infos.extend([instance_types.info(instance_type)] * (count if show_capacity else 1))
        return contract.encode_message(
            contract.output_shape("DescribeInstanceTypes"), {"InstanceTypes": infos}
        )

    async def _on_console(self, message: Message) -> bytes:
        account = _account(message)
        instance_id = message.subject.split(".")[1]
        vm = self.vms.get(instance_id)
        if vm is None or (account and vm.account_id != account):
            return _error("InvalidInstanceID.NotFound")
        return contract.encode_message(
            contract.output_shape("GetConsoleOutput"),
            {
                "InstanceId": vm.id,
                "Output": base64.b64encode(vm.console.encode()).decode("ascii"),
                "Timestamp": contract.utc_now(),
            },
        )

    # --- handlers: commands -----------------------------------------------------------------------

    async def _on_command(self, message: Message) -> bytes:
        try:
            command = contract.InstanceCommand.from_bytes(message.data)
        except contract.ContractError as exc:
            return _error(exc.code)
        vm = self.vms.get(command.id)
        account = _account(message)
        if vm is None or (account and vm.account_id != account):
            return _error("InvalidInstanceID.NotFound")
        now = contract.utc_now()
        action = command.action
        if action == "terminate":
            if vm.status not in ("pending", "running", "stopping", "stopped"):
                return _error("IncorrectInstanceState")
            vm.attributes = {"stop_instance": True, "delete_instance": True}
            vm.set_status("shutting-down", now)
            self._schedule(vm)
            await self.persist()
            return b"{}"
        if action == "stop":
            if vm.status != "running":
                return _error("IncorrectInstanceState")
            vm.attributes = {"stop_instance": True}
            vm.set_status("stopping", now)
            self._schedule(vm)
            await self.persist()
            return b"{}"
        if action == "start":
            if vm.status != "stopped":
                return _error("IncorrectInstanceState")
            if self.fits(vm.instance_type, 1) < 1:
                return _error("InsufficientInstanceCapacity")
            vm.attributes = {"start_instance": True}
            vm.set_status("pending", now)
            self._schedule(vm)
            await self.persist()
            await self.refresh_type_subscriptions()
            return contract.status_reply("running", vm.id)
        if action == "reboot":
            if vm.status != "running":
                return _error("IncorrectInstanceState")
            vm.console += console.reboot_lines(now)
            vm.console += console.boot_log(
                vm.id,
                instance_type=vm.instance_type,
                vcpus=vm.vcpus,
                memory_mib=vm.memory_mib,
                private_ip=vm.instance.get("PrivateIpAddress"),
                region=self.sim.config.region,
                at=now,
            )
            await self.persist()
            return b"{}"
        return _error("InvalidParameterValue")

    async def _claim_stopped(self, message: Message) -> tuple[SimVM, Bucket, int] | bytes:
        """Load ``instance.<id>`` for ``ec2.start`` / ``ec2.terminate`` (an error reply if not)."""
        account = _account(message)
        try:
            request = contract.loads(message.data)
        except contract.ContractError:
            return _error("ServerInternal")
        instance_id = request.get("instance_id") if isinstance(request, dict) else None
        if not instance_id:
            return _error("MissingParameter")
        bucket = await self.sim.state_bucket()
        entry = await bucket.get(contract.stopped_key(str(instance_id)))
        if entry is None:
            return _error("InvalidInstanceID.NotFound")
        vm = SimVM.from_json(json.loads(entry.value))
        if account and vm.account_id and vm.account_id != account:
            return _error("InvalidInstanceID.NotFound")
        if vm.status != "stopped":
            return _error("IncorrectInstanceState")
        return vm, bucket, entry.revision

    async def _on_start_stopped(self, message: Message) -> bytes:
        claimed = await self._claim_stopped(message)
        if isinstance(claimed, bytes):
            return claimed
        vm, bucket, revision = claimed
        if not instance_types.exists(vm.instance_type) or self.fits(vm.instance_type, 1) < 1:
            return _error("InsufficientInstanceCapacity")
        if (
            vm.placement_group
            and self.hosts_group(vm.account_id, vm.placement_group)
            and await self.sim.is_spread_group(vm.account_id, vm.placement_group)
        ):
            return _error("InsufficientInstanceCapacity")
        try:
            await bucket.delete(contract.stopped_key(vm.id), revision=revision)
        except (RevisionMismatchError, KeyExistsError):
            return _error("IncorrectInstanceState")  # another node took it first
        now = contract.utc_now()
        vm.attributes = {"start_instance": True}
        vm.placement_node = self.name if vm.placement_group else None
        vm.instance["Placement"] = {
            **(vm.instance.get("Placement") or {}),
            "AvailabilityZone": self.az,
        }
        vm.set_status("pending", now)
        self.vms[vm.id] = vm
        await self._own(vm)
        self._schedule(vm)
        await self.persist()
        await self.refresh_type_subscriptions()
        return contract.status_reply("running", vm.id)

    async def _on_terminate_stopped(self, message: Message) -> bytes:
        claimed = await self._claim_stopped(message)
        if isinstance(claimed, bytes):
            return claimed
        vm, bucket, revision = claimed
        try:
            await bucket.delete(contract.stopped_key(vm.id), revision=revision)
        except RevisionMismatchError:
            return _error("IncorrectInstanceState")
        return contract.status_reply("terminated", vm.id)

    async def _on_modify_stopped(self, message: Message) -> bytes:
        account = _account(message)
        try:
            request = contract.decode_message(
                contract.input_shape("ModifyInstanceAttribute"), message.data
            )
        except contract.ContractError as exc:
            return _error(exc.code)
        instance_id = request.get("InstanceId")
        if not instance_id:
            return _error("MissingParameter")
        bucket = await self.sim.state_bucket()
        entry = await bucket.get(contract.stopped_key(instance_id))
        if entry is None:
            return _error("InvalidInstanceID.NotFound")
        vm = SimVM.from_json(json.loads(entry.value))
        if account and vm.account_id and vm.account_id != account:
            return _error("InvalidInstanceID.NotFound")
        if vm.status != "stopped":
            return _error("IncorrectInstanceState")
        new_type = (request.get("InstanceType") or {}).get("Value")
        if new_type is not None:
            if not instance_types.exists(new_type):
                return _error("InvalidInstanceAttributeValue")
            vm.instance_type = new_type
            vm.instance["InstanceType"] = new_type
            vm.run_input["InstanceType"] = new_type
        user_data = (request.get("UserData") or {}).get("Value")
        if user_data is not None:
            vm.run_input["UserData"] = base64.b64encode(user_data).decode("ascii")
        try:
            await bucket.update(
                contract.stopped_key(vm.id), contract.dumps(vm.to_json()), entry.revision
            )
        except RevisionMismatchError:
            return _error("IncorrectInstanceState")
        return b"{}"


def _reservations(vms: Any) -> bytes:
    """DescribeInstancesOutput grouping ``vms`` by reservation."""
    grouped: dict[str, dict[str, Any]] = {}
    for vm in vms:
        reservation = grouped.setdefault(
            vm.reservation_id,
            {
                "ReservationId": vm.reservation_id,
                "OwnerId": vm.account_id,
                "Groups": [],
                "Instances": [],
            },
        )
        reservation["Instances"].append(vm.described())
    return contract.encode_message(
        contract.output_shape("DescribeInstances"), {"Reservations": list(grouped.values())}
    )


class NodeSimulator:
    """N simulated hosts on one bus and one store (the built-in node, or ``hive-gateway node``)."""

    def __init__(self, bus: Bus, store: Store, config: NodeConfig | None = None) -> None:
        self.bus = bus
        self.store = store
        self.config = config or NodeConfig()
        self.hosts = [SimulatedHost(self, name, az) for name, az in self.config.hosts()]
        self._state_bucket: Bucket | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._purger: asyncio.Task[None] | None = None
        self._rng = random.Random()

    async def state_bucket(self) -> Bucket:
        """Hive's ``<prefix>-instance-state`` bucket."""
        if self._state_bucket is None:
            self._state_bucket = await self.store.bucket(
                bucket_name(self.config.bucket_prefix, contract.INSTANCE_STATE_BUCKET)
            )
        return self._state_bucket

    async def _record(self, logical: str, key: str) -> dict[str, Any] | None:
        bucket = await self.store.bucket(bucket_name(self.config.bucket_prefix, logical))
        entry = await bucket.get(key)
        if entry is None:
            return None
        try:
            value = json.loads(entry.value)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def is_spread_group(self, account_id: str, group: str) -> bool:
        """Whether ``group`` is a spread placement group (Hive's ``placement-groups`` record)."""
        record = await self._record("placement_groups", account_key(account_id, group))
        return record is not None and record.get("strategy") == "spread"

    async def interface(self, account_id: str, eni_id: str) -> dict[str, Any] | None:
        """Hive's ``vpc-enis`` record of ``eni_id`` (address, MAC, VPC)."""
        return await self._record("network_interfaces", account_key(account_id, eni_id))

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Start every host; returns once they are subscribed."""
        for host in self.hosts:
            await host.start()
        await self.bus.flush()
        self._purger = asyncio.ensure_future(self._purge_loop())
        LOG.info(
            "node simulator: %d host(s) %s", len(self.hosts), ", ".join(h.name for h in self.hosts)
        )

    async def stop(self) -> None:
        """Stop every host (their state stays in KV)."""
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        for host in self.hosts:
            await host.stop()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def _purge_loop(self) -> None:
        retention = self.config.terminated_retention_seconds
        interval = max(0.5, min(60.0, retention / 4))
        while True:
            await asyncio.sleep(interval)
            for host in self.hosts:
                try:
                    if host.purge_terminated(retention):
                        await host.persist()
                except Exception:
                    LOG.warning("%s: purge failed", host.name, exc_info=True)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Start, wait for ``stop``, stop."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()


Factory = Callable[[], Awaitable[NodeSimulator]]
