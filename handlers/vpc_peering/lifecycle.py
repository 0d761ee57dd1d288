"""The life of a peering connection, as AWS shows it (``vpc-peering-basics.html#lifecycle``).

``CreateVpcPeeringConnection`` → ``initiating-request`` → ``pending-acceptance`` (or ``failed``
for overlapping CIDR blocks); ``AcceptVpcPeeringConnection`` → ``provisioning`` → ``active``;
``RejectVpcPeeringConnection`` → ``rejected``; ``DeleteVpcPeeringConnection`` → ``deleting`` →
``deleted``; a request left ``pending-acceptance`` for 7 days is ``expired``. Deleted, rejected,
failed and expired connections stay describable for ``vpc-peering-retention`` (AWS: 2 hours)
but are gone for everything else (tags, routes, dependency checks; Terraform's finder treats
them as gone too).

Records store the state a transition leads to (``state``), the state shown meanwhile
(``transition``) and when it ends (``transition_until``), so every gateway derives the same
visible state from the one clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record, live

INITIATING: Final = "initiating-request"
PENDING: Final = "pending-acceptance"
PROVISIONING: Final = "provisioning"
ACTIVE: Final = "active"
DELETING: Final = "deleting"
DELETED: Final = "deleted"
REJECTED: Final = "rejected"
FAILED: Final = "failed"
EXPIRED: Final = "expired"

TERMINAL: Final = frozenset({DELETED, REJECTED, FAILED, EXPIRED})
"""States after which the connection is gone for everything but ``Describe``."""

EXPIRY: Final = timedelta(days=7)
"""How long a request waits for acceptance (``ExpirationTime``)."""

TRANSITION: Final = "vpc-peering-transition"
RETENTION: Final = "vpc-peering-retention"


def shown(record: Record, now: datetime) -> str:
    """The state a connection (or its link record) shows at ``now``."""
    transition = record.get("transition")
    if transition and not clock.reached(record.get("transition_until"), now):
        return str(transition)
    state = str(record["state"])
    expires = record.get("expiration_time")
    if state == PENDING and expires and clock.reached(expires, now):
        return EXPIRED
    return state


def gone(ctx: RequestContext, record: Record, now: datetime) -> bool:
    """Whether a terminal connection has outlived its retention (no longer describable)."""
    state = shown(record, now)
    if state not in TERMINAL:
        return False
    if state == EXPIRED:
        ends = clock.parse_time(record["expiration_time"]) + clock.seconds(ctx, RETENTION)
        return ends <= now
    return clock.reached(record.get("gone_at"), now)


def moving(ctx: RequestContext, record: Record, shown_now: str, then: str) -> Record:
    """``record`` showing ``shown_now`` for one transition time, then ``then`` (terminal states
    also get the end of their retention)."""
    start = clock.now()
    until = start + clock.seconds(ctx, TRANSITION)
    changed: Record = {
        **record,
        "state": then,
        "transition": shown_now,
        "transition_until": clock.stamp(until),
    }
    if then in TERMINAL:
        changed["gone_at"] = clock.stamp(until + clock.seconds(ctx, RETENTION))
    return changed


def settled(ctx: RequestContext, record: Record, state: str) -> Record:
    """``record`` in ``state`` at once (a terminal state also starts its retention)."""
    changed: Record = {**record, "state": state}
    changed.pop("transition", None)
    changed.pop("transition_until", None)
    if state in TERMINAL:
        changed["gone_at"] = clock.stamp(clock.now() + clock.seconds(ctx, RETENTION))
    return changed


def status_message(record: Record, state: str) -> str:
    """``Status.Message`` as AWS words it for ``state``."""
    accepter = str(record.get("accepter_owner_id") or "")
    messages = {
        INITIATING: f"Initiating Request to {accepter}",
        PENDING: f"Pending Acceptance by {accepter}",
        PROVISIONING: "Provisioning",
        ACTIVE: "Active",
        DELETING: "Deleting",
        DELETED: f"Deleted by {record.get('deleted_by') or accepter}",
        REJECTED: f"Rejected by {accepter}",
        EXPIRED: "Expired",
    }
    return str(record.get("message") or "") if state == FAILED else messages.get(state, state)


@live("vpc-peering-connection")
def _live(ctx: RequestContext, record: Record, now: datetime) -> bool:
    """Terminal connections are gone for tags, routes and dependency checks."""
    return shown(record, now) not in TERMINAL
