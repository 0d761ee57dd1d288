"""The gateway's NATS authentication options against nats-servers configured for each (issue 11).

Token and user/password are also exercised by ``test_clear_failures`` / ``test_auth_hardening``;
here each option gets its own server, and a wrong secret must fail fast with a clear line.
Creds files (``--nats-creds``) run against a server in operator mode whose operator → account →
user JWT chain the test makes itself (:mod:`tests.reliability.nats_jwt`, no ``nsc`` needed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hive_gateway.process.tls import ensure_certificates
from tests.reliability.nats_jwt import chain, write_creds
from tests.reliability.procs import NatsProcess, nats_with_config, run_cli, start_gateway


def _client_cert(ca_cert: Path, ca_key: Path, directory: Path) -> tuple[Path, Path]:
    """A client certificate (clientAuth) signed by the test CA."""
    ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    issuer_key = serialization.load_pem_private_key(ca_key.read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hive-gateway")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_path, key_path = directory / "client.pem", directory / "client-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture
def tls_nats(tmp_path: Path) -> Iterator[tuple[NatsProcess, Path, Path, Path]]:
    """A nats-server requiring TLS with verified client certificates."""
    paths = ensure_certificates(tmp_path / "pki", "127.0.0.1")
    client_cert, client_key = _client_cert(paths.ca_cert, paths.ca_key, tmp_path / "pki")
    server = nats_with_config(
        tmp_path / "nats",
        "tls {\n"
        f'  cert_file: "{paths.server_cert}"\n  key_file: "{paths.server_key}"\n'
        f'  ca_file: "{paths.ca_cert}"\n  verify: true\n  timeout: 5\n'
        "}\n",
    )
    server.start()
    yield server, paths.ca_cert, client_cert, client_key
    server.stop()


def _identity_works(gateway_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
    gateway = start_gateway(gateway_dir, *args, "--no-builtin-node", tls=False, env=env)
    try:
        assert gateway.client("sts").get_caller_identity()["Account"] == "000000000001"
        assert "Vpcs" in gateway.client().describe_vpcs()
    finally:
        gateway.stop()


def test_tls_with_client_certificate(
    tmp_path: Path, tls_nats: tuple[NatsProcess, Path, Path, Path]
) -> None:
    """``--nats-tls-ca/--nats-tls-cert/--nats-tls-key`` reach a nats-server that requires TLS
    and verifies client certificates; without the client certificate the gateway exits non-zero
    at once with one ``hive-gateway: store unavailable`` line (no hang, no traceback)."""
    server, ca, cert, key = tls_nats
    url = f"tls://127.0.0.1:{server.port}"
    _identity_works(
        tmp_path / "gw", "--nats-url", url, "--nats-tls-ca", str(ca),
        "--nats-tls-cert", str(cert), "--nats-tls-key", str(key),
    )
    refused = run_cli(
        "accounts", "list", "--data-dir", str(tmp_path / "other"), "--nats-url", url,
        "--nats-tls-ca", str(ca), timeout=60,
    )
    assert refused.returncode != 0
    assert "hive-gateway: store unavailable" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_token(tmp_path: Path) -> None:
    """``--nats-token`` (here from ``HIVE_GATEWAY_NATS_TOKEN``) reaches a token-protected
    nats-server; a wrong token is a clear one-line failure."""
    server = nats_with_config(tmp_path / "nats", 'authorization { token: "t0ken-abc-123" }\n')
    server.start()
    try:
        _identity_works(tmp_path / "gw", "--nats-url", server.url,
                        env={"HIVE_GATEWAY_NATS_TOKEN": "t0ken-abc-123"})
        wrong = run_cli("accounts", "list", "--data-dir", str(tmp_path / "gw2"), "--nats-url",
                        server.url, "--nats-token", "nope", timeout=60)
        assert wrong.returncode != 0 and "store unavailable" in wrong.stderr, wrong.stderr
        assert "Traceback" not in wrong.stderr
    finally:
        server.stop()


def test_user_and_password(tmp_path: Path) -> None:
    """``--nats-user/--nats-password`` reach a user/password-protected nats-server; a wrong
    password is a clear one-line failure that does not echo the password."""
    server = nats_with_config(
        tmp_path / "nats", 'authorization { user: "gw", password: "pa55-word-xyz" }\n'
    )
    server.start()
    try:
        _identity_works(tmp_path / "gw", "--nats-url", server.url, "--nats-user", "gw",
                        "--nats-password", "pa55-word-xyz")
        wrong = run_cli("accounts", "list", "--data-dir", str(tmp_path / "gw2"), "--nats-url",
                        server.url, "--nats-user", "gw", "--nats-password", "wrong-pw-777",
                        timeout=60)
        assert wrong.returncode != 0 and "store unavailable" in wrong.stderr, wrong.stderr
        assert "wrong-pw-777" not in wrong.stderr + wrong.stdout
    finally:
        server.stop()


def test_creds_file(tmp_path: Path) -> None:
    """``--nats-creds`` (a user JWT and nkey seed) reaches a nats-server in operator mode with
    JetStream for the user's account; a user of an account the server does not trust is a
    clear one-line failure; the seed appears in no output."""
    made = chain()
    server = nats_with_config(tmp_path / "nats", made.server_config)
    server.start()
    try:
        creds = write_creds(tmp_path / "gw.creds", made.creds)
        seed = made.creds.split("-----BEGIN USER NKEY SEED-----\n")[1].split("\n")[0]
        gateway = start_gateway(
            tmp_path / "gw", "--nats-url", server.url, "--nats-creds", str(creds),
            "--no-builtin-node", tls=False,
        )  # fmt: skip
        try:
            assert gateway.client("sts").get_caller_identity()["Account"] == "000000000001"
            assert "Vpcs" in gateway.client().describe_vpcs()
        finally:
            output = gateway.stop()
        assert seed not in output
        info = (tmp_path / "gw" / "nats.json").read_text()
        assert seed not in info and str(creds) in info  # the path is kept, never the secret
        stranger = write_creds(tmp_path / "stranger.creds", made.other_account_creds)
        refused = run_cli(
            "accounts", "list", "--data-dir", str(tmp_path / "gw2"), "--nats-url", server.url,
            "--nats-creds", str(stranger), timeout=60,
        )  # fmt: skip
        assert refused.returncode != 0 and "store unavailable" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        server.stop()
