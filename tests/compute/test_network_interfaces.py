"""Network interfaces through real boto3: shape, private IPs, groups, attach/detach, filters, races."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import network_interfaces
from hive_gateway.core import claims, ipam
from hive_gateway.core import records
from hive_gateway.api.protocol.models import operation_model
from hive_gateway.core.kinds import KINDS
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    error_of,
    new_eni,
    new_vpc,
    request_context,
    seed_subnet_instance,
)

# --- helpers ---------------------------------------------------------------------------------------


def new_subnet(ec2: Any, vpc_id: str, cidr: str = "10.0.1.0/24") -> dict[str, Any]:
    return dict(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"])


def default_group(ec2: Any, vpc_id: str) -> str:
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    return str(groups[0]["GroupId"])


def new_group(ec2: Any, vpc_id: str, name: str) -> str:
    return str(ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description=name)["GroupId"])


def describe_one(ec2: Any, eni_id: str) -> dict[str, Any]:
    found = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert len(found) == 1
    return dict(found[0])


def ids_of(ec2: Any, *filters: tuple[str, list[str]]) -> set[str]:
    found = ec2.describe_network_interfaces(Filters=[{"Name": n, "Values": v} for n, v in filters])
    return {n["NetworkInterfaceId"] for n in found["NetworkInterfaces"]}


@pytest.fixture
def stack(ec2: Any) -> dict[str, Any]:
    vpc_id = new_vpc(ec2)
    subnet = new_subnet(ec2, vpc_id)
    return {"vpc_id": vpc_id, "subnet": subnet, "subnet_id": subnet["SubnetId"], "default_sg": default_group(ec2, vpc_id)}


# --- create ------------------------------------------------------------------------------------------


def test_create_returns_the_aws_shape(ec2: Any, stack: dict[str, Any]) -> None:
    eni = new_eni(
        ec2, stack["subnet_id"], Description="primary",
        TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )
    eni_id = eni["NetworkInterfaceId"]
    assert eni_id.startswith("eni-") and len(eni_id) == 21
    mac = "02:" + ":".join(f"{b:02x}" for b in hashlib.sha256(eni_id.encode()).digest()[:5])
    assert eni == {
        "AvailabilityZone": stack["subnet"]["AvailabilityZone"],
        "AvailabilityZoneId": stack["subnet"]["AvailabilityZoneId"],
        "Description": "primary",
        "Groups": [{"GroupId": stack["default_sg"], "GroupName": "default"}],
        "InterfaceType": "interface",
        "Ipv6Addresses": [],
        "MacAddress": mac,
        "NetworkInterfaceId": eni_id,
        "OwnerId": ADMIN,
        "PrivateDnsName": "ip-10-0-1-4.ap-southeast-2.compute.internal",
        "PrivateIpAddress": "10.0.1.4",
        "PrivateIpAddresses": [
            {"Primary": True, "PrivateDnsName": "ip-10-0-1-4.ap-southeast-2.compute.internal", "PrivateIpAddress": "10.0.1.4"}
        ],
        "RequesterManaged": False,
        "SourceDestCheck": True,
        "Status": "available",
        "SubnetId": stack["subnet_id"],
        "TagSet": [{"Key": "Name", "Value": "web"}],
        "VpcId": stack["vpc_id"],
    }
    assert describe_one(ec2, eni_id) == eni


def test_create_with_explicit_addresses_secondaries_and_groups(ec2: Any, stack: dict[str, Any]) -> None:
    web = new_group(ec2, stack["vpc_id"], "web")
    eni = new_eni(
        ec2, stack["subnet_id"], Groups=[web, stack["default_sg"]],
        PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.50", "Primary": True}, {"PrivateIpAddress": "10.0.1.60", "Primary": False}],
        SecondaryPrivateIpAddressCount=2, InterfaceType="efa",
    )
    assert eni["PrivateIpAddress"] == "10.0.1.50"
    assert [(a["PrivateIpAddress"], a["Primary"]) for a in eni["PrivateIpAddresses"]] == [
        ("10.0.1.50", True), ("10.0.1.60", False), ("10.0.1.4", False), ("10.0.1.5", False)
    ]
    assert eni["Groups"] == [{"GroupId": web, "GroupName": "web"}, {"GroupId": stack["default_sg"], "GroupName": "default"}]
    assert eni["InterfaceType"] == "efa"
    second = new_eni(ec2, stack["subnet_id"], PrivateIpAddress="10.0.1.70", SecondaryPrivateIpAddressCount=1)
    assert [a["PrivateIpAddress"] for a in second["PrivateIpAddresses"]] == ["10.0.1.70", "10.0.1.6"]
    only_secondaries = new_eni(ec2, stack["subnet_id"], PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.80"}])
    assert only_secondaries["PrivateIpAddress"] == "10.0.1.80"


@pytest.mark.parametrize(
    "kwargs,code,message",
    [
        ({"PrivateIpAddress": "10.0.2.5"}, "InvalidParameterValue", "Address 10.0.2.5 does not fall within the subnet's address range"),
        ({"PrivateIpAddress": "10.0.1.2"}, "InvalidParameterValue", "Address 10.0.1.2 is reserved"),
        ({"PrivateIpAddress": "10.0.1.255"}, "InvalidParameterValue", "Address 10.0.1.255 is reserved"),
        ({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.9", "Primary": True}, {"PrivateIpAddress": "10.0.1.10", "Primary": True}]},
         "InvalidParameterValue", "Only one primary"),
        ({"PrivateIpAddress": "10.0.1.9", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10", "Primary": True}]},
         "InvalidParameterCombination", "The primary IP address"),
        ({"PrivateIpAddress": "10.0.1.9", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.9", "Primary": False}]},
         "InvalidParameterValue", "The same private IP address"),
        ({"Ipv6AddressCount": 1}, "UnsupportedOperation", "IPv6 addressing"),
        ({"Ipv4PrefixCount": 1}, "UnsupportedOperation", "IPv4 prefix delegation"),
        ({"SecondaryPrivateIpAddressCount": 50}, "PrivateIpAddressLimitExceeded", "Number of private addresses"),
        ({"TagSpecifications": [{"ResourceType": "subnet", "Tags": [{"Key": "a", "Value": "b"}]}]},
         "InvalidParameterValue", "'subnet' is not a valid taggable resource type"),
    ],
)
def test_create_rejects_bad_requests(ec2: Any, stack: dict[str, Any], kwargs: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, stack["subnet_id"], **kwargs)
    assert error_of(exc)[0] == code
    assert error_of(exc)[1].startswith(message)
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_create_refuses_an_address_in_use(ec2: Any, stack: dict[str, Any]) -> None:
    new_eni(ec2, stack["subnet_id"], PrivateIpAddress="10.0.1.5")
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, stack["subnet_id"], PrivateIpAddress="10.0.1.5")
    assert error_of(exc) == ("InvalidIPAddress.InUse", "Address 10.0.1.5 is in use.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_create_checks_subnet_and_groups(ec2: Any, stack: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, "subnet-0000000000000000a")
    assert error_of(exc) == ("InvalidSubnetID.NotFound", "The subnet ID 'subnet-0000000000000000a' does not exist")
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, "vpc-0000000000000000a")
    assert error_of(exc)[0] == "InvalidSubnetID.Malformed"
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, stack["subnet_id"], Groups=["sg-0000000000000000a"])
    assert error_of(exc) == ("InvalidGroup.NotFound", "The security group 'sg-0000000000000000a' does not exist")
    other_vpc = new_vpc(ec2, "10.9.0.0/16")
    foreign = new_group(ec2, other_vpc, "elsewhere")
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, stack["subnet_id"], Groups=[foreign])
    assert error_of(exc) == (
        "InvalidParameter", f"Security group {foreign} and subnet {stack['subnet_id']} belong to different networks."
    )
    many = [new_group(ec2, stack["vpc_id"], f"g{n}") for n in range(6)]
    with pytest.raises(ClientError) as exc:
        new_eni(ec2, stack["subnet_id"], Groups=many)
    assert error_of(exc)[0] == "SecurityGroupsPerInterfaceLimitExceeded"
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_client_token_makes_create_idempotent(ec2: Any, stack: dict[str, Any]) -> None:
    first = ec2.create_network_interface(SubnetId=stack["subnet_id"], Description="a", ClientToken="tok-1")
    again = ec2.create_network_interface(SubnetId=stack["subnet_id"], Description="a", ClientToken="tok-1")
    assert first["ClientToken"] == "tok-1"
    assert again["NetworkInterface"]["NetworkInterfaceId"] == first["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as exc:
        ec2.create_network_interface(SubnetId=stack["subnet_id"], Description="b", ClientToken="tok-1")
    assert error_of(exc)[0] == "IdempotentParameterMismatch"
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == 1
    ec2.delete_network_interface(NetworkInterfaceId=first["NetworkInterface"]["NetworkInterfaceId"])
    fresh = ec2.create_network_interface(SubnetId=stack["subnet_id"], Description="b", ClientToken="tok-1")
    assert fresh["NetworkInterface"]["NetworkInterfaceId"] != first["NetworkInterface"]["NetworkInterfaceId"]


def test_failed_create_releases_its_token_and_addresses(ec2: Any, stack: dict[str, Any]) -> None:
    with pytest.raises(ClientError):
        ec2.create_network_interface(SubnetId=stack["subnet_id"], Groups=["sg-0000000000000000b"], ClientToken="t2")
    eni = ec2.create_network_interface(SubnetId=stack["subnet_id"], ClientToken="t2")["NetworkInterface"]
    assert eni["PrivateIpAddress"] == "10.0.1.4"


def test_twenty_racing_creates_in_a_slash_28_get_eleven_distinct_addresses(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    subnet_id = new_subnet(ec2, vpc_id, "10.0.5.0/28")["SubnetId"]
    clients = [gateway.client("ec2") for _ in range(20)]

    def create(client: Any) -> str:
        try:
            return str(client.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]["PrivateIpAddress"])
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(create, clients))
    addresses = [r for r in results if r.startswith("10.")]
    assert len(addresses) == 11 and len(set(addresses)) == 11
    assert set(addresses) == {f"10.0.5.{n}" for n in range(4, 15)}
    assert [r for r in results if not r.startswith("10.")] == ["InsufficientFreeAddressesInSubnet"] * 9
    subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert gateway.run(ipam.available_addresses(request_context(gateway), {"subnet_id": subnet_id, "cidr_block": subnet["CidrBlock"]})) == 0


# --- delete ------------------------------------------------------------------------------------------


def test_delete_releases_addresses_and_is_not_found_afterwards(ec2: Any, stack: dict[str, Any]) -> None:
    eni = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert error_of(exc) == (
        "InvalidNetworkInterfaceID.NotFound", f"The networkInterface ID '{eni['NetworkInterfaceId']}' does not exist"
    )
    with pytest.raises(ClientError) as exc:
        describe_one(ec2, eni["NetworkInterfaceId"])
    assert error_of(exc)[0] == "InvalidNetworkInterfaceID.NotFound"
    again = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)
    assert [a["PrivateIpAddress"] for a in again["PrivateIpAddresses"]] == ["10.0.1.4", "10.0.1.5"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_interface(NetworkInterfaceId="subnet-1")
    assert error_of(exc)[0] == "InvalidNetworkInterfaceID.Malformed"


def test_delete_turns_routes_to_the_interface_into_blackholes(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    table = ec2.create_route_table(VpcId=stack["vpc_id"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="192.168.0.0/16", NetworkInterfaceId=eni_id)
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    route = next(r for r in routes if r["DestinationCidrBlock"] == "192.168.0.0/16")
    assert route["State"] == "blackhole"


def test_events_carry_hives_port_payload(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    published: list[tuple[str, dict[str, Any], dict[str, str] | None]] = []

    class Recorder:
        async def publish(self, subject: str, data: bytes, headers: dict[str, str] | None = None) -> None:
            published.append((subject, json.loads(data), headers))

    gateway.runtime.bus = Recorder()  # type: ignore[assignment]
    try:
        eni = new_eni(ec2, stack["subnet_id"])
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    finally:
        gateway.runtime.bus = None
    payload = {
        "network_interface_id": eni["NetworkInterfaceId"], "subnet_id": stack["subnet_id"], "vpc_id": stack["vpc_id"],
        "private_ip_address": "10.0.1.4", "mac_address": eni["MacAddress"],
    }
    ports = [p for p in published if p[0].endswith("-port")]
    assert ports == [("vpc.create-port", payload, {"X-Account-ID": ADMIN}), ("vpc.delete-port", payload, {"X-Account-ID": ADMIN})]


# --- describe ----------------------------------------------------------------------------------------


def test_describe_filters(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    web = new_group(ec2, stack["vpc_id"], "web")
    a = new_eni(ec2, stack["subnet_id"], Description="alpha", Groups=[web], SecondaryPrivateIpAddressCount=1,
                TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "role", "Value": "db"}]}])
    b = new_eni(ec2, stack["subnet_id"], Description="beta", InterfaceType="trunk")
    ec2.modify_network_interface_attribute(NetworkInterfaceId=b["NetworkInterfaceId"], SourceDestCheck={"Value": False})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=b["NetworkInterfaceId"], AssociatePublicIpAddress=True)
    other_subnet = new_subnet(ec2, stack["vpc_id"], "10.0.2.0/24")["SubnetId"]
    c = new_eni(ec2, other_subnet)
    ida, idb, idc = a["NetworkInterfaceId"], b["NetworkInterfaceId"], c["NetworkInterfaceId"]
    public_b = describe_one(ec2, idb)["Association"]["PublicIp"]
    zone = stack["subnet"]["AvailabilityZone"]
    assert ids_of(ec2, ("addresses.private-ip-address", ["10.0.1.5"])) == {ida}
    assert ids_of(ec2, ("addresses.primary", ["false"])) == {ida}
    assert ids_of(ec2, ("addresses.association.public-ip", [public_b])) == {idb}
    assert ids_of(ec2, ("addresses.association.owner-id", ["amazon"])) == {idb}
    assert ids_of(ec2, ("association.public-ip", [public_b])) == {idb}
    assert ids_of(ec2, ("association.ip-owner-id", ["amazon"])) == {idb}
    assert ids_of(ec2, ("association.public-dns-name", ["ec2-*"])) == {idb}
    assert ids_of(ec2, ("association.allocation-id", ["*"])) == set()
    assert ids_of(ec2, ("association.association-id", ["*"])) == set()
    assert ids_of(ec2, ("availability-zone", [zone])) == {ida, idb, idc}
    assert ids_of(ec2, ("availability-zone-id", [stack["subnet"]["AvailabilityZoneId"]])) == {ida, idb, idc}
    assert ids_of(ec2, ("description", ["al*"])) == {ida}
    assert ids_of(ec2, ("group-id", [web])) == {ida}
    assert ids_of(ec2, ("group-name", ["default"])) == {idb, idc}
    assert ids_of(ec2, ("interface-type", ["trunk"])) == {idb}
    assert ids_of(ec2, ("mac-address", [a["MacAddress"]])) == {ida}
    assert ids_of(ec2, ("network-interface-id", [idc])) == {idc}
    assert ids_of(ec2, ("owner-id", [ADMIN])) == {ida, idb, idc}
    assert ids_of(ec2, ("private-dns-name", [c["PrivateDnsName"]])) == {idc}
    assert ids_of(ec2, ("private-ip-address", ["10.0.1.5"])) == {ida}
    assert ids_of(ec2, ("requester-managed", ["false"])) == {ida, idb, idc}
    assert ids_of(ec2, ("source-dest-check", ["false"])) == {idb}
    assert ids_of(ec2, ("status", ["available"])) == {ida, idb, idc}
    assert ids_of(ec2, ("subnet-id", [other_subnet])) == {idc}
    assert ids_of(ec2, ("vpc-id", [stack["vpc_id"]])) == {ida, idb, idc}
    assert ids_of(ec2, ("tag:role", ["db"])) == {ida}
    assert ids_of(ec2, ("tag-key", ["role"])) == {ida}
    assert ids_of(ec2, ("tag-value", ["d?"])) == {ida}
    assert ids_of(ec2, ("ipv6-addresses.ipv6-address", ["*"])) == set()
    assert ids_of(ec2, ("operator.managed", ["false"])) == {ida, idb, idc}
    assert ids_of(ec2, ("requester-id", ["*"])) == set()
    assert ids_of(ec2, ("operator.principal", ["*"])) == set()
    assert ids_of(ec2, ("subnet-id", [stack["subnet_id"]]), ("description", ["beta"])) == {idb}
    assert ids_of(ec2, ("description", ["alpha", "beta"])) == {ida, idb}
    with pytest.raises(ClientError) as exc:
        ids_of(ec2, ("nonsense", ["x"]))
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'nonsense' is invalid")
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    attachment = ec2.attach_network_interface(NetworkInterfaceId=ida, InstanceId=instance_id, DeviceIndex=1)["AttachmentId"]
    assert ids_of(ec2, ("attachment.attachment-id", [attachment])) == {ida}
    assert ids_of(ec2, ("attachment.instance-id", [instance_id])) == {ida}
    assert ids_of(ec2, ("attachment.instance-owner-id", [ADMIN])) == {ida}
    assert ids_of(ec2, ("attachment.device-index", ["1"])) == {ida}
    assert ids_of(ec2, ("attachment.status", ["attached"])) == {ida}
    assert ids_of(ec2, ("attachment.delete-on-termination", ["false"])) == {ida}
    assert ids_of(ec2, ("attachment.network-card-index", ["0"])) == {ida}
    assert ids_of(ec2, ("attachment.attach-time", ["20*"])) == {ida}
    assert ids_of(ec2, ("status", ["in-use"])) == {ida}


def test_describe_ids_and_pagination(ec2: Any, stack: dict[str, Any]) -> None:
    created = sorted(new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"] for _ in range(7))
    page = ec2.describe_network_interfaces(MaxResults=5)
    assert [n["NetworkInterfaceId"] for n in page["NetworkInterfaces"]] == created[:5]
    rest = ec2.describe_network_interfaces(MaxResults=5, NextToken=page["NextToken"])
    assert [n["NetworkInterfaceId"] for n in rest["NetworkInterfaces"]] == created[5:]
    assert "NextToken" not in rest
    paginated = [n["NetworkInterfaceId"] for p in ec2.get_paginator("describe_network_interfaces").paginate(
        PaginationConfig={"PageSize": 5}) for n in p["NetworkInterfaces"]]
    assert paginated == created
    assert [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(NetworkInterfaceIds=created[2:4])["NetworkInterfaces"]] == created[2:4]
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_interfaces(NetworkInterfaceIds=[created[0]], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_interfaces(NetworkInterfaceIds=[created[0], "eni-0000000000000000a", "eni-0000000000000000b"])
    assert error_of(exc) == (
        "InvalidNetworkInterfaceID.NotFound",
        "The networkInterface IDs 'eni-0000000000000000a, eni-0000000000000000b' do not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_interfaces(MaxResults=5, NextToken="bogus")
    assert error_of(exc)[0] == "InvalidPaginationToken"


def test_describe_response_matches_the_wire_shape(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1,
                  TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "k", "Value": "v"}]}])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni["NetworkInterfaceId"], AssociatePublicIpAddress=True)
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=instance_id, DeviceIndex=1)
    answer = admin_send(gateway, f"Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1={eni['NetworkInterfaceId']}")
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeNetworkInterfaces")
    for fragment in ("<sourceDestCheck>true</sourceDestCheck>", "<tagSet><item><key>k</key>", "<ipOwnerId>amazon</ipOwnerId>",
                     "<status>attached</status>", "<networkCardIndex>0</networkCardIndex>", "<requesterManaged>false</requesterManaged>"):
        assert fragment in answer.text


# --- attributes --------------------------------------------------------------------------------------


def test_modify_each_attribute(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"], Description="old")["NetworkInterfaceId"]
    web = new_group(ec2, stack["vpc_id"], "web")
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": "new"})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck={"Value": False})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[web])
    found = describe_one(ec2, eni_id)
    assert (found["Description"], found["SourceDestCheck"], found["Groups"]) == ("new", False, [{"GroupId": web, "GroupName": "web"}])
    ec2.reset_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck="sourceDestCheck")
    assert describe_one(ec2, eni_id)["SourceDestCheck"] is True
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": ""})
    assert describe_one(ec2, eni_id)["Description"] == ""


def test_modify_errors(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": "x"}, SourceDestCheck={"Value": True})
    assert error_of(exc) == ("InvalidParameterCombination", "Fields for multiple attribute types specified: description, sourceDestCheck")
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id)
    assert error_of(exc)[0] == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=["sg-0000000000000000c"])
    assert error_of(exc) == ("InvalidGroup.NotFound", "The security group 'sg-0000000000000000c' does not exist")
    foreign = new_group(ec2, new_vpc(ec2, "10.8.0.0/16"), "foreign")
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[foreign])
    assert error_of(exc) == ("InvalidGroup.NotFound", f"The security group '{foreign}' does not exist in VPC '{stack['vpc_id']}'")
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Attachment={"AttachmentId": "eni-attach-0000000000000000a", "DeleteOnTermination": True})
    assert error_of(exc) == ("InvalidAttachmentID.NotFound", "The attachment ID 'eni-attach-0000000000000000a' does not exist")
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId="eni-0000000000000000a", Description={"Value": "x"})
    assert error_of(exc)[0] == "InvalidNetworkInterfaceID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, EnaSrdSpecification={"EnaSrdEnabled": True})
    assert error_of(exc)[0] == "UnsupportedOperation"
    with pytest.raises(ClientError) as exc:
        ec2.reset_network_interface_attribute(NetworkInterfaceId=eni_id)
    assert error_of(exc)[0] == "MissingParameter"


def test_associate_public_ip_address_attribute_uses_the_pool(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, AssociatePublicIpAddress=True)
    association = describe_one(ec2, eni_id)["Association"]
    public_ip = association["PublicIp"]
    assert association == {
        "IpOwnerId": "amazon", "PublicDnsName": "ec2-" + public_ip.replace(".", "-") + ".ap-southeast-2.compute.amazonaws.com",
        "PublicIp": public_ip,
    }
    assert describe_one(ec2, eni_id)["PrivateIpAddresses"][0]["Association"] == association
    pool = gateway.run(ipam.public_allocations(request_context(gateway)))
    assert pool[public_ip]["type"] == "eni-public" and pool[public_ip]["eni_id"] == eni_id
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute="associatePublicIpAddress")
    assert attr["AssociatePublicIpAddress"] is True
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, AssociatePublicIpAddress=False)
    assert "Association" not in describe_one(ec2, eni_id)
    assert public_ip not in gateway.run(ipam.public_allocations(request_context(gateway)))
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, AssociatePublicIpAddress=True)
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert gateway.run(ipam.public_allocations(request_context(gateway))) == {}


def test_describe_attribute(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"], Description="d")["NetworkInterfaceId"]

    def attr(name: str) -> dict[str, Any]:
        out = dict(ec2.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute=name))
        out.pop("ResponseMetadata")
        return out

    assert attr("description") == {"NetworkInterfaceId": eni_id, "Description": {"Value": "d"}}
    assert attr("groupSet") == {"NetworkInterfaceId": eni_id, "Groups": [{"GroupId": stack["default_sg"], "GroupName": "default"}]}
    assert attr("sourceDestCheck") == {"NetworkInterfaceId": eni_id, "SourceDestCheck": {"Value": True}}
    assert attr("attachment") == {"NetworkInterfaceId": eni_id}
    assert attr("associatePublicIpAddress") == {"NetworkInterfaceId": eni_id, "AssociatePublicIpAddress": False}
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    attachment = ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=2)["AttachmentId"]
    found = attr("attachment")["Attachment"]
    assert (found["AttachmentId"], found["InstanceId"], found["DeviceIndex"], found["Status"]) == (attachment, instance_id, 2, "attached")
    with pytest.raises(ClientError) as exc:
        ec2.describe_network_interface_attribute(NetworkInterfaceId=eni_id)
    assert error_of(exc)[0] == "MissingParameter"


# --- attach / detach ----------------------------------------------------------------------------------


def test_attach_and_detach(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    answer = ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=1)
    attachment_id = answer["AttachmentId"]
    assert attachment_id.startswith("eni-attach-") and answer["NetworkCardIndex"] == 0
    found = describe_one(ec2, eni_id)
    assert found["Status"] == "in-use"
    attachment = found["Attachment"]
    assert isinstance(attachment.pop("AttachTime"), datetime)
    assert attachment == {
        "AttachmentId": attachment_id, "DeleteOnTermination": False, "DeviceIndex": 1, "NetworkCardIndex": 0,
        "InstanceId": instance_id, "InstanceOwnerId": ADMIN, "Status": "attached",
    }
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni_id, Attachment={"AttachmentId": attachment_id, "DeleteOnTermination": True}
    )
    assert describe_one(ec2, eni_id)["Attachment"]["DeleteOnTermination"] is True
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert error_of(exc) == ("InvalidNetworkInterface.InUse", f"The network interface '{eni_id}' is currently in use.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=2)
    assert error_of(exc) == ("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    other = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=other, InstanceId=instance_id, DeviceIndex=1)
    assert error_of(exc) == (
        "InvalidParameterValue", f"Instance '{instance_id}' already has an interface attached at device index '1'."
    )
    ec2.detach_network_interface(AttachmentId=attachment_id)
    found = describe_one(ec2, eni_id)
    assert found["Status"] == "available" and "Attachment" not in found
    # the provider's detach waiter filters on the attachment id and expects "detached"
    waiter_view = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.attachment-id", "Values": [attachment_id]}]
    )["NetworkInterfaces"]
    assert [(n["NetworkInterfaceId"], n["Attachment"]["Status"]) for n in waiter_view] == [(eni_id, "detached")]
    with pytest.raises(ClientError) as exc:
        ec2.detach_network_interface(AttachmentId=attachment_id)
    assert error_of(exc) == ("InvalidAttachmentID.NotFound", f"The attachment ID '{attachment_id}' does not exist")
    # the slot is free again
    ec2.attach_network_interface(NetworkInterfaceId=other, InstanceId=instance_id, DeviceIndex=1)
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)


def test_attach_checks_instance_zone_and_state(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    seed_subnet_instance(gateway, stack["subnet"])  # skips when instances cannot be stored yet
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId="i-0000000000000000a", DeviceIndex=1)
    assert error_of(exc) == ("InvalidInstanceID.NotFound", "The instance ID 'i-0000000000000000a' does not exist")
    elsewhere = seed_subnet_instance(gateway, stack["subnet"], zone="ap-southeast-2z")
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=elsewhere, DeviceIndex=1)
    assert error_of(exc) == (
        "InvalidParameterCombination",
        "You may not attach a network interface to an instance if they are not in the same availability zone",
    )
    gone = seed_subnet_instance(gateway, stack["subnet"], state="terminated")
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=gone, DeviceIndex=1)
    assert error_of(exc)[0] == "IncorrectInstanceState"
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=gone, DeviceIndex=1, NetworkCardIndex=1)
    assert error_of(exc)[0] == "InvalidParameterValue"
    assert describe_one(ec2, eni_id)["Status"] == "available"


def test_primary_interface_of_a_live_instance_cannot_be_detached(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    record = gateway.run(network_interfaces.attach_to_instance(request_context(gateway), eni_id, instance_id, 0, delete_on_termination=True))
    with pytest.raises(ClientError) as exc:
        ec2.detach_network_interface(AttachmentId=record["attachment_id"])
    assert error_of(exc) == ("OperationNotPermitted", "The network interface at device index 0 cannot be detached.")


def test_attaching_twice_keeps_the_slot_claimed(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    ctx = request_context(gateway)
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    gateway.run(network_interfaces.attach_to_instance(ctx, eni_id, instance_id, 1, delete_on_termination=False))
    with pytest.raises(Exception) as exc:
        gateway.run(network_interfaces.attach_to_instance(ctx, eni_id, instance_id, 1, delete_on_termination=False))
    assert getattr(exc.value, "code", None) == "InvalidNetworkInterface.InUse"
    other = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    with pytest.raises(ClientError) as client_exc:
        ec2.attach_network_interface(NetworkInterfaceId=other, InstanceId=instance_id, DeviceIndex=1)
    assert error_of(client_exc)[0] == "InvalidParameterValue"


def test_attachments_stored_before_slot_claims_keep_their_slot(
    gateway: RunningGateway, ec2: Any, stack: dict[str, Any]
) -> None:
    """An interface attached by an earlier version holds no claim in the ENI-slots space: its
    device index stays taken all the same."""
    ctx = request_context(gateway)
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=1)
    gateway.run(claims.release(ctx, claims.ENI_SLOTS, f"{instance_id}.1", eni_id))
    other = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    with pytest.raises(ClientError) as exc:
        ec2.attach_network_interface(NetworkInterfaceId=other, InstanceId=instance_id, DeviceIndex=1)
    assert error_of(exc) == (
        "InvalidParameterValue",
        f"Instance '{instance_id}' already has an interface attached at device index '1'.",
    )
    assert gateway.run(claims.get(ctx, claims.ENI_SLOTS, f"{instance_id}.1")) is None
    ec2.attach_network_interface(NetworkInterfaceId=other, InstanceId=instance_id, DeviceIndex=2)


def test_racing_attaches_to_one_slot_have_one_winner(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    enis = [new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"] for _ in range(8)]
    clients = [gateway.client("ec2") for _ in enis]

    def attach(pair: tuple[Any, str]) -> str:
        client, eni_id = pair
        try:
            return str(client.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=3)["AttachmentId"])
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attach, zip(clients, enis)))
    assert sum(r.startswith("eni-attach-") for r in results) == 1
    assert sorted(r for r in results if not r.startswith("eni-attach-")) == ["InvalidParameterValue"] * 7
    assert len(ids_of(ec2, ("attachment.instance-id", [instance_id]))) == 1


# --- secondary private addresses -----------------------------------------------------------------------


def test_assign_and_unassign_private_addresses(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    answer = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, SecondaryPrivateIpAddressCount=2)
    assert answer["NetworkInterfaceId"] == eni_id
    assert answer["AssignedPrivateIpAddresses"] == [{"PrivateIpAddress": "10.0.1.5"}, {"PrivateIpAddress": "10.0.1.6"}]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.1.40"])
    assert [a["PrivateIpAddress"] for a in describe_one(ec2, eni_id)["PrivateIpAddresses"]] == [
        "10.0.1.4", "10.0.1.5", "10.0.1.6", "10.0.1.40"
    ]
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.1.5", "10.0.1.40"])
    assert [a["PrivateIpAddress"] for a in describe_one(ec2, eni_id)["PrivateIpAddresses"]] == ["10.0.1.4", "10.0.1.6"]
    other = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)
    assert [a["PrivateIpAddress"] for a in other["PrivateIpAddresses"]] == ["10.0.1.5", "10.0.1.7"]


def test_assign_and_unassign_errors(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)["NetworkInterfaceId"]
    cases: list[tuple[Any, dict[str, Any], str, str]] = [
        (ec2.assign_private_ip_addresses, {"PrivateIpAddresses": ["10.0.1.9"], "SecondaryPrivateIpAddressCount": 1},
         "InvalidParameterCombination", "The parameters privateIpAddresses and secondaryPrivateIpAddressCount"),
        (ec2.assign_private_ip_addresses, {}, "MissingParameter", ""),
        (ec2.assign_private_ip_addresses, {"PrivateIpAddresses": ["10.0.1.5"]}, "InvalidIPAddress.InUse", "Address 10.0.1.5 is in use."),
        (ec2.assign_private_ip_addresses, {"PrivateIpAddresses": ["10.0.3.5"]}, "InvalidParameterValue", "Address 10.0.3.5 does not fall"),
        (ec2.assign_private_ip_addresses, {"SecondaryPrivateIpAddressCount": 49}, "PrivateIpAddressLimitExceeded", ""),
        (ec2.assign_private_ip_addresses, {"Ipv4PrefixCount": 1}, "UnsupportedOperation", ""),
        (ec2.unassign_private_ip_addresses, {"PrivateIpAddresses": ["10.0.1.4"]}, "InvalidParameterValue",
         f"The primary private IP address 10.0.1.4 of network interface {eni_id} cannot be unassigned."),
        (ec2.unassign_private_ip_addresses, {"PrivateIpAddresses": ["10.0.1.99"]}, "InvalidParameterValue",
         f"Some of the specified addresses are not assigned to interface {eni_id}"),
    ]
    for call, kwargs, code, message in cases:
        with pytest.raises(ClientError) as exc:
            call(NetworkInterfaceId=eni_id, **kwargs)
        assert error_of(exc)[0] == code, kwargs
        assert error_of(exc)[1].startswith(message), kwargs
    assert [a["PrivateIpAddress"] for a in describe_one(ec2, eni_id)["PrivateIpAddresses"]] == ["10.0.1.4", "10.0.1.5"]


def test_allow_reassignment_moves_a_secondary_address(ec2: Any, stack: dict[str, Any]) -> None:
    a = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)["NetworkInterfaceId"]
    b = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    answer = ec2.assign_private_ip_addresses(NetworkInterfaceId=b, PrivateIpAddresses=["10.0.1.5"], AllowReassignment=True)
    assert answer["AssignedPrivateIpAddresses"] == [{"PrivateIpAddress": "10.0.1.5"}]
    assert [x["PrivateIpAddress"] for x in describe_one(ec2, a)["PrivateIpAddresses"]] == ["10.0.1.4"]
    assert [x["PrivateIpAddress"] for x in describe_one(ec2, b)["PrivateIpAddresses"]] == ["10.0.1.6", "10.0.1.5"]
    with pytest.raises(ClientError) as exc:  # a primary address never moves
        ec2.assign_private_ip_addresses(NetworkInterfaceId=b, PrivateIpAddresses=["10.0.1.4"], AllowReassignment=True)
    assert error_of(exc) == ("InvalidIPAddress.InUse", "Address 10.0.1.4 is in use.")


# --- functions for the instances module ---------------------------------------------------------------


def test_instance_lifecycle_helpers(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    ctx = request_context(gateway)
    subnet = gateway.run(records.get(ctx, KINDS["subnet"], stack["subnet_id"]))
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    primary = gateway.run(network_interfaces.create_interface(
        ctx, subnet=subnet, security_group_ids=[], private_ip=None, public_ip=True, tags={"Name": "p"}
    ))
    extra = gateway.run(network_interfaces.create_interface(
        ctx, subnet=subnet, security_group_ids=[stack["default_sg"]], private_ip="10.0.1.30", secondary_count=1
    ))
    public_ip = primary["public_ip_address"]
    assert public_ip in gateway.run(ipam.public_allocations(ctx))
    gateway.run(network_interfaces.attach_to_instance(ctx, primary["network_interface_id"], instance_id, 0, delete_on_termination=True))
    gateway.run(network_interfaces.attach_to_instance(ctx, extra["network_interface_id"], instance_id, 1, delete_on_termination=False))
    attached = gateway.run(network_interfaces.interfaces_of_instance(ctx, instance_id))
    assert [r["network_interface_id"] for r in attached] == [primary["network_interface_id"], extra["network_interface_id"]]
    shape = network_interfaces.instance_interface_to_api(ctx, attached[0])
    assert shape["Association"] == {
        "IpOwnerId": "amazon", "PublicDnsName": ipam.public_dns_name("ap-southeast-2", public_ip), "PublicIp": public_ip
    }
    assert shape["Attachment"]["DeviceIndex"] == 0 and shape["Attachment"]["DeleteOnTermination"] is True
    assert shape["SourceDestCheck"] is True and shape["Groups"] == [{"GroupId": stack["default_sg"], "GroupName": "default"}]
    assert set(shape) <= set(operation_model("ec2", "DescribeInstances").output_shape.members["Reservations"].member  # type: ignore[union-attr]
                             .members["Instances"].member.members["NetworkInterfaces"].member.members)
    assert network_interfaces.interface_to_api(ctx, attached[1])["PrivateIpAddresses"][1]["PrivateIpAddress"] == "10.0.1.5"
    gateway.run(network_interfaces.release_instance_interfaces(ctx, instance_id))
    with pytest.raises(ClientError):
        describe_one(ec2, primary["network_interface_id"])
    survivor = describe_one(ec2, extra["network_interface_id"])
    assert survivor["Status"] == "available" and "Attachment" not in survivor
    assert public_ip not in gateway.run(ipam.public_allocations(ctx))
    assert gateway.run(network_interfaces.interfaces_of_instance(ctx, instance_id)) == []


def test_changing_the_primary_interfaces_groups_updates_the_instance(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    ctx = request_context(gateway)
    gateway.run(network_interfaces.attach_to_instance(ctx, eni_id, instance_id, 0, delete_on_termination=True))
    web = new_group(ec2, stack["vpc_id"], "web")
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[web, stack["default_sg"]])
    instance = gateway.run(records.get(ctx, KINDS["instance"], instance_id))
    assert instance["security_group_ids"] == [web, stack["default_sg"]]


# --- Terraform and tenancy ----------------------------------------------------------------------------


def test_terraform_aws_network_interface_sequence(ec2: Any, stack: dict[str, Any]) -> None:
    web = new_group(ec2, stack["vpc_id"], "web")
    created = ec2.create_network_interface(
        ClientToken="terraform-20260101000000000000000001",
        SubnetId=stack["subnet_id"], Description="managed",
        PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.100", "Primary": True}],
        Groups=[web],
        TagSpecifications=[{"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "tf"}]}],
    )["NetworkInterface"]
    eni_id = created["NetworkInterfaceId"]
    ec2.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig={"Delay": 1})
    read = describe_one(ec2, eni_id)
    assert read["NetworkInterfaceId"] == eni_id and read["OwnerId"] == ADMIN
    assert read["SourceDestCheck"] is True
    assert read["TagSet"] == [{"Key": "Name", "Value": "tf"}]
    assert [g["GroupId"] for g in read["Groups"]] == [web]
    assert [a["PrivateIpAddress"] for a in read["PrivateIpAddresses"]] == ["10.0.1.100"]
    assert read["MacAddress"] and read["InterfaceType"] == "interface" and read["Ipv6Addresses"] == []
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": "changed"})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[web, stack["default_sg"]])
    ec2.delete_tags(Resources=[eni_id], Tags=[{"Key": "Name", "Value": "tf"}])
    ec2.create_tags(Resources=[eni_id], Tags=[{"Key": "Name", "Value": "tf2"}])
    read = describe_one(ec2, eni_id)
    assert read["Description"] == "changed" and len(read["Groups"]) == 2 and read["TagSet"] == [{"Key": "Name", "Value": "tf2"}]
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert error_of(exc)[0] == "InvalidNetworkInterfaceID.NotFound"  # treated as gone by the provider


def test_tenant_isolation(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    other = gateway.client("ec2", creds=gateway.create_account("other"))
    missing = "eni-0000000000000000f"
    for target in (eni_id, missing):
        with pytest.raises(ClientError) as exc:
            other.describe_network_interfaces(NetworkInterfaceIds=[target])
        assert error_of(exc) == ("InvalidNetworkInterfaceID.NotFound", f"The networkInterface ID '{target}' does not exist")
        with pytest.raises(ClientError) as exc:
            other.delete_network_interface(NetworkInterfaceId=target)
        assert error_of(exc)[0] == "InvalidNetworkInterfaceID.NotFound"
        with pytest.raises(ClientError) as exc:
            other.modify_network_interface_attribute(NetworkInterfaceId=target, Description={"Value": "x"})
        assert error_of(exc)[0] == "InvalidNetworkInterfaceID.NotFound"
    with pytest.raises(ClientError) as exc:
        other.create_network_interface(SubnetId=stack["subnet_id"])
    assert error_of(exc) == ("InvalidSubnetID.NotFound", f"The subnet ID '{stack['subnet_id']}' does not exist")
    assert other.describe_network_interfaces()["NetworkInterfaces"] == []
    assert describe_one(ec2, eni_id)["Description"] == ""
