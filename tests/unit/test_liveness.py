"""Each kind whose family computes visibility lazily declares its liveness rule (``@live``), so
generic paths (tags, describe, dependency checks, ``records.get``) agree with the family."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import handlers  # noqa: F401  (registers every family's declarations)
from hive_gateway.config import Settings
from hive_gateway.core.kinds import KINDS, is_live

CTX: Any = SimpleNamespace(runtime=SimpleNamespace(settings=Settings()))
"""What a rule may read of the request: the settings' timings."""

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PAST = "2025-12-31T23:59:00.000Z"
FUTURE = "2026-01-01T00:01:00.000Z"


def test_a_deleted_volume_is_gone_once_its_deleting_time_passed() -> None:
    volume = {"volume_id": "vol-1", "delete_at": PAST}
    assert is_live(CTX, KINDS["volume"], {**volume, "gone_at": FUTURE}, NOW)  # still "deleting"
    assert not is_live(CTX, KINDS["volume"], {**volume, "gone_at": PAST}, NOW)
    assert is_live(CTX, KINDS["volume"], {"volume_id": "vol-2"}, NOW)


def test_a_deregistered_image_is_gone_after_gone_at() -> None:
    image = {"image_id": "ami-1", "deregistered_at": PAST}
    assert is_live(CTX, KINDS["image"], {**image, "gone_at": FUTURE}, NOW)
    assert not is_live(CTX, KINDS["image"], {**image, "gone_at": PAST}, NOW)


def test_a_terminated_instance_is_gone_after_the_retention() -> None:
    long_ago = (NOW - timedelta(days=1)).isoformat()
    terminated = {"instance_id": "i-1", "state": "terminated", "terminated_at": long_ago}
    assert not is_live(CTX, KINDS["instance"], terminated, NOW)
    assert is_live(CTX, KINDS["instance"], {**terminated, "terminated_at": NOW.isoformat()}, NOW)
    assert is_live(CTX, KINDS["instance"], {**terminated, "state": "running"}, NOW)


def test_a_deleted_placement_group_is_gone_after_deleting() -> None:
    group = {"group_name": "g", "state": "deleted", "deleted_at": "2020-01-01T00:00:00Z"}
    assert not is_live(CTX, KINDS["placement-group"], group, NOW)
    assert is_live(CTX, KINDS["placement-group"], {"group_name": "g", "state": "available"}, NOW)


def test_kinds_without_lazy_deletion_are_live_while_stored() -> None:
    assert is_live(CTX, KINDS["vpc"], {"vpc_id": "vpc-1"}, NOW)
    assert is_live(CTX, KINDS["snapshot"], {"snapshot_id": "snap-1"}, NOW)  # deleted at once
