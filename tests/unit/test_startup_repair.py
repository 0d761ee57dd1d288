"""The start-up repair runner (core/startup.py): two looks a grace apart, fixes only what was
suspect both times, per account, in declaration order, a failing fix does not stop the others."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hive_gateway.config import Settings
from hive_gateway.core import startup
from hive_gateway.core.context import RequestContext
from hive_gateway.core.runtime import Runtime
from kv.memory import MemoryStore


class _Accounts:
    async def list_accounts(self) -> list[dict[str, Any]]:
        return [{"account_id": "000000000001"}, {"account_id": "000000000002"}]


def _runtime() -> Runtime:
    return Runtime(settings=replace(Settings()), store=MemoryStore(), accounts=_Accounts())  # type: ignore[arg-type]


async def test_only_states_suspect_at_both_looks_are_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Property: a state seen at the first look but gone at the second (another gateway's
    request in flight finished it) is left alone; one seen twice is fixed, per account."""
    looks: dict[str, int] = {}
    fixed: list[tuple[str, str]] = []

    async def find(ctx: RequestContext) -> list[str]:
        looks[ctx.account_id] = looks.get(ctx.account_id, 0) + 1
        if looks[ctx.account_id] == 1:
            return ["in-flight", "crashed"]
        return ["crashed", "new-since"]  # a state first seen now waits for the next start

    async def fix(ctx: RequestContext, key: str) -> None:
        fixed.append((ctx.account_id, key))

    monkeypatch.setattr(startup, "REPAIRS", [startup.Repair("test", find, fix)])
    outcome = await startup.run_repairs(_runtime(), grace=0.01)
    assert sorted(fixed) == [("000000000001", "crashed"), ("000000000002", "crashed")]
    assert outcome == {"test": 2}


async def test_a_failing_fix_is_logged_and_the_rest_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Property: repairs run in declaration order; one fix raising does not stop the others."""
    order: list[str] = []

    async def find(ctx: RequestContext) -> list[str]:
        return ["a", "b"] if ctx.account_id == "000000000001" else []

    async def broken(ctx: RequestContext, key: str) -> None:
        order.append(f"broken {key}")
        raise RuntimeError("boom")

    async def works(ctx: RequestContext, key: str) -> None:
        order.append(f"works {key}")

    monkeypatch.setattr(
        startup,
        "REPAIRS",
        [startup.Repair("one", find, broken), startup.Repair("two", find, works)],
    )
    outcome = await startup.run_repairs(_runtime(), grace=0.0)
    assert order == ["broken a", "broken b", "works a", "works b"]
    assert outcome == {"two": 2}


def test_a_repair_name_is_declared_once() -> None:
    """Property: two repairs cannot share a name (the log names them)."""
    with pytest.raises(ValueError):
        startup.on_startup("interrupted-deletes", lambda ctx: None)(lambda ctx, key: None)  # type: ignore[arg-type,return-value]
