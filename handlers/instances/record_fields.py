"""How instance records store times and states (read and written by every module)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hive_gateway.core import clock


def utc_now() -> datetime:
    """The current time (UTC)."""
    return clock.now()


def iso_stamp(moment: datetime) -> str:
    """``moment`` as stored in records (the one stored format, :func:`clock.stamp`)."""
    return clock.stamp(moment)


def parse_moment(text: str | None, default: datetime | None = None) -> datetime:
    """A stored time (``default``, or now, when absent)."""
    if not text:
        return default or utc_now()
    return clock.parse_time(text)


def state_name(record: Mapping[str, Any]) -> str:
    """The record's lifecycle state name (``pending`` when unset)."""
    state = record.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "pending")
    return str(state or "pending")


def user_initiated_reason(moment: datetime) -> str:
    """The ``StateTransitionReason`` of a user-initiated stop or termination."""
    return f"User initiated ({moment.strftime('%Y-%m-%d %H:%M:%S')} GMT)"
