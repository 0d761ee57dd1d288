"""The managed-prefix-list actions: create, modify, restore, delete, describe, entries,
associations (customer-managed lists are records; AWS-managed ones the region's catalogue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.prefix_lists import rules
from handlers.prefix_lists.associations import associations
from handlers.prefix_lists.catalogue import managed_list, managed_lists
from handlers.prefix_lists.view import (
    DELETE_IN_PROGRESS,
    MANAGED_PREFIX_LIST_FILTERS,
    PREFIX_LIST_FILTERS,
    api_state,
    customer_list_to_api,
    in_transition,
    managed_list_to_api,
    service_list_to_api,
)
from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

PREFIX_LIST: Final = KINDS["prefix-list"]
MAX_VERSIONS_KEPT: Final = 100
"""Versions kept for ``TargetVersion`` and restores (older ones are forgotten)."""


def aws_managed(pl_id: str) -> AwsError:
    """Changing a list AWS owns."""
    return invalid_parameter_value(
        f"The prefix list {pl_id} is managed by AWS and cannot be modified or deleted."
    )


def incorrect_state(pl_id: str, state: str) -> AwsError:
    """A change while another is still in progress."""
    return AwsError(
        "IncorrectState", f"The prefix list {pl_id} is in state {state} and cannot be modified."
    )


def _usable(record: Record) -> str:
    """The record's API state; NotFound once it is being deleted or gone, ``IncorrectState``
    while a transition runs."""
    state = api_state(record)
    if state is None or state == DELETE_IN_PROGRESS:
        raise PREFIX_LIST.not_found(str(record["prefix_list_id"]))
    if in_transition(record):
        raise incorrect_state(str(record["prefix_list_id"]), state)
    return state


def _new_version(record: Record, entries: list[rules.Entry]) -> Record:
    """``record`` with ``entries`` as its next version (older versions are kept, bounded)."""
    version = int(record["version"]) + 1
    versions: dict[str, Any] = {**record.get("versions", {}), str(version): entries}
    for old in sorted(versions, key=int)[:-MAX_VERSIONS_KEPT]:
        del versions[old]
    return {**record, "version": version, "entries": entries, "versions": versions}


def _pending(ctx: RequestContext, record: Record, done: str, running: str, timing: str) -> Record:
    """``record`` entering ``running`` until its timing passes, then ``done``."""
    return {
        **record,
        "state": done,
        "pending_state": running,
        "pending_until": clock.after(ctx, timing, clock.now()),
    }


@action("CreateManagedPrefixList")
async def create_managed_prefix_list(ctx: RequestContext, params: Params) -> Result:
    """A customer-managed list: ``create-in-progress``, then ``create-complete`` (version 1)."""
    name = rules.check_name(str(params["PrefixListName"]))
    family_name = str(params["AddressFamily"])
    family = rules.check_family(family_name)
    max_entries = rules.check_max_entries(int(params["MaxEntries"]))
    entries = rules.initial_entries(params.get("Entries") or [], family, max_entries)
    tags = tags_from_specifications(params, "prefix-list")
    now = clock.now()
    record: Record = {
        "prefix_list_id": new_id("prefix-list"),
        "prefix_list_name": name,
        "address_family": family_name,
        "max_entries": max_entries,
        "version": 1,
        "entries": entries,
        "versions": {"1": entries},
        "state": "create-complete",
        "pending_state": "create-in-progress",
        "pending_until": clock.after(ctx, "prefix-list-create", now),
        "tags": tags,
        "created_at": clock.stamp(now),
        "account_id": ctx.account_id,
    }
    token = params.get("ClientToken")
    request = {k: v for k, v in params.items() if k not in ("ClientToken", "DryRun")}
    record = await idempotency.create_record(ctx, PREFIX_LIST, record, token, request)
    return {"PrefixList": customer_list_to_api(ctx, record)}


@action("ModifyManagedPrefixList")
async def modify_managed_prefix_list(ctx: RequestContext, params: Params) -> Result:
    """Rename, add/remove entries (a new version; ``CurrentVersion`` must match) or resize."""
    pl_id = str(params["PrefixListId"])
    if managed_list(ctx.region, pl_id) is not None:
        raise aws_managed(pl_id)
    add = list(params.get("AddEntries") or [])
    remove = list(params.get("RemoveEntries") or [])
    max_entries = params.get("MaxEntries")
    if max_entries is not None and (add or remove):
        raise invalid_parameter_value(
            "You cannot modify the entries and the maximum number of entries for the prefix "
            "list in the same request."
        )
    name = params.get("PrefixListName")
    if name is not None:
        rules.check_name(str(name))
    expected = params.get("CurrentVersion")

    def change(current: Record) -> Record:
        _usable(current)
        if expected is not None and int(expected) != int(current["version"]):
            raise rules.version_mismatch()
        out = dict(current)
        if name is not None:
            out["prefix_list_name"] = str(name)
        family = rules.check_family(str(current["address_family"]))
        if add or remove:
            entries = rules.modified_entries(
                current.get("entries", []), add, remove, family, int(current["max_entries"])
            )
            out = _new_version(out, entries)
        if max_entries is not None:
            out["max_entries"] = rules.resized(len(current.get("entries", [])), int(max_entries))
        if add or remove or max_entries is not None:
            out = _pending(ctx, out, "modify-complete", "modify-in-progress", "prefix-list-modify")
        return out

    updated = await records.mutate(ctx, PREFIX_LIST, pl_id, change)
    assert updated is not None
    return {"PrefixList": customer_list_to_api(ctx, updated)}


@action("RestoreManagedPrefixListVersion")
async def restore_managed_prefix_list_version(ctx: RequestContext, params: Params) -> Result:
    """Make an earlier version's entries the next version (``restore-in-progress``)."""
    pl_id = str(params["PrefixListId"])
    if managed_list(ctx.region, pl_id) is not None:
        raise aws_managed(pl_id)
    previous = int(params["PreviousVersion"])
    expected = int(params["CurrentVersion"])

    def change(current: Record) -> Record:
        _usable(current)
        if expected != int(current["version"]):
            raise rules.version_mismatch()
        entries = current.get("versions", {}).get(str(previous))
        if previous >= expected or entries is None:
            raise invalid_parameter_value(
                f"The specified version ({previous}) for prefix list {pl_id} is not valid."
            )
        if len(entries) > int(current["max_entries"]):
            raise invalid_parameter_value(
                f"Version {previous} has more entries than the prefix list's maximum "
                f"({current['max_entries']})."
            )
        out = _new_version(current, list(entries))
        return _pending(ctx, out, "restore-complete", "restore-in-progress", "prefix-list-modify")

    updated = await records.mutate(ctx, PREFIX_LIST, pl_id, change)
    assert updated is not None
    return {"PrefixList": customer_list_to_api(ctx, updated)}


@action("DeleteManagedPrefixList")
async def delete_managed_prefix_list(ctx: RequestContext, params: Params) -> Result:
    """``delete-in-progress``, then gone; refused while a rule or route uses the list.

    As :func:`dependents.delete_guarded` does, the list is marked first (new references to it
    are refused from then on) and its users are looked for after; a blocked delete puts the
    record back as it was. (A rule or route whose existence check passed just before the mark
    but is written after the look-up can still slip through: the security-group and route-table
    writers do not re-check after writing.)
    """
    pl_id = str(params["PrefixListId"])
    if managed_list(ctx.region, pl_id) is not None:
        raise aws_managed(pl_id)
    before: list[Record] = []

    def mark(current: Record) -> Record:
        if api_state(current) in (None, DELETE_IN_PROGRESS):  # a create or modify may be running
            raise PREFIX_LIST.not_found(pl_id)
        before[:] = [current]
        out = _pending(ctx, current, "delete-complete", DELETE_IN_PROGRESS, "prefix-list-delete")
        return {**out, "deleted_at": clock.utc_now()}

    updated = await records.mutate(ctx, PREFIX_LIST, pl_id, mark)
    assert updated is not None
    try:
        await dependents.check(ctx, "prefix-list", updated)
    except BaseException:
        original = before[0]
        await records.mutate(ctx, PREFIX_LIST, pl_id, lambda _r: original, missing_ok=True)
        raise
    result = customer_list_to_api(ctx, updated)
    result["State"] = DELETE_IN_PROGRESS
    return {"PrefixList": result}


@action("DescribeManagedPrefixLists")
async def describe_managed_prefix_lists(ctx: RequestContext, params: Params) -> Result:
    """The region's AWS-managed lists and the caller's own (ids must exist; filters; pages).

    The records of deleted lists whose ``delete-in-progress`` time has passed are dropped on
    the way (of those the ids or an indexed filter select)."""
    wanted = [str(i) for i in params.get("PrefixListIds") or ()]
    stored = await describe.stored_records(
        ctx, PREFIX_LIST, params, wanted, MANAGED_PREFIX_LIST_FILTERS, live_only=False
    )
    items = [managed_list_to_api(pl) for pl in managed_lists(ctx.region)]
    now = clock.now()
    for record in stored:
        if api_state(record, now) is None:
            await records.delete(ctx, PREFIX_LIST, str(record["prefix_list_id"]))
        else:
            items.append(customer_list_to_api(ctx, record))
    return describe.describe_items(
        items,
        params,
        kind=PREFIX_LIST,
        id_member="PrefixListId",
        ids_param="PrefixListIds",
        result_key="PrefixLists",
        spec=MANAGED_PREFIX_LIST_FILTERS,
    )


@action("DescribePrefixLists")
async def describe_prefix_lists(ctx: RequestContext, params: Params) -> Result:
    """The region's AWS service lists with their CIDRs (``InvalidPrefixListId.NotFound`` for an
    unknown id, as this older action spells it)."""
    items = [service_list_to_api(pl) for pl in managed_lists(ctx.region)]
    present = {item["PrefixListId"] for item in items}
    missing = [i for i in params.get("PrefixListIds") or [] if i not in present]
    if missing:
        raise AwsError(
            "InvalidPrefixListId.NotFound",
            f"The prefix list ID '{', '.join(missing)}' does not exist",
        )
    return describe.describe_items(
        items,
        params,
        kind=None,
        id_member="PrefixListId",
        ids_param="PrefixListIds",
        result_key="PrefixLists",
        spec=PREFIX_LIST_FILTERS,
    )


async def _entries(ctx: RequestContext, pl_id: str, target: int | None) -> list[Record]:
    pl = managed_list(ctx.region, pl_id)
    if pl is not None:
        if target not in (None, 1):
            raise _bad_version(pl_id, target)
        return [{"Cidr": cidr} for cidr in pl.cidrs]
    record = await records.get(ctx, PREFIX_LIST, pl_id)
    if target is None:
        stored: list[Mapping[str, Any]] = record.get("entries", [])
    else:
        found = record.get("versions", {}).get(str(target))
        if found is None:
            raise _bad_version(pl_id, target)
        stored = found
    return [
        {"Cidr": e["cidr"], **({"Description": e["description"]} if e.get("description") else {})}
        for e in stored
    ]


def _bad_version(pl_id: str, target: int | None) -> AwsError:
    return invalid_parameter_value(
        f"The specified version ({target}) for prefix list {pl_id} does not exist."
    )


@action("GetManagedPrefixListEntries")
async def get_managed_prefix_list_entries(ctx: RequestContext, params: Params) -> Result:
    """The entries of the list (or of ``TargetVersion``), paged by CIDR."""
    target = params.get("TargetVersion")
    entries = await _entries(
        ctx, str(params["PrefixListId"]), None if target is None else int(target)
    )
    page = paginate(entries, params, key=lambda e: str(e["Cidr"]))
    return {"Entries": page.items, **page.token_member()}


@action("GetManagedPrefixListAssociations")
async def get_managed_prefix_list_associations(ctx: RequestContext, params: Params) -> Result:
    """The caller's security groups and route tables that use the list."""
    pl_id = str(params["PrefixListId"])
    if managed_list(ctx.region, pl_id) is None:
        await records.get(ctx, PREFIX_LIST, pl_id)
    found = await associations(ctx, pl_id)
    page = paginate(found, params, key=lambda a: str(a["ResourceId"]))
    return {"PrefixListAssociations": page.items, **page.token_member()}
