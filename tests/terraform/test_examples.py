"""Every example under ``scripts/iac/aws/examples/`` with real Terraform, through
``hive-gateway terraform`` (the examples are written for AWS: no endpoints), against one
plain-HTTP ``hive-gateway serve`` with three zones.

Per example: ``init`` → ``plan -out`` → ``apply`` → ``output -json`` (asserted) → ``plan
-detailed-exitcode`` is 0 → every id of the state described by the aws CLI (plus the example's own
checks) → ``destroy`` → every id gone and the account empty. And ``terraform test`` with the
example's ``tests/*.tftest.hcl``. Each run uses its own account, so all of them run at once
(``HIVE_TF_JOBS`` at a time, default 6): most of a run is the provider's waiters.

Examples added later are picked up by directory; outputs ending in ``_id``/``_ids`` are checked
for AWS id shapes, and an entry in ``CHECKS`` adds specific assertions.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.terraform.harness import (
    EXAMPLES,
    ID,
    ZONES,
    Gateway,
    Job,
    assert_all_exist,
    assert_nothing_left,
    copy_config,
    examples,
    start_gateway,
    tools,
)

pytestmark = pytest.mark.timeout(2400)


@dataclass
class Outcome:
    outputs: dict[str, Any] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    checked: int = 0
    error: str = ""
    logs: list[str] = field(default_factory=list)


def _check_bastion(job: Job, out: dict[str, Any]) -> None:
    assert ipaddress.ip_address(out["bastion_public_ip"]).version == 4
    assert out["app_public_ip"] == ""
    assert ipaddress.ip_address(out["app_private_ip"]) in ipaddress.ip_network("10.20.10.0/24")
    groups = json.loads(
        job.aws(
            "ec2", "describe-security-groups", "--group-ids", out["security_group_ids"][1]
        ).stdout
    )["SecurityGroups"][0]
    pairs = [p["GroupId"] for perm in groups["IpPermissions"] for p in perm["UserIdGroupPairs"]]
    assert pairs == [out["security_group_ids"][0]]


def _check_web_server(job: Job, out: dict[str, Any]) -> None:
    address = json.loads(
        job.aws("ec2", "describe-addresses", "--allocation-ids", out["allocation_id"]).stdout
    )["Addresses"][0]
    assert address["InstanceId"] == out["instance_id"] and address["PublicIp"] == out["public_ip"]
    volume = json.loads(
        job.aws("ec2", "describe-volumes", "--volume-ids", out["volume_id"]).stdout
    )["Volumes"][0]
    assert volume["State"] == "in-use" and volume["Size"] == 10
    assert volume["Attachments"][0]["InstanceId"] == out["instance_id"]
    assert volume["Attachments"][0]["Device"] == "/dev/sdf"
    user_data = json.loads(
        job.aws(
            "ec2", "describe-instance-attribute", "--instance-id", out["instance_id"],
            "--attribute", "userData",
        ).stdout
    )["UserData"]["Value"]  # fmt: skip
    assert "apt-get install -y nginx" in base64.b64decode(user_data).decode()


def _check_three_az(job: Job, out: dict[str, Any]) -> None:
    assert out["azs"] == list(ZONES)
    assert out["public_subnet_cidrs"] == ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"]
    assert out["private_subnet_cidrs"] == ["10.40.10.0/24", "10.40.11.0/24", "10.40.12.0/24"]
    subnets = json.loads(
        job.aws("ec2", "describe-subnets", "--subnet-ids", *out["public_subnet_ids"]).stdout
    )["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == list(ZONES)
    acls = json.loads(
        job.aws(
            "ec2", "describe-network-acls", "--network-acl-ids", out["network_acl_ids"][0]
        ).stdout
    )["NetworkAcls"][0]
    assert {a["SubnetId"] for a in acls["Associations"]} == set(out["public_subnet_ids"])
    assert sorted(e["RuleNumber"] for e in acls["Entries"] if not e["Egress"]) == [
        100, 110, 120, 200, 32767,
    ]  # fmt: skip


CHECKS: dict[str, Callable[[Job, dict[str, Any]], None]] = {
    "bastion": _check_bastion,
    "web-server": _check_web_server,
    "three-az-vpc": _check_three_az,
}
"""Example-specific checks with the aws CLI while the example is applied."""


def _assert_id_outputs(out: dict[str, Any]) -> None:
    """Outputs named ``*_id``/``*_ids`` hold AWS ids (``vpc-…``, ``i-…``, …)."""
    for name, value in out.items():
        if name.endswith("_id"):
            assert isinstance(value, str) and ID.fullmatch(value), (name, value)
        elif name.endswith("_ids"):
            assert value and all(ID.fullmatch(v) for v in value), (name, value)
            assert len(set(value)) == len(value), (name, value)


def cycle(job: Job) -> Outcome:
    """The full cycle of one configuration (destroy attempted whatever failed)."""
    outcome = Outcome(logs=job.logs)
    applied = False
    try:
        job.terraform("init")
        job.terraform("plan", "-out=cycle.tfplan")
        applied = True
        job.terraform("apply", "cycle.tfplan")
        outcome.outputs = job.outputs()
        (job.directory / "outputs.json").write_text(json.dumps(outcome.outputs, indent=2))
        job.terraform("plan", "-detailed-exitcode")
        outcome.ids = job.state_ids()
        outcome.checked = assert_all_exist(job, outcome.ids)
        _assert_id_outputs(outcome.outputs)
        check = CHECKS.get(job.directory.name)
        if check is not None:
            check(job, outcome.outputs)
        job.terraform("destroy", "-auto-approve")
        applied = False
        assert_nothing_left(job, outcome.ids)
    except Exception:  # noqa: BLE001 - reported by the test of this example
        outcome.error = traceback.format_exc()
        if applied:
            try:
                job.terraform("destroy", "-auto-approve")
            except Exception:  # noqa: BLE001
                outcome.error += "\n(destroy after the failure failed too)"
    return outcome


def tftest(job: Job) -> Outcome:
    """``terraform test`` (apply, assertions, destroy), then nothing of it is left."""
    outcome = Outcome(logs=job.logs)
    try:
        job.terraform("init")
        done = job.terraform("test")
        assert "Success!" in done.stdout and " 0 failed" in done.stdout, done.stdout
        assert_nothing_left(job, set())
    except Exception:  # noqa: BLE001
        outcome.error = traceback.format_exc()
    return outcome


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("tf-examples")
    tools(tmp)  # skip (or fail) before starting anything
    running = start_gateway(tmp, tls=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def outcomes(gateway: Gateway, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every example's cycle and ``terraform test``, run at once, each as its own account."""
    tmp = tmp_path_factory.mktemp("tf-runs")
    found = tools(tmp)
    work: dict[str, tuple[Callable[[Job], Outcome], Job]] = {}
    for name in examples():
        for kind, run in (("cycle", cycle), ("test", tftest)):
            if kind == "test" and not any((EXAMPLES / name / "tests").glob("*.tftest.hcl")):
                continue
            directory = copy_config(EXAMPLES / name, tmp / kind / name)
            account = gateway.account(f"{kind}-{name}")
            work[f"{kind}:{name}"] = (run, Job(found, gateway, directory, account, wrapper=True))
    jobs = int(os.environ.get("HIVE_TF_JOBS", "6"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {key: pool.submit(run, job) for key, (run, job) in work.items()}
        return {key: future.result() for key, future in futures.items()}


def _explain(outcome: Outcome) -> str:
    return outcome.error + "\n--- terraform runs ---\n" + "\n".join(outcome.logs)[-20000:]


@pytest.mark.parametrize("example", examples())
def test_example_applies_replans_empty_and_destroys(
    outcomes: dict[str, Outcome], example: str
) -> None:
    outcome = outcomes[f"cycle:{example}"]
    assert not outcome.error, _explain(outcome)
    assert outcome.outputs, "every example declares outputs"
    assert outcome.checked >= 3, outcome.ids


@pytest.mark.parametrize("example", examples())
def test_example_terraform_test_passes(outcomes: dict[str, Outcome], example: str) -> None:
    if f"test:{example}" not in outcomes:
        pytest.fail(f"{example} has no tests/*.tftest.hcl")
    outcome = outcomes[f"test:{example}"]
    assert not outcome.error, _explain(outcome)


def test_every_example_is_documented() -> None:
    """Each example has a README.md describing it."""
    for name in examples():
        readme = EXAMPLES / name / "README.md"
        assert readme.is_file() and readme.read_text().strip(), name


def test_examples_leave_no_plan_or_state_in_the_repository() -> None:
    """Runs work on copies: the repository's example directories stay clean."""
    for name in examples():
        leftovers = [
            p.name
            for p in (EXAMPLES / name).iterdir()
            if p.name.startswith((".terraform", "terraform.tfstate"))
        ]
        assert leftovers == [], (name, leftovers)
