"""Fire-and-forget topology events for Hive daemons (``vpc.create``, ``vpc.igw-attach``, ...).

Hive's ``vpcd`` turns these into OVN configuration. Payloads are Hive's JSON (snake_case), with
the caller's account in the ``X-Account-ID`` header::

    vpc.create        {"vpc_id": "vpc-…", "cidr_block": "10.0.0.0/16", "vni": 101}
    vpc.create-subnet {"subnet_id": "subnet-…", "vpc_id": "vpc-…", "cidr_block": "10.0.1.0/24"}

Publishing never fails a request: without a bus (in-memory store) events are dropped, and a bus
error is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from hive_gateway.core.context import RequestContext

LOG = logging.getLogger(__name__)


async def publish(ctx: RequestContext, subject: str, payload: dict[str, Any]) -> None:
    """Publish ``payload`` on ``subject`` for Hive daemons, best effort."""
    bus = ctx.runtime.bus
    if bus is None:
        return
    try:
        await bus.publish(
            subject, json.dumps(payload).encode(), headers={"X-Account-ID": ctx.account_id}
        )
    except Exception:  # noqa: BLE001 - an event must never fail the API call
        LOG.warning("could not publish %s", subject, exc_info=True)
