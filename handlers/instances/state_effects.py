"""What a new instance state implies outside the record: resources released at
termination, the auto-assigned public IP given back on stop and reassigned on start.

Composition (volumes, interfaces) is called directly; what other families do when an instance
terminates (Elastic IPs, routes) follows ``("instance", "terminated")`` (core.dependents)."""

from __future__ import annotations

import contextlib
import logging

from handlers import ebs, network_interfaces
from handlers.instances.constants import INSTANCE
from handlers.instances.record_fields import state_name
from hive_gateway.core import dependents, leases, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import Record

LOG = logging.getLogger(__name__)


def _terminated(instance: Record) -> bool:
    return state_name(instance) == "terminated"


# What an instance holds on to (architecture.md §2): a subnet or placement group cannot be deleted
# while a live instance is in it. The record is stored after the launch, so a failed re-check
# could not be undone: its interface (created first, re-checked) already holds the subnet.
dependents.blocks("subnet", by="instance", field="subnet_id", unless=_terminated, recheck=False)
dependents.blocks(
    "placement-group",
    by="instance",
    where=lambda instance, group: instance.get("placement_group") == group.get("group_name"),
    unless=_terminated,
    via=("placement_group", "group_name"),
)


async def finalize_termination(ctx: RequestContext, instance_id: str) -> None:
    """Give back what a terminated instance held: interfaces, volumes, Elastic IP associations.

    Idempotent (``released`` marks completion); errors are logged and retried on the next read.
    """
    record = await records.find(ctx, INSTANCE, instance_id)
    if record is None or state_name(record) != "terminated" or record.get("released"):
        return  # nothing to give back (no lease taken; checked again under it)
    # the watcher and a Describe may race, in this gateway or another one sharing the store
    async with leases.held(ctx, leases.lease_name("finalize", instance_id)):
        record = await records.find(ctx, INSTANCE, instance_id)
        if record is None or state_name(record) != "terminated" or record.get("released"):
            return
        try:
            await ebs.delete_on_termination(ctx, instance_id)
            await network_interfaces.release_instance_interfaces(ctx, instance_id)
            # Elastic IP associations, routes to the instance (blackhole): declared by their
            # families as ("instance", "terminated") reactions.
            await dependents.fire(ctx, "instance", "terminated", record)
        except Exception:
            LOG.warning(
                "releasing the resources of %s failed (retried on the next read)",
                instance_id,
                exc_info=True,
            )
            return
        with contextlib.suppress(AwsError):
            await records.mutate(ctx, INSTANCE, instance_id, lambda r: {**r, "released": True})


async def public_ip_follows(ctx: RequestContext, instance_id: str, state: str) -> None:
    """AWS gives back an instance's auto-assigned public IP when it stops and assigns a new one
    when it starts again (an Elastic IP stays)."""
    primary = next(
        (
            e
            for e in await network_interfaces.interfaces_of_instance(ctx, instance_id)
            if int(e.get("device_index") or 0) == 0
        ),
        None,
    )
    if primary is None or not primary.get("auto_public_ip"):
        return
    eni_id = str(primary["network_interface_id"])
    try:
        if state == "stopped":
            await network_interfaces.drop_auto_public_ip(ctx, eni_id, keep_flag=True)
        elif state in ("pending", "running"):
            await network_interfaces.ensure_auto_public_ip(ctx, eni_id)
    except Exception:
        LOG.warning("public IP of %s not updated", instance_id, exc_info=True)
