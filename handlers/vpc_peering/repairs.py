"""Start-up repair of cross-account peering links (:mod:`hive_gateway.core.startup`).

A cross-account connection is two records: the requester's connection and the accepter's link
(:mod:`.store`). A gateway killed between the two writes leaves them apart:

* **missing link** — a connection (not ``failed``, not past its retention) whose accepter has no
  link (CreateVpcPeeringConnection cut after the connection): the link is written, so the
  accepter sees the request;
* **stale link** — a link whose mirrored state differs from its connection (Accept, Reject,
  Delete or DeleteVpc cut after the connection's write): the state is copied again;
* **orphan link** — a link whose connection is gone (a create undone by its VPC re-check, cut
  between the two deletes): the link goes, so it no longer blocks the accepter's ``DeleteVpc``.
"""

from __future__ import annotations

from handlers.vpc_peering import lifecycle, store
from handlers.vpc_peering.store import MIRRORED, PCX
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.startup import on_startup


def _mirrored(record: Record) -> dict[str, object]:
    return {field: record.get(field) for field in MIRRORED}


async def _suspects(ctx: RequestContext) -> list[str]:
    """``missing|…``/``stale|…`` for the caller's connections, ``orphan|…`` for its links."""
    now = clock.now()
    found: list[str] = []
    for record in await records.list_records(ctx, PCX):
        connection_id = str(record["vpc_peering_connection_id"])
        if record.get("link"):
            owner = store.as_account(ctx, str(record["owner_id"]))
            if await records.find(owner, PCX, connection_id, live_only=False) is None:
                found.append(f"orphan|{connection_id}")
            continue
        accepter_id = str(record.get("accepter_owner_id") or ctx.account_id)
        if accepter_id == ctx.account_id or record["state"] == lifecycle.FAILED:
            continue
        if lifecycle.gone(ctx, record, now):
            continue
        accepter = store.as_account(ctx, accepter_id)
        link = await records.find(accepter, PCX, connection_id, live_only=False)
        if link is None:
            found.append(f"missing|{connection_id}")
        elif _mirrored(link) != _mirrored(record):
            found.append(f"stale|{connection_id}")
    return found


@on_startup("peering-links", _suspects)
async def _fix(ctx: RequestContext, key: str) -> None:
    """Write, re-mirror or remove the link (idempotent)."""
    problem, _, connection_id = key.partition("|")
    if problem == "orphan":
        await records.delete(ctx, PCX, connection_id)
        return
    record = await records.find(ctx, PCX, connection_id, live_only=False)
    if record is None or record.get("link"):
        return
    accepter_id = str(record["accepter_owner_id"])
    accepter = store.as_account(ctx, accepter_id)
    if problem == "missing":
        await records.create(accepter, PCX, store.link_of(record, accepter_id), exist_ok=True)
    await store.mirror(store.Connection(ctx, record, record), record)
