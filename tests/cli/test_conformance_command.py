"""``hive-gateway conformance``: green against a local gateway (every response strictly
checked), a valid JUnit file, and red — with the exit status saying so — when the endpoint
refuses the calls."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hive_gateway.conformance import command
from tests.fixtures.gateway import RunningGateway


def main(argv: list[str]) -> int:
    """``hive-gateway conformance ARGS`` in this process (what cli.main dispatches to)."""
    assert argv[0] == "conformance"
    parser = argparse.ArgumentParser(prog="hive-gateway conformance")
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv[1:]))


def _use(monkeypatch: pytest.MonkeyPatch, key: str, secret: str) -> None:
    for name in ("AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def test_green_against_a_local_gateway_with_a_valid_junit_file(
    gateway: RunningGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _use(monkeypatch, gateway.admin.access_key_id, gateway.admin.secret_access_key)
    junit = tmp_path / "conformance.xml"
    status = main(["conformance", "--endpoint", gateway.url, "--junit", str(junit)])
    out = capsys.readouterr().out.splitlines()
    assert status == 0, "\n".join(out)
    passed = int(out[-1].split()[0])
    assert out[-1] == f"{passed} passed, 0 failed"
    assert passed >= 40  # both scenarios, one row per resource address
    rows = [line for line in out if line.startswith(("vpc ", "vpc-isolated "))]
    assert any("aws_vpc.main" in r and r.rstrip().endswith("PASS") for r in rows)
    assert any(r.startswith("vpc-isolated") and "aws_security_group.web" in r for r in rows)
    assert not any("aws_default_vpc.default" in r for r in rows if r.startswith("vpc-isolated"))

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["vpc", "vpc-isolated"]
    cases = root.findall("testsuite/testcase")
    assert len(cases) == passed == sum(int(s.get("tests", "0")) for s in suites)
    assert root.findall(".//failure") == [] and all(s.get("failures") == "0" for s in suites)


def test_red_when_the_endpoint_refuses_the_calls(
    gateway: RunningGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _use(monkeypatch, gateway.admin.access_key_id, "not-the-secret")
    junit = tmp_path / "conformance.xml"
    status = main(
        [
            "conformance",
            "--endpoint",
            gateway.url,
            "--scenario",
            "vpc-isolated",
            "--junit",
            str(junit),
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert status == 1
    assert out[-1].startswith("0 passed, ") and not out[-1].endswith(" 0 failed")
    assert any("AuthFailure" in line or "SignatureDoesNotMatch" in line for line in out)
    root = ET.parse(junit).getroot()
    assert root.findall(".//failure") and root.find("testsuite").get("failures") != "0"


def test_list_names_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--endpoint", "aws", "--list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("vpc ") and "vpc-isolated" in out


def test_the_command_imports_nothing_of_the_gateway() -> None:
    """It must run against AWS itself: only conformance modules, botocore and the stdlib."""
    import ast

    source = Path(__file__).resolve().parents[2] / "hive_gateway" / "conformance" / "command.py"
    ours = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("hive_gateway")
        ):
            ours.add(node.module)
    assert ours and all(m.startswith("hive_gateway.conformance") for m in ours), ours
