"""Network ACL records: a new ACL with AWS's default entries (IPv4 and, with an IPv6 CIDR, IPv6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.network_acls.constants import ACL, DEFAULT_DENY_IPV4, DEFAULT_DENY_IPV6
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record

# --- records -----------------------------------------------------------------------------------


def default_acl_id(vpc_id: str) -> str:
    """The id of ``vpc_id``'s default ACL: same hex as the VPC (``vpc-0a1b…`` → ``acl-0a1b…``)."""
    return "acl-" + vpc_id.split("-", 1)[1]


def _entry(
    rule_number: int, action_: str, egress: bool, cidr: str, *, ipv6: bool = False
) -> Record:
    entry: Record = {
        "rule_number": rule_number,
        "protocol": "-1",
        "rule_action": action_,
        "egress": egress,
    }
    entry["ipv6_cidr_block" if ipv6 else "cidr_block"] = cidr
    return entry


def _vpc_has_ipv6(vpc: Mapping[str, Any]) -> bool:
    return any(
        assoc.get("state", "associated") in ("associating", "associated")
        for assoc in vpc.get("ipv6_cidr_block_associations") or ()
    )


def _default_entries(*, allow_all: bool, ipv6: bool) -> list[Record]:
    """The rules a new ACL starts with (the default ACL allows all, a custom one denies)."""
    entries: list[Record] = []
    for egress in (True, False):
        if allow_all:
            entries.append(_entry(100, "allow", egress, "0.0.0.0/0"))
        entries.append(_entry(DEFAULT_DENY_IPV4, "deny", egress, "0.0.0.0/0"))
        if ipv6:
            if allow_all:
                entries.append(_entry(101, "allow", egress, "::/0", ipv6=True))
            entries.append(_entry(DEFAULT_DENY_IPV6, "deny", egress, "::/0", ipv6=True))
    return entries


def _new_record(
    ctx: RequestContext,
    acl_id: str,
    vpc: Mapping[str, Any],
    *,
    is_default: bool,
    tags: dict[str, str],
) -> Record:
    return {
        "network_acl_id": acl_id,
        "vpc_id": vpc["vpc_id"],
        "is_default": is_default,
        "entries": _default_entries(allow_all=is_default, ipv6=_vpc_has_ipv6(vpc)),
        "associations": [],
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }


async def add_ipv6_default_rules(ctx: RequestContext, vpc_id: str) -> None:
    """What AWS does when a VPC gains an IPv6 CIDR: ``::/0`` allow 101 on the default ACL and
    deny 32768 on every ACL of the VPC, both directions (rules already present are kept)."""

    def add(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        present = {(bool(e.get("egress")), int(e.get("rule_number", 0))) for e in entries}
        for egress in (True, False):
            if record.get("is_default") and (egress, 101) not in present:
                entries.append(_entry(101, "allow", egress, "::/0", ipv6=True))
            if (egress, DEFAULT_DENY_IPV6) not in present:
                entries.append(_entry(DEFAULT_DENY_IPV6, "deny", egress, "::/0", ipv6=True))
        return {**record, "entries": entries}

    for record in await records.where(ctx, ACL, live_only=False, vpc_id=vpc_id):
        await records.mutate(ctx, ACL, record["network_acl_id"], add)
