"""Real Terraform at scale, side by side: hive-gateway on NATS against moto's server.

``python -m benchmarks.terraform --copies 30,100`` writes the "wide" stack — per copy one VPC,
two subnets, a security group with two inline ingress rules, an internet gateway, a route table,
a default route and two route-table associations (9 resources) — and, for each copy count and
each target started fresh, times ``terraform apply``, ``terraform plan -refresh-only``, a
normal ``terraform plan`` (is it empty?) and ``terraform destroy``. It counts the HTTP 5xx the
target answered (hive-gateway's access log, moto's werkzeug log) and terraform's failures, and
prints one markdown table with the moto/hive ratios (> 1: hive-gateway faster).

Each terraform command's wall time includes terraform starting the AWS provider (seconds of CPU,
the same for both targets); "server busy" is the part spent between the first and the last
request of each burst of requests, from the target's log (moto's has whole seconds only).
"CPU" rows split each command's processor time between the server (its whole process tree:
hive-gateway's embedded nats-server included) and terraform (with its provider plugin): on a
small machine both compete for the same cores.

Terraform runs offline from the provider mirror the Terraform tests use
(:mod:`tests.terraform.harness`), initialised once; each target and copy count has its own
workspace. Ports 18840-18869 on 127.0.0.1. Needs terraform, the hashicorp/aws mirror and moto's
server (``pip install -e '.[test,bench]'``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from benchmarks.run import BIN, KEY, REGION, SECRET, Target, targets
from tests.terraform.harness import find_mirror, tools

BASE_PORT = 18840
"""hive NATS 18840 (its NATS 18850), hive memory 18841, moto 18842."""
TIMEOUT = 3 * 3600.0
RESOURCES_PER_COPY = 9
APPLY_RETRIES = 2
PARTIAL = "†"
"""Marks a time measured on a smaller state (the apply failed even when run again): shown, but
left out of the median and the ratio."""

STACK = """\
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "copies" {
  type = number
}

provider "aws" {
  region                      = "%(region)s"
  access_key                  = "%(key)s"
  secret_key                  = "%(secret)s"
  skip_credentials_validation = true
  skip_requesting_account_id  = false
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
  }
}

resource "aws_vpc" "wide" {
  count      = var.copies
  cidr_block = "10.${count.index}.0.0/16"
  tags       = { Name = "wide-${count.index}" }
}

resource "aws_subnet" "a" {
  count      = var.copies
  vpc_id     = aws_vpc.wide[count.index].id
  cidr_block = "10.${count.index}.1.0/24"
  tags       = { Name = "wide-${count.index}-a" }
}

resource "aws_subnet" "b" {
  count      = var.copies
  vpc_id     = aws_vpc.wide[count.index].id
  cidr_block = "10.${count.index}.2.0/24"
  tags       = { Name = "wide-${count.index}-b" }
}

resource "aws_security_group" "web" {
  count       = var.copies
  name        = "wide-${count.index}"
  description = "ssh and https in"
  vpc_id      = aws_vpc.wide[count.index].id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = { Name = "wide-${count.index}" }
}

resource "aws_internet_gateway" "wide" {
  count  = var.copies
  vpc_id = aws_vpc.wide[count.index].id
  tags   = { Name = "wide-${count.index}" }
}

resource "aws_route_table" "public" {
  count  = var.copies
  vpc_id = aws_vpc.wide[count.index].id
  tags   = { Name = "wide-${count.index}-public" }
}

resource "aws_route" "default" {
  count                  = var.copies
  route_table_id         = aws_route_table.public[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.wide[count.index].id
}

resource "aws_route_table_association" "a" {
  count          = var.copies
  subnet_id      = aws_subnet.a[count.index].id
  route_table_id = aws_route_table.public[count.index].id
}

resource "aws_route_table_association" "b" {
  count          = var.copies
  subnet_id      = aws_subnet.b[count.index].id
  route_table_id = aws_route_table.public[count.index].id
}
"""

HIVE_STATUS = re.compile(r"hive_gateway\.access: \S+ account=\S+ action=(\S+) status=(\d{3}) ")
"""One hive-gateway access-log line (it starts with the time): the action and the HTTP status."""
CHANGED = re.compile(r"^  # (\w+)\.\S+ has changed", re.MULTILINE)
"""A refresh-only plan's "Objects have changed outside of Terraform" entry: its type."""
WERKZEUG_STATUS = re.compile(r'\[(\d\d/\w{3}/\d{4} [\d:]{8})\] "[A-Z]+ \S+ HTTP/[\d.]+" (\d{3}) ')
"""One werkzeug request line (moto): ``[03/Dec/2026 10:31:38] "POST / HTTP/1.1" 200 -``."""


def render(region: str = REGION) -> str:
    """The wide stack (``var.copies`` copies of 9 resources, ``var.endpoint`` for EC2/STS)."""
    return STACK % {"region": region, "key": KEY, "secret": SECRET}


@dataclass
class Stack:
    """The stack in its directory, initialised once from the mirror; one workspace per run."""

    directory: Path
    cli_config: Path
    terraform: str
    parallelism: int
    transcript: Path
    failures: list[str] = field(default_factory=list)

    def env(self, endpoint: str, copies: int) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "TF_", "HIVE_GATEWAY_"))
        }
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            TF_VAR_endpoint=endpoint,
            TF_VAR_copies=str(copies),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            CHECKPOINT_DISABLE="1",
        )
        return env

    def run(
        self, *args: str, endpoint: str = "", copies: int = 0, ok: tuple[int, ...] = (0,)
    ) -> tuple[float, int, str]:
        """``terraform ARGS``: (seconds, exit status, output); appends to the transcript and
        counts an exit status outside ``ok`` as a failure."""
        command = [self.terraform, *args]
        if args[0] in ("init", "plan", "apply", "destroy"):
            command.insert(2, "-no-color")
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                cwd=self.directory,
                env=self.env(endpoint, copies),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            status, output = done.returncode, done.stdout
        except subprocess.TimeoutExpired as timeout:
            status, output = -1, str(timeout.output or "")
        took = time.perf_counter() - started
        with self.transcript.open("a") as out:
            out.write(f"\n$ {' '.join(command)}  [{endpoint}, {copies} copies]\n{output}")
            out.write(f"[exit {status}, {took:.1f}s]\n")
        if status not in ok:
            self.failures.append(f"terraform {' '.join(args)} exited {status}")
        return took, status, output


@dataclass(frozen=True)
class Request:
    """One request the target answered, from its log."""

    at: float
    """When it was logged (epoch seconds; moto's werkzeug log has whole seconds only)."""
    status: int
    action: str
    """hive-gateway's access log names it; werkzeug's does not ("-")."""


def requests_logged(target: Target) -> list[Request]:
    """Every request in the target's log (hive-gateway access log or moto's werkzeug log)."""
    found: list[Request] = []
    if target.log is None or not target.log.exists():
        return found
    with target.log.open(errors="replace") as lines:
        for line in lines:
            hive = HIVE_STATUS.search(line)
            if hive is not None:
                at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found.append(Request(at, int(hive.group(2)), hive.group(1)))
                continue
            moto = WERKZEUG_STATUS.search(line)
            if moto is not None:
                at = datetime.strptime(moto.group(1), "%d/%b/%Y %H:%M:%S").timestamp()
                found.append(Request(at, int(moto.group(2)), "-"))
    return found


def busy(times: list[float], gap: float = 2.0) -> float:
    """Seconds from first to last request of each burst (bursts split where ``gap`` seconds
    pass without a request: terraform starting its provider again), summed."""
    times = sorted(times)
    total, first = 0.0, times[0]
    for before, after in pairwise(times):
        if after - before > gap:
            total += before - first
            first = after
    return total + times[-1] - first


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
    return total


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's waited-for children (terraform and the
    provider plugin it waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


Results = dict[str, dict[str, list[float | str]]]
"""metric → target → its value in each round."""
"""``{metric: {target name: value}}``"""


def bench(stack: Stack, target: Target, copies: int, results: Results, round_: int = 1) -> None:
    """One fresh target, one copy count: apply, plan -refresh-only, plan, destroy.

    A failed apply is run again (at most :data:`APPLY_RETRIES` times, untimed: what a user
    does), so both targets' refresh and destroy start from the same state; the resources in
    state before the refresh are counted to show it."""
    name, label = target.name, f"{copies} copies"

    partial = False
    """The apply failed even when run again: what follows works on a smaller state."""

    def put(metric: str, value: float | str) -> None:
        if partial and isinstance(value, float):
            value = f"{value:.1f}{PARTIAL}"
        results.setdefault(f"{metric}, {label}", {}).setdefault(name, []).append(value)

    workspace = f"{name.replace(' ', '-')}-{copies}-{round_}"
    stack.run("workspace", "new", workspace)
    failures_before = len(stack.failures)
    windows: dict[str, tuple[float, float]] = {}
    """Per timed command: its wall-clock start and end, to find its requests in the log."""

    def timed(phase: str, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, int, str]:
        started = time.time()
        assert target.process is not None
        server_cpu, terraform_cpu = tree_cpu_seconds(target.process.pid), children_cpu_seconds()
        took, status, output = stack.run(
            *args, f"-parallelism={stack.parallelism}",
            endpoint=target.endpoint, copies=copies, ok=ok,
        )  # fmt: skip
        windows[phase] = (started, time.time())
        put(f"{phase}: server CPU, s", tree_cpu_seconds(target.process.pid) - server_cpu)
        put(f"{phase}: terraform CPU, s", children_cpu_seconds() - terraform_cpu)
        put(f"{phase}, s", took if status in ok else f"{took:.1f} (exit {status})")
        return took, status, output

    target.start()
    try:
        _, status, _ = timed("apply", "apply", "-auto-approve")
        retries = 0
        while status != 0 and retries < APPLY_RETRIES:
            retries += 1
            _, status, _ = stack.run(
                "apply", "-auto-approve", f"-parallelism={stack.parallelism}",
                endpoint=target.endpoint, copies=copies,
            )  # fmt: skip
        put("apply retries", str(retries))
        _, _, listed = stack.run("state", "list", endpoint=target.endpoint, copies=copies)
        put("resources in state", str(len(listed.split())))
        partial = len(listed.split()) < copies * RESOURCES_PER_COPY
        # Exit 2 is expected: each route table's ``route`` attribute picks up the aws_route
        # made after it (as on AWS); any other drift shows in the count of changed objects.
        _, _, output = timed(
            "plan -refresh-only", "plan", "-refresh-only", "-detailed-exitcode", ok=(0, 2)
        )
        changed = Counter(m.group(1) for m in CHANGED.finditer(output))
        put(
            "refresh-only: objects changed outside",
            ", ".join(f"{kind} ×{n}" for kind, n in sorted(changed.items())) or "none",
        )
        _, status, _ = timed("plan", "plan", "-detailed-exitcode", ok=(0, 2))
        put("plan empty", {0: "yes", 2: "no"}.get(status, f"exit {status}"))
        timed("destroy", "destroy", "-auto-approve")
    finally:
        target.stop()
    logged = requests_logged(target)
    for phase, (start, end) in windows.items():
        # Commands are seconds apart (terraform's start-up); 1 s of slack for moto's log.
        times = [r.at for r in logged if start - 1 <= r.at <= end + 1]
        if times and phase != "plan":
            put(f"{phase}: server busy, s", busy(times))
    put("HTTP requests", str(len(logged)) if logged else "n/a")
    put("HTTP 5xx", str(sum(r.status >= 500 for r in logged)) if logged else "n/a")
    by_action = Counter(f"{r.action} {r.status}" for r in logged if r.status >= 500)
    if by_action:
        put("5xx by action", ", ".join(f"{k} ×{v}" for k, v in by_action.most_common()))
    put("terraform failures", str(len(stack.failures) - failures_before))


def summary(values: list[float | str]) -> float | str:
    """One cell: the median of the rounds' numbers (a round's text, such as a time marked
    :data:`PARTIAL` or ``(exit 1)``, is left out of it), else the rounds' texts (once if
    equal)."""
    numbers = [value for value in values if isinstance(value, float)]
    if numbers:
        return statistics.median(numbers)
    return " / ".join(dict.fromkeys(str(value) for value in values))


def shown(value: float | str) -> str:
    return f"{value:.1f}" if isinstance(value, float) else value


def print_table(results: Results, names: list[str]) -> None:
    """Medians over the rounds (each round's value after them when there are several)."""
    header = ["metric", *names]
    both = "hive NATS" in names and "moto" in names
    if both:
        header.append("moto/hive")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for metric, values in results.items():
        cells = [metric]
        for name in names:
            runs = values.get(name, [])
            value = summary(runs)
            cell = shown(value)
            if isinstance(value, float) and len(runs) > 1:
                cell += " (" + ", ".join(shown(run) for run in runs) + ")"
            cells.append(cell)
        if both:
            hive, moto = summary(values.get("hive NATS", [])), summary(values.get("moto", []))
            ratio = ""
            if isinstance(hive, float) and isinstance(moto, float) and hive > 0:
                ratio = f"{moto / hive:.2f}×"
            cells.append(ratio)
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="30,100", help="copy counts, e.g. 30,100")
    parser.add_argument(
        "--targets", default="hive NATS,moto", help="subset of: hive NATS, hive memory, moto"
    )
    parser.add_argument("--parallelism", type=int, default=10, help="terraform -parallelism")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs per target and copy count, in alternating target order (medians shown)",
    )
    args = parser.parse_args()
    counts = [int(c) for c in args.copies.split(",") if c.strip()]
    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    terraform = shutil.which("terraform")
    if terraform is None or find_mirror() is None:
        sys.exit("needs terraform on PATH and the hashicorp/aws mirror (HIVE_TF_PLUGIN_MIRROR)")
    if "moto" in wanted and shutil.which("moto_server", path=str(BIN)) is None:
        sys.exit("moto_server not found: pip install -e '.[bench]'")
    work = Path(tempfile.mkdtemp(prefix="hive-tfbench-"))
    print(f"... work directory {work}", file=sys.stderr, flush=True)
    directory = work / "stack"
    directory.mkdir()
    (directory / "main.tf").write_text(render())
    stack = Stack(
        directory, tools(work).cli_config, terraform, args.parallelism, work / "terraform.log"
    )
    results: Results = {}
    names: list[str] = []
    try:
        _, status, _ = stack.run("init", "-input=false")
        if status != 0:
            sys.exit(f"terraform init failed: see {stack.transcript}")
        for copies in counts:
            for round_ in range(1, args.rounds + 1):
                round_dir = work / f"copies-{copies}-round-{round_}"
                round_dir.mkdir()
                chosen = [
                    target
                    for target in targets(round_dir, base_port=BASE_PORT, log_level="INFO")
                    if target.name in wanted
                ]
                names += [target.name for target in chosen if target.name not in names]
                # Alternate who goes first: a machine warming up or slowing down over a long
                # run does not favour one target.
                for target in chosen if round_ % 2 else chosen[::-1]:
                    target.log = round_dir / f"{target.name.replace(' ', '-')}.log"
                    print(
                        f"... {target.name}, {copies} copies "
                        f"({copies * RESOURCES_PER_COPY} resources), round {round_}",
                        file=sys.stderr,
                        flush=True,
                    )
                    bench(stack, target, copies, results, round_)
    finally:
        if args.keep or stack.failures:
            print(f"... kept {work} (terraform.log, server logs)", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results, names)
    print(
        f"\n{args.parallelism} parallel terraform operations; 9 resources per copy; "
        "moto/hive > 1 means hive-gateway is faster; medians over the rounds, each round's value "
        f"in brackets; {PARTIAL} measured on a smaller state (the apply failed even when run "
        f"again {APPLY_RETRIES} times), left out of the median."
    )
    for failure in stack.failures:
        print(f"- {failure}")
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"load average at the end: {' '.join(load)}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
