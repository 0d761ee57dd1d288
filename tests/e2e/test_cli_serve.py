"""The README's promise: ``hive-gateway serve`` on the embedded default, driven by the real aws CLI.

Starts the console script as its own process (embedded nats-server, TLS with the generated CA),
then runs ``aws`` (from the awscli package) against it, signed with the printed key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.gateway import free_port

BIN = Path(sys.executable).parent


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    data_dir: Path
    access_key: str
    secret_key: str
    ca_bundle: Path
    output: list[str]


def _aws_cli() -> list[str]:
    found = shutil.which("aws", path=str(BIN)) or shutil.which("aws")
    assert found, "the aws CLI (awscli package) must be installed with the test extras"
    return [found]


def start(data_dir: Path, port: int, env: dict[str, str] | None = None) -> Served:
    command = [
        str(BIN / "hive-gateway"), "serve", "--port", str(port), "--data-dir", str(data_dir),
        "--nats-port", "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    key = secret = ca = None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError("gateway exited:\n" + "".join(lines))
            continue
        lines.append(line)
        if m := re.search(r"aws_access_key_id = (\S+)", line):
            key = m.group(1)
        if m := re.search(r"aws_secret_access_key = (\S+)", line):
            secret = m.group(1)
        if m := re.search(r"export AWS_CA_BUNDLE=(\S+)", line):
            ca = m.group(1)
        if key and secret and ca and "export AWS_ACCESS_KEY_ID" in line:
            break
    else:
        process.kill()
        raise AssertionError("gateway did not announce itself:\n" + "".join(lines))
    assert key and secret and ca
    return Served(process, port, data_dir, key, secret, Path(ca), lines)


def stop(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    try:
        served.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        served.process.kill()
        raise


def aws(served: Served, *args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": served.access_key,
        "AWS_SECRET_ACCESS_KEY": secret or served.secret_key,
        "AWS_DEFAULT_REGION": "ap-southeast-2",
        "AWS_CA_BUNDLE": str(served.ca_bundle),
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [*_aws_cli(), "--endpoint-url", f"https://localhost:{served.port}", "--output", "json", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    running = start(tmp_path / "data", free_port())
    yield running
    if running.process.poll() is None:
        stop(running)


def test_aws_cli_against_the_embedded_default(served: Served) -> None:
    identity = aws(served, "sts", "get-caller-identity")
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Account"] == "000000000001"

    regions = aws(served, "ec2", "describe-regions")
    assert regions.returncode == 0, regions.stderr
    by_name = {r["RegionName"]: r for r in json.loads(regions.stdout)["Regions"]}
    assert by_name["ap-southeast-2"]["Endpoint"] == f"https://localhost:{served.port}"
    assert "us-east-1" in by_name

    wrong = aws(served, "ec2", "describe-regions", secret="x" * 40)
    assert wrong.returncode != 0
    assert "SignatureDoesNotMatch" in wrong.stderr

    with urllib.request.urlopen(
        f"https://localhost:{served.port}/healthz",
        context=__import__("ssl").create_default_context(cafile=str(served.ca_bundle)),
    ) as answer:
        assert json.loads(answer.read())["status"] == "ok"
    stop(served)
    assert served.process.stdout is not None
    log = served.process.stdout.read()
    assert re.search(r"account=000000000001 action=DescribeRegions status=200 latency_ms=", log)
    assert re.search(r"action=DescribeRegions status=403", log)


def test_credentials_and_records_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    first = start(data_dir, port)
    try:
        created = subprocess.run(
            [str(BIN / "hive-gateway"), "accounts", "create", "tenant-a", "--data-dir", str(data_dir)],
            capture_output=True, text=True, timeout=60,
        )
        assert created.returncode == 0, created.stderr
        account = json.loads(created.stdout)
        assert account["AccountId"] == "000000000002"
    finally:
        stop(first)
    second = start(data_dir, port)
    try:
        assert (second.access_key, second.secret_key) == (first.access_key, first.secret_key)
        tenant = Served(second.process, port, data_dir, account["AccessKeyId"],
                        account["SecretAccessKey"], second.ca_bundle, second.output)
        identity = aws(tenant, "sts", "get-caller-identity")
        assert identity.returncode == 0, identity.stderr
        assert json.loads(identity.stdout)["Account"] == "000000000002"
    finally:
        stop(second)


def test_environment_credentials_are_used(tmp_path: Path) -> None:
    """The README's one-liner: ``HIVE_GATEWAY_ACCESS_KEY=test HIVE_GATEWAY_SECRET_KEY=test``,
    then the aws CLI with ``AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test``."""
    env = {"HIVE_GATEWAY_ACCESS_KEY": "test", "HIVE_GATEWAY_SECRET_KEY": "test"}
    running = start(tmp_path / "data", free_port(), env)
    try:
        assert (running.access_key, running.secret_key) == ("test", "test")
        result = aws(running, "ec2", "describe-availability-zones")
        assert result.returncode == 0, result.stderr
        names = [z["ZoneName"] for z in json.loads(result.stdout)["AvailabilityZones"]]
        assert names == ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"]
        identity = aws(running, "sts", "get-caller-identity")
        assert identity.returncode == 0, identity.stderr
        assert json.loads(identity.stdout)["Account"] == "000000000001"
        wrong = aws(running, "sts", "get-caller-identity", secret="tesT")
        assert wrong.returncode != 0 and "SignatureDoesNotMatch" in wrong.stderr
    finally:
        stop(running)


def test_a_bad_image_catalogue_stops_start_up_with_a_message(tmp_path: Path) -> None:
    catalogue = tmp_path / "images.json"
    catalogue.write_text('{"images": "not a list"}')
    result = subprocess.run(
        [str(BIN / "hive-gateway"), "serve", "--data-dir", str(tmp_path / "data"), "--port",
         str(free_port()), "--nats-port", "0", "--image-catalogue", str(catalogue)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "images.json" in result.stderr and "Traceback" not in result.stderr
