"""The gateway ↔ Hive daemon NATS contract, proven against a fake Hive daemon.

The fake daemon below is written from Hive's documented payloads only (``daemon.go``,
``daemon_handlers_instance.go``, Spinifex's ``types``): it uses nats-py directly and plain JSON,
nothing from ``hive_gateway``. The gateway runs over a real nats-server with its built-in node
disabled, so every RunInstances / DescribeInstances / Stop / Start / Terminate goes through the
fake, and the tests assert on the raw JSON and headers it received.

The first part unit-tests the codec of :mod:`hive_gateway.hive.daemon_contract` (Go's JSON rules).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from botocore.exceptions import ClientError
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from hive_gateway.hive import daemon_contract as contract
from hive_gateway.api.protocol.models import service_model
from kv.nats_store import NatsStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, free_port, start_gateway
from tests.fixtures.nats import NatsServer

DEBIAN = "ami-0deb12a6420240211"
ACCOUNT = "000000000001"


# --- the codec ---------------------------------------------------------------------------------


def test_go_time_format() -> None:
    assert contract.go_time(datetime(2026, 5, 1, 10, 20, 30, tzinfo=UTC)) == "2026-05-01T10:20:30Z"
    assert contract.go_time(datetime(2026, 5, 1, 10, 20, 30, 500000, tzinfo=UTC)) == (
        "2026-05-01T10:20:30.5Z"
    )
    assert contract.go_time(datetime(2026, 5, 1, 10, 20, 30, 123456, tzinfo=UTC)) == (
        "2026-05-01T10:20:30.123456Z"
    )
    parsed = contract.parse_go_time("2026-05-01T12:20:30.123456789+02:00")
    assert parsed == datetime(2026, 5, 1, 10, 20, 30, 123456, tzinfo=UTC)
    with pytest.raises(ValueError):
        contract.parse_go_time("yesterday")


def test_encode_writes_every_member_with_null_for_unset() -> None:
    encoded = contract.encode(contract.input_shape("RunInstances"), {
        "ImageId": DEBIAN, "MinCount": 1, "MaxCount": 1, "Placement": {"AvailabilityZone": "z"},
    })
    members = service_model("ec2").shape_for("RunInstancesRequest").members
    assert list(encoded) == sorted(members)  # Go's generated struct order
    assert encoded["ImageId"] == DEBIAN and encoded["MinCount"] == 1
    assert encoded["KernelId"] is None and encoded["NetworkInterfaces"] is None
    assert encoded["Placement"]["AvailabilityZone"] == "z"
    assert encoded["Placement"]["GroupName"] is None
    with pytest.raises(ValueError):
        contract.encode(contract.input_shape("RunInstances"), {"imageId": DEBIAN})


def test_encode_timestamps_blobs_and_numbers() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    reservation = contract.encode("Reservation", {"ReservationId": "r-1", "Instances": [
        {"InstanceId": "i-1", "LaunchTime": at, "AmiLaunchIndex": 0, "State": {"Code": 16, "Name": "running"}}]})
    instance = reservation["Instances"][0]
    assert instance["LaunchTime"] == "2026-01-02T03:04:05Z"
    assert instance["State"] == {"Code": 16, "Name": "running"}
    assert instance["PublicIpAddress"] is None
    modify = contract.encode(contract.input_shape("ModifyInstanceAttribute"),
                             {"InstanceId": "i-1", "UserData": {"Value": b"hi"}})
    assert modify["UserData"] == {"Value": "aGk="}


def test_decode_is_strict_and_case_insensitive_like_go() -> None:
    decoded = contract.decode(contract.input_shape("DescribeInstances"),
                              {"instanceids": ["i-1"], "Filters": None, "MaxResults": 5})
    assert decoded == {"InstanceIds": ["i-1"], "MaxResults": 5}
    with pytest.raises(contract.ContractError) as exc:
        contract.decode(contract.input_shape("DescribeInstances"), {"Bogus": 1})
    assert exc.value.code == "ValidationError"
    with pytest.raises(contract.ContractError):
        contract.decode(contract.input_shape("DescribeInstances"), {"MaxResults": "five"})
    lenient = contract.decode(contract.input_shape("DescribeInstances"), {"Bogus": 1}, strict=False)
    assert lenient == {}
    times = contract.decode("Instance", {"LaunchTime": "2026-01-02T03:04:05.25Z"})
    assert times["LaunchTime"] == datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)


def test_error_payload_is_hives() -> None:
    payload = contract.error_payload("InvalidInstanceID.NotFound")
    assert json.loads(payload) == {"Code": "InvalidInstanceID.NotFound", "Message": None}
    assert contract.error_code(payload) == "InvalidInstanceID.NotFound"
    assert contract.error_code(b"{}") is None
    assert contract.error_code(b'{"Reservations":[]}') is None
    assert contract.error_code(b'{"Code":null,"Message":null}') is None
    assert contract.error_code(b'{"status":"running","instanceId":"i-1"}') is None
    with pytest.raises(contract.DaemonError) as exc:
        contract.raise_for_error(payload)
    assert exc.value.code == "InvalidInstanceID.NotFound"


def test_instance_command_format() -> None:
    command = contract.InstanceCommand.terminate("i-0abc")
    assert json.loads(command.to_bytes()) == {
        "id": "i-0abc",
        "attributes": {"stop_instance": True, "delete_instance": True, "start_instance": False,
                       "attach_volume": False, "detach_volume": False, "reboot_instance": False},
    }
    assert contract.InstanceCommand.from_bytes(command.to_bytes()) == command
    assert contract.InstanceCommand.stop("i-1").action == "stop"
    assert contract.InstanceCommand.start("i-1").action == "start"
    assert contract.InstanceCommand.reboot("i-1").action == "reboot"
    assert command.action == "terminate"


def test_subjects() -> None:
    assert contract.run_instances_subject("t3.small") == "ec2.RunInstances.t3.small"
    assert contract.run_instances_subject("t3.small", "node2") == "ec2.RunInstances.t3.small.node2"
    assert contract.command_subject("i-1") == "ec2.cmd.i-1"
    assert contract.queue_group("hive") == "hive-workers"
    assert contract.queue_group("spinifex") == "spinifex-workers"
    assert contract.nodes_discover_subject("hive") == "hive.nodes.discover"
    assert contract.node_status_subject("hive") == "hive.node.status"
    assert contract.node_key("node1") == "node.node1"
    assert contract.stopped_key("i-1") == "instance.i-1"


# --- a fake Hive daemon --------------------------------------------------------------------------


def hex17() -> str:
    return secrets.token_hex(9)[:17]


@dataclass
class Received:
    subject: str
    data: Any
    headers: dict[str, str]


@dataclass
class FakeHive:
    """One Hive daemon node, answering with Hive's Go JSON (hand-written)."""

    prefix: str
    node: str = "fake1"
    capacity: int = 5
    node_status: bool = True
    refuse_with: str | None = None
    nc: NatsClient | None = None
    received: list[Received] = field(default_factory=list)
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    subs: dict[str, Any] = field(default_factory=dict)

    def log(self, msg: Msg) -> Any:
        data = json.loads(msg.data) if msg.data else None
        self.received.append(Received(msg.subject, data, dict(msg.headers or {})))
        return data

    def of(self, subject_start: str) -> list[Received]:
        return [r for r in self.received if r.subject.startswith(subject_start)]

    async def start(self, url: str, token: str) -> None:
        self.nc = await nats.connect(url, token=token)
        nc = self.nc
        await nc.subscribe(f"{self.prefix}.nodes.discover", cb=self.discover)
        if self.node_status:
            await nc.subscribe(f"{self.prefix}.node.status", cb=self.status)
            await nc.subscribe(f"ec2.RunInstances.t3.small.{self.node}", cb=self.run_instances)
        else:
            await nc.subscribe("ec2.RunInstances.t3.small", queue=f"{self.prefix}-workers", cb=self.run_instances)
        await nc.subscribe("ec2.DescribeInstances", cb=self.describe)
        await nc.subscribe("ec2.DescribeStoppedInstances", queue=f"{self.prefix}-workers", cb=self.describe_stopped)
        await nc.subscribe("ec2.start", queue=f"{self.prefix}-workers", cb=self.start_stopped)
        await nc.subscribe("ec2.terminate", queue=f"{self.prefix}-workers", cb=self.terminate_stopped)
        await nc.flush()

    async def stop(self) -> None:
        if self.nc is not None:
            await self.nc.close()

    async def discover(self, msg: Msg) -> None:
        await msg.respond(json.dumps({"node": self.node}).encode())

    async def status(self, msg: Msg) -> None:
        self.log(msg)
        live = sum(1 for i in self.instances.values() if i["status"] not in ("stopped", "terminated"))
        await msg.respond(json.dumps({
            "node": self.node, "status": "Ready", "az": "ap-southeast-2a",
            "instance_types": [{"name": "t3.small", "vcpu": 2, "memory_gb": 2.0,
                                "available": max(0, self.capacity - live)}],
        }).encode())

    def instance_json(self, instance_id: str) -> dict[str, Any]:
        record = self.instances[instance_id]
        codes = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
        return {"InstanceId": instance_id, "InstanceType": "t3.small", "ImageId": record["image"],
                "LaunchTime": "2026-05-01T10:20:30.123456789Z",
                "State": {"Code": codes[record["status"]], "Name": record["status"]},
                "Placement": {"AvailabilityZone": "ap-southeast-2a", "GroupName": None, "Tenancy": "default"},
                "PrivateIpAddress": None, "SubnetId": None, "VpcId": None}

    async def run_instances(self, msg: Msg) -> None:
        data = self.log(msg)
        if self.refuse_with:
            await msg.respond(json.dumps({"Code": self.refuse_with, "Message": None}).encode())
            return
        instance_id = "i-" + hex17()
        self.instances[instance_id] = {"status": "pending", "image": data["ImageId"],
                                       "account": msg.headers["X-Account-ID"]}
        self.subs[instance_id] = await self.nc.subscribe(f"ec2.cmd.{instance_id}", cb=self.command)  # type: ignore[union-attr]
        await msg.respond(json.dumps({
            "Groups": None, "OwnerId": msg.headers["X-Account-ID"], "RequesterId": None,
            "ReservationId": "r-" + hex17(), "Instances": [self.instance_json(instance_id)],
        }).encode())

    def reservations(self, wanted: list[str] | None, account: str, stopped: bool) -> bytes:
        instances = [
            self.instance_json(i) for i, r in self.instances.items()
            if (r["status"] == "stopped") == stopped and r["account"] == account and (not wanted or i in wanted)
        ]
        body = {"NextToken": None, "Reservations": [
            {"Groups": [], "OwnerId": account, "RequesterId": None, "ReservationId": "r-" + hex17(),
             "Instances": instances}] if instances else []}
        return json.dumps(body).encode()

    async def describe(self, msg: Msg) -> None:
        data = self.log(msg)
        await msg.respond(self.reservations(data.get("InstanceIds"), msg.headers["X-Account-ID"], stopped=False))

    async def describe_stopped(self, msg: Msg) -> None:
        data = self.log(msg)
        await msg.respond(self.reservations(data.get("InstanceIds"), msg.headers["X-Account-ID"], stopped=True))

    async def command(self, msg: Msg) -> None:
        data = self.log(msg)
        record = self.instances[data["id"]]
        flags = data["attributes"]
        if flags["delete_instance"]:
            record["status"] = "shutting-down"
            await msg.respond(b"{}")
        elif flags["stop_instance"]:
            record["status"] = "stopped"
            await self.subs.pop(data["id"]).unsubscribe()  # stopped instances leave the node
            await msg.respond(b"{}")
        else:
            await msg.respond(json.dumps({"Code": "IncorrectInstanceState", "Message": None}).encode())

    async def start_stopped(self, msg: Msg) -> None:
        data = self.log(msg)
        record = self.instances.get(data["instance_id"])
        if record is None or record["status"] != "stopped":
            await msg.respond(json.dumps({"Code": "InvalidInstanceID.NotFound", "Message": None}).encode())
            return
        record["status"] = "pending"
        self.subs[data["instance_id"]] = await self.nc.subscribe(f"ec2.cmd.{data['instance_id']}", cb=self.command)  # type: ignore[union-attr]
        await msg.respond(json.dumps({"status": "running", "instanceId": data["instance_id"]}).encode())

    async def terminate_stopped(self, msg: Msg) -> None:
        data = self.log(msg)
        self.instances.pop(data["instance_id"], None)
        await msg.respond(json.dumps({"status": "terminated", "instanceId": data["instance_id"]}).encode())

    def advance(self, instance_id: str, status: str) -> None:
        self.instances[instance_id]["status"] = status


@pytest.fixture
def hive(tmp_path: Path, nats_server: NatsServer) -> Iterator[tuple[RunningGateway, FakeHive]]:
    """A gateway over NATS without its built-in node, and a fake Hive daemon on the same server."""

    async def store() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    prefix = f"t{free_port()}"
    gateway = start_gateway(store, tmp_path, builtin_node=False, bucket_prefix=prefix)
    fake = FakeHive(prefix)
    gateway.run(fake.start(nats_server.url, nats_server.token))
    try:
        yield gateway, fake
    finally:
        gateway.run(fake.stop())
        gateway._stop()


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def state_of(ec2: Any, instance_id: str) -> str:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(reservations[0]["Instances"][0]["State"]["Name"])


def test_run_instances_goes_to_the_node_with_hives_payload(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    reservation = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1,
                                    ClientToken="contract-1", Monitoring={"Enabled": False})
    instance_id = reservation["Instances"][0]["InstanceId"]
    assert instance_id in fake.instances
    (status,) = fake.of(f"{fake.prefix}.node.status")
    assert status.headers["X-Account-ID"] == ACCOUNT
    (request,) = fake.of("ec2.RunInstances.t3.small.fake1")
    assert request.headers["X-Account-ID"] == ACCOUNT
    body = request.data
    members = service_model("ec2").shape_for("RunInstancesRequest").members
    assert set(body) == set(members)  # every member, PascalCase …
    assert body["KernelId"] is None and body["SubnetId"] is None and body["Ipv6Addresses"] is None  # … null when unset
    assert body["ImageId"] == DEBIAN and body["InstanceType"] == "t3.small"
    assert body["MinCount"] == 1 and body["MaxCount"] == 1
    assert body["ClientToken"] == "contract-1"
    assert body["Monitoring"]["Enabled"] is False
    assert body["Placement"]["AvailabilityZone"] == "ap-southeast-2a"
    (eni,) = body["NetworkInterfaces"]
    assert eni["DeviceIndex"] == 0 and eni["NetworkInterfaceId"].startswith("eni-")
    assert eni["SubnetId"].startswith("subnet-") and eni["Groups"][0].startswith("sg-")
    assert set(eni) == set(service_model("ec2").shape_for("InstanceNetworkInterfaceSpecification").members)
    (root,) = body["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/xvda" and root["Ebs"]["VolumeSize"] == 8
    # The gateway made the interface and volume and attached them to the daemon's instance.
    (instance,) = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    assert instance["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    assert instance["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"


def test_describe_instances_is_a_scatter_gather_with_the_account(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    instance_id = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)[
        "Instances"][0]["InstanceId"]
    fake.received.clear()
    assert state_of(ec2, instance_id) == "pending"
    fake.advance(instance_id, "running")
    assert state_of(ec2, instance_id) == "running"  # the daemon's state is the truth
    describe = fake.of("ec2.DescribeInstances")
    assert describe and all(r.headers["X-Account-ID"] == ACCOUNT for r in describe)
    assert describe[-1].data["InstanceIds"] == [instance_id]
    assert set(describe[-1].data) == set(service_model("ec2").shape_for("DescribeInstancesRequest").members)
    assert describe[-1].data["Filters"] is None
    assert fake.of("ec2.DescribeStoppedInstances")


def test_stop_start_terminate_through_the_daemon(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    instance_id = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)[
        "Instances"][0]["InstanceId"]
    fake.advance(instance_id, "running")
    assert state_of(ec2, instance_id) == "running"
    ec2.stop_instances(InstanceIds=[instance_id])
    (stop,) = fake.of(f"ec2.cmd.{instance_id}")
    assert stop.headers["X-Account-ID"] == ACCOUNT
    assert stop.data == {"id": instance_id, "attributes": {
        "stop_instance": True, "delete_instance": False, "start_instance": False,
        "attach_volume": False, "detach_volume": False, "reboot_instance": False}}
    assert state_of(ec2, instance_id) == "stopped"  # reported by ec2.DescribeStoppedInstances
    # The stopped instance left its node: the start goes to ec2.start (any node).
    ec2.start_instances(InstanceIds=[instance_id])
    start_cmd = [r for r in fake.of(f"ec2.cmd.{instance_id}") if r.data["attributes"]["start_instance"]]
    assert start_cmd == []  # nobody owned ec2.cmd.<id>: no responders
    (start,) = fake.of("ec2.start")
    assert start.data == {"instance_id": instance_id}
    assert start.headers["X-Account-ID"] == ACCOUNT
    fake.advance(instance_id, "running")
    assert state_of(ec2, instance_id) == "running"
    ec2.terminate_instances(InstanceIds=[instance_id])
    terminate = fake.of(f"ec2.cmd.{instance_id}")[-1]
    assert terminate.data["attributes"]["delete_instance"] is True
    assert terminate.data["attributes"]["stop_instance"] is True
    assert state_of(ec2, instance_id) == "shutting-down"
    fake.advance(instance_id, "terminated")
    assert state_of(ec2, instance_id) == "terminated"
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_terminating_a_stopped_instance_uses_ec2_terminate(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    instance_id = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)[
        "Instances"][0]["InstanceId"]
    fake.advance(instance_id, "running")
    ec2.stop_instances(InstanceIds=[instance_id])
    assert state_of(ec2, instance_id) == "stopped"
    ec2.terminate_instances(InstanceIds=[instance_id])
    (request,) = fake.of("ec2.terminate")
    assert request.data == {"instance_id": instance_id}
    assert instance_id not in fake.instances
    assert state_of(ec2, instance_id) == "terminated"


def test_daemon_error_payload_becomes_the_aws_error(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    fake.refuse_with = "InsufficientInstanceCapacity"
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    assert [v for v in ec2.describe_volumes()["Volumes"] if v["State"] != "deleting"] == []
    assert ec2.describe_instances()["Reservations"] == []


def test_node_without_room_is_not_asked(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    fake.capacity = 0
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert fake.of("ec2.RunInstances") == []


def test_max_count_is_split_one_instance_per_request(hive: tuple[RunningGateway, FakeHive]) -> None:
    gateway, fake = hive
    ec2 = gateway.client("ec2")
    fake.capacity = 2
    reservation = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=4)
    assert len(reservation["Instances"]) == 2  # node.status said 2 fit
    requests = fake.of("ec2.RunInstances")
    assert len(requests) == 2
    assert all(r.data["MinCount"] == r.data["MaxCount"] == 1 for r in requests)
    assert len({r.data["NetworkInterfaces"][0]["NetworkInterfaceId"] for r in requests}) == 2


def test_hive_without_node_status_gets_the_queue_group(tmp_path: Path, nats_server: NatsServer) -> None:
    async def store() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    prefix = f"t{free_port()}"
    gateway = start_gateway(store, tmp_path, builtin_node=False, bucket_prefix=prefix)
    fake = FakeHive(prefix, node_status=False)
    gateway.run(fake.start(nats_server.url, nats_server.token))
    try:
        ec2 = gateway.client("ec2")
        reservation = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)
        (request,) = fake.of("ec2.RunInstances")
        assert request.subject == "ec2.RunInstances.t3.small"
        assert reservation["Instances"][0]["InstanceId"] in fake.instances
    finally:
        gateway.run(fake.stop())
        gateway._stop()


def test_nobody_listening_is_insufficient_capacity(tmp_path: Path, nats_server: NatsServer) -> None:
    async def store() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    gateway = start_gateway(store, tmp_path, builtin_node=False, bucket_prefix=f"t{free_port()}")
    try:
        ec2 = gateway.client("ec2")
        started = time.monotonic()
        with pytest.raises(ClientError) as exc:
            ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)
        assert code_of(exc) == "InsufficientInstanceCapacity"
        assert time.monotonic() - started < 10
        assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    finally:
        gateway._stop()


def test_built_in_node_over_nats(nats_gateway: RunningGateway) -> None:
    """The simulator answers the same contract over a real nats-server."""
    ec2 = nats_gateway.client("ec2")
    instance_id = ec2.run_instances(ImageId=DEBIAN, InstanceType="t3.small", MinCount=1, MaxCount=1)[
        "Instances"][0]["InstanceId"]
    deadline = time.monotonic() + 10
    while state_of(ec2, instance_id) != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    ec2.terminate_instances(InstanceIds=[instance_id])
    while state_of(ec2, instance_id) != "terminated":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    async def kv_state() -> dict[str, Any]:
        bucket = await nats_gateway.runtime.store.bucket(f"{nats_gateway.settings.bucket_prefix}-instance-state")
        vms: dict[str, Any] = {}
        for entry in await bucket.entries("node."):
            vms.update(json.loads(entry.value)["vms"])
        return vms

    vm = nats_gateway.run(kv_state())[instance_id]
    assert vm["status"] == "terminated" and vm["account_id"] == ACCOUNT
    assert vm["instance"]["InstanceId"] == instance_id
    assert vm["run_instances_input"]["ImageId"] == DEBIAN


_ = asyncio  # the fake daemon's callbacks run on the gateway's loop
