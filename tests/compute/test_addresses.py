"""Elastic IPs through real boto3: allocate, associate, release, describe, reverse DNS, tenancy."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import addresses, network_interfaces
from hive_gateway.core import ipam
from hive_gateway.core import records
from hive_gateway.core.kinds import KINDS
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, start_gateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    error_of,
    new_eni,
    request_context,
    seed_subnet_instance,
)


@pytest.fixture
def stack(ec2: Any) -> dict[str, Any]:
    """A VPC with an attached internet gateway and a subnet."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]
    return {"vpc_id": vpc_id, "subnet": subnet, "subnet_id": subnet["SubnetId"], "igw": igw}


def allocate(ec2: Any, **kwargs: Any) -> dict[str, Any]:
    answer = dict(ec2.allocate_address(Domain="vpc", **kwargs))
    answer.pop("ResponseMetadata")
    return answer


def address(ec2: Any, allocation_id: str) -> dict[str, Any]:
    found = ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
    assert len(found) == 1
    return dict(found[0])


def eni_view(ec2: Any, eni_id: str) -> dict[str, Any]:
    return dict(ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0])


def pool(gateway: RunningGateway) -> dict[str, Any]:
    return gateway.run(ipam.public_allocations(request_context(gateway)))


# --- allocate / release --------------------------------------------------------------------------------


def test_allocate_returns_a_vpc_address_from_the_pool(gateway: RunningGateway, ec2: Any) -> None:
    answer = allocate(ec2, TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "ip"}]}])
    allocation_id = answer["AllocationId"]
    assert allocation_id.startswith("eipalloc-") and len(allocation_id) == 26
    assert answer == {
        "AllocationId": allocation_id, "PublicIp": "198.51.100.1", "Domain": "vpc",
        "PublicIpv4Pool": "amazon", "NetworkBorderGroup": "ap-southeast-2",
    }
    assert address(ec2, allocation_id) == {**answer, "Tags": [{"Key": "Name", "Value": "ip"}]}
    assert pool(gateway)["198.51.100.1"] == {"type": "eip", "allocation_id": allocation_id, "account_id": ADMIN}
    second = ec2.allocate_address()  # Domain omitted: still a VPC address
    assert second["Domain"] == "vpc" and second["PublicIp"] == "198.51.100.2"


def test_allocate_options_and_errors(gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    echoed = allocate(ec2, PublicIpv4Pool="ipv4pool-ec2-0123456789abcdef0", NetworkBorderGroup="ap-southeast-2",
                      Address="198.51.100.77")
    assert (echoed["PublicIp"], echoed["PublicIpv4Pool"]) == ("198.51.100.77", "ipv4pool-ec2-0123456789abcdef0")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"Domain": "standard"}, "InvalidParameterValue", "The domain 'standard' is not supported"),
        ({"NetworkBorderGroup": "us-west-2"}, "InvalidParameterValue", "The network border group 'us-west-2' is invalid."),
        ({"Address": "198.51.100.77"}, "InvalidIPAddress.InUse", "Address 198.51.100.77 is in use."),
        ({"Address": "192.0.2.10"}, "InvalidAddress.NotFound", "Address '192.0.2.10' not found."),
        ({"CustomerOwnedIpv4Pool": "ipv4pool-coip-1"}, "UnsupportedOperation", "CustomerOwnedIpv4Pool"),
        ({"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]},
         "InvalidParameterValue", "'vpc' is not a valid taggable resource type"),
    ]
    for kwargs, code, message in cases:
        with pytest.raises(ClientError) as exc:
            ec2.allocate_address(**kwargs)
        assert error_of(exc)[0] == code, kwargs
        assert error_of(exc)[1].startswith(message), kwargs
    assert len(ec2.describe_addresses()["Addresses"]) == 1


def test_pool_exhaustion(tmp_path: Path) -> None:
    async def memory() -> Store:
        return MemoryStore()

    small = start_gateway(memory, tmp_path, public_pool="203.0.113.0/30")  # two usable hosts
    try:
        client = small.client("ec2")
        allocate(client)
        allocate(client)
        with pytest.raises(ClientError) as exc:
            client.allocate_address(Domain="vpc")
        assert error_of(exc)[0] == "InsufficientAddressCapacity"
    finally:
        small._stop()


def test_the_address_limit(ec2: Any) -> None:
    for _ in range(addresses.MAX_ADDRESSES):
        allocate(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.allocate_address(Domain="vpc")
    assert error_of(exc) == ("AddressLimitExceeded", "The maximum number of addresses has been reached.")


def test_racing_allocations_get_distinct_addresses(gateway: RunningGateway) -> None:
    clients = [gateway.client("ec2") for _ in range(10)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as workers:
        results = list(workers.map(lambda c: c.allocate_address(Domain="vpc")["PublicIp"], clients))
    assert len(set(results)) == 10
    assert set(pool(gateway)) == set(results)


def test_release(gateway: RunningGateway, ec2: Any) -> None:
    allocation_id = allocate(ec2)["AllocationId"]
    with pytest.raises(ClientError) as exc:
        ec2.release_address(AllocationId=allocation_id, NetworkBorderGroup="us-east-1")
    assert error_of(exc) == ("InvalidAddress.NotFound", "Address '198.51.100.1' not found.")
    ec2.release_address(AllocationId=allocation_id, NetworkBorderGroup="ap-southeast-2")
    assert pool(gateway) == {}
    with pytest.raises(ClientError) as exc:
        ec2.release_address(AllocationId=allocation_id)
    assert error_of(exc) == ("InvalidAllocationID.NotFound", f"The allocation ID '{allocation_id}' does not exist")
    with pytest.raises(ClientError) as exc:
        ec2.release_address(PublicIp="198.51.100.1")
    assert error_of(exc) == ("InvalidParameterValue", "You must specify an allocation id when releasing a VPC elastic IP address")
    with pytest.raises(ClientError) as exc:
        ec2.release_address()
    assert error_of(exc)[0] == "MissingParameter"
    assert allocate(ec2)["PublicIp"] == "198.51.100.1"  # back in the pool


# --- associate / disassociate ---------------------------------------------------------------------------


def test_associate_with_an_interface_and_disassociate(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni = new_eni(ec2, stack["subnet_id"])
    eni_id = eni["NetworkInterfaceId"]
    eip = allocate(ec2)
    association_id = ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
    assert association_id.startswith("eipassoc-")
    assert address(ec2, eip["AllocationId"]) == {
        **eip, "Tags": [], "AssociationId": association_id, "NetworkInterfaceId": eni_id,
        "NetworkInterfaceOwnerId": ADMIN, "PrivateIpAddress": "10.0.1.4", "SubnetId": stack["subnet_id"],
    }
    expected_association = {
        "AllocationId": eip["AllocationId"], "AssociationId": association_id, "IpOwnerId": ADMIN,
        "PublicDnsName": "ec2-198-51-100-1.ap-southeast-2.compute.amazonaws.com", "PublicIp": "198.51.100.1",
    }
    view = eni_view(ec2, eni_id)
    assert view["Association"] == expected_association
    assert view["PrivateIpAddresses"][0]["Association"] == expected_association
    assert pool(gateway)["198.51.100.1"]["eni_id"] == eni_id
    # the same association again is idempotent
    again = ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
    assert again == association_id
    with pytest.raises(ClientError) as exc:
        ec2.release_address(AllocationId=eip["AllocationId"])
    assert error_of(exc) == ("InvalidIPAddress.InUse", "Address 198.51.100.1 is in use.")
    ec2.disassociate_address(AssociationId=association_id)
    assert "AssociationId" not in address(ec2, eip["AllocationId"])
    assert "Association" not in eni_view(ec2, eni_id)
    with pytest.raises(ClientError) as exc:
        ec2.disassociate_address(AssociationId=association_id)
    assert error_of(exc) == ("InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist")
    ec2.release_address(AllocationId=eip["AllocationId"])


def test_associate_errors(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"AllocationId": "eipalloc-0000000000000000a", "NetworkInterfaceId": eni_id},
         "InvalidAllocationID.NotFound", "The allocation ID 'eipalloc-0000000000000000a' does not exist"),
        ({"AllocationId": allocation_id, "NetworkInterfaceId": "eni-0000000000000000a"},
         "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0000000000000000a' does not exist"),
        ({"AllocationId": allocation_id}, "MissingParameter", "Either instance ID or network interface id must be specified"),
        ({"NetworkInterfaceId": eni_id}, "MissingParameter", ""),
        ({"AllocationId": allocation_id, "NetworkInterfaceId": eni_id, "InstanceId": "i-0000000000000000a"},
         "InvalidParameterCombination", "You can specify either an instance ID or a network interface ID"),
        ({"AllocationId": allocation_id, "NetworkInterfaceId": eni_id, "PrivateIpAddress": "10.0.1.99"},
         "InvalidParameterValue", f"The specified private IP address 10.0.1.99 is not assigned to network interface {eni_id}."),
        ({"PublicIp": "192.0.2.55", "NetworkInterfaceId": eni_id}, "AuthFailure", "The address '192.0.2.55' does not belong to you."),
    ]
    for kwargs, code, message in cases:
        with pytest.raises(ClientError) as exc:
            ec2.associate_address(**kwargs)
        assert error_of(exc)[0] == code, kwargs
        assert error_of(exc)[1].startswith(message), kwargs
    assert "AssociationId" not in address(ec2, allocation_id)


def test_associate_needs_an_internet_gateway(ec2: Any) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    eni_id = new_eni(ec2, subnet_id)["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=eni_id)
    assert error_of(exc) == ("Gateway.NotAttached", f"Network {vpc_id} is not attached to any internet gateway")


def test_reassociation_requires_allow_reassociation(ec2: Any, stack: dict[str, Any]) -> None:
    first = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    second = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    association_id = ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=first)["AssociationId"]
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=second)
    assert error_of(exc) == (
        "Resource.AlreadyAssociated", f"resource {allocation_id} is already associated with associate-id {association_id}"
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    moved = ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=second, AllowReassociation=True)["AssociationId"]
    assert moved != association_id
    assert "Association" not in eni_view(ec2, first)
    assert eni_view(ec2, second)["Association"]["AssociationId"] == moved
    assert address(ec2, allocation_id)["NetworkInterfaceId"] == second


def test_a_new_address_displaces_the_old_one_on_the_same_private_ip(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"], SecondaryPrivateIpAddressCount=1)["NetworkInterfaceId"]
    old = allocate(ec2)["AllocationId"]
    new = allocate(ec2)["AllocationId"]
    on_secondary = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=old, NetworkInterfaceId=eni_id)
    ec2.associate_address(AllocationId=on_secondary, NetworkInterfaceId=eni_id, PrivateIpAddress="10.0.1.5")
    ec2.associate_address(AllocationId=new, NetworkInterfaceId=eni_id)
    assert "AssociationId" not in address(ec2, old)
    assert address(ec2, new)["PrivateIpAddress"] == "10.0.1.4"
    view = eni_view(ec2, eni_id)
    assert view["Association"]["AllocationId"] == new
    assert view["PrivateIpAddresses"][1]["Association"]["AllocationId"] == on_secondary
    # unassigning the secondary address disassociates its EIP
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.1.5"])
    assert "AssociationId" not in address(ec2, on_secondary)


def test_an_eip_replaces_the_auto_assigned_public_ip_and_gives_it_back(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    ctx = request_context(gateway)
    subnet = gateway.run(records.get(ctx, KINDS["subnet"], stack["subnet_id"]))
    eni = gateway.run(network_interfaces.create_interface(ctx, subnet=subnet, security_group_ids=[], private_ip=None, public_ip=True))
    eni_id = eni["network_interface_id"]
    auto = eni["public_ip_address"]
    allocation = allocate(ec2)
    association_id = ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
    assert auto not in pool(gateway)
    assert eni_view(ec2, eni_id)["Association"]["PublicIp"] == allocation["PublicIp"]
    ec2.disassociate_address(AssociationId=association_id)
    restored = eni_view(ec2, eni_id)["Association"]
    assert restored["IpOwnerId"] == "amazon" and "AllocationId" not in restored
    assert pool(gateway)[restored["PublicIp"]]["type"] == "eni-public"


def test_associate_with_an_instance(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    ctx = request_context(gateway)
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocation_id, InstanceId=instance_id)
    assert error_of(exc)[0] == "InvalidInstanceID"
    gateway.run(network_interfaces.attach_to_instance(ctx, eni_id, instance_id, 0, delete_on_termination=True))
    association_id = ec2.associate_address(AllocationId=allocation_id, InstanceId=instance_id)["AssociationId"]
    found = address(ec2, allocation_id)
    assert (found["InstanceId"], found["NetworkInterfaceId"], found["AssociationId"]) == (instance_id, eni_id, association_id)
    assert ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [instance_id]}])["Addresses"] == [found]
    assert [r["allocation_id"] for r in gateway.run(addresses.addresses_of_instance(ctx, instance_id))] == [allocation_id]
    second_eni = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=second_eni, InstanceId=instance_id, DeviceIndex=1)
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocate(ec2)["AllocationId"], InstanceId=instance_id)
    assert error_of(exc) == (
        "InvalidInstanceID",
        f"There are multiple interfaces attached to instance '{instance_id}'. Please specify an interface ID for the operation instead.",
    )
    pending = seed_subnet_instance(gateway, stack["subnet"], state="pending")
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocation_id, InstanceId=pending)
    assert error_of(exc) == ("InvalidInstanceID", f"The pending instance '{pending}' is not in a valid state for this operation.")
    with pytest.raises(ClientError) as exc:
        ec2.associate_address(AllocationId=allocation_id, InstanceId="i-0000000000000000a")
    assert error_of(exc)[0] == "InvalidInstanceID.NotFound"


def test_instance_id_follows_the_interface_and_termination_releases(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    ctx = request_context(gateway)
    instance_id = seed_subnet_instance(gateway, stack["subnet"])
    dies = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    survives = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    a = allocate(ec2)["AllocationId"]
    b = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=a, NetworkInterfaceId=dies)
    ec2.associate_address(AllocationId=b, NetworkInterfaceId=survives)
    assert "InstanceId" not in address(ec2, a)
    gateway.run(network_interfaces.attach_to_instance(ctx, dies, instance_id, 0, delete_on_termination=True))
    ec2.attach_network_interface(NetworkInterfaceId=survives, InstanceId=instance_id, DeviceIndex=1)
    assert address(ec2, a)["InstanceId"] == instance_id and address(ec2, b)["InstanceId"] == instance_id
    gateway.run(addresses.release_instance_associations(ctx, instance_id))
    gateway.run(network_interfaces.release_instance_interfaces(ctx, instance_id))
    gone = address(ec2, a)
    assert "AssociationId" not in gone and "InstanceId" not in gone
    kept = address(ec2, b)
    assert kept["NetworkInterfaceId"] == survives and "InstanceId" not in kept
    assert gateway.run(addresses.addresses_of_instance(ctx, instance_id)) == []


def test_deleting_the_interface_disassociates(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=eni_id)
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert "AssociationId" not in address(ec2, allocation_id)
    ec2.release_address(AllocationId=allocation_id)


def test_release_in_a_default_vpc_disassociates_first(gateway: RunningGateway, ec2: Any) -> None:
    default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    eni_id = new_eni(ec2, default_subnet["SubnetId"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=eni_id)
    ec2.release_address(AllocationId=allocation_id)
    assert "Association" not in eni_view(ec2, eni_id)
    assert pool(gateway) == {}


# --- describe -------------------------------------------------------------------------------------------


def test_describe_ids_public_ips_and_filters(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    a = allocate(ec2, TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "env", "Value": "prod"}]}])
    b = allocate(ec2)
    association_id = ec2.associate_address(AllocationId=b["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
    ida, idb = a["AllocationId"], b["AllocationId"]

    def ids(name: str, *values: str) -> set[str]:
        found = ec2.describe_addresses(Filters=[{"Name": name, "Values": list(values)}])["Addresses"]
        return {x["AllocationId"] for x in found}

    assert ids("allocation-id", ida) == {ida}
    assert ids("association-id", association_id) == {idb}
    assert ids("domain", "vpc") == {ida, idb}
    assert ids("instance-id", "i-*") == set()
    assert ids("network-border-group", "ap-southeast-2") == {ida, idb}
    assert ids("network-interface-id", eni_id) == {idb}
    assert ids("network-interface-owner-id", ADMIN) == {idb}
    assert ids("private-ip-address", "10.0.1.4") == {idb}
    assert ids("public-ip", a["PublicIp"]) == {ida}
    assert ids("tag:env", "prod") == {ida}
    assert ids("tag-key", "env") == {ida}
    assert ids("tag-value", "pr*") == {ida}
    with pytest.raises(ClientError) as exc:
        ids("nonsense", "x")
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'nonsense' is invalid")
    assert [x["AllocationId"] for x in ec2.describe_addresses(PublicIps=[b["PublicIp"]])["Addresses"]] == [idb]
    with pytest.raises(ClientError) as exc:
        ec2.describe_addresses(PublicIps=["192.0.2.1"])
    assert error_of(exc) == ("InvalidAddress.NotFound", "Address '192.0.2.1' not found.")
    with pytest.raises(ClientError) as exc:
        ec2.describe_addresses(AllocationIds=[ida, "eipalloc-0000000000000000a", "eipalloc-0000000000000000b"])
    assert error_of(exc) == (
        "InvalidAllocationID.NotFound",
        "The allocation IDs 'eipalloc-0000000000000000a, eipalloc-0000000000000000b' do not exist",
    )
    # not paginated: every address in one answer, never a NextToken
    for _ in range(6):
        allocate(ec2)
    everything = ec2.describe_addresses()
    assert len(everything["Addresses"]) == 8 and "NextToken" not in everything
    assert [x["AllocationId"] for x in everything["Addresses"]] == sorted(x["AllocationId"] for x in everything["Addresses"])


def test_addresses_attribute_and_reverse_dns(ec2: Any) -> None:
    made = sorted(allocate(ec2)["AllocationId"] for _ in range(3))
    answer = ec2.describe_addresses_attribute(AllocationIds=[made[0]], Attribute="domain-name")
    assert answer["Addresses"] == [{"AllocationId": made[0], "PublicIp": address(ec2, made[0])["PublicIp"]}]
    assert "NextToken" not in answer
    page = ec2.describe_addresses_attribute(Attribute="domain-name", MaxResults=2)
    assert [x["AllocationId"] for x in page["Addresses"]] == made[:2]
    rest = ec2.describe_addresses_attribute(Attribute="domain-name", MaxResults=2, NextToken=page["NextToken"])
    assert [x["AllocationId"] for x in rest["Addresses"]] == made[2:] and "NextToken" not in rest
    with pytest.raises(ClientError) as exc:
        ec2.describe_addresses_attribute(AllocationIds=["eipalloc-0000000000000000a"], Attribute="domain-name")
    assert error_of(exc)[0] == "InvalidAllocationID.NotFound"
    modified = ec2.modify_address_attribute(AllocationId=made[1], DomainName="mail.example.com")["Address"]
    assert modified["PtrRecord"] == "mail.example.com"
    assert ec2.describe_addresses_attribute(AllocationIds=[made[1]], Attribute="domain-name")["Addresses"][0]["PtrRecord"] == "mail.example.com"
    reset = ec2.reset_address_attribute(AllocationId=made[1], Attribute="domain-name")["Address"]
    assert "PtrRecord" not in reset
    assert "PtrRecord" not in ec2.describe_addresses_attribute(AllocationIds=[made[1]], Attribute="domain-name")["Addresses"][0]
    with pytest.raises(ClientError) as exc:
        ec2.modify_address_attribute(AllocationId=made[1])
    assert error_of(exc)[0] == "MissingParameter"


def test_describe_addresses_matches_the_wire_shape(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = allocate(ec2, TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "k", "Value": "v"}]}])["AllocationId"]
    ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=eni_id)
    for action, members in (("DescribeAddresses", f"AllocationId.1={allocation_id}"),
                            ("DescribeAddressesAttribute", f"AllocationId.1={allocation_id}&Attribute=domain-name")):
        answer = admin_send(gateway, f"Action={action}&Version=2016-11-15&{members}")
        assert answer.status == 200
        assert_matches_model(answer.body, action)
    assert "<domain>vpc</domain>" in admin_send(gateway, "Action=DescribeAddresses&Version=2016-11-15").text


# --- Terraform and tenancy --------------------------------------------------------------------------------


def test_terraform_aws_eip_sequence(ec2: Any, stack: dict[str, Any]) -> None:
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    allocation_id = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "tf"}]}]
    )["AllocationId"]
    read = address(ec2, allocation_id)
    assert (read["Domain"], read["Tags"]) == ("vpc", [{"Key": "Name", "Value": "tf"}])
    attribute = ec2.get_paginator("describe_addresses_attribute").paginate(AllocationIds=[allocation_id], Attribute="domain-name")
    assert [x for p in attribute for x in p["Addresses"]] == [{"AllocationId": allocation_id, "PublicIp": read["PublicIp"]}]
    association_id = ec2.associate_address(AllocationId=allocation_id, NetworkInterfaceId=eni_id)["AssociationId"]
    found = ec2.describe_addresses(Filters=[{"Name": "association-id", "Values": [association_id]}])["Addresses"]
    assert [(x["AllocationId"], x["NetworkInterfaceId"]) for x in found] == [(allocation_id, eni_id)]
    ec2.disassociate_address(AssociationId=association_id)
    ec2.release_address(AllocationId=allocation_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_addresses(AllocationIds=[allocation_id])
    assert error_of(exc)[0] == "InvalidAllocationID.NotFound"  # the provider treats it as gone


def test_tenant_isolation(gateway: RunningGateway, ec2: Any, stack: dict[str, Any]) -> None:
    allocation = allocate(ec2)
    eni_id = new_eni(ec2, stack["subnet_id"])["NetworkInterfaceId"]
    association_id = ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
    other = gateway.client("ec2", creds=gateway.create_account("tenant"))
    for target in (allocation["AllocationId"], "eipalloc-0000000000000000f"):
        calls: list[Callable[[str], Any]] = [
            lambda t: other.describe_addresses(AllocationIds=[t]),
            lambda t: other.release_address(AllocationId=t),
            lambda t: other.describe_addresses_attribute(AllocationIds=[t], Attribute="domain-name"),
        ]
        for call in calls:
            with pytest.raises(ClientError) as exc:
                call(target)
            assert error_of(exc) == ("InvalidAllocationID.NotFound", f"The allocation ID '{target}' does not exist")
    with pytest.raises(ClientError) as exc:
        other.disassociate_address(AssociationId=association_id)
    assert error_of(exc)[0] == "InvalidAssociationID.NotFound"
    with pytest.raises(ClientError) as exc:
        other.describe_addresses(PublicIps=[allocation["PublicIp"]])
    assert error_of(exc)[0] == "InvalidAddress.NotFound"
    with pytest.raises(ClientError) as exc:  # the pool is shared: someone else's address is in use
        other.allocate_address(Domain="vpc", Address=allocation["PublicIp"])
    assert error_of(exc)[0] == "InvalidIPAddress.InUse"
    theirs = other.allocate_address(Domain="vpc")
    assert theirs["PublicIp"] != allocation["PublicIp"]
    assert other.describe_addresses()["Addresses"][0]["AllocationId"] == theirs["AllocationId"]
    assert address(ec2, allocation["AllocationId"])["AssociationId"] == association_id
