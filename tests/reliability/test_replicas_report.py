"""``--kv-replicas``: an existing bucket with fewer replicas is reported, never recreated."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fixtures.nats import NatsServer
from tests.reliability.procs import start_gateway


def test_under_replicated_buckets_are_reported_at_start_up(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    """A gateway restarted with ``--kv-replicas 3`` on buckets created with 1 replica prints,
    for each, one line naming the bucket, both counts and the command that raises it in place;
    the buckets keep their data (same admin key, same VPC), nothing is recreated."""
    prefix = f"r{int(time.time() * 1000) % 10**9}"
    env = {"HIVE_GATEWAY_NATS_TOKEN": nats_server.token}
    common = ["--nats-url", nats_server.url, "--bucket-prefix", prefix, "--no-builtin-node"]
    first = start_gateway(tmp_path / "data", *common, tls=False, env=env)
    try:
        vpc = first.client().create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    finally:
        first.stop()
    second = start_gateway(tmp_path / "data", *common, "--kv-replicas", "3", tls=False, env=env)
    try:
        assert second.access_key == first.access_key
        vpcs = {v["VpcId"] for v in second.client().describe_vpcs()["Vpcs"]}
        assert vpc in vpcs
    finally:
        output = second.stop()
    bucket = f"{prefix}-iam-access-keys"
    line = next(
        (l for l in output.splitlines() if "hive-gateway: warning:" in l and bucket in l), None
    )
    assert line is not None, output[-3000:]
    assert "has 1 replica(s) but --kv-replicas asks for 3" in line
    assert f"nats stream edit KV_{bucket} --replicas 3" in line
