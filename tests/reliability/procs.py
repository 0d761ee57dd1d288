"""Real processes for the reliability tests: ``hive-gateway serve`` and plain nats-servers.

Everything listens on loopback; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hive_gateway.process.embedded_nats import find_nats_server, free_port, wait_for_nats

BIN = Path(sys.executable).parent
HIVE_GATEWAY = str(BIN / "hive-gateway")


@dataclass
class Gateway:
    """A running ``hive-gateway serve``: its port, credentials and everything it printed."""

    process: subprocess.Popen[str]
    port: int
    data_dir: Path
    access_key: str
    secret_key: str
    ca_bundle: Path | None
    output: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.ca_bundle is not None else "http"
        return f"{scheme}://localhost:{self.port}"

    def client(self, service: str = "ec2", **config: Any) -> Any:
        """A boto3 client for this gateway (admin key unless given)."""
        import boto3
        from botocore.config import Config

        key = config.pop("access_key", self.access_key)
        secret = config.pop("secret_key", self.secret_key)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="ap-southeast-2",
            verify=str(self.ca_bundle) if self.ca_bundle else False,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(**config) if config else None,
        )

    _reader: threading.Thread | None = None

    def drain(self) -> None:
        """Keep reading its output in the background (a full pipe would block its logging, and
        with it the gateway's event loop)."""
        stdout = self.process.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                self.output.append(line)

        self._reader = threading.Thread(target=pump, daemon=True)
        self._reader.start()

    def stop(self, timeout: float = 30.0) -> str:
        """SIGTERM, wait, and return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(10)
        return "".join(self.output)


def start_gateway(
    data_dir: Path,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
    tls: bool = True,
) -> Gateway:
    """Start ``hive-gateway serve`` and wait until it printed its admin key."""
    port = port or free_port()
    command = [HIVE_GATEWAY, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if not tls:
        command.append("--no-tls")
    command += list(args)
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
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
        if key and secret and "export AWS_ACCESS_KEY_ID" in line:
            break
    else:
        process.kill()
        raise AssertionError("gateway did not announce itself:\n" + "".join(lines))
    assert key and secret
    gateway = Gateway(process, port, data_dir, key, secret, Path(ca) if ca else None, lines)
    gateway.drain()
    return gateway


@dataclass
class NatsProcess:
    """A nats-server started by a test (restartable with the same command)."""

    command: list[str]
    port: int
    store_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        with open(self.store_dir / "nats-server.log", "ab") as log_file:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 20.0) -> None:
        process = self.process
        assert process is not None
        wait_for_nats("127.0.0.1", self.port, timeout, is_alive=lambda: process.poll() is None)

    def kill(self) -> None:
        """SIGKILL (no shutdown at all)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        try:
            return (self.store_dir / "nats-server.log").read_text(errors="replace")
        except OSError:
            return ""


def nats_with_config(directory: Path, config_text: str, *, port: int | None = None) -> NatsProcess:
    """A nats-server (JetStream on, store under ``directory``) with extra config ``config_text``
    (``{port}`` and ``{store}`` are substituted)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = directory / "nats-server.conf"
    config.write_text(
        f"listen: 127.0.0.1:{port}\n"
        f"jetstream {{ store_dir: {json.dumps(str(directory / 'js'))} }}\n"
        + config_text.replace("{port}", str(port)).replace("{store}", str(directory))
    )
    config.chmod(0o600)
    return NatsProcess([str(find_nats_server()), "-c", str(config)], port, directory)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """``hive-gateway ARGS`` to completion."""
    return subprocess.run(
        [HIVE_GATEWAY, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
