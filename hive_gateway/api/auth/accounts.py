"""Accounts and access keys in the shared KV store, laid out exactly as Hive lays them out.

Buckets (``<prefix>`` is ``hive`` by default, ``spinifex`` for newer Hive releases)::

    <prefix>-accounts          <acct>   {"account_id","account_name","status":"ACTIVE","created_at"}
    <prefix>-account-counter   next_id  2            (JSON int: the next id to hand out)
    <prefix>-iam-access-keys   <AKID>   {"access_key_id","secret_access_key","user_name",
                                         "account_id","status":"Active","created_at"}
    <prefix>-account-names     sha256(lower(strip(name)))  {"account_id","client_token","created_at"}

``secret_access_key`` is AES-256-GCM encrypted with the 32 raw bytes of ``<data_dir>/master.key``
and stored as ``base64(nonce ‖ ciphertext ‖ tag)`` (12-byte nonce, no associated data), the
format of Hive's ``EncryptSecret`` (predastore ``masterkey``), so either side can read the
other's keys when they share the master key. Every gateway sharing a store must share that file.

Two accounts always exist: ``000000000000`` (Hive's system/global account, owner of public
AMIs) and ``000000000001`` (the default admin account, user ``admin``). New accounts count up
from ``000000000002`` through a compare-and-swap on ``next_id``. Seeding uses create-if-absent,
so gateways starting together against one store do not clash. The names bucket is Spinifex's
``account-names`` index (name reservation before the id is allocated), which makes duplicate
names impossible even for concurrent callers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import string
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hive_gateway.api.auth.sigv4 import SigningKey
from hive_gateway.core.errors import AwsError
from kv.buckets import DEFAULT_PREFIX, bucket_name
from kv.records import Record, RecordBucket
from kv.store import (
    Bucket,
    KeyExistsError,
    RevisionMismatchError,
    Store,
    cas_update,
)

__all__ = [
    "ADMIN_ACCOUNT_ID",
    "ADMIN_USER_NAME",
    "SYSTEM_ACCOUNT_ID",
    "AccountNameTakenError",
    "AccountRegistry",
    "AdminCredentials",
    "MasterKey",
    "NewAccount",
    "generate_access_key_id",
    "generate_secret_access_key",
]

log = logging.getLogger(__name__)

SYSTEM_ACCOUNT_ID: Final = "000000000000"
ADMIN_ACCOUNT_ID: Final = "000000000001"
ADMIN_USER_NAME: Final = "admin"
SYSTEM_ACCOUNT_NAME: Final = "system"
FIRST_ACCOUNT_NUMBER: Final = 2
COUNTER_KEY: Final = "next_id"
MASTER_KEY_FILE: Final = "master.key"
MASTER_KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
#: How long a decrypted key stays in memory (so deactivating a key takes effect within this).
KEY_CACHE_TTL: Final = 30.0
#: An uncommitted name reservation older than this is treated as abandoned (crashed creator).
STALE_RESERVATION: Final = timedelta(minutes=5)
ACCOUNT_NAME_MAX: Final = 50

_AKID_ALPHABET: Final = string.ascii_uppercase + string.digits
_AKID_RE: Final = re.compile(r"[\x21-\x7e]{3,128}")
"""An access key id a user may choose: 3–128 printable ASCII characters without whitespace (AWS
itself allows 16–128 of ``\\w``; emulator users habitually pick ``test``)."""
_AKID_FORBIDDEN: Final = frozenset("/,")
"""Characters that delimit SigV4's ``Credential=AKID/date/region/service/aws4_request, …``."""
_VERBATIM_KEY_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


def valid_access_key_id(access_key_id: str) -> bool:
    """Whether ``access_key_id`` can be an access key id (see :data:`_AKID_RE`)."""
    return _AKID_RE.fullmatch(access_key_id) is not None and not (
        _AKID_FORBIDDEN & set(access_key_id)
    )


def key_of(access_key_id: str) -> str:
    """The ``<prefix>-iam-access-keys`` key of ``access_key_id``: the id itself (Hive's layout)
    when JetStream can hold it, else ``=`` + its hex (never a verbatim key: those have no ``=``)."""
    if _VERBATIM_KEY_RE.fullmatch(access_key_id):
        return access_key_id
    return "=" + access_key_id.encode("ascii").hex()


def generate_access_key_id() -> str:
    """``AKIA`` + 16 characters of ``[A-Z0-9]``, like Hive's ``admin init``."""
    return "AKIA" + "".join(secrets.choice(_AKID_ALPHABET) for _ in range(16))


def generate_secret_access_key() -> str:
    """Standard base64 of 30 random bytes (40 characters), like Hive's ``admin init``."""
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def _now_rfc3339() -> str:
    """UTC RFC 3339 with fractional seconds, the shape Go's ``time.Time`` marshals to."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _account_id(number: int) -> str:
    return f"{number:012d}"


# --- the master key -----------------------------------------------------------------------------


class MasterKey:
    """AES-256-GCM sealing of secrets with Hive's wire format ``base64(nonce‖ct‖tag)``."""

    def __init__(self, key: bytes) -> None:
        if len(key) != MASTER_KEY_SIZE:
            raise ValueError(f"master key must be {MASTER_KEY_SIZE} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self.fingerprint = hashlib.sha256(key).hexdigest()[:16]
        """Log-safe identifier (hex of sha256(key)[:8]), as predastore's ``Fingerprint``."""

    @classmethod
    def load_or_create(cls, path: Path) -> MasterKey:
        """Read the 32 raw bytes at ``path``, creating the file (0600) when it does not exist.

        Like Hive's ``LoadShared`` it refuses a key readable or writable by "other".
        """
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(MASTER_KEY_SIZE))
                handle.flush()
                os.fsync(handle.fileno())
            log.info("created master key %s", path)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o007:
            raise PermissionError(
                f"master key {path} has permissions {mode:#o}: must be 0640 or stricter"
            )
        for _ in range(50):  # a concurrent creator may still be writing the 32 bytes
            raw = path.read_bytes()
            if len(raw) == MASTER_KEY_SIZE:
                return cls(raw)
            time.sleep(0.01)
        return cls(raw)  # raises with the length found

    def encrypt(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """Raises :class:`cryptography.exceptions.InvalidTag` for another key or a tampered value."""
        blob = base64.b64decode(stored, validate=True)
        if len(blob) < NONCE_SIZE + 16:
            raise InvalidTag()
        return self._aead.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], None).decode("utf-8")


# --- results and errors -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdminCredentials:
    """The admin account's key, printed at start-up for ``~/.aws/config``."""

    account_id: str
    user_name: str
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return (
            f"AdminCredentials(account_id={self.account_id!r}, user_name={self.user_name!r}, "
            f"access_key_id={self.access_key_id!r})"
        )


class NewAccount(NamedTuple):
    """What :meth:`AccountRegistry.create_account` hands back (the only time the secret is shown)."""

    account_id: str
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"NewAccount(account_id={self.account_id!r}, access_key_id={self.access_key_id!r})"


class AccountNameTakenError(AwsError):
    """An account with this name (compared case- and whitespace-insensitively) exists."""

    def __init__(self, name: str) -> None:
        super().__init__("EntityAlreadyExists", f"An account named '{name}' already exists.")
        self.name = name


def normalize_account_name(name: str) -> str:
    """Hive's ``NormalizeAccountName``: names compare lower-cased with outer whitespace trimmed."""
    return name.strip().lower()


def _name_key(name: str) -> str:
    return hashlib.sha256(normalize_account_name(name).encode("utf-8")).hexdigest()


# --- the registry -------------------------------------------------------------------------------


class AccountRegistry:
    """Accounts and access keys over a :class:`kv.store.Store`; also the gateway's key lookup."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        bucket_prefix: str = DEFAULT_PREFIX,
        admin_account_name: str | None = None,
        cache_ttl: float = KEY_CACHE_TTL,
    ) -> None:
        """``admin_account_name`` defaults to the prefix: Hive names account 1 after itself
        (``spinifex`` at HEAD)."""
        self._store = store
        self._data_dir = Path(data_dir)
        self._prefix = bucket_prefix
        self._admin_account_name = admin_account_name or bucket_prefix
        self._cache_ttl = cache_ttl
        self._master: MasterKey | None = None
        self._cache: dict[str, tuple[float, SigningKey]] = {}
        self._record_buckets: dict[str, RecordBucket] = {}
        self._raw_buckets: dict[str, Bucket] = {}
        self._lock = asyncio.Lock()
        self._names_bucket_name = bucket_name(bucket_prefix, "account_names")

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def master_key(self) -> MasterKey:
        if self._master is None:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            self._master = MasterKey.load_or_create(self._data_dir / MASTER_KEY_FILE)
        return self._master

    async def _records(self, logical: str, schema: str) -> RecordBucket:
        cached = self._record_buckets.get(logical)
        if cached is None:
            cached = RecordBucket(await self._raw(bucket_name(self._prefix, logical)), schema)
            self._record_buckets[logical] = cached
        return cached

    async def _raw(self, name: str) -> Bucket:
        cached = self._raw_buckets.get(name)
        if cached is None:
            async with self._lock:
                cached = self._raw_buckets.get(name)
                if cached is None:
                    cached = await self._store.bucket(name)
                    self._raw_buckets[name] = cached
        return cached

    async def _accounts(self) -> RecordBucket:
        return await self._records("accounts", "account")

    async def _access_keys(self) -> RecordBucket:
        return await self._records("access_keys", "access_key")

    async def _counter(self) -> Bucket:
        return await self._raw(bucket_name(self._prefix, "account_counter"))

    async def _names(self) -> Bucket:
        return await self._raw(self._names_bucket_name)

    async def _ensure_account(self, account_id: str, name: str) -> None:
        accounts = await self._accounts()
        record = {
            "account_id": account_id,
            "account_name": name,
            "status": "ACTIVE",
            "created_at": _now_rfc3339(),
        }
        try:
            await accounts.create(account_id, record)
        except KeyExistsError:
            return
        names = await self._names()
        reservation = {
            "account_id": account_id,
            "client_token": "",
            "created_at": record["created_at"],
        }
        try:
            await names.create(_name_key(name), json.dumps(reservation).encode())
        except KeyExistsError:
            pass

    async def _store_key(
        self, access_key_id: str, secret: str, account_id: str, user_name: str
    ) -> int:
        """Create the access-key record; raises :class:`KeyExistsError` if the AKID is taken."""
        keys = await self._access_keys()
        return await keys.create(
            key_of(access_key_id),
            {
                "access_key_id": access_key_id,
                "secret_access_key": self.master_key.encrypt(secret),
                "user_name": user_name,
                "account_id": account_id,
                "status": "Active",
                "created_at": _now_rfc3339(),
            },
        )

    async def _new_key(self, account_id: str, user_name: str) -> tuple[str, str]:
        secret = generate_secret_access_key()
        while True:
            access_key_id = generate_access_key_id()
            try:
                await self._store_key(access_key_id, secret, account_id, user_name)
            except KeyExistsError:
                continue
            return access_key_id, secret

    def _decrypt(self, record: Record) -> str | None:
        stored = record.get("secret_access_key")
        if not isinstance(stored, str):
            return None
        try:
            return self.master_key.decrypt(stored)
        except (InvalidTag, ValueError):
            return None

    # -- bootstrap --------------------------------------------------------------------------

    async def bootstrap(
        self, admin_access_key: str | None = None, admin_secret_key: str | None = None
    ) -> AdminCredentials:
        """Seed the system and admin accounts and return the admin key (idempotent).

        With ``admin_access_key``/``admin_secret_key`` (e.g. from the environment) that pair is
        registered for ``admin`` in ``000000000001`` (its secret updated if it changed) and
        returned; any key generated on an earlier start stays valid. Without them the first
        admin key found is reused, or one is generated once and kept for later starts.
        """
        if (admin_access_key is None) != (admin_secret_key is None):
            raise ValueError("give both the admin access key and secret key, or neither")
        await self._ensure_account(SYSTEM_ACCOUNT_ID, SYSTEM_ACCOUNT_NAME)
        await self._ensure_account(ADMIN_ACCOUNT_ID, self._admin_account_name)
        counter = await self._counter()
        try:
            await counter.create(COUNTER_KEY, str(FIRST_ACCOUNT_NUMBER).encode())
        except KeyExistsError:
            pass

        if admin_access_key is not None and admin_secret_key is not None:
            await self._register_admin_key(admin_access_key, admin_secret_key)
            return AdminCredentials(
                ADMIN_ACCOUNT_ID, ADMIN_USER_NAME, admin_access_key, admin_secret_key
            )

        found = await self._find_admin_key()
        if found is None:
            access_key_id, _ = await self._new_key(ADMIN_ACCOUNT_ID, ADMIN_USER_NAME)
            # Two gateways starting at once may both have generated one: keep the oldest.
            found = await self._find_admin_key()
            assert found is not None
            if found[0] != access_key_id:
                keys = await self._access_keys()
                await keys.delete(key_of(access_key_id))
            else:
                log.info("generated admin access key %s", access_key_id)
        return AdminCredentials(ADMIN_ACCOUNT_ID, ADMIN_USER_NAME, found[0], found[1])

    async def _register_admin_key(self, access_key_id: str, secret: str) -> None:
        if not valid_access_key_id(access_key_id):
            raise ValueError(
                f"admin access key id {access_key_id!r} must be 3-128 printable characters "
                "without spaces, '/' or ','"
            )
        if not 3 <= len(secret) <= 128 or not secret.isprintable():
            raise ValueError("admin secret key must be 3-128 printable characters")
        keys = await self._access_keys()

        def replace_secret(current: Record | None) -> Record:
            if current is None:
                return {
                    "access_key_id": access_key_id,
                    "secret_access_key": self.master_key.encrypt(secret),
                    "user_name": ADMIN_USER_NAME,
                    "account_id": ADMIN_ACCOUNT_ID,
                    "status": "Active",
                    "created_at": _now_rfc3339(),
                }
            if current.get("account_id") != ADMIN_ACCOUNT_ID:
                raise ValueError(
                    f"access key {access_key_id} belongs to account {current.get('account_id')}, "
                    "not the admin account"
                )
            if self._decrypt(current) == secret and current.get("status") == "Active":
                return current
            current["secret_access_key"] = self.master_key.encrypt(secret)
            current["status"] = "Active"
            return current

        await keys.mutate(key_of(access_key_id), replace_secret)
        self._cache.pop(access_key_id, None)

    async def _find_admin_key(self) -> tuple[str, str] | None:
        """The oldest active, decryptable key of ``admin`` in the admin account."""
        keys = await self._access_keys()
        candidates: list[tuple[str, str, str]] = []
        for key, record, _ in await keys.items():
            if (
                record.get("account_id") == ADMIN_ACCOUNT_ID
                and record.get("user_name") == ADMIN_USER_NAME
                and record.get("status") == "Active"
            ):
                secret = self._decrypt(record)
                if secret is not None:
                    access_key_id = str(record.get("access_key_id") or key)
                    candidates.append((str(record.get("created_at", "")), access_key_id, secret))
        if not candidates:
            return None
        _, key, secret = min(candidates)
        return key, secret

    # -- accounts ---------------------------------------------------------------------------

    async def _reserve_name(self, name: str, token: str) -> None:
        names = await self._names()
        key = _name_key(name)
        value = json.dumps(
            {"account_id": "", "client_token": token, "created_at": _now_rfc3339()}
        ).encode()
        while True:
            try:
                await names.create(key, value)
                return
            except KeyExistsError:
                pass
            entry = await names.get(key)
            if entry is None:
                continue  # released meanwhile
            held = json.loads(entry.value)
            if held.get("account_id"):
                raise AccountNameTakenError(name)
            started = _parse_time(held.get("created_at"))
            if started is not None and datetime.now(UTC) - started < STALE_RESERVATION:
                raise AccountNameTakenError(name)  # another caller is creating it right now
            try:  # abandoned by a crashed creator: take it over
                await names.update(key, value, entry.revision)
                return
            except RevisionMismatchError:
                continue

    async def _release_name(self, name: str, token: str) -> None:
        names = await self._names()
        entry = await names.get(_name_key(name))
        if entry is None:
            return
        held = json.loads(entry.value)
        if held.get("client_token") == token and not held.get("account_id"):
            try:
                await names.delete(entry.key, revision=entry.revision)
            except RevisionMismatchError:
                pass

    async def _allocate_account_id(self) -> str:
        """Claim ``next_id`` with compare-and-swap (Hive: unbounded CAS loop, starting at 2)."""
        claimed = 0

        def bump(current: bytes | None) -> bytes:
            nonlocal claimed
            claimed = int(current) if current else FIRST_ACCOUNT_NUMBER
            claimed = max(claimed, FIRST_ACCOUNT_NUMBER)
            return str(claimed + 1).encode()

        await cas_update(await self._counter(), COUNTER_KEY, bump, attempts=100)
        return _account_id(claimed)

    async def create_account(self, name: str) -> NewAccount:
        """Create account ``name`` with user ``admin`` and one access key.

        Ids come from the shared counter (``000000000002``, ``000000000003``…); a name already
        used (case-insensitively) raises :class:`AccountNameTakenError`.
        """
        display = name.strip()
        if not display or len(display) > ACCOUNT_NAME_MAX or not display.isprintable():
            raise AwsError(
                "InvalidInput",
                f"The account name must be 1-{ACCOUNT_NAME_MAX} printable characters.",
            )
        for record in await self.list_accounts():
            if normalize_account_name(
                str(record.get("account_name", ""))
            ) == normalize_account_name(display):
                raise AccountNameTakenError(display)
        token = uuid.uuid4().hex
        await self._reserve_name(display, token)
        try:
            accounts = await self._accounts()
            while True:
                account_id = await self._allocate_account_id()
                try:
                    await accounts.create(
                        account_id,
                        {
                            "account_id": account_id,
                            "account_name": display,
                            "status": "ACTIVE",
                            "created_at": _now_rfc3339(),
                        },
                    )
                    break
                except KeyExistsError:
                    log.warning("account %s already exists; counter was behind", account_id)
            access_key_id, secret = await self._new_key(account_id, ADMIN_USER_NAME)
        except BaseException:
            await self._release_name(display, token)
            raise
        names = await self._names()
        await names.put(
            _name_key(display),
            json.dumps(
                {"account_id": account_id, "client_token": token, "created_at": _now_rfc3339()}
            ).encode(),
        )
        log.info("created account %s (%s) with access key %s", account_id, display, access_key_id)
        return NewAccount(account_id, access_key_id, secret)

    async def list_accounts(self) -> list[Record]:
        """Every account record, sorted by account id."""
        return await (await self._accounts()).list()

    async def get_account(self, account_id: str) -> Record | None:
        found = await (await self._accounts()).get(account_id)
        return found[0] if found else None

    # -- key lookup (sigv4.KeyLookup) -------------------------------------------------------

    async def lookup(self, access_key_id: str) -> SigningKey | None:
        """The decrypted key for ``access_key_id``; ``None`` if unknown, inactive or undecryptable.

        Hits are cached for ``cache_ttl`` seconds; misses are not cached, so a key created by
        another gateway works at once.
        """
        cached = self._cache.get(access_key_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        if not valid_access_key_id(access_key_id):
            return None
        found = await (await self._access_keys()).get(key_of(access_key_id))
        if found is None:
            self._cache.pop(access_key_id, None)
            return None
        record = found[0]
        if record.get("status") != "Active":
            self._cache.pop(access_key_id, None)
            return None
        secret = self._decrypt(record)
        if secret is None:
            log.warning(
                "access key %s cannot be decrypted with master key %s",
                access_key_id,
                self.master_key.fingerprint,
            )
            return None
        key = SigningKey(
            access_key_id=access_key_id,
            secret_access_key=secret,
            account_id=str(record.get("account_id", "")),
            user_name=str(record.get("user_name", "")),
        )
        self._cache[access_key_id] = (now + self._cache_ttl, key)
        return key

    def forget(self, access_key_id: str | None = None) -> None:
        """Drop cached keys (one, or all), e.g. after deactivating a key."""
        if access_key_id is None:
            self._cache.clear()
        else:
            self._cache.pop(access_key_id, None)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # 3.11+ parses a trailing "Z"
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
