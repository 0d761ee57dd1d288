"""``hive-gateway terraform``: the provider override it writes, that it is removed whatever
happens, and — with real terraform — an example written for AWS applying unmodified."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hive_gateway.cli import main
from hive_gateway.tools.hcl_scan import aws_providers, tokens
from hive_gateway.tools.tf_override import MARKER, OVERRIDE_FILE, PROVIDER_FILE, Target, render
from tests.terraform.harness import EXAMPLES, Job, copy_config, start_gateway, tools

BIN = Path(sys.executable).parent
TARGET = Target("https://localhost:9999", "ap-southeast-2", "AKIAEXAMPLE0000001", "s3cr${et}")

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
    awsalt = {
      source  = "registry.terraform.io/hashicorp/aws"
      version = ">= 5.0"
    }
    random = { source = "hashicorp/random" }
  }
}

# provider "aws" { alias = "commented" }
provider "aws" {
  region = "us-east-1"
  endpoints { ec2 = "https://ec2.amazonaws.com" } // replaced as a whole
}

provider "aws" {
  alias  = "west"   /* a comment { with braces } */
  region = "us-west-2"
  default_tags { tags = { Note = "a } brace and ${var.x} in a string" } }
}

provider "awsalt" {
  alias = "other"
}

provider "random" {}

resource "aws_instance" "x" {
  user_data = <<-EOT
    provider "aws" { alias = "in-a-heredoc" }
  EOT
}
"""


def test_scan_finds_every_aws_provider_block_and_nothing_in_comments_or_strings(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    names, blocks = aws_providers(tmp_path)
    assert names == {"aws", "awsalt"}
    assert [(b.name, b.alias) for b in blocks] == [
        ("aws", None),
        ("aws", "west"),
        ("awsalt", "other"),
    ]


def test_tf_json_providers_are_found(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        json.dumps({"provider": {"aws": [{"region": "x"}, {"alias": "b", "region": "y"}]}})
    )
    _, blocks = aws_providers(tmp_path)
    assert [(b.name, b.alias) for b in blocks] == [("aws", None), ("aws", "b")]


def test_lexer_keeps_interpolated_strings_whole() -> None:
    kinds = [t.kind for t in tokens('a = "x ${ {"}" = 1}["}"] } y" { }')]
    assert kinds == ["ident", "=", "string", "{", "}"]


def test_override_points_every_block_at_the_gateway(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    files = render(tmp_path, TARGET)
    assert set(files) == {OVERRIDE_FILE}
    text = files[OVERRIDE_FILE]
    assert text.startswith(MARKER)
    assert text.count('ec2 = "https://localhost:9999"') == 3
    assert text.count('sts = "https://localhost:9999"') == 3
    assert 'alias                       = "west"' in text
    assert 'provider "awsalt" {' in text and 'alias                       = "other"' in text
    assert "skip_metadata_api_check     = true" in text
    assert '"s3cr$${et}"' in text  # escaped: terraform must not interpolate a secret


def test_a_module_without_an_aws_provider_block_gets_one(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "x" { cidr_block = "10.0.0.0/16" }\n')
    files = render(tmp_path, TARGET)
    assert set(files) == {PROVIDER_FILE}
    assert 'provider "aws" {' in files[PROVIDER_FILE]


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TF_CMD that records the override it sees, then exits with $FAKE_EXIT (or sleeps)."""
    script = tmp_path / "fake-terraform"
    script.write_text(
        "#!/bin/sh\n"
        'cat hive_gateway_override.tf > "$FAKE_SEEN" 2>/dev/null\n'
        'echo "$@" >> "$FAKE_SEEN"\n'
        'if [ -n "$FAKE_SLEEP" ]; then touch "$FAKE_SEEN.started"; sleep "$FAKE_SLEEP"; fi\n'
        'exit "${FAKE_EXIT:-0}"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("TF_CMD", str(script))
    monkeypatch.setenv("FAKE_SEEN", str(tmp_path / "seen"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(CONFIG)
    monkeypatch.chdir(module)
    return module


def test_terraform_sees_the_override_and_it_is_removed(
    fake_terraform: Path, tmp_path: Path
) -> None:
    status = main(["terraform", "--endpoint", "http://127.0.0.1:18299", "plan", "-out=x"])
    assert status == 0
    seen = (tmp_path / "seen").read_text()
    assert 'ec2 = "http://127.0.0.1:18299"' in seen and "custom_ca_bundle" not in seen
    assert seen.strip().endswith("plan -out=x")
    assert sorted(p.name for p in fake_terraform.iterdir()) == ["main.tf"]


def test_a_failing_terraform_keeps_its_status_and_the_override_goes(
    fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_EXIT", "3")
    assert main(["terraform", "--endpoint", "http://127.0.0.1:18299", "apply"]) == 3
    assert sorted(p.name for p in fake_terraform.iterdir()) == ["main.tf"]


def test_a_foreign_override_file_is_never_touched(fake_terraform: Path, tmp_path: Path) -> None:
    (fake_terraform / OVERRIDE_FILE).write_text("# mine\n")
    assert main(["terraform", "--endpoint", "http://127.0.0.1:18299", "plan"]) == 2
    assert (fake_terraform / OVERRIDE_FILE).read_text() == "# mine\n"
    assert not (tmp_path / "seen").exists()


def test_a_stale_override_of_ours_is_replaced(fake_terraform: Path) -> None:
    (fake_terraform / PROVIDER_FILE).write_text(MARKER + '\nprovider "aws" {}\n')
    assert main(["terraform", "--endpoint", "http://127.0.0.1:18299", "plan"]) == 0
    assert sorted(p.name for p in fake_terraform.iterdir()) == ["main.tf"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_removes_the_override(
    fake_terraform: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    env = {**os.environ, "FAKE_SLEEP": "30"}
    process = subprocess.Popen(
        [str(BIN / "hive-gateway"), "terraform", "--endpoint", "http://127.0.0.1:18299", "apply"],
        cwd=fake_terraform,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "seen.started").exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    assert (fake_terraform / OVERRIDE_FILE).exists()
    os.killpg(process.pid, sig)  # as a terminal's Ctrl-C reaches the whole process group
    process.wait(timeout=60)
    assert sorted(p.name for p in fake_terraform.iterdir()) == ["main.tf"]


def test_tofu_flag_and_missing_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TF_CMD", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["terraform", "--tofu", "version"]) == 2


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["terraform", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--endpoint URL" in out and "--tofu" in out and "TF_CMD" in out
    assert main(["--log-level", "DEBUG", "terraform", "--help"]) == 0  # after global options too
    assert "--endpoint URL" in capsys.readouterr().out


@pytest.mark.timeout(1800)
def test_an_unmodified_example_applies_with_the_data_dirs_key_and_ca(tmp_path: Path) -> None:
    """three-az-vpc has no endpoints block: ``hive-gateway terraform --data-dir`` finds the admin
    key and the generated CA there (no AWS_* variables), applies, re-plans empty, destroys."""
    found = tools(tmp_path)
    gateway = start_gateway(tmp_path, tls=True)
    try:
        directory = copy_config(EXAMPLES / "three-az-vpc", tmp_path / "three-az-vpc")
        before = {p.name for p in directory.iterdir()}
        assert "endpoints" not in (directory / "main.tf").read_text()
        env = {
            k: v
            for k, v in Job(
                found, gateway, directory, {"AccessKeyId": "", "SecretAccessKey": ""}, wrapper=True
            )
            .env()
            .items()
            if not k.startswith("AWS_") or k == "AWS_EC2_METADATA_DISABLED"
        }
        wrapper = [
            str(BIN / "hive-gateway"),
            "terraform",
            "--endpoint",
            gateway.url,
            "--data-dir",
            str(gateway.data_dir),
        ]

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            done = subprocess.run(
                [*wrapper, *args, "-no-color"], cwd=directory, env=env, capture_output=True,
                text=True, timeout=900, check=False,
            )  # fmt: skip
            return done

        assert run("init").returncode == 0
        applied = run("apply", "-auto-approve")
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
        assert "Apply complete! Resources: 22 added" in applied.stdout
        assert run("plan", "-detailed-exitcode").returncode == 0
        destroyed = run("destroy", "-auto-approve")
        assert destroyed.returncode == 0, destroyed.stderr[-3000:]
        assert "Destroy complete! Resources: 22 destroyed" in destroyed.stdout
        after = {p.name for p in directory.iterdir()}
        assert not {OVERRIDE_FILE, PROVIDER_FILE} & after
        assert after - before <= {
            ".terraform",
            ".terraform.lock.hcl",
            "terraform.tfstate",
            "terraform.tfstate.backup",
        }
    finally:
        gateway.stop()
