"""Real Terraform against a real ``hive-gateway serve`` process: finding the binaries and the
provider mirror, the CLI configuration, the gateway process, per-job accounts, and the generic
checks (ids in state described with the aws CLI before destroy, gone after it).

Where terraform or the mirror is missing the tests skip with the reason — unless
``HIVE_REQUIRE_TERRAFORM=1`` (``scripts/test.sh`` sets it when terraform is on ``PATH``): then
a missing piece fails the run instead of hiding it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.gateway import free_port

ROOT = Path(__file__).resolve().parents[2]
IAC = ROOT / "scripts" / "iac" / "aws"
EXAMPLES = IAC / "examples"
BIN = Path(sys.executable).parent
REGION = "ap-southeast-2"
ZONES = ("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c")
NODES = 9
"""Simulated hosts: three per zone, so a spread group of three fits in one zone."""
ADMIN_KEY = "AKIAHIVETERRAFORM001"
ADMIN_SECRET = "hive-terraform-e2e-secret-000000000000000"
MIRROR_PLACES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
)


def required() -> bool:
    """Whether a missing terraform fails instead of skipping (``HIVE_REQUIRE_TERRAFORM=1``)."""
    return os.environ.get("HIVE_REQUIRE_TERRAFORM", "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when terraform is required here."""
    if required():
        pytest.fail(f"HIVE_REQUIRE_TERRAFORM is set but {reason}")
    pytest.skip(reason)


def find_mirror() -> Path | None:
    """``$HIVE_TF_PLUGIN_MIRROR``, else the first usual place holding hashicorp/aws."""
    places = [os.environ.get("HIVE_TF_PLUGIN_MIRROR", "")] + list(MIRROR_PLACES)
    for place in places:
        if not place:
            continue
        root = Path(place).expanduser()
        if any(root.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return root
        if any(root.glob("registry.terraform.io/hashicorp/aws/*.zip")):
            return root
    return None


@dataclass(frozen=True)
class Tools:
    terraform: str
    mirror: Path
    cli_config: Path
    tofu: str | None = None


def tools(tmp: Path) -> Tools:
    """terraform, the mirror and a CLI configuration that installs from the mirror only."""
    terraform = shutil.which("terraform")
    if terraform is None:
        unavailable("terraform is not on PATH")
    mirror = find_mirror()
    if mirror is None:
        unavailable("no hashicorp/aws provider mirror (set HIVE_TF_PLUGIN_MIRROR)")
    assert terraform is not None and mirror is not None
    config = tmp / "terraform.rc"
    config.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
        "}\n"
    )
    return Tools(terraform, mirror, config, shutil.which("tofu"))


# --- the gateway process ---------------------------------------------------------------------------


@dataclass
class Gateway:
    """``hive-gateway serve`` as its own process."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path
    ca_bundle: Path | None

    def account(self, name: str) -> dict[str, str]:
        """A fresh account (``hive-gateway accounts create``): AccountId, AccessKeyId, …"""
        done = subprocess.run(
            [
                str(BIN / "hive-gateway"),
                "accounts",
                "create",
                name,
                "--data-dir",
                str(self.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        created: dict[str, str] = json.loads(done.stdout)
        return created

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_gateway(tmp: Path, *, tls: bool, port: int | None = None) -> Gateway:
    """A gateway with three zones and nine simulated hosts, the admin key fixed."""
    port = port or free_port()
    data_dir = tmp / "gateway-data"
    log = tmp / "gateway.log"
    command = [
        str(BIN / "hive-gateway"), "serve", "--port", str(port), "--data-dir", str(data_dir),
        "--nats-port", "0", "--nodes", str(NODES),
        "--pending-seconds", "0.5", "--stopping-seconds", "0.5", "--shutting-down-seconds", "0.5",
    ]  # fmt: skip
    for zone in ZONES:
        command += ["--az", zone]
    if not tls:
        command.append("--no-tls")
    env = {
        **os.environ,
        "HIVE_GATEWAY_ACCESS_KEY": ADMIN_KEY,
        "HIVE_GATEWAY_SECRET_KEY": ADMIN_SECRET,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    scheme = "https" if tls else "http"
    url = f"{scheme}://localhost:{port}"
    ca = data_dir / "tls" / "ca.pem" if tls else None
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise AssertionError("gateway exited:\n" + log.read_text())
        try:
            context = ssl.create_default_context(cafile=str(ca)) if ca and ca.exists() else None
            if tls and context is None:
                raise OSError("no CA yet")
            with urllib.request.urlopen(f"{url}/healthz", context=context, timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("gateway did not become healthy:\n" + log.read_text())
        time.sleep(0.3)
    return Gateway(process, url, data_dir, log, ca)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("terraform")


# --- running terraform ------------------------------------------------------------------------------


@dataclass
class Job:
    """One configuration's runs in its own directory, as one account of one gateway."""

    tools: Tools
    gateway: Gateway
    directory: Path
    account: dict[str, str]
    wrapper: bool
    """Run through ``hive-gateway terraform`` (examples); else terraform with -var endpoint."""
    logs: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "TF_", "HIVE_GATEWAY_"))
        }
        env.update(
            TF_CLI_CONFIG_FILE=str(self.tools.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            AWS_ACCESS_KEY_ID=self.account["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=self.account["SecretAccessKey"],
            AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            CHECKPOINT_DISABLE="1",
        )
        if self.gateway.ca_bundle is not None:
            env["AWS_CA_BUNDLE"] = str(self.gateway.ca_bundle)
        return env

    def terraform(
        self, *args: str, ok: Sequence[int] = (0,), timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """``terraform ARGS -no-color`` in the job's directory; asserts the exit status."""
        if self.wrapper:
            command = [str(BIN / "hive-gateway"), "terraform", "--endpoint", self.gateway.url]
        else:
            command = [self.tools.terraform]
        head, rest = args[0], list(args[1:])
        options = ["-no-color"]
        saved_plan = any(arg.endswith(".tfplan") for arg in rest) and head == "apply"
        if head in ("plan", "apply", "destroy", "import") and not self.wrapper and not saved_plan:
            options += ["-var", f"endpoint={self.gateway.url}"]
        command += [head, *options, *rest]
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=self.directory, env=self.env(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        took = time.monotonic() - started
        self.logs.append(
            f"$ terraform {' '.join(args)}  [exit {done.returncode}, {took:.0f}s]\n"
            f"{done.stdout[-6000:]}{done.stderr[-6000:]}"
        )
        assert done.returncode in ok, f"terraform {' '.join(args)} exited {done.returncode}:\n" + (
            done.stdout[-4000:] + done.stderr[-4000:]
        )
        return done

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.terraform("output", "-json").stdout)
        return {name: entry["value"] for name, entry in raw.items()}

    def state_ids(self) -> set[str]:
        """Every AWS id held in the state (resource ``id`` attributes)."""
        shown = json.loads(self.terraform("show", "-json").stdout)
        ids: set[str] = set()

        def walk(module: dict[str, Any]) -> None:
            for resource in module.get("resources", []):
                if resource.get("mode") == "managed":
                    value = resource.get("values", {}).get("id")
                    if isinstance(value, str) and ID.fullmatch(value):
                        ids.add(value)
            for child in module.get("child_modules", []):
                walk(child)

        walk(shown.get("values", {}).get("root_module", {}))
        return ids

    def aws(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The aws CLI as the job's account."""
        cli = shutil.which("aws", path=str(BIN)) or shutil.which("aws")
        assert cli, "the aws CLI (awscli, a test extra) must be installed"
        env = self.env()
        env["AWS_MAX_ATTEMPTS"] = "3"
        return subprocess.run(
            [cli, "--endpoint-url", self.gateway.url, "--output", "json", *args],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip


ID = re.compile(r"[a-z]+(?:-[a-z]+)*-[0-9a-f]{8,17}")

DESCRIBE: dict[str, tuple[str, str, str]] = {
    # id prefix: (aws ec2 sub-command, id option, result key)
    "vpc": ("describe-vpcs", "--vpc-ids", "Vpcs"),
    "subnet": ("describe-subnets", "--subnet-ids", "Subnets"),
    "sg": ("describe-security-groups", "--group-ids", "SecurityGroups"),
    "igw": ("describe-internet-gateways", "--internet-gateway-ids", "InternetGateways"),
    "eigw": (
        "describe-egress-only-internet-gateways",
        "--egress-only-internet-gateway-ids",
        "EgressOnlyInternetGateways",
    ),
    "rtb": ("describe-route-tables", "--route-table-ids", "RouteTables"),
    "acl": ("describe-network-acls", "--network-acl-ids", "NetworkAcls"),
    "i": ("describe-instances", "--instance-ids", "Reservations"),
    "vol": ("describe-volumes", "--volume-ids", "Volumes"),
    "eipalloc": ("describe-addresses", "--allocation-ids", "Addresses"),
    "eni": ("describe-network-interfaces", "--network-interface-ids", "NetworkInterfaces"),
    "key": ("describe-key-pairs", "--key-pair-ids", "KeyPairs"),
    "pg": ("describe-placement-groups", "--group-ids", "PlacementGroups"),
    "nat": ("describe-nat-gateways", "--nat-gateway-ids", "NatGateways"),
    "vpce": ("describe-vpc-endpoints", "--vpc-endpoint-ids", "VpcEndpoints"),
    "lt": ("describe-launch-templates", "--launch-template-ids", "LaunchTemplates"),
    "pcx": ("describe-vpc-peering-connections", "--vpc-peering-connection-ids", "VpcPeeringConnections"),
    "pl": ("describe-managed-prefix-lists", "--prefix-list-ids", "PrefixLists"),
    "fl": ("describe-flow-logs", "--flow-log-ids", "FlowLogs"),
    "dopt": ("describe-dhcp-options", "--dhcp-options-ids", "DhcpOptions"),
}  # fmt: skip
GONE_STATES = {
    "terminated",
    "deleted",
    "deleting",
    "rejected",
    "failed",
    "expired",
    "shutting-down",
}


def describe(job: Job, resource_id: str) -> list[dict[str, Any]] | None:
    """The live items of ``resource_id`` (None: a prefix we cannot describe); [] when gone."""
    prefix = resource_id.rsplit("-", 1)[0]
    if prefix not in DESCRIBE:
        return None
    command, option, key = DESCRIBE[prefix]
    done = job.aws("ec2", command, option, resource_id)
    if done.returncode != 0:
        assert "NotFound" in done.stderr or "does not exist" in done.stderr, done.stderr
        return []
    items = json.loads(done.stdout).get(key, [])
    if prefix == "i":
        items = [i for r in items for i in r.get("Instances", [])]

    def state(item: dict[str, Any]) -> str:
        value = item.get("State") or item.get("Status") or item.get("FlowLogStatus") or ""
        if isinstance(value, dict):
            value = value.get("Name") or value.get("Code") or ""
        return str(value).lower()

    return [item for item in items if state(item) not in GONE_STATES]


def assert_all_exist(job: Job, ids: set[str]) -> int:
    """Every describable id answers with exactly one live item; returns how many were checked."""
    checked = 0
    for resource_id in sorted(ids):
        live = describe(job, resource_id)
        if live is None:
            continue
        assert len(live) == 1, f"{resource_id} not found by the aws CLI after apply"
        checked += 1
    return checked


def assert_nothing_left(job: Job, ids: set[str]) -> None:
    """Every id of the state is gone, and the account holds nothing but its default VPC."""
    left = [i for i in sorted(ids) if describe(job, i)]
    assert not left, f"left after destroy: {left}"
    vpcs = json.loads(job.aws("ec2", "describe-vpcs").stdout)["Vpcs"]
    assert [v["VpcId"] for v in vpcs if not v.get("IsDefault")] == []
    for command, key in (
        ("describe-volumes", "Volumes"),
        ("describe-addresses", "Addresses"),
        ("describe-key-pairs", "KeyPairs"),
        ("describe-placement-groups", "PlacementGroups"),
    ):
        listed = json.loads(job.aws("ec2", command).stdout).get(key, [])
        assert listed == [], f"{command} after destroy: {listed}"
    reservations = json.loads(job.aws("ec2", "describe-instances").stdout)["Reservations"]
    states = {i["State"]["Name"] for r in reservations for i in r["Instances"]}
    assert states <= {"terminated", "shutting-down"}, states


def copy_config(source: Path, target: Path) -> Path:
    """A clean copy of a configuration (no .terraform, state or lock files)."""
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfplan"
        ),
    )
    return target


def examples() -> list[str]:
    """Every example configuration (a directory with a .tf file), found at collection time."""
    return sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and any(p.glob("*.tf")))
