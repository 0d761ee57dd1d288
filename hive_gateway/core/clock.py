"""Time: the one clock and the one stored time format."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    """Hive's ``created_at``: RFC 3339 UTC."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """A stored RFC 3339 timestamp as an aware datetime (for API ``…Time`` members)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds, as EC2 writes them: ``2026-11-21T23:42:32.000Z``.

    Sub-millisecond precision is kept (six digits) so nothing a client stored is lost.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    # Not strftime: its %Y does not zero-pad years below 1000.
    fraction = (
        f"{value.microsecond:06d}"
        if value.microsecond % 1000
        else f"{value.microsecond // 1000:03d}"
    )
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{fraction}Z"
    )
