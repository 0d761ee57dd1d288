"""Fuzz, continued: slow clients and concurrent malformed requests never get a 5xx or a hang.

* a **body trickled** a byte at a time past the body timeout: the gateway answers
  ``RequestTimeout`` (400) and closes the connection, within the timeout and a margin;
* **headers trickled** slower than any request should take: the connection is answered or
  closed eventually, and meanwhile other clients are served normally;
* **concurrent malformed requests** (signed garbage, broken escapes, huge keys, unsigned junk,
  truncated bodies) from many threads at once: every answer is below 500 and the gateway still
  answers a well-formed request afterwards.
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kv.memory import MemoryStore
from kv.store import Store
from tests.fixtures.gateway import RunningGateway, start_gateway
from tests.fixtures.raw import send

BODY_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(
        memory, tmp_path_factory.mktemp("slow"), builtin_node=False, body_timeout=BODY_TIMEOUT
    )
    yield running
    running._stop()


def _port(gateway: RunningGateway) -> int:
    return int(gateway.url.rsplit(":", 1)[1])


def _read_all(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if b"</Response>" in data or b"</ErrorResponse>" in data:
            break
    return data


def test_a_trickled_body_is_cut_off_not_hung(gateway: RunningGateway) -> None:
    """A client that sends its headers, then a 1000-byte body one byte every 0.2 s, is answered
    ``RequestTimeout`` (a 4xx, never a 5xx) within the body timeout plus a margin, and the
    connection is closed; the gateway serves others meanwhile."""
    sock = socket.create_connection(("127.0.0.1", _port(gateway)), timeout=0.5)
    started = time.monotonic()
    try:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        answer = b""
        deadline = started + BODY_TIMEOUT + 10
        while time.monotonic() < deadline and not answer:
            try:
                sock.sendall(b"A")
            except OSError:
                break  # closed by the gateway
            time.sleep(0.2)
            sock.setblocking(False)
            try:
                answer = sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            finally:
                sock.setblocking(True)
                sock.settimeout(0.5)
        answer += _read_all(sock, time.monotonic() + 3)
        elapsed = time.monotonic() - started
    finally:
        sock.close()
    print(f"trickled body: answered after {elapsed:.1f}s: {answer[:60]!r}")
    assert elapsed < BODY_TIMEOUT + 8, elapsed
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:500]
        assert b"RequestTimeout" in answer, answer[:500]
        assert b"Connection: close" in answer or b"connection: close" in answer.lower()
    alive = gateway.client().describe_vpcs()
    assert "Vpcs" in alive


def test_trickled_headers_do_not_block_other_clients(gateway: RunningGateway) -> None:
    """Several clients trickling their headers a byte at a time hold only their own
    connections: a normal request is served promptly meanwhile, and no trickler gets a 5xx."""
    port = _port(gateway)
    tricklers = [socket.create_connection(("127.0.0.1", port), timeout=1) for _ in range(8)]
    try:
        header = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        for index in range(len(header) + 5):
            for sock in tricklers:
                try:
                    sock.sendall(header[index : index + 1] or b"x")
                except OSError:
                    pass
            if index % 10 == 0:
                started = time.monotonic()
                assert "Vpcs" in gateway.client().describe_vpcs()
                assert time.monotonic() - started < 5
            time.sleep(0.02)
        for sock in tricklers:
            sock.setblocking(False)
            try:
                answer = sock.recv(65536)
            except (BlockingIOError, OSError):
                continue
            if answer.startswith(b"HTTP/"):
                assert int(answer.split(b" ", 2)[1]) < 500, answer[:300]
    finally:
        for sock in tricklers:
            sock.close()


_MALFORMED: list[bytes] = [
    b"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=%ZZ",
    b"Action=CreateVpc&Version=2016-11-15&CidrBlock=" + b"9" * 5000,
    b"Action=RunInstances&Version=2016-11-15&MinCount=-1&MaxCount=99999999999999999999",
    b"Action=CreateTags&Version=2016-11-15&ResourceId.999999999=vpc-1&Tag.1.Key=a",
    b"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&IpPermissions.1.FromPort=NaN",
    b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=&Filter.1.Value.0=x",
    b"Action=\xff\xfe&Version=2016-11-15",
    b"Action=DeleteVpc&Version=2016-11-15&VpcId=" + b"%00" * 100,
    b"&&&===&&&",
    b"Action=" + b"A" * 10000,
    b"Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-0&CidrBlock=10.0.0.0/99",
    b"Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=vpc-1&EnableDnsSupport.Value=maybe",
]


def test_concurrent_malformed_requests_never_fail_the_server(gateway: RunningGateway) -> None:
    """200 malformed requests (signed and unsigned) from 16 threads at once: every answer is
    below 500, and a well-formed request still succeeds afterwards."""
    rng = random.Random(11)
    creds = gateway.admin

    def one(index: int) -> int:
        body = rng.choice(_MALFORMED)
        if index % 3 == 0:
            body = body[: rng.randrange(1, max(2, len(body)))]  # truncated
        signed = index % 4 != 0
        answer = send(
            gateway.url,
            body,
            access_key=creds.access_key_id if signed else None,
            secret_key=creds.secret_access_key if signed else None,
        )
        return answer.status

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(200)))
    assert all(status < 500 for status in statuses), sorted(set(statuses))
    assert "Vpcs" in gateway.client().describe_vpcs()
