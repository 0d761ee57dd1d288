"""Account-scoped record access: the one door through which handlers read and write records.

Records live under Hive's key ``<account>.<resource-id>`` (see :mod:`hive_gateway.core.kinds`),
so another account's resource is indistinguishable from a missing one, and a record its kind's
liveness rule calls gone (``@live``) is missing too.

* by id: :func:`get`/:func:`find`, :func:`list_records`, :func:`where`, :func:`create`
  (``exist_ok``: create-if-absent), :func:`mutate` (``missing_ok``: mutate-if-present),
  :func:`delete`;
* across accounts, for what AWS shares (public images and snapshots): :func:`every_account`;
* by name (:class:`Documents`: name-keyed placement groups, the ``vpc-index`` claim documents,
  per-account settings): ``doc_get``/``doc_create``/``doc_update``/``doc_mutate``/``doc_delete``/
  ``doc_entries``, ``account_doc_get``/``account_doc_mutate``; Hive's counters:
  :func:`next_in_sequence`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import Record, ResourceKind, is_live
from kv.buckets import account_key, account_prefix, bucket_name, split_account_key
from kv.counter import SharedCounter
from kv.records import RecordBucket
from kv.store import KeyExistsError, RevisionMismatchError, is_valid_key
from kv.store import StoreError as StoreError  # noqa: PLC0414 (re-exported for handlers)


async def records(ctx: RequestContext, kind: ResourceKind) -> RecordBucket:
    """The record bucket of ``kind``."""
    return await ctx.runtime.records(kind.bucket, kind.schema)


async def _key_of(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> str | None:
    """The KV key of the caller's ``resource_id``, or ``None`` when no record can have that id.

    That is a name-keyed kind with no such id, or an id no record can have: one that is no valid
    KV key (``""``, ``sg-é``; asking the store would raise :class:`kv.store.InvalidKeyError`, a
    500, instead of the kind's NotFound error) or one with a ``.`` (ids never have one; such a key
    would reach the bucket's index records, e.g. ``<account>.name.<digest>`` of key pairs).
    """
    if kind.key_field is None:
        key = account_key(ctx.account_id, resource_id)
        return key if "." not in resource_id and is_valid_key(key) else None
    for record in await list_records(ctx, kind):
        if record.get(kind.id_field) == resource_id:
            return account_key(ctx.account_id, str(record[kind.key_field]))
    return None


async def find(
    ctx: RequestContext, kind: ResourceKind, resource_id: str, *, live_only: bool = True
) -> Record | None:
    """The caller's record of ``resource_id``, or ``None``.

    A record the kind's liveness rule calls gone (a volume past its ``deleting`` time, ...) is
    ``None`` too, as AWS no longer knows the id, unless ``live_only=False``.
    """
    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        return None
    # get_many: from the replica (one consistency wait) rather than the backend's direct get
    # that a compare-and-swap needs; the same on a store without a replica.
    found = await (await records(ctx, kind)).get_many([key])
    if not found:
        return None
    record = found[0][1]
    if live_only and not is_live(ctx, kind, record, clock.now()):
        return None
    return record


async def get(
    ctx: RequestContext, kind: ResourceKind, resource_id: str, *, live_only: bool = True
) -> Record:
    """The caller's record of ``resource_id``; the kind's NotFound error when absent or gone."""
    kind.check_id(resource_id)
    record = await find(ctx, kind, resource_id, live_only=live_only)
    if record is None:
        raise kind.not_found(resource_id)
    return record


async def list_records(
    ctx: RequestContext, kind: ResourceKind, *, containing: bytes | None = None
) -> list[Record]:
    """Every record of ``kind`` in the caller's account, sorted by id (``containing``: only
    those whose stored JSON holds these bytes, see :meth:`kv.records.RecordBucket.items`)."""
    bucket = await records(ctx, kind)
    return await bucket.list(account_prefix(ctx.account_id), containing=containing)


async def ids(ctx: RequestContext, kind: ResourceKind) -> list[str]:
    """The keys' ids of the caller's records of ``kind`` (an id-keyed kind), sorted, none of
    them read: what a scan that only asks "does it exist" needs at 100k records."""
    assert kind.key_field is None, f"{kind.name} is keyed by name"
    keys = await (await records(ctx, kind)).keys(account_prefix(ctx.account_id))
    return [found for key in keys if (found := _record_id(key)) is not None]


async def field_map(ctx: RequestContext, kind: ResourceKind, field: str) -> dict[str, list[Any]]:
    """The caller's records of ``kind`` (an id-keyed kind) whose ``field`` holds a value: id →
    its values (a list field: its items; a dotted field reaches into nested objects). From the
    replica's index of ``field`` without decoding a record; decoded records without a replica.
    Liveness is not applied (as :func:`list_records`)."""
    assert kind.key_field is None, f"{kind.name} is keyed by name"
    found = await (await records(ctx, kind)).field_map(field, ctx.account_id)
    return {
        record_id: values
        for key, values in found.items()
        if (record_id := _record_id(key)) is not None
    }


def _record_id(key: str) -> str | None:
    """The id in an ``<account>.<id>`` key; ``None`` for a bucket's other keys (ids never hold
    a ``.``: ``<account>.name.<digest>`` is a key pair's name index)."""
    record_id = split_account_key(key)[1]
    return None if "." in record_id else record_id


_INDEXED: dict[str, set[str]] = {}


def indexed(kind: ResourceKind, *fields: str) -> None:
    """Declare that :func:`where` queries of ``kind`` by any of ``fields`` are answered from an
    index (kept by the read replica: O(matches) instead of O(the account's records)).

    Families declare the fields their filters and lookups use next to their ``FilterSpec``
    (``FilterSpec.indexes``); every ``dependents.blocks(parent, by=kind, field=f)`` declares
    ``f``.
    """
    _INDEXED.setdefault(kind.name, set()).update(fields)


def indexed_fields(kind: ResourceKind) -> frozenset[str]:
    """The fields of ``kind`` declared with :func:`indexed`."""
    return frozenset(_INDEXED.get(kind.name, ()))


async def where(
    ctx: RequestContext, kind: ResourceKind, *, live_only: bool = True, **fields: Any
) -> list[Record]:
    """The caller's records of ``kind`` whose ``fields`` equal the given values, sorted by id.

    ``where(ctx, SUBNET, vpc_id="vpc-1")``. Records the kind's liveness rule calls gone are left
    out unless ``live_only=False``. A field declared with :func:`indexed` is looked up in the
    replica's index; otherwise the account's records are listed.
    """
    now = clock.now()
    return [
        record
        for record in await _candidates(ctx, kind, fields)
        if all(record.get(name) == value for name, value in fields.items())
        and (not live_only or is_live(ctx, kind, record, now))
    ]


async def _candidates(
    ctx: RequestContext, kind: ResourceKind, fields: dict[str, Any]
) -> list[Record]:
    found = await matching(
        ctx,
        kind,
        {n: [v] for n, v in fields.items() if isinstance(v, (str, int, bool))},
        live_only=False,
    )
    return await list_records(ctx, kind) if found is None else found


async def matching(
    ctx: RequestContext,
    kind: ResourceKind,
    criteria: Mapping[str, Sequence[Any]],
    *,
    live_only: bool = True,
) -> list[Record] | None:
    """The caller's records of ``kind`` whose every indexed ``field`` of ``criteria`` holds one
    of its values (sorted by id), from the indexes: the key sets are intersected before any
    record is decoded, so ``{"group_name": ["default"], "vpc_id": [v]}`` decodes one group,
    not every VPC's default group. Fields without an index are left out (the caller still
    checks every condition); ``None`` when none has one. A dotted field reaches into nested
    objects (``associations.association_id``). With ``live_only=False`` records the kind's
    liveness rule calls gone are included."""
    bucket = await records(ctx, kind)
    usable = _usable(bucket, kind, criteria)
    if usable is None:
        return None
    now = clock.now()
    return [
        record
        for _, record, _ in await bucket.matching(usable, ctx.account_id)
        if not live_only or is_live(ctx, kind, record, now)
    ]


async def matching_ids(
    ctx: RequestContext, kind: ResourceKind, criteria: Mapping[str, Sequence[Any]]
) -> list[str] | None:
    """The sorted ids of :func:`matching` (an id-keyed kind), nothing decoded and liveness not
    applied (as :func:`ids`); ``None`` when no field of ``criteria`` has an index."""
    assert kind.key_field is None, f"{kind.name} is keyed by name"
    bucket = await records(ctx, kind)
    usable = _usable(bucket, kind, criteria)
    if usable is None:
        return None
    keys = await bucket.matching_keys(usable, ctx.account_id)
    return [found for key in keys if (found := _record_id(key)) is not None]


def _usable(
    bucket: RecordBucket, kind: ResourceKind, criteria: Mapping[str, Sequence[Any]]
) -> dict[str, Sequence[Any]] | None:
    """The fields of ``criteria`` with an index, or ``None`` when none has one here."""
    declared = _INDEXED.get(kind.name, ())
    usable = {field: values for field, values in criteria.items() if field in declared}
    return usable if bucket.can_index() and usable else None


async def any_of(
    ctx: RequestContext,
    kind: ResourceKind,
    field: str,
    values: list[str],
    *,
    live_only: bool = True,
) -> list[Record] | None:
    """The caller's live records of ``kind`` whose ``field`` is one of ``values`` (sorted by
    id, each once), from the index; ``None`` when ``field`` has no index here. With
    ``live_only=False`` records the kind's liveness rule calls gone are included."""
    return await matching(ctx, kind, {field: values}, live_only=live_only)


async def find_many(
    ctx: RequestContext, kind: ResourceKind, ids: list[str], *, live_only: bool = True
) -> list[Record]:
    """The caller's live records of those ``ids`` that exist (each once, sorted by id): one
    read per id (one consistency wait for all), never a listing of the account. With
    ``live_only=False`` records the kind's liveness rule calls gone are included."""
    if not ids:
        return []
    if kind.key_field is not None:
        wanted = set(ids)
        return [
            r for r in await where(ctx, kind, live_only=live_only) if r.get(kind.id_field) in wanted
        ]
    keys = []
    for resource_id in dict.fromkeys(ids):
        key = account_key(ctx.account_id, resource_id)
        if "." not in resource_id and is_valid_key(key):
            keys.append(key)
    now = clock.now()
    found = await (await records(ctx, kind)).get_many(sorted(keys))
    return [record for _, record, _ in found if not live_only or is_live(ctx, kind, record, now)]


CreateHook: TypeAlias = Callable[[RequestContext, ResourceKind, Record], Awaitable[None]]
_AFTER_CREATE: list[CreateHook] = []


def after_create(hook: CreateHook) -> None:
    """Run ``hook`` after every :func:`create` (:mod:`hive_gateway.core.dependents` re-checks the
    new record's parents there; it may remove the record and raise)."""
    _AFTER_CREATE.append(hook)


async def create(
    ctx: RequestContext, kind: ResourceKind, record: Record, *, exist_ok: bool = False
) -> Record:
    """Store a new record under its id (or its ``key_field``): create-if-absent.

    With ``exist_ok`` an existing record wins and is returned (idempotent creation of implicit
    resources such as a default DHCP option set). Otherwise, for a name-keyed kind an existing
    name raises :class:`kv.store.KeyExistsError`. After the write every :func:`after_create`
    hook runs (the parent re-check of :mod:`hive_gateway.core.dependents`).
    """
    stored = await _create(ctx, kind, record, exist_ok=exist_ok)
    for hook in _AFTER_CREATE:
        await hook(ctx, kind, stored)
    return stored


async def _create(
    ctx: RequestContext, kind: ResourceKind, record: Record, *, exist_ok: bool = False
) -> Record:
    bucket = await records(ctx, kind)
    key_field = kind.key_field or kind.id_field
    key = account_key(ctx.account_id, str(record[key_field]))
    try:
        await bucket.create(key, record)
    except KeyExistsError as exc:
        if exist_ok:
            found = await bucket.get(key)
            if found is not None:
                return found[0]
            return await _create(ctx, kind, record, exist_ok=True)  # deleted meanwhile: retry
        if kind.key_field is not None:
            raise  # a name-keyed kind: the caller answers its own ``…Duplicate`` error
        # a 17-hex-digit id collision: astronomically unlikely
        raise AwsError("InternalError", "An internal error has occurred", status=500) from exc
    return record


Mutation: TypeAlias = Callable[[Record], Record | None | Awaitable[Record | None]]


class _Missing(Exception):
    """The record went away under a mutate-if-present."""


async def mutate(
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    change: Mutation,
    *,
    missing_ok: bool = False,
) -> Record | None:
    """Compare-and-swap the caller's record of ``resource_id`` through ``change``.

    ``change`` gets the current record (never ``None``: a missing record raises the kind's
    NotFound error, or with ``missing_ok`` makes this a no-op returning ``None``) and returns
    the new one, or ``None`` to delete it. Raising inside ``change`` aborts without writing;
    concurrent writers are retried.
    """
    if not missing_ok:
        kind.check_id(resource_id)

    async def apply(current: Record | None) -> Record | None:
        if current is None:
            raise _Missing() if missing_ok else kind.not_found(resource_id)
        outcome = change(current)
        return await outcome if inspect.isawaitable(outcome) else outcome

    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        if missing_ok:
            return None
        raise kind.not_found(resource_id)
    if missing_ok:
        try:
            return await (await records(ctx, kind)).mutate(key, apply)
        except _Missing:
            return None
    bucket = await records(ctx, kind)
    return await bucket.mutate(key, apply)


async def delete(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> None:
    """Remove the caller's record of ``resource_id`` (no error when already gone)."""
    key = await _key_of(ctx, kind, resource_id)
    if key is not None:
        await (await records(ctx, kind)).delete(key)


async def every_account(ctx: RequestContext, kind: ResourceKind) -> list[tuple[str, Record]]:
    """``(owner account, record)`` for every record of ``kind`` in every account.

    For what AWS shows across accounts (public and shared images and snapshots); everything
    else stays account-scoped. Keys that are not ``<account>.<id>`` (index entries) are skipped.
    """
    found: list[tuple[str, Record]] = []
    for key, record, _ in await (await records(ctx, kind)).items(""):
        try:
            owner, _ = split_account_key(key)
        except ValueError:
            continue
        found.append((owner, record))
    return found


async def next_in_sequence(ctx: RequestContext, logical_bucket: str, *, first: int) -> int:
    """Allocate the next number of a counter shared with Hive (``counter`` = a JSON int).

    Hive's VNI counter (``<prefix>-vpc-vni-counter``/``counter``) starts at ``first`` and
    every allocation is a compare-and-swap, so gateways and Hive never hand out one twice;
    concurrent callers on this process share one swap (:class:`kv.counter.SharedCounter`).
    """
    bucket = await ctx.runtime.store.bucket(
        bucket_name(ctx.runtime.settings.bucket_prefix, logical_bucket)
    )
    counter = ctx.runtime.service(
        f"sequence:{logical_bucket}", lambda: SharedCounter(bucket, "counter", first=first)
    )
    return await counter.take()


# --- account-scoped documents by name ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Documents:
    """A bucket of account-scoped documents addressed by name (``<account>.<name>``).

    For what is not looked up by a resource id: records keyed by name (Hive keys placement
    groups ``<account>.<group-name>``), and the gateway's claim documents (``vpc-index``).
    """

    bucket: str
    schema: str | None


INDEX: Final = Documents("vpc_index", "vpc_index")
"""The gateway's claim documents (per-VPC index, device slots, name and token claims)."""


def documents_of(kind: ResourceKind) -> Documents:
    """The bucket of ``kind`` addressed by key (its ``key_field`` value, or its id)."""
    return Documents(kind.bucket, kind.schema)


async def _documents(ctx: RequestContext, docs: Documents) -> RecordBucket:
    return await ctx.runtime.records(docs.bucket, docs.schema)


def storable(ctx: RequestContext, name: str) -> bool:
    """Whether ``name`` can address a document of the caller (a valid ``<account>.<name>``)."""
    return is_valid_key(account_key(ctx.account_id, name))


async def doc_get(ctx: RequestContext, docs: Documents, name: str) -> tuple[Record, int] | None:
    """The caller's document ``name`` with its revision, or ``None``."""
    return await (await _documents(ctx, docs)).get(account_key(ctx.account_id, name))


async def doc_create(ctx: RequestContext, docs: Documents, name: str, doc: Record) -> bool:
    """Create-if-absent: store ``doc`` unless ``name`` exists; whether it was stored."""
    try:
        await (await _documents(ctx, docs)).create(account_key(ctx.account_id, name), doc)
    except KeyExistsError:
        return False
    return True


async def doc_put(ctx: RequestContext, docs: Documents, name: str, doc: Record) -> None:
    """Store ``doc`` under ``name`` whatever was there."""
    await (await _documents(ctx, docs)).put(account_key(ctx.account_id, name), doc)


async def doc_update(
    ctx: RequestContext, docs: Documents, name: str, doc: Record, revision: int
) -> bool:
    """Compare-and-swap ``doc`` over revision ``revision``; ``False`` when it changed since."""
    try:
        await (await _documents(ctx, docs)).update(account_key(ctx.account_id, name), doc, revision)
    except (RevisionMismatchError, KeyExistsError):
        return False
    return True


async def doc_mutate(
    ctx: RequestContext,
    docs: Documents,
    name: str,
    change: Callable[[Record | None], Record | None | Awaitable[Record | None]],
) -> Record | None:
    """Compare-and-swap ``name`` through ``change`` (gets ``None`` when absent; returns the new
    document, or ``None`` to delete it); concurrent writers are retried."""
    return await (await _documents(ctx, docs)).mutate(account_key(ctx.account_id, name), change)


async def doc_delete(
    ctx: RequestContext, docs: Documents, name: str, *, revision: int | None = None
) -> bool:
    """Remove ``name`` (only at ``revision`` when given); ``False`` when it changed since."""
    try:
        await (await _documents(ctx, docs)).delete(
            account_key(ctx.account_id, name), revision=revision
        )
    except RevisionMismatchError:
        return False
    return True


async def doc_entries(
    ctx: RequestContext, docs: Documents, *, containing: bytes | None = None
) -> list[tuple[str, Record, int]]:
    """``(name, document, revision)`` of every document of the caller, sorted by name
    (``containing``: only those whose stored JSON holds these bytes, as in
    :meth:`kv.records.RecordBucket.items`)."""
    prefix = account_prefix(ctx.account_id)
    return [
        (key[len(prefix) :], doc, revision)
        for key, doc, revision in await (await _documents(ctx, docs)).items(
            prefix, containing=containing
        )
    ]


async def doc_names(ctx: RequestContext, docs: Documents) -> list[str]:
    """The names of the caller's documents, sorted, none of them read."""
    prefix = account_prefix(ctx.account_id)
    return [key[len(prefix) :] for key in await (await _documents(ctx, docs)).keys(prefix)]


async def account_doc_get(ctx: RequestContext, docs: Documents) -> Record | None:
    """The caller's one document of ``docs``, keyed by the bare account id (Hive's
    ``ec2-account-settings``), or ``None``."""
    found = await (await _documents(ctx, docs)).get(ctx.account_id)
    return found[0] if found is not None else None


async def account_doc_mutate(
    ctx: RequestContext, docs: Documents, change: Callable[[Record | None], Record | None]
) -> Record | None:
    """Compare-and-swap the caller's one document of ``docs`` through ``change``."""
    return await (await _documents(ctx, docs)).mutate(ctx.account_id, change)
