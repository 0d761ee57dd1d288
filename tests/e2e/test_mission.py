"""The mission's Terraform configuration, replayed call by call as the AWS provider makes them.

``scripts/iac/aws/main.tf`` creates a key pair, a VPC stack (subnet, internet gateway, route table
with an inline default route and its association, a security group with inline ssh ingress and
all egress), a spread placement group and three t3.small instances with public IPs from the
Debian 12 AMI. This test replays the provider's calls (terraform-provider-calls.md §2–§14, §17):

1. **apply** — every Create, its waiter, and the Read after it (for instances the full §14 Read:
   DescribeInstances, DescribeInstanceTypes, the launch-template DescribeTags, DescribeVpcs,
   the four DescribeInstanceAttribute calls, DescribeVolumes, DescribeInstanceCreditSpecifications);
2. **plan** — a second full read, compared field by field with the first (no drift);
3. **destroy** — in dependency order with the provider's waiters and DependencyViolation retries;
4. nothing of ours is left (everything described again).

It runs three ways: against the in-process test gateway, against ``hive-gateway serve`` (built-in
node), and against ``hive-gateway serve --no-builtin-node`` plus ``hive-gateway node`` as
separate processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.fixtures.gateway import RunningGateway, free_port

REGION = "ap-southeast-2"
DEBIAN_OWNER = "136693071363"
ACCESS_KEY = "AKIAHIVEMISSION00001"
SECRET_KEY = "hive-mission-secret-key-000000000000000"


# --- plumbing -------------------------------------------------------------------------------------


def retry(call: Callable[[], Any], codes: tuple[str, ...], timeout: float = 60.0) -> Any:
    """The provider's retry on transient codes (DependencyViolation while ENIs go away …)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in codes or time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def gone(call: Callable[[], Any], codes: tuple[str, ...]) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] in codes
    return False


def public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def tags(name: str) -> list[dict[str, Any]]:
    return [{"Key": "Name", "Value": name}, {"Key": "mission", "Value": "hive"}]


def spec(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags(name)}]


def single(items: list[Any]) -> Any:
    assert len(items) == 1, items  # the provider's AssertSingleValueResult
    return items[0]


# --- the provider's reads (every field it sets in state) ------------------------------------------


def read_key_pair(ec2: Any, name: str) -> dict[str, Any]:
    key = single(ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"])
    return {k: key.get(k) for k in ("KeyFingerprint", "KeyName", "KeyPairId", "KeyType", "Tags")}


def read_vpc(ec2: Any, vpc_id: str) -> dict[str, Any]:
    vpc = single(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"])
    state = {k: vpc.get(k) for k in ("CidrBlock", "DhcpOptionsId", "InstanceTenancy", "IsDefault",
                                    "OwnerId", "Tags", "Ipv6CidrBlockAssociationSet")}
    for attribute, member in (("enableDnsSupport", "EnableDnsSupport"),
                              ("enableDnsHostnames", "EnableDnsHostnames"),
                              ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics")):
        state[attribute] = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[member]["Value"]
    state["default_network_acl_id"] = single(ec2.describe_network_acls(Filters=[
        {"Name": "default", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"])["NetworkAclId"]
    state["main_route_table_id"] = single(ec2.describe_route_tables(Filters=[
        {"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"])["RouteTableId"]
    state["default_security_group_id"] = single(ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"])["GroupId"]
    return state


def read_subnet(ec2: Any, subnet_id: str) -> dict[str, Any]:
    subnet = single(ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"])
    keys = ("AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "MapPublicIpOnLaunch",
            "AssignIpv6AddressOnCreation", "EnableDns64", "Ipv6Native", "OwnerId", "SubnetArn",
            "VpcId", "Tags", "MapCustomerOwnedIpOnLaunch", "EnableLniAtDeviceIndex",
            "PrivateDnsNameOptionsOnLaunch")
    return {k: subnet.get(k) for k in keys}


def read_internet_gateway(ec2: Any, igw_id: str) -> dict[str, Any]:
    igw = single(ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"])
    return {"Attachments": igw["Attachments"], "OwnerId": igw["OwnerId"], "Tags": igw["Tags"]}


def read_route_table(ec2: Any, rtb_id: str) -> dict[str, Any]:
    table = single(ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"])
    routes = sorted(
        ({k: r.get(k) for k in ("DestinationCidrBlock", "GatewayId", "Origin", "State")} for r in table["Routes"]),
        key=str,
    )
    return {"Routes": routes, "VpcId": table["VpcId"], "OwnerId": table["OwnerId"], "Tags": table["Tags"],
            "PropagatingVgws": table.get("PropagatingVgws")}


def read_association(ec2: Any, rtb_id: str, association_id: str) -> dict[str, Any]:
    table = single(ec2.describe_route_tables(Filters=[
        {"Name": "association.route-table-association-id", "Values": [association_id]}])["RouteTables"])
    association = single([a for a in table["Associations"] if a["RouteTableAssociationId"] == association_id])
    assert table["RouteTableId"] == rtb_id
    return {k: association.get(k) for k in ("RouteTableId", "SubnetId", "GatewayId", "AssociationState")}


def read_security_group(ec2: Any, group_id: str) -> dict[str, Any]:
    group = single(ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"])

    def rules(permissions: list[dict[str, Any]]) -> list[Any]:
        return sorted(
            ({k: p.get(k) for k in ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges",
                                    "UserIdGroupPairs", "PrefixListIds")} for p in permissions),
            key=str,
        )

    return {"Description": group["Description"], "GroupName": group["GroupName"], "VpcId": group["VpcId"],
            "OwnerId": group["OwnerId"], "Tags": group.get("Tags", []),
            "IpPermissions": rules(group["IpPermissions"]), "IpPermissionsEgress": rules(group["IpPermissionsEgress"])}


def read_placement_group(ec2: Any, name: str) -> dict[str, Any]:
    group = single(ec2.describe_placement_groups(GroupNames=[name])["PlacementGroups"])
    return {k: group.get(k) for k in ("GroupName", "PartitionCount", "GroupId", "SpreadLevel", "Strategy",
                                     "State", "Tags")}


def read_instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    """§14 Read, in the provider's order, keeping every field it puts in state."""
    instance = single(single(ec2.describe_instances(InstanceIds=[instance_id])["Reservations"])["Instances"])
    assert instance["InstanceId"] == instance_id and instance["State"]["Name"] != "terminated"
    type_info = single(ec2.describe_instance_types(InstanceTypes=[instance["InstanceType"]])["InstanceTypes"])
    launch_template = ec2.describe_tags(Filters=[
        {"Name": "key", "Values": ["aws:ec2launchtemplate:id"]},
        {"Name": "resource-id", "Values": [instance_id]}])["Tags"]
    assert launch_template == []
    primary = single([n for n in instance["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0])
    state: dict[str, Any] = {
        "instance_state": instance["State"]["Name"],
        "Placement": instance["Placement"],
        "CpuOptions": instance["CpuOptions"],
        "HibernationOptions": instance["HibernationOptions"],
        "EnclaveOptions": instance["EnclaveOptions"],
        "MaintenanceOptions": instance["MaintenanceOptions"],
        "MetadataOptions": instance["MetadataOptions"],
        "PrivateDnsNameOptions": instance["PrivateDnsNameOptions"],
        "ImageId": instance["ImageId"],
        "InstanceType": instance["InstanceType"],
        "KeyName": instance.get("KeyName"),
        "PublicDnsName": instance.get("PublicDnsName"),
        "PublicIpAddress": instance.get("PublicIpAddress"),
        "PrivateDnsName": instance.get("PrivateDnsName"),
        "PrivateIpAddress": instance.get("PrivateIpAddress"),
        "OutpostArn": instance.get("OutpostArn"),
        "IamInstanceProfile": instance.get("IamInstanceProfile"),
        "subnet_id": primary["SubnetId"],
        "primary_network_interface_id": primary["NetworkInterfaceId"],
        "ipv6_address_count": len(primary.get("Ipv6Addresses", [])),
        "source_dest_check": primary["SourceDestCheck"],
        "associate_public_ip_address": "Association" in primary,
        "secondary_private_ips": sorted(a["PrivateIpAddress"] for a in primary["PrivateIpAddresses"] if not a["Primary"]),
        "EbsOptimized": instance["EbsOptimized"],
        "SourceDestCheck": instance["SourceDestCheck"],
        "monitoring": instance["Monitoring"]["State"] in ("enabled", "pending"),
        "Tags": sorted(instance["Tags"], key=str),
        "CapacityReservationSpecification": instance["CapacityReservationSpecification"],
        "RootDeviceName": instance["RootDeviceName"],
    }
    vpc = single(ec2.describe_vpcs(VpcIds=[instance["VpcId"]])["Vpcs"])
    state["vpc_security_group_ids"] = sorted(g["GroupId"] for g in instance["SecurityGroups"])
    if vpc["IsDefault"]:
        state["security_groups"] = sorted(g["GroupName"] for g in instance["SecurityGroups"])
    state["instance_initiated_shutdown_behavior"] = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"]["Value"]
    ebs = [b for b in instance["BlockDeviceMappings"] if b.get("Ebs", {}).get("VolumeId")]
    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=[b["Ebs"]["VolumeId"] for b in ebs])["Volumes"]}
    state["block_devices"] = sorted(
        ({"device_name": b["DeviceName"], "delete_on_termination": b["Ebs"]["DeleteOnTermination"],
          "root": b["DeviceName"] == instance["RootDeviceName"],
          **{k: volumes[b["Ebs"]["VolumeId"]].get(k) for k in ("Size", "VolumeType", "Iops", "Encrypted",
                                                               "KmsKeyId", "Throughput", "SnapshotId", "Tags")},
          "volume_id": b["Ebs"]["VolumeId"]} for b in ebs),
        key=str,
    )
    state["disable_api_stop"] = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiStop")["DisableApiStop"]["Value"]
    state["disable_api_termination"] = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination")["DisableApiTermination"]["Value"]
    user_data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")["UserData"]
    state["user_data"] = user_data.get("Value")
    if type_info["BurstablePerformanceSupported"]:
        credits = single(ec2.describe_instance_credit_specifications(
            InstanceIds=[instance_id])["InstanceCreditSpecifications"])
        state["credit_specification"] = credits["CpuCredits"]
    return state


# --- the mission ------------------------------------------------------------------------------------


class Mission:
    """The resources of main.tf and their ids, created, read and destroyed as Terraform does."""

    def __init__(self, ec2: Any, suffix: str) -> None:
        self.ec2 = ec2
        self.suffix = suffix
        self.ids: dict[str, Any] = {}

    def apply(self) -> dict[str, Any]:
        ec2, ids = self.ec2, self.ids
        # data sources
        zones = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
        zone = min(z["ZoneName"] for z in zones)
        images = ec2.describe_images(Owners=[DEBIAN_OWNER], IncludeDeprecated=False, Filters=[
            {"Name": "name", "Values": ["debian-12-amd64-*"]},
            {"Name": "virtualization-type", "Values": ["hvm"]}])["Images"]
        ami = max(images, key=lambda i: i["CreationDate"])
        ids["ami"] = ami["ImageId"]
        try:  # the aws_ami data source ignores this call's error
            ec2.get_instance_uefi_data(InstanceId=ids["ami"])
        except ClientError:
            pass
        # aws_key_pair
        name = f"mission-{self.suffix}"
        ids["key_name"] = ec2.import_key_pair(
            KeyName=name, PublicKeyMaterial=public_key().encode(),
            TagSpecifications=spec("key-pair", name))["KeyName"]
        read_key_pair(ec2, name)
        # aws_vpc
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc", "mission"))["Vpc"]
        ids["vpc"] = vpc["VpcId"]
        wait_for(lambda: single(ec2.describe_vpcs(VpcIds=[ids["vpc"]])["Vpcs"])["State"] == "available", "vpc")
        ec2.modify_vpc_attribute(VpcId=ids["vpc"], EnableDnsHostnames={"Value": True})
        read_vpc(ec2, ids["vpc"])
        # aws_subnet
        subnet = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.0.1.0/24", AvailabilityZone=zone,
                                   TagSpecifications=spec("subnet", "mission-public"))["Subnet"]
        ids["subnet"] = subnet["SubnetId"]
        wait_for(lambda: single(ec2.describe_subnets(SubnetIds=[ids["subnet"]])["Subnets"])["State"] == "available", "subnet")
        ec2.modify_subnet_attribute(SubnetId=ids["subnet"], MapPublicIpOnLaunch={"Value": True})
        read_subnet(ec2, ids["subnet"])
        # aws_internet_gateway
        ids["igw"] = ec2.create_internet_gateway(
            TagSpecifications=spec("internet-gateway", "mission"))["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"])
        wait_for(lambda: read_internet_gateway(ec2, ids["igw"])["Attachments"] == [
            {"State": "available", "VpcId": ids["vpc"]}], "igw attachment")
        # aws_route_table with an inline route
        ids["rtb"] = ec2.create_route_table(
            VpcId=ids["vpc"], TagSpecifications=spec("route-table", "mission"))["RouteTable"]["RouteTableId"]
        read_route_table(ec2, ids["rtb"])
        ec2.create_route(RouteTableId=ids["rtb"], DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"])
        read_route_table(ec2, ids["rtb"])
        # aws_route_table_association
        ids["rtbassoc"] = ec2.associate_route_table(RouteTableId=ids["rtb"], SubnetId=ids["subnet"])["AssociationId"]
        read_association(ec2, ids["rtb"], ids["rtbassoc"])
        # aws_security_group: inline ssh ingress + all egress (the default egress is revoked first)
        ids["sg"] = ec2.create_security_group(
            GroupName="mission-ssh", Description="Allow SSH", VpcId=ids["vpc"],
            TagSpecifications=spec("security-group", "mission-ssh"))["GroupId"]
        read_security_group(ec2, ids["sg"])
        all_egress = [{"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.revoke_security_group_egress(GroupId=ids["sg"], IpPermissions=all_egress)
        ec2.authorize_security_group_ingress(GroupId=ids["sg"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.authorize_security_group_egress(GroupId=ids["sg"], IpPermissions=all_egress)
        read_security_group(ec2, ids["sg"])
        # aws_placement_group (spread)
        ids["pg"] = f"mission-spread-{self.suffix}"
        ec2.create_placement_group(GroupName=ids["pg"], Strategy="spread",
                                   TagSpecifications=spec("placement-group", "mission"))
        wait_for(lambda: read_placement_group(ec2, ids["pg"])["State"] == "available", "placement group")
        # three aws_instance resources
        ids["instances"] = []
        for index in range(3):
            reservation = ec2.run_instances(
                ClientToken=f"terraform-{self.suffix}-{index}", ImageId=ids["ami"], InstanceType="t3.small",
                MinCount=1, MaxCount=1, KeyName=ids["key_name"], DisableApiTermination=False,
                EbsOptimized=False, Monitoring={"Enabled": False},
                Placement={"AvailabilityZone": "", "GroupName": ids["pg"]},
                CreditSpecification={"CpuCredits": "unlimited"},
                NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": ids["subnet"], "Groups": [ids["sg"]],
                                    "AssociatePublicIpAddress": True}],
                TagSpecifications=spec("instance", f"mission-{index + 1}"),
            )
            instance_id = reservation["Instances"][0]["InstanceId"]
            ids["instances"].append(instance_id)
            # waitInstanceCreated: pending → running
            wait_for(lambda i=instance_id: single(single(ec2.describe_instances(InstanceIds=[i])["Reservations"])[
                "Instances"])["State"]["Name"] == "running", f"{instance_id} running")
            read_instance(ec2, instance_id)
        return self.read_all()

    def read_all(self) -> dict[str, Any]:
        ec2, ids = self.ec2, self.ids
        return {
            "key_pair": read_key_pair(ec2, ids["key_name"]),
            "vpc": read_vpc(ec2, ids["vpc"]),
            "subnet": read_subnet(ec2, ids["subnet"]),
            "igw": read_internet_gateway(ec2, ids["igw"]),
            "route_table": read_route_table(ec2, ids["rtb"]),
            "association": read_association(ec2, ids["rtb"], ids["rtbassoc"]),
            "security_group": read_security_group(ec2, ids["sg"]),
            "placement_group": read_placement_group(ec2, ids["pg"]),
            "instances": [read_instance(ec2, i) for i in ids["instances"]],
        }

    def destroy(self) -> None:
        ec2, ids = self.ec2, self.ids
        for instance_id in ids["instances"]:
            ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
            ec2.terminate_instances(InstanceIds=[instance_id])
        for instance_id in ids["instances"]:
            # waitInstanceDeleted: target "terminated" (vanishing would fail the destroy)
            wait_for(lambda i=instance_id: single(single(ec2.describe_instances(InstanceIds=[i])["Reservations"])[
                "Instances"])["State"]["Name"] == "terminated", f"{instance_id} terminated")
        ec2.delete_placement_group(GroupName=ids["pg"])
        wait_for(lambda: gone(lambda: ec2.describe_placement_groups(GroupNames=[ids["pg"]]),
                              ("InvalidPlacementGroup.Unknown",)), "placement group deleted")
        ec2.disassociate_route_table(AssociationId=ids["rtbassoc"])
        retry(lambda: ec2.delete_route_table(RouteTableId=ids["rtb"]), ("DependencyViolation",))
        retry(lambda: ec2.delete_security_group(GroupId=ids["sg"]), ("DependencyViolation",))
        retry(lambda: ec2.delete_subnet(SubnetId=ids["subnet"]), ("DependencyViolation",))
        retry(lambda: ec2.detach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"]),
              ("DependencyViolation",))
        ec2.delete_internet_gateway(InternetGatewayId=ids["igw"])
        retry(lambda: ec2.delete_vpc(VpcId=ids["vpc"]), ("DependencyViolation",))
        ec2.delete_key_pair(KeyName=ids["key_name"])

    def assert_nothing_left(self) -> None:
        ec2, ids = self.ec2, self.ids
        for instance in [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]:
            assert instance["State"]["Name"] == "terminated"  # visible for a while, as on AWS
            assert instance["NetworkInterfaces"] == []
        vpcs = ec2.describe_vpcs()["Vpcs"]
        assert [v["IsDefault"] for v in vpcs] == [True]
        assert all(s["DefaultForAz"] for s in ec2.describe_subnets()["Subnets"])
        assert ids["igw"] not in [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]]
        assert {t["VpcId"] for t in ec2.describe_route_tables()["RouteTables"]} == {vpcs[0]["VpcId"]}
        assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]] == ["default"]
        assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
        wait_for(lambda: ec2.describe_volumes()["Volumes"] == [], "volumes deleted")
        assert ec2.describe_placement_groups()["PlacementGroups"] == []
        assert ec2.describe_key_pairs()["KeyPairs"] == []
        assert ec2.describe_addresses()["Addresses"] == []


def fly(ec2: Any) -> None:
    """apply → plan (no drift) → destroy → nothing left."""
    mission = Mission(ec2, uuid.uuid4().hex[:8])
    first = mission.apply()
    for instance in first["instances"]:
        assert instance["instance_state"] == "running"
        assert instance["associate_public_ip_address"] is True and instance["PublicIpAddress"]
        assert instance["Placement"]["GroupName"] == mission.ids["pg"]
        assert instance["subnet_id"] == mission.ids["subnet"]
        assert instance["vpc_security_group_ids"] == [mission.ids["sg"]]
        assert instance["credit_specification"] == "unlimited"
        assert instance["disable_api_stop"] is False and instance["disable_api_termination"] is False
        assert instance["source_dest_check"] is True and instance["SourceDestCheck"] is True
        assert instance["block_devices"][0]["root"] is True
    assert len({i["PrivateIpAddress"] for i in first["instances"]}) == 3
    assert first["security_group"]["IpPermissionsEgress"] == [{
        "IpProtocol": "-1", "FromPort": None, "ToPort": None, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [], "UserIdGroupPairs": [], "PrefixListIds": []}]
    second = mission.read_all()
    for resource in first:
        assert second[resource] == first[resource], f"{resource} drifted"
    mission.destroy()
    mission.assert_nothing_left()


# --- the three ways to run it ----------------------------------------------------------------------


def test_mission_in_process(gateway: RunningGateway) -> None:
    fly(gateway.client("ec2"))


def _client(url: str) -> Any:
    return boto3.client(
        "ec2", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 1}),
    )


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hive_gateway", *args], stdout=out, stderr=out, env=env,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


TIMERS = ["--pending-seconds", "0.5", "--stopping-seconds", "0.5", "--shutting-down-seconds", "0.5"]


@pytest.fixture(params=["serve", "serve+node"])
def cli_gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``hive-gateway serve`` (built-in node), or ``serve --no-builtin-node`` + ``hive-gateway node``."""
    port = free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "HIVE_GATEWAY_ACCESS_KEY": ACCESS_KEY, "HIVE_GATEWAY_SECRET_KEY": SECRET_KEY}
    separate = request.param == "serve+node"
    serve_args = ["serve", "--no-tls", "--port", str(port), "--nats-port", "0", "--data-dir", str(data_dir),
                  "--public-pool", "203.0.113.0/24"]
    serve_args += ["--no-builtin-node"] if separate else TIMERS
    processes = [_start(serve_args, tmp_path / "serve.log", env)]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert processes[0].poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.2)
        if separate:
            # The default: three hosts per zone, so the spread group's three fit in one zone.
            processes.append(_start(["node", "--data-dir", str(data_dir), *TIMERS],
                                    tmp_path / "node.log", env))
            log = tmp_path / "node.log"
            wait_for(lambda: log.exists() and "simulated host(s)" in log.read_text(), "node process")
        yield url
    finally:
        for process in reversed(processes):
            _stop(process)


def test_mission_against_the_cli(cli_gateway: str) -> None:
    ec2 = _client(cli_gateway)
    fly(ec2)
    # the public pool given on the command line was used
    reservation = ec2.run_instances(ImageId="ami-0deb12a6420240211", InstanceType="t3.small",
                                    MinCount=1, MaxCount=1)
    wait_for(lambda: "PublicIpAddress" in single(single(ec2.describe_instances(
        InstanceIds=[reservation["Instances"][0]["InstanceId"]])["Reservations"])["Instances"]), "public ip")
    instance = single(single(ec2.describe_instances(
        InstanceIds=[reservation["Instances"][0]["InstanceId"]])["Reservations"])["Instances"])
    assert instance["PublicIpAddress"].startswith("203.0.113.")
