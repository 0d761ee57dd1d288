"""Egress-only internet gateways end to end: boto3 against a real gateway."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, new_vpc, tag_specifications


def new_eigw(ec2: Any, vpc_id: str, **tags: str) -> str:
    params: dict[str, Any] = {"VpcId": vpc_id}
    if tags:
        params["TagSpecifications"] = tag_specifications("egress-only-internet-gateway", **tags)
    return str(
        ec2.create_egress_only_internet_gateway(**params)["EgressOnlyInternetGateway"][
            "EgressOnlyInternetGatewayId"
        ]
    )


def test_terraform_create_read_delete(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    created = ec2.create_egress_only_internet_gateway(
        ClientToken="terraform-20260101-1", VpcId=vpc_id, TagSpecifications=tag_specifications("egress-only-internet-gateway", Name="v6-out")
    )
    assert created["ClientToken"] == "terraform-20260101-1"
    gateway = created["EgressOnlyInternetGateway"]
    eigw_id = gateway["EgressOnlyInternetGatewayId"]
    assert eigw_id.startswith("eigw-")
    # Terraform: vpc_id only when exactly one attachment has State "attached" (else replacement).
    assert gateway["Attachments"] == [{"State": "attached", "VpcId": vpc_id}]
    assert gateway["Tags"] == [{"Key": "Name", "Value": "v6-out"}]
    read = ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[eigw_id])
    assert read["EgressOnlyInternetGateways"] == [gateway]
    assert "NextToken" not in read
    assert (
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)["ReturnCode"]
        is True
    )
    # Gone: an empty list, never an error (the provider maps no code to "gone").
    gone = ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[eigw_id])
    assert gone["EgressOnlyInternetGateways"] == []
    with pytest.raises(ClientError) as exc:
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)
    assert error_of(exc) == ("InvalidGatewayID.NotFound", f"The eigw ID '{eigw_id}' does not exist")


def test_create_needs_an_existing_vpc(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_egress_only_internet_gateway(VpcId="vpc-0123456789abcdef0")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_egress_only_internet_gateway(
            VpcId=new_vpc(ec2),
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_client_token_makes_create_idempotent(ec2: Any) -> None:
    vpc_id, other_vpc = new_vpc(ec2), new_vpc(ec2, "10.1.0.0/16")
    first = ec2.create_egress_only_internet_gateway(
        ClientToken="tok-1", VpcId=vpc_id, TagSpecifications=tag_specifications("egress-only-internet-gateway", a="1")
    )
    again = ec2.create_egress_only_internet_gateway(
        ClientToken="tok-1", VpcId=vpc_id, TagSpecifications=tag_specifications("egress-only-internet-gateway", a="1")
    )
    assert again["EgressOnlyInternetGateway"] == first["EgressOnlyInternetGateway"]
    for changed in ({"VpcId": other_vpc, "TagSpecifications": tag_specifications("egress-only-internet-gateway", a="1")}, {"VpcId": vpc_id}):
        with pytest.raises(ClientError) as exc:
            ec2.create_egress_only_internet_gateway(ClientToken="tok-1", **changed)
        assert error_of(exc)[0] == "IdempotentParameterMismatch"
    other = ec2.create_egress_only_internet_gateway(
        ClientToken="tok-2", VpcId=vpc_id, TagSpecifications=tag_specifications("egress-only-internet-gateway", a="1")
    )
    assert (
        other["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
        != first["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    )
    listed = ec2.describe_egress_only_internet_gateways(
        Filters=[{"Name": "tag:a", "Values": ["1"]}]
    )["EgressOnlyInternetGateways"]
    assert len(listed) == 2


def test_racing_requests_with_one_token_create_one_gateway(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = new_vpc(ec2)
    clients = [gateway.client("ec2") for _ in range(8)]

    def create(client: Any) -> str:
        made = client.create_egress_only_internet_gateway(ClientToken="race-token", VpcId=vpc_id)
        return str(made["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(create, clients))
    assert len(ids) == 1
    assert len(ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]) == 1


def test_unknown_ids_are_simply_absent(ec2: Any) -> None:
    eigw_id = new_eigw(ec2, new_vpc(ec2))
    found = ec2.describe_egress_only_internet_gateways(
        EgressOnlyInternetGatewayIds=[eigw_id, "eigw-0123456789abcdef0"]
    )["EgressOnlyInternetGateways"]
    assert [g["EgressOnlyInternetGatewayId"] for g in found] == [eigw_id]
    none = ec2.describe_egress_only_internet_gateways(
        EgressOnlyInternetGatewayIds=["eigw-0123456789abcdef0"]
    )
    assert none["EgressOnlyInternetGateways"] == []


def test_every_filter(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    web = new_eigw(ec2, vpc_id, Name="web-out", env="prod")
    db = new_eigw(ec2, vpc_id, Name="db-out", tier="data")

    def ids(name: str, *values: str) -> set[str]:
        found = ec2.describe_egress_only_internet_gateways(
            Filters=[{"Name": name, "Values": list(values)}]
        )
        return {g["EgressOnlyInternetGatewayId"] for g in found["EgressOnlyInternetGateways"]}

    assert ids("egress-only-internet-gateway-id", web) == {web}
    assert ids("egress-only-internet-gateway-id", "eigw-*") == {web, db}
    assert ids("tag:Name", "*-out") == {web, db}
    assert ids("tag:Name", "db-out") == {db}
    assert ids("tag-key", "env") == {web}
    assert ids("tag-value", "data") == {db}
    with pytest.raises(ClientError) as exc:
        ec2.describe_egress_only_internet_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'vpc-id' is invalid")


def test_pagination(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    created = {new_eigw(ec2, vpc_id) for _ in range(7)}
    seen: list[str] = []
    kwargs: dict[str, Any] = {"MaxResults": 5}
    pages = 0
    while True:
        page = ec2.describe_egress_only_internet_gateways(**kwargs)
        seen += [g["EgressOnlyInternetGatewayId"] for g in page["EgressOnlyInternetGateways"]]
        pages += 1
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == 2 and sorted(seen) == sorted(created)
    with pytest.raises(ClientError) as exc:
        ec2.describe_egress_only_internet_gateways(NextToken="not-a-token", MaxResults=5)
    assert error_of(exc)[0] == "InvalidPaginationToken"


def test_another_account_sees_nothing(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    eigw_id = new_eigw(ec2, vpc_id)
    other = gateway.client("ec2", creds=gateway.create_account("tenant-eigw"))
    assert (
        other.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[eigw_id])[
            "EgressOnlyInternetGateways"
        ]
        == []
    )
    with pytest.raises(ClientError) as exc:
        other.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)
    assert error_of(exc) == ("InvalidGatewayID.NotFound", f"The eigw ID '{eigw_id}' does not exist")
    with pytest.raises(ClientError) as exc:
        other.create_egress_only_internet_gateway(VpcId=vpc_id)
    assert error_of(exc)[0] == "InvalidVpcID.NotFound"
    # Same token in another account: an independent gateway, no mismatch.
    ec2.create_egress_only_internet_gateway(ClientToken="shared", VpcId=vpc_id)
    own_vpc = new_vpc(other)
    made = other.create_egress_only_internet_gateway(ClientToken="shared", VpcId=own_vpc)
    assert made["EgressOnlyInternetGateway"]["Attachments"][0]["VpcId"] == own_vpc
    assert ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[eigw_id])[
        "EgressOnlyInternetGateways"
    ]


def test_routes_to_a_deleted_gateway_become_blackhole(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    eigw_id = new_eigw(ec2, vpc_id)
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table_id, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw_id
    )
    route = next(
        r
        for r in ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]["Routes"]
        if r.get("DestinationIpv6CidrBlock") == "::/0"
    )
    assert route == {
        "DestinationIpv6CidrBlock": "::/0",
        "EgressOnlyInternetGatewayId": eigw_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)
    blackholed = ec2.describe_route_tables(
        Filters=[
            {"Name": "route.state", "Values": ["blackhole"]},
            {"Name": "route.egress-only-internet-gateway-id", "Values": [eigw_id]},
        ]
    )["RouteTables"]
    assert [t["RouteTableId"] for t in blackholed] == [table_id]


def test_vpc_with_a_gateway_cannot_be_deleted(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    eigw_id = new_eigw(ec2, vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert error_of(exc)[0] == "DependencyViolation"
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)


def test_create_xml_matches_the_model(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    answer = admin_send(
        gateway,
        f"Action=CreateEgressOnlyInternetGateway&Version=2016-11-15&VpcId={vpc_id}&ClientToken=xml-1",
    )
    assert answer.status == 200
    assert_matches_model(answer.body, "CreateEgressOnlyInternetGateway")
    assert (
        "<state>attached</state>" in answer.text
        and "<clientToken>xml-1</clientToken>" in answer.text
    )
