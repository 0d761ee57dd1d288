"""How prefix lists look through the API: states, ``ManagedPrefixList``/``PrefixList`` shapes,
filters, and when a deleted list is gone.

States come from the one clock (:mod:`hive_gateway.core.clock`): a record stores the state its
transition ends in (``create-complete``, ``modify-complete``, ``restore-complete``) and, while
one runs, ``pending_state`` until ``pending_until``. ``DeleteManagedPrefixList`` sets
``deleted_at``: ``delete-in-progress`` until ``pending_until``, then the list is gone
(``InvalidPrefixListID.NotFound``), as the provider's delete waiter expects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from handlers.prefix_lists.catalogue import OWNER, ManagedList
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record, live
from hive_gateway.core.tagging import api_tags, record_tags

DELETE_IN_PROGRESS: Final = "delete-in-progress"


def api_state(record: Record, at: datetime | None = None) -> str | None:
    """The state shown now; ``None`` once a deleted list is gone."""
    at = at or clock.now()
    settled = clock.reached(record.get("pending_until"), at)
    if record.get("deleted_at"):
        return None if settled else DELETE_IN_PROGRESS
    if not settled and record.get("pending_state"):
        return str(record["pending_state"])
    return str(record["state"])


def in_transition(record: Record, at: datetime | None = None) -> bool:
    """A create, modify, restore or delete is still in progress."""
    return not clock.reached(record.get("pending_until"), at or clock.now())


@live("prefix-list")
def _prefix_list_live(ctx: RequestContext, record: Record, at: datetime) -> bool:
    """A deleted list shows ``delete-in-progress`` for a moment, then is unknown."""
    return api_state(record, at) is not None


def arn(region: str, account_id: str, pl_id: str) -> str:
    """A customer-managed list's ARN."""
    return f"arn:aws:ec2:{region}:{account_id}:prefix-list/{pl_id}"


def customer_list_to_api(ctx: RequestContext, record: Record) -> Record:
    """A stored list as a ``ManagedPrefixList``."""
    owner = str(record.get("account_id") or ctx.account_id)
    return {
        "AddressFamily": record["address_family"],
        "MaxEntries": record["max_entries"],
        "OwnerId": owner,
        "PrefixListArn": arn(ctx.region, owner, record["prefix_list_id"]),
        "PrefixListId": record["prefix_list_id"],
        "PrefixListName": record["prefix_list_name"],
        "State": api_state(record) or DELETE_IN_PROGRESS,
        "Tags": api_tags(record_tags(record)),
        "Version": record["version"],
    }


def managed_list_to_api(pl: ManagedList) -> Record:
    """An AWS-managed list as a ``ManagedPrefixList`` (owner ``AWS``)."""
    return {
        "AddressFamily": "IPv4",
        "MaxEntries": len(pl.cidrs),
        "OwnerId": OWNER,
        "PrefixListArn": pl.arn,
        "PrefixListId": pl.prefix_list_id,
        "PrefixListName": pl.name,
        "State": "create-complete",
        "Tags": [],
        "Version": 1,
    }


def service_list_to_api(pl: ManagedList) -> Record:
    """An AWS-managed list as a ``PrefixList`` (``DescribePrefixLists``)."""
    return {"Cidrs": list(pl.cidrs), "PrefixListId": pl.prefix_list_id, "PrefixListName": pl.name}


def _tags(item: Record) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


MANAGED_PREFIX_LIST_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "owner-id": lambda p: p["OwnerId"],
        "prefix-list-id": lambda p: p["PrefixListId"],
        "prefix-list-name": lambda p: p["PrefixListName"],
    },
    tags=_tags,
    # For the caller's own lists (AWS's are not stored).
    indexes={"prefix-list-id": "prefix_list_id", "prefix-list-name": "prefix_list_name"},
)
"""``DescribeManagedPrefixLists`` filters (an unknown one is ``InvalidParameterValue``)."""

PREFIX_LIST_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "prefix-list-id": lambda p: p["PrefixListId"],
        "prefix-list-name": lambda p: p["PrefixListName"],
    },
)
"""``DescribePrefixLists`` filters."""
