"""Deleted VPN and customer gateways stay describable for a while, as on AWS.

``Delete*`` marks the record ``deleted`` with a ``gone_at`` time; ``Describe*`` shows it until
then and removes it once that time is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hive_gateway.core import clock, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record, ResourceKind
from hive_gateway.core.registry import Params, Result


def gone(record: Record, now: datetime) -> bool:
    """A deleted gateway past its retention (no longer describable)."""
    return record.get("state") == "deleted" and clock.reached(record.get("gone_at"), now)


async def describe_retained(
    ctx: RequestContext,
    params: Params,
    kind: ResourceKind,
    to_api: Callable[[RequestContext, Record], Record],
    *,
    id_member: str,
    ids_param: str,
    result_key: str,
    spec: FilterSpec[Record],
) -> Result:
    """The caller's records of ``kind`` (deleted ones until ``gone_at``): ids, filters (an
    indexed one selects the records read)."""
    wanted = [str(i) for i in params.get(ids_param) or ()]
    stored = await describe.stored_records(ctx, kind, params, wanted, spec, live_only=False)
    now = clock.now()
    items = []
    for record in stored:
        if gone(record, now):
            await records.delete(ctx, kind, record[kind.id_field])
            continue
        items.append(to_api(ctx, record))
    return describe.describe_items(
        items,
        {k: v for k, v in params.items() if k not in ("MaxResults", "NextToken")},
        kind=kind,
        id_member=id_member,
        ids_param=ids_param,
        result_key=result_key,
        spec=spec,
    )
