"""The node simulator on its own: Hive's subjects, state timers, capacity, spread placement, KV.

Driven over an in-process bus with the raw contract (subjects, JSON, ``X-Account-ID``), the way
the gateway — or Hive's own gateway — talks to a daemon.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hive_gateway.hive import daemon_contract as contract
from hive_gateway.hive.bus import NoRespondersError
from hive_gateway.hive.local_bus import LocalBus, subject_matches
from hive_gateway.node import NodeConfig, NodeSimulator
from kv.memory import MemoryStore

ACCOUNT = "000000000001"
OTHER = "000000000002"
IMAGE = "ami-0deb12a6420240211"
FAST = {"pending_seconds": 0.2, "stopping_seconds": 0.2, "shutting_down_seconds": 0.2}


class Harness:
    """A simulator plus helpers speaking the contract."""

    def __init__(self, **config: Any) -> None:
        self.bus = LocalBus()
        self.store = MemoryStore()
        self.config = NodeConfig(**{"nodes": 1, **FAST, **config})
        self.sim = NodeSimulator(self.bus, self.store, self.config)

    def headers(self, account: str = ACCOUNT) -> dict[str, str]:
        return {contract.ACCOUNT_HEADER: account}

    async def run(self, instance_type: str = "t3.small", *, node: str | None = None,
                  account: str = ACCOUNT, min_count: int = 1, max_count: int = 1,
                  **extra: Any) -> dict[str, Any]:
        payload = contract.encode_message(contract.input_shape("RunInstances"), {
            "ImageId": IMAGE, "InstanceType": instance_type, "MinCount": min_count,
            "MaxCount": max_count, **extra})
        reply = await self.bus.request(
            contract.run_instances_subject(instance_type, node), payload, self.headers(account), 5)
        return contract.decode_message("Reservation", contract.raise_for_error(reply))

    async def describe(self, account: str = ACCOUNT, ids: list[str] | None = None) -> dict[str, str]:
        payload = contract.encode_message(contract.input_shape("DescribeInstances"), {"InstanceIds": ids})
        states: dict[str, str] = {}
        for subject in (contract.DESCRIBE_INSTANCES, contract.DESCRIBE_STOPPED_INSTANCES):
            for reply in await self.bus.request_many(subject, payload, self.headers(account), timeout=2):
                output = contract.decode_message(contract.output_shape("DescribeInstances"), reply)
                for reservation in output.get("Reservations", []):
                    for instance in reservation["Instances"]:
                        states[instance["InstanceId"]] = instance["State"]["Name"]
        return states

    async def command(self, command: contract.InstanceCommand, account: str = ACCOUNT) -> bytes:
        return await self.bus.request(contract.command_subject(command.id), command.to_bytes(),
                                      self.headers(account), 5)

    async def wait(self, instance_id: str, state: str, timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (await self.describe()).get(instance_id) != state:
            assert loop.time() < deadline, f"{instance_id} never {state}"
            await asyncio.sleep(0.05)

    async def kv(self, key: str) -> Any:
        entry = await (await self.sim.state_bucket()).get(key)
        return None if entry is None else json.loads(entry.value)

    async def status(self) -> dict[str, dict[str, Any]]:
        replies = await self.bus.request_many(
            contract.node_status_subject(self.config.bucket_prefix), b"{}", self.headers(), timeout=2)
        return {json.loads(r)["node"]: json.loads(r) for r in replies}


@pytest.fixture
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    h = Harness(**getattr(request, "param", {}))
    await h.sim.start()
    try:
        yield h
    finally:
        await h.sim.stop()


def available(status: dict[str, Any], instance_type: str) -> int:
    return next(c["available"] for c in status["instance_types"] if c["name"] == instance_type)


# --- subjects ---------------------------------------------------------------------------------------


def test_nats_wildcards() -> None:
    assert subject_matches("ec2.cmd.*", "ec2.cmd.i-1")
    assert not subject_matches("ec2.cmd.*", "ec2.cmd.i-1.x")
    assert subject_matches("ec2.>", "ec2.cmd.i-1")
    assert not subject_matches("ec2.>", "ec2")
    assert subject_matches("ec2.RunInstances.t3.small", "ec2.RunInstances.t3.small")
    assert not subject_matches("ec2.RunInstances.t3.small", "ec2.RunInstances.t3.small.node1")


@pytest.mark.parametrize("harness", [{"nodes": 3, "azs": ("ap-southeast-2a", "ap-southeast-2b")}], indirect=True)
async def test_discovery_and_status(harness: Harness) -> None:
    replies = await harness.bus.request_many("hive.nodes.discover", b"{}", timeout=1)
    assert sorted(json.loads(r)["node"] for r in replies) == ["node1", "node2", "node3"]
    status = await harness.status()
    assert {n: s["az"] for n, s in status.items()} == {
        "node1": "ap-southeast-2a", "node2": "ap-southeast-2b", "node3": "ap-southeast-2a"}
    assert status["node1"]["total_vcpu"] == 256 and status["node1"]["alloc_vcpu"] == 0
    assert status["node1"]["total_mem_gb"] == 1024
    assert available(status["node1"], "t3.small") == 128  # 384 per zone: a CI run of a big module


# --- lifecycle timers ------------------------------------------------------------------------------------


async def test_pending_running_and_kv_layout(harness: Harness) -> None:
    reservation = await harness.run(node="node1")
    assert reservation["OwnerId"] == ACCOUNT and reservation["ReservationId"].startswith("r-")
    (instance,) = reservation["Instances"]
    instance_id = instance["InstanceId"]
    assert instance["State"] == {"Code": 0, "Name": "pending"}
    assert instance["Placement"]["AvailabilityZone"] == "ap-southeast-2a"
    stored = await harness.kv("node.node1")
    vm = stored["vms"][instance_id]
    assert vm["status"] == "pending" and vm["account_id"] == ACCOUNT
    assert vm["instance_type"] == "t3.small"
    assert vm["config"]["cpu_count"] == 2 and vm["config"]["memory"] == 2048
    assert vm["run_instances_input"]["ImageId"] == IMAGE
    assert vm["instance"]["State"]["Name"] == "pending"
    assert vm["attributes"] == {flag: False for flag in contract.COMMAND_FLAGS}
    await harness.wait(instance_id, "running")
    assert (await harness.kv("node.node1"))["vms"][instance_id]["status"] == "running"


async def test_stop_moves_to_shared_kv_and_start_brings_it_back(harness: Harness) -> None:
    instance_id = (await harness.run())["Instances"][0]["InstanceId"]
    stop = contract.InstanceCommand.stop(instance_id)
    assert contract.error_code(await harness.command(stop)) == "IncorrectInstanceState"  # pending
    await harness.wait(instance_id, "running")
    assert await harness.command(stop) == b"{}"
    assert (await harness.describe())[instance_id] == "stopping"
    await harness.wait(instance_id, "stopped")
    assert instance_id not in (await harness.kv("node.node1"))["vms"]
    shared = await harness.kv(f"instance.{instance_id}")
    assert shared["status"] == "stopped" and shared["last_node"] == "node1"
    assert shared["instance"]["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    with pytest.raises(NoRespondersError):
        await harness.command(contract.InstanceCommand.start(instance_id))
    reply = await harness.bus.request(contract.START_STOPPED, contract.instance_id_request(instance_id),
                                      harness.headers(), 5)
    assert json.loads(reply) == {"status": "running", "instanceId": instance_id}
    assert await harness.kv(f"instance.{instance_id}") is None
    await harness.wait(instance_id, "running")


async def test_terminate_then_purge(request: pytest.FixtureRequest) -> None:
    h = Harness(terminated_retention_seconds=1.0)
    await h.sim.start()
    try:
        instance_id = (await h.run())["Instances"][0]["InstanceId"]
        assert await h.command(contract.InstanceCommand.terminate(instance_id)) == b"{}"
        assert (await h.describe())[instance_id] == "shutting-down"
        await h.wait(instance_id, "terminated")
        vm = (await h.kv("node.node1"))["vms"][instance_id]
        assert vm["terminated_at"] and vm["status"] == "terminated"
        with pytest.raises(NoRespondersError):  # its command subject is gone with it
            await h.command(contract.InstanceCommand.stop(instance_id))
        await asyncio.sleep(1.8)
        assert instance_id not in await h.describe()
        assert instance_id not in (await h.kv("node.node1"))["vms"]
    finally:
        await h.sim.stop()


async def test_terminate_stopped_via_ec2_terminate(harness: Harness) -> None:
    instance_id = (await harness.run())["Instances"][0]["InstanceId"]
    await harness.wait(instance_id, "running")
    await harness.command(contract.InstanceCommand.stop(instance_id))
    await harness.wait(instance_id, "stopped")
    reply = await harness.bus.request(contract.TERMINATE_STOPPED, contract.instance_id_request(instance_id),
                                      harness.headers(), 5)
    assert json.loads(reply) == {"status": "terminated", "instanceId": instance_id}
    assert instance_id not in await harness.describe()
    again = await harness.bus.request(contract.TERMINATE_STOPPED, contract.instance_id_request(instance_id),
                                      harness.headers(), 5)
    assert contract.error_code(again) == "InvalidInstanceID.NotFound"


async def test_modify_stopped_instance(harness: Harness) -> None:
    instance_id = (await harness.run())["Instances"][0]["InstanceId"]
    await harness.wait(instance_id, "running")
    modify = contract.encode_message(contract.input_shape("ModifyInstanceAttribute"),
                                     {"InstanceId": instance_id, "InstanceType": {"Value": "t3.large"}})
    refused = await harness.bus.request(contract.MODIFY_INSTANCE_ATTRIBUTE, modify, harness.headers(), 5)
    assert contract.error_code(refused) == "InvalidInstanceID.NotFound"  # running: not in the shared KV
    await harness.command(contract.InstanceCommand.stop(instance_id))
    await harness.wait(instance_id, "stopped")
    assert await harness.bus.request(contract.MODIFY_INSTANCE_ATTRIBUTE, modify, harness.headers(), 5) == b"{}"
    assert (await harness.kv(f"instance.{instance_id}"))["instance_type"] == "t3.large"


async def test_reboot_and_console(harness: Harness) -> None:
    instance_id = (await harness.run())["Instances"][0]["InstanceId"]
    await harness.wait(instance_id, "running")
    assert await harness.command(contract.InstanceCommand.reboot(instance_id)) == b"{}"
    reply = await harness.bus.request(
        contract.console_subject(instance_id),
        contract.encode_message(contract.input_shape("GetConsoleOutput"), {"InstanceId": instance_id}),
        harness.headers(), 5)
    output = contract.decode_message(contract.output_shape("GetConsoleOutput"), reply)
    import base64

    text = base64.b64decode(output["Output"]).decode()
    assert text.count("Linux version") == 2 and "reboot: Restarting system" in text


# --- capacity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("harness", [{"vcpus": 4}], indirect=True)
async def test_capacity_per_type_and_subscriptions_follow(harness: Harness) -> None:
    assert available((await harness.status())["node1"], "t3.small") == 2
    reservation = await harness.run(min_count=1, max_count=5)
    assert len(reservation["Instances"]) == 2
    status = (await harness.status())["node1"]
    assert status["alloc_vcpu"] == 4 and available(status, "t3.small") == 0
    assert available(status, "t3.nano") == 0
    with pytest.raises(NoRespondersError):  # full: no longer subscribed to the type
        await harness.run()
    with pytest.raises(NoRespondersError):
        await harness.run(node="node1")
    ids = [i["InstanceId"] for i in reservation["Instances"]]
    await harness.command(contract.InstanceCommand.terminate(ids[0]))
    await harness.wait(ids[0], "terminated")
    assert available((await harness.status())["node1"], "t3.small") == 1
    assert len((await harness.run())["Instances"]) == 1


@pytest.mark.parametrize("harness", [{"vcpus": 64, "memory_mib": 4096}], indirect=True)
async def test_memory_limits_capacity_too(harness: Harness) -> None:
    status = (await harness.status())["node1"]
    assert available(status, "t3.medium") == 1  # 4096 MiB
    assert available(status, "m5.large") == 0  # 8192 MiB
    with pytest.raises(NoRespondersError):
        await harness.run("m5.large")


@pytest.mark.parametrize("harness", [{"vcpus": 4}], indirect=True)
async def test_min_count_above_room(harness: Harness) -> None:
    reply = await harness.bus.request(
        contract.run_instances_subject("t3.small"),
        contract.encode_message(contract.input_shape("RunInstances"), {
            "ImageId": IMAGE, "InstanceType": "t3.small", "MinCount": 3, "MaxCount": 3}),
        harness.headers(), 5)
    assert json.loads(reply) == {"Code": "InsufficientInstanceCapacity", "Message": None}
    assert await harness.describe() == {}


# --- spread placement ------------------------------------------------------------------------------------


@pytest.mark.parametrize("harness", [{"nodes": 2}], indirect=True)
async def test_spread_group_one_per_host(harness: Harness) -> None:
    groups = await harness.store.bucket("hive-placement-groups")
    await groups.put(f"{ACCOUNT}.web", json.dumps({
        "group_id": "pg-0123456789abcdef0", "group_name": "web", "strategy": "spread",
        "state": "available", "spread_level": "host", "account_id": ACCOUNT, "node_instances": {},
    }).encode())
    placement = {"Placement": {"GroupName": "web"}}
    await harness.run(node="node1", **placement)
    second = await harness.bus.request(
        contract.run_instances_subject("t3.small", "node1"),
        contract.encode_message(contract.input_shape("RunInstances"), {
            "ImageId": IMAGE, "InstanceType": "t3.small", "MinCount": 1, "MaxCount": 1, **placement}),
        harness.headers(), 5)
    assert contract.error_code(second) == "InsufficientInstanceCapacity"
    assert len((await harness.run(node="node2", **placement))["Instances"]) == 1
    # Not a spread group (or another account's group of that name): no limit.
    await harness.run(node="node1", account=OTHER, **placement)
    stored = (await harness.kv("node.node1"))["vms"]
    assert sorted(vm["placement_group_name"] for vm in stored.values()) == ["web", "web"]


# --- contract details ---------------------------------------------------------------------------------------


async def test_requests_are_decoded_strictly(harness: Harness) -> None:
    bogus = json.dumps({"ImageId": IMAGE, "InstanceType": "t3.small", "MinCount": 1, "MaxCount": 1,
                        "Colour": "red"}).encode()
    reply = await harness.bus.request("ec2.RunInstances.t3.small", bogus, harness.headers(), 5)
    assert json.loads(reply) == {"Code": "ValidationError", "Message": None}
    no_account = await harness.bus.request(
        "ec2.RunInstances.t3.small",
        contract.encode_message(contract.input_shape("RunInstances"), {
            "ImageId": IMAGE, "InstanceType": "t3.small", "MinCount": 1, "MaxCount": 1}), {}, 5)
    assert contract.error_code(no_account) == "ServerInternal"
    malformed = await harness.bus.request_many(
        contract.DESCRIBE_INSTANCES,
        contract.encode_message(contract.input_shape("DescribeInstances"), {"InstanceIds": ["x-1"]}),
        harness.headers(), timeout=1)
    assert [contract.error_code(r) for r in malformed] == ["InvalidInstanceID.Malformed"]


async def test_accounts_are_kept_apart(harness: Harness) -> None:
    instance_id = (await harness.run())["Instances"][0]["InstanceId"]
    assert instance_id not in await harness.describe(account=OTHER)
    foreign = await harness.command(contract.InstanceCommand.terminate(instance_id), account=OTHER)
    assert contract.error_code(foreign) == "InvalidInstanceID.NotFound"
    assert (await harness.describe())[instance_id] == "pending"


@pytest.mark.parametrize("harness", [{"vcpus": 4}], indirect=True)
async def test_describe_instance_types_reports_what_fits(harness: Harness) -> None:
    request = contract.encode_message(contract.input_shape("DescribeInstanceTypes"), {})
    (reply,) = await harness.bus.request_many(contract.DESCRIBE_INSTANCE_TYPES, request, harness.headers(), 1)
    names = {t["InstanceType"] for t in contract.decode_message(
        contract.output_shape("DescribeInstanceTypes"), reply)["InstanceTypes"]}
    assert "t3.small" in names and "m5.2xlarge" not in names
    capacity = contract.encode_message(contract.input_shape("DescribeInstanceTypes"), {
        "Filters": [{"Name": "capacity", "Values": ["true"]}]})
    (reply,) = await harness.bus.request_many(contract.DESCRIBE_INSTANCE_TYPES, capacity, harness.headers(), 1)
    listed = [t["InstanceType"] for t in contract.decode_message(
        contract.output_shape("DescribeInstanceTypes"), reply)["InstanceTypes"]]
    assert listed.count("t3.small") == 2


async def test_restart_resumes_state_and_timers() -> None:
    store = MemoryStore()
    bus = LocalBus()
    config = NodeConfig(nodes=1, pending_seconds=0.5, stopping_seconds=0.2, shutting_down_seconds=0.2)
    first = NodeSimulator(bus, store, config)
    await first.start()
    h = Harness()
    h.bus, h.store, h.sim, h.config = bus, store, first, config
    instance_id = (await h.run())["Instances"][0]["InstanceId"]
    await first.stop()  # goes away while the instance is pending
    second = NodeSimulator(bus, store, config)
    await second.start()
    h.sim = second
    try:
        await h.wait(instance_id, "running")
        assert await h.command(contract.InstanceCommand.stop(instance_id)) == b"{}"
        await h.wait(instance_id, "stopped")
        status = (await h.status())["node1"]
        assert status["alloc_vcpu"] == 0
    finally:
        await second.stop()
