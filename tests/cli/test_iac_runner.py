"""``scripts/iac/aws/test.sh``: shellcheck-clean; passes a small configuration end to end
(starting and stopping its own gateway) with a log per phase and the outputs kept; a failing
apply returns the apply phase's code and the trap still destroys what was created."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.terraform.harness import BIN, ROOT, tools

SCRIPT = ROOT / "scripts" / "iac" / "aws" / "test.sh"

SMALL = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "ap-southeast-2"
}

resource "aws_vpc" "small" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = "runner" }
}

resource "aws_subnet" "small" {
  vpc_id     = aws_vpc.small.id
  cidr_block = var.subnet_cidr
}

resource "aws_security_group" "small" {
  name        = "runner"
  description = "runner test"
  vpc_id      = aws_vpc.small.id
}

variable "subnet_cidr" {
  type    = string
  default = "10.60.1.0/24"
}

output "vpc_id" {
  value = aws_vpc.small.id
}
"""


def test_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run(
        [shellcheck, str(SCRIPT)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stdout


def test_no_configuration_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "not a Terraform configuration" in done.stderr


def _run(tmp_path: Path, config: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    found = tools(tmp_path)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "HIVE_GATEWAY_"))
    }
    env.update(
        TF_CMD=found.terraform,
        TF_CLI_CONFIG_FILE=str(found.cli_config),
        RUN_DIR=str(run_dir),
        HIVE_GATEWAY_BIN=str(BIN / "hive-gateway"),
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    return subprocess.run(
        ["bash", str(SCRIPT), str(config)],
        capture_output=True, text=True, env=env, timeout=1500, check=False,
    )  # fmt: skip


@pytest.mark.timeout(1800)
def test_a_configuration_passes_every_phase(tmp_path: Path) -> None:
    config = tmp_path / "small"
    config.mkdir()
    (config / "main.tf").write_text(SMALL)
    run_dir = tmp_path / "run"
    done = _run(tmp_path, config, run_dir)
    assert done.returncode == 0, done.stderr[-5000:]
    logs = sorted(p.name for p in run_dir.glob("*.log"))
    assert logs == [
        "01-init.log", "02-plan.log", "03-apply.log", "04-output.log", "05-verify.log",
        "06-replan.log", "07-destroy.log", "08-verify-destroyed.log", "gateway.log",
    ]  # fmt: skip
    outputs = json.loads((run_dir / "outputs.json").read_text())
    assert outputs["vpc_id"]["value"].startswith("vpc-")
    assert "3 resources verified with the aws CLI" in (run_dir / "05-verify.log").read_text()
    gone = (run_dir / "08-verify-destroyed.log").read_text()
    assert gone.count(": gone") == 3 and "still there" not in gone
    assert not (config / ".terraform").exists()  # the run worked on a copy


@pytest.mark.timeout(1800)
def test_a_failing_apply_returns_its_code_and_still_destroys(tmp_path: Path) -> None:
    config = tmp_path / "broken"
    config.mkdir()
    # the subnet's CIDR is outside the VPC: apply fails after the VPC and group exist
    (config / "main.tf").write_text(
        SMALL.replace('default = "10.60.1.0/24"', 'default = "10.99.1.0/24"')
    )
    run_dir = tmp_path / "run"
    done = _run(tmp_path, config, run_dir)
    assert done.returncode == 12, done.stderr[-5000:]
    assert "phase apply failed (exit 12)" in done.stderr
    assert "InvalidSubnet.Range" in (run_dir / "03-apply.log").read_text()
    destroyed = (run_dir / "destroy-on-failure.log").read_text()
    assert "Destroy complete! Resources: 2 destroyed." in destroyed
    assert not (run_dir / "06-replan.log").exists()
