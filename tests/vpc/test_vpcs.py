"""VPCs through real boto3: implicit resources, attributes, CIDR blocks, delete rules, isolation."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kv.nats_store import NatsStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, free_port, start_gateway
from tests.helpers import code, message


def make_vpc(ec2: Any, cidr: str = "10.0.0.0/16", **kwargs: Any) -> dict[str, Any]:
    return dict(ec2.create_vpc(CidrBlock=cidr, **kwargs)["Vpc"])


def test_create_vpc_returns_the_aws_shape(ec2: Any) -> None:
    vpc = make_vpc(
        ec2, "10.1.0.5/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "main"}]}],
    )
    assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21
    assert vpc["CidrBlock"] == "10.1.0.0/16"  # normalised, as Hive does
    assert vpc["State"] == "available"
    assert vpc["InstanceTenancy"] == "default"
    assert vpc["IsDefault"] is False
    assert vpc["OwnerId"] == "000000000001"
    assert vpc["DhcpOptionsId"].startswith("dopt-")
    assoc = vpc["CidrBlockAssociationSet"]
    assert assoc == [{"AssociationId": "vpc-cidr-assoc-" + vpc["VpcId"][4:], "CidrBlock": "10.1.0.0/16",
                      "CidrBlockState": {"State": "associated"}}]
    assert vpc["Tags"] == [{"Key": "Name", "Value": "main"}]
    described = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
    assert described == [vpc]


def test_create_vpc_makes_main_route_table_default_group_and_acl(ec2: Any) -> None:
    vpc_id = make_vpc(ec2, "10.2.0.0/16")["VpcId"]
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["RouteTables"]
    assert len(tables) == 1
    main = tables[0]
    assert main["Associations"][0]["Main"] is True
    assert main["Associations"][0]["RouteTableAssociationId"].startswith("rtbassoc-")
    assert main["Associations"][0]["AssociationState"] == {"State": "associated"}
    assert main["Routes"] == [{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "local",
                               "Origin": "CreateRouteTable", "State": "active"}]
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    assert len(groups) == 1 and groups[0]["OwnerId"] == "000000000001"
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "default", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["NetworkAcls"]
    assert len(acls) == 1 and acls[0]["IsDefault"] is True


@pytest.mark.parametrize("cidr,expected", [("10.0.0.0/15", "InvalidVpc.Range"), ("10.0.0.0/29", "InvalidVpc.Range"),
                                           ("10.0.0.300/16", "InvalidParameterValue"), ("fd00::/56", "InvalidParameterValue")])
def test_create_vpc_rejects_bad_cidrs(ec2: Any, cidr: str, expected: str) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc(CidrBlock=cidr)
    assert code(exc) == expected


def test_create_vpc_checks_tag_resource_type(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_vpc(CidrBlock="10.0.0.0/16",
                       TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "a", "Value": "b"}]}])
    assert code(exc) == "InvalidParameterValue"
    assert "'subnet' is not a valid taggable resource type" in message(exc)


def test_vpc_attributes_default_and_modify(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)["VpcId"]

    def attr(name: str, member: str) -> bool:
        return bool(ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)[member]["Value"])

    assert attr("enableDnsSupport", "EnableDnsSupport") is True
    assert attr("enableDnsHostnames", "EnableDnsHostnames") is False
    assert attr("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics") is False
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableNetworkAddressUsageMetrics={"Value": True})
    assert attr("enableDnsHostnames", "EnableDnsHostnames") is True
    assert attr("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics") is True
    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True}, EnableDnsSupport={"Value": True})
    assert code(exc) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="colour")
    assert code(exc) == "InvalidParameterValue"


def test_unknown_and_foreign_ids_look_the_same(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(ec2)["VpcId"]
    other = gateway.client("ec2", creds=gateway.create_account("tenant-b"))
    for client, wanted in ((other, vpc_id), (ec2, "vpc-0123456789abcdef0")):
        with pytest.raises(ClientError) as exc:
            client.describe_vpcs(VpcIds=[wanted])
        assert code(exc) == "InvalidVpcID.NotFound"
        assert message(exc) == f"The vpc ID '{wanted}' does not exist"
        with pytest.raises(ClientError) as exc:
            client.delete_vpc(VpcId=wanted)
        assert code(exc) == "InvalidVpcID.NotFound"
    assert all(v["VpcId"] != vpc_id for v in other.describe_vpcs()["Vpcs"])


def test_malformed_vpc_id(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpcs(VpcIds=["subnet-123"])
    assert code(exc) == "InvalidVpcID.Malformed"


def test_describe_vpcs_filters(ec2: Any) -> None:
    a = make_vpc(ec2, "10.10.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "alpha"}]}])
    b = make_vpc(ec2, "10.20.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "env", "Value": "prod"}]}])

    def ids(*filters: tuple[str, list[str]]) -> set[str]:
        found = ec2.describe_vpcs(Filters=[{"Name": n, "Values": v} for n, v in filters])["Vpcs"]
        return {v["VpcId"] for v in found}

    assert ids(("cidr", ["10.10.0.0/16"])) == {a["VpcId"]}
    assert ids(("cidrBlock", ["10.20.0.0/16"])) == {b["VpcId"]}
    assert ids(("cidr-block-association.cidr-block", ["10.?0.0.0/16"])) == {a["VpcId"], b["VpcId"]}
    assert ids(("tag:Name", ["alp*"])) == {a["VpcId"]}
    assert ids(("tag-key", ["env"])) == {b["VpcId"]}
    assert ids(("tag-value", ["prod", "alpha"])) == {a["VpcId"], b["VpcId"]}
    assert ids(("vpc-id", [a["VpcId"]]), ("state", ["available"])) == {a["VpcId"]}
    assert ids(("owner-id", ["000000000001"]), ("cidr", ["10.20.0.0/16"])) == {b["VpcId"]}
    defaults = ids(("isDefault", ["true"]))
    assert len(defaults) == 1 and defaults == ids(("is-default", ["true"]))
    assert a["VpcId"] not in defaults
    assert ids(("dhcp-options-id", [a["DhcpOptionsId"]])) >= {a["VpcId"], b["VpcId"]}
    assert ids(("cidr-block-association.association-id", [a["CidrBlockAssociationSet"][0]["AssociationId"]])) == {a["VpcId"]}
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpcs(Filters=[{"Name": "vpc-colour", "Values": ["x"]}])
    assert code(exc) == "InvalidParameterValue"


def test_describe_vpcs_pagination(ec2: Any) -> None:
    created = {make_vpc(ec2, f"10.{i}.0.0/16")["VpcId"] for i in range(7)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 5}
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_vpcs(**kwargs)
        seen += [v["VpcId"] for v in page["Vpcs"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 2
    assert len(seen) == len(set(seen)) == 8  # seven created plus the default VPC
    assert created <= set(seen)
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpcs(VpcIds=list(created)[:1], MaxResults=5)
    assert code(exc) == "InvalidParameterCombination"


def test_default_vpc_exists_with_its_network(ec2: Any) -> None:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    vpc = vpcs[0]
    assert vpc["CidrBlock"] == "172.31.0.0/16" and vpc["IsDefault"] is True
    assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True
    subnets = ec2.describe_subnets(Filters=[{"Name": "defaultForAz", "Values": ["true"]}])["Subnets"]
    # One default subnet per zone, as on AWS.
    assert sorted((s["AvailabilityZone"], s["CidrBlock"]) for s in subnets) == [
        ("ap-southeast-2a", "172.31.0.0/20"), ("ap-southeast-2b", "172.31.16.0/20"),
        ("ap-southeast-2c", "172.31.32.0/20")]
    assert all(s["MapPublicIpOnLaunch"] is True for s in subnets)
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    assert len(igws) == 1 and igws[0]["Attachments"] == [{"State": "available", "VpcId": vpc["VpcId"]}]
    main = ec2.describe_route_tables(
        Filters=[{"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    )["RouteTables"][0]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igws[0]["InternetGatewayId"],
            "Origin": "CreateRoute", "State": "active"} in main["Routes"]


def test_default_vpc_is_created_once_under_concurrency(gateway: RunningGateway) -> None:
    creds = gateway.create_account("racer")
    clients = [gateway.client("ec2", creds=creds) for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda c: c.describe_regions(), clients))
    vpcs = clients[0].describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1


def test_delete_vpc_removes_its_implicit_resources(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)["VpcId"]
    ec2.delete_vpc(VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert code(exc) == "InvalidVpcID.NotFound"
    flt = [{"Name": "vpc-id", "Values": [vpc_id]}]
    assert ec2.describe_route_tables(Filters=flt)["RouteTables"] == []
    assert ec2.describe_security_groups(Filters=flt)["SecurityGroups"] == []
    assert ec2.describe_network_acls(Filters=flt)["NetworkAcls"] == []


def test_delete_vpc_dependency_violations(ec2: Any) -> None:
    vpc_id = make_vpc(ec2)["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnet_id)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)["GroupId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"
    ec2.delete_security_group(GroupId=sg)
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"
    ec2.delete_route_table(RouteTableId=rtb)
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_vpc(VpcId=vpc_id)
    # the VPC is usable again after an aborted delete: nothing was half-removed
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []


def test_secondary_and_ipv6_cidr_blocks(ec2: Any) -> None:
    vpc_id = make_vpc(ec2, "10.0.0.0/16")["VpcId"]
    added = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.1.0.0/16")["CidrBlockAssociation"]
    assert added["CidrBlockState"]["State"] == "associated"
    main = ec2.describe_route_tables(
        Filters=[{"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["RouteTables"][0]
    assert {r["DestinationCidrBlock"] for r in main["Routes"] if r.get("GatewayId") == "local"} == {"10.0.0.0/16", "10.1.0.0/16"}
    for bad, expected in (("10.0.128.0/17", "InvalidVpc.Range"), ("192.168.0.0/16", "InvalidVpc.Range")):
        with pytest.raises(ClientError) as exc:
            ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=bad)
        assert code(exc) == expected
    ipv6 = ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]
    assert ipv6["Ipv6CidrBlock"].endswith("/56") and ipv6["Ipv6Pool"] == "Amazon"
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"] == {"State": "associated"}
    found = ec2.describe_vpcs(Filters=[{"Name": "ipv6-cidr-block-association.association-id", "Values": [ipv6["AssociationId"]]}])
    assert [v["VpcId"] for v in found["Vpcs"]] == [vpc_id]
    primary = vpc["CidrBlockAssociationSet"][0]["AssociationId"]
    with pytest.raises(ClientError) as exc:
        ec2.disassociate_vpc_cidr_block(AssociationId=primary)
    assert code(exc) == "OperationNotPermitted"
    ec2.disassociate_vpc_cidr_block(AssociationId=added["AssociationId"])
    ec2.disassociate_vpc_cidr_block(AssociationId=ipv6["AssociationId"])
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert [a["CidrBlock"] for a in vpc["CidrBlockAssociationSet"]] == ["10.0.0.0/16"]
    assert vpc["Ipv6CidrBlockAssociationSet"] == []
    with pytest.raises(ClientError) as exc:
        ec2.disassociate_vpc_cidr_block(AssociationId=added["AssociationId"])
    assert code(exc) == "InvalidVpcCidrBlockAssociationID.NotFound"


def test_create_vpc_with_amazon_ipv6(ec2: Any) -> None:
    vpc = make_vpc(ec2, AmazonProvidedIpv6CidrBlock=True)
    block = vpc["Ipv6CidrBlockAssociationSet"][0]
    assert block["Ipv6CidrBlockState"]["State"] == "associated"
    other = make_vpc(ec2, "10.9.0.0/16", AmazonProvidedIpv6CidrBlock=True)
    assert other["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"] != block["Ipv6CidrBlock"]


def test_modify_vpc_tenancy(ec2: Any) -> None:
    vpc_id = make_vpc(ec2, InstanceTenancy="dedicated")["VpcId"]
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["InstanceTenancy"] == "dedicated"
    assert ec2.modify_vpc_tenancy(VpcId=vpc_id, InstanceTenancy="default")["ReturnValue"] is True
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["InstanceTenancy"] == "default"


def test_tags_set_later_show_up_in_describe_and_describe_tags(ec2: Any) -> None:
    vpc_id = make_vpc(ec2, TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "1"}]}])["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[vpc_id], Tags=[{"Key": "a", "Value": "not-the-value"}])
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    ec2.delete_tags(Resources=[vpc_id], Tags=[{"Key": "a", "Value": "1"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["Tags"]
    assert tags == [{"Key": "b", "Value": "2", "ResourceId": vpc_id, "ResourceType": "vpc"}]


def test_gateways_sharing_a_store_see_the_default_vpc_complete(
    tmp_path: Path, nats_server: Any
) -> None:
    """Two gateways on one NATS store take an account's first request at once: the one that
    does not create the default VPC waits for it, instead of answering without its subnets."""

    async def nats() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token)

    prefix = f"t{free_port()}"
    first = start_gateway(nats, tmp_path, bucket_prefix=prefix)
    try:
        second = start_gateway(nats, tmp_path, bucket_prefix=prefix, builtin_node=False)
        try:
            clients = [g.client("ec2") for g in (first, second) for _ in range(3)]

            def default_subnets(client: Any) -> int:
                found = client.describe_subnets(
                    Filters=[{"Name": "default-for-az", "Values": ["true"]}]
                )
                return len(found["Subnets"])

            with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
                counts = list(pool.map(default_subnets, clients))
            assert counts == [3] * len(clients)  # one per zone
            vpcs = first.client("ec2").describe_vpcs(
                Filters=[{"Name": "is-default", "Values": ["true"]}]
            )["Vpcs"]
            assert len(vpcs) == 1
        finally:
            second._stop()
    finally:
        first._stop()
