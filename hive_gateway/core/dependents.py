"""Who depends on whom, declared by the dependent family (architecture.md §2).

A family states what its records mean for the resources they point at, next to its own fields::

    blocks("subnet", by="network-interface", field="subnet_id")           # network_interfaces
    blocks("vpc", by="route-table", field="vpc_id", unless=lambda r: bool(r.get("is_main")))
    blocks("snapshot", by="image", where=lambda image, snap: uses(image, snap["snapshot_id"]))

    @on("network-interface", "deleted")                                  # addresses
    async def _eips_follow(ctx, eni): ...

and the owner of the parent never imports the dependent:

* :func:`delete_guarded` marks the parent ``deleting`` (compare-and-swap, with the family's own
  state rule inside the same swap), asks every declared blocker (each a :func:`records.where`
  query), then either unmarks and answers AWS's ``DependencyViolation`` or deletes and fires
  ``(kind, "deleted")``;
* every :func:`records.create` re-reads, after its write, each parent its kind declared with
  ``blocks(parent, field=…)``: a missing or ``deleting`` parent removes the new record and
  answers the parent's NotFound. Marking before checking and writing before re-reading means a
  racing create and delete always see each other: no record outlives its parent.

:func:`table` lists every declared relation and reaction (the one place to look for "what blocks
deleting X" and "what happens when X goes").
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, dependency_violation
from hive_gateway.core.kinds import KINDS, Record, ResourceKind

DELETING: Final = "deleting"
"""The record field a guarded delete sets while it checks for blockers."""

Refers: TypeAlias = Callable[[Record, Record], bool]
"""``where(dependent, parent)``: whether ``dependent`` holds on to ``parent``."""
Reaction: TypeAlias = Callable[[RequestContext, Record], Awaitable[None]]
OwnCheck: TypeAlias = Callable[[Record], None]
"""The family's own state rule (raises its AWS error: a main route table, an attached IGW...)."""


@dataclass(frozen=True, slots=True)
class Relation:
    """``by`` records block ``event`` of their ``parent`` (``field`` equal to its id, or ``where``)."""

    parent: str
    by: str
    field: str | None
    where: Refers | None
    unless: Callable[[Record], bool] | None
    event: str
    declared_in: str
    recheck: bool = True
    via: tuple[str, str] | None = None
    """``(dependent field, parent field)`` of a ``where`` relation: only dependents whose field
    holds the parent's value (or has it among its list items) can refer to it."""

    def refers(self, dependent: Record, parent: Record) -> bool:
        """Whether ``dependent`` blocks ``parent`` (and is not exempt)."""
        if self.unless is not None and self.unless(dependent):
            return False
        if self.field is not None:
            return bool(dependent.get(self.field)) and dependent.get(self.field) == _id(
                self.parent, parent
            )
        assert self.where is not None
        return self.where(dependent, parent)


@dataclass(frozen=True, slots=True)
class Marker:
    """How a kind is marked ``deleting`` when the mark does not live on its record (a VPC's is
    on its ``vpc_index`` document)."""

    mark: Callable[[RequestContext, str], Awaitable[None]]
    unmark: Callable[[RequestContext, str], Awaitable[None]]
    is_deleting: Callable[[RequestContext, str], Awaitable[bool]]
    finish: Callable[[RequestContext, str], Awaitable[None]]
    """Runs after the record is deleted (drop the document)."""


_RELATIONS: list[Relation] = []
_REACTIONS: dict[tuple[str, str], list[Reaction]] = {}
_MARKERS: dict[str, Marker] = {}


def _id(kind_name: str, record: Record) -> object:
    return record.get(KINDS[kind_name].id_field)


def _caller() -> str:
    frame = sys._getframe(2)
    return str(frame.f_globals.get("__name__", "?"))


def blocks(
    parent: str,
    *,
    by: str,
    field: str | None = None,
    where: Refers | None = None,
    unless: Callable[[Record], bool] | None = None,
    event: str = "delete",
    recheck: bool = True,
    via: tuple[str, str] | None = None,
) -> None:
    """Declare that live ``by`` records block ``event`` (``delete``, ``detach``, …) of ``parent``.

    ``field``: the dependent's field holding the parent's id (also makes ``parent`` a parent
    that :func:`records.create` of ``by`` re-checks); ``where(dependent, parent)`` for
    relations no single field states; ``unless(dependent)`` exempts a record (a main route
    table, a terminated instance). ``recheck=False`` leaves the parent out of the re-check after
    a create (a record written after work that cannot be undone, e.g. a launched instance, whose
    parent is already held by another dependent).

    ``via=(dependent field, parent field)`` with ``where``: ``where`` can only hold for a
    dependent whose field equals the parent's field (or, a list, has it among its items), e.g.
    ``via=("security_group_ids", "group_id")``; the candidates then come from that field's
    index instead of every ``by`` record of the account.
    """
    if parent not in KINDS or by not in KINDS:
        raise KeyError(f"unknown kind in blocks({parent!r}, by={by!r})")
    if (field is None) == (where is None):
        raise ValueError("blocks() takes exactly one of field= or where=")
    if via is not None and where is None:
        raise ValueError("blocks(via=...) narrows a where= relation")
    _RELATIONS.append(Relation(parent, by, field, where, unless, event, _caller(), recheck, via))
    if field is not None:
        records.indexed(KINDS[by], field)  # a dependency check is O(dependents)
    if via is not None:
        records.indexed(KINDS[by], via[0])


def on(kind: str, event: str) -> Callable[[Reaction], Reaction]:
    """Declare a reaction to ``event`` (``deleted``, ``terminated``, ``attached``…) of ``kind``."""
    if kind not in KINDS:
        raise KeyError(f"unknown kind {kind!r}")

    def register(reaction: Reaction) -> Reaction:
        _REACTIONS.setdefault((kind, event), []).append(reaction)
        return reaction

    return register


def marker(kind: str, how: Marker) -> None:
    """Keep ``kind``'s ``deleting`` mark somewhere else than on its record."""
    _MARKERS[kind] = how


async def fire(ctx: RequestContext, kind: str, event: str, record: Record) -> None:
    """Run every reaction to ``(kind, event)``, in declaration order (each is idempotent).

    Errors propagate, as the hard-wired calls did; the owning write has already happened.
    """
    for reaction in _REACTIONS.get((kind, event), ()):
        await reaction(ctx, record)


async def blockers(
    ctx: RequestContext, kind: str, parent: Record, *, event: str = "delete"
) -> list[Record]:
    """The live records that block ``event`` of ``parent`` (one ``where`` query per relation)."""
    found: list[Record] = []
    for relation in _RELATIONS:
        if relation.parent != kind or relation.event != event:
            continue
        by = KINDS[relation.by]
        try:
            if relation.field is not None:
                value: Any = _id(relation.parent, parent)
                candidates = await records.where(ctx, by, **{relation.field: value})
            else:
                candidates = await _where_candidates(ctx, relation, by, parent)
        except ValueError:  # a kind whose family (and schema) does not exist yet: no records
            continue
        found += [r for r in candidates if relation.refers(r, parent)]
    return found


async def _where_candidates(
    ctx: RequestContext, relation: Relation, by: ResourceKind, parent: Record
) -> list[Record]:
    """The live ``by`` records a ``where`` relation must look at: those the ``via`` index
    selects, else every one of the account."""
    if relation.via is not None:
        field, parent_field = relation.via
        value = parent.get(parent_field)
        if isinstance(value, str) and value:
            found = await records.any_of(ctx, by, field, [value])
            if found is not None:
                return found
    return await records.where(ctx, by)


async def check(
    ctx: RequestContext,
    kind: str,
    parent: Record,
    *,
    event: str = "delete",
    violation: Callable[[str], AwsError] | None = None,
) -> None:
    """Raise ``violation(id)`` (default: :func:`dependency_violation`) while anything blocks."""
    if await blockers(ctx, kind, parent, event=event):
        resource_id = str(_id(kind, parent))
        raise (violation or (lambda i: dependency_violation(kind, i)))(resource_id)


async def _mark(
    ctx: RequestContext, kind: ResourceKind, resource_id: str, own_check: OwnCheck | None
) -> Record:
    how = _MARKERS.get(kind.name)
    if how is not None:
        record = await records.get(ctx, kind, resource_id)
        if own_check is not None:
            own_check(record)
        await how.mark(ctx, resource_id)
        return record

    def mark(current: Record) -> Record:
        if own_check is not None:
            own_check(current)
        return {**current, DELETING: True}

    marked = await records.mutate(ctx, kind, resource_id, mark)
    assert marked is not None
    return marked


async def _unmark(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> None:
    how = _MARKERS.get(kind.name)
    if how is not None:
        await how.unmark(ctx, resource_id)
        return
    await records.mutate(
        ctx,
        kind,
        resource_id,
        lambda r: {k: v for k, v in r.items() if k != DELETING},
        missing_ok=True,
    )


def has_marker(kind: str) -> bool:
    """Whether ``kind``'s ``deleting`` mark lives in its own document (:func:`marker`)."""
    return kind in _MARKERS


async def unmark(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> None:
    """Undo the ``deleting`` mark of an interrupted guarded delete (start-up repair)."""
    await _unmark(ctx, kind, resource_id)


async def is_deleting(ctx: RequestContext, kind: ResourceKind, record: Record) -> bool:
    """Whether a guarded delete of ``record`` is under way."""
    how = _MARKERS.get(kind.name)
    if how is not None:
        return await how.is_deleting(ctx, str(record[kind.id_field]))
    return bool(record.get(DELETING))


async def delete_guarded(
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    own_check: OwnCheck | None = None,
    *,
    violation: Callable[[str], AwsError] | None = None,
) -> Record:
    """Delete the caller's ``resource_id`` unless its own state or a declared blocker forbids it.

    Mark ``deleting`` (with ``own_check`` in the same compare-and-swap) → every blocker → on a
    blocker unmark and raise ``violation(id)`` (default: AWS's ``DependencyViolation`` for the
    kind) → else delete → fire ``(kind, "deleted")``. Returns the deleted record.
    """
    record = await _mark(ctx, kind, resource_id, own_check)
    try:
        await check(ctx, kind.name, record, violation=violation)
    except BaseException:
        await _unmark(ctx, kind, resource_id)
        raise
    await records.mutate(ctx, kind, resource_id, lambda _current: None)  # a racing twin: NotFound
    how = _MARKERS.get(kind.name)
    if how is not None:
        await how.finish(ctx, resource_id)
    gone = {k: v for k, v in record.items() if k != DELETING}
    await fire(ctx, kind.name, "deleted", gone)
    return gone


def parents(kind: str) -> list[tuple[str, str]]:
    """``(parent kind, field)`` for every parent ``kind`` declared with ``blocks(..., field=)``."""
    seen: list[tuple[str, str]] = []
    for relation in _RELATIONS:
        if (
            relation.by == kind
            and relation.field is not None
            and relation.event == "delete"
            and relation.recheck
        ):
            pair = (relation.parent, relation.field)
            if pair not in seen:
                seen.append(pair)
    return seen


async def missing_parent(
    ctx: RequestContext, kind: ResourceKind, record: Record
) -> AwsError | None:
    """The NotFound error of the first declared parent of ``record`` that is gone or going."""
    for parent_name, field in parents(kind.name):
        value = record.get(field)
        parent = KINDS[parent_name]
        if not isinstance(value, str) or not value.startswith(parent.id_prefix + "-"):
            continue  # "" (detached), "default" (no DHCP options): points at nothing
        found = await records.find(ctx, parent, value)
        if found is None or await is_deleting(ctx, parent, found):
            return parent.not_found(value)
    return None


async def check_parents(
    ctx: RequestContext,
    kind: ResourceKind,
    record: Record,
    undo: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """After writing ``record`` (or pointing it at a parent), make sure every parent remains.

    A missing or ``deleting`` parent runs ``undo`` (default: delete ``record``) and raises the
    parent's NotFound error, as if the parent had been gone before the request.
    """
    error = await missing_parent(ctx, kind, record)
    if error is None:
        return
    if undo is not None:
        await undo()
    else:
        await records.delete(ctx, kind, str(record[kind.id_field]))
    raise error


async def _after_create(ctx: RequestContext, kind: ResourceKind, record: Record) -> None:
    await check_parents(ctx, kind, record)


records.after_create(_after_create)


def table() -> list[tuple[str, str, str, str]]:
    """Every declared relation and reaction, as ``(parent kind, event, dependent, declared in)``:

    ``("vpc", "delete", "subnet.vpc_id", "handlers.subnets.lifecycle")``,
    ``("instance", "terminated", "→ handlers.route_tables.reactions.blackhole_routes[instance_id]",
    "handlers.route_tables.reactions")``.
    """
    rows = [
        (
            r.parent,
            r.event,
            f"{r.by}.{r.field}" if r.field else f"{r.by} (where)",
            r.declared_in,
        )
        for r in _RELATIONS
    ]
    for (kind, event), reactions in _REACTIONS.items():
        for reaction in reactions:
            name = f"{reaction.__module__}.{getattr(reaction, '__qualname__', '?')}"
            rows.append((kind, event, f"→ {name}", reaction.__module__))
    return rows
