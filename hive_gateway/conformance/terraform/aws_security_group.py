"""``aws_security_group`` (``vpc_security_group.go``): create, wait (3 consecutive finds), revoke
the default egress rules, then authorize the configured ones.

Rules are flattened as ``securityGroupIPPermGather`` does: one rule per (protocol, from, to,
description), nil ports read as 0, protocol lower-cased but *not* renamed (the config side is
normalised by ``protocolForValue``: ``6`` → ``tcp``, ``all`` → ``-1``), a group pair naming the
group itself is ``self``. Updates revoke ``old − new`` before authorizing ``new − old``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from hive_gateway.conformance.runner import Harness, wait_for_state
from hive_gateway.conformance.terraform.common import (
    arn_of,
    delete_lingering_enis,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import (
    DefaultSecurityGroupConfig,
    Obj,
    SecurityGroupConfig,
    SgRule,
    State,
)
from hive_gateway.conformance.terraform.finders import find, retry_until_not_found, status

SG_PROTOCOL_NUMBERS: Final = {"icmpv6": 58, "udp": 17, "tcp": 6, "icmp": 1, "all": -1}


def protocol_for_value(value: str) -> str:
    """``protocolForValue``: lower-case; ``all``/``-1`` → ``-1``; known numbers → names."""
    protocol = value.lower()
    if protocol in ("-1", "all"):
        return "-1"
    if protocol in SG_PROTOCOL_NUMBERS:
        return protocol
    try:
        number = int(protocol)
    except ValueError:
        return protocol
    for name, known in SG_PROTOCOL_NUMBERS.items():
        if known == number:
            return name
    return protocol


Atom = tuple[str, int, int, str, str, str]
"""(protocol, from_port, to_port, description, source kind, source) — one rule per source, as
``securityGroupExpandRules`` produces and as the provider's rule matching compares."""


def config_atoms(rules: Iterable[SgRule]) -> set[Atom]:
    """The configured rules, normalised (``protocolForValue``) and expanded one per source."""
    atoms: set[Atom] = set()
    for rule in rules:
        protocol = protocol_for_value(rule.protocol)
        key = (protocol, rule.from_port, rule.to_port, rule.description)
        atoms.update((*key, "cidr_blocks", v) for v in rule.cidr_blocks)
        atoms.update((*key, "ipv6_cidr_blocks", v) for v in rule.ipv6_cidr_blocks)
        atoms.update((*key, "prefix_list_ids", v) for v in rule.prefix_list_ids)
        atoms.update((*key, "security_groups", v) for v in rule.security_groups)
        if rule.self_ref:
            atoms.add((*key, "self", "true"))
    return atoms


def state_atoms(rules: Iterable[Mapping[str, Any]]) -> set[Atom]:
    """Flattened state rules expanded the same way (protocol as the API returned it)."""
    atoms: set[Atom] = set()
    for rule in rules:
        key = (
            str(rule["protocol"]),
            int(rule["from_port"]),
            int(rule["to_port"]),
            str(rule["description"]),
        )
        for kind in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"):
            atoms.update((*key, kind, v) for v in rule.get(kind) or ())
        if rule.get("self"):
            atoms.add((*key, "self", "true"))
    return atoms


def gather_permissions(
    group_id: str, owner_id: str, permissions: Iterable[Mapping[str, Any]]
) -> list[Obj]:
    """``securityGroupIPPermGather``: one rule per (protocol, from, to, description); nil ports → 0;
    the protocol lower-cased as the API sent it; own group → ``self``; another account's group →
    ``"<UserId>/<GroupId>"``. Lists are sorted for a stable state."""
    rules: dict[tuple[str, int, int, str], Obj] = {}

    def rule_for(permission: Mapping[str, Any], description: str) -> Obj:
        protocol = str(permission.get("IpProtocol", "")).lower()
        from_port = int(permission.get("FromPort") or 0)
        to_port = int(permission.get("ToPort") or 0)
        key = (protocol, from_port, to_port, description)
        if key not in rules:
            rules[key] = {
                "protocol": protocol,
                "from_port": from_port,
                "to_port": to_port,
                "description": description,
                "cidr_blocks": [],
                "ipv6_cidr_blocks": [],
                "prefix_list_ids": [],
                "security_groups": [],
                "self": False,
            }
        return rules[key]

    for permission in permissions:
        for ip_range in permission.get("IpRanges") or []:
            rule_for(permission, str(ip_range.get("Description", "")))["cidr_blocks"].append(
                ip_range["CidrIp"]
            )
        for ip_range in permission.get("Ipv6Ranges") or []:
            rule_for(permission, str(ip_range.get("Description", "")))["ipv6_cidr_blocks"].append(
                ip_range["CidrIpv6"]
            )
        for prefix in permission.get("PrefixListIds") or []:
            rule_for(permission, str(prefix.get("Description", "")))["prefix_list_ids"].append(
                prefix["PrefixListId"]
            )
        for pair in permission.get("UserIdGroupPairs") or []:
            rule = rule_for(permission, str(pair.get("Description", "")))
            user = str(pair.get("UserId", ""))
            pair_id = str(pair.get("GroupId", ""))
            if user and user != owner_id:
                pair_id = f"{user}/{pair_id}"
            if pair_id == group_id:
                rule["self"] = True
            elif pair_id not in rule["security_groups"]:
                rule["security_groups"].append(pair_id)
    flattened = []
    for key in sorted(rules):
        rule = rules[key]
        for kind in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"):
            rule[kind] = sorted(rule[kind])
        flattened.append(rule)
    return flattened


def expand_permissions(group_id: str, atoms: Iterable[Atom]) -> list[Obj]:
    """``securityGroupCollapseRules`` + ``expandIPPerms``: atoms grouped by (protocol, ports,
    description) into ``IpPermission`` s; ports only when the protocol is not ``-1``; the
    description on every range; ``self`` as the group's own id."""
    grouped: dict[tuple[str, int, int, str], list[tuple[str, str]]] = {}
    for protocol, from_port, to_port, description, kind, source in atoms:
        grouped.setdefault((protocol, from_port, to_port, description), []).append((kind, source))
    permissions: list[Obj] = []
    for (protocol, from_port, to_port, description), sources in sorted(grouped.items()):
        permission: Obj = {"IpProtocol": protocol_for_value(protocol)}
        if permission["IpProtocol"] != "-1":
            permission["FromPort"] = from_port
            permission["ToPort"] = to_port
        described: Obj = {"Description": description} if description else {}
        pairs = [s for k, s in sorted(sources) if k == "security_groups"]
        if any(k == "self" for k, _ in sources):
            pairs.append(group_id)
        if pairs:
            expanded = []
            for name in pairs:
                owner, _, pair_id = name.rpartition("/")
                pair: Obj = {"GroupId": pair_id, **described}
                if owner:
                    pair["UserId"] = owner
                expanded.append(pair)
            permission["UserIdGroupPairs"] = expanded
        cidrs = [s for k, s in sorted(sources) if k == "cidr_blocks"]
        if cidrs:
            permission["IpRanges"] = [{"CidrIp": c, **described} for c in cidrs]
        ipv6 = [s for k, s in sorted(sources) if k == "ipv6_cidr_blocks"]
        if ipv6:
            permission["Ipv6Ranges"] = [{"CidrIpv6": c, **described} for c in ipv6]
        prefixes = [s for k, s in sorted(sources) if k == "prefix_list_ids"]
        if prefixes:
            permission["PrefixListIds"] = [{"PrefixListId": p, **described} for p in prefixes]
        permissions.append(permission)
    return permissions


def update_security_group_rules(
    h: Harness, group_id: str, direction: str, old: Iterable[SgRule], new: Iterable[SgRule]
) -> None:
    """``updateSecurityGroupRules``: revoke ``old − new`` first, then authorize ``new − old``."""
    before, after = config_atoms(old), config_atoms(new)
    suffix = "Egress" if direction == "egress" else "Ingress"
    removed = expand_permissions(group_id, before - after)
    added = expand_permissions(group_id, after - before)
    if removed:
        h.call(f"RevokeSecurityGroup{suffix}", GroupId=group_id, IpPermissions=removed)
    if added:
        h.call(f"AuthorizeSecurityGroup{suffix}", GroupId=group_id, IpPermissions=added)


def sg_rule_update(
    h: Harness,
    group_id: str,
    old: tuple[tuple[SgRule, ...], tuple[SgRule, ...]],
    new: tuple[tuple[SgRule, ...], tuple[SgRule, ...]],
) -> None:
    """``resourceSecurityGroupUpdate``: DescribeSecurityGroups, then ingress and egress diffs."""
    find(h, "security-group", group_id)
    if old[0] != new[0]:
        update_security_group_rules(h, group_id, "ingress", old[0], new[0])
    if old[1] != new[1]:
        update_security_group_rules(h, group_id, "egress", old[1], new[1])


def create_security_group(h: Harness, config: SecurityGroupConfig) -> tuple[str, State]:
    """``resourceSecurityGroupCreate``: create, wait (3 consecutive finds), revoke the default IPv4
    egress (any error fatal), revoke the default IPv6 egress (``InvalidPermission.NotFound`` and
    ``InvalidParameterValue`` "remote-ipv6-range" tolerated), Update (rules), Read."""
    response = h.call(
        "CreateSecurityGroup",
        GroupName=config.name,
        Description=config.description,
        VpcId=config.vpc_id,
        **tag_specifications("security-group", config.tags),
    )
    assert response is not None
    group_id = str(response["GroupId"])
    wait_for_state(
        status(lambda: find(h, "security-group", group_id), lambda _: "Created"),
        pending=(),
        target=("Created",),
        what=f"security group {group_id} create",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=1000,
        continuous_target_occurence=3,
    )
    h.call(
        "RevokeSecurityGroupEgress",
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    h.call(
        "RevokeSecurityGroupEgress",
        tolerate=lambda e: (
            e.code == "InvalidPermission.NotFound"
            or (e.code == "InvalidParameterValue" and "remote-ipv6-range" in e.message)
        ),
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
        ],
    )
    sg_rule_update(h, group_id, ((), ()), (config.ingress, config.egress))
    return group_id, read_security_group(h, group_id)


def flatten_security_group(h: Harness, group: Mapping[str, Any]) -> State:
    """The attributes ``resourceSecurityGroupRead`` sets."""
    group_id = str(group.get("GroupId", ""))
    owner = str(group.get("OwnerId", ""))
    return {
        "id": group_id,
        "arn": arn_of(h, owner, f"security-group/{group_id}"),
        "description": group.get("Description"),
        "name": group.get("GroupName"),
        "owner_id": group.get("OwnerId"),
        "vpc_id": group.get("VpcId"),
        "ingress": gather_permissions(group_id, owner, group.get("IpPermissions") or []),
        "egress": gather_permissions(group_id, owner, group.get("IpPermissionsEgress") or []),
        "tags": tags_out(group.get("Tags")),
    }


def read_security_group(h: Harness, group_id: str) -> State:
    """``resourceSecurityGroupRead`` (no RetryWhenNewResourceNotFound)."""
    return flatten_security_group(h, find(h, "security-group", group_id))


def update_security_group(
    h: Harness,
    group_id: str,
    old: SecurityGroupConfig | DefaultSecurityGroupConfig,
    new: SecurityGroupConfig | DefaultSecurityGroupConfig,
) -> State:
    """Tags, then rule diffs (revoke before authorize), then Read."""
    update_tags(h, group_id, old.tags, new.tags)
    sg_rule_update(h, group_id, (old.ingress, old.egress), (new.ingress, new.egress))
    return read_security_group(h, group_id)


def delete_security_group(h: Harness, group_id: str) -> None:
    """Lingering ENIs, ``DeleteSecurityGroup`` retried on ``DependencyViolation``/``InvalidGroup.InUse``
    (``InvalidGroup.NotFound`` → done), then RetryUntilNotFound."""
    delete_lingering_enis(h, "group-id", group_id)
    h.call(
        "DeleteSecurityGroup",
        tolerate=("InvalidGroup.NotFound",),
        retry_on=("DependencyViolation", "InvalidGroup.InUse"),
        GroupId=group_id,
    )
    retry_until_not_found(
        h, f"security group {group_id} delete", lambda: find(h, "security-group", group_id)
    )
