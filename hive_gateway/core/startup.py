"""Start-up repair: what a gateway killed mid-request (SIGKILL, power loss) left half-made.

A request that writes several records (CreateVpc: the VPC, its main route table, default
security group and default network ACL) can be cut between two writes. The client never got an
answer, so AWS's contract allows either outcome, but never a half-made resource. Families
declare here, with :func:`on_startup`, how to find such states and how to fix each one;
``serve`` runs every repair in the background once it listens (:func:`run_repairs`).

Other gateways sharing the store may be in the middle of the very requests whose intermediate
states a repair looks for. So a repair never fixes what it sees at once: it notes the suspects,
waits ``grace`` seconds (longer than a request may take: past the request deadline a request is
cancelled and has undone its own claims), looks again, and fixes only what was suspect both
times. Fixes are idempotent, so two gateways starting together may both run them.

Core's own repair (below): a guarded delete marks its record ``deleting`` first
(:mod:`hive_gateway.core.dependents`); a mark left by a crash is rolled back (the delete was
never acknowledged; the client may retry it). Claims in the claim spaces
(:mod:`hive_gateway.core.claims`: client tokens, names, slots) and leases need no repair: one
whose holder died goes stale and is taken over by the next request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from hive_gateway.core import dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS
from kv import turns

if TYPE_CHECKING:
    from hive_gateway.core.runtime import Runtime

LOG = logging.getLogger(__name__)

Find: TypeAlias = Callable[[RequestContext], Awaitable[list[str]]]
"""The keys of one account's suspect states (stable between two looks)."""
Fix: TypeAlias = Callable[[RequestContext, str], Awaitable[None]]
"""Repair one suspect (idempotent)."""


@dataclass(frozen=True, slots=True)
class Repair:
    """One declared start-up repair."""

    name: str
    find: Find
    fix: Fix


REPAIRS: list[Repair] = []
"""Every repair, in declaration order (which is the order they run in)."""


def on_startup(name: str, find: Find) -> Callable[[Fix], Fix]:
    """Declare the decorated ``fix`` as repair ``name`` of what ``find`` reports."""

    def register(fix: Fix) -> Fix:
        if any(r.name == name for r in REPAIRS):
            raise ValueError(f"start-up repair {name!r} is declared twice")
        REPAIRS.append(Repair(name, find, fix))
        return fix

    return register


def _context(runtime: Runtime, account_id: str) -> RequestContext:
    return RequestContext(
        "startup-repair",
        "ec2",
        "StartupRepair",
        account_id,
        "",
        "",
        runtime.settings.region,
        runtime,
    )


async def _accounts(runtime: Runtime) -> list[str]:
    return [str(a["account_id"]) for a in await runtime.accounts.list_accounts()]


async def run_repairs(runtime: Runtime, *, grace: float) -> dict[str, int]:
    """Run every repair for every account; returns how many states each one fixed.

    Each repair runs to completion (both looks and its fixes) before the next one starts, so a
    later repair sees what an earlier one fixed.
    """
    fixed: dict[str, int] = {}
    contexts = [_context(runtime, account) for account in await _accounts(runtime)]
    for repair in REPAIRS:
        first = {ctx.account_id: set(await repair.find(ctx)) for ctx in contexts}
        if not any(first.values()):
            continue
        LOG.info(
            "start-up repair %s: %d suspect(s), looking again in %.0fs",
            repair.name,
            sum(len(s) for s in first.values()),
            grace,
        )
        await asyncio.sleep(grace)
        for ctx in contexts:
            if not first[ctx.account_id]:
                continue
            for key in sorted(first[ctx.account_id] & set(await repair.find(ctx))):
                try:
                    await repair.fix(ctx, key)
                except Exception:
                    LOG.warning(
                        "start-up repair %s of %s (account %s) failed",
                        repair.name,
                        key,
                        ctx.account_id,
                        exc_info=True,
                    )
                    continue
                LOG.info(
                    "start-up repair %s: fixed %s (account %s)", repair.name, key, ctx.account_id
                )
                fixed[repair.name] = fixed.get(repair.name, 0) + 1
    return fixed


async def repair_in_background(runtime: Runtime, *, grace: float) -> None:
    """:func:`run_repairs`, logging its outcome (``start-up repair: done …``), as background
    work (:func:`kv.turns.background`: requests get at least half the loop while it runs)."""
    turns.background()
    try:
        fixed = await run_repairs(runtime, grace=grace)
    except Exception:
        LOG.warning("start-up repair stopped (retried at the next start)", exc_info=True)
        return
    LOG.info("start-up repair: done, fixed %s", fixed or "nothing")


# --- core's own repair: marks of interrupted guarded deletes -----------------------------------


_MARK_BYTES = json.dumps(dependents.DELETING).encode()
"""``b'"deleting"'``: how the mark's key appears in a stored record."""


def _key(kind: str, resource_id: str) -> str:
    return f"{kind}|{resource_id}"


async def _marked(ctx: RequestContext) -> list[str]:
    found: list[str] = []
    for kind in KINDS.values():
        if dependents.has_marker(kind.name):
            continue  # kept in another document (the VPC's index): its family repairs it
        try:
            # Only records whose JSON holds the mark's key are decoded (a start-up at 100k
            # VPCs would otherwise decode every record of every kind).
            rows = await records.list_records(ctx, kind, containing=_MARK_BYTES)
        except (KeyError, ValueError):  # a kind without a bucket or schema yet
            continue
        found += [
            _key(kind.name, str(r[kind.id_field]))
            for r in rows
            if r.get(dependents.DELETING) and kind.id_field in r
        ]
    return found


@on_startup("interrupted-deletes", _marked)
async def _unmark(ctx: RequestContext, key: str) -> None:
    """A ``deleting`` mark left by a crash: the record is whole again (a retry deletes it)."""
    kind, _, resource_id = key.partition("|")
    await dependents.unmark(ctx, KINDS[kind], resource_id)
