"""``hive-gateway conformance``: the provider-call replays as a command against any endpoint.

Runs each chosen scenario (:data:`SCENARIOS`) through a plain botocore client — the gateway, Hive
itself, or AWS (``--endpoint aws``) — with every response checked against the botocore output
shape, then prints a per-resource matrix and, last, ``N passed, M failed``. The exit status is 0
only when every resource passed. ``--junit FILE`` writes the same results as JUnit XML (one
``testsuite`` per scenario, one ``testcase`` per resource address).

Like the rest of :mod:`hive_gateway.conformance` it imports nothing of the gateway.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.model import OperationModel

from hive_gateway.conformance import stack
from hive_gateway.conformance.replay import StackSettings, replay_vpc_stack
from hive_gateway.conformance.runner import Report
from hive_gateway.conformance.xml_check import assert_error_envelope, assert_xml_matches_shape


@dataclass(frozen=True)
class Scenario:
    """A named replay: what it runs and the resource addresses it covers."""

    description: str
    run: Callable[[Any, Callable[[OperationModel, int, bytes], None], float], Report]
    addresses: tuple[str, ...]


def _stack_addresses(*, defaults: bool) -> tuple[str, ...]:
    found = [
        value
        for name, value in vars(stack).items()
        if name.isupper() and isinstance(value, str) and value.startswith(("aws_", "data.aws_"))
    ]
    account_defaults = {
        stack.DEFAULT_VPC,
        stack.DEFAULT_SUBNET,
        stack.DEFAULT_DHCP,
        stack.DATA_DEFAULT_VPC,
        stack.DATA_DEFAULT_SUBNET,
    }
    return tuple(sorted(a for a in found if defaults or a not in account_defaults))


SCENARIOS: Final[dict[str, Scenario]] = {
    "vpc": Scenario(
        "VPC stack with every aws_default_* resource: apply, refresh twice, update, destroy",
        lambda client, check, timeout: replay_vpc_stack(
            client, check=check, timeout=timeout, settings=StackSettings(name="conf-vpc")
        ),
        _stack_addresses(defaults=True),
    ),
    "vpc-isolated": Scenario(
        "the VPC stack without the account's defaults (safe on a real AWS account)",
        lambda client, check, timeout: replay_vpc_stack(
            client,
            check=check,
            timeout=timeout,
            settings=StackSettings(
                name="conf-iso",
                vpc_cidr="10.43.0.0/16",
                subnet_a_cidr="10.43.1.0/24",
                subnet_b_cidr="10.43.2.0/24",
                include_defaults=False,
            ),
        ),
        _stack_addresses(defaults=False),
    ),
}


def strict_check(operation: OperationModel, status: int, body: bytes) -> None:
    """Success bodies element by element against the output shape; errors against the envelope."""
    if status >= 300:
        assert_error_envelope(body, "ec2")
    else:
        assert_xml_matches_shape(body, operation, ordered=True)


@dataclass
class Row:
    """One resource address of one scenario."""

    scenario: str
    address: str
    calls: int = 0
    problems: list[str] = field(default_factory=list)
    ran: bool = True

    @property
    def status(self) -> str:
        if self.problems:
            return "FAIL"
        return "PASS" if self.ran else "NOT RUN"


def _values(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)


def rows_of(name: str, scenario: Scenario, report: Report) -> list[Row]:
    """The report split by resource: a call belongs to every address whose id it names."""
    addresses = list(scenario.addresses)
    for address in [*report.ids, *report.states.get("A", {})]:
        if "." in address and address not in addresses:
            addresses.append(address)
    rows = {address: Row(name, address) for address in addresses}
    owner: dict[str, set[str]] = {}
    for address, resource_id in report.ids.items():
        if address in rows and resource_id:
            owner.setdefault(resource_id, set()).add(address)
    stack_row = Row(name, "(stack)")
    for call in report.calls:
        values = set(_values(call.params))
        if call.response is not None:
            values |= set(_values(call.response))
        named = set().union(*(owner.get(v, set()) for v in values))
        targets = [rows[a] for a in sorted(named)] or [stack_row]
        for row in targets:
            row.calls += 1
            if call.failed:
                row.problems.append(f"{call.operation}: {call.error_code}: {call.error_message}")
            if call.check_failure:
                row.problems.append(f"{call.operation}: bad response: {call.check_failure}")
    for drift in report.drifts:
        (rows.get(drift.address) or stack_row).problems.append(f"drift: {drift}")
    for problem in report.problems:
        hit = [row for address, row in rows.items() if address in problem]
        for row in hit or [stack_row]:
            row.problems.append(problem)
    seen = set(report.states.get("A", {})) | set(report.ids)
    for address, row in rows.items():
        row.ran = address in seen or not report.problems
    result = sorted(rows.values(), key=lambda row: row.address)
    if stack_row.problems:
        result.append(stack_row)
    return result


def print_matrix(rows: list[Row], out: Any = None) -> None:
    """A table: scenario, resource address, calls, result (first problem if any)."""
    out = out or sys.stdout
    width = max([len(r.address) for r in rows] + [8])
    print(f"{'scenario':<14} {'resource':<{width}} {'calls':>5}  result", file=out)
    for row in rows:
        detail = f"  {row.problems[0]}" if row.problems else ""
        more = f" (+{len(row.problems) - 1} more)" if len(row.problems) > 1 else ""
        print(
            f"{row.scenario:<14} {row.address:<{width}} {row.calls:>5}  {row.status}{detail}{more}",
            file=out,
        )


def junit(rows: list[Row], seconds: dict[str, float]) -> ET.ElementTree:
    """JUnit XML: one ``testsuite`` per scenario, one ``testcase`` per resource."""
    suites = ET.Element("testsuites", name="hive-gateway conformance")
    for scenario in dict.fromkeys(r.scenario for r in rows):
        mine = [r for r in rows if r.scenario == scenario]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=scenario,
            tests=str(len(mine)),
            failures=str(sum(r.status == "FAIL" for r in mine)),
            skipped=str(sum(r.status == "NOT RUN" for r in mine)),
            errors="0",
            time=f"{seconds.get(scenario, 0.0):.3f}",
        )
        for row in mine:
            case = ET.SubElement(
                suite, "testcase", classname=f"conformance.{scenario}", name=row.address
            )
            if row.status == "FAIL":
                failure = ET.SubElement(case, "failure", message=row.problems[0][:500])
                failure.text = "\n".join(row.problems)
            elif row.status == "NOT RUN":
                ET.SubElement(case, "skipped", message="not reached: an earlier step failed")
    return ET.ElementTree(suites)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``conformance`` command's options."""
    parser.add_argument(
        "--endpoint",
        required=True,
        help="EC2 endpoint URL (e.g. https://localhost:9999), or 'aws' for AWS itself",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="scenario to run (repeatable; default: all)",
    )
    parser.add_argument("--junit", type=Path, help="write JUnit XML results to this file")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        help="region (default $AWS_REGION / $AWS_DEFAULT_REGION, else ap-southeast-2)",
    )
    parser.add_argument("--ca-bundle", help="CA bundle for https (default $AWS_CA_BUNDLE)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds any one wait may take (default 60)"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")


def client_for(args: argparse.Namespace) -> Any:
    """A botocore EC2 client; credentials from the usual chain (environment, profile)."""
    endpoint = None if args.endpoint == "aws" else args.endpoint
    session = botocore.session.get_session()
    return session.create_client(
        "ec2",
        region_name=args.region or "ap-southeast-2",
        endpoint_url=endpoint,
        verify=args.ca_bundle or os.environ.get("AWS_CA_BUNDLE") or None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )


def run(args: argparse.Namespace) -> int:
    """Run the scenarios; 0 when every resource passed, 1 otherwise."""
    if args.list:
        for name, scenario in SCENARIOS.items():
            print(f"{name:<14} {scenario.description}")
        return 0
    client = client_for(args)
    rows: list[Row] = []
    seconds: dict[str, float] = {}
    for name in args.scenario or list(SCENARIOS):
        scenario = SCENARIOS[name]
        print(f"scenario {name}: {scenario.description}", flush=True)
        start = time.monotonic()
        try:
            report = scenario.run(client, strict_check, args.timeout)
        except BotoCoreError as exc:  # no credentials, endpoint unreachable, …
            print(f"hive-gateway conformance: {exc}", file=sys.stderr)
            return 2
        seconds[name] = time.monotonic() - start
        rows += rows_of(name, scenario, report)
    print_matrix(rows)
    if args.junit is not None:
        tree = junit(rows, seconds)
        ET.indent(tree)
        tree.write(args.junit, encoding="utf-8", xml_declaration=True)
    passed = sum(row.status == "PASS" for row in rows)
    failed = sum(row.status != "PASS" for row in rows)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
