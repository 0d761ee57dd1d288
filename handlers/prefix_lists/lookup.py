"""What other families ask of prefix lists: does ``pl-…`` exist for the caller, and which list
serves an AWS service (gateway endpoints route to it).

A security-group rule (``PrefixListIds``) or a route (``DestinationPrefixListId``) may name an
AWS-managed list of the request's region or one of the caller's own lists that is not being
deleted; anything else is ``InvalidPrefixListID.NotFound``::

    CreateRoute RouteTableId=rtb-1&DestinationPrefixListId=pl-00000000&GatewayId=igw-1
    → InvalidPrefixListID.NotFound: The prefix list ID 'pl-00000000' does not exist
"""

from __future__ import annotations

from typing import Final

from handlers.prefix_lists.catalogue import ManagedList, managed_list, managed_list_named
from handlers.prefix_lists.view import DELETE_IN_PROGRESS, api_state
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

PREFIX_LIST: Final = KINDS["prefix-list"]


async def customer_list(ctx: RequestContext, pl_id: str) -> Record | None:
    """The caller's own list ``pl_id`` while it is not being deleted, or ``None``."""
    if not pl_id.startswith("pl-"):
        return None
    record = await records.find(ctx, PREFIX_LIST, pl_id)
    if record is None or api_state(record) in (None, DELETE_IN_PROGRESS):
        return None
    return record


async def exists(ctx: RequestContext, pl_id: str) -> bool:
    """Whether the caller may reference ``pl_id`` (AWS-managed in its region, or its own)."""
    if managed_list(ctx.region, pl_id) is not None:
        return True
    return await customer_list(ctx, pl_id) is not None


async def check_reference(ctx: RequestContext, pl_id: str) -> None:
    """``InvalidPrefixListID.NotFound`` unless the caller may reference ``pl_id``."""
    if not await exists(ctx, pl_id):
        raise PREFIX_LIST.not_found(pl_id)


def service_list(region: str, service_name: str) -> ManagedList | None:
    """The AWS-managed list of a service name (``com.amazonaws.<region>.s3``), if any."""
    return managed_list_named(region, service_name)
