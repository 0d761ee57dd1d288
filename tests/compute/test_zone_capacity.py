"""Every default zone has capacity: instances launch in each of ``<region>a/b/c`` (and in the
signed region's zones under ``--accept-any-region``); running out is ``InsufficientInstanceCapacity``,
never an ``InternalError`` from an exception."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from hive_gateway.node import NodeConfig
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import TEST_NODE_TIMINGS, RunningGateway, start_gateway
from tests.helpers import code

DEBIAN_AMD64 = "ami-0deb12a6420240211"


def subnet_in(ec2: Any, vpc_id: str, cidr: str, zone: str) -> str:
    return str(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    )


def launch(ec2: Any, subnet_id: str, count: int = 1, instance_type: str = "t3.micro") -> list[Any]:
    reservation = ec2.run_instances(
        ImageId=DEBIAN_AMD64,
        InstanceType=instance_type,
        MinCount=count,
        MaxCount=count,
        SubnetId=subnet_id,
    )
    return list(reservation["Instances"])


def test_every_default_zone_launches(ec2: Any) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for index, letter in enumerate("abc", start=1):
        zone = f"ap-southeast-2{letter}"
        (instance,) = launch(ec2, subnet_in(ec2, vpc_id, f"10.0.{index}.0/24", zone))
        assert instance["Placement"]["AvailabilityZone"] == zone


def test_previous_generation_types_launch(ec2: Any) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = subnet_in(ec2, vpc_id, "10.0.1.0/24", "ap-southeast-2b")
    for instance_type in ("t1.micro", "m1.small", "m3.medium", "c4.large", "m6g.medium"):
        image = "ami-0deb12a4b20240211" if instance_type.startswith("m6g") else DEBIAN_AMD64
        reservation = ec2.run_instances(
            ImageId=image, InstanceType=instance_type, MinCount=1, MaxCount=1, SubnetId=subnet_id
        )
        assert reservation["Instances"][0]["InstanceType"] == instance_type


def test_default_capacity_holds_a_large_module(ec2: Any) -> None:
    """A CI run of a large module: 120 small instances in one zone, in one request."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = subnet_in(ec2, vpc_id, "10.0.0.0/20", "ap-southeast-2c")
    started = time.monotonic()
    assert len(launch(ec2, subnet_id, count=120, instance_type="t3.nano")) == 120
    assert time.monotonic() - started < 120


@pytest.fixture
def hosts_in_a_only(tmp_path: Path) -> Iterator[RunningGateway]:
    """A gateway serving three zones whose one small host runs in the first zone only: a real
    Hive cluster's limits (``--nodes 1 --node-vcpus 4``)."""

    async def memory() -> Store:
        return MemoryStore()

    config = NodeConfig(
        nodes=1, vcpus=4, memory_mib=8192, azs=("ap-southeast-2a",), **TEST_NODE_TIMINGS
    )  # type: ignore[arg-type]
    running = start_gateway(memory, tmp_path, node_config=config)
    yield running
    running._stop()


def test_running_out_is_insufficient_capacity_not_internal_error(
    hosts_in_a_only: RunningGateway,
) -> None:
    ec2 = hosts_in_a_only.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    in_a = subnet_in(ec2, vpc_id, "10.0.1.0/24", "ap-southeast-2a")
    in_b = subnet_in(ec2, vpc_id, "10.0.2.0/24", "ap-southeast-2b")
    with pytest.raises(ClientError) as no_host:
        launch(ec2, in_b)
    assert code(no_host) == "InsufficientInstanceCapacity"
    assert "(ap-southeast-2b)" in no_host.value.response["Error"]["Message"]
    assert len(launch(ec2, in_a, count=2, instance_type="t3.small")) == 2  # 4 vCPUs
    with pytest.raises(ClientError) as full:
        launch(ec2, in_a)
    assert code(full) == "InsufficientInstanceCapacity"
    with pytest.raises(ClientError) as too_big:
        launch(ec2, in_a, instance_type="m5.4xlarge")
    assert code(too_big) == "InsufficientInstanceCapacity"
    assert (
        ec2.describe_instances(Filters=[{"Name": "subnet-id", "Values": [in_b]}])["Reservations"]
        == []
    )


def test_accept_any_region_launches_in_the_signed_regions_zones(tmp_path: Path) -> None:
    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, accept_any_region=True)
    try:
        eu = boto3.client(
            "ec2",
            endpoint_url=running.url,
            region_name="eu-west-1",
            aws_access_key_id=running.admin.access_key_id,
            aws_secret_access_key=running.admin.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )
        vpc_id = eu.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet_id = subnet_in(eu, vpc_id, "10.0.1.0/24", "eu-west-1b")
        (instance,) = launch(eu, subnet_id)
        assert instance["SubnetId"] == subnet_id
        assert instance["Placement"]["AvailabilityZone"] == "eu-west-1b"
    finally:
        running._stop()


def test_instance_limit_is_a_setting(tmp_path: Path) -> None:
    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, instance_limit=2)
    try:
        ec2 = running.client("ec2")
        limits = ec2.describe_account_attributes(AttributeNames=["max-instances"])
        (attribute,) = limits["AccountAttributes"]
        assert attribute["AttributeValues"] == [{"AttributeValue": "2"}]
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet_id = subnet_in(ec2, vpc_id, "10.0.1.0/24", "ap-southeast-2a")
        assert len(launch(ec2, subnet_id, count=2)) == 2
        with pytest.raises(ClientError) as limit:
            launch(ec2, subnet_id)
        assert code(limit) == "InstanceLimitExceeded"
        assert "instance limit of 2" in limit.value.response["Error"]["Message"]
    finally:
        running._stop()
