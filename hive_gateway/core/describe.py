"""The standard ``Describe<Kind>s``: explicit ids must all exist (else the kind's NotFound
error), then the filter engine, then pagination. Ids are read one by one and an indexed filter
(``FilterSpec.indexes``) is looked up, so neither lists the account's records; a ``MaxResults``
page renders records in id order only until it is full (:func:`describe_page`).

:func:`describe` runs that over the caller's live records of a kind; :func:`describe_items` over
API-form items a family gathered itself (volumes with their lazily computed states, snapshots
visible across accounts, ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import FilterSpec, apply_filters, compile_filters, has_wildcard
from hive_gateway.core.kinds import Record, ResourceKind
from hive_gateway.core.pagination import Page, page_request, paginate
from hive_gateway.core.records import find_many, ids, indexed, matching, matching_ids, where

T = TypeVar("T")


def not_found_error(kind: ResourceKind, missing: Sequence[str]) -> AwsError:
    """The kind's NotFound error naming ``missing`` (``…Malformed`` first for a bad id)."""
    for resource_id in missing:
        kind.check_id(resource_id)
    if len(missing) == 1:
        return kind.not_found(missing[0])
    error = kind.not_found(", ".join(missing))
    error.message = error.message.replace(" does not exist", " do not exist").replace(
        " ID ", " IDs ", 1
    )
    return error


def check_ids_exist(kind: ResourceKind, wanted: Sequence[str], present: set[str]) -> None:
    """Raise the kind's NotFound error naming the ids of ``wanted`` not in ``present``."""
    check_present(wanted, present, lambda absent: not_found_error(kind, absent))


def check_present(
    wanted: Sequence[str], present: set[str], missing: Callable[[list[str]], AwsError]
) -> None:
    """Raise ``missing(absent)`` when values of ``wanted`` are not in ``present``."""
    absent = [value for value in wanted if value not in present]
    if absent:
        raise missing(absent)


def select_wanted(
    items: Sequence[Record],
    wanted: Sequence[str],
    member: str,
    missing: Callable[[list[str]], AwsError] | None,
) -> list[Record]:
    """The API-form ``items`` whose ``member`` is one of ``wanted`` (all items when none wanted).

    ``missing`` builds the error for wanted values no item has (``None``: they are just absent,
    as AWS answers for egress-only internet gateways).
    """
    if not wanted:
        return list(items)
    if missing is not None:
        check_present(wanted, {item[member] for item in items}, missing)
    wanted_set = set(wanted)
    return [item for item in items if item[member] in wanted_set]


async def describe(
    ctx: RequestContext,
    kind: ResourceKind,
    params: Mapping[str, Any],
    *,
    ids_param: str,
    result_key: str,
    spec: FilterSpec[Record],
    to_api: Callable[[RequestContext, Record], Record],
    ids_wire_name: str | None = None,
    missing_ids_ok: bool = False,
) -> Record:
    """The standard ``Describe<Kind>s``: ids → filters → page; returns the result dict.

    Only records the kind's liveness rule calls live are listed. ``to_api`` renders a record
    into its API form; filters apply to that form. With ``missing_ids_ok`` unknown ids are
    simply absent (AWS's behaviour for a few kinds, e.g. egress-only internet gateways).
    """
    wanted = [str(resource_id) for resource_id in params.get(ids_param) or ()]
    id_member = kind.api_id_member

    async def render(stored: list[Record]) -> list[Record]:
        return [to_api(ctx, record) for record in stored]

    page = await describe_page(
        ctx,
        kind,
        params,
        wanted,
        spec,
        render,
        key=lambda item: str(item[id_member]),
        missing=None if missing_ids_ok else lambda absent: not_found_error(kind, absent),
        ids_param=ids_param,
        ids_wire_name=ids_wire_name,
    )
    return {result_key: page.items, **page.token_member()}


async def describe_page(
    ctx: RequestContext,
    kind: ResourceKind,
    params: Mapping[str, Any],
    wanted: Sequence[str],
    spec: FilterSpec[T],
    render: Callable[[list[Record]], Awaitable[list[T]]],
    *,
    key: Callable[[T], str],
    missing: Callable[[list[str]], AwsError] | None,
    ids_param: str,
    ids_wire_name: str | None = None,
) -> Page[T]:
    """The page of the caller's live records of ``kind`` that a ``Describe<Kind>s`` answers:
    the ``wanted`` ids (``missing`` builds the error for those that do not exist; ``None``:
    they are just absent), else every record, narrowed by ``spec``'s filters.

    ``render`` turns stored records into the items filters see (API form, or rows carrying
    more); ``key`` is an item's id. A ``MaxResults`` page without ids renders only as many
    records, in id order, as it takes to fill the page (:meth:`PageRequest.cut_lazily`):
    ``DescribeVpcs MaxResults=5`` at 100k VPCs renders 6, not 100k. Otherwise every selected
    record is rendered, then filtered and cut.
    """
    request = page_request(params, ids_param=ids_param, ids_wire_name=ids_wire_name)
    keep = compile_filters(spec, params.get("Filters"))
    if request.size is not None and not wanted and kind.key_field is None:
        candidates = await matching_ids(ctx, kind, index_criteria(kind, spec, params))

        async def load(run: list[str]) -> list[T]:
            return keep(await render(await find_many(ctx, kind, run)))

        return await request.cut_lazily(
            await ids(ctx, kind) if candidates is None else candidates, load, key
        )
    items = await render(await stored_records(ctx, kind, params, wanted, spec))
    if wanted and missing is not None:
        check_present(wanted, {key(item) for item in items}, missing)
    return request.cut(keep(items), key)


def index_criteria(
    kind: ResourceKind, spec: FilterSpec[Any], params: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The request's filters an index of ``kind`` answers (``FilterSpec.indexes``, declared
    here with :func:`records.indexed`): field → values."""
    indexed(kind, *spec.indexes.values())
    criteria: dict[str, list[str]] = {}
    for entry in params.get("Filters") or ():
        name = str(entry.get("Name") or "")
        field = spec.indexes.get(spec.aliases.get(name, name))
        values = [str(value) for value in entry.get("Values") or ()]
        # A pattern, or "" (which an API form may show for an absent field), is no key.
        if field is None or not values or any(not v or has_wildcard(v) for v in values):
            continue
        criteria.setdefault(field, values)  # a second filter on it only narrows less
    return criteria


async def stored_records(
    ctx: RequestContext,
    kind: ResourceKind,
    params: Mapping[str, Any],
    wanted: Sequence[str],
    spec: FilterSpec[Any],
    *,
    live_only: bool = True,
) -> list[Record]:
    """The live records that can answer: those of the wanted ids (O(ids)), else those every
    indexed filter without wildcards selects (``FilterSpec.indexes``; their key sets are
    intersected before anything is decoded: O(the smallest)), else all of the account's.
    Filters still run over the API form afterwards, so this only narrows.

    For a family that renders and selects its items itself (:func:`describe_items`): the
    stored records its items come from. ``live_only=False`` keeps the records the kind's
    liveness rule calls gone (deleted NAT gateways stay describable for a while)."""
    if wanted:
        return await find_many(ctx, kind, list(wanted), live_only=live_only)
    if spec.indexes:
        found = await matching(ctx, kind, index_criteria(kind, spec, params), live_only=live_only)
        if found is not None:
            return found
    return await where(ctx, kind, live_only=live_only)


def describe_items(
    items: Sequence[Record],
    params: Mapping[str, Any],
    *,
    kind: ResourceKind | None,
    id_member: str,
    ids_param: str,
    result_key: str,
    spec: FilterSpec[Record],
    ids_wire_name: str | None = None,
) -> Record:
    """ids → filters → page over API-form ``items``; returns the result dict.

    Every id of ``ids_param`` must be among the items, else the ``kind``'s NotFound error
    naming the missing ones (``InvalidVolume.NotFound: The volume 'vol-1' does not exist.``);
    with ``kind=None`` unknown ids are simply absent.
    """
    selected = select_wanted(
        items,
        list(params.get(ids_param) or []),
        id_member,
        None if kind is None else lambda absent: not_found_error(kind, absent),
    )
    filtered = apply_filters(spec, params.get("Filters"), selected)
    page = paginate(
        filtered,
        params,
        key=lambda item: str(item[id_member]),
        ids_param=ids_param,
        ids_wire_name=ids_wire_name,
    )
    return {result_key: page.items, **page.token_member()}
