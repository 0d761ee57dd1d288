"""AWS Signature Version 4 verification for incoming requests.

The canonical request, string to sign and signing key are computed by botocore's own
:class:`botocore.auth.SigV4Auth` (the code every boto3/awscli client signs with), driven with a
request rebuilt from what arrived on the wire. Nothing here re-implements SigV4 canonicalisation
or key derivation; this module only parses, checks the envelope (date, scope, expiry) and
compares the result in constant time.

Two forms are accepted, like AWS (Hive accepts only the first):

* header auth::

      Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261121/ap-southeast-2/ec2/aws4_request,
          SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6...
      X-Amz-Date: 20261121T000000Z

  (whitespace after the commas is optional, unlike Hive which splits on ``", "``);
* presigned query auth (``botocore.auth.SigV4QueryAuth``)::

      GET /?Action=DescribeRegions&Version=2016-11-15&X-Amz-Algorithm=AWS4-HMAC-SHA256
          &X-Amz-Credential=AKIAEXAMPLE%2F20261121%2Fap-southeast-2%2Fec2%2Faws4_request
          &X-Amz-Date=20261121T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host
          &X-Amz-Signature=...

Error codes are Hive's (hive.md §6); messages are AWS's own wording where AWS has one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final, Protocol
from urllib.parse import unquote_plus

from botocore.auth import EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from hive_gateway.core.errors import AwsError

__all__ = [
    "ALGORITHM",
    "AuthResult",
    "KeyLookup",
    "SigningKey",
    "credential_scope_service",
    "verify",
]

ALGORITHM: Final = "AWS4-HMAC-SHA256"
TERMINATOR: Final = "aws4_request"
_TIMESTAMP_FORMAT: Final = "%Y%m%dT%H%M%SZ"
_TIMESTAMP: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


def _parse_timestamp(text: str) -> datetime:
    """``20261203T104500Z`` (ISO 8601 basic format, UTC); ``ValueError`` for anything else.

    A regular expression and the constructor instead of ``strptime``, which cost more than the
    HMACs of the signature check and accepts fewer digits than the format shows."""
    found = _TIMESTAMP.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = (int(part) for part in found.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


#: S3's upper bound for ``X-Amz-Expires`` (the signing key itself is only valid for 7 days).
MAX_PRESIGN_EXPIRES: Final = 604800

_MSG_MISSING_TOKEN: Final = "Request is missing Authentication Token"
_MSG_INVALID_TOKEN: Final = "The security token included in the request is invalid."
_MSG_SIGNATURE_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_MSG_EC2_AUTH_FAILURE: Final = "AWS was not able to validate the provided access credentials"
_MSG_HOST_NOT_SIGNED: Final = (
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)

# Presigned-URL query parameters.
_Q_ALGORITHM: Final = "X-Amz-Algorithm"
_Q_CREDENTIAL: Final = "X-Amz-Credential"
_Q_DATE: Final = "X-Amz-Date"
_Q_EXPIRES: Final = "X-Amz-Expires"
_Q_SIGNED_HEADERS: Final = "X-Amz-SignedHeaders"
_Q_SIGNATURE: Final = "X-Amz-Signature"
_Q_SECURITY_TOKEN: Final = "X-Amz-Security-Token"
_PRESIGN_MARKERS: Final = frozenset({_Q_ALGORITHM, _Q_CREDENTIAL, _Q_SIGNATURE})


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An access key pair and the identity it belongs to (secret already decrypted)."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    user_name: str

    def __repr__(self) -> str:  # never print the secret
        return (
            f"SigningKey(access_key_id={self.access_key_id!r}, account_id={self.account_id!r}, "
            f"user_name={self.user_name!r})"
        )


class KeyLookup(Protocol):
    """Resolve an access key id; ``None`` for unknown *or inactive* keys."""

    async def __call__(self, access_key_id: str) -> SigningKey | None: ...


@dataclass(frozen=True, slots=True)
class AuthResult:
    """A verified request: who signed it and the credential scope it was signed for."""

    key: SigningKey
    service: str
    region: str
    date: datetime


@dataclass(frozen=True, slots=True)
class _Parsed:
    """The auth elements of a request, whichever form carried them."""

    credential: str
    signed_headers: str
    signature: str
    timestamp: str
    presigned: bool
    expires: int | None
    security_token: str | None
    #: Query pairs (decoded) that take part in the canonical query string.
    query_pairs: list[tuple[str, str]]


# --- small helpers ------------------------------------------------------------------------------


def _header_lists(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Lower-cased name → every value (aiohttp's ``CIMultiDictProxy.items()`` yields repeats)."""
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        out.setdefault(name.lower(), []).append(value)
    return out


def _first(headers: Mapping[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decode a raw query string into ordered pairs, keeping blanks.

    ``+`` decodes to a space: the Go SDK sends ``+`` but signs ``%20``, and every signer
    (botocore included) encodes a literal plus as ``%2B``, so the two readings never clash.
    """
    pairs: list[tuple[str, str]] = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _query_get(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key == name:
            return value
    return None


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def _incomplete(message: str) -> AwsError:
    return AwsError("IncompleteSignature", message)


def _mismatch(message: str = _MSG_SIGNATURE_MISMATCH) -> AwsError:
    return AwsError("SignatureDoesNotMatch", message)


def _hashed(value: str) -> str:
    """How AWS echoes an Authorization header back: SHA-256, base64 (never the raw text)."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()
    return base64.b64encode(digest).decode("ascii")


# --- parsing ------------------------------------------------------------------------------------


def _split_authorization(value: str) -> dict[str, str]:
    """``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` → its components.

    Raises ``IncompleteSignature`` for another algorithm or a component without ``=``
    (AWS: ``'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header:
    '…'``).
    """
    stripped = value.strip()
    algorithm, _, rest = stripped.partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    components: dict[str, str] = {}
    for raw in rest.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, component = item.partition("=")
        if not sep:
            raise _incomplete(
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{stripped}'"
            )
        components[name.strip()] = component.strip()
    return components


def _timestamp_from_date_header(value: str) -> str | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _fmt(parsed)


def _parse_header_auth(
    authorization: str, headers: Mapping[str, list[str]], raw_query: str
) -> _Parsed:
    components = _split_authorization(authorization)
    timestamp = _first(headers, "x-amz-date")
    if timestamp is None:
        date_header = _first(headers, "date")
        if date_header is not None:
            # AWS accepts an RFC 1123 Date header when X-Amz-Date is absent; an unparseable one
            # is reported like a malformed X-Amz-Date below.
            timestamp = _timestamp_from_date_header(date_header) or date_header
    problems: list[str] = []
    for name in ("Credential", "Signature", "SignedHeaders"):
        if not components.get(name):
            problems.append(f"Authorization header requires '{name}' parameter.")
    if not timestamp:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        problems.append(
            f"(Hashed with SHA-256 and encoded with Base64) Authorization={_hashed(authorization)}"
        )
        raise _incomplete(" ".join(problems))
    assert timestamp is not None
    return _Parsed(
        credential=components["Credential"],
        signed_headers=components["SignedHeaders"],
        signature=components["Signature"],
        timestamp=timestamp,
        presigned=False,
        expires=None,
        security_token=_first(headers, "x-amz-security-token"),
        query_pairs=_query_pairs(raw_query),
    )


def _parse_query_auth(pairs: list[tuple[str, str]]) -> _Parsed:
    algorithm = _query_get(pairs, _Q_ALGORITHM)
    if algorithm is not None and algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    values: dict[str, str] = {}
    problems: list[str] = []
    for name in (_Q_ALGORITHM, _Q_CREDENTIAL, _Q_SIGNATURE, _Q_SIGNED_HEADERS, _Q_DATE):
        value = _query_get(pairs, name)
        if not value:
            problems.append(f"AWS query-string parameters must include '{name}'.")
        else:
            values[name] = value
    if problems:
        problems.append("Re-examine the query-string parameters.")
        raise _incomplete(" ".join(problems))
    expires: int | None = None
    raw_expires = _query_get(pairs, _Q_EXPIRES)
    if raw_expires is not None:
        if not raw_expires.isdigit():
            raise _incomplete("X-Amz-Expires should be a number")
        expires = int(raw_expires)
        if expires > MAX_PRESIGN_EXPIRES:
            raise _incomplete("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
    return _Parsed(
        credential=values[_Q_CREDENTIAL],
        signed_headers=values[_Q_SIGNED_HEADERS],
        signature=values[_Q_SIGNATURE],
        timestamp=values[_Q_DATE],
        presigned=True,
        expires=expires,
        security_token=_query_get(pairs, _Q_SECURITY_TOKEN),
        # "The Canonical Query String must include all the query parameters ... except for
        # X-Amz-Signature" (botocore SigV4QueryAuth).
        query_pairs=[(k, v) for k, v in pairs if k != _Q_SIGNATURE],
    )


def _scope_parts(credential: str) -> list[str]:
    """``AKID/20261121/ap-southeast-2/ec2/aws4_request`` → its 5 parts, or ``IncompleteSignature``."""
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    return parts


# --- the public API -----------------------------------------------------------------------------


def credential_scope_service(
    headers: Mapping[str, str], query: str | Mapping[str, str]
) -> str | None:
    """The service named in the credential scope (``ec2``, ``sts``…), without verifying anything.

    For routing and for choosing an error envelope before authentication has run. ``query`` is
    the raw query string or an already-decoded mapping. ``None`` when no well-formed scope is
    present.
    """
    credential: str | None = None
    lists = _header_lists(headers)
    authorization = _first(lists, "authorization")
    if authorization is not None:
        try:
            credential = _split_authorization(authorization).get("Credential")
        except AwsError:
            return None
    else:
        if isinstance(query, str):
            credential = _query_get(_query_pairs(query), _Q_CREDENTIAL)
        else:
            credential = query.get(_Q_CREDENTIAL)
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) != 5 or not parts[3]:
        return None
    return parts[3]


class _VerifyingSigner(SigV4Auth):  # type: ignore[misc]  # botocore is untyped
    """botocore's SigV4 signer, told exactly which headers and payload hash the client signed."""

    def __init__(
        self,
        key: SigningKey,
        service: str,
        region: str,
        headers_to_sign: HTTPHeaders,
        payload_hash: str,
    ) -> None:
        super().__init__(Credentials(key.access_key_id, key.secret_access_key), service, region)
        self._signed = headers_to_sign
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash

    def compute(self, request: AWSRequest) -> str:
        """The hex signature botocore produces for ``request``."""
        canonical_request: str = self.canonical_request(request)
        string_to_sign: str = self.string_to_sign(request, canonical_request)
        signature: str = self.signature(string_to_sign, request)
        return signature


def _headers_to_sign(signed_headers: str, headers: Mapping[str, list[str]]) -> HTTPHeaders:
    """The client's ``SignedHeaders`` with the values that arrived, in botocore's header type."""
    names = [n.strip().lower() for n in signed_headers.split(";") if n.strip()]
    if "host" not in names:
        raise _mismatch(_MSG_HOST_NOT_SIGNED)
    signed = HTTPHeaders()
    for name in names:
        values = headers.get(name)
        if values is None:
            # The client claims to have signed a header that is not in the request.
            raise _mismatch()
        if name in signed:
            continue
        for value in values:
            signed[name] = value  # HTTPHeaders.__setitem__ appends: repeats are preserved
    return signed


def _check_time(parsed: _Parsed, moment: datetime, now: datetime, max_skew: timedelta) -> None:
    """AWS's clock checks; both failures are ``SignatureDoesNotMatch`` (not RequestExpired).

    Header auth: more than ``max_skew`` either way, e.g.
    ``Signature expired: 20261121T000000Z is now earlier than 20261121T005500Z
    (20261121T010000Z - 5 min.)``. Presigned: valid from ``X-Amz-Date - max_skew`` until
    ``X-Amz-Date + X-Amz-Expires`` (``max_skew`` when absent).
    """
    minutes = f"{int(max_skew.total_seconds() // 60)} min."
    latest = now + max_skew
    if moment > latest:
        raise _mismatch(
            f"Signature not yet current: {parsed.timestamp} is still later than "
            f"{_fmt(latest)} ({_fmt(now)} + {minutes})"
        )
    if parsed.presigned and parsed.expires is not None:
        window = timedelta(seconds=parsed.expires)
        if now > moment + window:
            raise _mismatch(
                f"Signature expired: {parsed.timestamp} is now earlier than "
                f"{_fmt(now - window)} ({_fmt(now)} - {parsed.expires} sec.)"
            )
        return
    earliest = now - max_skew
    if moment < earliest:
        raise _mismatch(
            f"Signature expired: {parsed.timestamp} is now earlier than "
            f"{_fmt(earliest)} ({_fmt(now)} - {minutes})"
        )


def _region_error(service: str, region: str) -> AwsError:
    """What AWS answers for a credential scope naming a region the endpoint does not serve.

    EC2 answers ``AuthFailure`` / "AWS was not able to validate the provided access
    credentials" (EC2 reports every scope problem that way, e.g. aws-sdk-java-v2#2981 signing
    for ``US-WEST-2``). The Query services on the common AWS front end (STS, IAM, SQS…) answer
    ``SignatureDoesNotMatch`` / "Credential should be scoped to a valid region, not 'xx'. "
    (trailing space included, as AWS sends it).
    """
    if service == "ec2":
        return AwsError("AuthFailure", _MSG_EC2_AUTH_FAILURE)
    return _mismatch(f"Credential should be scoped to a valid region, not '{region}'. ")


async def verify(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    lookup: KeyLookup,
    *,
    served_regions: set[str] | frozenset[str],
    accept_any_region: bool = False,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=5),
) -> AuthResult:
    """Verify a SigV4-signed request; return who signed it or raise :class:`AwsError`.

    ``raw_path``/``raw_query`` are exactly as on the request line (still percent-encoded);
    ``headers`` may be any mapping (aiohttp's case-insensitive multidict included: repeated
    headers are joined with ``,`` as SigV4 requires). The payload hash is the SHA-256 of
    ``body`` itself; a client-sent ``X-Amz-Content-SHA256`` that differs is rejected.

    Failures, in the order they are checked:

    ==========================================================  ==============================
    no ``Authorization`` and no ``X-Amz-*`` presign parameters   ``MissingAuthenticationToken``
    other algorithm, component without ``=``, missing component  ``IncompleteSignature``
    no ``X-Amz-Date``/``Date``, malformed date                   ``IncompleteSignature``
    credential not ``key/date/region/service/aws4_request``      ``IncompleteSignature``
    region not in ``served_regions``                             see :func:`_region_error`
    credential date ≠ request date, ``host`` not signed          ``SignatureDoesNotMatch``
    clock skew > ``max_skew`` / presigned URL expired            ``SignatureDoesNotMatch``
    ``X-Amz-Security-Token`` sent, unknown or inactive key        ``InvalidClientTokenId``
    ``X-Amz-Content-SHA256`` ≠ body hash, wrong signature        ``SignatureDoesNotMatch``
    ==========================================================  ==============================
    """
    lists = _header_lists(headers)
    authorization = _first(lists, "authorization")
    if authorization is not None:
        parsed = _parse_header_auth(authorization, lists, raw_query)
    else:
        pairs = _query_pairs(raw_query)
        if not any(key in _PRESIGN_MARKERS for key, _ in pairs):
            raise AwsError("MissingAuthenticationToken", _MSG_MISSING_TOKEN)
        parsed = _parse_query_auth(pairs)

    try:
        moment = _parse_timestamp(parsed.timestamp)
    except ValueError:
        raise _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{parsed.timestamp}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None

    access_key_id, scope_date, region, service, terminator = _scope_parts(parsed.credential)
    if terminator != TERMINATOR:
        # Hive: IncompleteSignature (hive.md §1.2); AWS words it like this but as
        # SignatureDoesNotMatch.
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'."
        )
    if not accept_any_region and region not in served_regions:
        raise _region_error(service, region)
    if scope_date != parsed.timestamp[:8]:
        raise _mismatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{parsed.timestamp[:8]}', from '{parsed.timestamp}'."
        )
    signed_headers = _headers_to_sign(parsed.signed_headers, lists)

    _check_time(parsed, moment, now or datetime.now(UTC), max_skew)

    if parsed.security_token is not None:
        # Keys issued here are long-term; AWS rejects a session token it did not issue this way.
        raise AwsError("InvalidClientTokenId", _MSG_INVALID_TOKEN)
    key = await lookup(access_key_id)
    if key is None or key.access_key_id != access_key_id:
        raise AwsError("InvalidClientTokenId", _MSG_INVALID_TOKEN)

    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256_HASH
    claimed = _first(lists, "x-amz-content-sha256")
    if claimed is not None and claimed.strip().lower() != body_hash:
        raise _mismatch()
    payload_candidates = [body_hash]
    if parsed.presigned and not body:
        # S3-style presigners sign the literal UNSIGNED-PAYLOAD; with no body nothing goes
        # unauthenticated by accepting it.
        payload_candidates.append(UNSIGNED_PAYLOAD)

    request = AWSRequest(
        method=method.upper(),
        url="https://gateway.invalid" + (raw_path or "/"),
        params=parsed.query_pairs,
    )
    request.context["timestamp"] = parsed.timestamp
    provided = parsed.signature.encode("ascii", "replace")
    for payload_hash in payload_candidates:
        signer = _VerifyingSigner(key, service, region, signed_headers, payload_hash)
        expected = signer.compute(request).encode("ascii")
        if hmac.compare_digest(expected, provided):
            return AuthResult(key=key, service=service, region=region, date=moment)
    raise _mismatch()
