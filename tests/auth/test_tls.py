"""Local CA + server certificate generation, checked with real TLS handshakes on loopback."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hive_gateway.process import tls
from hive_gateway.process.tls import CertPaths, ensure_certificates, server_ssl_context


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def sans(path: Path) -> tuple[set[str], set[str]]:
    ext = load(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(ext.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}
    return dns, ips


def snapshot(paths: CertPaths) -> dict[str, bytes]:
    return {
        name: getattr(paths, name).read_bytes()
        for name in ("ca_cert", "ca_key", "server_cert", "server_key")
    }


async def fetch(paths: CertPaths, host: str, cafile: Path | None) -> str:
    """Serve one route over TLS on 127.0.0.1 and GET it as ``https://host:port/``."""

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hello over tls")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(
        runner, "127.0.0.1", 0, ssl_context=server_ssl_context(paths.server_cert, paths.server_key)
    )
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        client_ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        connector = aiohttp.TCPConnector(ssl=client_ctx, resolver=_LoopbackResolver())
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"https://{host}:{port}/") as response,
        ):
            return await response.text()
    finally:
        await runner.cleanup()


class _LoopbackResolver(aiohttp.abc.AbstractResolver):
    """Resolve every name to 127.0.0.1 so DNS SANs can be exercised without /etc/hosts."""

    async def resolve(
        self, host: str, port: int = 0, family: int = 0
    ) -> list[aiohttp.abc.ResolveResult]:
        import socket

        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def test_generates_ca_and_server_certificate(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path / "config", "127.0.0.1")
    assert paths.ca_cert == tmp_path / "config" / "ca.pem"
    assert paths.server_cert.name == "server.pem" and paths.server_key.name == "server.key"
    for key in (paths.ca_key, paths.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600

    ca, server = load(paths.ca_cert), load(paths.server_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert (
        timedelta(days=3640)
        < ca.not_valid_after_utc - ca.not_valid_before_utc
        < timedelta(days=3660)
    )
    assert server.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert timedelta(days=360) < lifetime < timedelta(days=370)
    server.verify_directly_issued_by(ca)

    dns, ips = sans(paths.server_cert)
    assert dns == {"localhost"}
    assert ips == {"127.0.0.1", "::1"}


def test_bind_host_ip_and_dns_name_become_sans(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path, "10.11.12.13")
    assert "10.11.12.13" in sans(paths.server_cert)[1]
    paths = ensure_certificates(tmp_path / "b", "gw.hive.internal")
    assert sans(paths.server_cert)[0] == {"localhost", "gw.hive.internal"}
    paths = ensure_certificates(tmp_path / "c", "0.0.0.0")  # wildcard binds add nothing
    assert sans(paths.server_cert) == ({"localhost"}, {"127.0.0.1", "::1"})


def test_second_call_is_idempotent(tmp_path: Path) -> None:
    first = snapshot(ensure_certificates(tmp_path, "192.168.1.5"))
    second = snapshot(ensure_certificates(tmp_path, "192.168.1.5"))
    assert first == second


def test_bind_host_change_reissues_server_certificate_only(tmp_path: Path) -> None:
    before = snapshot(ensure_certificates(tmp_path, "192.168.1.5"))
    paths = ensure_certificates(tmp_path, "192.168.1.6")
    after = snapshot(paths)
    assert after["ca_cert"] == before["ca_cert"] and after["ca_key"] == before["ca_key"]
    assert after["server_cert"] != before["server_cert"]
    assert after["server_key"] != before["server_key"]
    _, ips = sans(paths.server_cert)
    assert {"192.168.1.6", "192.168.1.5", "127.0.0.1", "::1"} <= ips
    load(paths.server_cert).verify_directly_issued_by(load(paths.ca_cert))
    # a host that is already covered (including the old one) changes nothing
    assert snapshot(ensure_certificates(tmp_path, "192.168.1.5")) == after
    assert snapshot(ensure_certificates(tmp_path, "127.0.0.1")) == after


def test_server_certificate_near_expiry_is_renewed(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path, "127.0.0.1")
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, tls._ISSUER_KEY_TYPES)
    old_key, old_cert = tls._new_server(
        ca_key,
        load(paths.ca_cert),
        tls._wanted_sans("127.0.0.1"),
        datetime.now(UTC) - timedelta(days=340),  # expires in ~25 days
    )
    paths.server_cert.write_bytes(old_cert.public_bytes(serialization.Encoding.PEM))
    paths.server_key.write_bytes(tls._key_pem(old_key))
    renewed = load(ensure_certificates(tmp_path, "127.0.0.1").server_cert)
    assert renewed.not_valid_after_utc > datetime.now(UTC) + timedelta(days=300)


def test_server_certificate_from_another_ca_is_reissued(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path / "a", "127.0.0.1")
    other = ensure_certificates(tmp_path / "b", "127.0.0.1")
    paths.server_cert.write_bytes(other.server_cert.read_bytes())
    paths.server_key.write_bytes(other.server_key.read_bytes())
    ensure_certificates(tmp_path / "a", "127.0.0.1")
    load(paths.server_cert).verify_directly_issued_by(load(paths.ca_cert))


def test_existing_rsa_ca_from_hive_is_kept(tmp_path: Path) -> None:
    """Hive writes an RSA CA; a user who copies it over keeps the trust they installed."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hive CA")])
    now = datetime.now(UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    (tmp_path / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    paths = ensure_certificates(tmp_path, "127.0.0.1")
    assert paths.ca_cert.read_bytes() == ca_pem
    load(paths.server_cert).verify_directly_issued_by(ca)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "gw.hive.internal"])
async def test_tls_handshake_with_the_ca(tmp_path: Path, host: str) -> None:
    paths = ensure_certificates(tmp_path, "gw.hive.internal")
    assert await fetch(paths, host, paths.ca_cert) == "hello over tls"


async def test_tls_handshake_fails_for_uncovered_name_or_untrusted_ca(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path, "127.0.0.1")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await fetch(paths, "not-in-the-cert.example", paths.ca_cert)
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await fetch(paths, "localhost", None)  # system trust store only


def test_ipv6_san_is_a_real_address(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path, "[fd00::5]")
    ext = load(paths.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert ipaddress.ip_address("fd00::5") in ext.value.get_values_for_type(x509.IPAddress)
