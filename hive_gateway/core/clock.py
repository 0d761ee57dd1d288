"""Time: the one clock and the one stored time format.

Records store times as Hive does, RFC 3339 UTC with ``Z`` (``2026-11-21T23:42:32.123000Z``,
:func:`stamp`); :func:`parse_time` also reads the wire format earlier versions stored
(``2026-11-21T23:42:32.123Z``). :func:`format_timestamp` is the wire format, for responses and
filter values only.

State machines store *when* a transition completes (:func:`after`) and derive the visible state
on every read (:func:`reached`), so restarts and several gateways agree. How long each
transition takes is ``ctx.runtime.settings.timings`` (:class:`hive_gateway.config.Timings`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hive_gateway.core.context import RequestContext


def now() -> datetime:
    """The current UTC time, truncated to milliseconds as AWS reports times."""
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def stamp(moment: datetime) -> str:
    """``moment`` as records store it: RFC 3339 UTC with ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc_now() -> str:
    """Hive's ``created_at``: the current time, stored (:func:`stamp`)."""
    return stamp(datetime.now(UTC))


def parse_time(text: str) -> datetime:
    """A stored timestamp (either format, see the module doc) as an aware datetime."""
    return datetime.fromisoformat(text)  # Python 3.11+ reads the trailing Z


def seconds(ctx: RequestContext, timing: str) -> timedelta:
    """How long ``timing`` (``"volume-create"``, ``"image-available"`` …) takes."""
    return timedelta(seconds=ctx.runtime.settings.timings.seconds(timing))


def after(ctx: RequestContext, transition: str, start: datetime) -> str:
    """The stored time at which ``transition``, started at ``start``, completes."""
    return stamp(start + seconds(ctx, transition))


def reached(moment: str | None, at: datetime) -> bool:
    """Whether a stored transition time has passed (no time recorded: nothing pending)."""
    return moment is None or parse_time(moment) <= at


def format_timestamp(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds, as EC2 writes them: ``2026-11-21T23:42:32.000Z``.

    Sub-millisecond precision is kept (six digits) so nothing a client stored is lost.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
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


def filter_time(value: datetime | None) -> str | None:
    """A datetime member as AWS's filters compare it (the wire format)."""
    return format_timestamp(value) if value is not None else None
