"""Instances through real boto3 against a gateway with the built-in node simulator.

Every action of ``handlers/instances.py``, its error codes, filters, pagination, tenancy,
ClientToken idempotency, capacity and spread placement, and what termination releases.
The simulator's timers are short in tests (``TEST_NODE_TIMINGS``: 0.3 s per transition).
"""

from __future__ import annotations

import base64
import concurrent.futures
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from handlers import instances
from hive_gateway.conformance.xml_check import assert_xml_matches_shape
from hive_gateway.node import NodeConfig
from hive_gateway.api.protocol.models import operation_model
from kv.memory import MemoryStore
from kv.nats_store import NatsStore
from kv.store import Store
from tests.fixtures.gateway import TEST_NODE_TIMINGS, RunningGateway, free_port, start_gateway
from tests.fixtures.raw import send

DEBIAN_AMD64 = "ami-0deb12a6420240211"
DEBIAN_ARM64 = "ami-0deb12a4b20240211"
ZONE = "ap-southeast-2a"


# --- helpers --------------------------------------------------------------------------------------


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def message_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Message"])


def ed25519_public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def instances_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for r in response["Reservations"] for i in r["Instances"]]


def describe(ec2: Any, *ids: str, **kwargs: Any) -> list[dict[str, Any]]:
    if ids:
        kwargs["InstanceIds"] = list(ids)
    return instances_of(ec2.describe_instances(**kwargs))


def wait_state(ec2: Any, instance_ids: list[str], state: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Poll DescribeInstances until every instance is in ``state``."""
    deadline = time.monotonic() + timeout
    while True:
        found = describe(ec2, *instance_ids)
        if all(i["State"]["Name"] == state for i in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not {state}: {[(i['InstanceId'], i['State']) for i in found]}")
        time.sleep(0.1)


def run(ec2: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ImageId", DEBIAN_AMD64)
    kwargs.setdefault("InstanceType", "t3.small")
    kwargs.setdefault("MinCount", 1)
    kwargs.setdefault("MaxCount", 1)
    result: dict[str, Any] = ec2.run_instances(**kwargs)
    return result


def run_one(ec2: Any, **kwargs: Any) -> str:
    return str(run(ec2, **kwargs)["Instances"][0]["InstanceId"])


class Network:
    """A VPC with a public subnet, an internet gateway and an ssh security group."""

    def __init__(self, ec2: Any, cidr: str = "10.0.0.0/16", map_public: bool = True) -> None:
        self.vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        base = cidr.split("/")[0].rsplit(".", 2)[0]
        self.subnet_id = ec2.create_subnet(
            VpcId=self.vpc_id, CidrBlock=f"{base}.1.0/24", AvailabilityZone=ZONE
        )["Subnet"]["SubnetId"]
        if map_public:
            ec2.modify_subnet_attribute(SubnetId=self.subnet_id, MapPublicIpOnLaunch={"Value": True})
        self.igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=self.igw_id, VpcId=self.vpc_id)
        self.group_id = ec2.create_security_group(
            GroupName="ssh", Description="ssh", VpcId=self.vpc_id
        )["GroupId"]


def timings(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway, **seconds: float) -> None:
    """Change the named state-machine timings (``terminated_retention=0.5``) of ``gateway``."""
    settings = gateway.runtime.settings
    changed = replace(settings, timings=replace(settings.timings, **seconds))
    monkeypatch.setattr(gateway.runtime, "settings", changed)


def custom_gateway(tmp: Path, **node: Any) -> RunningGateway:
    """A gateway over the memory store whose built-in node has the given settings."""

    async def memory() -> Store:
        return MemoryStore()

    settings = {**TEST_NODE_TIMINGS, **node}
    builtin = settings.pop("builtin", True)
    config = NodeConfig(**settings) if builtin else None
    return start_gateway(memory, tmp, builtin_node=builtin, node_config=config)


@pytest.fixture
def small_gateway(tmp_path: Path) -> Iterator[RunningGateway]:
    """One host with 4 vCPUs: room for two t3.small (2 vCPUs each)."""
    running = custom_gateway(tmp_path, nodes=1, vcpus=4)
    yield running
    running._stop()


@pytest.fixture
def three_nodes(tmp_path: Path) -> Iterator[RunningGateway]:
    """Three simulated hosts in each of the three zones (the default), so three in ``ZONE``."""
    running = custom_gateway(tmp_path)
    yield running
    running._stop()


@pytest.fixture
def no_daemon(tmp_path: Path) -> Iterator[RunningGateway]:
    """A gateway whose bus nobody answers on."""
    running = custom_gateway(tmp_path, builtin=False)
    yield running
    running._stop()


def counts(ec2: Any) -> tuple[int, int]:
    """(network interfaces, volumes not deleting) of the account."""
    enis = len(ec2.describe_network_interfaces()["NetworkInterfaces"])
    volumes = [v for v in ec2.describe_volumes()["Volumes"] if v["State"] not in ("deleting", "deleted")]
    return enis, len(volumes)


# --- RunInstances and the Instance shape ---------------------------------------------------------


def test_run_in_default_vpc_goes_pending_then_running(ec2: Any) -> None:
    reservation = run(ec2)
    assert reservation["ReservationId"].startswith("r-")
    assert reservation["OwnerId"] == "000000000001"
    assert reservation["Groups"] == []
    (instance,) = reservation["Instances"]
    assert instance["State"] == {"Code": 0, "Name": "pending"}
    (running,) = wait_state(ec2, [instance["InstanceId"]], "running")
    assert running["State"] == {"Code": 16, "Name": "running"}
    assert running["VpcId"] and running["SubnetId"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    assert running["VpcId"] == default_vpc["VpcId"]
    # The default subnet maps public IPs: the instance has one.
    assert running["PublicIpAddress"]
    assert running["SecurityGroups"][0]["GroupName"] == "default"


def test_instance_shape_has_everything_the_provider_reads(ec2: Any) -> None:
    net = Network(ec2)
    key = ec2.import_key_pair(KeyName="deploy", PublicKeyMaterial=ed25519_public_key().encode())
    group = ec2.create_placement_group(GroupName="web", Strategy="spread")
    assert group["ResponseMetadata"]["HTTPStatusCode"] == 200
    instance_id = run_one(
        ec2, KeyName="deploy", Placement={"GroupName": "web"}, ClientToken="tok-shape",
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.subnet_id, "Groups": [net.group_id],
                            "AssociatePublicIpAddress": True}],
        CreditSpecification={"CpuCredits": "unlimited"}, DisableApiTermination=False,
        EbsOptimized=False, Monitoring={"Enabled": False},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}],
    )
    (i,) = wait_state(ec2, [instance_id], "running")
    assert key["KeyName"] == i["KeyName"] == "deploy"
    assert i["Placement"] == {"AvailabilityZone": ZONE, "GroupName": "web", "Tenancy": "default",
                              "GroupId": group_id(ec2, "web")}
    assert i["ImageId"] == DEBIAN_AMD64 and i["InstanceType"] == "t3.small"
    assert i["Architecture"] == "x86_64" and i["Hypervisor"] == "xen"
    assert i["VirtualizationType"] == "hvm" and i["RootDeviceType"] == "ebs"
    assert i["RootDeviceName"] == "/dev/xvda"
    assert i["EbsOptimized"] is False and i["EnaSupport"] is True
    assert i["Monitoring"] == {"State": "disabled"}
    assert i["SourceDestCheck"] is True
    assert i["ClientToken"] == "tok-shape"
    assert i["AmiLaunchIndex"] == 0
    assert i["Tags"] == [{"Key": "Name", "Value": "web-1"}]
    assert i["CpuOptions"] == {"CoreCount": 1, "ThreadsPerCore": 2}
    assert i["CapacityReservationSpecification"] == {"CapacityReservationPreference": "open"}
    assert i["HibernationOptions"] == {"Configured": False}
    assert i["EnclaveOptions"] == {"Enabled": False}
    assert i["MaintenanceOptions"]["AutoRecovery"] == "default"
    assert i["PrivateDnsNameOptions"] == {
        "HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
        "EnableResourceNameDnsAAAARecord": False,
    }
    assert i["MetadataOptions"]["State"] == "applied"
    assert i["MetadataOptions"]["HttpEndpoint"] == "enabled"
    assert i["MetadataOptions"]["HttpProtocolIpv6"] == "disabled"
    assert i["MetadataOptions"]["HttpTokens"] == "required"  # Debian 12 is IMDSv2-only
    assert i["BootMode"] == "uefi-preferred" and i["CurrentInstanceBootMode"] == "uefi"
    assert i["PlatformDetails"] == "Linux/UNIX" and i["UsageOperation"] == "RunInstances"
    assert i["StateTransitionReason"] == ""
    assert i["LaunchTime"].tzinfo is not None
    # Networking: one primary interface with its attachment and the public IP association.
    (eni,) = i["NetworkInterfaces"]
    assert eni["Attachment"]["DeviceIndex"] == 0
    assert eni["Attachment"]["Status"] == "attached"
    assert eni["Attachment"]["DeleteOnTermination"] is True
    assert eni["SubnetId"] == net.subnet_id == i["SubnetId"]
    assert eni["VpcId"] == net.vpc_id == i["VpcId"]
    assert eni["SourceDestCheck"] is True
    assert eni["Association"]["PublicIp"] == i["PublicIpAddress"]
    assert eni["PrivateIpAddress"] == i["PrivateIpAddress"]
    assert i["PrivateIpAddress"].startswith("10.0.1.")
    assert i["PrivateDnsName"] == f"ip-{i['PrivateIpAddress'].replace('.', '-')}.ap-southeast-2.compute.internal"
    assert i["SecurityGroups"] == [{"GroupId": net.group_id, "GroupName": "ssh"}]
    # Block devices come from the volumes attached to the instance.
    (bdm,) = i["BlockDeviceMappings"]
    assert bdm["DeviceName"] == "/dev/xvda"
    assert bdm["Ebs"]["Status"] == "attached" and bdm["Ebs"]["DeleteOnTermination"] is True
    volume = ec2.describe_volumes(VolumeIds=[bdm["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Size"] == 8 and volume["VolumeType"] == "gp3"
    assert volume["Attachments"][0]["InstanceId"] == instance_id


def group_id(ec2: Any, name: str) -> str:
    return str(ec2.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]["GroupId"])


def test_describe_instances_xml_matches_the_shape(gateway: RunningGateway, ec2: Any) -> None:
    instance_id = run_one(ec2)
    wait_state(ec2, [instance_id], "running")
    creds = gateway.admin
    for body in (
        f"Action=DescribeInstances&Version=2016-11-15&InstanceId.1={instance_id}",
        f"Action=DescribeInstanceAttribute&Version=2016-11-15&InstanceId={instance_id}&Attribute=disableApiStop",
        "Action=DescribeInstanceTypes&Version=2016-11-15&InstanceType.1=t3.small",
    ):
        answer = send(gateway.url, body, access_key=creds.access_key_id, secret_key=creds.secret_access_key)
        assert answer.status == 200, answer.text
        action_name = body.split("&")[0].split("=")[1]
        assert_xml_matches_shape(answer.body, operation_model("ec2", action_name))


def test_terraform_network_interface_form_controls_the_public_ip(ec2: Any) -> None:
    net = Network(ec2, map_public=True)
    without = run_one(ec2, NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": net.subnet_id, "Groups": [net.group_id],
        "AssociatePublicIpAddress": False}])
    private = Network(ec2, cidr="10.1.0.0/16", map_public=False)
    with_ip = run_one(ec2, NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": private.subnet_id, "Groups": [private.group_id],
        "AssociatePublicIpAddress": True}])
    a, b = wait_state(ec2, [without, with_ip], "running")
    by_id = {a["InstanceId"]: a, b["InstanceId"]: b}
    assert "PublicIpAddress" not in by_id[without]
    assert "Association" not in by_id[without]["NetworkInterfaces"][0]
    assert by_id[with_ip]["PublicIpAddress"].startswith("198.51.100.")
    assert by_id[with_ip]["NetworkInterfaces"][0]["Association"]["PublicIp"] == by_id[with_ip]["PublicIpAddress"]


def test_top_level_subnet_groups_and_private_ip(ec2: Any) -> None:
    net = Network(ec2, map_public=False)
    instance_id = run_one(ec2, SubnetId=net.subnet_id, SecurityGroupIds=[net.group_id],
                          PrivateIpAddress="10.0.1.50")
    (i,) = describe(ec2, instance_id)
    assert i["PrivateIpAddress"] == "10.0.1.50"
    assert i["SubnetId"] == net.subnet_id
    assert [g["GroupId"] for g in i["SecurityGroups"]] == [net.group_id]
    assert "PublicIpAddress" not in i


def test_security_group_names_resolve_in_the_default_vpc(ec2: Any) -> None:
    instance_id = run_one(ec2, SecurityGroups=["default"])
    (i,) = describe(ec2, instance_id)
    assert i["SecurityGroups"][0]["GroupName"] == "default"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"ImageId": "ami-0123456789abcdef0"}, "InvalidAMIID.NotFound"),
        ({"ImageId": "image-1"}, "InvalidAMIID.Malformed"),
        ({"InstanceType": "t9.huge"}, "InvalidParameterValue"),
        ({"ImageId": DEBIAN_ARM64, "InstanceType": "t3.small"}, "InvalidParameterValue"),
        ({"KeyName": "nope"}, "InvalidKeyPair.NotFound"),
        ({"SubnetId": "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound"),
        ({"SecurityGroupIds": ["sg-0123456789abcdef0"]}, "InvalidGroup.NotFound"),
        ({"SecurityGroups": ["no-such-group"]}, "InvalidGroup.NotFound"),
        ({"Placement": {"GroupName": "nope"}}, "InvalidPlacementGroup.Unknown"),
        ({"Placement": {"AvailabilityZone": "ap-southeast-2z"}}, "InvalidParameterValue"),
        ({"MinCount": 3, "MaxCount": 2}, "InvalidParameterValue"),
        ({"MinCount": 0, "MaxCount": 2}, "InvalidParameterValue"),
        ({"InstanceType": "m5.large", "CreditSpecification": {"CpuCredits": "unlimited"}},
         "InvalidParameterCombination"),
        ({"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]},
         "InvalidParameterValue"),
        ({"MetadataOptions": {"HttpPutResponseHopLimit": 65}}, "InvalidParameterValue"),
        ({"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 4}}]},
         "InvalidParameterValue"),
        ({"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "NoDevice": ""}]},
         "InvalidBlockDeviceMapping"),
        ({"LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0"}},
         "InvalidLaunchTemplateId.NotFound"),
    ],
)
def test_run_instances_validation_errors(ec2: Any, kwargs: dict[str, Any], code: str) -> None:
    before = counts(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2, **kwargs)
    assert code_of(exc) == code, message_of(exc)
    assert counts(ec2) == before
    assert describe(ec2) == []


def test_exact_messages_of_common_errors(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        run(ec2, InstanceType="t9.huge")
    assert message_of(exc) == "Invalid value 't9.huge' for InstanceType."
    with pytest.raises(ClientError) as exc:
        run(ec2, KeyName="nope")
    assert message_of(exc) == "The key pair 'nope' does not exist"
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
    assert code_of(exc) == "InvalidInstanceID.NotFound"
    assert message_of(exc) == "The instance ID 'i-0123456789abcdef0' does not exist"
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0", "i-0123456789abcdef1"])
    assert message_of(exc) == "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(InstanceIds=["i-zz"])
    assert code_of(exc) == "InvalidInstanceID.Malformed"
    assert message_of(exc) == 'Invalid id: "i-zz"'


def test_network_interfaces_and_instance_level_subnet_are_exclusive(ec2: Any) -> None:
    net = Network(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2, SubnetId=net.subnet_id,
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.subnet_id}])
    assert code_of(exc) == "InvalidParameterCombination"
    assert message_of(exc) == (
        "Network interfaces and an instance-level subnet ID may not be specified on the same request"
    )
    with pytest.raises(ClientError) as exc:
        run(ec2, SecurityGroupIds=[net.group_id],
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.subnet_id}])
    assert code_of(exc) == "InvalidParameterCombination"


def test_group_of_another_vpc_is_refused(ec2: Any) -> None:
    net = Network(ec2)
    other = Network(ec2, cidr="10.9.0.0/16")
    with pytest.raises(ClientError) as exc:
        run(ec2, SubnetId=net.subnet_id, SecurityGroupIds=[other.group_id])
    assert code_of(exc) == "InvalidParameter"
    assert message_of(exc) == (
        f"Security group {other.group_id} and subnet {net.subnet_id} belong to different networks."
    )


def test_invalid_user_data_base64(gateway: RunningGateway, ec2: Any) -> None:
    creds = gateway.admin
    answer = send(
        gateway.url,
        f"Action=RunInstances&Version=2016-11-15&ImageId={DEBIAN_AMD64}&InstanceType=t3.small"
        "&MinCount=1&MaxCount=1&UserData=%25%25not-base64",
        access_key=creds.access_key_id, secret_key=creds.secret_access_key,
    )
    assert answer.status == 400
    assert "<Code>InvalidParameterValue</Code>" in answer.text
    assert "Invalid BASE64 encoding of user data." in answer.text


def test_tag_specifications_for_instance_volume_and_interface(ec2: Any) -> None:
    instance_id = run_one(ec2, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "i"}]},
        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "v"}]},
        {"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "n"}]},
    ])
    (i,) = describe(ec2, instance_id)
    assert i["Tags"] == [{"Key": "Name", "Value": "i"}]
    volume_id = i["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Tags"] == [{"Key": "Name", "Value": "v"}]
    eni_id = i["NetworkInterfaces"][0]["NetworkInterfaceId"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    assert eni["TagSet"] == [{"Key": "Name", "Value": "n"}]
    # The one tag store: CreateTags shows up in DescribeInstances and DescribeTags.
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "env", "Value": "test"}])
    (i,) = describe(ec2, instance_id)
    assert {"Key": "env", "Value": "test"} in i["Tags"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance_id]}])["Tags"]
    assert {(t["Key"], t["Value"], t["ResourceType"]) for t in tags} == {
        ("Name", "i", "instance"), ("env", "test", "instance")
    }


def test_client_token_is_idempotent(ec2: Any) -> None:
    first = run(ec2, ClientToken="same-token", MaxCount=2)
    second = run(ec2, ClientToken="same-token", MaxCount=2)
    assert first["ReservationId"] == second["ReservationId"]
    assert [i["InstanceId"] for i in first["Instances"]] == [i["InstanceId"] for i in second["Instances"]]
    assert len(describe(ec2)) == 2
    with pytest.raises(ClientError) as exc:
        run(ec2, ClientToken="same-token", MaxCount=3)
    assert code_of(exc) == "IdempotentParameterMismatch"
    assert message_of(exc) == (
        "Arguments on this idempotent request are inconsistent with arguments used in previous request(s)."
    )


def test_client_token_race_launches_once(gateway: RunningGateway) -> None:
    def launch(_: int) -> str:
        return str(run(gateway.client("ec2"), ClientToken="race")["ReservationId"])

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        reservations = set(pool.map(launch, range(10)))
    assert len(reservations) == 1
    assert len(describe(gateway.client("ec2"))) == 1


def test_client_token_launches_once_across_gateways_on_one_store(
    tmp_path: Path, nats_server: Any
) -> None:
    """Two gateway processes (two Runtimes and apps) sharing one NATS store launch once per token."""

    async def nats() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    prefix = f"t{free_port()}"
    first = start_gateway(nats, tmp_path, bucket_prefix=prefix)
    try:
        second = start_gateway(nats, tmp_path, bucket_prefix=prefix, builtin_node=False)
        try:
            clients = [g.client("ec2") for g in (first, second) for _ in range(4)]
            for gateway in (first, second):  # the account's default VPC, made once, first
                gateway.client("ec2").describe_vpcs()

            def launch(client: Any) -> str:
                return str(run(client, ClientToken="shared", MaxCount=2)["ReservationId"])

            with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
                reservations = set(pool.map(launch, clients))
            assert len(reservations) == 1
            assert len(describe(first.client("ec2"))) == 2 == len(describe(second.client("ec2")))
            with pytest.raises(ClientError) as exc:
                run(second.client("ec2"), ClientToken="shared", MaxCount=3)
            assert code_of(exc) == "IdempotentParameterMismatch"
        finally:
            second._stop()
    finally:
        first._stop()


def test_min_and_max_count(ec2: Any) -> None:
    reservation = run(ec2, MinCount=2, MaxCount=3)
    assert len(reservation["Instances"]) == 3
    assert sorted(i["AmiLaunchIndex"] for i in reservation["Instances"]) == [0, 1, 2]
    assert len({i["PrivateIpAddress"] for i in reservation["Instances"]}) == 3
    found = ec2.describe_instances(Filters=[{"Name": "reservation-id", "Values": [reservation["ReservationId"]]}])
    assert len(found["Reservations"]) == 1 and len(found["Reservations"][0]["Instances"]) == 3


def test_capacity_launches_as_many_as_fit(small_gateway: RunningGateway) -> None:
    ec2 = small_gateway.client("ec2")
    reservation = run(ec2, MinCount=1, MaxCount=5)
    assert len(reservation["Instances"]) == 2  # 4 vCPUs / 2 per t3.small
    before = counts(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert message_of(exc).startswith(
        f"We currently do not have sufficient t3.small capacity in the Availability Zone you requested ({ZONE})."
    )
    assert counts(ec2) == before
    assert len(describe(ec2)) == 2
    # A smaller type still fits nowhere (no vCPU left), a terminated instance frees its share.
    ids = [i["InstanceId"] for i in reservation["Instances"]]
    ec2.terminate_instances(InstanceIds=ids[:1])
    wait_state(ec2, ids[:1], "terminated")
    assert run(ec2)["Instances"][0]["State"]["Name"] == "pending"


def test_min_count_above_capacity_leaves_nothing_behind(small_gateway: RunningGateway) -> None:
    ec2 = small_gateway.client("ec2")
    before = counts(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2, MinCount=3, MaxCount=3)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert counts(ec2) == before
    assert describe(ec2) == []


def test_no_daemon_means_insufficient_capacity(no_daemon: RunningGateway) -> None:
    ec2 = no_daemon.client("ec2")
    before = counts(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert counts(ec2) == before
    assert describe(ec2) == []


def test_spread_group_puts_one_instance_per_host(three_nodes: RunningGateway) -> None:
    ec2 = three_nodes.client("ec2")
    ec2.create_placement_group(GroupName="spread", Strategy="spread")
    reservation = run(ec2, Placement={"GroupName": "spread"}, MinCount=1, MaxCount=5)
    assert len(reservation["Instances"]) == 3
    records = three_nodes.run(instances.current_records(context(three_nodes)))
    # Hosts go round-robin over the three zones: node1, node4 and node7 are ZONE's three.
    assert sorted(r["node"] for r in records) == ["node1", "node4", "node7"]
    before = counts(ec2)
    with pytest.raises(ClientError) as exc:
        run(ec2, Placement={"GroupName": "spread"})
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert "spread placement group 'spread'" in message_of(exc)
    assert counts(ec2) == before
    # Another group (and no group) still use the same hosts.
    ec2.create_placement_group(GroupName="other", Strategy="spread")
    assert len(run(ec2, Placement={"GroupName": "other"}, MaxCount=3)["Instances"]) == 3
    # Terminating one member frees its host for the group.
    ids = [i["InstanceId"] for i in reservation["Instances"]]
    ec2.terminate_instances(InstanceIds=ids[:1])
    wait_state(ec2, ids[:1], "terminated")
    assert len(run(ec2, Placement={"GroupName": "spread"})["Instances"]) == 1


def test_spread_group_race(three_nodes: RunningGateway) -> None:
    three_nodes.client("ec2").create_placement_group(GroupName="race", Strategy="spread")

    def launch(_: int) -> str:
        try:
            run(three_nodes.client("ec2"), Placement={"GroupName": "race"})
            return "ok"
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(launch, range(10)))
    assert outcomes.count("ok") == 3
    assert outcomes.count("InsufficientInstanceCapacity") == 7


def test_min_count_above_spread_hosts(three_nodes: RunningGateway) -> None:
    ec2 = three_nodes.client("ec2")
    ec2.create_placement_group(GroupName="s", Strategy="spread")
    with pytest.raises(ClientError) as exc:
        run(ec2, Placement={"GroupName": "s"}, MinCount=4, MaxCount=4)
    assert code_of(exc) == "InsufficientInstanceCapacity"
    assert describe(ec2) == []


def test_cluster_group_uses_one_host(three_nodes: RunningGateway) -> None:
    ec2 = three_nodes.client("ec2")
    ec2.create_placement_group(GroupName="c", Strategy="cluster")
    run(ec2, InstanceType="m5.large", Placement={"GroupName": "c"}, MaxCount=3)
    run(ec2, InstanceType="m5.large", Placement={"GroupName": "c"})
    records = three_nodes.run(instances.current_records(context(three_nodes)))
    assert len({r["node"] for r in records}) == 1
    with pytest.raises(ClientError) as exc:
        run(ec2, InstanceType="t3.small", Placement={"GroupName": "c"})
    assert code_of(exc) == "InvalidParameterCombination"


def test_root_volume_override_and_delete_on_termination(ec2: Any) -> None:
    instance_id = run_one(ec2, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp2",
                                            "DeleteOnTermination": False}},
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 5, "VolumeType": "gp3"}},
    ])
    (i,) = wait_state(ec2, [instance_id], "running")
    by_device = {b["DeviceName"]: b["Ebs"] for b in i["BlockDeviceMappings"]}
    assert set(by_device) == {"/dev/xvda", "/dev/sdf"}
    root = ec2.describe_volumes(VolumeIds=[by_device["/dev/xvda"]["VolumeId"]])["Volumes"][0]
    assert (root["Size"], root["VolumeType"]) == (20, "gp2")
    assert by_device["/dev/xvda"]["DeleteOnTermination"] is False
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "terminated")
    time.sleep(1.2)
    root = ec2.describe_volumes(VolumeIds=[by_device["/dev/xvda"]["VolumeId"]])["Volumes"][0]
    assert root["State"] == "available" and root["Attachments"] == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(VolumeIds=[by_device["/dev/sdf"]["VolumeId"]])
    assert code_of(exc) == "InvalidVolume.NotFound"


# --- DescribeInstances -----------------------------------------------------------------------------


def test_every_filter_name_is_accepted_and_matches(ec2: Any) -> None:
    net = Network(ec2)
    ec2.import_key_pair(KeyName="k", PublicKeyMaterial=ed25519_public_key().encode())
    ec2.create_placement_group(GroupName="pg", Strategy="spread")
    target = run_one(ec2, KeyName="k", Placement={"GroupName": "pg"},
                     NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.subnet_id,
                                         "Groups": [net.group_id], "AssociatePublicIpAddress": True}],
                     TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "t"}]}])
    other = run_one(ec2, InstanceType="t2.micro")
    wait_state(ec2, [target, other], "running")
    reservation = ec2.describe_instances(InstanceIds=[target])["Reservations"][0]
    api = reservation["Instances"][0]
    # boto3 parsed the wire form; the filter engine sees the gateway's form. Re-render through the
    # gateway's own extractors on the parsed instance (timestamps formatted like the filters do).
    row = instances.Row({"ReservationId": reservation["ReservationId"], "OwnerId": reservation["OwnerId"]}, api)
    checked = 0
    for name, extract in instances.INSTANCE_FILTERS.fields.items():
        value = extract(row)
        values = value if isinstance(value, list) else [value]
        values = [instances._ts(v) for v in values if v is not None]
        answer = describe(ec2, Filters=[{"Name": name, "Values": [str(v).lower() if isinstance(v, bool) else str(v) for v in values] or ["no-such-value"]}])
        if values:
            assert target in [i["InstanceId"] for i in answer], name
            checked += 1
        else:
            assert target not in [i["InstanceId"] for i in answer], name
    assert checked > 80


@pytest.mark.parametrize(
    ("filter_name", "value_of", "matches_other"),
    [
        ("instance-state-name", lambda i: "running", True),
        ("instance-state-code", lambda i: "16", True),
        ("instance-type", lambda i: "t3.small", False),
        ("tag:Name", lambda i: "t*", False),
        ("tag-key", lambda i: "Name", False),
        ("vpc-id", lambda i: i["VpcId"], False),
        ("subnet-id", lambda i: i["SubnetId"], False),
        ("ip-address", lambda i: i["PublicIpAddress"], False),
        ("private-ip-address", lambda i: i["PrivateIpAddress"], False),
        ("network-interface.network-interface-id", lambda i: i["NetworkInterfaces"][0]["NetworkInterfaceId"], False),
        ("network-interface.addresses.association.public-ip", lambda i: i["PublicIpAddress"], False),
        ("instance.group-id", lambda i: i["SecurityGroups"][0]["GroupId"], False),
        ("instance.group-name", lambda i: "ssh", False),
        ("placement-group-name", lambda i: "pg", False),
        ("availability-zone", lambda i: ZONE, True),
        ("architecture", lambda i: "x86_64", True),
        ("root-device-type", lambda i: "ebs", True),
        ("owner-id", lambda i: "000000000001", True),
        ("image-id", lambda i: DEBIAN_AMD64, True),
        ("key-name", lambda i: "k", False),
        ("launch-time", lambda i: "20*", True),
        ("block-device-mapping.device-name", lambda i: "/dev/xvda", True),
    ],
)
def test_filter_semantics(ec2: Any, filter_name: str, value_of: Callable[[dict[str, Any]], str],
                          matches_other: bool) -> None:
    net = Network(ec2)
    ec2.import_key_pair(KeyName="k", PublicKeyMaterial=ed25519_public_key().encode())
    ec2.create_placement_group(GroupName="pg", Strategy="spread")
    target = run_one(ec2, KeyName="k", Placement={"GroupName": "pg"},
                     NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.subnet_id,
                                         "Groups": [net.group_id], "AssociatePublicIpAddress": True}],
                     TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "t"}]}])
    other = run_one(ec2, InstanceType="t2.micro")  # default VPC
    (api,) = [i for i in wait_state(ec2, [target, other], "running") if i["InstanceId"] == target]
    found = {i["InstanceId"] for i in describe(ec2, Filters=[{"Name": filter_name, "Values": [value_of(api)]}])}
    assert target in found
    assert (other in found) is matches_other


def test_unknown_filter_is_refused(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code_of(exc) == "InvalidParameterValue"
    assert message_of(exc) == "The filter 'no-such-filter' is invalid"


def test_pagination(ec2: Any) -> None:
    ids = {i["InstanceId"] for i in run(ec2, MaxCount=6)["Instances"]}
    first = ec2.describe_instances(MaxResults=5)
    assert len(instances_of(first)) == 5 and first["NextToken"]
    second = ec2.describe_instances(MaxResults=5, NextToken=first["NextToken"])
    assert len(instances_of(second)) == 1 and "NextToken" not in second
    assert {i["InstanceId"] for i in instances_of(first) + instances_of(second)} == ids
    paged = {i["InstanceId"] for page in ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": 5}) for r in page["Reservations"] for i in r["Instances"]}
    assert paged == ids
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(InstanceIds=sorted(ids)[:1], MaxResults=5)
    assert code_of(exc) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(MaxResults=5, NextToken="bogus")
    assert code_of(exc) == "InvalidPaginationToken"


def test_tenant_isolation(gateway: RunningGateway, ec2: Any) -> None:
    instance_id = run_one(ec2)
    other = gateway.client("ec2", creds=gateway.create_account("tenant"))
    assert describe(other) == []
    for call in (
        lambda: other.describe_instances(InstanceIds=[instance_id]),
        lambda: other.terminate_instances(InstanceIds=[instance_id]),
        lambda: other.stop_instances(InstanceIds=[instance_id]),
        lambda: other.describe_instance_attribute(InstanceId=instance_id, Attribute="userData"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "InvalidInstanceID.NotFound"
        assert message_of(exc) == f"The instance ID '{instance_id}' does not exist"
    assert describe(ec2, instance_id)[0]["State"]["Name"] in ("pending", "running")


# --- lifecycle -----------------------------------------------------------------------------------------


def test_a_pending_instance_cannot_be_stopped(tmp_path: Path) -> None:
    # A pending window long enough that a loaded machine still answers inside it.
    running = custom_gateway(tmp_path, pending_seconds=30)
    try:
        ec2 = running.client("ec2")
        instance_id = run_one(ec2)
        with pytest.raises(ClientError) as exc:
            ec2.stop_instances(InstanceIds=[instance_id])
        assert code_of(exc) == "IncorrectInstanceState"
    finally:
        running._stop()


def test_stop_start_cycle(ec2: Any) -> None:
    instance_id = run_one(ec2)
    (i,) = wait_state(ec2, [instance_id], "running")
    assert i["PublicIpAddress"]
    stopping = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"]
    assert stopping == [{"InstanceId": instance_id, "CurrentState": {"Code": 64, "Name": "stopping"},
                         "PreviousState": {"Code": 16, "Name": "running"}}]
    (i,) = wait_state(ec2, [instance_id], "stopped")
    assert i["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert i["StateTransitionReason"].startswith("User initiated (")
    assert "PublicIpAddress" not in i  # the auto-assigned public IP goes back to the pool
    again = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
    assert again["CurrentState"]["Name"] == again["PreviousState"]["Name"] == "stopped"
    starting = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"]
    assert starting == [{"InstanceId": instance_id, "CurrentState": {"Code": 0, "Name": "pending"},
                         "PreviousState": {"Code": 80, "Name": "stopped"}}]
    (i,) = wait_state(ec2, [instance_id], "running")
    assert i.get("PublicIpAddress")  # a public IP again (the pool may hand back the same one)
    assert "StateReason" not in i
    noop = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
    assert noop["CurrentState"]["Name"] == noop["PreviousState"]["Name"] == "running"


def test_reboot_keeps_running_and_shows_in_console(ec2: Any) -> None:
    instance_id = run_one(ec2)
    wait_state(ec2, [instance_id], "running")
    ec2.reboot_instances(InstanceIds=[instance_id])
    (i,) = describe(ec2, instance_id)
    assert i["State"]["Name"] == "running"
    console = ec2.get_console_output(InstanceId=instance_id)
    assert console["InstanceId"] == instance_id
    assert "reboot: Restarting system" in console["Output"]
    assert f"instance-id: {instance_id}" in console["Output"]


def test_terminate_releases_interfaces_volumes_and_addresses(ec2: Any) -> None:
    net = Network(ec2)
    instance_id = run_one(ec2, SubnetId=net.subnet_id, SecurityGroupIds=[net.group_id])
    wait_state(ec2, [instance_id], "running")
    allocation = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=allocation["AllocationId"], InstanceId=instance_id)
    changes = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"]
    assert changes == [{"InstanceId": instance_id, "CurrentState": {"Code": 32, "Name": "shutting-down"},
                        "PreviousState": {"Code": 16, "Name": "running"}}]
    (t,) = wait_state(ec2, [instance_id], "terminated")
    assert t["State"] == {"Code": 48, "Name": "terminated"}
    assert t["NetworkInterfaces"] == [] and t["BlockDeviceMappings"] == []
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net.subnet_id]}])[
        "NetworkInterfaces"] == []
    address = ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"][0]
    assert "AssociationId" not in address and "InstanceId" not in address
    again = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == again["PreviousState"]["Name"] == "terminated"
    with pytest.raises(ClientError) as exc:
        ec2.stop_instances(InstanceIds=[instance_id])
    assert code_of(exc) == "IncorrectInstanceState"
    with pytest.raises(ClientError) as exc:
        ec2.start_instances(InstanceIds=[instance_id])
    assert code_of(exc) == "IncorrectInstanceState"
    # Everything it used can go now (the provider's destroy order).
    ec2.release_address(AllocationId=allocation["AllocationId"])
    ec2.delete_security_group(GroupId=net.group_id)
    ec2.delete_subnet(SubnetId=net.subnet_id)
    ec2.detach_internet_gateway(InternetGatewayId=net.igw_id, VpcId=net.vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=net.igw_id)
    ec2.delete_vpc(VpcId=net.vpc_id)


def test_terminated_instances_vanish_after_the_retention(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance_id = run_one(ec2)
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "terminated")
    timings(monkeypatch, gateway, terminated_retention=0.5)
    time.sleep(0.7)
    with pytest.raises(ClientError) as exc:
        ec2.describe_instances(InstanceIds=[instance_id])
    assert code_of(exc) == "InvalidInstanceID.NotFound"
    assert describe(ec2) == []


def test_instance_past_retention_is_gone_for_tags(
    ec2: Any, gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A terminated instance takes tags during its retention; past it the id is unknown to
    CreateTags and DescribeTags as to DescribeInstances (the instance kind's liveness rule)."""
    instance_id = run_one(ec2)
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "terminated")
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "env", "Value": "prod"}])
    by_id = [{"Name": "resource-id", "Values": [instance_id]}]
    assert [t["Key"] for t in ec2.describe_tags(Filters=by_id)["Tags"]] == ["env"]
    timings(monkeypatch, gateway, terminated_retention=0.5)
    time.sleep(0.7)
    with pytest.raises(ClientError) as exc:
        ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "team", "Value": "a"}])
    assert code_of(exc) == "InvalidInstanceID.NotFound"
    assert ec2.describe_tags(Filters=by_id)["Tags"] == []
    assert instance_id not in {t["ResourceId"] for t in ec2.describe_tags()["Tags"]}


def test_terminate_a_stopped_instance(ec2: Any) -> None:
    instance_id = run_one(ec2)
    wait_state(ec2, [instance_id], "running")
    ec2.stop_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "stopped")
    change = ec2.terminate_instances(InstanceIds=[instance_id])["TerminatingInstances"][0]
    assert change["PreviousState"]["Name"] == "stopped"
    assert change["CurrentState"]["Name"] == "shutting-down"
    (t,) = wait_state(ec2, [instance_id], "terminated")
    assert t["NetworkInterfaces"] == []


def test_termination_and_stop_protection(ec2: Any) -> None:
    instance_id = run_one(ec2, DisableApiTermination=True)
    wait_state(ec2, [instance_id], "running")
    with pytest.raises(ClientError) as exc:
        ec2.terminate_instances(InstanceIds=[instance_id])
    assert code_of(exc) == "OperationNotPermitted"
    assert message_of(exc) == (
        f"The instance '{instance_id}' may not be terminated. Modify its 'disableApiTermination' "
        "instance attribute and try again."
    )
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiStop={"Value": True})
    with pytest.raises(ClientError) as exc:
        ec2.stop_instances(InstanceIds=[instance_id])
    assert code_of(exc) == "OperationNotPermitted"
    assert "'disableApiStop'" in message_of(exc)
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "terminated")


def test_lifecycle_errors_for_unknown_ids(ec2: Any) -> None:
    for call in (ec2.stop_instances, ec2.start_instances, ec2.terminate_instances, ec2.reboot_instances):
        with pytest.raises(ClientError) as exc:
            call(InstanceIds=["i-0123456789abcdef0"])
        assert code_of(exc) == "InvalidInstanceID.NotFound"
    known = run_one(ec2)
    with pytest.raises(ClientError) as exc:  # nothing happens to the known one either
        ec2.terminate_instances(InstanceIds=[known, "i-0123456789abcdef0"])
    assert code_of(exc) == "InvalidInstanceID.NotFound"
    assert describe(ec2, known)[0]["State"]["Name"] in ("pending", "running")


def test_monitor_and_unmonitor(ec2: Any) -> None:
    instance_id = run_one(ec2)
    assert ec2.monitor_instances(InstanceIds=[instance_id])["InstanceMonitorings"] == [
        {"InstanceId": instance_id, "Monitoring": {"State": "enabled"}}]
    assert describe(ec2, instance_id)[0]["Monitoring"]["State"] == "enabled"
    ec2.unmonitor_instances(InstanceIds=[instance_id])
    assert describe(ec2, instance_id)[0]["Monitoring"]["State"] == "disabled"


# --- status ------------------------------------------------------------------------------------------------


def test_describe_instance_status(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings(monkeypatch, gateway, status_initializing=0.0)
    running_id = run_one(ec2)
    stopped_id = run_one(ec2)
    wait_state(ec2, [running_id, stopped_id], "running")
    ec2.stop_instances(InstanceIds=[stopped_id])
    wait_state(ec2, [stopped_id], "stopped")
    statuses = ec2.describe_instance_status()["InstanceStatuses"]
    assert [s["InstanceId"] for s in statuses] == [running_id]
    (status,) = statuses
    assert status["InstanceState"] == {"Code": 16, "Name": "running"}
    assert status["InstanceStatus"] == {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
    assert status["SystemStatus"]["Status"] == "ok"
    assert status["AvailabilityZone"] == ZONE
    every = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert {s["InstanceId"]: s["InstanceStatus"]["Status"] for s in every} == {
        running_id: "ok", stopped_id: "not-applicable"}
    filtered = ec2.describe_instance_status(
        IncludeAllInstances=True, Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])
    assert [s["InstanceId"] for s in filtered["InstanceStatuses"]] == [stopped_id]
    by_status = ec2.describe_instance_status(Filters=[{"Name": "instance-status.reachability", "Values": ["passed"]}])
    assert [s["InstanceId"] for s in by_status["InstanceStatuses"]] == [running_id]
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_status(InstanceIds=["i-0123456789abcdef0"])
    assert code_of(exc) == "InvalidInstanceID.NotFound"


def test_status_initializing_right_after_start(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings(monkeypatch, gateway, status_initializing=60.0)
    instance_id = run_one(ec2)
    wait_state(ec2, [instance_id], "running")
    (status,) = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    assert status["InstanceStatus"]["Status"] == "initializing"


# --- attributes ------------------------------------------------------------------------------------------


ATTRIBUTE_MEMBERS = {
    "instanceType": "InstanceType", "kernel": "KernelId", "ramdisk": "RamdiskId",
    "userData": "UserData", "disableApiTermination": "DisableApiTermination",
    "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
    "rootDeviceName": "RootDeviceName", "blockDeviceMapping": "BlockDeviceMappings",
    "productCodes": "ProductCodes", "sourceDestCheck": "SourceDestCheck", "groupSet": "Groups",
    "ebsOptimized": "EbsOptimized", "sriovNetSupport": "SriovNetSupport", "enaSupport": "EnaSupport",
    "enclaveOptions": "EnclaveOptions", "disableApiStop": "DisableApiStop",
}


def test_every_instance_attribute(ec2: Any) -> None:
    enum = operation_model("ec2", "DescribeInstanceAttribute").input_shape.members["Attribute"].enum
    assert set(enum) == set(ATTRIBUTE_MEMBERS)
    user_data = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
    instance_id = run_one(ec2, UserData="#!/bin/sh\necho hello\n")
    wait_state(ec2, [instance_id], "running")
    answers = {a: ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=a) for a in enum}
    for attribute, member in ATTRIBUTE_MEMBERS.items():
        assert answers[attribute]["InstanceId"] == instance_id
        assert member in answers[attribute], attribute
    assert answers["userData"]["UserData"] == {"Value": user_data}
    assert answers["disableApiStop"]["DisableApiStop"] == {"Value": False}
    assert answers["disableApiTermination"]["DisableApiTermination"] == {"Value": False}
    assert answers["instanceInitiatedShutdownBehavior"]["InstanceInitiatedShutdownBehavior"] == {"Value": "stop"}
    assert answers["instanceType"]["InstanceType"] == {"Value": "t3.small"}
    assert answers["rootDeviceName"]["RootDeviceName"] == {"Value": "/dev/xvda"}
    assert answers["blockDeviceMapping"]["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    assert answers["sourceDestCheck"]["SourceDestCheck"] == {"Value": True}
    assert answers["groupSet"]["Groups"][0]["GroupName"] == "default"
    assert answers["ebsOptimized"]["EbsOptimized"] == {"Value": False}
    assert answers["enaSupport"]["EnaSupport"] == {"Value": True}
    assert answers["enclaveOptions"]["EnclaveOptions"] == {"Enabled": False}
    assert answers["productCodes"]["ProductCodes"] == []
    assert answers["kernel"]["KernelId"] == {}


def test_user_data_absent_reads_as_empty(ec2: Any) -> None:
    instance_id = run_one(ec2)
    assert ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"] == {}


def test_modify_each_attribute(ec2: Any) -> None:
    net = Network(ec2)
    second_group = ec2.create_security_group(GroupName="web", Description="web", VpcId=net.vpc_id)["GroupId"]
    instance_id = run_one(ec2, SubnetId=net.subnet_id, SecurityGroupIds=[net.group_id])
    wait_state(ec2, [instance_id], "running")

    def attribute(name: str) -> Any:
        return ec2.describe_instance_attribute(InstanceId=instance_id, Attribute=name)

    ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False})
    assert attribute("sourceDestCheck")["SourceDestCheck"] == {"Value": False}
    (i,) = describe(ec2, instance_id)
    assert i["SourceDestCheck"] is False and i["NetworkInterfaces"][0]["SourceDestCheck"] is False
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceInitiatedShutdownBehavior={"Value": "terminate"})
    assert attribute("instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"] == {"Value": "terminate"}
    ec2.modify_instance_attribute(InstanceId=instance_id, Groups=[net.group_id, second_group])
    assert {g["GroupId"] for g in attribute("groupSet")["Groups"]} == {net.group_id, second_group}
    assert {g["GroupId"] for g in describe(ec2, instance_id)[0]["SecurityGroups"]} == {net.group_id, second_group}
    # the legacy Attribute/Value form
    ec2.modify_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination", Value="true")
    assert attribute("disableApiTermination")["DisableApiTermination"] == {"Value": True}
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    # root volume delete-on-termination lives in the volume record
    ec2.modify_instance_attribute(InstanceId=instance_id, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}}])
    (bdm,) = describe(ec2, instance_id)[0]["BlockDeviceMappings"]
    assert bdm["Ebs"]["DeleteOnTermination"] is False
    # type, user data, EBS optimisation: only while stopped
    for kwargs in ({"InstanceType": {"Value": "t3.medium"}}, {"UserData": {"Value": b"x"}},
                   {"EbsOptimized": {"Value": True}}):
        with pytest.raises(ClientError) as exc:
            ec2.modify_instance_attribute(InstanceId=instance_id, **kwargs)
        assert code_of(exc) == "IncorrectInstanceState"
        assert message_of(exc) == f"The instance '{instance_id}' is not in the 'stopped' state."
    ec2.stop_instances(InstanceIds=[instance_id])
    wait_state(ec2, [instance_id], "stopped")
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t3.medium"})
    ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#cloud-config\n"})
    ec2.modify_instance_attribute(InstanceId=instance_id, EbsOptimized={"Value": True})
    assert attribute("instanceType")["InstanceType"] == {"Value": "t3.medium"}
    assert attribute("userData")["UserData"] == {"Value": base64.b64encode(b"#cloud-config\n").decode()}
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t4g.small"})
    assert code_of(exc) == "InvalidInstanceAttributeValue"
    ec2.start_instances(InstanceIds=[instance_id])
    (i,) = wait_state(ec2, [instance_id], "running")
    assert i["InstanceType"] == "t3.medium" and i["EbsOptimized"] is True


def test_modify_attribute_errors(ec2: Any) -> None:
    instance_id = run_one(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_attribute(InstanceId=instance_id, SourceDestCheck={"Value": False},
                                      DisableApiStop={"Value": True})
    assert code_of(exc) == "InvalidParameterCombination"
    assert message_of(exc) == "Fields for multiple attribute types specified: sourceDestCheck, disableApiStop"
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_attribute(InstanceId=instance_id)
    assert code_of(exc) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_attribute(InstanceId=instance_id, Kernel={"Value": "aki-12345678"})
    assert code_of(exc) == "UnsupportedOperation"
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_attribute(InstanceId="i-0123456789abcdef0", SourceDestCheck={"Value": False})
    assert code_of(exc) == "InvalidInstanceID.NotFound"


# --- credits and metadata options ------------------------------------------------------------------------


def test_credit_specifications(ec2: Any) -> None:
    t3 = run_one(ec2)
    t2 = run_one(ec2, InstanceType="t2.micro")
    standard = run_one(ec2, CreditSpecification={"CpuCredits": "standard"})
    m5 = run_one(ec2, InstanceType="m5.large")
    specs = ec2.describe_instance_credit_specifications()["InstanceCreditSpecifications"]
    assert {s["InstanceId"]: s["CpuCredits"] for s in specs} == {
        t3: "unlimited", t2: "standard", standard: "standard"}
    result = ec2.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": t3, "CpuCredits": "standard"}, {"InstanceId": m5, "CpuCredits": "standard"}])
    assert result["SuccessfulInstanceCreditSpecifications"] == [{"InstanceId": t3}]
    (failed,) = result["UnsuccessfulInstanceCreditSpecifications"]
    assert failed["InstanceId"] == m5
    assert failed["Error"]["Code"] == "InstanceCreditSpecification.NotSupported"
    one = ec2.describe_instance_credit_specifications(InstanceIds=[t3])["InstanceCreditSpecifications"]
    assert one == [{"InstanceId": t3, "CpuCredits": "standard"}]
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_credit_specifications(InstanceIds=[m5])
    assert code_of(exc) == "UnsupportedOperation"
    filtered = ec2.describe_instance_credit_specifications(Filters=[{"Name": "instance-id", "Values": [t2]}])
    assert [s["InstanceId"] for s in filtered["InstanceCreditSpecifications"]] == [t2]


def test_metadata_options_pending_then_applied(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings(monkeypatch, gateway, metadata_apply=0.5)
    instance_id = run_one(ec2)
    answer = ec2.modify_instance_metadata_options(
        InstanceId=instance_id, HttpTokens="optional", HttpPutResponseHopLimit=3, InstanceMetadataTags="enabled")
    options = answer["InstanceMetadataOptions"]
    assert options["State"] == "pending"
    assert (options["HttpTokens"], options["HttpPutResponseHopLimit"], options["InstanceMetadataTags"]) == (
        "optional", 3, "enabled")
    time.sleep(0.6)
    assert describe(ec2, instance_id)[0]["MetadataOptions"]["State"] == "applied"
    with pytest.raises(ClientError) as exc:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpPutResponseHopLimit=99)
    assert code_of(exc) == "InvalidParameterValue"


def test_console_output_is_a_boot_log(ec2: Any) -> None:
    instance_id = run_one(ec2)
    (i,) = wait_state(ec2, [instance_id], "running")
    output = ec2.get_console_output(InstanceId=instance_id)["Output"]
    assert "Debian GNU/Linux 12" in output
    assert i["PrivateIpAddress"] in output
    with pytest.raises(ClientError) as exc:
        ec2.get_console_output(InstanceId="i-0123456789abcdef0")
    assert code_of(exc) == "InvalidInstanceID.NotFound"


# --- daemon state is the truth ------------------------------------------------------------------------------


def context(gateway: RunningGateway, account_id: str = "000000000001") -> Any:
    from hive_gateway.core.context import RequestContext

    return RequestContext(
        request_id="test", service="ec2", operation="Test", account_id=account_id,
        user_name="admin", access_key_id="AKIATEST", region=gateway.settings.region,
        runtime=gateway.runtime,
    )


def test_state_is_written_back_for_other_modules(gateway: RunningGateway, ec2: Any) -> None:
    instance_id = run_one(ec2)
    from hive_gateway.core import records

    record = gateway.run(records.get(context(gateway), instances.INSTANCE, instance_id))
    assert record["state"] == "pending"
    wait_state(ec2, [instance_id], "running")
    record = gateway.run(records.get(context(gateway), instances.INSTANCE, instance_id))
    assert record["state"] == "running"
    assert record["node"] in ("node1", "node4", "node7")  # the default: three hosts per zone
    assert record["availability_zone"] == ZONE and record["image_id"] == DEBIAN_AMD64
