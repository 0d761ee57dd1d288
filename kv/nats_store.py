"""The :class:`kv.store.Store` implementation over NATS JetStream KV (what Hive daemons use).

Buckets are created the way nats.go's ``CreateKeyValue`` would (history 10 as Hive does, direct
gets allowed, discard-new), so Hive can open buckets we created and vice versa. nats-py errors
are translated to :mod:`kv.store` errors; anything that smells of an unreachable server becomes
:class:`StoreUnavailableError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, KeyValueConfig
from nats.js.kv import KeyValue

from kv.store import (
    VERSION_KEY,
    Entry,
    InvalidKeyError,
    KeyExistsError,
    RevisionMismatchError,
    StoreError,
    StoreUnavailableError,
    WatchEvent,
    validate_bucket_name,
    validate_key,
)

__all__ = ["HISTORY", "NatsBucket", "NatsStore", "replicas_advice"]

log = logging.getLogger(__name__)

HISTORY = 10
"""Revisions kept per key (Hive creates its buckets with ``History: 10``)."""

_KV_OP_HEADER = "KV-Operation"
_EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
_WRONG_LAST_SEQUENCE_CODES = (10071, 10164)
_DELETE_OPS = ("DEL", "PURGE")
_PREFIX_CHARS = re.compile(r"[-/_=.a-zA-Z0-9]*")
_SETTLE_ATTEMPTS = 4
_SETTLE_PAUSE = 0.5

# Errors that mean "the server is not reachable/answering right now".
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncio.TimeoutError,  # includes nats.errors.TimeoutError
    OSError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.NoServersError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
)


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """Re-raise nats-py errors as :mod:`kv.store` errors."""
    try:
        yield
    except StoreError:
        raise
    except _UNAVAILABLE as err:
        raise StoreUnavailableError(f"{what}: {err!r}") from err
    except nats.js.errors.InvalidKeyError as err:
        raise InvalidKeyError(f"{what}: {err}") from err
    except nats.errors.Error as err:
        raise StoreError(f"{what}: {err!r}") from err


def _subject_filter(prefix: str) -> str | None:
    """A key filter covering every valid key that starts with ``prefix``.

    ``None`` when no valid key can start with ``prefix``. The filter is exact when ``prefix``
    is empty or ends with ``.``; otherwise callers must still check ``startswith`` themselves
    (``"acct.vpc-"`` is served by ``"acct.>"``).
    """
    if prefix == "":
        return ">"
    if _PREFIX_CHARS.fullmatch(prefix) is None or prefix.startswith(".") or ".." in prefix:
        return None
    head, dot, _ = prefix.rpartition(".")
    return f"{head}.>" if dot else ">"


def _listed(key: str, prefix: str) -> bool:
    return key != VERSION_KEY and key.startswith(prefix)


async def _stop_watcher(watcher: Any) -> None:
    """Unsubscribe a nats-py KeyWatcher, ignoring a connection that is already gone."""
    try:
        await watcher.stop()
    except Exception as err:  # noqa: BLE001 - best-effort cleanup
        log.debug("stopping KV watcher failed: %r", err)


class NatsBucket:
    """One JetStream KV bucket; obtain it from :meth:`NatsStore.bucket`."""

    def __init__(self, store: NatsStore, name: str, kv: KeyValue) -> None:
        self._store = store
        self._name = name
        self._kv = kv
        self._subject_prefix = f"$KV.{name}."

    @property
    def name(self) -> str:
        return self._name

    def _what(self, op: str, key: str) -> str:
        return f"{op} {self._name}/{key}"

    def _check(self, key: str) -> None:
        validate_key(key)
        self._store._require_connection()

    async def get(self, key: str) -> Entry | None:
        """The live value of ``key``, or ``None`` when absent or deleted."""
        self._check(key)
        with _translated(self._what("get", key)):
            try:
                entry = await self._kv.get(key)
            except nats.js.errors.KeyNotFoundError:  # also raised for deleted keys
                return None
        return Entry(key, bytes(entry.value or b""), entry.revision or 0)

    async def create(self, key: str, value: bytes) -> int:
        """Write only if absent or deleted; raises :class:`KeyExistsError`."""
        self._check(key)
        try:
            with _translated(self._what("create", key)):
                try:
                    return int(await self._kv.create(key, value))
                except nats.js.errors.KeyWrongLastSequenceError as err:
                    raise KeyExistsError(f"{self._name}/{key} already exists") from err
        except StoreUnavailableError:
            return await self._landed(key, value)

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Write only if ``revision`` is the revision of the key's last operation (0: none)."""
        self._check(key)
        try:
            with _translated(self._what("update", key)):
                try:
                    return int(await self._kv.update(key, value, last=revision))
                except nats.js.errors.KeyWrongLastSequenceError as err:
                    raise RevisionMismatchError(
                        f"{self._name}/{key} is no longer at revision {revision}"
                    ) from err
        except StoreUnavailableError:
            return await self._landed(key, value, after=revision)

    async def _landed(self, key: str, value: bytes, *, after: int = 0) -> int:
        """Settle a conditional write whose answer was lost (a timeout, a leader election).

        JetStream may have stored the write although its acknowledgement never arrived. Callers
        undo their claims when a write fails, so "failed" must mean "not stored": read the key
        back (a few times, while the cluster heals) and report the write as done when it holds
        exactly ``value`` at a revision past ``after``; re-raise when it does not, or when the
        store still cannot say.
        """
        error: StoreUnavailableError | None = None
        for attempt in range(_SETTLE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(_SETTLE_PAUSE * attempt)
            try:
                entry = await self.get(key)
            except StoreUnavailableError as exc:
                error = exc
                continue
            if entry is not None and entry.value == value and entry.revision > after:
                log.info("%s: acknowledgement lost, the write is stored", self._what("write", key))
                return entry.revision
            raise StoreUnavailableError(
                f"{self._what('write', key)}: acknowledgement lost and the write is not stored"
            )
        assert error is not None
        raise error

    async def put(self, key: str, value: bytes) -> int:
        """Unconditional write."""
        self._check(key)
        with _translated(self._what("put", key)):
            return int(await self._kv.put(key, value))

    async def delete(self, key: str, revision: int | None = None) -> int:
        """Write a delete marker (optionally only if the last operation is at ``revision``);
        returns its revision."""
        self._check(key)
        headers = {_KV_OP_HEADER: "DEL"}
        if revision is not None:
            headers[_EXPECTED_LAST_SUBJECT_SEQ] = str(revision)
        with _translated(self._what("delete", key)):
            try:
                ack = await self._store._js.publish(
                    self._subject_prefix + key, b"", headers=headers
                )
            except nats.js.errors.APIError as err:
                if err.err_code in _WRONG_LAST_SEQUENCE_CODES:
                    raise RevisionMismatchError(
                        f"{self._name}/{key} is no longer at revision {revision}"
                    ) from err
                raise
        return int(ack.seq)

    async def _scan(self, prefix: str, *, meta_only: bool) -> list[Entry]:
        """Current (non-deleted) entries under ``prefix``, from one ordered consumer.

        The consumer delivers the last message of every key (deletes included) and each
        message says how many are still pending after it, so the listing ends at the message
        with nothing pending. An empty listing is recognised from consumer info only when the
        server has delivered nothing at all: "nothing pending" alone is not enough, because
        values already sent may still be in flight to us (nats-py's own watcher ends on that
        and can return an empty listing under load).
        """
        subject_filter = _subject_filter(prefix)
        if subject_filter is None:
            return []
        self._store._require_connection()
        arrived: asyncio.Queue[Any] = asyncio.Queue()

        async def on_message(msg: Any) -> None:
            await arrived.put(msg)

        found: dict[str, Entry] = {}  # by key: an ordered consumer that resets may redeliver
        with _translated(f"list {self._name}/{prefix}*"):
            sub: Any = await self._store._js.subscribe(
                self._subject_prefix + subject_filter,
                stream=f"KV_{self._name}",
                cb=on_message,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
                headers_only=meta_only,
                inactive_threshold=60.0,
            )
            try:
                info = await sub.consumer_info()
                if info.num_pending == 0 and info.delivered.consumer_seq == 0:
                    return []
                while True:
                    msg = await asyncio.wait_for(arrived.get(), self._store._timeout)
                    meta = msg.metadata
                    key = msg.subject[len(self._subject_prefix) :]
                    operation = (msg.headers or {}).get(_KV_OP_HEADER)
                    if operation in _DELETE_OPS or not _listed(key, prefix):
                        found.pop(key, None)
                    else:
                        found[key] = Entry(key, bytes(msg.data or b""), int(meta.sequence.stream))
                    if meta.num_pending == 0:
                        break
            except asyncio.TimeoutError as err:
                raise StoreUnavailableError(
                    f"list {self._name}/{prefix}*: no reply within {self._store._timeout}s"
                ) from err
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
        return list(found.values())

    async def keys(self, prefix: str = "") -> list[str]:
        """Sorted live keys starting with ``prefix`` (``_version`` excluded); one consumer."""
        return sorted(entry.key for entry in await self._scan(prefix, meta_only=True))

    async def entries(self, prefix: str = "") -> list[Entry]:
        """Live entries under ``prefix`` sorted by key, fetched in one pass (no per-key gets)."""
        return sorted(await self._scan(prefix, meta_only=False), key=lambda entry: entry.key)

    async def last_revision(self) -> int:
        """The bucket stream's last sequence (one JetStream API request, to the stream leader)."""
        self._store._require_connection()
        with _translated(f"stream info {self._name}"):
            # The raw API reply, of which only one number is read (nats-py would build the
            # whole StreamInfo, which costs more than the round trip).
            msg = await self._store._nc.request(
                f"$JS.API.STREAM.INFO.KV_{self._name}", b"", timeout=self._store._timeout
            )
        reply = json.loads(msg.data)
        if "error" in reply:
            raise StoreUnavailableError(f"stream info {self._name}: {reply['error']}")
        return int(reply.get("state", {}).get("last_seq") or 0)

    async def follow(self) -> AsyncIterator[WatchEvent]:
        """Every key's last operation (``_version`` and delete markers included) in revision
        order, then every change; one ordered consumer, which nats-py resumes after the last
        delivered revision when the connection comes back."""
        self._store._require_connection()
        with _translated(f"follow {self._name}"):
            watcher: Any = await self._kv.watch(
                ">", include_history=False, ignore_deletes=False, inactive_threshold=3600.0
            )
        self._store._watchers.add(watcher)
        try:
            async for entry in watcher:
                if entry is None:
                    continue
                deleted = entry.operation in _DELETE_OPS
                yield WatchEvent(
                    key=entry.key,
                    value=None if deleted else bytes(entry.value or b""),
                    revision=int(entry.revision),
                    op="delete" if deleted else "put",
                )
        finally:
            self._store._watchers.discard(watcher)
            await _stop_watcher(watcher)

    async def watch(self, prefix: str = "") -> AsyncIterator[WatchEvent]:
        """Live values under ``prefix`` (in revision order), then every later change.

        Deletes among the initial values are skipped; later deletes are yielded with
        ``value=None``. Ends when the consumer closes the iterator or the store closes. If the
        server restarts, nats-py's ordered consumer notices the missing heartbeats and resumes
        after the last delivered revision (no change is lost), which takes ~10-20 s.
        """
        subject_filter = _subject_filter(prefix) or ">"
        self._store._require_connection()
        with _translated(f"watch {self._name}/{prefix}*"):
            watcher: Any = await self._kv.watch(
                subject_filter, include_history=False, ignore_deletes=False
            )
        self._store._watchers.add(watcher)
        initial = True
        try:
            async for entry in watcher:
                if entry is None:  # end of the current values; live changes follow
                    initial = False
                    continue
                if not _listed(entry.key, prefix):
                    continue
                deleted = entry.operation in _DELETE_OPS
                if deleted and initial:
                    continue
                yield WatchEvent(
                    key=entry.key,
                    value=None if deleted else bytes(entry.value or b""),
                    revision=int(entry.revision),
                    op="delete" if deleted else "put",
                )
        finally:
            self._store._watchers.discard(watcher)
            await _stop_watcher(watcher)


class NatsStore:
    """A NATS connection with JetStream; hands out (cached) :class:`NatsBucket` handles."""

    def __init__(self, nc: NatsClient, *, timeout: float = 10.0, replicas: int = 1) -> None:
        """Wrap an already connected client; prefer :meth:`connect`.

        ``replicas`` is the replica count of every bucket this store creates (1..5; 3 on a
        JetStream cluster). Existing buckets are never recreated: one with fewer replicas is
        reported (see :meth:`under_replicated`).
        """
        if not 1 <= replicas <= 5:
            raise ValueError(f"KV replicas must be between 1 and 5, not {replicas}")
        self.replicas = replicas
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream(timeout=timeout)
        self._timeout = timeout
        self._buckets: dict[str, NatsBucket] = {}
        self._bucket_lock = asyncio.Lock()
        self._watchers: set[Any] = set()
        self._events: _ConnectionEvents | None = None

    @classmethod
    async def connect(
        cls,
        url: str | Sequence[str],
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        creds: str | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        name: str = "hive-gateway",
        timeout: float = 10.0,
        replicas: int = 1,
    ) -> NatsStore:
        """Connect to NATS, raising :class:`StoreUnavailableError` if that fails within ``timeout``.

        ``creds`` is a ``.creds`` file path; ``tls_*`` are PEM file paths. Once connected the
        client reconnects forever (a gateway must outlive NATS restarts); ``timeout`` also bounds
        every JetStream request.
        """
        tls: ssl.SSLContext | None = None
        if tls_ca or tls_cert:
            tls = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls_ca)
            if tls_cert:
                tls.load_cert_chain(tls_cert, tls_key)
        servers = [url] if isinstance(url, str) else list(url)
        events = _ConnectionEvents(", ".join(servers))
        nc = NatsClient()
        connecting = asyncio.ensure_future(
            nc.connect(
                servers=servers,
                name=name,
                token=token,
                user=user,
                password=password,
                user_credentials=creds,
                tls=tls,
                connect_timeout=max(1, int(min(timeout, 5.0))),
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                error_cb=events.error,
                disconnected_cb=events.disconnected,
                reconnected_cb=events.reconnected,
                closed_cb=events.closed,
            )
        )
        rejected = asyncio.ensure_future(events.rejected.wait())
        try:
            # Retry refused connections until ``timeout``, but give up on bad credentials at once.
            await asyncio.wait(
                {connecting, rejected}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not connecting.done():
                raise TimeoutError()
            connecting.result()
        except (TimeoutError, OSError, nats.errors.Error) as err:
            cause = nc.last_error or err
            events.closing = True
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            with contextlib.suppress(Exception):
                await nc.close()
            raise StoreUnavailableError(f"cannot connect to NATS at {servers}: {cause!r}") from err
        except BaseException:
            connecting.cancel()
            raise
        finally:
            rejected.cancel()
        events.connected()
        log.info("connected to NATS at %s", nc.connected_url.netloc if nc.connected_url else url)
        store = cls(nc, timeout=timeout, replicas=replicas)
        store._events = events
        return store

    async def bucket(self, name: str) -> NatsBucket:
        """Get or create bucket ``name`` (history 10, ``_version``="1" written if absent)."""
        cached = self._buckets.get(name)
        if cached is not None:
            return cached
        validate_bucket_name(name)
        async with self._bucket_lock:
            cached = self._buckets.get(name)
            if cached is not None:
                return cached
            self._require_connection()
            with _translated(f"open bucket {name}"):
                try:
                    kv = await self._js.key_value(name)
                except nats.js.errors.BucketNotFoundError:
                    kv = await self._create_bucket(name)
                    replicas = self.replicas  # (or someone else's: checked on next open)
                else:
                    replicas = await self._replicas_of(name)
            if replicas > 1:
                # Read-your-writes: a direct get may be answered by a follower that has not yet
                # applied our last write (seen as a NotFound right after a create). Gets go to
                # the stream leader instead, like every write.
                kv._direct = False
            if replicas < self.replicas:
                log.warning("%s", replicas_advice(name, replicas, self.replicas))
            bucket = NatsBucket(self, name, kv)
            self._buckets[name] = bucket
            return bucket

    async def _create_bucket(self, name: str) -> KeyValue:
        try:
            kv = await self._js.create_key_value(
                config=KeyValueConfig(
                    bucket=name, history=HISTORY, direct=True, replicas=self.replicas
                )
            )
        except nats.js.errors.BadRequestError:
            # Created concurrently by someone else (possibly with another config): use theirs.
            kv = await self._js.key_value(name)
        else:
            log.info("created KV bucket %s", name)
        try:
            await kv.create(VERSION_KEY, b"1")
        except nats.js.errors.KeyWrongLastSequenceError:
            pass  # another creator wrote it first
        return kv

    async def under_replicated(self, prefix: str = "") -> list[tuple[str, int]]:
        """``(bucket, replicas)`` of every KV bucket named ``prefix…`` with fewer replicas
        than :attr:`replicas` (they are reported, never recreated)."""
        self._require_connection()
        found: list[tuple[str, int]] = []
        streams: list[Any] = []
        with _translated("list KV streams"):
            while True:
                page = await self._js.streams_info(offset=len(streams))
                streams.extend(page)
                if len(page) < 256:  # the server's page size
                    break
        for info in streams:
            stream = info.config.name or ""
            if not stream.startswith("KV_" + prefix):
                continue
            have = info.config.num_replicas or 1
            if have < self.replicas:
                found.append((stream[3:], have))
        return sorted(found)

    async def _replicas_of(self, name: str) -> int:
        info = await self._js.stream_info(f"KV_{name}")
        return info.config.num_replicas or 1

    def _require_connection(self) -> None:
        """Fail fast while disconnected.

        nats-py would otherwise buffer the request and replay it after reconnecting, i.e. a
        write we reported as failed (timeout) could still be applied later.
        """
        if not self._nc.is_connected:
            state = "closed" if self._nc.is_closed else "reconnecting"
            raise StoreUnavailableError(f"not connected to NATS ({state})")

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless JetStream answers an account-info request."""
        self._require_connection()
        with _translated("JetStream account info"):
            await self._js.account_info()

    async def close(self) -> None:
        """End every open watch and close the connection."""
        for watcher in list(self._watchers):
            await _stop_watcher(watcher)
        self._watchers.clear()
        self._buckets.clear()
        if self._events is not None:
            self._events.closing = True
        with contextlib.suppress(Exception):
            await self._nc.close()


def replicas_advice(bucket: str, have: int, want: int) -> str:
    """One line: a bucket has fewer replicas than asked, and how to raise them."""
    return (
        f"KV bucket {bucket} has {have} replica(s) but --kv-replicas asks for {want}; it is not "
        f"recreated (that would lose its data). Raise it in place with: "
        f"nats stream edit KV_{bucket} --replicas {want}"
    )


class _ConnectionEvents:
    """nats-py connection callbacks that log state changes without flooding the log."""

    def __init__(self, servers: str) -> None:
        self._servers = servers
        self._last_error = ""
        self.closing = False
        self.rejected = asyncio.Event()
        """Set when the server refuses our credentials before we ever connected."""
        self._connected = False

    async def error(self, err: Exception) -> None:
        if not self._connected and (
            isinstance(err, nats.errors.AuthorizationError) or "Authorization" in str(err)
        ):
            self.rejected.set()
        message = repr(err)
        if message != self._last_error:
            log.warning("NATS connection error (%s): %s", self._servers, message)
            self._last_error = message
        else:
            log.debug("NATS connection error (%s): %s", self._servers, message)

    def connected(self) -> None:
        self._connected = True

    async def disconnected(self) -> None:
        if self.closing:
            log.debug("disconnected from NATS (%s)", self._servers)
        else:
            log.warning("disconnected from NATS (%s); reconnecting", self._servers)

    async def reconnected(self) -> None:
        self._last_error = ""
        log.info("reconnected to NATS (%s)", self._servers)

    async def closed(self) -> None:
        log.info("NATS connection closed (%s)", self._servers)
