"""Key pairs: ``CreateKeyPair``, ``ImportKeyPair``, ``DescribeKeyPairs``, ``DeleteKeyPair``.

AWS behaviour reproduced:

* **Real keys.** ``CreateKeyPair`` generates RSA-2048 (default) or Ed25519 keys and returns the
  private key once, in ``KeyMaterial``: PEM (RSA as PKCS#1 ``BEGIN RSA PRIVATE KEY``, Ed25519
  in OpenSSH's ``BEGIN OPENSSH PRIVATE KEY`` container, as AWS does) or PuTTY's PPK (version 2,
  unencrypted). Only the public key is kept.
* **Fingerprints** exactly as AWS's "Verify the fingerprint of your key pair" page defines them:

  ========================  =======================================================
  created RSA               SHA-1 of the DER PKCS#8 private key, colon-separated hex
  imported RSA              MD5 of the DER SubjectPublicKeyInfo, colon-separated hex
  Ed25519 (either way)      base64 SHA-256 of the OpenSSH public-key blob, **with**
                            ``=`` padding (AWS: "Amazon EC2 might append padding …
                            other tools, such as ssh-keygen, might omit this padding")
  ========================  =======================================================

  e.g. ``1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f`` (created RSA) and
  ``nxW+UGHVvcXk8xh6mqqgtn8LTvCyUE2vYq0UVoKMrvM=`` (Ed25519; ``ssh-keygen -l`` prints the same
  digest as ``SHA256:nxW+UGHVvcXk8xh6mqqgtn8LTvCyUE2vYq0UVoKMrvM``).
* **Import formats**: OpenSSH public keys (``ssh-rsa``, ``ssh-ed25519``,
  ``ecdsa-sha2-nistp256/384/521``), PEM (``BEGIN PUBLIC KEY`` / ``BEGIN RSA PUBLIC KEY``),
  base64 DER SubjectPublicKeyInfo, and RFC 4716 (``---- BEGIN SSH2 PUBLIC KEY ----``). Anything
  else, and RSA keys outside 1024–4096 bits, is ``InvalidKey.Format`` ("Key is not in valid
  OpenSSH public key format"). Deviation: real EC2 refuses ECDSA keys; we accept them (Hive
  guests can use them) and report them without ``KeyType``, since the API's enum has only
  ``rsa``/``ed25519``; their fingerprint is the SHA-256 form.
* **Names** are unique per account (``InvalidKeyPair.Duplicate``: "The keypair 'k' already
  exists."), up to 255 ASCII characters. Uniqueness is a *claim* on ``<sha256-hex(name)>`` in
  the :data:`~hive_gateway.core.claims.KEY_PAIR_NAMES` space, taken before the record is
  written — so ten concurrent imports of one name make exactly one key pair. A claim whose key
  pair never appeared (a crash between the two writes) is taken over once stale.
* ``DescribeKeyPairs``: unknown names/ids are ``InvalidKeyPair.NotFound`` ("The key pair 'k' does
  not exist"); ``IncludePublicKey`` adds ``PublicKey``; filters ``key-pair-id``, ``key-name``,
  ``fingerprint``, ``key-type``, ``tag:<k>``, ``tag-key``, ``tag-value``.
* ``DeleteKeyPair`` (by ``KeyName`` or ``KeyPairId``) is idempotent: a missing key pair is
  success (``<return>true</return>``) — the Terraform provider has no NotFound tolerance there.

Records (``<prefix>-key-pairs``, key ``<account>.<key-pair-id>``; Hive keeps key pairs in S3, so
the bucket is the gateway's): ``{key_pair_id, key_name, key_type, key_fingerprint, public_key
(OpenSSH text), origin, tags, created_at, account_id}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from hive_gateway.core import claims, clock, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value, missing_parameter
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

KEY_PAIR: Final = KINDS["key-pair"]
MAX_NAME_LENGTH: Final = 255
RSA_CREATE_BITS: Final = 2048
RSA_IMPORT_BITS: Final = (1024, 4096)

PublicKey: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

#: OpenSSH algorithm name → our key type (``None``: accepted, but the API has no KeyType for it).
SSH_ALGORITHMS: Final[dict[str, str]] = {
    "ssh-rsa": "rsa",
    "ssh-ed25519": "ed25519",
    "ecdsa-sha2-nistp256": "ecdsa",
    "ecdsa-sha2-nistp384": "ecdsa",
    "ecdsa-sha2-nistp521": "ecdsa",
}
ACCEPTED_CURVES: Final = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
API_KEY_TYPES: Final = frozenset({"rsa", "ed25519"})


# --- errors --------------------------------------------------------------------------------------


def invalid_key_format() -> AwsError:
    """AWS's one answer to public key material it cannot use."""
    return AwsError("InvalidKey.Format", "Key is not in valid OpenSSH public key format")


def duplicate(name: str) -> AwsError:
    """A key pair of that name already exists in the account."""
    return AwsError("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")


def not_found(name_or_id: str) -> AwsError:
    """``InvalidKeyPair.NotFound`` naming a key name or key pair id."""
    return KEY_PAIR.not_found(name_or_id)


def check_key_name(name: str | None) -> str:
    """A usable key name: 1–255 ASCII characters (AWS's constraint)."""
    if not name:
        raise missing_parameter("KeyName")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid_parameter_value(
            f"Value ({name}) for parameter keyName is invalid. "
            f"Length exceeds maximum of {MAX_NAME_LENGTH} characters."
        )
    if not name.isascii():
        raise invalid_parameter_value(
            f"Value ({name}) for parameter keyName is invalid. "
            "Character sets beyond ASCII are not supported."
        )
    return name


# --- fingerprints ----------------------------------------------------------------------------------


def colon_hex(digest: bytes) -> str:
    """``ab:cd:…``: how EC2 spells MD5/SHA-1 fingerprints."""
    return ":".join(f"{byte:02x}" for byte in digest)


def openssh_blob(public_key: PublicKey) -> bytes:
    """The SSH wire-format public key (the base64 field of an OpenSSH public key line)."""
    line = public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return base64.b64decode(line.split()[1])


def sha256_fingerprint(public_key: PublicKey) -> str:
    """Base64 SHA-256 of the OpenSSH blob, padded as EC2 prints it (Ed25519, ECDSA)."""
    return base64.b64encode(hashlib.sha256(openssh_blob(public_key)).digest()).decode("ascii")


def imported_rsa_fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """MD5 of the DER SubjectPublicKeyInfo (``openssl pkey -pubout -outform DER | openssl md5 -c``)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return colon_hex(hashlib.md5(der, usedforsecurity=False).digest())


def created_rsa_fingerprint(private_key: rsa.RSAPrivateKey) -> str:
    """SHA-1 of the DER PKCS#8 private key (``openssl pkcs8 -topk8 -outform DER | openssl sha1 -c``)."""
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return colon_hex(hashlib.sha1(der, usedforsecurity=False).digest())


def imported_fingerprint(public_key: PublicKey) -> str:
    """The fingerprint EC2 gives an imported public key."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return imported_rsa_fingerprint(public_key)
    return sha256_fingerprint(public_key)


# --- parsing imported public keys --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedKey:
    """A public key accepted by ``ImportKeyPair``."""

    key_type: str
    public_key: str
    """OpenSSH text: ``<algorithm> <base64 blob>[ <comment>]``."""
    fingerprint: str


def _openssh_line(public_key: PublicKey, comment: str) -> str:
    line = public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode("ascii")
    return f"{line} {comment}" if comment else line


def _from_openssh(text: bytes) -> tuple[Any, str]:
    """``ssh-ed25519 AAAA… comment`` → (key, comment)."""
    fields = text.split(None, 2)
    if len(fields) < 2 or fields[0].decode("ascii", "replace") not in SSH_ALGORITHMS:
        raise ValueError("not an OpenSSH public key")
    key = serialization.load_ssh_public_key(fields[0] + b" " + fields[1])
    comment = fields[2].decode("utf-8", "replace").strip() if len(fields) == 3 else ""
    return key, comment


def _from_rfc4716(text: bytes) -> tuple[Any, str]:
    """An RFC 4716 (``---- BEGIN SSH2 PUBLIC KEY ----``) key → (key, comment)."""
    lines = text.replace(b"\r\n", b"\n").replace(b"\\\n", b"").split(b"\n")
    lines = [line.strip() for line in lines if line.strip()]
    if (
        lines[0] != b"---- BEGIN SSH2 PUBLIC KEY ----"
        or lines[-1] != b"---- END SSH2 PUBLIC KEY ----"
    ):
        raise ValueError("bad RFC 4716 armour")
    body: list[bytes] = []
    comment = ""
    for line in lines[1:-1]:
        if b":" in line and not body:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"comment":
                comment = value.strip().strip(b'"').decode("utf-8", "replace")
            continue
        body.append(line)
    blob = base64.b64decode(b"".join(body), validate=True)
    algorithm_length = int.from_bytes(blob[:4], "big")
    algorithm = blob[4 : 4 + algorithm_length]
    return _from_openssh(algorithm + b" " + base64.b64encode(blob))[0], comment


def _load(material: bytes, *, nested: bool = False) -> tuple[Any, str]:
    """Any accepted encoding of a public key → (key, comment); raises ``ValueError``."""
    text = material.strip()
    if text.startswith(b"---- BEGIN SSH2 PUBLIC KEY"):
        return _from_rfc4716(text)
    if text.startswith(b"-----BEGIN"):
        return serialization.load_pem_public_key(text), ""
    first = text.split(None, 1)[0] if text else b""
    if first.decode("ascii", "replace") in SSH_ALGORITHMS:
        return _from_openssh(text)
    if nested:  # "Base64 encoded DER format": the DER itself
        return serialization.load_der_public_key(material), ""
    # base64 DER, or an SDK that base64-encoded the key text once more by itself
    return _load(base64.b64decode(b"".join(text.split()), validate=True), nested=True)


def parse_public_key_material(material: bytes) -> ImportedKey:
    """``ImportKeyPair``'s ``PublicKeyMaterial`` (already base64-decoded off the wire).

    Raises ``InvalidKey.Format`` for anything that is not an accepted key.
    """
    try:
        key, comment = _load(material)
    except (ValueError, UnsupportedAlgorithm, binascii.Error, IndexError, UnicodeError) as exc:
        raise invalid_key_format() from exc
    if isinstance(key, rsa.RSAPublicKey):
        low, high = RSA_IMPORT_BITS
        if not low <= key.key_size <= high:
            raise invalid_key_format()
        key_type = "rsa"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type = "ed25519"
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ACCEPTED_CURVES):
        key_type = "ecdsa"
    else:  # DSA, Ed448, X25519, other curves
        raise invalid_key_format()
    return ImportedKey(key_type, _openssh_line(key, comment), imported_fingerprint(key))


# --- created keys and PuTTY's PPK --------------------------------------------------------------


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _ssh_mpint(value: int) -> bytes:
    """RFC 4251 mpint: big-endian two's complement, a leading zero byte when the top bit is set."""
    if value == 0:
        return _ssh_string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return _ssh_string(raw)


def _ppk_private_blob(private_key: PrivateKey) -> bytes:
    """PuTTY's private half: RSA ``d, p, q, iqmp`` mpints; Ed25519 the little-endian secret."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        numbers = private_key.private_numbers()
        return b"".join(_ssh_mpint(n) for n in (numbers.d, numbers.p, numbers.q, numbers.iqmp))
    secret = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    # PuTTY stores the secret as a little-endian integer without its high zero bytes.
    return _ssh_string(secret.rstrip(b"\x00"))


def _wrap64(data: bytes) -> list[str]:
    text = base64.b64encode(data).decode("ascii")
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def ppk_v2(private_key: PrivateKey, comment: str) -> str:
    """An unencrypted ``PuTTY-User-Key-File-2`` of ``private_key`` (what PuTTY/puttygen read).

    The MAC is HMAC-SHA-1 keyed with SHA-1(``"putty-private-key-file-mac-key"`` + empty
    passphrase) over the algorithm, encryption, comment, public and private blobs, each as an
    SSH string.
    """
    public_key: PublicKey = private_key.public_key()
    public_blob = openssh_blob(public_key)
    algorithm = public_blob[4 : 4 + int.from_bytes(public_blob[:4], "big")].decode("ascii")
    private_blob = _ppk_private_blob(private_key)
    mac_key = hashlib.sha1(b"putty-private-key-file-mac-key").digest()
    mac_data = b"".join(
        _ssh_string(part)
        for part in (algorithm.encode(), b"none", comment.encode(), public_blob, private_blob)
    )
    mac = hmac.new(mac_key, mac_data, hashlib.sha1).hexdigest()
    public_lines, private_lines = _wrap64(public_blob), _wrap64(private_blob)
    return "\n".join(
        [
            f"PuTTY-User-Key-File-2: {algorithm}",
            "Encryption: none",
            f"Comment: {comment}",
            f"Public-Lines: {len(public_lines)}",
            *public_lines,
            f"Private-Lines: {len(private_lines)}",
            *private_lines,
            f"Private-MAC: {mac}",
            "",
        ]
    )


def _pem(private_key: PrivateKey, comment: str) -> str:
    """RSA as PKCS#1 PEM; Ed25519 in the OpenSSH container (it has no PKCS#1 form)."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        encoded = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    else:
        encoded = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    return encoded.decode("ascii")


#: KeyFormat → private key rendering.
KEY_FORMATS: Final[dict[str, Callable[[PrivateKey, str], str]]] = {"pem": _pem, "ppk": ppk_v2}


def _generate(key_type: str) -> tuple[PrivateKey, str]:
    """A new private key of ``key_type`` and its EC2 fingerprint."""
    if key_type == "ed25519":
        ed_key = ed25519.Ed25519PrivateKey.generate()
        return ed_key, sha256_fingerprint(ed_key.public_key())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_CREATE_BITS)
    return rsa_key, created_rsa_fingerprint(rsa_key)


# --- records, name claims ----------------------------------------------------------------------


def _name_claim(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def is_claim(record: Mapping[str, Any]) -> bool:
    """Whether a value of the key-pair bucket is a name claim of an earlier version (these now
    live in the :data:`~hive_gateway.core.claims.KEY_PAIR_NAMES` space) rather than a key pair."""
    return bool(record.get("name_claim"))


KEYS: Final = records.documents_of(KEY_PAIR)
"""The key-pair bucket by key: key pairs (``<account>.<key-id>``) and name claims."""


async def _named(ctx: RequestContext, name: str) -> list[Record]:
    """The caller's key pairs named ``name``."""
    found = await records.where(ctx, KEY_PAIR, live_only=False, key_name=name)
    return [record for record in found if not is_claim(record)]


async def _claim_name(ctx: RequestContext, name: str, key_pair_id: str) -> None:
    """Reserve ``name`` for ``key_pair_id``; ``InvalidKeyPair.Duplicate`` if it is taken.

    Another key pair's claim stands while that key pair exists, or while the claim is young (an
    import in progress); a stale one (:data:`~hive_gateway.core.claims.KEY_PAIR_NAMES`) is taken
    over. A key pair stored before names were claimed in their own space also keeps its name.
    """

    async def held(current: Record) -> bool | None:
        return True if await records.find(ctx, KEY_PAIR, str(current["holder"])) else None

    claim = await claims.take(
        ctx, claims.KEY_PAIR_NAMES, _name_claim(name), key_pair_id, data={"name": name}, held=held
    )
    if not claim.ours:
        raise duplicate(name)
    if any(record["key_pair_id"] != key_pair_id for record in await _named(ctx, name)):
        await _release_name(ctx, name, key_pair_id)
        raise duplicate(name)


async def _release_name(ctx: RequestContext, name: str, key_pair_id: str) -> None:
    """Drop the claim on ``name`` if it still belongs to ``key_pair_id``."""
    await claims.release(ctx, claims.KEY_PAIR_NAMES, _name_claim(name), key_pair_id)


async def _store(
    ctx: RequestContext,
    name: str,
    key_type: str,
    fingerprint: str,
    public_key: str,
    origin: str,
    tags: dict[str, str],
) -> Record:
    """Claim ``name`` and write the key pair record; returns it."""
    key_pair_id = new_id("key-pair")
    await _claim_name(ctx, name, key_pair_id)
    record: Record = {
        "key_pair_id": key_pair_id,
        "key_name": name,
        "key_type": key_type,
        "key_fingerprint": fingerprint,
        "public_key": public_key,
        "origin": origin,
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    try:
        await records.create(ctx, KEY_PAIR, record)
    except Exception:
        await _release_name(ctx, name, key_pair_id)
        raise
    return record


async def list_key_pairs(ctx: RequestContext) -> list[Record]:
    """The caller's key pair records (claims left out)."""
    return [r for r in await records.list_records(ctx, KEY_PAIR) if not is_claim(r)]


async def find_key_pair_by_name(ctx: RequestContext, name: str) -> dict[str, Any] | None:
    """The caller's key pair named ``name``, or ``None`` (RunInstances validates ``KeyName``)."""
    if not name:
        return None
    found = await _named(ctx, name)
    return found[0] if found else None


async def find_key_pair_by_id(ctx: RequestContext, key_pair_id: str) -> dict[str, Any] | None:
    """The caller's key pair ``key_pair_id``, or ``None`` (also for ids that cannot be ours)."""
    if not key_pair_id.startswith("key-") or not records.storable(ctx, key_pair_id):
        return None
    record = await records.find(ctx, KEY_PAIR, key_pair_id)
    return None if record is None or is_claim(record) else record


# --- rendering and filters ---------------------------------------------------------------------


def key_pair_to_api(record: Record, *, include_public_key: bool = False) -> Record:
    """A record as ``KeyPairInfo`` (``KeyType`` only when the API can name it)."""
    item: Record = {
        "KeyPairId": record["key_pair_id"],
        "KeyFingerprint": record["key_fingerprint"],
        "KeyName": record["key_name"],
        "Tags": api_tags(record_tags(record)),
        "CreateTime": clock.parse_time(record["created_at"]),
    }
    if record.get("key_type") in API_KEY_TYPES:
        item["KeyType"] = record["key_type"]
    if include_public_key:
        item["PublicKey"] = record["public_key"]
    return item


KEY_PAIR_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "key-pair-id": lambda k: k["KeyPairId"],
        "key-name": lambda k: k["KeyName"],
        "fingerprint": lambda k: k["KeyFingerprint"],
        "key-type": lambda k: k.get("KeyType"),
    },
    tags=lambda k: {t["Key"]: t["Value"] for t in k.get("Tags", [])},
    indexes={
        "fingerprint": "key_fingerprint",
        "key-name": "key_name",
        "key-pair-id": "key_pair_id",
        "key-type": "key_type",
    },
)
records.indexed(KEY_PAIR, "key_name")  # a key pair by name (RunInstances' KeyName, uniqueness)


# --- actions -------------------------------------------------------------------------------------


@action("CreateKeyPair")
async def create_key_pair(ctx: RequestContext, params: Params) -> Result:
    """Generate a key pair; the private key is returned here and never again."""
    name = check_key_name(params.get("KeyName"))
    key_type = str(params.get("KeyType") or "rsa")
    key_format = str(params.get("KeyFormat") or "pem")
    tags = tags_from_specifications(params, "key-pair")
    if await find_key_pair_by_name(ctx, name) is not None:
        raise duplicate(name)  # fail before spending time on an RSA key
    private_key, fingerprint = _generate(key_type)
    public_key = _openssh_line(private_key.public_key(), name)
    record = await _store(ctx, name, key_type, fingerprint, public_key, "created", tags)
    return {
        "KeyPairId": record["key_pair_id"],
        "Tags": api_tags(tags),
        "KeyName": name,
        "KeyFingerprint": fingerprint,
        "KeyMaterial": KEY_FORMATS[key_format](private_key, name),
    }


@action("ImportKeyPair")
async def import_key_pair(ctx: RequestContext, params: Params) -> Result:
    """Store a public key made elsewhere (Terraform's ``aws_key_pair``)."""
    name = check_key_name(params.get("KeyName"))
    material = params.get("PublicKeyMaterial") or b""
    if isinstance(material, str):
        material = material.encode("utf-8")
    imported = parse_public_key_material(bytes(material))
    tags = tags_from_specifications(params, "key-pair")
    record = await _store(
        ctx, name, imported.key_type, imported.fingerprint, imported.public_key, "imported", tags
    )
    return {
        "KeyFingerprint": record["key_fingerprint"],
        "KeyName": name,
        "KeyPairId": record["key_pair_id"],
        "Tags": api_tags(tags),
    }


@action("DescribeKeyPairs")
async def describe_key_pairs(ctx: RequestContext, params: Params) -> Result:
    """The caller's key pairs by name, id and filters."""
    include = bool(params.get("IncludePublicKey"))
    names = [str(n) for n in params.get("KeyNames") or ()]
    selecting: Mapping[str, Any] = params
    wanted: list[str] = []
    if names:  # only key pairs with one of the names can answer
        filters = [{"Name": "key-name", "Values": names}, *(params.get("Filters") or ())]
        selecting = {**params, "Filters": filters}
    else:
        wanted = [str(i) for i in params.get("KeyPairIds") or ()]
    stored = await describe.stored_records(
        ctx, KEY_PAIR, selecting, wanted, KEY_PAIR_FILTERS, live_only=False
    )
    items = [key_pair_to_api(r, include_public_key=include) for r in stored if not is_claim(r)]
    items.sort(key=lambda item: (item["KeyName"], item["KeyPairId"]))
    if params.get("KeyNames"):
        items = describe.select_wanted(
            items,
            [str(n) for n in params["KeyNames"]],
            "KeyName",
            lambda absent: not_found(absent[0]),
        )
    if params.get("KeyPairIds"):
        items = describe.select_wanted(
            items,
            [str(i) for i in params["KeyPairIds"]],
            "KeyPairId",
            lambda absent: not_found(absent[0]),
        )
    return {"KeyPairs": apply_filters(KEY_PAIR_FILTERS, params.get("Filters"), items)}


@action("DeleteKeyPair")
async def delete_key_pair(ctx: RequestContext, params: Params) -> Result:
    """Delete by ``KeyPairId`` (preferred) or ``KeyName``; an unknown key pair is success."""
    key_pair_id = params.get("KeyPairId")
    name = params.get("KeyName")
    if not key_pair_id and not name:
        raise AwsError(
            "MissingParameter", "The request must contain the parameter KeyName or KeyPairId"
        )
    record: Record | None
    if key_pair_id:
        record = await find_key_pair_by_id(ctx, str(key_pair_id))
        if record is not None and name and record.get("key_name") != name:
            record = None
    else:
        record = await find_key_pair_by_name(ctx, str(name))
    if record is None:
        return {"Return": True}
    await records.delete(ctx, KEY_PAIR, record["key_pair_id"])
    await _release_name(ctx, record["key_name"], record["key_pair_id"])
    return {"Return": True, "KeyPairId": record["key_pair_id"]}
