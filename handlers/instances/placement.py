"""Which nodes a RunInstances request launches on (capacity and placement groups)."""

from __future__ import annotations

import random

from handlers.instances.constants import INSTANCE, TERMINAL_STATES
from handlers.instances.errors import insufficient_capacity, spread_full
from handlers.instances.plans import RunPlan
from handlers.instances.record_fields import state_name
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.zones import home_zone


async def placement_targets(
    ctx: RequestContext, client: contract.DaemonClient, plan: RunPlan
) -> list[str | None]:
    """Nodes to launch on, one entry per instance (``None``: the type's queue group).

    Spinifex's placement: ask every node for its capacity (``node.status``), keep those with
    room in the subnet's zone, assign one instance per node first and pack the rest onto the
    nodes with most room left. Spread groups skip nodes already running one of the group's
    instances and take one per node; cluster groups use one node (the group's, once it has one).
    """
    zone = home_zone(ctx, plan.zone)  # hosts run in the gateway's zones (--accept-any-region)
    statuses = await client.node_status(ctx.account_id)
    if not statuses:
        return [None] * plan.max_count  # daemons without node.status (Hive before Spinifex)
    nodes = [
        s for s in statuses if s.available(plan.instance_type) > 0 and (not s.az or s.az == zone)
    ]
    random.shuffle(nodes)
    nodes.sort(key=lambda s: s.available(plan.instance_type), reverse=True)
    group = plan.placement_group
    strategy = (group or {}).get("strategy")
    if group is not None and strategy in ("spread", "cluster"):
        members = [
            r
            for r in await records.where(ctx, INSTANCE, placement_group=group["group_name"])
            if state_name(r) not in TERMINAL_STATES
        ]
        used = {r.get("node") for r in members if r.get("node")}
        if strategy == "spread":
            free = [s.node for s in nodes if s.node not in used]
            if len(free) < plan.min_count:
                in_zone = [s for s in statuses if not s.az or s.az == zone]
                raise spread_full(str(group["group_name"]), len(in_zone))
            return list(free[: plan.max_count])
        target = (
            next((s for s in nodes if s.node in used), None)
            if used
            else (nodes[0] if nodes else None)
        )
        if target is None:
            raise insufficient_capacity(plan.instance_type, plan.zone)
        return [target.node] * min(plan.max_count, target.available(plan.instance_type))
    remaining = {s.node: s.available(plan.instance_type) for s in nodes}
    targets: list[str | None] = []
    for status in nodes:
        if len(targets) < plan.max_count:
            targets.append(status.node)
            remaining[status.node] -= 1
    while len(targets) < plan.max_count:
        best = max(remaining, key=lambda n: remaining[n], default=None)
        if best is None or remaining[best] <= 0:
            break
        targets.append(best)
        remaining[best] -= 1
    return targets
