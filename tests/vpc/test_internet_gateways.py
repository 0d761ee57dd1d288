"""Internet gateways end to end: boto3 against a real gateway (the Terraform sequences included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hive_gateway.conformance.xml_check import assert_xml_matches_shape
from hive_gateway.api.protocol.models import operation_model
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    RecordingBus,
    admin_send,
    error_of,
    nats_token_gateway,  # noqa: F401  (fixture: a gateway over the token-guarded nats-server)
    new_vpc,
    race,
    tag_specifications,
)


def new_igw(ec2: Any, **tags: str) -> str:
    params: dict[str, Any] = {}
    if tags:
        params["TagSpecifications"] = tag_specifications("internet-gateway", **tags)
    return str(ec2.create_internet_gateway(**params)["InternetGateway"]["InternetGatewayId"])


def describe_one(ec2: Any, igw_id: str) -> dict[str, Any]:
    gateways = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    assert len(gateways) == 1
    return dict(gateways[0])


# --- create / describe / the Terraform sequence ----------------------------------------------


def test_create_returns_a_detached_tagged_gateway(ec2: Any) -> None:
    igw = ec2.create_internet_gateway(
        TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": "main"}]}
        ]
    )["InternetGateway"]
    assert igw["InternetGatewayId"].startswith("igw-") and len(igw["InternetGatewayId"]) == 21
    assert igw["Attachments"] == []
    assert igw["OwnerId"] == "000000000001"
    assert igw["Tags"] == [{"Key": "Name", "Value": "main"}]
    assert describe_one(ec2, igw["InternetGatewayId"]) == igw


def test_create_refuses_a_foreign_tag_resource_type(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_internet_gateway(
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_terraform_create_attach_wait_detach_delete(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2, Name="tf")
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    # waitInternetGatewayAttached: exactly one attachment, that VPC, State "available".
    attached = describe_one(ec2, igw_id)
    assert attached["Attachments"] == [{"State": "available", "VpcId": vpc_id}]
    assert attached["Tags"] == [{"Key": "Name", "Value": "tf"}]
    # Delete: detach, wait for no attachments, delete, NotFound afterwards.
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert describe_one(ec2, igw_id)["Attachments"] == []
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])
    assert error_of(exc) == (
        "InvalidInternetGatewayID.NotFound",
        f"The internetGateway ID '{igw_id}' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    assert error_of(exc)[0] == "InvalidInternetGatewayID.NotFound"


def test_gateway_can_move_to_another_vpc(ec2: Any) -> None:
    first, second = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    igw_id = new_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=first)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=first)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=second)
    assert describe_one(ec2, igw_id)["Attachments"] == [{"State": "available", "VpcId": second}]
    # The first VPC's slot was released: another gateway can attach there.
    other = new_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=other, VpcId=first)


# --- attach / detach / delete errors ---------------------------------------------------------


def test_attach_errors(ec2: Any) -> None:
    vpc_id, other_vpc = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    igw_id = new_igw(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId="vpc-0123456789abcdef0")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId="igw-0123456789abcdef0", VpcId=vpc_id)
    assert error_of(exc) == (
        "InvalidInternetGatewayID.NotFound",
        "The internetGateway ID 'igw-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId="nat-0123", VpcId=vpc_id)
    assert error_of(exc)[0] == "InvalidInternetGatewayID.Malformed"

    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=other_vpc)
    assert error_of(exc) == (
        "Resource.AlreadyAssociated",
        f"resource {igw_id} is already attached to network {vpc_id}",
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert error_of(exc)[0] == "Resource.AlreadyAssociated"
    # One internet gateway per VPC.
    second = new_igw(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.attach_internet_gateway(InternetGatewayId=second, VpcId=vpc_id)
    assert error_of(exc)[0] == "Resource.AlreadyAssociated"
    assert describe_one(ec2, second)["Attachments"] == []


def test_detach_errors(ec2: Any) -> None:
    vpc_id, other_vpc = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    igw_id = new_igw(ec2)
    with pytest.raises(ClientError) as exc:
        ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert error_of(exc) == (
        "Gateway.NotAttached",
        f"resource {igw_id} is not attached to network {vpc_id}",
    )
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=other_vpc)
    assert error_of(exc) == (
        "Gateway.NotAttached",
        f"resource {igw_id} is not attached to network {other_vpc}",
    )
    with pytest.raises(ClientError) as exc:
        ec2.detach_internet_gateway(InternetGatewayId="igw-0123456789abcdef0", VpcId=vpc_id)
    assert error_of(exc)[0] == "InvalidInternetGatewayID.NotFound"
    assert describe_one(ec2, igw_id)["Attachments"] == [{"State": "available", "VpcId": vpc_id}]


def test_delete_while_attached_is_a_dependency_violation(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    assert error_of(exc) == (
        "DependencyViolation",
        f"The internetGateway '{igw_id}' has dependencies and cannot be deleted.",
    )
    assert describe_one(ec2, igw_id)["Attachments"] == [{"State": "available", "VpcId": vpc_id}]


def test_vpc_with_an_attached_gateway_cannot_be_deleted(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert error_of(exc)[0] == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_vpc(VpcId=vpc_id)


def test_routes_blackhole_on_detach_and_recover_on_attach(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)

    def state() -> str:
        routes = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]["Routes"]
        return str(next(r["State"] for r in routes if r.get("GatewayId") == igw_id))

    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert state() == "blackhole"
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert state() == "active"


# --- filters and pagination ------------------------------------------------------------------


def test_every_filter(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    attached = new_igw(ec2, Name="web-gw", env="prod")
    detached = new_igw(ec2, Name="spare", tier="edge")
    ec2.attach_internet_gateway(InternetGatewayId=attached, VpcId=vpc_id)
    mine = {attached, detached}

    def ids(name: str, *values: str) -> set[str]:
        found = ec2.describe_internet_gateways(Filters=[{"Name": name, "Values": list(values)}])
        return {g["InternetGatewayId"] for g in found["InternetGateways"]} & mine

    assert ids("attachment.state", "available") == {attached}
    assert ids("attachment.vpc-id", vpc_id) == {attached}
    assert ids("internet-gateway-id", detached) == {detached}
    assert ids("internet-gateway-id", attached, detached) == mine
    assert ids("owner-id", "000000000001") == mine
    assert ids("owner-id", "999999999999") == set()
    assert ids("tag:Name", "web-*") == {attached}
    assert ids("tag:Name", "spare") == {detached}
    assert ids("tag-key", "tier") == {detached}
    assert ids("tag-value", "prod", "edge") == mine
    both = ec2.describe_internet_gateways(
        Filters=[
            {"Name": "tag:Name", "Values": ["*"]},
            {"Name": "attachment.vpc-id", "Values": [vpc_id]},
        ]
    )["InternetGateways"]
    assert [g["InternetGatewayId"] for g in both] == [attached]
    with pytest.raises(ClientError) as exc:
        ec2.describe_internet_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'vpc-id' is invalid")


def test_pagination(ec2: Any) -> None:
    created = {new_igw(ec2, batch="paging") for _ in range(5)}
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {
            "MaxResults": 5,
            "Filters": [{"Name": "tag:batch", "Values": ["paging"]}],
        }
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_internet_gateways(**kwargs)
        seen += [g["InternetGatewayId"] for g in page["InternetGateways"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(created) and pages == 1
    paginator = ec2.get_paginator("describe_internet_gateways")
    ids = [
        g["InternetGatewayId"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 5})
        for g in page["InternetGateways"]
    ]
    assert created <= set(ids) and len(ids) == len(set(ids))
    first = ec2.describe_internet_gateways(MaxResults=5)
    assert len(first["InternetGateways"]) == 5 and first["NextToken"]
    with pytest.raises(ClientError) as exc:
        ec2.describe_internet_gateways(InternetGatewayIds=sorted(created)[:1], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"


# --- tenancy, concurrency, events, wire ------------------------------------------------------


def test_another_accounts_gateway_is_not_found(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2)
    other = gateway.client("ec2", creds=gateway.create_account("tenant-igw"))
    calls: tuple[Callable[[], Any], ...] = (
        lambda: other.describe_internet_gateways(InternetGatewayIds=[igw_id]),
        lambda: other.delete_internet_gateway(InternetGatewayId=igw_id),
        lambda: other.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "InvalidInternetGatewayID.NotFound",
            f"The internetGateway ID '{igw_id}' does not exist",
        )
    own = new_igw(other)
    with pytest.raises(ClientError) as exc:
        other.attach_internet_gateway(InternetGatewayId=own, VpcId=vpc_id)
    assert error_of(exc)[0] == "InvalidVpcID.NotFound"
    assert igw_id not in {
        g["InternetGatewayId"] for g in other.describe_internet_gateways()["InternetGateways"]
    }


def test_ten_gateways_racing_for_one_vpc(gateway: RunningGateway, ec2: Any) -> None:
    race_ten_gateways_for_one_vpc(gateway, ec2)


def test_ten_gateways_racing_for_one_vpc_over_nats(nats_token_gateway: RunningGateway) -> None:
    race_ten_gateways_for_one_vpc(nats_token_gateway, nats_token_gateway.client("ec2"))


def race_ten_gateways_for_one_vpc(gateway: RunningGateway, ec2: Any) -> None:
    """10 threads attach 10 different gateways to one VPC: exactly one wins."""
    vpc_id = new_vpc(ec2)
    gateways = [new_igw(ec2) for _ in range(10)]
    clients = [gateway.client("ec2") for _ in gateways]

    def attach(pair: tuple[Any, str]) -> None:
        client, igw_id = pair
        client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

    outcomes = race(attach, zip(clients, gateways))
    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "Resource.AlreadyAssociated"}
    attached = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )
    assert [g["InternetGatewayId"] for g in attached["InternetGateways"]] == [
        gateways[outcomes.index("ok")]
    ]


def test_one_gateway_racing_for_ten_vpcs(gateway: RunningGateway, ec2: Any) -> None:
    vpcs = [new_vpc(ec2, f"10.{n}.0.0/16") for n in range(10)]
    igw_id = new_igw(ec2)
    clients = [gateway.client("ec2") for _ in vpcs]

    def attach(pair: tuple[Any, str]) -> None:
        client, vpc_id = pair
        client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

    outcomes = race(attach, zip(clients, vpcs))
    assert outcomes.count("ok") == 1
    winner = vpcs[outcomes.index("ok")]
    assert describe_one(ec2, igw_id)["Attachments"] == [{"State": "available", "VpcId": winner}]
    # The losers' claims were released: each losing VPC still takes a gateway.
    for vpc_id in vpcs:
        if vpc_id != winner:
            ec2.attach_internet_gateway(InternetGatewayId=new_igw(ec2), VpcId=vpc_id)


def test_attach_and_detach_publish_vpcd_events(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2)
    bus = RecordingBus()
    gateway.runtime.bus = bus  # type: ignore[assignment]
    try:
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
        ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    finally:
        gateway.runtime.bus = None
    igw_events = [(s, p, h) for s, p, h in bus.events if s.startswith("vpc.igw-")]
    payload = {"internet_gateway_id": igw_id, "vpc_id": vpc_id}
    assert igw_events == [
        ("vpc.igw-attach", payload, {"X-Account-ID": "000000000001"}),
        ("vpc.igw-detach", payload, {"X-Account-ID": "000000000001"}),
    ]


def test_describe_xml_matches_the_model(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    igw_id = new_igw(ec2, Name="wire")
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    answer = admin_send(
        gateway, f"Action=DescribeInternetGateways&Version=2016-11-15&InternetGatewayId.1={igw_id}"
    )
    assert answer.status == 200
    model = operation_model("ec2", "DescribeInternetGateways")
    assert model is not None
    # AttachmentStatus documents attaching|attached|…, but AWS (and Terraform) use "available":
    # the checker knows that gap (ENUM_GAPS) and still checks every other enum.
    assert_xml_matches_shape(answer.body, model)
    assert "<state>available</state>" in answer.text


def test_detach_is_refused_while_public_addresses_are_mapped(ec2: Any) -> None:
    """AWS: the VPC must not hold public IPv4s when its gateway is detached; routes don't block."""
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]["NetworkInterfaceId"]
    allocation = ec2.allocate_address(Domain="vpc")
    association = ec2.associate_address(AllocationId=allocation["AllocationId"], NetworkInterfaceId=eni_id)
    with pytest.raises(ClientError) as exc:
        ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert exc.value.response["Error"]["Code"] == "DependencyViolation"
    assert "mapped public address" in exc.value.response["Error"]["Message"]
    ec2.disassociate_address(AssociationId=association["AssociationId"])
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    assert ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"][0]["Attachments"] == []
