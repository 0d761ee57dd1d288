"""``serve``'s embedded nats-server killed with SIGKILL: restarted, reconnected, nothing lost."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from tests.reliability.procs import start_gateway


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _nats_child(pid: int) -> int | None:
    for child in _children(pid):
        try:
            if b"nats-server" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            continue
    return None


def test_embedded_nats_killed_is_restarted_and_the_gateway_reconnects(tmp_path: Path) -> None:
    """SIGKILL of the embedded nats-server: its supervisor starts a new one on the same port
    and store, the gateway reconnects by itself, requests meanwhile answer 503 (never 500 or a
    hang) or, within the lease of being the only gateway (kv/peers.py), from the replica, and a
    VPC created before the kill is still there, and a new one can be made."""
    gateway = start_gateway(tmp_path / "data", "--nats-port", "0", "--no-builtin-node", tls=False)
    try:
        client = gateway.client(retries={"total_max_attempts": 1}, read_timeout=30)
        vpc = client.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
        old = _nats_child(gateway.process.pid)
        assert old is not None
        os.kill(old, signal.SIGKILL)
        started = time.monotonic()
        statuses: list[int] = []
        recovered = None
        while time.monotonic() - started < 60:
            try:
                made = client.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
                vpcs = {v["VpcId"] for v in client.describe_vpcs()["Vpcs"]}
            except ClientError as error:
                statuses.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
                time.sleep(0.3)
                continue
            except BotoCoreError:
                statuses.append(0)
                time.sleep(0.3)
                continue
            recovered = time.monotonic() - started
            break
        assert recovered is not None, statuses
        assert {vpc, made} <= vpcs
        assert statuses and all(status == 503 for status in statuses), statuses
        new = _nats_child(gateway.process.pid)
        assert new is not None and new != old
        print(
            f"\nembedded nats-server restarted; gateway answered again after {recovered:.1f}s "
            f"({len(statuses)} requests refused meanwhile)"
        )
    finally:
        output = gateway.stop()
    assert "exited unexpectedly" in output and "status=500" not in output
