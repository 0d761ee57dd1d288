"""``aws_network_acl`` (``vpc_network_acl.go``): entries created and deleted one call each,
subnet associations moved with ``ReplaceNetworkAclAssociation`` (back to the VPC's default ACL on
removal). Entries are flattened with rules 32767/32768 skipped, the protocol as its IANA number,
absent ports and ICMP fields as 0."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final

from hive_gateway.conformance.runner import Harness, NotFound
from hive_gateway.conformance.terraform.common import (
    arn_of,
    attribute_filters,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import (
    DefaultNetworkAclConfig,
    NaclRule,
    NetworkAclConfig,
    Obj,
    State,
)
from hive_gateway.conformance.terraform.finders import (
    ASSOCIATION_GONE,
    NACL_GONE,
    find,
    find_member,
    find_where,
    retry_new,
)

DEFAULT_ACL_RULES: Final = (32767, 32768)
"""``defaultACLRuleNumberIPv4/IPv6``: AWS's catch-all deny rules, never in state."""

NACL_PROTOCOLS: Final = {"all": -1, "icmp": 1, "tcp": 6, "udp": 17, "ipv6-icmp": 58}
"""The part of the provider's IANA table this module needs (numbers pass through)."""


def nacl_protocol_number(protocol: str) -> int:
    """``networkACLProtocolNumber``."""
    try:
        return int(protocol)
    except ValueError:
        return NACL_PROTOCOLS[protocol]


NaclKey = tuple[int, str, int, str, str, int, int, int, int]
"""(rule_no, action lower, protocol number, cidr, ipv6 cidr, from, to, icmp type, icmp code)."""


def nacl_rule_key(rule: NaclRule | Mapping[str, Any]) -> NaclKey:
    """The identity the rule set hashes on (absent fields as zero values)."""
    if isinstance(rule, NaclRule):
        values: Mapping[str, Any] = rule.__dict__
    else:
        values = rule
    return (
        int(values.get("rule_no") or 0),
        str(values.get("action") or "").lower(),
        nacl_protocol_number(str(values.get("protocol"))),
        str(values.get("cidr_block") or ""),
        str(values.get("ipv6_cidr_block") or ""),
        int(values.get("from_port") or 0),
        int(values.get("to_port") or 0),
        int(values.get("icmp_type") or 0),
        int(values.get("icmp_code") or 0),
    )


def find_network_acl_association_by_subnet(h: Harness, subnet_id: str) -> Obj:
    """``FindNetworkACLAssociationBySubnetID``: filter ``association.subnet-id``."""
    return find_member(
        h,
        "network-acl",
        attribute_filters({"association.subnet-id": subnet_id}),
        "Associations",
        "SubnetId",
        subnet_id,
        f"network ACL association of {subnet_id}",
    )


def network_acl_association_create(h: Harness, acl_id: str, subnet_id: str) -> str:
    """``networkACLAssociationCreate``: replace the subnet's current association."""
    association = find_network_acl_association_by_subnet(h, subnet_id)
    response = h.call(
        "ReplaceNetworkAclAssociation",
        retry_on=ASSOCIATION_GONE,
        AssociationId=association["NetworkAclAssociationId"],
        NetworkAclId=acl_id,
    )
    assert response is not None
    return str(response["NewAssociationId"])


def network_acl_associations_delete(h: Harness, vpc_id: str, subnet_ids: Iterable[str]) -> None:
    """``networkACLAssociationsDelete``: each subnet goes back to the VPC's default ACL."""
    # FindVPCDefaultNetworkACL: filters default=true, vpc-id.
    default_acl = find_where(
        h, "network-acl", attribute_filters({"default": "true", "vpc-id": vpc_id})
    )
    for subnet_id in subnet_ids:
        try:
            association = find_network_acl_association_by_subnet(h, subnet_id)
        except NotFound:
            continue
        h.call(
            "ReplaceNetworkAclAssociation",
            tolerate=ASSOCIATION_GONE,
            AssociationId=association["NetworkAclAssociationId"],
            NetworkAclId=default_acl["NetworkAclId"],
        )


def _create_entries(h: Harness, acl_id: str, rules: Iterable[NaclRule], egress: bool) -> None:
    """``createNetworkACLEntries``: ``PortRange`` always sent; ``IcmpTypeCode`` for ICMP(v6)."""
    for rule in rules:
        number = nacl_protocol_number(rule.protocol)
        params: Obj = {
            "Egress": egress,
            "NetworkAclId": acl_id,
            "PortRange": {"From": rule.from_port, "To": rule.to_port},
            "Protocol": str(number),
            "RuleAction": rule.action,
            "RuleNumber": rule.rule_no,
        }
        if rule.cidr_block:
            params["CidrBlock"] = rule.cidr_block
        if rule.ipv6_cidr_block:
            params["Ipv6CidrBlock"] = rule.ipv6_cidr_block
        if number in (1, 58):
            params["IcmpTypeCode"] = {"Code": rule.icmp_code, "Type": rule.icmp_type}
        h.call("CreateNetworkAclEntry", **params)


def delete_entries(h: Harness, acl_id: str, entries: Iterable[tuple[int, bool]]) -> None:
    """``deleteNetworkACLEntries`` (the 32767/32768 catch-alls skipped)."""
    for rule_no, egress in entries:
        if rule_no in DEFAULT_ACL_RULES:
            continue
        h.call("DeleteNetworkAclEntry", Egress=egress, NetworkAclId=acl_id, RuleNumber=rule_no)


def modify_acl_on_create(
    h: Harness, acl_id: str, config: NetworkAclConfig | DefaultNetworkAclConfig
) -> None:
    """``modifyNetworkACLAttributesOnCreate``: egress entries, ingress entries, associations."""
    _create_entries(h, acl_id, config.egress, True)
    _create_entries(h, acl_id, config.ingress, False)
    for subnet_id in config.subnet_ids:
        network_acl_association_create(h, acl_id, subnet_id)


def _update_entries(
    h: Harness, acl_id: str, old: Iterable[NaclRule], new: Iterable[NaclRule], egress: bool
) -> None:
    before = {nacl_rule_key(r): r for r in old}
    after = {nacl_rule_key(r): r for r in new}
    delete_entries(h, acl_id, [(r.rule_no, egress) for k, r in before.items() if k not in after])
    _create_entries(h, acl_id, [r for k, r in after.items() if k not in before], egress)


def modify_acl_on_update(
    h: Harness,
    acl_id: str,
    vpc_id: str,
    old: NetworkAclConfig | DefaultNetworkAclConfig,
    new: NetworkAclConfig | DefaultNetworkAclConfig,
    delete_associations: bool,
) -> None:
    """``modifyNetworkACLAttributesOnUpdate``: ingress, egress, then associations."""
    if set(map(nacl_rule_key, old.ingress)) != set(map(nacl_rule_key, new.ingress)):
        _update_entries(h, acl_id, old.ingress, new.ingress, False)
    if set(map(nacl_rule_key, old.egress)) != set(map(nacl_rule_key, new.egress)):
        _update_entries(h, acl_id, old.egress, new.egress, True)
    removed = [s for s in old.subnet_ids if s not in new.subnet_ids]
    added = [s for s in new.subnet_ids if s not in old.subnet_ids]
    if removed and delete_associations:
        network_acl_associations_delete(h, vpc_id, removed)
    for subnet_id in added:
        try:
            network_acl_association_create(h, acl_id, subnet_id)
        except NotFound:
            continue


def flatten_nacl_entries(entries: Iterable[Mapping[str, Any]], egress: bool) -> list[Obj]:
    """``flattenNetworkACLEntries``: protocol as its number; absent ports/ICMP fields → 0."""
    flattened = []
    for entry in entries:
        if (
            int(entry.get("RuleNumber", 0)) in DEFAULT_ACL_RULES
            or bool(entry.get("Egress")) != egress
        ):
            continue
        port_range = entry.get("PortRange") or {}
        icmp = entry.get("IcmpTypeCode") or {}
        flattened.append(
            {
                "rule_no": int(entry.get("RuleNumber", 0)),
                "action": entry.get("RuleAction", ""),
                "cidr_block": entry.get("CidrBlock", ""),
                "ipv6_cidr_block": entry.get("Ipv6CidrBlock", ""),
                "from_port": int(port_range.get("From") or 0),
                "to_port": int(port_range.get("To") or 0),
                "protocol": str(nacl_protocol_number(str(entry.get("Protocol", "")))),
                "icmp_type": int(icmp.get("Type") or 0),
                "icmp_code": int(icmp.get("Code") or 0),
            }
        )
    return sorted(flattened, key=nacl_rule_key)


def read_network_acl(h: Harness, acl_id: str) -> State:
    """``resourceNetworkACLRead``."""
    acl = find(h, "network-acl", acl_id)
    return {
        "id": acl_id,
        "arn": arn_of(h, str(acl.get("OwnerId", "")), f"network-acl/{acl_id}"),
        "owner_id": acl.get("OwnerId"),
        "subnet_ids": sorted(str(a.get("SubnetId")) for a in acl.get("Associations") or []),
        "vpc_id": acl.get("VpcId"),
        "egress": flatten_nacl_entries(acl.get("Entries") or [], True),
        "ingress": flatten_nacl_entries(acl.get("Entries") or [], False),
        "tags": tags_out(acl.get("Tags")),
    }


def create_network_acl(h: Harness, config: NetworkAclConfig) -> tuple[str, State]:
    response = h.call(
        "CreateNetworkAcl",
        ClientToken=str(uuid.uuid4()),
        VpcId=config.vpc_id,
        **tag_specifications("network-acl", config.tags),
    )
    assert response is not None
    acl_id = str(response["NetworkAcl"]["NetworkAclId"])
    modify_acl_on_create(h, acl_id, config)
    return acl_id, retry_new(h, True, lambda: read_network_acl(h, acl_id))


def update_network_acl(
    h: Harness, acl_id: str, old: NetworkAclConfig, new: NetworkAclConfig
) -> State:
    update_tags(h, acl_id, old.tags, new.tags)
    modify_acl_on_update(h, acl_id, new.vpc_id, old, new, True)
    return read_network_acl(h, acl_id)


def delete_network_acl(h: Harness, acl_id: str, vpc_id: str) -> None:
    """Find (gone → done), return every associated subnet to the default ACL, then
    ``DeleteNetworkAcl`` retried on ``DependencyViolation`` (gone ok)."""
    try:
        acl = find(h, "network-acl", acl_id)
    except NotFound:
        return
    subnet_ids = [str(a.get("SubnetId")) for a in acl.get("Associations") or []]
    if subnet_ids:
        network_acl_associations_delete(h, vpc_id, subnet_ids)
    h.call(
        "DeleteNetworkAcl",
        tolerate=NACL_GONE,
        retry_on=("DependencyViolation",),
        NetworkAclId=acl_id,
    )
