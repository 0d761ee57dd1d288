"""What VPCs going means for their peering connections (declared through core.dependents).

AWS (``delete-vpc-peering-connection.html``): deleting a VPC that is part of an active
connection deletes the connection, and so does deleting the requester VPC of a request not yet
accepted; but a VPC with a *pending-acceptance request from another account* cannot be deleted
(``DependencyViolation``) until that request is rejected. Routes to the deleted connections
turn ``blackhole`` in both accounts (route_tables derives that from its ``TARGETS``).
"""

from __future__ import annotations

from handlers.vpc_peering import actions, lifecycle, store
from hive_gateway.core import clock, dependents
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record


def _pending_from_another_account(link: Record, vpc: Record) -> bool:
    """A request from another account waiting for this (accepter) VPC."""
    return (
        bool(link.get("link"))
        and link.get("accepter_vpc_id") == vpc["vpc_id"]
        and lifecycle.shown(link, clock.now()) in (lifecycle.INITIATING, lifecycle.PENDING)
    )


dependents.blocks(
    "vpc",
    by="vpc-peering-connection",
    where=_pending_from_another_account,
    via=("accepter_vpc_id", "vpc_id"),
)


@dependents.on("vpc", "deleted")
async def _vpc_deleted(ctx: RequestContext, vpc: Record) -> None:
    """Every live connection of the deleted VPC is deleted (its routes blackhole)."""
    vpc_id = vpc["vpc_id"]
    for local in await store.of_vpc(ctx, vpc_id):
        connection = await store.resolve(ctx, local)
        if connection is None:
            continue
        state = lifecycle.shown(connection.record, clock.now())
        if state in (lifecycle.ACTIVE, lifecycle.PENDING, lifecycle.PROVISIONING):
            await actions.delete_connection(ctx, connection)
