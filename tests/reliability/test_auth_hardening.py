"""Auth hardening through a real ``hive-gateway serve`` (issue 11).

Requests are signed by botocore's own SigV4 signer, then altered the way an attacker would;
each must be refused. The gateway runs with DEBUG logging on an external nats-server that needs
a user and password, so the last test can grep the whole log for every secret.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.reliability.procs import Gateway, NatsProcess, nats_with_config, start_gateway

FORM = "application/x-www-form-urlencoded; charset=utf-8"
BODY = b"Action=DescribeVpcs&Version=2016-11-15"
REGION = "ap-southeast-2"
NATS_USER = "gateway"
NATS_PASSWORD = "pw-" + "s3cr3t-Nats-Passw0rd-xyz"


def signed(
    gateway: Gateway,
    body: bytes = BODY,
    *,
    service: str = "ec2",
    region: str = REGION,
    secret: str | None = None,
    at: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a POST signed like an SDK (botocore SigV4Auth)."""
    url = gateway.endpoint + "/"
    headers = {"Host": urlsplit(url).netloc, "Content-Type": FORM, **(extra_headers or {})}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = Credentials(gateway.access_key, secret or gateway.secret_key)
    if at is None:
        SigV4Auth(credentials, service, region).add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            SigV4Auth(credentials, service, region).add_auth(request)
    prepared = request.prepare()
    return dict(prepared.headers.items()), body


def send(
    gateway: Gateway, headers: dict[str, str], body: bytes, source: str = "127.0.0.1"
) -> tuple[int, str]:
    """POST to the gateway from ``source`` (any 127/8 address); (status, body)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", gateway.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("POST", "/", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def code_of(text: str) -> str:
    found = re.search(r"<Code>([^<]+)</Code>", text)
    return found.group(1) if found else text[:200]


@pytest.fixture(scope="module")
def nats_userpass(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsProcess]:
    server = nats_with_config(
        tmp_path_factory.mktemp("nats-userpass"),
        f'authorization {{ user: "{NATS_USER}", password: "{NATS_PASSWORD}" }}\n',
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, nats_userpass: NatsProcess
) -> Iterator[Gateway]:
    """DEBUG logging, user/password NATS, throttle off (these tests fail auth on purpose)."""
    running = start_gateway(
        tmp_path_factory.mktemp("gw-auth") / "data",
        "--nats-url", nats_userpass.url, "--nats-user", NATS_USER,
        "--auth-failure-limit", "0", "--no-builtin-node",
        tls=False,
        env={"HIVE_GATEWAY_NATS_PASSWORD": NATS_PASSWORD, "HIVE_GATEWAY_LOG_LEVEL": "DEBUG"},
    )
    yield running
    running.stop()


def test_correctly_signed_request_is_accepted(gateway: Gateway) -> None:
    """The baseline the refusals below alter: botocore-signed DescribeVpcs answers 200
    (and the gateway reached its user/password-protected NATS)."""
    status, text = send(gateway, *signed(gateway))
    assert status == 200, text


def test_wrong_service_in_scope_is_refused(gateway: Gateway) -> None:
    """A request signed for another service (``s3``, ``iam``) is not run as EC2."""
    for service in ("s3", "iam"):
        status, text = send(gateway, *signed(gateway, service=service))
        assert 400 <= status < 500 and "<Vpcs" not in text and "vpcSet" not in text, (status, text)
        assert code_of(text) in {"UnsupportedOperation", "SignatureDoesNotMatch", "AuthFailure"}


def test_wrong_region_in_scope_is_refused(gateway: Gateway) -> None:
    """A request signed for a region the gateway does not serve is an auth failure."""
    status, text = send(gateway, *signed(gateway, region="us-west-2"))
    assert status == 403 and code_of(text) == "AuthFailure", text


def test_replay_outside_the_skew_window_is_refused(gateway: Gateway) -> None:
    """A request signed six minutes ago (a replay past AWS's 5-minute skew) is refused; the
    same request signed now passes."""
    old = datetime.now(UTC) - timedelta(minutes=6)
    status, text = send(gateway, *signed(gateway, at=old))
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text
    assert "Signature expired" in text
    future = datetime.now(UTC) + timedelta(minutes=6)
    status, text = send(gateway, *signed(gateway, at=future))
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text


def test_tampered_body_is_refused(gateway: Gateway) -> None:
    """Changing one parameter of a signed body (DescribeVpcs → DeleteVpc) breaks the signature."""
    headers, _ = signed(gateway)
    tampered = b"Action=DeleteVpc&Version=2016-11-15&VpcId=vpc-00000000000000001"
    headers["Content-Length"] = str(len(tampered))
    status, text = send(gateway, headers, tampered)
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text


def test_tampered_signed_header_is_refused(gateway: Gateway) -> None:
    """Changing the value of a signed header (``X-Amz-Date`` within the window, and a custom
    signed header) breaks the signature."""
    headers, body = signed(gateway, extra_headers={"X-Custom-Signed": "a"})
    assert "x-custom-signed" in headers["Authorization"]
    changed = dict(headers, **{"X-Custom-Signed": "b"})
    status, text = send(gateway, changed, body)
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text
    stamp = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ") - timedelta(seconds=1)
    changed = dict(headers, **{"X-Amz-Date": stamp.strftime("%Y%m%dT%H%M%SZ")})
    status, text = send(gateway, changed, body)
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text


def test_wrong_secret_is_refused(gateway: Gateway) -> None:
    """A request signed with a guessed secret is refused."""
    status, text = send(gateway, *signed(gateway, secret="A" * 40))
    assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text


def test_secrets_never_reach_the_log(gateway: Gateway) -> None:
    """After signed requests (good and failing) at DEBUG level, the gateway's whole output holds
    neither the admin secret key, nor another account's secret, nor the NATS password — except
    the one place meant for it: the admin profile printed at start-up."""
    client = gateway.client()
    client.describe_vpcs()
    send(gateway, *signed(gateway, secret="B" * 40))
    log = gateway.stop()
    banner_end = max(i for i, line in enumerate(gateway.output) if "export AWS_ACCESS_KEY_ID" in line)
    after_banner = "".join(gateway.output[banner_end + 1 :])
    before_banner = "".join(gateway.output[: banner_end + 1])
    assert "DEBUG" in log, "the gateway was not logging at DEBUG"
    assert gateway.secret_key not in after_banner
    assert gateway.secret_key not in "".join(
        line for line in gateway.output[: banner_end + 1]
        if "aws_secret_access_key" not in line and "export AWS_ACCESS_KEY_ID" not in line
    )
    assert NATS_PASSWORD not in log
    assert "B" * 40 not in log
    assert len(before_banner) > 0


def test_repeated_failures_from_one_source_are_throttled(tmp_path: Path) -> None:
    """As Hive: N failed SigV4 attempts from one address within the window lock it out
    (``RequestLimitExceeded``, 503, even for a correct signature) while another address is
    unaffected; the lock expires after the lockout time. The embedded NATS token never appears
    in the log."""
    gateway = start_gateway(
        tmp_path / "data", "--nats-port", "0", "--no-builtin-node",
        "--auth-failure-limit", "5", "--auth-failure-window", "60", "--auth-lockout", "4",
        tls=False, env={"HIVE_GATEWAY_LOG_LEVEL": "DEBUG"},
    )
    try:
        for _ in range(5):
            status, text = send(gateway, *signed(gateway, secret="C" * 40))
            assert status == 403 and code_of(text) == "SignatureDoesNotMatch", text
        status, text = send(gateway, *signed(gateway))
        assert status == 503 and code_of(text) == "RequestLimitExceeded", text
        assert "Too many failed authentication attempts from 127.0.0.1" in text
        # Another source address is not locked out.
        status, text = send(gateway, *signed(gateway), source="127.0.0.2")
        assert status == 200, text
        time.sleep(4.5)
        status, text = send(gateway, *signed(gateway))
        assert status == 200, text
        # A request with no signature at all is not a failed attempt (health probes, mistakes).
        for _ in range(6):
            status, _ = send(gateway, {"Content-Type": FORM}, BODY)
            assert status == 403
        assert send(gateway, *signed(gateway))[0] == 200
    finally:
        log = gateway.stop()
    token = (tmp_path / "data" / "nats.token").read_text().strip()
    assert token and token not in log
