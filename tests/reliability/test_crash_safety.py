"""Crash safety (issue 11): a gateway killed with SIGKILL and restarted on the same data dir loses
nothing it acknowledged and leaves no half-made resource visible; what a crash can leave between
two writes is made whole by the start-up repair (core/startup.py, handlers/vpcs/repairs.py).

Two tests: half-made states written straight into the store (each one a crash between two
writes of a request) are repaired at start-up; and a real SIGKILL in the middle of a write load
(VPCs, subnets, security groups and rules, internet gateways; deletes), after which every
acknowledged write is there and every store invariant holds.

Private-IP (IPAM) records need no repair: a subnet's is made on its first allocation, so a subnet
without one is the normal state of a subnet nothing uses yet.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from kv.nats_store import NatsStore
from tests.reliability.procs import Gateway, NatsProcess, nats_with_config, start_gateway

ACCOUNT = "000000000001"
REQUEST_TIMEOUT = 4
"""``--request-timeout``: the repair's second look comes this (+2 s) after its first."""
REPAIR_BOUND = 120.0


class Kv:
    """Direct access to the store of the test's nats-server (what a crash leaves behind)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _with(self, work: Any) -> Any:
        store = await NatsStore.connect(self.url)
        try:
            return await work(store)
        finally:
            await store.close()

    def get(self, bucket: str, key: str) -> dict[str, Any] | None:
        async def work(store: NatsStore) -> Any:
            entry = await (await store.bucket(f"hive-{bucket}")).get(key)
            return json.loads(entry.value) if entry is not None else None

        return asyncio.run(self._with(work))  # type: ignore[no-any-return]

    def put(self, bucket: str, key: str, value: dict[str, Any]) -> None:
        async def work(store: NatsStore) -> Any:
            await (await store.bucket(f"hive-{bucket}")).put(key, json.dumps(value).encode())

        asyncio.run(self._with(work))

    def delete(self, bucket: str, key: str) -> None:
        async def work(store: NatsStore) -> Any:
            await (await store.bucket(f"hive-{bucket}")).delete(key)

        asyncio.run(self._with(work))

    def entries(self, bucket: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        async def work(store: NatsStore) -> Any:
            found = await (await store.bucket(f"hive-{bucket}")).entries(prefix)
            return {e.key: json.loads(e.value) for e in found}

        return asyncio.run(self._with(work))  # type: ignore[no-any-return]

    def change(self, bucket: str, key: str, edit: Any) -> None:
        value = self.get(bucket, key)
        assert value is not None, (bucket, key)
        edit(value)
        self.put(bucket, key, value)


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsProcess]:
    server = nats_with_config(tmp_path / "nats", "")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _gateway(data_dir: Path, nats: NatsProcess) -> Gateway:
    return start_gateway(
        data_dir,
        "--nats-url", nats.url, "--no-builtin-node", "--no-default-vpc",
        "--request-timeout", str(REQUEST_TIMEOUT),
        tls=False,
    )  # fmt: skip


def _client(gateway: Gateway) -> Any:
    return gateway.client(retries={"total_max_attempts": 1}, read_timeout=30, connect_timeout=5)


def _wait_repaired(gateway: Gateway) -> str:
    deadline = time.monotonic() + REPAIR_BOUND
    while time.monotonic() < deadline:
        text = "".join(gateway.output)
        if "start-up repair: done" in text or "start-up repair stopped" in text:
            return text
        time.sleep(0.5)
    raise AssertionError("no start-up repair outcome:\n" + "".join(gateway.output)[-4000:])


def _kill(gateway: Gateway) -> str:
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(30)
    return gateway.stop()


# --- invariants of a whole store ---------------------------------------------------------------


def _invariant_violations(kv: Kv) -> list[str]:
    """Half-made states visible in the store (all must be empty after the repair)."""
    prefix = f"{ACCOUNT}."
    vpcs = kv.entries("vpc-vpcs", prefix)
    tables = kv.entries("vpc-route-tables", prefix).values()
    groups = kv.entries("vpc-security-groups", prefix).values()
    acls = kv.entries("vpc-network-acls", prefix).values()
    subnets = kv.entries("vpc-subnets", prefix).values()
    igws = {i["internet_gateway_id"]: i for i in kv.entries("igw", prefix).values()}
    index = {
        k[len(prefix):]: v for k, v in kv.entries("vpc-index", prefix).items()
        if k[len(prefix):].startswith("vpc-")
    }  # fmt: skip
    problems: list[str] = []
    for vpc in vpcs.values():
        vpc_id = vpc["vpc_id"]
        if vpc_id not in index:
            problems.append(f"{vpc_id}: no index")
        elif index[vpc_id].get("deleting"):
            problems.append(f"{vpc_id}: left marked deleting")
        if not any(t["vpc_id"] == vpc_id and t.get("is_main") for t in tables):
            problems.append(f"{vpc_id}: no main route table")
        if not any(g["vpc_id"] == vpc_id and g["group_name"] == "default" for g in groups):
            problems.append(f"{vpc_id}: no default security group")
        if not any(a["vpc_id"] == vpc_id and a.get("is_default") for a in acls):
            problems.append(f"{vpc_id}: no default network ACL")
    vpc_ids = {v["vpc_id"] for v in vpcs.values()}
    for kind, rows, id_field in (
        ("route table", tables, "route_table_id"),
        ("security group", groups, "group_id"),
        ("network ACL", acls, "network_acl_id"),
        ("subnet", subnets, "subnet_id"),
    ):
        for row in rows:
            if row["vpc_id"] not in vpc_ids:
                problems.append(f"{kind} {row[id_field]} of a vanished VPC {row['vpc_id']}")
            if row.get("deleting"):
                problems.append(f"{kind} {row[id_field]} left marked deleting")
    for vpc_id in index:
        if vpc_id not in vpc_ids:
            problems.append(f"index of a vanished VPC {vpc_id}")
    subnet_ids = {s["subnet_id"] for s in subnets}
    group_ids = {g["group_id"] for g in groups}
    for vpc_id, doc in index.items():
        for claim in doc.get("subnets") or {}:
            if claim.split(":")[0] not in subnet_ids:
                problems.append(f"{vpc_id}: CIDR claim {claim} with no subnet")
        for name, group_id in (doc.get("security_groups") or {}).items():
            if group_id not in group_ids:
                problems.append(f"{vpc_id}: group-name claim {name} with no group")
        igw = doc.get("internet_gateway")
        if igw and igws.get(igw, {}).get("vpc_id") != vpc_id:
            problems.append(f"{vpc_id}: internet-gateway claim {igw} not attached")
    associated = {a["subnet_id"] for acl in acls for a in acl.get("associations") or ()}
    for subnet in subnets:
        if subnet["subnet_id"] not in associated:
            problems.append(f"{subnet['subnet_id']}: no network ACL association")
    return problems


# --- half-made states written into the store, repaired at start-up ------------------------------


def test_startup_repair_fixes_each_half_made_state(tmp_path: Path, nats: NatsProcess) -> None:
    """Property: each state a crash between two writes can leave is repaired at the next start:
    a VPC without its main route table, default SG and default ACL gets them; an interrupted
    DeleteVpc (index marked deleting) is finished; a DeleteVpc cut after the VPC record leaves
    no orphan route table, SG, ACL or index; CIDR and SG-name claims with no owner are released
    (the CIDR and name can be used again); a subnet without its ACL association is associated;
    a subnet left marked deleting is whole again (and can be deleted)."""
    kv = Kv(nats.url)
    gateway = _gateway(tmp_path / "data", nats)
    ec2 = _client(gateway)
    vpc_a, vpc_b, vpc_c, vpc_d = (
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in range(4)
    )
    subnet_s = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    subnet_t = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    kept_sg = ec2.create_security_group(VpcId=vpc_a, GroupName="kept", Description="k")["GroupId"]
    _kill(gateway)

    def key(resource_id: str) -> str:
        return f"{ACCOUNT}.{resource_id}"

    # B: CreateVpc cut after the VPC record (its default SG's name already claimed).
    for bucket, rows in (
        ("vpc-route-tables", kv.entries("vpc-route-tables")),
        ("vpc-security-groups", kv.entries("vpc-security-groups")),
        ("vpc-network-acls", kv.entries("vpc-network-acls")),
    ):
        for row_key, row in rows.items():
            if row["vpc_id"] == vpc_b:
                kv.delete(bucket, row_key)
    # C: DeleteVpc cut after its mark.
    kv.change("vpc-index", key(vpc_c), lambda doc: doc.update(deleting=True))
    # D: DeleteVpc cut after the VPC record's delete.
    kv.change("vpc-index", key(vpc_d), lambda doc: doc.update(deleting=True))
    kv.delete("vpc-vpcs", key(vpc_d))
    # A: a CreateSubnet and a CreateSecurityGroup cut between claim and record.
    kv.change(
        "vpc-index",
        key(vpc_a),
        lambda doc: (
            doc["subnets"].update({"subnet-00000000000000dead": "10.0.200.0/24"}),
            doc["security_groups"].update({"ghost": "sg-00000000000000dead"}),
        ),
    )
    # S: CreateSubnet cut before the ACL association; T: DeleteSubnet cut after its mark.
    acl_key = key("acl-" + vpc_a.split("-", 1)[1])
    kv.change(
        "vpc-network-acls",
        acl_key,
        lambda acl: acl.update(
            associations=[a for a in acl["associations"] if a["subnet_id"] != subnet_s]
        ),
    )
    kv.change("vpc-subnets", key(subnet_t), lambda s: s.update(deleting=True))
    before = _invariant_violations(kv)
    assert len(before) >= 8, before  # the states above are visible before the repair

    gateway = _gateway(tmp_path / "data", nats)
    try:
        output = _wait_repaired(gateway)
        assert "start-up repair: done" in output, output[-3000:]
        assert _invariant_violations(kv) == []
        ec2 = _client(gateway)
        vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
        assert vpcs == {vpc_a, vpc_b}  # C finished, D gone
        default_b = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_b]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        assert len(default_b) == 1
        tables_b = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_b]}])
        assert [t["Associations"][0]["Main"] for t in tables_b["RouteTables"]] == [True]
        for gone in (vpc_c, vpc_d):
            for describe, result in (
                (ec2.describe_security_groups, "SecurityGroups"),
                (ec2.describe_route_tables, "RouteTables"),
                (ec2.describe_network_acls, "NetworkAcls"),
            ):
                assert describe(Filters=[{"Name": "vpc-id", "Values": [gone]}])[result] == []
        # The released claims can be used again; the kept ones still hold.
        ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.0.200.0/24")
        ec2.create_security_group(VpcId=vpc_a, GroupName="ghost", Description="g")
        with pytest.raises(ClientError) as taken:
            ec2.create_security_group(VpcId=vpc_a, GroupName="kept", Description="k")
        assert taken.value.response["Error"]["Code"] == "InvalidGroup.Duplicate"
        acl = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_s]}]
        )["NetworkAcls"]
        assert [a["IsDefault"] for a in acl] == [True]
        ec2.delete_subnet(SubnetId=subnet_t)
        assert kept_sg in {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    finally:
        gateway.stop()


def test_startup_repair_finishes_an_unfinished_default_vpc(
    tmp_path: Path, nats: NatsProcess
) -> None:
    """Property: a default VPC whose creation was cut (marker still ``creating``; here the
    default subnet, the internet gateway and the 0.0.0.0/0 route never written, their claims
    left behind) is finished at the next start: still exactly one default VPC, with its default
    subnet, an attached internet gateway and the route to it."""
    kv = Kv(nats.url)
    args = ("--nats-url", nats.url, "--no-builtin-node", "--request-timeout", str(REQUEST_TIMEOUT))
    gateway = start_gateway(tmp_path / "data", *args, tls=False)
    ec2 = _client(gateway)
    (vpc,) = ec2.describe_vpcs()["Vpcs"]  # the first request made the default VPC
    vpc_id = vpc["VpcId"]
    _kill(gateway)
    prefix = f"{ACCOUNT}."
    for key, subnet in kv.entries("vpc-subnets", prefix).items():
        if subnet["vpc_id"] == vpc_id:
            kv.delete("vpc-subnets", key)  # its CIDR claim stays: a claim with no owner
    for key, igw in kv.entries("igw", prefix).items():
        if igw["vpc_id"] == vpc_id:
            kv.delete("igw", key)  # the VPC's IGW claim stays too
    for key, table in kv.entries("vpc-route-tables", prefix).items():
        if table["vpc_id"] == vpc_id:
            kv.change(
                "vpc-route-tables",
                key,
                lambda t: t.update(
                    routes=[r for r in t["routes"] if r.get("gateway_id") == "local"]
                ),
            )
    kv.put(
        "vpc-index",
        f"{prefix}default-vpc",
        {"state": "creating", "claimed_at": "2020-01-01T00:00:00Z"},
    )

    gateway = start_gateway(tmp_path / "data", *args, tls=False)
    try:
        output = _wait_repaired(gateway)
        assert "start-up repair: done" in output, output[-3000:]
        assert "default-vpc-unfinished: fixed" in output
        ec2 = _client(gateway)
        defaults = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        assert [v["VpcId"] for v in defaults] == [vpc_id]
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
        assert {s["VpcId"] for s in subnets["Subnets"]} == {vpc_id}
        assert sorted(s["AvailabilityZone"] for s in subnets["Subnets"]) == sorted(zones)
        igws = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
        assert len(igws) == 1
        (main,) = ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
        assert {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in main["Routes"]}[
            "0.0.0.0/0"
        ] == igws[0]["InternetGatewayId"]
        assert (kv.get("vpc-index", f"{prefix}default-vpc") or {}).get("state") == "created"
        assert _invariant_violations(kv) == []
    finally:
        gateway.stop()


# --- a real SIGKILL during a write load --------------------------------------------------------


@dataclass
class Ledger:
    """What the gateway acknowledged (answered 200) before it was killed."""

    vpcs: set[str] = field(default_factory=set)
    subnets: set[str] = field(default_factory=set)
    groups: dict[str, set[int]] = field(default_factory=dict)
    igws: dict[str, str] = field(default_factory=dict)
    """Internet gateway → VPC it was acknowledged attached to ("" while detached)."""
    deleted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _worker(gateway: Gateway, ledger: Ledger, tag: int, stop: threading.Event) -> None:
    """Create VPC → subnet → SG → rule → IGW → attach, then (every other round) delete it all."""
    client = gateway.client(retries={"total_max_attempts": 1}, read_timeout=10, connect_timeout=2)
    n = 0
    while not stop.is_set():
        n += 1
        try:
            vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            with ledger.lock:
                ledger.vpcs.add(vpc)
            subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
            with ledger.lock:
                ledger.subnets.add(subnet)
            group = client.create_security_group(
                VpcId=vpc, GroupName=f"g{tag}-{n}", Description="load"
            )["GroupId"]
            with ledger.lock:
                ledger.groups[group] = set()
            client.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": n, "ToPort": n,
                     "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}
                ],
            )  # fmt: skip
            with ledger.lock:
                ledger.groups[group].add(n)
            igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            with ledger.lock:
                ledger.igws[igw] = ""
            client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            with ledger.lock:
                ledger.igws[igw] = vpc
            if n % 2:
                continue
            steps = (  # (resource, request, whether it deletes the resource)
                (
                    igw,
                    partial(client.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc),
                    False,
                ),
                (igw, partial(client.delete_internet_gateway, InternetGatewayId=igw), True),
                (group, partial(client.delete_security_group, GroupId=group), True),
                (subnet, partial(client.delete_subnet, SubnetId=subnet), True),
                (vpc, partial(client.delete_vpc, VpcId=vpc), True),
            )
            for resource, call, deletes in steps:
                with ledger.lock:  # attempted: no longer promised to exist as it was
                    ledger.vpcs.discard(resource)
                    ledger.subnets.discard(resource)
                    ledger.groups.pop(resource, None)
                    ledger.igws.pop(resource, None)
                call()
                with ledger.lock:
                    if deletes:
                        ledger.deleted.add(resource)
                    else:
                        ledger.igws[resource] = ""  # acknowledged detached
        except (ClientError, BotoCoreError):
            if stop.is_set():
                return
            time.sleep(0.2)


def test_sigkill_during_a_write_load_loses_nothing_acknowledged(
    tmp_path: Path, nats: NatsProcess
) -> None:
    """Property: after a SIGKILL mid-load and a restart on the same data dir, every write the
    gateway acknowledged is there (VPCs, subnets, SGs with their rules, IGW attachments), every
    acknowledged delete stays done, and after the start-up repair the store holds no half-made
    resource (the invariants of :func:`_invariant_violations`)."""
    kv = Kv(nats.url)
    gateway = _gateway(tmp_path / "data", nats)
    ledger, stop = Ledger(), threading.Event()
    workers = [
        threading.Thread(target=_worker, args=(gateway, ledger, i, stop), daemon=True)
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    time.sleep(6)
    output = _kill(gateway)  # mid-load: requests are in flight
    stop.set()
    for worker in workers:
        worker.join(30)
        assert not worker.is_alive()
    (tmp_path / "killed.log").write_text(output)
    crashed_with = _invariant_violations(kv)  # what the kill left (often nothing: timing)

    gateway = _gateway(tmp_path / "data", nats)
    try:
        _wait_repaired(gateway)
        ec2 = _client(gateway)
        vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
        subnets = {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}
        groups = {
            g["GroupId"]: {p.get("FromPort") for p in g["IpPermissions"]}
            for g in ec2.describe_security_groups()["SecurityGroups"]
        }
        igws = {
            i["InternetGatewayId"]: [a["VpcId"] for a in i.get("Attachments") or []]
            for i in ec2.describe_internet_gateways()["InternetGateways"]
        }
        acknowledged = (
            len(ledger.vpcs) + len(ledger.subnets) + len(ledger.groups) + len(ledger.igws)
        )
        missing = [v for v in ledger.vpcs if v not in vpcs]
        missing += [s for s in ledger.subnets if s not in subnets]
        missing += [g for g, ports in ledger.groups.items() if not ports <= groups.get(g, set())]
        missing += [
            i for i, vpc in ledger.igws.items() if i not in igws or (vpc and igws[i] != [vpc])
        ]
        resurrected = [r for r in ledger.deleted if r in vpcs | subnets | set(groups) | set(igws)]
        print(
            f"\ncrash figures: acknowledged live resources={acknowledged}, "
            f"acknowledged deletes={len(ledger.deleted)}, missing={len(missing)}, "
            f"resurrected={len(resurrected)}, half-made states left by the kill={crashed_with}"
        )
        assert acknowledged > 0
        assert missing == []
        assert resurrected == []
        assert _invariant_violations(kv) == []
    finally:
        output = gateway.stop()
    assert "Traceback" not in output, output[-3000:]
