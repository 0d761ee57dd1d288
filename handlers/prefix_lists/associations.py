"""Where prefix lists are used: ``GetManagedPrefixListAssociations``.

A list referenced by a security-group rule (``PrefixListIds``) or a route
(``DestinationPrefixListId``) is *associated* with that group or route table. Those families
declare it (``blocks("prefix-list", by=…)`` in ``security_groups/lifecycle.py`` and
``route_tables/reactions.py``), which also refuses ``DeleteManagedPrefixList`` while any remains::

    DeleteManagedPrefixList PrefixListId=pl-1   (used by sg-1)
    → DependencyViolation: resource pl-1 has a dependent object

and the associations are exactly those blockers.
"""

from __future__ import annotations

from typing import Final

from hive_gateway.core import dependents
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

SECURITY_GROUP: Final = KINDS["security-group"]
ROUTE_TABLE: Final = KINDS["route-table"]


async def associations(ctx: RequestContext, pl_id: str) -> list[Record]:
    """``PrefixListAssociation`` items: every group and route table of the caller using
    ``pl_id`` (``ResourceId``, ``ResourceOwner``), sorted by id."""
    found: list[Record] = []
    for user in await dependents.blockers(ctx, "prefix-list", {"prefix_list_id": pl_id}):
        for kind in (SECURITY_GROUP, ROUTE_TABLE):
            resource_id = user.get(kind.id_field)
            if isinstance(resource_id, str) and resource_id.startswith(kind.id_prefix + "-"):
                owner = str(user.get("account_id") or ctx.account_id)
                found.append({"ResourceId": resource_id, "ResourceOwner": owner})
                break
    return sorted(found, key=lambda item: str(item["ResourceId"]))
