"""Account-scoped record access: the one door through which handlers read and write records.

Records live under Hive's key ``<account>.<resource-id>`` (see :mod:`hive_gateway.core.kinds`),
so another account's resource is indistinguishable from a missing one.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, TypeAlias

from kv.buckets import account_key, account_prefix
from kv.records import RecordBucket
from kv.store import KeyExistsError, is_valid_key

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import Record, ResourceKind, is_live


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


async def find(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> Record | None:
    """The caller's record of ``resource_id``, or ``None``."""
    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        return None
    found = await (await records(ctx, kind)).get(key)
    return found[0] if found is not None else None


async def get(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> Record:
    """The caller's record of ``resource_id``; the kind's NotFound error when absent."""
    kind.check_id(resource_id)
    record = await find(ctx, kind, resource_id)
    if record is None:
        raise kind.not_found(resource_id)
    return record


async def list_records(ctx: RequestContext, kind: ResourceKind) -> list[Record]:
    """Every record of ``kind`` in the caller's account, sorted by id."""
    return await (await records(ctx, kind)).list(account_prefix(ctx.account_id))


async def where(
    ctx: RequestContext, kind: ResourceKind, *, live_only: bool = True, **fields: Any
) -> list[Record]:
    """The caller's records of ``kind`` whose ``fields`` equal the given values, sorted by id.

    ``where(ctx, SUBNET, vpc_id="vpc-1")``. Records the kind's liveness rule calls gone are left
    out unless ``live_only=False``. This is the query the read replica answers from an index.
    """
    now = datetime.now(timezone.utc)
    return [
        record
        for record in await list_records(ctx, kind)
        if all(record.get(name) == value for name, value in fields.items())
        and (not live_only or is_live(kind, record, now))
    ]


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
