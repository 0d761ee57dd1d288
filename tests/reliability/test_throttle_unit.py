"""The auth-failure throttle's arithmetic (Hive's: 10 in 60 s → 30 s, doubling to 5 min)."""

from __future__ import annotations

import pytest

from hive_gateway.api.auth.throttle import AuthThrottle
from hive_gateway.core.errors import AwsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _locked(throttle: AuthThrottle, source: str = "10.0.0.1") -> bool:
    try:
        throttle.check(source)
    except AwsError as error:
        assert error.code == "RequestLimitExceeded" and error.status == 503
        return True
    return False


def test_limit_within_window_locks_and_lock_expires() -> None:
    """9 failures do not lock; the 10th within 60 s locks for 30 s; then the source is free."""
    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    for _ in range(9):
        throttle.failed("10.0.0.1")
    assert not _locked(throttle)
    throttle.failed("10.0.0.1")
    assert _locked(throttle)
    assert not _locked(throttle, "10.0.0.2")
    clock.now += 29.5
    assert _locked(throttle)
    clock.now += 1
    assert not _locked(throttle)


def test_failures_outside_the_window_do_not_count() -> None:
    """Failures older than the window are forgotten: 10 failures spread over 2 minutes never
    lock."""
    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    for _ in range(10):
        throttle.failed("10.0.0.1")
        clock.now += 13
    assert not _locked(throttle)


@pytest.mark.parametrize("rounds, expected", [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (6, 300)])
def test_each_further_lockout_doubles_up_to_the_maximum(rounds: int, expected: float) -> None:
    """Lockouts double (30, 60, 120, 240 s) and stop at 5 minutes."""
    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    for _ in range(rounds):
        while not _locked(throttle):
            throttle.failed("10.0.0.1")
        start = clock.now
        while _locked(throttle):
            clock.now += 1
    assert clock.now - start == pytest.approx(expected, abs=1)


def test_a_long_quiet_period_resets_the_doubling() -> None:
    """After more than the maximum lockout without failures, the next lockout is 30 s again."""
    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    for _ in range(3):
        while not _locked(throttle):
            throttle.failed("10.0.0.1")
        while _locked(throttle):
            clock.now += 1
    clock.now += 301
    while not _locked(throttle):
        throttle.failed("10.0.0.1")
    start = clock.now
    while _locked(throttle):
        clock.now += 1
    assert clock.now - start == pytest.approx(30, abs=1)


def test_zero_limit_turns_it_off() -> None:
    """``auth_failure_limit`` 0: never locks."""
    throttle = AuthThrottle(limit=0)
    for _ in range(1000):
        throttle.failed("10.0.0.1")
    assert not _locked(throttle)


def test_memory_stays_bounded_under_a_spray_of_sources() -> None:
    """Failures from very many addresses do not grow the table without bound."""
    from hive_gateway.api.auth import throttle as module

    clock = Clock()
    throttle = AuthThrottle(clock=clock)
    for index in range(module._MAX_SOURCES * 2):
        throttle.failed(f"10.{index // 65536}.{index // 256 % 256}.{index % 256}")
        clock.now += 0.001
    assert len(throttle._sources) <= module._MAX_SOURCES
