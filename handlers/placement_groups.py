"""Placement groups: ``CreatePlacementGroup``, ``DeletePlacementGroup``, ``DescribePlacementGroups``.

AWS behaviour reproduced (what ``aws_placement_group`` and RunInstances depend on):

* strategies ``cluster`` (the default when none is given, as Hive does), ``spread`` and
  ``partition`` (Hive refuses ``partition``; we accept it). ``PartitionCount`` is 1–7 and only for
  ``partition`` (default 2); ``SpreadLevel`` ``host``/``rack`` is stored as asked (default
  ``rack`` for spread groups, AWS's default)::

      CreatePlacementGroup GroupName=web&Strategy=partition&PartitionCount=9
      → InvalidParameterValue: Invalid value '9' for partition-count, the value must be between 1 and 7.

* names are unique per account: the record is created with create-if-absent under Hive's key
  ``<account>.<group name>``, so a duplicate is ``InvalidPlacementGroup.Duplicate`` ("The
  placement group 'web' already exists.") even under concurrent requests. Because the name *is*
  the KV key, names are limited to KV key characters (letters, digits, ``- _ = . /``, no
  leading/trailing/doubled dot; 255 at most): anything else is refused with
  ``InvalidParameterValue`` rather than stored under an encoded key Hive would not understand;
* lifecycle without blocking: the API reports ``pending`` for
  ``settings.timings.placement_group_pending`` seconds after
  ``created_at`` and ``available`` afterwards (the record itself says ``available``, Hive's
  value, so Hive daemons can place instances at once); ``DeletePlacementGroup`` marks the record
  ``deleting`` with ``deleted_at``, Describe shows ``deleting`` for
  ``settings.timings.placement_group_deleting`` seconds and
  then nothing (``GroupName.1=web`` → ``InvalidPlacementGroup.Unknown``), and the record is
  purged — exactly the ``pending → available`` and ``deleting → gone`` waiters of Terraform;
* ``DeletePlacementGroup`` of an unknown (or already deleting) group is
  ``InvalidPlacementGroup.Unknown`` ("The Placement Group 'web' is unknown."); a group with
  instances (an instance record with ``placement_group`` = name that is not ``terminated``, or
  instances Hive's daemons recorded in ``node_instances``) is ``InvalidPlacementGroup.InUse``
  ("The placement group 'web' is in use and may not be deleted.");
* ``DescribePlacementGroups``: ``GroupNames``/``GroupIds`` must exist; filters ``group-name``,
  ``group-id``, ``group-arn``, ``spread-level``, ``state``, ``strategy``, ``tag:<k>``, ``tag-key``,
  ``tag-value``.

Records are Hive's ``{group_id, group_name, strategy, state, spread_level, account_id,
node_instances}`` plus ``partition_count``, ``tags``, ``created_at`` and ``deleted_at``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Final

from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

LOG = logging.getLogger(__name__)

PLACEMENT_GROUP: Final = KINDS["placement-group"]
INSTANCE: Final = KINDS["instance"]
GROUPS: Final = records.documents_of(PLACEMENT_GROUP)
"""Hive keys placement groups by name: ``<account>.<group-name>``."""
STRATEGIES: Final = ("cluster", "spread", "partition")
DEFAULT_STRATEGY: Final = "cluster"
PARTITION_RANGE: Final = (1, 7)
DEFAULT_PARTITION_COUNT: Final = 2
DEFAULT_SPREAD_LEVEL: Final = "rack"
MAX_NAME_LENGTH: Final = 255


# --- errors --------------------------------------------------------------------------------------


def unknown(name: str) -> AwsError:
    """``InvalidPlacementGroup.Unknown`` for a group name (or id)."""
    return PLACEMENT_GROUP.not_found(name)


def duplicate(name: str) -> AwsError:
    """The account already has a group of that name."""
    return AwsError(
        "InvalidPlacementGroup.Duplicate", f"The placement group '{name}' already exists."
    )


def in_use(name: str) -> AwsError:
    """Deleting a group that still has instances."""
    return AwsError(
        "InvalidPlacementGroup.InUse",
        f"The placement group '{name}' is in use and may not be deleted.",
    )


# --- keys and state ------------------------------------------------------------------------------


def storable_name(ctx: RequestContext, name: str) -> bool:
    """Whether ``name`` can be a Hive placement-group key (``<account>.<name>``)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and records.storable(ctx, name)


def _age(timestamp: str | None) -> float:
    if not timestamp:
        return float("inf")
    return (clock.now() - clock.parse_time(timestamp)).total_seconds()


def api_state(ctx: RequestContext, record: Record) -> str | None:
    """The state the API reports now; ``None`` once a deleted group is gone.

    Wire example, describing right after create and a second later::

        <state>pending</state>   …   <state>available</state>
    """
    timings = ctx.runtime.settings.timings
    if record.get("deleted_at") or record.get("state") in ("deleting", "deleted"):
        return (
            "deleting"
            if _age(record.get("deleted_at")) < timings.placement_group_deleting
            else None
        )
    if _age(record.get("created_at")) < timings.placement_group_pending:
        return "pending"
    return str(record.get("state") or "available")


@live("placement-group")
def placement_group_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deleted group shows as ``deleting`` for a moment, then is unknown
    (``InvalidPlacementGroup.Unknown``)."""
    return api_state(ctx, record) is not None


async def _entry(ctx: RequestContext, name: str) -> tuple[Record, int] | None:
    """The raw stored group ``name`` with its revision (also while deleting)."""
    if not storable_name(ctx, name):
        return None
    return await records.doc_get(ctx, GROUPS, name)


async def _purge(ctx: RequestContext, name: str, revision: int) -> None:
    """Remove a deleted group's record if nothing changed it since (best effort)."""
    try:
        await records.doc_delete(ctx, GROUPS, name, revision=revision)
    except Exception:
        LOG.debug("could not purge placement group %s", name, exc_info=True)


def _schedule_purge(ctx: RequestContext, name: str, revision: int) -> None:
    async def later() -> None:
        await asyncio.sleep(ctx.runtime.settings.timings.placement_group_deleting + 0.5)
        await _purge(ctx, name, revision)

    ctx.runtime.spawn(later())


async def list_placement_groups(ctx: RequestContext) -> list[Record]:
    """The caller's live groups (gone ones are purged on the way)."""
    live: list[Record] = []
    for name, record, revision in await records.doc_entries(ctx, GROUPS):
        if api_state(ctx, record) is None:
            await _purge(ctx, name, revision)
            continue
        live.append(record)
    return live


async def get_placement_group(ctx: RequestContext, name: str) -> dict[str, Any]:
    """The caller's group ``name`` (pending or available); ``InvalidPlacementGroup.Unknown`` else.

    RunInstances uses this for ``Placement.GroupName``.
    """
    found = await _entry(ctx, name)
    if found is None or api_state(ctx, found[0]) not in ("pending", "available"):
        raise unknown(name)
    return found[0]


# --- rendering and filters ---------------------------------------------------------------------


def group_arn(ctx: RequestContext, name: str) -> str:
    """``arn:aws:ec2:<region>:<account>:placement-group/<name>``."""
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:placement-group/{name}"


def placement_group_to_api(ctx: RequestContext, record: Record) -> Record:
    """A record as a ``PlacementGroup``."""
    item: Record = {
        "GroupName": record["group_name"],
        "State": api_state(ctx, record) or "deleted",
        "Strategy": record["strategy"],
        "GroupId": record["group_id"],
        "Tags": api_tags(record_tags(record)),
        "GroupArn": group_arn(ctx, record["group_name"]),
    }
    if record["strategy"] == "partition":
        item["PartitionCount"] = int(record.get("partition_count") or DEFAULT_PARTITION_COUNT)
    if record.get("spread_level"):
        item["SpreadLevel"] = record["spread_level"]
    return item


PLACEMENT_GROUP_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "group-name": lambda g: g["GroupName"],
        "group-id": lambda g: g["GroupId"],
        "group-arn": lambda g: g["GroupArn"],
        "spread-level": lambda g: g.get("SpreadLevel"),
        "state": lambda g: g["State"],
        "strategy": lambda g: g["Strategy"],
    },
    tags=lambda g: {t["Key"]: t["Value"] for t in g.get("Tags", [])},
)


# --- create ----------------------------------------------------------------------------------------


def _new_record(ctx: RequestContext, params: Params) -> Record:
    """Validate ``CreatePlacementGroup``'s parameters into a record."""
    name = params.get("GroupName")
    if not name:
        raise missing_parameter("GroupName")
    if not storable_name(ctx, name):
        raise invalid_parameter_value(
            f"Invalid placement group name '{name}': up to {MAX_NAME_LENGTH} characters from "
            "letters, digits and - _ = . / (no leading, trailing or doubled '.'); Hive stores "
            "placement groups under their name"
        )
    strategy = str(params.get("Strategy") or DEFAULT_STRATEGY)
    if strategy not in STRATEGIES:
        raise invalid_parameter_value(f"The {strategy} placement strategy is not supported.")
    count = params.get("PartitionCount")
    if count is not None and strategy != "partition":
        raise invalid_parameter_combination(
            "PartitionCount can only be specified for the partition placement strategy."
        )
    low, high = PARTITION_RANGE
    if count is not None and not low <= count <= high:
        raise invalid_parameter_value(
            f"Invalid value '{count}' for partition-count, the value must be between {low} and {high}."
        )
    spread_level = params.get("SpreadLevel") or (
        DEFAULT_SPREAD_LEVEL if strategy == "spread" else ""
    )
    record: Record = {
        "group_id": new_id("placement-group"),
        "group_name": name,
        "strategy": strategy,
        "state": "available",
        "spread_level": spread_level,
        "account_id": ctx.account_id,
        "node_instances": {},
        "tags": tags_from_specifications(params, "placement-group"),
        "created_at": clock.utc_now(),
    }
    if strategy == "partition":
        record["partition_count"] = int(count if count is not None else DEFAULT_PARTITION_COUNT)
    return record


@action("CreatePlacementGroup")
async def create_placement_group(ctx: RequestContext, params: Params) -> Result:
    """A new group, reported ``pending`` for a moment, then ``available``."""
    record = _new_record(ctx, params)
    name = record["group_name"]
    if not await records.doc_create(ctx, GROUPS, name, record):
        found = await _entry(ctx, name)
        if found is None:
            raise duplicate(name)  # purged in between: a retry will succeed
        current, revision = found
        if api_state(ctx, current) is not None:
            raise duplicate(name)
        # the old group is gone but its record is not purged yet: take the key over
        if not await records.doc_update(ctx, GROUPS, name, record, revision):
            raise duplicate(name)
    return {"PlacementGroup": placement_group_to_api(ctx, record)}


# --- delete and describe -------------------------------------------------------------------------


@action("DeletePlacementGroup")
async def delete_placement_group(ctx: RequestContext, params: Params) -> Result:
    """Mark the group ``deleting``; it disappears ``placement_group_deleting`` seconds later."""
    name = str(params["GroupName"])
    if not storable_name(ctx, name):
        raise unknown(name)
    found = await _entry(ctx, name)
    members = (
        await dependents.blockers(ctx, "placement-group", found[0]) if found is not None else []
    )  # live instances in the group (declared in instances)

    def mark(current: Record | None) -> Record:
        if current is None or api_state(ctx, current) in (None, "deleting"):
            raise unknown(name)
        if members or any(ids for ids in (current.get("node_instances") or {}).values()):
            raise in_use(name)
        return {**current, "state": "deleting", "deleted_at": clock.utc_now()}

    await records.doc_mutate(ctx, GROUPS, name, mark)
    found = await _entry(ctx, name)
    if found is not None:
        _schedule_purge(ctx, name, found[1])
    return None


@action("DescribePlacementGroups")
async def describe_placement_groups(ctx: RequestContext, params: Params) -> Result:
    """The caller's groups by name, id and filters (gone groups are not shown)."""
    items = [placement_group_to_api(ctx, r) for r in await list_placement_groups(ctx)]
    items.sort(key=lambda item: (item["GroupName"], item["GroupId"]))
    if params.get("GroupNames"):
        items = describe.select_wanted(
            items,
            [str(n) for n in params["GroupNames"]],
            "GroupName",
            lambda absent: unknown(absent[0]),
        )
    if params.get("GroupIds"):
        items = describe.select_wanted(
            items,
            [str(i) for i in params["GroupIds"]],
            "GroupId",
            lambda absent: unknown(absent[0]),
        )
    return {"PlacementGroups": apply_filters(PLACEMENT_GROUP_FILTERS, params.get("Filters"), items)}
