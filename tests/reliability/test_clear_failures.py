"""Clear failures: a busy NATS port and a gateway on an external store (issue 11).

Real ``hive-gateway serve`` processes on loopback; each test names the property it proves.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

from tests.fixtures.nats import NatsServer
from tests.reliability.procs import HIVE_GATEWAY, run_cli, start_gateway


def test_two_gateways_on_one_machine_both_start(tmp_path: Path) -> None:
    """Two ``serve`` with different data dirs and the default NATS port both start and serve:
    the second one's embedded server takes a free port (recorded in its ``nats.json``) instead of
    reaching the first one's server and failing with a misleading auth error."""
    first = start_gateway(tmp_path / "a")
    try:
        second = start_gateway(tmp_path / "b")
        try:
            urls = {
                json.loads((gw.data_dir / "nats.json").read_text())["url"] for gw in (first, second)
            }
            assert len(urls) == 2, urls
            for gw in (first, second):
                identity = gw.client("sts").get_caller_identity()
                assert identity["Account"] == "000000000001"
                assert gw.client().describe_vpcs()["Vpcs"]  # its own default VPC, its own store
            assert first.secret_key != second.secret_key
        finally:
            log = second.stop()
        assert "Authorization Violation" not in log
    finally:
        first.stop()


def test_explicit_busy_nats_port_is_a_one_line_error(tmp_path: Path) -> None:
    """``serve --nats-port P`` with P taken exits non-zero at once with one line naming P (and
    no authorization error)."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [HIVE_GATEWAY, "serve", "--data-dir", str(tmp_path / "d"), "--port", "0",
             "--nats-port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
        elapsed = time.monotonic() - started
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("hive-gateway:")]
    assert len(errors) == 1, result.stderr
    assert str(port) in errors[0] and "in use" in errors[0]
    assert "Authorization" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert elapsed < 30


def test_accounts_and_node_find_a_gateways_external_store(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    """A gateway on an external NATS records that store's URL (not its token) in the data dir;
    ``hive-gateway accounts`` and ``hive-gateway node`` on that data dir use it instead of
    silently creating a separate embedded store."""
    data_dir = tmp_path / "data"
    env = {"HIVE_GATEWAY_NATS_TOKEN": nats_server.token}
    prefix = f"t{int(time.time() * 1000) % 10**9}"
    gateway = start_gateway(
        data_dir, "--nats-url", nats_server.url, "--bucket-prefix", prefix, env=env
    )
    try:
        info_text = (data_dir / "nats.json").read_text()
        assert nats_server.token not in info_text
        assert json.loads(info_text)["url"] == nats_server.url

        created = run_cli("accounts", "create", "tenant-x", "--data-dir", str(data_dir),
                          "--bucket-prefix", prefix, env=env)
        assert created.returncode == 0, created.stderr
        account = json.loads(created.stdout)
        assert not (data_dir / "nats").exists(), "a separate embedded store was created"
        # The new key works against the running gateway: same store.
        tenant = gateway.client(
            "sts", access_key=account["AccessKeyId"], secret_key=account["SecretAccessKey"]
        )
        assert tenant.get_caller_identity()["Account"] == account["AccountId"]
        listed = run_cli("accounts", "list", "--data-dir", str(data_dir),
                         "--bucket-prefix", prefix, env=env)
        assert listed.returncode == 0 and "tenant-x" in listed.stdout, listed.stderr

        node = subprocess.Popen(
            [HIVE_GATEWAY, "node", "--data-dir", str(data_dir), "--bucket-prefix", prefix,
             "--wait", "5"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **env},
        )
        try:
            assert node.stdout is not None
            banner = ""
            deadline = time.monotonic() + 30
            while "hive-gateway node:" not in banner and time.monotonic() < deadline:
                banner = node.stdout.readline()
                if not banner and node.poll() is not None:
                    break
            assert f"on {nats_server.url}" in banner, banner
        finally:
            node.terminate()
            node.wait(20)
        assert not (data_dir / "nats").exists()
    finally:
        gateway.stop()
    # After the gateway stopped the record stays: accounts still reach the external store.
    again = run_cli("accounts", "list", "--data-dir", str(data_dir), "--bucket-prefix", prefix,
                    env=env)
    assert again.returncode == 0 and "tenant-x" in again.stdout, again.stderr
    assert not (data_dir / "nats").exists()
