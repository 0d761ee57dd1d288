"""The dependents registry (architecture.md §2) and the wrong answers it fixes, with real boto3.

* every §2 relation is declared, by the dependent family, in one table;
* a VPC Hive made (a record, no ``vpc_index`` document) takes security groups, an internet
  gateway and subnets, and can be deleted;
* ``CreateNetworkAcl`` racing ``DeleteVpc`` never leaves an ACL in a deleted VPC (memory and NATS);
* a route created with ``InstanceId`` turns ``blackhole`` when the instance terminates.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

import handlers  # noqa: F401  (registers every family's declarations)
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.kinds import KINDS
from kv.buckets import account_key
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    code,
    nats_token_gateway,  # noqa: F401  (fixture: a gateway over the token-guarded nats-server)
    outcome,
    put_raw,
    race,
    request_context,
)

# (parent, event, dependent kind, declaring family) for every relation of architecture.md §2.
SECTION_2: list[tuple[str, str, str, str]] = [
    ("vpc", "delete", "subnet", "handlers.subnets"),
    ("vpc", "delete", "internet-gateway", "handlers.internet_gateways"),
    ("vpc", "delete", "security-group", "handlers.security_groups"),
    ("vpc", "delete", "route-table", "handlers.route_tables"),
    ("vpc", "delete", "network-acl", "handlers.network_acls"),
    ("vpc", "delete", "network-interface", "handlers.network_interfaces"),
    ("vpc", "delete", "egress-only-internet-gateway", "handlers.egress_only_internet_gateways"),
    ("vpc", "delete", "nat-gateway", "handlers.nat_gateways"),
    ("subnet", "delete", "nat-gateway", "handlers.nat_gateways"),
    ("internet-gateway", "detach", "nat-gateway", "handlers.nat_gateways"),
    ("elastic-ip", "association-change", "nat-gateway", "handlers.nat_gateways"),
    ("subnet", "delete", "network-interface", "handlers.network_interfaces"),
    ("subnet", "delete", "instance", "handlers.instances"),
    ("security-group", "delete", "security-group", "handlers.security_groups"),
    ("security-group", "delete", "network-interface", "handlers.network_interfaces"),
    ("dhcp-options", "delete", "vpc", "handlers.vpcs"),
    ("placement-group", "delete", "instance", "handlers.instances"),
    ("internet-gateway", "detach", "network-interface", "handlers.network_interfaces"),
    ("snapshot", "delete", "image", "handlers.ebs"),
]

# (kind, event, reacting module) for every reaction of §2.
SECTION_2_REACTIONS: list[tuple[str, str, str]] = [
    ("internet-gateway", "attached", "handlers.route_tables"),
    ("internet-gateway", "detached", "handlers.route_tables"),
    ("internet-gateway", "deleted", "handlers.route_tables"),
    ("egress-only-internet-gateway", "deleted", "handlers.route_tables"),
    ("network-interface", "deleted", "handlers.route_tables"),
    ("nat-gateway", "deleted", "handlers.route_tables"),
    ("instance", "terminated", "handlers.route_tables"),
    ("network-interface", "deleted", "handlers.addresses"),
    ("network-interface", "attached", "handlers.addresses"),
    ("network-interface", "detached", "handlers.addresses"),
    ("network-interface", "ips-unassigned", "handlers.addresses"),
    ("instance", "terminated", "handlers.addresses"),
    ("subnet", "created", "handlers.network_acls"),
    ("subnet", "deleted", "handlers.network_acls"),
    ("subnet", "deleted", "handlers.route_tables"),
    ("vpc", "deleted", "handlers.security_groups"),
    ("vpc", "deleted", "handlers.route_tables"),
    ("vpc", "deleted", "handlers.network_acls"),
    ("vpc", "cidr-associated", "handlers.route_tables"),
    ("vpc", "cidr-disassociated", "handlers.route_tables"),
    ("vpc", "cidr-associated", "handlers.network_acls"),
]


def _family(module: str) -> str:
    """``handlers.vpcs.lifecycle`` → ``handlers.vpcs`` (a family may be a package of modules)."""
    return ".".join(module.split(".")[:2])


def test_every_section_2_relation_is_declared_by_the_dependent_family() -> None:
    rows = [(p, e, d, _family(m)) for p, e, d, m in dependents.table()]
    relations = {(p, e, d.split(".")[0].split(" ")[0], m) for p, e, d, m in rows if "→" not in d}
    assert set(SECTION_2) <= relations, sorted(set(SECTION_2) - relations)
    reactions = {(p, e, m) for p, e, d, m in rows if "→" in d}
    assert set(SECTION_2_REACTIONS) <= reactions, sorted(set(SECTION_2_REACTIONS) - reactions)


def test_every_route_target_kind_blackholes_when_deleted() -> None:
    from handlers import route_tables

    reactions = {
        (p, e) for p, e, d, m in dependents.table() if _family(m) == "handlers.route_tables"
    }
    for target in route_tables.TARGETS:
        if target.kind is not None:
            assert (target.kind, "deleted") in reactions


# --- wrong answer #1: a VPC Hive made has no index document ------------------------------------


def hive_vpc(gateway: RunningGateway, cidr: str = "10.50.0.0/16") -> str:
    """A VPC record written straight into Hive's bucket, as Hive's vpcd does (no index doc)."""
    vpc_id = f"vpc-{time.monotonic_ns() % 16**17:017x}"
    put_raw(
        gateway,
        KINDS["vpc"].bucket,
        account_key(ADMIN, vpc_id),
        {
            "vpc_id": vpc_id,
            "cidr_block": cidr,
            "state": "available",
            "is_default": False,
            "enable_dns_hostnames": False,
            "enable_dns_support": True,
            "tags": {},
            "created_at": clock.utc_now(),
            "vni": 4242,
        },
    )
    return vpc_id


def test_a_hive_made_vpc_takes_groups_gateways_and_subnets(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = hive_vpc(gateway)
    group_id = ec2.create_security_group(VpcId=vpc_id, GroupName="web", Description="w")["GroupId"]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as exc:  # the seeded index knows the subnet's CIDR
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.1.0/25")
    assert code(exc) == "InvalidSubnet.Conflict"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert exc.value.response["Error"] == {
        "Code": "DependencyViolation",
        "Message": f"The vpc '{vpc_id}' has dependencies and cannot be deleted.",
    }
    ec2.delete_subnet(SubnetId=subnet_id)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_security_group(GroupId=group_id)
    ec2.delete_vpc(VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert code(exc) == "InvalidVpcID.NotFound"


def test_a_hive_made_vpc_can_be_deleted_straight_away(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = hive_vpc(gateway)
    ec2.delete_vpc(VpcId=vpc_id)
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []


def test_a_hive_made_vpc_with_hive_subnets_is_seeded_from_them(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = hive_vpc(gateway, "10.60.0.0/16")
    put_raw(
        gateway,
        KINDS["subnet"].bucket,
        account_key(ADMIN, "subnet-00000000000000abc"),
        {
            "subnet_id": "subnet-00000000000000abc",
            "vpc_id": vpc_id,
            "cidr_block": "10.60.1.0/24",
            "availability_zone": "ap-southeast-2a",
            "state": "available",
            "is_default": False,
            "map_public_ip_on_launch": False,
            "tags": {},
            "created_at": clock.utc_now(),
        },
    )
    ec2.create_security_group(VpcId=vpc_id, GroupName="x", Description="x")
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.60.1.128/25")
    assert code(exc) == "InvalidSubnet.Conflict"
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc_id)
    assert code(exc) == "DependencyViolation"


# --- wrong answer #2: CreateNetworkAcl racing DeleteVpc ----------------------------------------


@pytest.mark.parametrize("backend", ["gateway", "nats_token_gateway"])
def test_create_network_acl_racing_delete_vpc_leaves_no_orphan(
    request: pytest.FixtureRequest, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running: RunningGateway = request.getfixturevalue(backend)
    original = records.create

    async def slow_create(ctx: Any, kind: Any, record: Any, **kwargs: Any) -> Any:
        """Widen the window between CreateNetworkAcl's VPC check and its write."""
        if kind is KINDS["network-acl"]:
            await asyncio.sleep(random.uniform(0, 0.03))
        return await original(ctx, kind, record, **kwargs)

    monkeypatch.setattr(records, "create", slow_create)
    clients = [running.client("ec2") for _ in range(6)]
    outcomes: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for round_ in range(12):
            vpc_id = clients[0].create_vpc(CidrBlock=f"10.{round_}.0.0/16")["Vpc"]["VpcId"]
            deleted = pool.submit(outcome, lambda v=vpc_id: clients[0].delete_vpc(VpcId=v))
            creates = [
                pool.submit(
                    outcome,
                    lambda c=c, v=vpc_id: c.create_network_acl(VpcId=v)["NetworkAcl"][
                        "NetworkAclId"
                    ],
                )
                for c in clients[1:]
            ]
            outcomes += [f.result() for f in creates] + [deleted.result()]
    ctx = request_context(running)

    async def orphans() -> list[str]:
        found = []
        for acl in await records.list_records(ctx, KINDS["network-acl"]):
            if await records.find(ctx, KINDS["vpc"], acl["vpc_id"]) is None:
                found.append(acl["network_acl_id"])
        return found

    assert running.run(orphans()) == []
    assert set(outcomes) <= {"ok", "InvalidVpcID.NotFound", "DependencyViolation"} | {
        o for o in outcomes if o.startswith("acl-")
    }


# --- wrong answer #4: a route to an instance follows its termination ---------------------------


def test_a_route_by_instance_id_blackholes_when_the_instance_terminates(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="ap-southeast-2a"
    )["Subnet"]["SubnetId"]
    instance = ec2.run_instances(
        ImageId="ami-0deb12a6420240211",
        InstanceType="t3.small",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
    )["Instances"][0]
    instance_id = instance["InstanceId"]
    eni_id = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table_id, DestinationCidrBlock="10.8.0.0/16", InstanceId=instance_id
    )
    ec2.create_route(
        RouteTableId=table_id, DestinationCidrBlock="10.9.0.0/16", NetworkInterfaceId=eni_id
    )

    def states() -> dict[str, str]:
        table = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
        return {
            r["DestinationCidrBlock"]: r["State"]
            for r in table["Routes"]
            if r.get("DestinationCidrBlock") in ("10.8.0.0/16", "10.9.0.0/16")
        }

    assert states() == {"10.8.0.0/16": "active", "10.9.0.0/16": "active"}
    ec2.terminate_instances(InstanceIds=[instance_id])
    deadline = time.monotonic() + 20
    while True:
        described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        state = described[0]["Instances"][0]["State"]["Name"] if described else "terminated"
        if state == "terminated" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state == "terminated"
    assert states() == {"10.8.0.0/16": "blackhole", "10.9.0.0/16": "blackhole"}


# --- guarded deletes ---------------------------------------------------------------------------


def test_concurrent_deletes_of_one_subnet_have_one_winner(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    clients = [gateway.client("ec2") for _ in range(6)]
    outcomes = race(lambda c: c.delete_subnet(SubnetId=subnet_id), clients)
    assert sorted(outcomes) == ["InvalidSubnetID.NotFound"] * 5 + ["ok"]


def test_a_blocked_delete_leaves_the_record_as_it_was(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_network_interface(SubnetId=subnet_id)
    ctx = request_context(gateway)
    before = gateway.run(records.get(ctx, KINDS["subnet"], subnet_id))
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert exc.value.response["Error"] == {
        "Code": "DependencyViolation",
        "Message": f"The subnet '{subnet_id}' has dependencies and cannot be deleted.",
    }
    assert gateway.run(records.get(ctx, KINDS["subnet"], subnet_id)) == before
    ec2.create_network_interface(SubnetId=subnet_id)  # not marked deleting any more
