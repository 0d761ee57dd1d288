"""Where a peering connection lives, for both accounts it joins.

The requester's account holds the connection (``<requester>.<pcx-id>``): its one source of
truth. When the accepter VPC belongs to another account, that account holds a *link* record
under its own key (``link: true``, ``owner_id`` = the requester) with its own tags (AWS keeps
each side's tags apart) and the shared state mirrored for liveness and dependency checks. Every
change is a compare-and-swap on the connection, then mirrored onto the link. Any other account
sees neither record: its ``pcx-…`` looks like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from handlers.vpc_peering import lifecycle
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

PCX: Final = KINDS["vpc-peering-connection"]
records.indexed(PCX, "requester_vpc_id", "accepter_vpc_id")  # a VPC's connections

MIRRORED: Final = (
    "state",
    "transition",
    "transition_until",
    "gone_at",
    "expiration_time",
    "requester_vpc_id",
    "accepter_vpc_id",
    "accepter_owner_id",
)
"""Connection fields a link record carries too."""


def as_account(ctx: RequestContext, account_id: str) -> RequestContext:
    """``ctx`` acting on ``account_id``'s records (the other side of a connection)."""
    return ctx if account_id == ctx.account_id else replace(ctx, account_id=account_id)


@dataclass(frozen=True, slots=True)
class Connection:
    """A connection as one of its accounts sees it."""

    owner: RequestContext
    """The requester's context (where the connection record lives)."""
    record: Record
    """The connection record."""
    local: Record
    """The caller's own record of it: the connection itself, or its link (tags)."""

    @property
    def connection_id(self) -> str:
        return str(self.record["vpc_peering_connection_id"])

    @property
    def requester_id(self) -> str:
        return str(self.record["requester"]["owner_id"])

    @property
    def accepter_id(self) -> str:
        return str(self.record["accepter"]["owner_id"])


async def resolve(ctx: RequestContext, local: Record) -> Connection | None:
    """The connection behind the caller's record (``None`` when it is gone)."""
    now = clock.now()
    if not local.get("link"):
        record = local
        owner = ctx
    else:
        owner = as_account(ctx, str(local["owner_id"]))
        found = await records.find(
            owner, PCX, str(local["vpc_peering_connection_id"]), live_only=False
        )
        if found is None:
            return None
        record = found
    if lifecycle.gone(ctx, record, now):
        return None
    return Connection(owner, record, local)


async def of_vpc(ctx: RequestContext, vpc_id: str) -> list[Record]:
    """The caller's live records (connections and links) with ``vpc_id`` on either side,
    sorted by id (from the indexes of both sides)."""
    sides = [
        *await records.where(ctx, PCX, requester_vpc_id=vpc_id),
        *await records.where(ctx, PCX, accepter_vpc_id=vpc_id),
    ]
    found = {str(r["vpc_peering_connection_id"]): r for r in sides}
    return [found[key] for key in sorted(found)]


async def find(ctx: RequestContext, connection_id: str) -> Connection | None:
    """The caller's connection ``connection_id`` in any state it is still describable in."""
    local = await records.find(ctx, PCX, connection_id, live_only=False)
    return None if local is None else await resolve(ctx, local)


async def get(ctx: RequestContext, connection_id: str) -> Connection:
    """:func:`find`, or ``InvalidVpcPeeringConnectionID.NotFound``."""
    PCX.check_id(connection_id)
    found = await find(ctx, connection_id)
    if found is None:
        raise PCX.not_found(connection_id)
    return found


async def visible(ctx: RequestContext, stored: list[Record] | None = None) -> list[Connection]:
    """Every connection the caller can describe (its own and those it is the accepter of), or
    those of its ``stored`` records (all of them when ``None``).

    Records past their retention are removed on the way (lazy clean-up).
    """
    found: list[Connection] = []
    if stored is None:
        stored = await records.list_records(ctx, PCX)
    for local in stored:
        connection = await resolve(ctx, local)
        if connection is None:
            await records.delete(ctx, PCX, str(local["vpc_peering_connection_id"]))
            continue
        found.append(connection)
    return found


def link_of(record: Record, account_id: str) -> Record:
    """The link record ``account_id`` (the accepter) holds for ``record``."""
    return {
        "vpc_peering_connection_id": record["vpc_peering_connection_id"],
        "link": True,
        "owner_id": record["requester"]["owner_id"],
        **{field: record[field] for field in MIRRORED if field in record},
        "tags": {},
        "created_at": record["created_at"],
        "account_id": account_id,
    }


async def mirror(connection: Connection, record: Record) -> None:
    """Copy the shared fields of ``record`` onto the accepter's link (if it has one)."""
    if connection.accepter_id == connection.requester_id:
        return
    accepter = as_account(connection.owner, connection.accepter_id)

    def sync(link: Record) -> Record:
        kept = {k: v for k, v in link.items() if k not in MIRRORED}
        return {**kept, **{field: record[field] for field in MIRRORED if field in record}}

    await records.mutate(accepter, PCX, connection.connection_id, sync, missing_ok=True)


def contexts(connection: Connection) -> list[RequestContext]:
    """The context of each account the connection joins (one when they are the same)."""
    owner = connection.owner
    if connection.accepter_id == connection.requester_id:
        return [owner]
    return [owner, as_account(owner, connection.accepter_id)]
