"""Account-scoped record access: the one door through which handlers read and write records.

Records live under Hive's key ``<account>.<resource-id>`` (see :mod:`hive_gateway.core.kinds`),
so another account's resource is indistinguishable from a missing one.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from kv.buckets import account_key, account_prefix
from kv.records import RecordBucket
from kv.store import KeyExistsError, is_valid_key

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import Record, ResourceKind


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


async def create(ctx: RequestContext, kind: ResourceKind, record: Record) -> Record:
    """Store a new record under its id (or its ``key_field``).

    For a name-keyed kind an existing name raises :class:`kv.store.KeyExistsError`.
    """
    bucket = await records(ctx, kind)
    try:
        key_field = kind.key_field or kind.id_field
        await bucket.create(account_key(ctx.account_id, str(record[key_field])), record)
    except KeyExistsError as exc:
        if kind.key_field is not None:
            raise  # a name-keyed kind: the caller answers its own ``…Duplicate`` error
        # a 17-hex-digit id collision: astronomically unlikely
        raise AwsError("InternalError", "An internal error has occurred", status=500) from exc
    return record


Mutation: TypeAlias = Callable[[Record], Record | None | Awaitable[Record | None]]


async def mutate(
    ctx: RequestContext, kind: ResourceKind, resource_id: str, change: Mutation
) -> Record | None:
    """Compare-and-swap the caller's record of ``resource_id`` through ``change``.

    ``change`` gets the current record (never ``None``: a missing record raises the kind's
    NotFound error) and returns the new one, or ``None`` to delete it. Raising inside
    ``change`` aborts without writing; concurrent writers are retried.
    """
    kind.check_id(resource_id)

    async def apply(current: Record | None) -> Record | None:
        if current is None:
            raise kind.not_found(resource_id)
        outcome = change(current)
        return await outcome if inspect.isawaitable(outcome) else outcome

    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        raise kind.not_found(resource_id)
    bucket = await records(ctx, kind)
    return await bucket.mutate(key, apply)


async def delete(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> None:
    """Remove the caller's record of ``resource_id`` (no error when already gone)."""
    key = await _key_of(ctx, kind, resource_id)
    if key is not None:
        await (await records(ctx, kind)).delete(key)
