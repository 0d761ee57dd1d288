"""Replicated storage on a 3-node JetStream cluster survives the loss of a node (issue 11).

Three nats-server processes with cluster routes on loopback, two gateways (each connected to a
different node, ``--kv-replicas 3``, one master key), a bounded write-heavy boto3 load through
both; one node is SIGKILLed mid-load and restarted later. Prints its figures.
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from hive_gateway.process.embedded_nats import free_port
from tests.reliability.procs import Gateway, NatsProcess, nats_with_config, start_gateway

REQUEST_BOUND = 30.0
"""No request may take longer than this (seconds), node loss or not."""
RETRYABLE = {"ServiceUnavailable", "RequestLimitExceeded", "Unavailable", "Throttling"}
CLUSTER_TIMEOUT = 240


def _cluster(tmp_path: Path) -> list[NatsProcess]:
    ports = [free_port() for _ in range(3)]
    routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in ports)
    nodes = []
    for index, cluster_port in enumerate(ports):
        nodes.append(
            nats_with_config(
                tmp_path / f"n{index + 1}",
                f"server_name: n{index + 1}\n"
                f"cluster {{ name: hive, listen: 127.0.0.1:{cluster_port}, routes: [{routes}] }}\n",
            )
        )
    return nodes


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NatsProcess]]:
    nodes = _cluster(tmp_path)
    try:
        for node in nodes:
            node.start(wait=False)
        for node in nodes:
            node.wait_ready()
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@dataclass
class Figures:
    acknowledged: int = 0
    refused: int = 0
    longest: float = 0.0
    longest_during_loss: float = 0.0
    errors: list[str] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    """Error codes seen, by code (refusals and tolerated answers alike)."""
    ambiguous: int = 0
    """Deletes answered NotFound on a retry after a refusal: not acknowledged, not checked."""
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Ledger:
    """What acknowledged writes promise: resources that exist (with rules) and ones deleted."""

    vpcs: set[str] = field(default_factory=set)
    sgs: dict[str, set[int]] = field(default_factory=dict)  # sg id -> acknowledged ports
    deleted_vpcs: set[str] = field(default_factory=set)
    deleted_sgs: set[str] = field(default_factory=set)


class Load:
    """Worker threads that write through a gateway, retrying refusals as SDKs do."""

    def __init__(self, figures: Figures, losing: threading.Event) -> None:
        self.figures = figures
        self.losing = losing
        self.stop = threading.Event()

    def call(self, client: Any, operation: str, tolerated: tuple[str, ...] = (), **params: Any) -> Any:
        """One logical write: retried on 503/connection errors (bounded); returns the response,
        or ``None`` when it gave up, or the tolerated error code that answered a retry."""
        for attempt in range(40):
            started = time.monotonic()
            try:
                response = getattr(client, operation)(**params)
                outcome: Any = response
            except ClientError as error:
                code = error.response["Error"]["Code"]
                status = error.response["ResponseMetadata"].get("HTTPStatusCode", 0)
                with self.figures.lock:
                    self.figures.codes[code] = self.figures.codes.get(code, 0) + 1
                outcome = None if code in RETRYABLE else code
                if status >= 500 and code not in RETRYABLE:
                    with self.figures.lock:
                        self.figures.errors.append(f"{operation}: {status} {code}")
            except BotoCoreError as error:  # connection refused/reset, read timeout
                outcome = None
                with self.figures.lock:
                    self.figures.errors.append(f"{operation}: {error!r}")
            elapsed = time.monotonic() - started
            with self.figures.lock:
                self.figures.longest = max(self.figures.longest, elapsed)
                if self.losing.is_set():
                    self.figures.longest_during_loss = max(self.figures.longest_during_loss, elapsed)
                if outcome is None:
                    self.figures.refused += 1
                elif not isinstance(outcome, str):
                    self.figures.acknowledged += 1
            if outcome is None:
                if self.stop.is_set() and attempt > 2:
                    return None
                time.sleep(min(0.2 * (attempt + 1), 1.0))
                continue
            if isinstance(outcome, str):
                if outcome in tolerated and attempt > 0:
                    # The refused attempt may have done part of the work: not an acknowledgement.
                    with self.figures.lock:
                        self.figures.ambiguous += 1
                    return outcome
                with self.figures.lock:
                    self.figures.errors.append(f"{operation}: {outcome}")
                return None
            return outcome
        return None

    def worker(self, gateway: Gateway, ledger: Ledger, tag: str) -> None:
        client = _client(gateway)
        n = 0
        while not self.stop.is_set():
            n += 1
            vpc = self.call(client, "create_vpc", CidrBlock="10.0.0.0/16")
            if vpc is None:
                continue
            vpc_id = vpc["Vpc"]["VpcId"]
            ledger.vpcs.add(vpc_id)
            sg = self.call(
                client, "create_security_group", VpcId=vpc_id, GroupName=f"{tag}-{n}",
                Description="load",
            )
            if sg is None:
                continue
            sg_id = sg["GroupId"]
            ledger.sgs[sg_id] = set()
            port = 1000 + n
            rule = self.call(
                client, "authorize_security_group_ingress",
                tolerated=("InvalidPermission.Duplicate",), GroupId=sg_id,
                IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}],
            )
            if isinstance(rule, dict):
                ledger.sgs[sg_id].add(port)
            if n % 2:
                gone = self.call(
                    client, "delete_security_group",
                    tolerated=("InvalidGroup.NotFound",), GroupId=sg_id,
                )
                # Whatever the answer, a delete was attempted: the SG is no longer promised to
                # exist; it is promised gone only when the delete was acknowledged.
                del ledger.sgs[sg_id]
                if isinstance(gone, dict):
                    ledger.deleted_sgs.add(sg_id)
                    gone_vpc = self.call(
                        client, "delete_vpc", tolerated=("InvalidVpcID.NotFound",), VpcId=vpc_id
                    )
                    ledger.vpcs.discard(vpc_id)
                    if isinstance(gone_vpc, dict):
                        ledger.deleted_vpcs.add(vpc_id)


def _client(gateway: Gateway) -> Any:
    return gateway.client(
        retries={"total_max_attempts": 1, "mode": "standard"},
        read_timeout=REQUEST_BOUND + 5,
        connect_timeout=5,
    )


def _until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - the cluster may still be healing
            pass
        time.sleep(0.5)
    return False


@pytest.mark.timeout(CLUSTER_TIMEOUT)
def test_replicated_store_survives_a_node_loss(tmp_path: Path, cluster: list[NatsProcess]) -> None:
    """With ``--kv-replicas 3`` every acknowledged write survives the SIGKILL of one of three
    NATS nodes (and its restart) and is read back from either gateway; during the leader election
    requests succeed or get a retryable 503 quickly, none hangs past REQUEST_BOUND, none is 500."""
    n1, n2, n3 = cluster
    common = ["--kv-replicas", "3", "--no-builtin-node", "--no-default-vpc", "--no-tls"]
    gw1 = start_gateway(tmp_path / "gw1", "--nats-url", n1.url, *common, tls=False)
    gateways = [gw1]
    try:
        (tmp_path / "gw2").mkdir()
        shutil.copy2(tmp_path / "gw1" / "master.key", tmp_path / "gw2" / "master.key")
        gw2 = start_gateway(tmp_path / "gw2", "--nats-url", n2.url, *common, tls=False)
        gateways.append(gw2)
        assert gw2.access_key == gw1.access_key  # one store: one admin key

        figures, losing = Figures(), threading.Event()
        load = Load(figures, losing)
        ledgers = [Ledger() for _ in range(4)]
        # Warm up: every bucket the load touches is created (R3 creation needs all 3 peers).
        warm = Load(Figures(), threading.Event())  # retries 503s (up to 40 times)
        for index, gateway in enumerate(gateways):
            client = _client(gateway)
            created = warm.call(client, "create_vpc", CidrBlock="10.9.0.0/16")
            assert created is not None, (warm.figures.errors, warm.figures.codes)
            vpc = created["Vpc"]["VpcId"]
            sg = warm.call(client, "create_security_group", VpcId=vpc, GroupName=f"warm{index}",
                           Description="w")["GroupId"]
            warm.call(client, "authorize_security_group_ingress", GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                 "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}])
            warm.call(client, "delete_security_group", GroupId=sg)
            warm.call(client, "delete_vpc", VpcId=vpc)
        assert not warm.figures.errors, (warm.figures.errors, warm.figures.codes)

        threads = [
            threading.Thread(
                target=load.worker, args=(gateways[i % 2], ledgers[i], f"w{i}"), daemon=True
            )
            for i in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(3)
        before_loss = figures.acknowledged
        losing.set()
        n1.kill()  # gw1's node: its connection moves to another node
        time.sleep(10)
        n1.start(wait=True)
        losing.clear()
        time.sleep(4)
        load.stop.set()
        for thread in threads:
            thread.join(REQUEST_BOUND * 3)
            if thread.is_alive():
                for gateway in gateways:  # where it waits, for the log
                    gateway.process.send_signal(signal.SIGUSR2)
                    time.sleep(1)
                    gateway.process.send_signal(signal.SIGUSR1)
                    time.sleep(1)
            assert not thread.is_alive(), "a worker hung"

        def found(gateway: Gateway) -> tuple[int, list[str]]:
            client = _client(gateway)
            missing: list[str] = []
            count = 0
            vpcs = {v["VpcId"] for v in client.describe_vpcs()["Vpcs"]}
            sgs = {
                g["GroupId"]: {p.get("FromPort") for p in g["IpPermissions"]}
                for g in client.describe_security_groups()["SecurityGroups"]
            }
            for ledger in ledgers:
                for vpc in ledger.vpcs:
                    count += 1
                    if vpc not in vpcs:
                        missing.append(vpc)
                for sg, ports in ledger.sgs.items():
                    count += 1 + len(ports)
                    if sg not in sgs or not ports <= sgs[sg]:
                        missing.append(sg)
                for gone in ledger.deleted_vpcs | ledger.deleted_sgs:
                    count += 1
                    if gone in vpcs or gone in sgs:
                        missing.append(f"{gone} (deleted, still there)")
            return count, missing

        results: dict[str, tuple[int, list[str]]] = {}
        for name, gateway in (("gw1", gw1), ("gw2", gw2)):
            assert _until(lambda g=gateway: bool(_client(g).describe_vpcs()), 60)
            results[name] = found(gateway)
        print(
            f"\ncluster figures: writes acknowledged={figures.acknowledged} "
            f"(before the loss {before_loss}); their final state (live VPCs, SGs and rules, "
            f"acknowledged deletes) checked {results['gw1'][0]} times, found "
            f"{results['gw1'][0] - len(results['gw1'][1])} via gw1 and "
            f"{results['gw2'][0] - len(results['gw2'][1])} via gw2; "
            f"requests refused (503)={figures.refused}; "
            f"longest request during the node loss={figures.longest_during_loss:.2f}s "
            f"(overall {figures.longest:.2f}s); ambiguous deletes={figures.ambiguous}; "
            f"error codes={figures.codes}"
        )
        assert not figures.errors, figures.errors[:20]
        assert results["gw1"][1] == [] and results["gw2"][1] == [], results
        assert figures.acknowledged > before_loss  # writes went on after the loss
        assert figures.longest < REQUEST_BOUND
    finally:
        for index, gateway in enumerate(gateways):
            output = gateway.stop()
            (tmp_path / f"gw{index + 1}.log").write_text(output)
            print(f"gw{index + 1} log: {tmp_path / f'gw{index + 1}.log'}")
            assert " status=500 " not in output, [l for l in output.splitlines() if "status=500" in l][:5]
