"""EmbeddedNats against the real nats-server binary: start, supervise, stop, persistence."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from hive_gateway.process.embedded_nats import EmbeddedNats, EmbeddedNatsError, free_port
from kv.nats_store import NatsStore
from kv.store import StoreUnavailableError


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still "exists"; check it is not one.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_start_connect_and_stop(tmp_path: Path) -> None:
    async with EmbeddedNats(tmp_path / "nats", token="s3cret") as server:
        assert server.port != 0
        assert server.url == f"nats://127.0.0.1:{server.port}"
        pid = server.pid
        assert pid is not None and process_exists(pid)
        store = await NatsStore.connect(server.url, token="s3cret", timeout=5)
        try:
            await store.ping()
            bucket = await store.bucket("embedded")
            assert await bucket.put("k", b"v") > 0
        finally:
            await store.close()
        with pytest.raises(StoreUnavailableError):
            await NatsStore.connect(server.url, token="wrong", timeout=2)
        # The token is passed in a private config file, never on the command line.
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"s3cret" not in cmdline
        assert (tmp_path / "nats" / "nats-server.conf").stat().st_mode & 0o077 == 0
    assert server.pid is None
    assert not process_exists(pid)
    assert (tmp_path / "nats" / "nats-server.log").stat().st_size > 0


async def test_restarts_after_being_killed(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats", restart_backoff=0.1)
    await server.start()
    try:
        store = await NatsStore.connect(server.url, timeout=5)
        try:
            await store.ping()
            old_pid = server.pid
            assert old_pid is not None
            os.kill(old_pid, signal.SIGKILL)
            for _ in range(200):
                if server.restarts == 1 and server.pid not in (None, old_pid):
                    break
                await asyncio.sleep(0.05)
            assert server.restarts == 1
            assert server.pid not in (None, old_pid)
            await server.wait_running(timeout=10)
            # The already connected client reconnects to the restarted server by itself.
            for _ in range(100):
                try:
                    await store.ping()
                    break
                except StoreUnavailableError:
                    await asyncio.sleep(0.1)
            await store.ping()
        finally:
            await store.close()
    finally:
        await server.stop()
    assert not process_exists(old_pid)


async def test_data_persists_across_stop_and_start(tmp_path: Path) -> None:
    store_dir = tmp_path / "nats"
    async with EmbeddedNats(store_dir) as server:
        store = await NatsStore.connect(server.url, timeout=5)
        try:
            bucket = await store.bucket("persist")
            revision = await bucket.put("000000000001.vpc-1", b'{"vpc_id":"vpc-1"}')
        finally:
            await store.close()
    async with EmbeddedNats(store_dir) as server:  # new port, same data
        store = await NatsStore.connect(server.url, timeout=5)
        try:
            bucket = await store.bucket("persist")
            entry = await bucket.get("000000000001.vpc-1")
            assert entry is not None
            assert (entry.value, entry.revision) == (b'{"vpc_id":"vpc-1"}', revision)
            version = await bucket.get("_version")
            assert version is not None and version.value == b"1"
        finally:
            await store.close()


async def test_start_fails_cleanly_when_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = EmbeddedNats(tmp_path / "nats", port=port, start_timeout=5)
        with pytest.raises(EmbeddedNatsError):
            await server.start()
        assert server.pid is None
        await server.stop()


async def test_connect_to_nothing_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError):
        await NatsStore.connect(f"nats://127.0.0.1:{free_port()}", timeout=1)


async def test_store_unavailable_while_server_down_then_recovers(tmp_path: Path) -> None:
    store_dir = tmp_path / "nats"
    first = EmbeddedNats(store_dir)
    await first.start()
    port = first.port
    store = await NatsStore.connect(first.url, timeout=1)
    try:
        bucket = await store.bucket("outage")
        await bucket.put("k", b"before")
        await first.stop()
        for _ in range(100):  # until the client notices the connection is gone
            try:
                await store.ping()
            except StoreUnavailableError:
                break
            await asyncio.sleep(0.05)
        with pytest.raises(StoreUnavailableError):
            await store.ping()
        with pytest.raises(StoreUnavailableError):
            await bucket.get("k")
        with pytest.raises(StoreUnavailableError):
            await bucket.put("k", b"during outage")
        with pytest.raises(StoreUnavailableError):
            await bucket.keys()

        async with EmbeddedNats(store_dir, port=port):
            for _ in range(100):
                try:
                    await store.ping()
                    break
                except StoreUnavailableError:
                    await asyncio.sleep(0.1)
            entry = await bucket.get("k")
            # The write refused during the outage was not buffered and replayed.
            assert entry is not None and entry.value == b"before"
            await bucket.put("k", b"after")
            assert [e.value for e in await bucket.entries()] == [b"after"]
    finally:
        await store.close()
        await first.stop()
