"""Local CA and server certificate, generated on first start like Hive's admin tooling.

Hive (``admin.go GenerateCertificatesIfNeeded``) writes ``ca.pem``/``ca.key`` and
``server.pem``/``server.key`` into its config directory, and users point the AWS CLI or Terraform
at ``ca.pem`` (``ca_bundle``). We keep the same file names and the same certificate profile:

* CA: self-signed, ``CA:TRUE``, keyCertSign/cRLSign, valid 10 years;
* server: CN ``localhost``, SANs DNS ``localhost``, IP ``127.0.0.1``, ``::1`` and the bind host
  (as an IP or DNS SAN; wildcard binds such as ``0.0.0.0`` are skipped), EKU serverAuth,
  valid ~1 year.

Keys are **ECDSA P-256** instead of Hive's RSA 4096: generation takes milliseconds rather than
seconds, and every client we care about (botocore/urllib3, Go's crypto/tls in Terraform, curl)
speaks ECDHE-ECDSA. Private keys are written with mode 0600, files are replaced atomically.

On later starts the CA is reused untouched. The server certificate is regenerated (with the same
CA) when it is missing, expired or within 30 days of expiry, lacks a SAN for the current bind
host, or was not issued by the current CA.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_VALIDITY",
    "RENEW_BEFORE",
    "SERVER_VALIDITY",
    "CertPaths",
    "ensure_certificates",
    "server_ssl_context",
]

log = logging.getLogger(__name__)

CA_VALIDITY: Final = timedelta(days=3650)
SERVER_VALIDITY: Final = timedelta(days=365)
#: A server certificate this close to expiry is replaced at start-up.
RENEW_BEFORE: Final = timedelta(days=30)
#: Backdating absorbs small clock differences between this host and its clients.
_BACKDATE: Final = timedelta(minutes=5)
_ORGANISATION: Final = "Hive Gateway"
_WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::", "*"})

SanEntry = x509.DNSName | x509.IPAddress


@dataclass(frozen=True, slots=True)
class CertPaths:
    """Where the certificates live; ``ca_cert`` is what clients use as their CA bundle."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path


# --- file helpers -------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory (created with ``mode``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """Serialise generation between processes sharing ``directory`` (two gateways starting)."""
    fd = os.open(directory / ".certs.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


IssuerKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_ISSUER_KEY_TYPES: Final = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


def _key_pem(key: IssuerKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> IssuerKey | None:
    """Any signing-capable key (Hive's own RSA files are reused as they are)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if isinstance(key, _ISSUER_KEY_TYPES):
        return key
    return None


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _matches(cert: x509.Certificate, key: IssuerKey) -> bool:
    return _spki(cert.public_key()) == _spki(key.public_key())


def _sign_hash(key: IssuerKey) -> hashes.SHA256 | None:
    """Ed25519/Ed448 sign without a separate digest; everything else with SHA-256."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hashes.SHA256()


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


# --- SANs ---------------------------------------------------------------------------------------


def _host_san(bind_host: str) -> SanEntry | None:
    """The SAN naming ``bind_host`` (IP or DNS), or ``None`` for wildcard binds."""
    host = bind_host.strip().strip("[]")
    if host in _WILDCARD_HOSTS:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return x509.DNSName(host.lower().rstrip("."))
    if address.is_unspecified:
        return None
    return x509.IPAddress(address)


def _wanted_sans(bind_host: str) -> list[SanEntry]:
    sans: list[SanEntry] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    extra = _host_san(bind_host)
    if extra is not None and extra not in sans:
        sans.append(extra)
    return sans


def _cert_sans(cert: x509.Certificate) -> list[SanEntry]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [n for n in ext.value if isinstance(n, (x509.DNSName, x509.IPAddress))]


# --- generation ---------------------------------------------------------------------------------


def _new_ca(now: datetime) -> tuple[IssuerKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{_ORGANISATION} Local CA"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_server(
    ca_key: IssuerKey,
    ca_cert: x509.Certificate,
    sans: list[SanEntry],
    now: datetime,
) -> tuple[IssuerKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANISATION),
                    x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + SERVER_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, _sign_hash(ca_key))
    )
    return key, cert


# --- checks -------------------------------------------------------------------------------------


def _ca_usable(key: IssuerKey | None, cert: x509.Certificate | None, now: datetime) -> bool:
    if key is None or cert is None:
        return False
    if not _matches(cert, key):
        return False
    return cert.not_valid_after_utc > now + RENEW_BEFORE


def _server_reason(
    cert: x509.Certificate | None,
    key: IssuerKey | None,
    ca_cert: x509.Certificate,
    sans: list[SanEntry],
    now: datetime,
) -> str | None:
    """Why the server certificate must be replaced, or ``None`` if it is fine."""
    if cert is None or key is None:
        return "missing"
    if not _matches(cert, key):
        return "key does not match certificate"
    if cert.not_valid_after_utc <= now + RENEW_BEFORE:
        return "expired or about to expire"
    if cert.issuer != ca_cert.subject:
        return "not issued by the current CA"
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return "not issued by the current CA"
    present = _cert_sans(cert)
    missing = [san for san in sans if san not in present]
    if missing:
        return f"missing SAN(s) {', '.join(str(s.value) for s in missing)}"
    return None


def ensure_certificates(directory: Path, bind_host: str) -> CertPaths:
    """Create (or repair) the CA and server certificate in ``directory``; return their paths.

    Idempotent: a second call with the same bind host changes nothing. A new bind host only
    re-issues ``server.pem``/``server.key``; ``ca.pem`` stays the same so installed trust keeps
    working. The CA is replaced only when it is missing, unreadable, does not match its key or
    expires within 30 days (a warning is logged: clients must trust the new ``ca.pem``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = CertPaths(
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca.key",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
    )
    with _directory_lock(directory):
        now = datetime.now(UTC)
        ca_key = _load_key(paths.ca_key)
        ca_cert = _load_cert(paths.ca_cert)
        if ca_key is None or ca_cert is None or not _ca_usable(ca_key, ca_cert, now):
            if paths.ca_cert.exists():
                log.warning(
                    "replacing unusable CA in %s: clients must trust the new ca.pem", directory
                )
            ca_key, ca_cert = _new_ca(now)
            _write_atomic(paths.ca_key, _key_pem(ca_key), 0o600)
            _write_atomic(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
        sans = _wanted_sans(bind_host)
        reason = _server_reason(
            _load_cert(paths.server_cert), _load_key(paths.server_key), ca_cert, sans, now
        )
        if reason is not None:
            log.info("issuing server certificate in %s (%s)", directory, reason)
            # Keep SANs of the previous certificate (an earlier bind host stays valid).
            previous = _load_cert(paths.server_cert)
            for san in _cert_sans(previous) if previous is not None else []:
                if san not in sans:
                    sans.append(san)
            server_key, server_cert = _new_server(ca_key, ca_cert, sans, now)
            _write_atomic(paths.server_key, _key_pem(server_key), 0o600)
            _write_atomic(
                paths.server_cert, server_cert.public_bytes(serialization.Encoding.PEM), 0o644
            )
    return paths


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2+, ALPN ``http/1.1``) serving ``cert`` with ``key``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    context.set_alpn_protocols(["http/1.1"])
    return context
