"""VPC endpoints end to end: boto3 against a real gateway serving two zones."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.prefix_lists.catalogue import prefix_list_id
from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, start_gateway
from tests.helpers import error_of, tag_specifications

REGION = "ap-southeast-2"
S3 = f"com.amazonaws.{REGION}.s3"
SSM = f"com.amazonaws.{REGION}.ssm"
S3_LIST = prefix_list_id(REGION, "s3")


def timings(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway, **seconds: float) -> None:
    """Give the endpoint transitions the given durations (0 unless a test says)."""
    settings = gateway.runtime.settings
    new = replace(
        settings.timings,
        **{
            "vpc_endpoint_pending": 0.0,
            "vpc_endpoint_deleting": 0.0,
            "vpc_endpoint_deleted_retention": 0.0,
            **seconds,
        },
    )
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=new))


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    """A gateway over the in-memory store serving zones a and b, transitions instant."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path, azs=(f"{REGION}a", f"{REGION}b"))
    timings(monkeypatch, running)
    yield running
    running._stop()


@pytest.fixture
def network(ec2: Any) -> dict[str, Any]:
    """A VPC with DNS hostnames, two route tables and a subnet in each zone."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate((f"{REGION}a", f"{REGION}b"))
    ]
    tables = [ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for _ in range(2)]
    return {"vpc": vpc_id, "subnets": subnets, "tables": tables}


def endpoint(ec2: Any, endpoint_id: str) -> dict[str, Any]:
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    assert len(found) == 1
    return dict(found[0])


def routes(ec2: Any, table_id: str) -> list[dict[str, Any]]:
    return list(ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]["Routes"])


# --- the service catalogue ------------------------------------------------------------------


def test_services_catalogue(ec2: Any) -> None:
    out = ec2.describe_vpc_endpoint_services(ServiceNames=[S3])
    types = sorted(d["ServiceType"][0]["ServiceType"] for d in out["ServiceDetails"])
    assert types == ["Gateway", "Interface"]
    assert out["ServiceNames"] == [S3]
    gateway_detail = ec2.describe_vpc_endpoint_services(
        ServiceNames=[S3], Filters=[{"Name": "service-type", "Values": ["Gateway"]}]
    )["ServiceDetails"]
    assert len(gateway_detail) == 1
    detail = gateway_detail[0]
    assert detail["Owner"] == "amazon"
    assert detail["ServiceId"].startswith("vpce-svc-")
    assert detail["AvailabilityZones"] == [f"{REGION}a", f"{REGION}b"]
    assert detail["VpcEndpointPolicySupported"] is True
    assert detail["AcceptanceRequired"] is False
    ssm = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-name", "Values": [SSM]}])[
        "ServiceDetails"
    ]
    assert [d["PrivateDnsName"] for d in ssm] == [f"ssm.{REGION}.amazonaws.com"]
    everything = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    for short in ("dynamodb", "ec2", "ec2messages", "ssmmessages", "logs", "kms", "sts",
                  "ecr.api", "ecr.dkr", "secretsmanager", "sqs", "sns", "elasticloadbalancing",
                  "monitoring", "events", "lambda"):  # fmt: skip
        assert f"com.amazonaws.{REGION}.{short}" in everything
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoint_services(ServiceNames=[f"com.amazonaws.{REGION}.nope"])
    assert error_of(exc) == (
        "InvalidServiceName",
        f"The Vpc Endpoint Service 'com.amazonaws.{REGION}.nope' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoint_services(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'colour' is invalid")
    first = ec2.describe_vpc_endpoint_services(MaxResults=5)
    assert len(first["ServiceDetails"]) == 5 and first["NextToken"]
    second = ec2.describe_vpc_endpoint_services(MaxResults=5, NextToken=first["NextToken"])
    assert not {d["ServiceId"] for d in first["ServiceDetails"]} & {
        d["ServiceId"] for d in second["ServiceDetails"]
    }


# --- gateway endpoints ----------------------------------------------------------------------


def test_gateway_endpoint_routes(ec2: Any, network: dict[str, Any]) -> None:
    table_a, table_b = network["tables"]
    created = ec2.create_vpc_endpoint(
        VpcId=network["vpc"],
        ServiceName=S3,
        RouteTableIds=[table_a],
        ClientToken="tf-1",
        PrivateDnsEnabled=False,
        TagSpecifications=tag_specifications("vpc-endpoint", Name="s3"),
    )
    assert created["ClientToken"] == "tf-1"
    vpce = created["VpcEndpoint"]
    endpoint_id = vpce["VpcEndpointId"]
    assert endpoint_id.startswith("vpce-")
    assert vpce["VpcEndpointType"] == "Gateway"
    assert vpce["RouteTableIds"] == [table_a]
    assert vpce["Tags"] == [{"Key": "Name", "Value": "s3"}]
    assert json.loads(vpce["PolicyDocument"])["Statement"][0]["Effect"] == "Allow"
    # The same token answers the same endpoint.
    again = ec2.create_vpc_endpoint(
        VpcId=network["vpc"],
        ServiceName=S3,
        RouteTableIds=[table_a],
        ClientToken="tf-1",
        PrivateDnsEnabled=False,
        TagSpecifications=tag_specifications("vpc-endpoint", Name="s3"),
    )
    assert again["VpcEndpoint"]["VpcEndpointId"] == endpoint_id
    assert endpoint(ec2, endpoint_id)["State"] == "available"
    route = {
        "DestinationPrefixListId": S3_LIST,
        "GatewayId": endpoint_id,
        "Origin": "CreateRoute",
        "State": "active",
    }
    assert route in routes(ec2, table_a)
    # The provider's prefix-list lookup for cidr_blocks / prefix_list_id.
    listed = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [S3]}])
    assert listed["PrefixLists"][0]["PrefixListId"] == S3_LIST
    # Move the route: add table b, remove table a.
    ec2.modify_vpc_endpoint(
        VpcEndpointId=endpoint_id, AddRouteTableIds=[table_b], RemoveRouteTableIds=[table_a]
    )
    assert endpoint(ec2, endpoint_id)["RouteTableIds"] == [table_b]
    assert route not in routes(ec2, table_a)
    assert route in routes(ec2, table_b)
    # A custom policy is stored and echoed; ResetPolicy restores full access.
    policy = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
                                        "Resource": "*"}]})  # fmt: skip
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=policy)
    assert endpoint(ec2, endpoint_id)["PolicyDocument"] == policy
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, ResetPolicy=True)
    assert "Allow" in endpoint(ec2, endpoint_id)["PolicyDocument"]
    # A second S3 endpoint cannot route the same table.
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(VpcId=network["vpc"], ServiceName=S3, RouteTableIds=[table_b])
    assert error_of(exc)[0] == "RouteAlreadyExists"
    # The VPC cannot go while the endpoint exists.
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=network["vpc"])
    assert error_of(exc)[0] == "DependencyViolation"
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])["Unsuccessful"] == []
    assert route not in routes(ec2, table_b)
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    assert error_of(exc) == (
        "InvalidVpcEndpointId.NotFound",
        f"The Vpc Endpoint Id '{endpoint_id}' does not exist",
    )
    gone = ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])["Unsuccessful"]
    assert gone[0]["Error"]["Code"] == "InvalidVpcEndpoint.NotFound"
    assert gone[0]["ResourceId"] == endpoint_id


def test_deleted_route_table_drops_out(ec2: Any, network: dict[str, Any]) -> None:
    table_a, table_b = network["tables"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=network["vpc"], ServiceName=S3, RouteTableIds=[table_a, table_b]
    )["VpcEndpoint"]["VpcEndpointId"]
    ec2.delete_route_table(RouteTableId=table_b)
    assert endpoint(ec2, endpoint_id)["RouteTableIds"] == [table_a]


def test_create_validation(ec2: Any, network: dict[str, Any]) -> None:
    vpc_id = network["vpc"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"VpcId": "vpc-0123456789abcdef0", "ServiceName": S3}, "InvalidVpcID.NotFound"),
        ({"VpcId": vpc_id, "ServiceName": f"com.amazonaws.{REGION}.nope"}, "InvalidServiceName"),
        ({"VpcId": vpc_id, "ServiceName": SSM}, "InvalidParameter"),  # ssm has no Gateway type
        ({"VpcId": vpc_id, "ServiceName": S3, "SubnetIds": network["subnets"][:1]},
         "InvalidParameter"),
        ({"VpcId": vpc_id, "ServiceName": S3, "RouteTableIds": ["rtb-0123456789abcdef0"]},
         "InvalidRouteTableID.NotFound"),
        ({"VpcId": vpc_id, "ServiceName": SSM, "VpcEndpointType": "Interface",
          "SubnetIds": ["subnet-0123456789abcdef0"]}, "InvalidSubnetID.NotFound"),
        ({"VpcId": vpc_id, "ServiceName": SSM, "VpcEndpointType": "Interface",
          "RouteTableIds": network["tables"][:1]}, "InvalidParameter"),
        ({"VpcId": vpc_id, "ServiceName": S3, "PolicyDocument": "{not json"},
         "InvalidPolicyDocument"),
        ({"VpcId": vpc_id, "ServiceName": SSM, "VpcEndpointType": "Interface",
          "SubnetIds": network["subnets"][:1], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
         "InvalidGroup.NotFound"),
    ]  # fmt: skip
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as exc:
            ec2.create_vpc_endpoint(**kwargs)
        assert error_of(exc)[0] == expected, kwargs
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=S3, DryRun=True)
    assert error_of(exc)[0] == "DryRunOperation"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


# --- interface endpoints --------------------------------------------------------------------


def test_interface_endpoint(ec2: Any, network: dict[str, Any]) -> None:
    vpc_id = network["vpc"]
    group_id = ec2.create_security_group(GroupName="ssm", Description="ssm", VpcId=vpc_id)[
        "GroupId"
    ]
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName=SSM,
        VpcEndpointType="Interface",
        SubnetIds=network["subnets"],
        SecurityGroupIds=[group_id],
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]
    endpoint_id = vpce["VpcEndpointId"]
    assert vpce["Groups"] == [{"GroupId": group_id, "GroupName": "ssm"}]
    assert sorted(vpce["SubnetIds"]) == sorted(network["subnets"])
    assert len(vpce["NetworkInterfaceIds"]) == 2
    assert vpce["PrivateDnsEnabled"] is True
    names = [e["DnsName"] for e in vpce["DnsEntries"]]
    assert names[0].startswith(endpoint_id) and names[0].endswith(
        f"ssm.{REGION}.vpce.amazonaws.com"
    )
    assert f"ssm.{REGION}.amazonaws.com" in names
    assert any(f"-{REGION}b.ssm." in n for n in names)
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=vpce["NetworkInterfaceIds"])[
        "NetworkInterfaces"
    ]
    for eni in enis:
        assert eni["InterfaceType"] == "vpc_endpoint"
        assert eni["RequesterManaged"] is True
        assert eni["Status"] == "in-use"
        assert eni["Groups"] == [{"GroupId": group_id, "GroupName": "ssm"}]
        assert eni["Description"] == f"VPC Endpoint Interface {endpoint_id}"
    assert sorted(e["SubnetId"] for e in enis) == sorted(network["subnets"])
    # The ENI is the endpoint's: users cannot delete it; the subnet and group are held.
    with pytest.raises(ClientError) as exc:
        ec2.delete_network_interface(NetworkInterfaceId=enis[0]["NetworkInterfaceId"])
    assert error_of(exc)[0] == "InvalidNetworkInterface.InUse"
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=network["subnets"][0])
    assert error_of(exc)[0] == "DependencyViolation"
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=group_id)
    assert error_of(exc)[0] == "DependencyViolation"
    # A second endpoint with private DNS for the same service conflicts.
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(
            VpcId=vpc_id, ServiceName=SSM, VpcEndpointType="Interface",
            SubnetIds=network["subnets"][:1], PrivateDnsEnabled=True,
        )  # fmt: skip
    assert error_of(exc)[0] == "InvalidParameter"
    # Drop a subnet and swap the group for the VPC's default.
    default_sg = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    ec2.modify_vpc_endpoint(
        VpcEndpointId=endpoint_id,
        RemoveSubnetIds=[network["subnets"][1]],
        AddSecurityGroupIds=[default_sg],
        RemoveSecurityGroupIds=[group_id],
        PrivateDnsEnabled=False,
    )
    after = endpoint(ec2, endpoint_id)
    assert after["SubnetIds"] == [network["subnets"][0]]
    assert len(after["NetworkInterfaceIds"]) == 1
    assert [g["GroupId"] for g in after["Groups"]] == [default_sg]
    assert f"ssm.{REGION}.amazonaws.com" not in [e["DnsName"] for e in after["DnsEntries"]]
    ec2.delete_subnet(SubnetId=network["subnets"][1])  # its ENI went with the change
    ec2.delete_security_group(GroupId=group_id)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    left = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"
    ]
    assert left == []
    ec2.delete_subnet(SubnetId=network["subnets"][0])


def test_interface_rules(ec2: Any, network: dict[str, Any]) -> None:
    vpc_id = network["vpc"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.9.0/24",
                               AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]  # fmt: skip
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(
            VpcId=vpc_id, ServiceName=SSM, VpcEndpointType="Interface",
            SubnetIds=[network["subnets"][0], subnet], PrivateDnsEnabled=False,
        )  # fmt: skip
    assert error_of(exc)[0] == "DuplicateSubnetsInSameZone"
    # No group given: the VPC's default group; private DNS needs DNS hostnames.
    plain = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    plain_subnet = ec2.create_subnet(VpcId=plain, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc_endpoint(
            VpcId=plain, ServiceName=SSM, VpcEndpointType="Interface", SubnetIds=[plain_subnet]
        )
    assert error_of(exc)[0] == "InvalidParameter"
    vpce = ec2.create_vpc_endpoint(
        VpcId=plain, ServiceName=SSM, VpcEndpointType="Interface", SubnetIds=[plain_subnet],
        PrivateDnsEnabled=False,
    )["VpcEndpoint"]  # fmt: skip
    assert [g["GroupName"] for g in vpce["Groups"]] == ["default"]
    # Nothing was left behind by the refused creates.
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == 1


def test_states_follow_the_clock(
    ec2: Any, gateway: RunningGateway, network: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    timings(
        monkeypatch,
        gateway,
        vpc_endpoint_pending=0.6,
        vpc_endpoint_deleting=0.6,
        vpc_endpoint_deleted_retention=0.8,
    )
    endpoint_id = ec2.create_vpc_endpoint(VpcId=network["vpc"], ServiceName=S3)["VpcEndpoint"][
        "VpcEndpointId"
    ]
    assert endpoint(ec2, endpoint_id)["State"] == "pending"
    time.sleep(0.8)
    assert endpoint(ec2, endpoint_id)["State"] == "available"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    assert endpoint(ec2, endpoint_id)["State"] == "deleting"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=network["vpc"])
    assert error_of(exc)[0] == "DependencyViolation"
    time.sleep(0.8)
    # deleted: still describable (the provider's finder calls it gone), holds nothing.
    assert endpoint(ec2, endpoint_id)["State"] == "deleted"
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, ResetPolicy=True)
    assert error_of(exc)[0] == "InvalidVpcEndpointId.NotFound"
    for table_id in network["tables"]:
        ec2.delete_route_table(RouteTableId=table_id)
    for subnet_id in network["subnets"]:
        ec2.delete_subnet(SubnetId=subnet_id)
    ec2.delete_vpc(VpcId=network["vpc"])  # a deleted endpoint no longer holds its VPC
    time.sleep(1.0)
    with pytest.raises(ClientError) as exc:
        endpoint(ec2, endpoint_id)
    assert error_of(exc)[0] == "InvalidVpcEndpointId.NotFound"


def test_describe_filters_pages_and_isolation(
    gateway: RunningGateway, ec2: Any, network: dict[str, Any]
) -> None:
    ids = [
        ec2.create_vpc_endpoint(
            VpcId=network["vpc"], ServiceName=name, RouteTableIds=[table],
            TagSpecifications=tag_specifications("vpc-endpoint", team=name[-2:]),
        )["VpcEndpoint"]["VpcEndpointId"]
        for name, table in ((S3, network["tables"][0]),
                            (f"com.amazonaws.{REGION}.dynamodb", network["tables"][1]))
    ]  # fmt: skip
    by_service = ec2.describe_vpc_endpoints(Filters=[{"Name": "service-name", "Values": [S3]}])
    assert [e["VpcEndpointId"] for e in by_service["VpcEndpoints"]] == ids[:1]
    by_tag = ec2.describe_vpc_endpoints(Filters=[{"Name": "tag:team", "Values": ["db"]}])
    assert [e["VpcEndpointId"] for e in by_tag["VpcEndpoints"]] == ids[1:]
    typed = ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
                 {"Name": "vpc-endpoint-state", "Values": ["available"]},
                 {"Name": "vpc-id", "Values": [network["vpc"]]}]
    )  # fmt: skip
    assert len(typed["VpcEndpoints"]) == 2
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoints(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"
    page = ec2.describe_vpc_endpoints(MaxResults=1)
    rest = ec2.describe_vpc_endpoints(MaxResults=1, NextToken=page["NextToken"])
    assert {
        page["VpcEndpoints"][0]["VpcEndpointId"],
        rest["VpcEndpoints"][0]["VpcEndpointId"],
    } == set(ids)
    assert "NextToken" not in rest
    other = gateway.client(creds=gateway.create_account("other"))
    with pytest.raises(ClientError) as exc:
        other.describe_vpc_endpoints(VpcEndpointIds=ids[:1])
    assert error_of(exc)[0] == "InvalidVpcEndpointId.NotFound"
    assert (
        other.delete_vpc_endpoints(VpcEndpointIds=ids[:1])["Unsuccessful"][0]["Error"]["Code"]
        == "InvalidVpcEndpoint.NotFound"
    )
    assert ec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"] == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_endpoint_connections(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_modify_errors(ec2: Any, network: dict[str, Any]) -> None:
    table_a, table_b = network["tables"]
    gateway_id = ec2.create_vpc_endpoint(
        VpcId=network["vpc"], ServiceName=S3, RouteTableIds=[table_a]
    )["VpcEndpoint"]["VpcEndpointId"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"VpcEndpointId": "vpce-0123456789abcdef0"}, "InvalidVpcEndpointId.NotFound"),
        ({"VpcEndpointId": "sg-0123456789abcdef0"}, "InvalidVpcEndpointId.Malformed"),
        ({"VpcEndpointId": gateway_id, "AddSubnetIds": network["subnets"][:1]},
         "InvalidParameter"),
        ({"VpcEndpointId": gateway_id, "PrivateDnsEnabled": True}, "InvalidParameter"),
        ({"VpcEndpointId": gateway_id, "AddRouteTableIds": ["rtb-0123456789abcdef0"]},
         "InvalidRouteTableID.NotFound"),
        ({"VpcEndpointId": gateway_id, "RemoveRouteTableIds": ["rtb-0123456789abcdef0"]},
         "InvalidRouteTableID.NotFound"),
        ({"VpcEndpointId": gateway_id, "PolicyDocument": "[1, 2]"}, "InvalidPolicyDocument"),
    ]  # fmt: skip
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as exc:
            ec2.modify_vpc_endpoint(**kwargs)
        assert error_of(exc)[0] == expected, kwargs
    # A table of another VPC is refused and nothing changed.
    other_vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(VpcEndpointId=gateway_id, AddRouteTableIds=[foreign, table_b])
    assert error_of(exc)[0] == "InvalidParameter"
    assert endpoint(ec2, gateway_id)["RouteTableIds"] == [table_a]
    assert all(r.get("GatewayId") != gateway_id for r in routes(ec2, table_b))
    interface_id = ec2.create_vpc_endpoint(
        VpcId=network["vpc"], ServiceName=SSM, VpcEndpointType="Interface",
        SubnetIds=network["subnets"][:1], PrivateDnsEnabled=False,
    )["VpcEndpoint"]["VpcEndpointId"]  # fmt: skip
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(VpcEndpointId=interface_id, AddRouteTableIds=[table_b])
    assert error_of(exc)[0] == "InvalidParameter"
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(
            VpcEndpointId=interface_id, AddSecurityGroupIds=["sg-0123456789abcdef0"]
        )
    assert error_of(exc)[0] == "InvalidGroup.NotFound"
    # Adding the second zone's subnet gives it an interface too.
    ec2.modify_vpc_endpoint(VpcEndpointId=interface_id, AddSubnetIds=network["subnets"][1:])
    assert len(endpoint(ec2, interface_id)["NetworkInterfaceIds"]) == 2
    # DeleteVpcEndpoints: known and unknown ids in one call.
    out = ec2.delete_vpc_endpoints(
        VpcEndpointIds=[gateway_id, interface_id, "vpce-0123456789abcdef0"]
    )
    assert [u["ResourceId"] for u in out["Unsuccessful"]] == ["vpce-0123456789abcdef0"]
