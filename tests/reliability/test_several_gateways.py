"""Several gateways, one store (issue 11): two ``hive-gateway serve`` processes on one external
nats-server answer as one EC2. Every uniqueness rule and every one-at-a-time decision holds
across the processes because it is a KV compare-and-swap (claims, leases), never a process lock.

Each race sends the same (or a conflicting) request to both gateways at the same instant
(a barrier), for several rounds, and asserts exactly one winner and the exact AWS error of the
loser.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.reliability.procs import Gateway, nats_with_config, run_cli, start_gateway

DEBIAN = "ami-0deb12a6420240211"
TYPE = "t3.small"
"""2 vCPUs: with ``--node-vcpus 4`` each of the three simulated hosts fits two."""
HOSTS = 3
PER_HOST = 2
ROUNDS = 4


class Pair:
    """Two gateways on one store, with one admin key."""

    def __init__(self, one: Gateway, two: Gateway) -> None:
        self.gateways = (one, two)

    def clients(self, **keys: str) -> tuple[Any, Any]:
        return tuple(  # type: ignore[return-value]
            g.client(retries={"total_max_attempts": 1}, read_timeout=60, **keys)
            for g in self.gateways
        )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("several")
    nats = nats_with_config(root / "nats", "")
    nats.start()
    # One zone: the capacity and spread figures below count hosts of a single zone.
    common = ["--nats-url", nats.url, "--request-timeout", "60", "--az", "ap-southeast-2a"]
    started: list[Gateway] = []
    try:
        one = start_gateway(
            root / "gw1",
            *common,
            "--nodes",
            str(HOSTS),
            "--node-vcpus",
            str(2 * PER_HOST),
            tls=False,
        )
        started.append(one)
        (root / "gw2").mkdir()
        shutil.copy2(root / "gw1" / "master.key", root / "gw2" / "master.key")
        two = start_gateway(root / "gw2", *common, "--no-builtin-node", tls=False)
        started.append(two)
        assert one.access_key == two.access_key
        yield Pair(one, two)
    finally:
        for index, gateway in enumerate(started):
            output = gateway.stop()
            (root / f"gw{index + 1}.log").write_text(output)
            # InsufficientInstanceCapacity is a 500 on AWS too; nothing else may be.
            assert "Traceback" not in output, output[-3000:]
        nats.stop()


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; each result is the response or the error
    code."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except ClientError as error:
            results[index] = error.response["Error"]["Code"]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _one_winner(results: list[Any], loser_code: str) -> Any:
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if not isinstance(r, dict)]
    assert len(winners) == 1, results
    assert losers == [loser_code] * (len(results) - 1), results
    return winners[0]


def _sees_a_peer(gateway: Gateway) -> bool:
    """Whether ``gateway`` logged that another gateway is running (kv/peers.py)."""
    return any("other gateway(s) running" in line for line in list(gateway.output))


def _vpc(ec2: Any, cidr: str = "10.20.0.0/16") -> str:
    return str(ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"])


def test_a_write_on_one_gateway_is_read_at_once_on_the_other(pair: Pair) -> None:
    """Read-your-writes across processes: with another gateway registered, neither takes
    itself for the only writer (kv/peers.py), so its next read waits for the other's write."""
    deadline = time.monotonic() + 10
    while not all(_sees_a_peer(g) for g in pair.gateways):
        assert time.monotonic() < deadline, "the gateways do not see each other"
        time.sleep(0.1)
    a, b = pair.clients()
    for n in range(20):
        writer, reader = (a, b) if n % 2 else (b, a)
        vpc = _vpc(writer, f"10.{100 + n}.0.0/16")
        found = reader.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        assert [v["VpcId"] for v in found] == [vpc]
        writer.create_tags(Resources=[vpc], Tags=[{"Key": "round", "Value": str(n)}])
        tagged = reader.describe_vpcs(Filters=[{"Name": "tag:round", "Values": [str(n)]}])
        assert [v["VpcId"] for v in tagged["Vpcs"]] == [vpc]
        writer.delete_vpc(VpcId=vpc)
        assert reader.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"] == []


def test_security_group_name_race_has_one_winner(pair: Pair) -> None:
    """Property: one SG name per VPC across gateways (the loser: InvalidGroup.Duplicate)."""
    a, b = pair.clients()
    vpc = _vpc(a)
    for n in range(ROUNDS):
        results = _at_once(
            *(
                lambda c=c, n=n: c.create_security_group(
                    VpcId=vpc, GroupName=f"web{n}", Description="d"
                )
                for c in (a, b)
            )
        )
        winner = _one_winner(results, "InvalidGroup.Duplicate")
        named = b.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "group-name", "Values": [f"web{n}"]},
            ]
        )["SecurityGroups"]
        assert [g["GroupId"] for g in named] == [winner["GroupId"]]


def test_subnet_cidr_race_has_one_winner(pair: Pair) -> None:
    """Property: subnet CIDRs never overlap in a VPC across gateways (InvalidSubnet.Conflict)."""
    a, b = pair.clients()
    vpc = _vpc(a)
    for n in range(ROUNDS):
        # Overlapping, not equal: the rule is overlap, not string equality.
        results = _at_once(
            lambda n=n: a.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n * 4}.0/22"),
            lambda n=n: b.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n * 4 + 1}.0/24"),
        )
        _one_winner(results, "InvalidSubnet.Conflict")
    subnets = a.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert len(subnets) == ROUNDS


def test_internet_gateway_attachment_race_has_one_winner(pair: Pair) -> None:
    """Property: a VPC has at most one internet gateway, whichever gateway attaches
    (the loser: Resource.AlreadyAssociated)."""
    a, b = pair.clients()
    for _ in range(ROUNDS):
        vpc = _vpc(a)
        igws = [c.create_internet_gateway()["InternetGateway"]["InternetGatewayId"] for c in (a, b)]
        results = _at_once(
            lambda i=igws[0], v=vpc: a.attach_internet_gateway(InternetGatewayId=i, VpcId=v),
            lambda i=igws[1], v=vpc: b.attach_internet_gateway(InternetGatewayId=i, VpcId=v),
        )
        _one_winner(results, "Resource.AlreadyAssociated")
        attached = a.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}]
        )["InternetGateways"]
        assert len(attached) == 1


def test_elastic_ip_association_race_has_one_winner(pair: Pair) -> None:
    """Property: an Elastic IP is associated with one interface, whichever gateway answers
    (the loser, without AllowReassociation: Resource.AlreadyAssociated)."""
    a, b = pair.clients()
    subnet = a.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
        "Subnets"
    ][0]["SubnetId"]
    for _ in range(ROUNDS):
        enis = [
            c.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
            for c in (a, b)
        ]
        allocation = a.allocate_address(Domain="vpc")["AllocationId"]
        results = _at_once(
            lambda x=allocation, e=enis[0]: a.associate_address(
                AllocationId=x, NetworkInterfaceId=e
            ),
            lambda x=allocation, e=enis[1]: b.associate_address(
                AllocationId=x, NetworkInterfaceId=e
            ),
        )
        _one_winner(results, "Resource.AlreadyAssociated")
        address = b.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
        assert address["NetworkInterfaceId"] in enis


def test_one_client_token_launches_once_across_gateways(pair: Pair) -> None:
    """Property: the same RunInstances with one ClientToken sent to both gateways at once
    launches one instance (the token is a KV claim, not a process lock); both answer it."""
    a, b = pair.clients()
    for n in range(ROUNDS):
        token = f"several-{n}"
        results = _at_once(
            *(
                lambda c=c, t=token: c.run_instances(
                    ImageId=DEBIAN, InstanceType=TYPE, MinCount=1, MaxCount=1, ClientToken=t
                )
                for c in (a, b)
            )
        )
        assert all(isinstance(r, dict) for r in results), results
        ids = {r["Instances"][0]["InstanceId"] for r in results}
        assert len(ids) == 1, results
        launched = a.describe_instances(Filters=[{"Name": "client-token", "Values": [token]}])
        found = [i["InstanceId"] for r in launched["Reservations"] for i in r["Instances"]]
        assert found == list(ids)
        a.terminate_instances(InstanceIds=list(ids))
    _wait_terminated(a)


def _wait_terminated(ec2: Any) -> None:
    waiter = ec2.get_waiter("instance_terminated")
    ids = [
        i["InstanceId"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]
    if ids:
        waiter.wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 90})


def _launch(ec2: Any, group: str | None = None) -> Callable[[], Any]:
    placement = {"Placement": {"GroupName": group}} if group else {}
    return lambda: ec2.run_instances(
        ImageId=DEBIAN, InstanceType=TYPE, MinCount=1, MaxCount=1, **placement
    )


def _outcomes(results: list[Any]) -> tuple[int, list[str]]:
    return len([r for r in results if isinstance(r, dict)]), [
        r for r in results if not isinstance(r, dict)
    ]


def test_spread_placement_and_capacity_hold_across_gateways(pair: Pair) -> None:
    """Property: launches racing through both gateways into a spread group each get their own
    host (two racing launches into a new group on three hosts both succeed: neither is placed on
    the other's host and refused), a group never gets two instances on one host, and the hosts
    are never oversubscribed (racing launches past the free slots: exactly the free slots are
    used, the rest answer InsufficientInstanceCapacity). The simulated hosts refuse a second
    member of a spread group and a launch past their vCPUs, so gateways placing without the
    shared placement lease show here as a failed launch in a group that had room."""
    a, b = pair.clients()
    _wait_terminated(a)
    groups = ["spread-1", "spread-2"]
    for group in groups:
        a.create_placement_group(GroupName=group, Strategy="spread")
        assert _outcomes(_at_once(_launch(a, group), _launch(b, group))) == (2, [])
    # spread-1 is on two of the three hosts; the third has a free slot (spread-2 took at most
    # one of its two): of two racing launches into spread-1 exactly one fits.
    assert _outcomes(_at_once(_launch(a, groups[0]), _launch(b, groups[0]))) == (
        1,
        ["InsufficientInstanceCapacity"],
    )
    free = HOSTS * PER_HOST - 5
    racing = [_launch(c) for c in (a, b) * 2]
    assert _outcomes(_at_once(*racing)) == (free, ["InsufficientInstanceCapacity"] * (4 - free))
    live = [
        i
        for r in b.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] not in ("terminated", "shutting-down")
    ]
    assert len(live) == HOSTS * PER_HOST


def test_account_preparation_race_makes_one_default_vpc(pair: Pair) -> None:
    """Property: a new account's first requests reaching both gateways at once create exactly
    one default VPC (with one default subnet per zone)."""
    one = pair.gateways[0]
    created = run_cli("accounts", "create", "racer", "--data-dir", str(one.data_dir))
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)
    keys = {"access_key": account["AccessKeyId"], "secret_key": account["SecretAccessKey"]}
    a, b = pair.clients(**keys)
    results = _at_once(lambda: a.describe_vpcs(), lambda: b.describe_vpcs())
    assert all(isinstance(r, dict) for r in results), results
    vpcs = a.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    assert {v["VpcId"] for r in results for v in r["Vpcs"]} == {vpcs[0]["VpcId"]}
    subnets = b.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    assert len(subnets["Subnets"]) == 1
