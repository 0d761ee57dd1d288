"""The one clock: one stored time format, timings from the settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

from hive_gateway.config import Settings, Timings
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext


def _ctx(settings: Settings) -> RequestContext:
    return cast(RequestContext, SimpleNamespace(runtime=SimpleNamespace(settings=settings)))


def test_stored_times_are_rfc3339_utc_and_both_formats_read_back() -> None:
    moment = datetime(2026, 11, 21, 23, 42, 32, 123000, tzinfo=UTC)
    assert clock.stamp(moment) == "2026-11-21T23:42:32.123000Z"
    assert clock.stamp(moment.replace(tzinfo=None)) == "2026-11-21T23:42:32.123000Z"
    # records written by earlier versions hold the wire format; both parse to the same moment
    assert clock.parse_time("2026-11-21T23:42:32.123Z") == moment
    assert clock.parse_time(clock.stamp(moment)) == moment
    assert clock.parse_time("2026-11-21T23:42:32.123000999Z") == moment  # Hive's nanoseconds
    assert clock.format_timestamp(moment) == "2026-11-21T23:42:32.123Z"  # the wire, not storage
    assert clock.utc_now().endswith("Z") and clock.now().microsecond % 1000 == 0


def test_transitions_take_the_settings_timings() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    default = _ctx(Settings())
    assert clock.after(default, "volume-create", start) == "2026-01-01T00:00:01Z"
    assert clock.after(default, "image-available", start) == "2026-01-01T00:00:02Z"
    fast = _ctx(replace(Settings(), timings=Timings.instant()))
    assert clock.after(fast, "volume-create", start) == clock.stamp(start)
    assert clock.reached(clock.after(fast, "volume-create", start), start)
    assert not clock.reached(clock.after(default, "volume-create", start), start)
    assert clock.reached(None, start)


def test_timings_are_named_as_records_store_them() -> None:
    timings = Timings(terminated_retention=5.0)
    assert timings.seconds("terminated-retention") == 5.0 == timings.seconds("terminated_retention")
    assert Timings.instant().seconds("snapshot-complete") == 0.0
    assert Timings.instant().seconds("terminated-retention") == 3600.0
    try:
        timings.seconds("no-such-timing")
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown timing must be a KeyError")
    hash(Settings())  # settings stay a frozen, hashable value
    assert Settings().timings == Timings()


def test_serve_flags_set_the_timings_without_touching_module_state() -> None:
    from hive_gateway import cli

    args = cli._parser().parse_args(["serve", "--terminated-retention", "12", "--no-tls"])
    settings = cli._settings(args)
    assert settings.timings.terminated_retention == 12.0
    assert settings.timings.volume_create == Timings().volume_create
    assert Settings().timings.terminated_retention == 3600.0  # another runtime keeps its own
