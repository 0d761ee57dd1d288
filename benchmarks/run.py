"""Side-by-side benchmark: hive-gateway on NATS (read replica), hive-gateway on the in-memory
store, and moto's server, all on loopback; the load comes from a separate process
(:mod:`benchmarks.load`: SigV4-signed, keep-alive).

``python -m benchmarks.run --quick`` (1k and 10k stored VPCs, 3 s per measurement) or without
``--quick`` (also 100k, 10 s each). hive NATS is also restarted on its data when it holds 20k
and 100k VPCs (``--quick``: 10k): the time to its first read, with the record count, and the
latency of the next 30 s of DescribeVpcs (the start-up repair runs meanwhile).
Prints one table with the ratios to moto. Needs moto's server (``pip install -e '.[bench]'``).
Ports 18810-18830 on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY, SECRET = "AKIABENCHMARK0000001", "benchmark-secret-key-0000000000000000000"
REGION = "ap-southeast-2"
BIN = Path(sys.executable).parent


@dataclass
class Target:
    """One server under test."""

    name: str
    port: int
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    """Where its stdout and stderr go (appended); None: discarded."""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait until it answers; seconds it took."""
        started = time.perf_counter()
        if self.log is None:
            self.process = subprocess.Popen(
                self.command,
                env={**os.environ, **self.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        else:
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    self.command,
                    env={**os.environ, **self.env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            result = load(self, [{"Action": "DescribeRegions"}], clients=1, total=1)
            if result.get("done") and not result["errors"]:
                return time.perf_counter() - started
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def rss_mib(self) -> float:
        """Resident memory of the server process (MiB)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def load(
    target: Target,
    requests: list[dict[str, str]],
    *,
    clients: int,
    seconds: float | None = None,
    total: int | None = None,
    collect: str | None = None,
) -> dict[str, Any]:
    """Run :mod:`benchmarks.load` in its own process against ``target``."""
    job = {
        "endpoint": target.endpoint,
        "region": REGION,
        "key": KEY,
        "secret": SECRET,
        "clients": clients,
        "seconds": seconds,
        "total": total,
        "requests": requests,
        "collect": collect,
    }
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.load"],
            input=json.dumps(job).encode(),
            capture_output=True,
            check=True,
            timeout=3600,
        )
    except subprocess.CalledProcessError as error:
        return {"done": 0, "errors": {"client": 1}, "stderr": error.stderr.decode()[-500:]}
    return dict(json.loads(out.stdout))


def targets(work: Path, *, base_port: int = 18810, log_level: str = "WARNING") -> list[Target]:
    """hive NATS on ``base_port`` (its NATS on ``base_port + 10``), hive memory on
    ``base_port + 1``, moto on ``base_port + 2``; data under ``work``."""
    env = {"HIVE_GATEWAY_ACCESS_KEY": KEY, "HIVE_GATEWAY_SECRET_KEY": SECRET}
    nats_dir, memory_dir = work / "nats", work / "memory"
    nats_dir.mkdir()
    memory_dir.mkdir()
    nats, memory, moto = base_port, base_port + 1, base_port + 2
    return [
        Target(
            "hive NATS",
            nats,
            [
                sys.executable,
                "-m",
                "hive_gateway",
                "--log-level",
                log_level,
                "serve",
                "--no-tls",
                "--port",
                str(nats),
                "--data-dir",
                str(nats_dir),
                "--nats-port",
                str(base_port + 10),
                "--no-builtin-node",
            ],
            env,
        ),
        Target(
            "hive memory",
            memory,
            [sys.executable, "-m", "benchmarks.memory_gateway", str(memory), str(memory_dir)],
            env,
        ),
        Target("moto", moto, [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto)]),
    ]


Row = dict[str, float | str]


MEMORY = "memory per stored VPC (+SG, RT, ACL), KiB"
AFTER_RESTART = 30.0
"""Seconds of DescribeVpcs measured right after a restart's first read."""
RECORDS_PER_VPC = 5
"""A VPC with its default security group, main route table, default ACL and index document."""
BASE_RECORDS = 12
"""Records of an empty gateway's store (the default VPC's and account settings)."""


def bench_target(
    target: Target, levels: list[int], seconds: float, restarts: Sequence[int] = ()
) -> dict[str, float | str]:
    """Every measurement of one target: ``{metric: value}``; Describes at each of ``levels``
    stored VPCs, then at each of ``restarts`` (the seeding stops there) a restart: the time to
    its first read and the latency of the reads after it."""
    out: dict[str, float | str] = {}
    out["startup (empty), s"] = target.start()
    rss0 = target.rss_mib()
    vpc_ids: list[str] = []
    for level in sorted({*levels, *restarts}):
        wanted = level - len(vpc_ids)
        created = load(
            target,
            [{"Action": "CreateVpc", "CidrBlock": f"10.{i % 250}.0.0/16"} for i in range(251)],
            clients=64,
            total=wanted,
            collect="vpcId",
        )
        vpc_ids += created["collected"]
        if level == min(levels):
            out["CreateVpc, 64 clients, req/s"] = created["rps"]
        sample = [
            {"Action": "DescribeVpcs", "VpcId.1": v}
            for v in random.sample(vpc_ids, min(2000, len(vpc_ids)))
        ]
        for clients in (1, 16, 64) if level in levels else ():
            result = load(target, sample, clients=clients, seconds=seconds)
            label = f"DescribeVpcs by id @{level // 1000}k, {clients} clients"
            out[f"{label}, req/s"] = result["rps"]
            out[f"{label}, p50 ms"] = result["p50"]
            out[f"{label}, p99 ms"] = result["p99"]
            if result["errors"]:
                out[f"{label}, errors"] = json.dumps(result["errors"])
        if level in restarts:
            at = f"@{level // 1000}k VPCs"
            if level == max(levels):
                out[MEMORY] = (target.rss_mib() - rss0) * 1024 / len(vpc_ids)
            records = BASE_RECORDS + RECORDS_PER_VPC * len(vpc_ids)
            out[f"restart to first read {at} ({records:,} records), s"] = restart_time(
                target, vpc_ids[0]
            )
            # The start-up repair still runs in the background: what a client sees meanwhile.
            after = load(target, sample, clients=1, seconds=AFTER_RESTART)
            label = f"DescribeVpcs by id, 1 client, first {AFTER_RESTART:.0f} s after restart {at}"
            out[f"{label}, p50 / p99 / max ms"] = (
                f"{after['p50']:.1f} / {after['p99']:.1f} / {after['max']:.0f}"
            )
            if level == max(levels):
                out[f"{MEMORY} after that restart"] = (
                    (target.rss_mib() - rss0) * 1024 / len(vpc_ids)
                )
    top = max(levels)
    with_subnet = vpc_ids[:500]
    load(
        target,
        [
            {
                "Action": "CreateSubnet",
                "VpcId": v,
                "CidrBlock": f"10.{vpc_ids.index(v) % 250}.1.0/24",
            }
            for v in with_subnet
        ],
        clients=16,
        total=len(with_subnet),
    )
    for action in ("DescribeSubnets", "DescribeSecurityGroups", "DescribeRouteTables"):
        requests = [
            {"Action": action, "Filter.1.Name": "vpc-id", "Filter.1.Value.1": v}
            for v in random.sample(with_subnet, len(with_subnet))
        ]
        for clients in (1, 16):
            result = load(target, requests, clients=clients, seconds=seconds)
            label = f"{action} vpc-id filter @{top // 1000}k, {clients} client" + "s" * (
                clients > 1
            )
            out[f"{label}, req/s"] = result["rps"]
            out[f"{label}, p50 ms"] = result["p50"]
            if result["errors"]:
                out[f"{label}, errors"] = json.dumps(result["errors"])
    groups = load(
        target,
        [
            {
                "Action": "CreateSecurityGroup",
                "VpcId": v,
                "GroupName": f"bench-{i}",
                "GroupDescription": "benchmark",
            }
            for i, v in enumerate(with_subnet)
        ],
        clients=16,
        total=len(with_subnet),
        collect="groupId",
    )
    out["CreateSecurityGroup, 16 clients, req/s"] = groups["rps"]
    rules = load(
        target,
        [
            {
                "Action": "AuthorizeSecurityGroupIngress",
                "GroupId": g,
                "IpPermissions.1.IpProtocol": "tcp",
                "IpPermissions.1.FromPort": "443",
                "IpPermissions.1.ToPort": "443",
                "IpPermissions.1.IpRanges.1.CidrIp": "10.0.0.0/8",
            }
            for g in groups["collected"]
        ],
        clients=16,
        total=len(groups["collected"]),
    )
    out["AuthorizeSecurityGroupIngress, 16 clients, req/s"] = rules["rps"]
    for label, result in (
        ("CreateSecurityGroup", groups),
        ("AuthorizeSecurityGroupIngress", rules),
    ):
        if result["errors"]:
            out[f"{label}, errors"] = json.dumps(result["errors"])
    out.setdefault(MEMORY, (target.rss_mib() - rss0) * 1024 / max(1, len(vpc_ids)))
    return out


def restart_time(target: Target, vpc_id: str) -> float:
    """Seconds from a restart on the same data to the first DescribeVpcs answered."""
    target.stop()
    started = time.perf_counter()
    target.start()
    while True:
        result = load(target, [{"Action": "DescribeVpcs", "VpcId.1": vpc_id}], clients=1, total=1)
        if result.get("done") and not result["errors"]:
            return time.perf_counter() - started
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k VPCs, 3 s each")
    parser.add_argument("--levels", default=None, help="stored VPC counts, e.g. 1000,10000")
    parser.add_argument(
        "--restarts",
        default=None,
        help="stored VPC counts at which hive NATS is restarted and its first read timed "
        "(default 20000,100000: 100k and 500k records; --quick: 10000)",
    )
    parser.add_argument(
        "--moto-max",
        type=int,
        default=None,
        help="moto only up to this many stored VPCs (seeding 100k through its API is slow)",
    )
    args = parser.parse_args()
    levels = [1000, 10000] if args.quick else [1000, 10000, 100000]
    if args.levels:
        levels = [int(level) for level in args.levels.split(",")]
    restarts = [10000] if args.quick else [20000, 100000]
    if args.restarts is not None:
        restarts = [int(level) for level in args.restarts.split(",") if level.strip()]
    seconds = 3.0 if args.quick else 10.0
    if shutil.which("moto_server", path=str(BIN)) is None:
        sys.exit("moto_server not found: pip install -e '.[bench]'")
    work = Path(tempfile.mkdtemp(prefix="hive-bench-"))
    results: dict[str, dict[str, float | str]] = {}
    try:
        for target in targets(work):
            print(f"... {target.name}", file=sys.stderr, flush=True)
            mine = levels
            if target.name == "moto" and args.moto_max is not None:
                mine = [level for level in levels if level <= args.moto_max] or levels[:1]
            mine_restarts = restarts if target.name == "hive NATS" else []
            try:
                results[target.name] = bench_target(target, mine, seconds, mine_restarts)
            finally:
                target.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(results, levels)
    if args.moto_max is not None:
        print(f"moto was seeded only up to {args.moto_max} VPCs (--moto-max).")


def print_table(results: dict[str, dict[str, float | str]], levels: list[int]) -> None:
    names = list(results)
    metrics: list[str] = []
    for values in results.values():
        metrics += [m for m in values if m not in metrics]
    header = ["metric", *names, "NATS/moto", "memory/moto"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for metric in metrics:
        cells = [metric]
        for name in names:
            value = results[name].get(metric, "")
            cells.append(f"{value:.2f}" if isinstance(value, float) else str(value))
        for name in ("hive NATS", "hive memory"):
            ours, moto = results.get(name, {}).get(metric), results.get("moto", {}).get(metric)
            if isinstance(ours, float) and isinstance(moto, float) and ours and moto:
                lower_is_better = not metric.endswith("req/s")
                ratio = moto / ours if lower_is_better else ours / moto
                cells.append(f"{ratio:.1f}×")
            else:
                cells.append("")
        print("| " + " | ".join(cells) + " |")
    print(
        f"\nstored VPC levels: {levels}; ratios > 1 mean hive-gateway is better (faster, less memory)."
    )


if __name__ == "__main__":
    main()
