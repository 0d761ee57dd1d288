"""Where prefix lists are used: security-group rules and routes (``core.dependents``).

A list referenced by a rule (``PrefixListIds``) or a route (``DestinationPrefixListId``) is
*associated* with that group or route table: ``GetManagedPrefixListAssociations`` lists them and
``DeleteManagedPrefixList`` is refused while any remains::

    DeleteManagedPrefixList PrefixListId=pl-1   (used by sg-1)
    → DependencyViolation: resource pl-1 has a dependent object

The two relations read fields the security-group and route-table records keep (rules'
``prefix_list_id``, routes' ``destination_prefix_list_id``). They are declared here, next to the
kind they protect, so that those families need no edit while they are being split into packages;
they are plain ``blocks(..., where=...)`` rows and may move to the dependent families later.
"""

from __future__ import annotations

from typing import Any, Final

from hive_gateway.core import dependents
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import KINDS, Record

SECURITY_GROUP: Final = KINDS["security-group"]
ROUTE_TABLE: Final = KINDS["route-table"]


def _rules_use(group: Record, prefix_list: Record) -> bool:
    wanted = prefix_list["prefix_list_id"]
    rules: list[Any] = [*group.get("ingress_rules", []), *group.get("egress_rules", [])]
    return any(rule.get("prefix_list_id") == wanted for rule in rules)


def _routes_use(table: Record, prefix_list: Record) -> bool:
    wanted = prefix_list["prefix_list_id"]
    return any(r.get("destination_prefix_list_id") == wanted for r in table.get("routes", []))


dependents.blocks("prefix-list", by="security-group", where=_rules_use)
dependents.blocks("prefix-list", by="route-table", where=_routes_use)


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
