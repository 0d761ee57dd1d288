"""Security group records: storing them, publishing rules to Hive, the VPC's default group."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from handlers.security_groups.constants import (
    DEFAULT_GROUP_DESCRIPTION,
    DEFAULT_GROUP_NAME,
    NO_PORTS,
    SG,
)
from handlers.security_groups.rule_keys import has_ports, rule_key
from hive_gateway.core import clock, records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.hive import events

# --- events ------------------------------------------------------------------------------------


def _hive_rules(rules: Iterable[Mapping[str, Any]]) -> list[Record]:
    """Rules in exactly Hive's event shape, for ``vpcd``.

    Hive's rule has only an IPv4 CIDR or a source group, and a rule with neither means "from
    anywhere" to it; IPv6 and prefix-list rules are therefore left out rather than widened.
    All-traffic rules carry ports 0/0 as Hive writes them.
    """
    out: list[Record] = []
    for rule in rules:
        protocol, start, end, peer_kind, peer = rule_key(rule)
        if peer_kind not in ("cidr", "group"):
            continue
        ports = (start, end) if has_ports(protocol) else (0, 0)
        item: Record = {"ip_protocol": protocol, "from_port": ports[0], "to_port": ports[1]}
        item["cidr_ip" if peer_kind == "cidr" else "source_sg"] = peer
        out.append(item)
    return out


async def _publish(ctx: RequestContext, subject: str, record: Mapping[str, Any]) -> None:
    """``vpc.create-sg`` / ``vpc.update-sg`` / ``vpc.delete-sg`` for Hive's vpcd."""
    await events.publish(
        ctx,
        subject,
        {
            "group_id": record["group_id"],
            "vpc_id": record["vpc_id"],
            "ingress_rules": _hive_rules(record.get("ingress_rules", [])),
            "egress_rules": _hive_rules(record.get("egress_rules", [])),
        },
    )


# --- new groups (the default one, CreateSecurityGroup's) -----------------------------------------


def _ipv6_enabled(vpc: Mapping[str, Any]) -> bool:
    return any(
        a.get("state") == "associated" for a in vpc.get("ipv6_cidr_block_associations") or []
    )


def default_egress(vpc: Mapping[str, Any]) -> list[Record]:
    """The allow-all egress AWS gives every VPC group: ``0.0.0.0/0`` (and ``::/0`` with IPv6)."""
    rules: list[Record] = [
        {"ip_protocol": "-1", "from_port": NO_PORTS, "to_port": NO_PORTS, "cidr_ip": "0.0.0.0/0"}
    ]
    if _ipv6_enabled(vpc):
        rules.append(
            {"ip_protocol": "-1", "from_port": NO_PORTS, "to_port": NO_PORTS, "cidr_ipv6": "::/0"}
        )
    return [_new_rule(rule) for rule in rules]


def _new_rule(rule: Record, tags: Mapping[str, str] | None = None) -> Record:
    """A stored rule with a fresh ``sgr-`` id and its tags."""
    return {**rule, "rule_id": new_id("security-group-rule"), "tags": dict(tags or {})}


async def _store_group(
    ctx: RequestContext,
    vpc: Mapping[str, Any],
    *,
    name: str,
    description: str,
    ingress: Callable[[str], list[Record]],
    tags: Mapping[str, str],
) -> Record:
    """Claim ``name`` in the VPC, then write the group; the claim is released if the write fails."""
    vpc_id = str(vpc["vpc_id"])
    group_id = new_id("security-group")
    await vpc_index.claim_security_group_name(ctx, vpc_id, name, group_id)
    record: Record = {
        "group_id": group_id,
        "group_name": name,
        "description": description,
        "vpc_id": vpc_id,
        "ingress_rules": ingress(group_id),
        "egress_rules": default_egress(vpc),
        "tags": dict(tags),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    try:
        await records.create(ctx, SG, record)
    except Exception:
        await vpc_index.release_security_group_name(ctx, vpc_id, name)
        raise
    await _publish(ctx, "vpc.create-sg", record)
    return record


async def create_default_security_group(ctx: RequestContext, vpc: dict[str, Any]) -> dict[str, Any]:
    """Create the VPC's ``default`` group (called by ``CreateVpc``); returns its record.

    As on AWS: description ``default VPC security group``, all traffic in from the group itself,
    all traffic out to ``0.0.0.0/0`` (and ``::/0`` when the VPC has IPv6).
    """

    def self_ingress(group_id: str) -> list[Record]:
        return [
            _new_rule(
                {
                    "ip_protocol": "-1",
                    "from_port": NO_PORTS,
                    "to_port": NO_PORTS,
                    "source_sg": group_id,
                    "source_sg_owner": ctx.account_id,
                }
            )
        ]

    return await _store_group(
        ctx,
        vpc,
        name=DEFAULT_GROUP_NAME,
        description=DEFAULT_GROUP_DESCRIPTION,
        ingress=self_ingress,
        tags={},
    )
