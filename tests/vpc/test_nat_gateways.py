"""NAT gateways through boto3: every action, state and error code, and their effects on
interfaces, Elastic IPs, routes and the delete rules of subnets, VPCs and internet gateways."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hive_gateway.config import Timings
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, start_gateway
from tests.helpers import code, error_of, message, new_vpc, put_raw, tag_specifications, wait_for

FAST = Timings(nat_gateway_pending=0.3, nat_gateway_deleting=0.3, nat_gateway_retention=3.0)


@pytest.fixture
def nat_gateway(tmp_path: Path) -> Iterator[RunningGateway]:
    """A gateway whose NAT gateways change state within a fraction of a second."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, timings=FAST)
    yield running
    running._stop()


@pytest.fixture
def ec2(nat_gateway: RunningGateway) -> Any:
    return nat_gateway.client("ec2")


@dataclass
class Net:
    vpc_id: str
    public: str
    private: str
    igw_id: str


def network(ec2: Any, cidr: str = "10.0.0.0/16", igw: bool = True) -> Net:
    vpc_id = new_vpc(ec2, cidr)
    base = cidr.rsplit(".", 2)[0]
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{base}.2.0/24")["Subnet"]["SubnetId"]
    igw_id = ""
    if igw:
        igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    return Net(vpc_id, public, private, igw_id)


def eip(ec2: Any) -> str:
    return str(ec2.allocate_address(Domain="vpc")["AllocationId"])


def describe_one(ec2: Any, nat_id: str) -> dict[str, Any]:
    (found,) = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
    return dict(found)


def available(ec2: Any, nat_id: str) -> dict[str, Any]:
    return wait_for(lambda: (g := describe_one(ec2, nat_id))["State"] == "available" and g)


def public_nat(ec2: Any, net: Net, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("AllocationId", eip(ec2))
    return dict(ec2.create_nat_gateway(SubnetId=net.public, **kwargs)["NatGateway"])


def gone(ec2: Any, nat_id: str) -> dict[str, Any]:
    return wait_for(lambda: (g := describe_one(ec2, nat_id))["State"] == "deleted" and g)


# --- CreateNatGateway -----------------------------------------------------------------------------


def test_public_gateway_pending_then_available_with_its_interface_and_eip(ec2: Any) -> None:
    net = network(ec2)
    allocation = eip(ec2)
    created = ec2.create_nat_gateway(
        SubnetId=net.public,
        AllocationId=allocation,
        TagSpecifications=tag_specifications("natgateway", Name="nat-a"),
    )["NatGateway"]
    nat_id = created["NatGatewayId"]
    assert nat_id.startswith("nat-") and created["State"] == "pending"
    assert created["ConnectivityType"] == "public"
    assert (created["SubnetId"], created["VpcId"]) == (net.public, net.vpc_id)
    assert created["Tags"] == [{"Key": "Name", "Value": "nat-a"}]
    (address,) = created["NatGatewayAddresses"]
    assert address["AllocationId"] == allocation and address["IsPrimary"] is True
    assert address["Status"] == "succeeded" and address["AssociationId"].startswith("eipassoc-")
    assert address["PrivateIp"].startswith("10.0.1.")
    ready = available(ec2, nat_id)
    assert "DeleteTime" not in ready and ready["CreateTime"] == created["CreateTime"]

    eni_id = address["NetworkInterfaceId"]
    (eni,) = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert eni["InterfaceType"] == "nat_gateway" and eni["RequesterManaged"] is True
    assert eni["Status"] == "in-use" and eni["Description"] == f"Interface for NAT Gateway {nat_id}"
    assert eni["SubnetId"] == net.public and eni["PrivateIpAddress"] == address["PrivateIp"]
    assert eni["Groups"] == []
    assert eni["Association"]["PublicIp"] == address["PublicIp"]

    (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert addr["AssociationId"] == address["AssociationId"]
    assert addr["NetworkInterfaceId"] == eni_id and addr["PrivateIpAddress"] == address["PrivateIp"]


def test_private_gateway_with_secondary_addresses(ec2: Any) -> None:
    net = network(ec2, igw=False)
    created = ec2.create_nat_gateway(
        SubnetId=net.private,
        ConnectivityType="private",
        PrivateIpAddress="10.0.2.10",
        SecondaryPrivateIpAddressCount=2,
    )["NatGateway"]
    assert created["ConnectivityType"] == "private"
    ips = [a["PrivateIp"] for a in created["NatGatewayAddresses"]]
    assert ips[0] == "10.0.2.10" and len(set(ips)) == 3
    assert [a["IsPrimary"] for a in created["NatGatewayAddresses"]] == [True, False, False]
    assert all("AllocationId" not in a for a in created["NatGatewayAddresses"])
    eni_id = created["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    (eni,) = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert sorted(a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"]) == sorted(ips)
    explicit = ec2.create_nat_gateway(
        SubnetId=net.private,
        ConnectivityType="private",
        SecondaryPrivateIpAddresses=["10.0.2.20", "10.0.2.21"],
    )["NatGateway"]
    assert [a["PrivateIp"] for a in explicit["NatGatewayAddresses"]][1:] == [
        "10.0.2.20",
        "10.0.2.21",
    ]
    with pytest.raises(ClientError) as taken:
        ec2.create_nat_gateway(
            SubnetId=net.private, ConnectivityType="private", PrivateIpAddress="10.0.2.10"
        )
    assert code(taken) == "InvalidIPAddress.InUse"


def test_public_gateway_with_secondary_allocations(ec2: Any) -> None:
    net = network(ec2)
    primary, second, third = eip(ec2), eip(ec2), eip(ec2)
    created = public_nat(
        ec2,
        net,
        AllocationId=primary,
        SecondaryAllocationIds=[second, third],
        SecondaryPrivateIpAddresses=["10.0.1.50", "10.0.1.51"],
    )
    by_allocation = {a["AllocationId"]: a for a in created["NatGatewayAddresses"]}
    assert (
        by_allocation[second]["PrivateIp"] == "10.0.1.50" and not by_allocation[second]["IsPrimary"]
    )
    assert by_allocation[third]["PrivateIp"] == "10.0.1.51"
    for allocation in (second, third):
        (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
        assert addr["PrivateIpAddress"] == by_allocation[allocation]["PrivateIp"]
        assert addr["AssociationId"] == by_allocation[allocation]["AssociationId"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "MissingParameter"),  # public without AllocationId
        (
            {"ConnectivityType": "private", "AllocationId": "eipalloc-0123456789abcdef0"},
            "InvalidParameterCombination",
        ),
        (
            {
                "ConnectivityType": "private",
                "SecondaryAllocationIds": ["eipalloc-0123456789abcdef0"],
            },
            "InvalidParameterCombination",
        ),
        (
            {
                "ConnectivityType": "private",
                "SecondaryPrivateIpAddressCount": 2,
                "SecondaryPrivateIpAddresses": ["10.0.2.9"],
            },
            "InvalidParameterCombination",
        ),
        (
            {"ConnectivityType": "private", "SecondaryPrivateIpAddressCount": 8},
            "InvalidParameterValue",
        ),
        (
            {"AllocationId": "eipalloc-0123456789abcdef0", "SecondaryPrivateIpAddressCount": 1},
            "InvalidParameterCombination",
        ),
        ({"ConnectivityType": "sideways"}, "InvalidParameterValue"),
        ({"AllocationId": "eipalloc-0123456789abcdef0"}, "InvalidAllocationID.NotFound"),
        (
            {"TagSpecifications": tag_specifications("vpc", a="b"), "ConnectivityType": "private"},
            "InvalidParameterValue",
        ),
    ],
)
def test_create_errors(ec2: Any, kwargs: dict[str, Any], expected: str) -> None:
    net = network(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.create_nat_gateway(SubnetId=net.private, **kwargs)
    assert code(exc) == expected
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net.private]}])
    assert enis["NetworkInterfaces"] == []


def test_unknown_subnet_and_associated_eip(ec2: Any) -> None:
    with pytest.raises(ClientError) as subnet:
        ec2.create_nat_gateway(SubnetId="subnet-0123456789abcdef0", ConnectivityType="private")
    assert code(subnet) == "InvalidSubnetID.NotFound"
    net = network(ec2)
    allocation = eip(ec2)
    public_nat(ec2, net, AllocationId=allocation)
    with pytest.raises(ClientError) as taken:
        public_nat(ec2, net, AllocationId=allocation)
    assert error_of(taken) == (
        "Resource.AlreadyAssociated",
        f"Elastic IP address [{allocation}] is already associated",
    )
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["nat_gateway"]}]
    )["NetworkInterfaces"]
    assert len(enis) == 1  # the refused create left no interface behind


def test_public_gateway_without_internet_gateway_fails(ec2: Any) -> None:
    net = network(ec2, igw=False)
    allocation = eip(ec2)
    created = public_nat(ec2, net, AllocationId=allocation)
    assert created["State"] == "failed"
    assert created["FailureCode"] == "Gateway.NotAttached"
    assert created["FailureMessage"] == f"Network {net.vpc_id} has no Internet gateway attached"
    (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert "AssociationId" not in addr
    ec2.delete_subnet(SubnetId=net.public)  # a failed gateway holds nothing


def test_client_token_is_idempotent(ec2: Any) -> None:
    net = network(ec2)
    allocation = eip(ec2)
    first = ec2.create_nat_gateway(
        SubnetId=net.public, AllocationId=allocation, ClientToken="tok-1"
    )
    again = ec2.create_nat_gateway(
        SubnetId=net.public, AllocationId=allocation, ClientToken="tok-1"
    )
    assert first["ClientToken"] == again["ClientToken"] == "tok-1"
    assert first["NatGateway"]["NatGatewayId"] == again["NatGateway"]["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    with pytest.raises(ClientError) as mismatch:
        ec2.create_nat_gateway(SubnetId=net.private, AllocationId=allocation, ClientToken="tok-1")
    assert code(mismatch) == "IdempotentParameterMismatch"


def test_dry_run(ec2: Any) -> None:
    net = network(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private", DryRun=True)
    assert code(exc) == "DryRunOperation"
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    for call in (
        lambda: ec2.describe_nat_gateways(DryRun=True),
        lambda: ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0", DryRun=True),
    ):
        with pytest.raises(ClientError) as dry:
            call()
        assert code(dry) == "DryRunOperation"


# --- DescribeNatGateways --------------------------------------------------------------------------


def test_describe_filters_ids_and_pagination(ec2: Any) -> None:
    net = network(ec2)
    other = network(ec2, "10.1.0.0/16", igw=False)
    a = public_nat(ec2, net, TagSpecifications=tag_specifications("natgateway", team="red"))
    b = ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")["NatGateway"]
    c = ec2.create_nat_gateway(
        SubnetId=other.private,
        ConnectivityType="private",
        TagSpecifications=tag_specifications("natgateway", team="blue"),
    )["NatGateway"]
    ids = {a["NatGatewayId"], b["NatGatewayId"], c["NatGatewayId"]}

    def found(**kwargs: Any) -> set[str]:
        return {g["NatGatewayId"] for g in ec2.describe_nat_gateways(**kwargs)["NatGateways"]}

    def by(name: str, *values: str) -> set[str]:
        return found(Filter=[{"Name": name, "Values": list(values)}])

    assert found() == ids
    assert by("vpc-id", net.vpc_id) == {a["NatGatewayId"], b["NatGatewayId"]}
    assert by("subnet-id", other.private) == {c["NatGatewayId"]}
    assert by("nat-gateway-id", a["NatGatewayId"]) == {a["NatGatewayId"]}
    assert by("tag:team", "red", "blue") == {a["NatGatewayId"], c["NatGatewayId"]}
    assert by("tag-key", "team") == {a["NatGatewayId"], c["NatGatewayId"]}
    assert by("state", "pending", "available") == ids
    assert by("state", "deleted") == set()
    with pytest.raises(ClientError) as bad:
        by("colour", "red")
    assert code(bad) == "InvalidParameterValue"

    page = ec2.describe_nat_gateways(MaxResults=5)
    assert len(page["NatGateways"]) == 3 and "NextToken" not in page
    seen: list[str] = []
    for result in ec2.get_paginator("describe_nat_gateways").paginate(
        PaginationConfig={"PageSize": 5}
    ):
        seen += [g["NatGatewayId"] for g in result["NatGateways"]]
    assert sorted(seen) == sorted(ids)
    assert found(NatGatewayIds=[b["NatGatewayId"]]) == {b["NatGatewayId"]}


def test_describe_pages_through_many(ec2: Any) -> None:
    net = network(ec2)
    made = {
        ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")["NatGateway"][
            "NatGatewayId"
        ]
        for _ in range(7)
    }
    first = ec2.describe_nat_gateways(MaxResults=5)
    assert len(first["NatGateways"]) == 5 and first["NextToken"]
    rest = ec2.describe_nat_gateways(MaxResults=5, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    assert {g["NatGatewayId"] for g in first["NatGateways"] + rest["NatGateways"]} == made


def test_unknown_and_malformed_ids(ec2: Any) -> None:
    with pytest.raises(ClientError) as missing:
        ec2.describe_nat_gateways(NatGatewayIds=["nat-0123456789abcdef0"])
    assert error_of(missing) == (
        "NatGatewayNotFound",
        "The Nat Gateway nat-0123456789abcdef0 was not found",
    )
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as delete:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert code(delete) == "NatGatewayNotFound"
    for call in (
        lambda: ec2.describe_nat_gateways(NatGatewayIds=["igw-0123"]),
        lambda: ec2.delete_nat_gateway(NatGatewayId="nat-xyz"),
    ):
        with pytest.raises(ClientError) as malformed:
            call()
        assert code(malformed) == "NatGatewayMalformed"


def test_another_accounts_gateway_looks_missing(nat_gateway: RunningGateway, ec2: Any) -> None:
    net = network(ec2)
    nat_id = public_nat(ec2, net)["NatGatewayId"]
    other = nat_gateway.client("ec2", nat_gateway.create_account("other"))
    with pytest.raises(ClientError) as exc:
        other.describe_nat_gateways(NatGatewayIds=[nat_id])
    assert code(exc) == "NatGatewayNotFound"
    with pytest.raises(ClientError) as delete:
        other.delete_nat_gateway(NatGatewayId=nat_id)
    assert code(delete) == "NatGatewayNotFound"
    assert other.describe_nat_gateways()["NatGateways"] == []
    assert describe_one(ec2, nat_id)["State"] in ("pending", "available")


# --- DeleteNatGateway ------------------------------------------------------------------------------


def test_delete_releases_everything_and_stays_describable(ec2: Any) -> None:
    net = network(ec2)
    allocation = eip(ec2)
    created = public_nat(ec2, net, AllocationId=allocation)
    nat_id = created["NatGatewayId"]
    eni_id = created["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    private_ip = created["NatGatewayAddresses"][0]["PrivateIp"]
    available(ec2, nat_id)
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    deleting = describe_one(ec2, nat_id)
    assert deleting["State"] in ("deleting", "deleted") and "DeleteTime" in deleting
    deleted = gone(ec2, nat_id)
    assert deleted["DeleteTime"] == deleting["DeleteTime"]
    with pytest.raises(ClientError) as again:
        ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert code(again) == "NatGatewayNotFound"
    assert (
        ec2.describe_network_interfaces(
            Filters=[{"Name": "network-interface-id", "Values": [eni_id]}]
        )["NetworkInterfaces"]
        == []
    )
    (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert "AssociationId" not in addr and "NetworkInterfaceId" not in addr
    ec2.release_address(AllocationId=allocation)
    # its private address is back in the subnet
    again_ip = ec2.create_network_interface(SubnetId=net.public, PrivateIpAddress=private_ip)
    assert again_ip["NetworkInterface"]["PrivateIpAddress"] == private_ip
    # past the retention it is no longer listed at all
    wait_for(lambda: ec2.describe_nat_gateways()["NatGateways"] == [], timeout=15)
    with pytest.raises(ClientError) as purged:
        ec2.describe_nat_gateways(NatGatewayIds=[nat_id])
    assert code(purged) == "NatGatewayNotFound"


def test_deleted_gateway_filters_and_tags(ec2: Any) -> None:
    net = network(ec2)
    nat_id = ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")["NatGateway"][
        "NatGatewayId"
    ]
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    gone(ec2, nat_id)
    listed = ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["deleted"]}])
    assert [g["NatGatewayId"] for g in listed["NatGateways"]] == [nat_id]
    with pytest.raises(ClientError) as tag:
        ec2.create_tags(Resources=[nat_id], Tags=[{"Key": "a", "Value": "b"}])
    assert code(tag) == "NatGatewayNotFound"


def test_tags_after_create(ec2: Any) -> None:
    net = network(ec2)
    nat_id = ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")["NatGateway"][
        "NatGatewayId"
    ]
    ec2.create_tags(Resources=[nat_id], Tags=[{"Key": "Name", "Value": "later"}])
    assert describe_one(ec2, nat_id)["Tags"] == [{"Key": "Name", "Value": "later"}]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat_id]}])["Tags"]
    assert tags == [
        {"Key": "Name", "ResourceId": nat_id, "ResourceType": "natgateway", "Value": "later"}
    ]


# --- what a gateway holds on to -------------------------------------------------------------------


def test_eip_in_use_cannot_be_released_or_disassociated(ec2: Any) -> None:
    net = network(ec2)
    allocation = eip(ec2)
    created = public_nat(ec2, net, AllocationId=allocation)
    association = created["NatGatewayAddresses"][0]["AssociationId"]
    eni_id = created["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    for call in (
        lambda: ec2.release_address(AllocationId=allocation),
        lambda: ec2.disassociate_address(AssociationId=association),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert error_of(refused) == (
            "AuthFailure",
            "You do not have permission to access the specified resource.",
        )
    other = network(ec2, "10.5.0.0/16")
    target = ec2.create_network_interface(SubnetId=other.public)["NetworkInterface"]
    with pytest.raises(ClientError) as moved:
        ec2.associate_address(
            AllocationId=allocation,
            AllowReassociation=True,
            NetworkInterfaceId=target["NetworkInterfaceId"],
        )
    assert code(moved) == "AuthFailure"
    spare = eip(ec2)
    with pytest.raises(ClientError) as onto:
        ec2.associate_address(AllocationId=spare, NetworkInterfaceId=eni_id)
    assert code(onto) == "AuthFailure"
    with pytest.raises(ClientError) as eni:
        ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert code(eni) == "InvalidNetworkInterface.InUse"
    (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert addr["AssociationId"] == association


def test_subnet_vpc_and_igw_detach_are_blocked_until_deleted(ec2: Any) -> None:
    net = network(ec2)
    nat_id = public_nat(ec2, net)["NatGatewayId"]
    available(ec2, nat_id)
    with pytest.raises(ClientError) as subnet:
        ec2.delete_subnet(SubnetId=net.public)
    assert code(subnet) == "DependencyViolation"
    with pytest.raises(ClientError) as detach:
        ec2.detach_internet_gateway(InternetGatewayId=net.igw_id, VpcId=net.vpc_id)
    assert code(detach) == "DependencyViolation"
    assert "mapped public address" in message(detach)
    ec2.delete_subnet(SubnetId=net.private)
    with pytest.raises(ClientError) as vpc:
        ec2.delete_vpc(VpcId=net.vpc_id)
    assert code(vpc) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    gone(ec2, nat_id)
    ec2.detach_internet_gateway(InternetGatewayId=net.igw_id, VpcId=net.vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=net.igw_id)
    ec2.delete_subnet(SubnetId=net.public)
    ec2.delete_vpc(VpcId=net.vpc_id)


def test_private_gateway_does_not_block_igw_detach(ec2: Any) -> None:
    net = network(ec2)
    ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")
    ec2.detach_internet_gateway(InternetGatewayId=net.igw_id, VpcId=net.vpc_id)


def test_routes_target_the_gateway_and_blackhole_when_it_goes(ec2: Any) -> None:
    net = network(ec2)
    nat_id = public_nat(ec2, net)["NatGatewayId"]
    available(ec2, nat_id)
    rtb = ec2.create_route_table(VpcId=net.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", GatewayId=nat_id)

    def routes() -> list[dict[str, Any]]:
        table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
        return [r for r in table["Routes"] if r.get("NatGatewayId")]

    assert {(r["DestinationCidrBlock"], r["State"]) for r in routes()} == {
        ("0.0.0.0/0", "active"),
        ("192.168.0.0/16", "active"),
    }
    by_target = ec2.describe_route_tables(
        Filters=[{"Name": "route.nat-gateway-id", "Values": [nat_id]}]
    )["RouteTables"]
    assert [t["RouteTableId"] for t in by_target] == [rtb]
    other = network(ec2, "10.9.0.0/16")
    other_rtb = ec2.create_route_table(VpcId=other.vpc_id)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as elsewhere:
        ec2.create_route(
            RouteTableId=other_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id
        )
    assert code(elsewhere) == "InvalidParameterValue"
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert {r["State"] for r in routes()} == {"blackhole"}
    gone(ec2, nat_id)
    with pytest.raises(ClientError) as to_deleted:
        ec2.create_route(
            RouteTableId=rtb, DestinationCidrBlock="172.16.0.0/12", NatGatewayId=nat_id
        )
    assert code(to_deleted) == "NatGatewayNotFound"


def test_route_to_a_hive_written_gateway(nat_gateway: RunningGateway, ec2: Any) -> None:
    """A record Hive wrote (its fields only, ``state available``) is a gateway like ours."""
    net = network(ec2)
    nat_id = "nat-0abc0abc0abc0abc0"
    put_raw(
        nat_gateway,
        "nat_gateways",
        f"000000000001.{nat_id}",
        {
            "nat_gateway_id": nat_id,
            "vpc_id": net.vpc_id,
            "subnet_id": net.public,
            "allocation_id": "eipalloc-0abc0abc0abc0abc0",
            "public_ip": "198.51.100.77",
            "state": "available",
            "account_id": "000000000001",
            "tags": {},
            "created_at": "2026-11-21T23:42:32.123456789Z",
        },
    )
    found = describe_one(ec2, nat_id)
    assert found["State"] == "available" and found["ConnectivityType"] == "public"
    assert found["NatGatewayAddresses"][0]["PublicIp"] == "198.51.100.77"
    rtb = ec2.create_route_table(VpcId=net.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    with pytest.raises(ClientError) as blocked:
        ec2.delete_subnet(SubnetId=net.public)
    assert code(blocked) == "DependencyViolation"


# --- secondary addresses ---------------------------------------------------------------------------


def test_associate_and_disassociate_secondary_eips(ec2: Any) -> None:
    net = network(ec2)
    nat_id = public_nat(ec2, net)["NatGatewayId"]
    available(ec2, nat_id)
    second = eip(ec2)
    answer = ec2.associate_nat_gateway_address(
        NatGatewayId=nat_id, AllocationIds=[second], PrivateIpAddresses=["10.0.1.99"]
    )
    (added,) = answer["NatGatewayAddresses"]
    assert (added["AllocationId"], added["PrivateIp"], added["IsPrimary"]) == (
        second,
        "10.0.1.99",
        False,
    )
    listed = describe_one(ec2, nat_id)["NatGatewayAddresses"]
    assert [a["AllocationId"] for a in listed][1:] == [second]
    (addr,) = ec2.describe_addresses(AllocationIds=[second])["Addresses"]
    assert addr["PrivateIpAddress"] == "10.0.1.99"
    with pytest.raises(ClientError) as twice:
        ec2.associate_nat_gateway_address(NatGatewayId=nat_id, AllocationIds=[second])
    assert code(twice) == "Resource.AlreadyAssociated"
    with pytest.raises(ClientError) as primary:
        ec2.disassociate_nat_gateway_address(
            NatGatewayId=nat_id, AssociationIds=[listed[0]["AssociationId"]]
        )
    assert code(primary) == "InvalidParameterValue"
    with pytest.raises(ClientError) as unknown:
        ec2.disassociate_nat_gateway_address(
            NatGatewayId=nat_id, AssociationIds=["eipassoc-0123456789abcdef0"]
        )
    assert code(unknown) == "InvalidAssociationID.NotFound"
    out = ec2.disassociate_nat_gateway_address(
        NatGatewayId=nat_id, AssociationIds=[added["AssociationId"]]
    )
    assert out["NatGatewayAddresses"][0]["Status"] == "disassociating"
    assert len(describe_one(ec2, nat_id)["NatGatewayAddresses"]) == 1
    ec2.release_address(AllocationId=second)  # no longer held
    with pytest.raises(ClientError) as private_only:
        ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddressCount=1)
    assert code(private_only) == "InvalidParameterValue"


def test_assign_and_unassign_private_addresses(ec2: Any) -> None:
    net = network(ec2)
    created = ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")["NatGateway"]
    nat_id = created["NatGatewayId"]
    primary = created["NatGatewayAddresses"][0]["PrivateIp"]
    available(ec2, nat_id)
    answer = ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddressCount=2)
    assert len(answer["NatGatewayAddresses"]) == 2
    ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddresses=["10.0.2.200"])
    ips = [a["PrivateIp"] for a in describe_one(ec2, nat_id)["NatGatewayAddresses"]]
    assert len(ips) == 4 and "10.0.2.200" in ips
    with pytest.raises(ClientError) as both:
        ec2.assign_private_nat_gateway_address(
            NatGatewayId=nat_id, PrivateIpAddresses=["10.0.2.201"], PrivateIpAddressCount=1
        )
    assert code(both) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as neither:
        ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id)
    assert code(neither) == "MissingParameter"
    with pytest.raises(ClientError) as too_many:
        ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddressCount=5)
    assert code(too_many) == "InvalidParameterValue"
    with pytest.raises(ClientError) as in_use:
        ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddresses=[primary])
    assert code(in_use) == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as the_primary:
        ec2.unassign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddresses=[primary])
    assert code(the_primary) == "InvalidParameterValue"
    with pytest.raises(ClientError) as not_its:
        ec2.unassign_private_nat_gateway_address(
            NatGatewayId=nat_id, PrivateIpAddresses=["10.0.2.250"]
        )
    assert code(not_its) == "InvalidParameterValue"
    out = ec2.unassign_private_nat_gateway_address(
        NatGatewayId=nat_id, PrivateIpAddresses=["10.0.2.200"]
    )
    assert out["NatGatewayAddresses"][0]["Status"] == "unassigning"
    ips = [a["PrivateIp"] for a in describe_one(ec2, nat_id)["NatGatewayAddresses"]]
    assert "10.0.2.200" not in ips and len(ips) == 3
    eni = ec2.create_network_interface(SubnetId=net.private, PrivateIpAddress="10.0.2.200")
    assert eni["NetworkInterface"]["PrivateIpAddress"] == "10.0.2.200"  # given back
    with pytest.raises(ClientError) as public_only:
        ec2.associate_nat_gateway_address(NatGatewayId=nat_id, AllocationIds=[eip(ec2)])
    assert code(public_only) == "InvalidParameterValue"
    with pytest.raises(ClientError) as missing:
        ec2.assign_private_nat_gateway_address(
            NatGatewayId="nat-0123456789abcdef0", PrivateIpAddressCount=1
        )
    assert code(missing) == "NatGatewayNotFound"


def test_timings_come_from_settings(tmp_path: Path) -> None:
    """The default pending time (1 s) is Settings', not a constant: a slower one holds."""

    async def memory() -> Store:
        return MemoryStore()

    slow = start_gateway(memory, tmp_path, timings=Timings(nat_gateway_pending=30.0))
    try:
        ec2 = slow.client("ec2")
        net = network(ec2)
        nat_id = ec2.create_nat_gateway(SubnetId=net.private, ConnectivityType="private")[
            "NatGateway"
        ]["NatGatewayId"]
        time.sleep(0.5)
        assert describe_one(ec2, nat_id)["State"] == "pending"
        with pytest.raises(ClientError) as early:  # addresses change only while available
            ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddressCount=1)
        assert code(early) == "IncorrectState"
    finally:
        slow._stop()


def test_lifecycle_on_nats(nats_gateway: RunningGateway) -> None:
    """The same lifecycle on a real nats-server (CAS writes, claims, the ClientToken claim)."""
    ec2 = nats_gateway.client("ec2")
    net = network(ec2)
    allocation = eip(ec2)
    created = ec2.create_nat_gateway(
        SubnetId=net.public, AllocationId=allocation, ClientToken="nats-1"
    )["NatGateway"]
    nat_id = created["NatGatewayId"]
    again = ec2.create_nat_gateway(
        SubnetId=net.public, AllocationId=allocation, ClientToken="nats-1"
    )["NatGateway"]
    assert again["NatGatewayId"] == nat_id
    assert available(ec2, nat_id)["NatGatewayAddresses"][0]["AllocationId"] == allocation
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert describe_one(ec2, nat_id)["State"] in ("deleting", "deleted")
    (addr,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert "AssociationId" not in addr
    gone(ec2, nat_id)
    ec2.delete_subnet(SubnetId=net.public)


def test_a_deleting_gateway_still_blocks_and_deletes_again(tmp_path: Path) -> None:
    """While ``deleting`` (here 30 s) the gateway still holds its subnet, VPC and the VPC's
    internet gateway, as on AWS; DeleteNatGateway again answers its id."""

    async def memory() -> Store:
        return MemoryStore()

    slow = start_gateway(
        memory, tmp_path, timings=Timings(nat_gateway_pending=0.0, nat_gateway_deleting=30.0)
    )
    try:
        ec2 = slow.client("ec2")
        net = network(ec2)
        nat_id = public_nat(ec2, net)["NatGatewayId"]
        available(ec2, nat_id)
        ec2.delete_nat_gateway(NatGatewayId=nat_id)
        deleting = describe_one(ec2, nat_id)
        assert deleting["State"] == "deleting" and "DeleteTime" in deleting
        assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
        assert describe_one(ec2, nat_id)["DeleteTime"] == deleting["DeleteTime"]
        with pytest.raises(ClientError) as subnet:
            ec2.delete_subnet(SubnetId=net.public)
        assert code(subnet) == "DependencyViolation"
        with pytest.raises(ClientError) as detach:
            ec2.detach_internet_gateway(InternetGatewayId=net.igw_id, VpcId=net.vpc_id)
        assert code(detach) == "DependencyViolation"
        with pytest.raises(ClientError) as release:  # the address is the service's until deleted
            ec2.release_address(AllocationId=deleting["NatGatewayAddresses"][0]["AllocationId"])
        assert code(release) == "AuthFailure"
    finally:
        slow._stop()
