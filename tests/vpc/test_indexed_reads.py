"""Indexed reads answer exactly what the unindexed path answers.

A ``Describe*`` filter declared in a family's ``FilterSpec.indexes`` (or ids, names and public
IPs that select by an exact field) reads only the records that index selects. For every family
that declares one, over several VPCs, the filtered answer must equal the unfiltered answer
filtered here in Python, and the index must actually have been used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hive_gateway.core import describe as core_describe
from hive_gateway.core import records as core_records
from kv.memory import MemoryStore
from kv.store import Store
from tests.compute.test_instances import DEBIAN_AMD64, ZONE, wait_state
from tests.fixtures.gateway import RunningGateway, start_gateway

FLOW_BUCKET = "arn:aws:s3:::flow-log-bucket/vpc/"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """One gateway over the in-memory store (read replica on, as by default)."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(memory, tmp_path_factory.mktemp("indexed"))
    assert running.settings.read_replica
    yield running
    running._stop()


@pytest.fixture(scope="module")
def ec2(gateway: RunningGateway) -> Any:
    return gateway.client("ec2")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """``(kind, field)`` of every index a describe answered from (several for one request
    when it intersected them)."""
    seen: list[tuple[str, str]] = []
    original = core_records.matching

    async def counting(ctx: Any, kind: Any, criteria: dict[str, Any], **kw: Any) -> Any:
        found = await original(ctx, kind, criteria, **kw)
        if found is not None:
            used = core_records.indexed_fields(kind)
            seen.extend((kind.name, field) for field in criteria if field in used)
        return found

    monkeypatch.setattr(core_describe, "matching", counting)
    return seen


@pytest.fixture(scope="module")
def world(ec2: Any) -> dict[str, Any]:
    """Three VPCs with a subnet each and one of most kinds of resource in each."""
    region = ec2.meta.region_name
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in (1, 2, 3)]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{i}.1.0/24", AvailabilityZone=ZONE)["Subnet"][
            "SubnetId"
        ]
        for i, vpc in zip((1, 2, 3), vpcs, strict=True)
    ]
    for subnet in subnets:
        ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")
    s3 = f"com.amazonaws.{region}.s3"
    for vpc in vpcs[:2]:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=s3, VpcEndpointType="Gateway")
    ec2.create_vpc_endpoint(
        VpcId=vpcs[2],
        ServiceName=f"com.amazonaws.{region}.ssm",
        VpcEndpointType="Interface",
        SubnetIds=[subnets[2]],
        PrivateDnsEnabled=False,
    )
    ec2.create_vpc_peering_connection(VpcId=vpcs[0], PeerVpcId=vpcs[1])
    ec2.create_vpc_peering_connection(VpcId=vpcs[1], PeerVpcId=vpcs[2])
    addresses = [ec2.allocate_address(Domain="vpc") for _ in range(3)]
    for name in ("indexed-a", "indexed-b", "indexed-c"):
        ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    for name in ("template-a", "template-b"):
        ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"InstanceType": "t3.micro"}
        )
    for ip in ("203.0.113.10", "203.0.113.11"):
        ec2.create_customer_gateway(BgpAsn=65010, IpAddress=ip, Type="ipsec.1")
    for instance_type in ("t3.small", "t3.micro"):
        ec2.create_capacity_reservation(
            InstanceType=instance_type,
            InstancePlatform="Linux/UNIX",
            AvailabilityZone=ZONE,
            InstanceCount=1,
            InstanceMatchCriteria="targeted",
        )
    for vpc in vpcs[:2]:
        ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=FLOW_BUCKET,
        )
    ec2.create_egress_only_internet_gateway(VpcId=vpcs[0])
    ec2.create_egress_only_internet_gateway(VpcId=vpcs[1])
    ec2.create_network_interface(SubnetId=subnets[0])
    ec2.create_network_interface(SubnetId=subnets[0])
    instances = [
        ec2.run_instances(
            ImageId=DEBIAN_AMD64, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnet
        )["Instances"][0]["InstanceId"]
        for subnet in subnets[:2]
    ]
    wait_state(ec2, instances, "running")
    return {
        "vpcs": vpcs,
        "subnets": subnets,
        "s3": s3,
        "addresses": addresses,
        "instances": instances,
    }


def _same(
    full: list[dict[str, Any]],
    filtered: list[dict[str, Any]],
    key: str,
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    expected = sorted(str(item[key]) for item in full if keep(item))
    assert expected, "the check needs at least one match"
    assert sorted(str(item[key]) for item in filtered) == expected
    assert len(expected) < len(full), "the check needs records the filter leaves out"


def _f(name: str, *values: str) -> list[dict[str, Any]]:
    return [{"Name": name, "Values": list(values)}]


def test_nat_gateways_by_vpc_and_subnet(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    full = ec2.describe_nat_gateways()["NatGateways"]
    vpc, subnet = world["vpcs"][1], world["subnets"][2]
    by_vpc = ec2.describe_nat_gateways(Filter=_f("vpc-id", vpc))["NatGateways"]
    _same(full, by_vpc, "NatGatewayId", lambda g: g["VpcId"] == vpc)
    by_subnet = ec2.describe_nat_gateways(Filter=_f("subnet-id", subnet))["NatGateways"]
    _same(full, by_subnet, "NatGatewayId", lambda g: g["SubnetId"] == subnet)
    # two VPCs at once, and another filter on top
    both = ec2.describe_nat_gateways(
        Filter=_f("vpc-id", *world["vpcs"][:2]) + _f("state", "pending", "available")
    )["NatGateways"]
    _same(full, both, "NatGatewayId", lambda g: g["VpcId"] in world["vpcs"][:2])
    assert ("nat-gateway", "vpc_id") in lookups and ("nat-gateway", "subnet_id") in lookups
    # a wildcard is no key: the unindexed path gives the same answer
    lookups.clear()
    wild = ec2.describe_nat_gateways(Filter=_f("vpc-id", vpc[:-2] + "*"))["NatGateways"]
    assert lookups == []
    assert {g["NatGatewayId"] for g in wild} >= {g["NatGatewayId"] for g in by_vpc}


def test_vpc_endpoints_by_vpc_service_and_type(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    full = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    for vpc in world["vpcs"]:
        found = ec2.describe_vpc_endpoints(Filters=_f("vpc-id", vpc))["VpcEndpoints"]
        _same(full, found, "VpcEndpointId", lambda e, vpc=vpc: e["VpcId"] == vpc)
        assert found == [e for e in full if e["VpcId"] == vpc]  # rendered alike
    found = ec2.describe_vpc_endpoints(Filters=_f("service-name", world["s3"]))["VpcEndpoints"]
    _same(full, found, "VpcEndpointId", lambda e: e["ServiceName"] == world["s3"])
    found = ec2.describe_vpc_endpoints(Filters=_f("vpc-endpoint-type", "Interface"))["VpcEndpoints"]
    _same(full, found, "VpcEndpointId", lambda e: e["VpcEndpointType"] == "Interface")
    assert {("vpc-endpoint", f) for f in ("vpc_id", "service_name", "vpc_endpoint_type")} <= set(
        lookups
    )


def test_peering_by_either_vpc(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    full = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
    middle = world["vpcs"][1]
    found = ec2.describe_vpc_peering_connections(Filters=_f("requester-vpc-info.vpc-id", middle))[
        "VpcPeeringConnections"
    ]
    _same(full, found, "VpcPeeringConnectionId", lambda c: c["RequesterVpcInfo"]["VpcId"] == middle)
    found = ec2.describe_vpc_peering_connections(Filters=_f("accepter-vpc-info.vpc-id", middle))[
        "VpcPeeringConnections"
    ]
    _same(full, found, "VpcPeeringConnectionId", lambda c: c["AccepterVpcInfo"]["VpcId"] == middle)
    assert ("vpc-peering-connection", "accepter_vpc_id") in lookups


def test_addresses_by_ip_and_allocation(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    full = ec2.describe_addresses()["Addresses"]
    first, second = world["addresses"][0], world["addresses"][1]
    found = ec2.describe_addresses(Filters=_f("public-ip", first["PublicIp"]))["Addresses"]
    _same(full, found, "AllocationId", lambda a: a["PublicIp"] == first["PublicIp"])
    found = ec2.describe_addresses(PublicIps=[second["PublicIp"]])["Addresses"]
    _same(full, found, "AllocationId", lambda a: a["PublicIp"] == second["PublicIp"])
    found = ec2.describe_addresses(Filters=_f("allocation-id", second["AllocationId"]))["Addresses"]
    _same(full, found, "AllocationId", lambda a: a["AllocationId"] == second["AllocationId"])
    assert ("elastic-ip", "public_ip") in lookups and ("elastic-ip", "allocation_id") in lookups


def test_key_pairs_and_launch_templates_by_name(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    full = ec2.describe_key_pairs()["KeyPairs"]
    found = ec2.describe_key_pairs(KeyNames=["indexed-b"])["KeyPairs"]
    _same(full, found, "KeyPairId", lambda k: k["KeyName"] == "indexed-b")
    fingerprint = found[0]["KeyFingerprint"]
    found = ec2.describe_key_pairs(Filters=_f("fingerprint", fingerprint))["KeyPairs"]
    _same(full, found, "KeyPairId", lambda k: k["KeyFingerprint"] == fingerprint)
    templates = ec2.describe_launch_templates()["LaunchTemplates"]
    found = ec2.describe_launch_templates(LaunchTemplateNames=["template-b"])["LaunchTemplates"]
    _same(templates, found, "LaunchTemplateId", lambda t: t["LaunchTemplateName"] == "template-b")
    assert ("key-pair", "key_name") in lookups
    assert ("launch-template", "launch_template_name") in lookups


def test_other_families_by_exact_fields(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    gateways = ec2.describe_customer_gateways()["CustomerGateways"]
    found = ec2.describe_customer_gateways(Filters=_f("ip-address", "203.0.113.11"))[
        "CustomerGateways"
    ]
    _same(gateways, found, "CustomerGatewayId", lambda g: g["IpAddress"] == "203.0.113.11")
    reservations = ec2.describe_capacity_reservations()["CapacityReservations"]
    found = ec2.describe_capacity_reservations(Filters=_f("instance-type", "t3.micro"))[
        "CapacityReservations"
    ]
    _same(reservations, found, "CapacityReservationId", lambda r: r["InstanceType"] == "t3.micro")
    assert found == [r for r in reservations if r["InstanceType"] == "t3.micro"]
    logs = ec2.describe_flow_logs()["FlowLogs"]
    vpc = world["vpcs"][1]
    found = ec2.describe_flow_logs(Filter=_f("resource-id", vpc))["FlowLogs"]
    _same(logs, found, "FlowLogId", lambda f: f["ResourceId"] == vpc)
    eigws = ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
    first = eigws[0]["EgressOnlyInternetGatewayId"]
    found = ec2.describe_egress_only_internet_gateways(
        Filters=_f("egress-only-internet-gateway-id", first)
    )["EgressOnlyInternetGateways"]
    _same(eigws, found, "EgressOnlyInternetGatewayId", lambda g: g == eigws[0])
    assert {
        ("customer-gateway", "ip_address"),
        ("capacity-reservation", "instance_type"),
        ("flow-log", "resource_id"),
        ("egress-only-internet-gateway", "egress_only_internet_gateway_id"),
    } <= set(lookups)


def test_instances_by_vpc_and_subnet(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    def instances(**kwargs: Any) -> list[dict[str, Any]]:
        return [i for r in ec2.describe_instances(**kwargs)["Reservations"] for i in r["Instances"]]

    full = instances()
    vpc, subnet = world["vpcs"][0], world["subnets"][1]
    found = instances(Filters=_f("vpc-id", vpc))
    _same(full, found, "InstanceId", lambda i: i.get("VpcId") == vpc)
    found = instances(Filters=_f("subnet-id", subnet))
    _same(full, found, "InstanceId", lambda i: i.get("SubnetId") == subnet)
    assert ("instance", "vpc_id") in lookups and ("instance", "subnet_id") in lookups
    by_id = instances(InstanceIds=[world["instances"][1]])
    assert [i["InstanceId"] for i in by_id] == [world["instances"][1]]
    assert by_id[0]["NetworkInterfaces"] == next(
        i["NetworkInterfaces"] for i in full if i["InstanceId"] == world["instances"][1]
    )


def test_subnets_count_the_addresses_of_their_interfaces_only(
    ec2: Any, world: dict[str, Any]
) -> None:
    full = {s["SubnetId"]: s for s in ec2.describe_subnets()["Subnets"]}
    for subnet in world["subnets"]:
        one = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
        assert one == [full[subnet]]
    # two interfaces, an instance and a NAT gateway's interface in the first subnet
    first, second = full[world["subnets"][0]], full[world["subnets"][1]]
    assert first["AvailableIpAddressCount"] < second["AvailableIpAddressCount"]


def test_security_group_rules_by_group(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    group = rules[0]["GroupId"]
    found = ec2.describe_security_group_rules(Filters=_f("group-id", group))["SecurityGroupRules"]
    _same(rules, found, "SecurityGroupRuleId", lambda r: r["GroupId"] == group)
    assert ("security-group", "group_id") in lookups


def test_route_tables_and_acls_by_association(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    """Terraform reads an ``aws_route_table_association`` by its id and finds a subnet's ACL by
    ``association.subnet-id``: nested fields, indexed per association."""
    associations = []
    for vpc, subnet in zip(world["vpcs"][:2], world["subnets"][:2], strict=True):
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        associations.append(
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)["AssociationId"]
        )
    tables = ec2.describe_route_tables()["RouteTables"]

    def holding(member: str, value: str) -> Callable[[dict[str, Any]], bool]:
        return lambda t: any(a.get(member) == value for a in t["Associations"])

    second = associations[1]
    found = ec2.describe_route_tables(Filters=_f("association.route-table-association-id", second))[
        "RouteTables"
    ]
    _same(tables, found, "RouteTableId", holding("RouteTableAssociationId", second))
    assert found == [t for t in tables if holding("RouteTableAssociationId", second)(t)]
    subnet = world["subnets"][0]
    found = ec2.describe_route_tables(Filters=_f("association.subnet-id", subnet))["RouteTables"]
    _same(tables, found, "RouteTableId", holding("SubnetId", subnet))
    assert ("route-table", "associations.association_id") in lookups
    assert ("route-table", "associations.subnet_id") in lookups
    # a main table has its VPC but no subnet: an indexed filter with an unindexed one on top
    vpc = world["vpcs"][2]
    found = ec2.describe_route_tables(Filters=_f("vpc-id", vpc) + _f("association.main", "true"))[
        "RouteTables"
    ]
    _same(tables, found, "RouteTableId", lambda t: t["VpcId"] == vpc and holding("Main", True)(t))
    acls = ec2.describe_network_acls()["NetworkAcls"]
    subnet = world["subnets"][2]
    found = ec2.describe_network_acls(Filters=_f("association.subnet-id", subnet))["NetworkAcls"]
    _same(
        acls, found, "NetworkAclId", lambda a: subnet in [x["SubnetId"] for x in a["Associations"]]
    )
    association = next(x for a in found for x in a["Associations"] if x["SubnetId"] == subnet)
    by_id = ec2.describe_network_acls(
        Filters=_f("association.association-id", association["NetworkAclAssociationId"])
    )["NetworkAcls"]
    assert by_id == found
    assert ("network-acl", "associations.subnet_id") in lookups
    assert ("network-acl", "associations.network_acl_association_id") in lookups


def test_two_indexed_filters_select_through_both(
    ec2: Any, world: dict[str, Any], lookups: list[tuple[str, str]]
) -> None:
    """Terraform finds a VPC's default group by ``group-name=default`` and ``vpc-id``: every
    VPC has one, so the answer comes from both indexes at once (and is that one group)."""
    groups = ec2.describe_security_groups()["SecurityGroups"]
    vpc = world["vpcs"][1]
    found = ec2.describe_security_groups(Filters=_f("group-name", "default") + _f("vpc-id", vpc))[
        "SecurityGroups"
    ]
    _same(groups, found, "GroupId", lambda g: g["GroupName"] == "default" and g["VpcId"] == vpc)
    assert len(found) == 1
    assert {("security-group", "group_name"), ("security-group", "vpc_id")} <= set(lookups)
    lookups.clear()
    narrowed = ec2.describe_security_groups(
        Filters=_f("vpc-id", vpc) + _f("group-id", groups[0]["GroupId"], "sg-0000000000000000a")
    )["SecurityGroups"]
    assert narrowed == [g for g in groups if g["VpcId"] == vpc and g == groups[0]]
    assert len(lookups) == 2


def test_every_index_is_of_a_declared_filter() -> None:
    """An index key that names no filter would never be used (a typo, a renamed filter)."""
    import sys

    import handlers  # noqa: F401 - registers every family
    from hive_gateway.core.filters import FilterSpec

    specs = [
        (module.__name__, name, value)
        for module in list(sys.modules.values())
        if module is not None and module.__name__.startswith("handlers")
        for name, value in vars(module).items()
        if isinstance(value, FilterSpec) and value.indexes
    ]
    assert len({name for _, name, _ in specs}) >= 20
    for module, name, spec in specs:
        for filter_name in spec.indexes:
            assert filter_name in spec.fields, (module, name, filter_name)
