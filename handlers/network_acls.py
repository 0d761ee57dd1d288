"""Network ACLs: ``CreateNetworkAcl``, ``DeleteNetworkAcl``, ``DescribeNetworkAcls``, the entry
actions and ``ReplaceNetworkAclAssociation``.

AWS behaviour reproduced:

* every VPC has one default ACL (``IsDefault``) allowing everything: rule 100 allow ``-1``
  ``0.0.0.0/0`` plus the unchangeable rule 32767 deny, both directions; with an IPv6 CIDR also
  101 allow / 32768 deny for ``::/0``. A custom ACL starts with only the deny rules;
* every subnet is associated with exactly one ACL (the VPC's default one until
  ``ReplaceNetworkAclAssociation`` moves it, which issues a *new* association id);
* entries are identified by (direction, rule number); user rules are 1–32766::

    CreateNetworkAclEntry NetworkAclId=acl-1&RuleNumber=100&Egress=false&…   (twice)
    → NetworkAclEntryAlreadyExists: The network acl entry identified by 100 already exists.
    DeleteNetworkAclEntry NetworkAclId=acl-1&RuleNumber=120&Egress=false
    → InvalidNetworkAclEntry.NotFound: no ingress entry with number 120

* protocols are stored and returned as numbers (``tcp`` → ``"6"``, all → ``"-1"``); ports only
  for TCP/UDP, ICMP type/code only for ICMP/ICMPv6.

Hive has no network ACLs: records live in the gateway's own ``vpc-network-acls`` bucket. The
default ACL's id is derived from its VPC's (``vpc-<hex>`` → ``acl-<hex>``), so creating it is a
create-if-absent on one key: two requests racing to create it (e.g. two subnets in a VPC made by
Hive, which has no ACLs) end with one ACL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Final

from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

ACL: Final = KINDS["network-acl"]
VPC: Final = KINDS["vpc"]

# What an ACL holds on to (architecture.md §2): a VPC with custom ACLs cannot be deleted (its
# default ACL goes with it); CreateNetworkAcl re-checks the VPC after its write.
dependents.blocks(
    "vpc", by="network-acl", field="vpc_id", unless=lambda a: bool(a.get("is_default"))
)

MIN_RULE: Final = 1
MAX_RULE: Final = 32766
DEFAULT_DENY_IPV4: Final = 32767
DEFAULT_DENY_IPV6: Final = 32768

#: Protocol names AWS accepts, and the number it stores for each.
PROTOCOL_NUMBERS: Final[dict[str, str]] = {
    "all": "-1",
    "icmp": "1",
    "tcp": "6",
    "udp": "17",
    "icmpv6": "58",
}
PROTOCOL_NAMES: Final[dict[str, str]] = {v: k for k, v in PROTOCOL_NUMBERS.items() if k != "all"}
PORT_PROTOCOLS: Final = frozenset({"6", "17"})
ICMP_PROTOCOLS: Final = frozenset({"1", "58"})


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


def _entry_sort_key(entry: Mapping[str, Any]) -> tuple[bool, int]:
    """AWS lists egress entries first, each direction by rule number."""
    return (not entry.get("egress"), int(entry.get("rule_number", 0)))


def entry_to_api(entry: Mapping[str, Any]) -> Record:
    """One stored entry in API form."""
    out: Record = {
        "Egress": bool(entry.get("egress")),
        "Protocol": str(entry.get("protocol", "-1")),
        "RuleAction": entry.get("rule_action", "deny"),
        "RuleNumber": int(entry.get("rule_number", 0)),
    }
    if entry.get("cidr_block"):
        out["CidrBlock"] = entry["cidr_block"]
    if entry.get("ipv6_cidr_block"):
        out["Ipv6CidrBlock"] = entry["ipv6_cidr_block"]
    icmp = entry.get("icmp_type_code")
    if icmp is not None:
        out["IcmpTypeCode"] = {"Code": icmp.get("code", -1), "Type": icmp.get("type", -1)}
    ports = entry.get("port_range")
    if ports is not None:
        out["PortRange"] = {"From": ports.get("from", 0), "To": ports.get("to", 0)}
    return out


def network_acl_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """A stored ACL in API form (``NetworkAcl`` shape)."""
    acl_id = record["network_acl_id"]
    return {
        "Associations": [
            {
                "NetworkAclAssociationId": assoc["network_acl_association_id"],
                "NetworkAclId": acl_id,
                "SubnetId": assoc["subnet_id"],
            }
            for assoc in record.get("associations") or ()
        ],
        "Entries": [
            entry_to_api(e) for e in sorted(record.get("entries") or (), key=_entry_sort_key)
        ],
        "IsDefault": bool(record.get("is_default")),
        "NetworkAclId": acl_id,
        "Tags": api_tags(record_tags(record)),
        "VpcId": record["vpc_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
    }


def _entries(item: Mapping[str, Any], *path: str) -> list[Any]:
    """One value per entry of an API-form ACL, following ``path`` (missing → skipped)."""
    values: list[Any] = []
    for entry in item["Entries"]:
        value: Any = entry
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            values.append(value)
    return values


def _protocol_values(item: Mapping[str, Any]) -> list[str]:
    """``entry.protocol`` matches the number and, for named protocols, the name."""
    values: list[str] = []
    for protocol in _entries(item, "Protocol"):
        values.append(protocol)
        if protocol in PROTOCOL_NAMES:
            values.append(PROTOCOL_NAMES[protocol])
    return values


NETWORK_ACL_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "association.association-id": lambda a: [
            x["NetworkAclAssociationId"] for x in a["Associations"]
        ],
        "association.network-acl-id": lambda a: [x["NetworkAclId"] for x in a["Associations"]],
        "association.subnet-id": lambda a: [x["SubnetId"] for x in a["Associations"]],
        "default": lambda a: a["IsDefault"],
        "entry.cidr": lambda a: _entries(a, "CidrBlock"),
        "entry.egress": lambda a: _entries(a, "Egress"),
        "entry.icmp.code": lambda a: _entries(a, "IcmpTypeCode", "Code"),
        "entry.icmp.type": lambda a: _entries(a, "IcmpTypeCode", "Type"),
        "entry.ipv6-cidr": lambda a: _entries(a, "Ipv6CidrBlock"),
        "entry.port-range.from": lambda a: _entries(a, "PortRange", "From"),
        "entry.port-range.to": lambda a: _entries(a, "PortRange", "To"),
        "entry.protocol": _protocol_values,
        "entry.rule-action": lambda a: _entries(a, "RuleAction"),
        "entry.rule-number": lambda a: _entries(a, "RuleNumber"),
        "network-acl-id": lambda a: a["NetworkAclId"],
        "owner-id": lambda a: a["OwnerId"],
        "vpc-id": lambda a: a["VpcId"],
    },
    tags=lambda a: {t["Key"]: t["Value"] for t in a.get("Tags", [])},
    indexes={"vpc-id": "vpc_id", "network-acl-id": "network_acl_id"},
)


# --- exported helpers (CreateVpc, DeleteVpc, subnets) ----------------------------------------------


async def create_default_network_acl(ctx: RequestContext, vpc: dict[str, Any]) -> dict[str, Any]:
    """Create ``vpc``'s default ACL (idempotent: an existing one is returned unchanged)."""
    acl_id = default_acl_id(vpc["vpc_id"])
    record = _new_record(ctx, acl_id, vpc, is_default=True, tags={})
    return await records.create(ctx, ACL, record, exist_ok=True)


async def associate_with_default_acl(ctx: RequestContext, subnet: dict[str, Any]) -> None:
    """Associate a new subnet with its VPC's default ACL (creating that ACL if Hive made the VPC)."""
    subnet_id = subnet["subnet_id"]
    acl_id = default_acl_id(subnet["vpc_id"])

    def add(record: Record) -> Record:
        associations = list(record.get("associations") or [])
        if not any(a["subnet_id"] == subnet_id for a in associations):
            associations.append(
                {
                    "network_acl_association_id": new_id("network-acl-association"),
                    "subnet_id": subnet_id,
                }
            )
        return {**record, "associations": associations}

    if await records.find(ctx, ACL, acl_id) is None:
        vpc = await records.get(ctx, VPC, subnet["vpc_id"])
        await create_default_network_acl(ctx, vpc)
    await records.mutate(ctx, ACL, acl_id, add)


async def disassociate_subnet(ctx: RequestContext, subnet_id: str) -> None:
    """Drop every ACL association of ``subnet_id`` (the subnet is being deleted)."""

    def drop(record: Record) -> Record:
        kept = [a for a in record.get("associations") or () if a.get("subnet_id") != subnet_id]
        return {**record, "associations": kept}

    for record in await records.list_records(ctx, ACL):
        if any(a.get("subnet_id") == subnet_id for a in record.get("associations") or ()):
            await records.mutate(ctx, ACL, record["network_acl_id"], drop, missing_ok=True)


async def custom_network_acl_ids(ctx: RequestContext, vpc_id: str) -> list[str]:
    """Ids of ``vpc_id``'s non-default ACLs (``DeleteVpc`` refuses while any remain)."""
    return [
        r["network_acl_id"]
        for r in await records.list_records(ctx, ACL)
        if r.get("vpc_id") == vpc_id and not r.get("is_default")
    ]


async def delete_default_network_acl(ctx: RequestContext, vpc_id: str) -> None:
    """Remove ``vpc_id``'s default ACL (``DeleteVpc``, once the VPC has no subnets)."""
    for record in await records.list_records(ctx, ACL):
        if record.get("vpc_id") == vpc_id and record.get("is_default"):
            await records.delete(ctx, ACL, record["network_acl_id"])


@dependents.on("subnet", "created")
async def _subnet_created(ctx: RequestContext, subnet: Record) -> None:
    """A new subnet is associated with its VPC's default ACL."""
    await associate_with_default_acl(ctx, subnet)


@dependents.on("subnet", "deleted")
async def _subnet_deleted(ctx: RequestContext, subnet: Record) -> None:
    """A deleted subnet's association goes with it."""
    await disassociate_subnet(ctx, subnet["subnet_id"])


@dependents.on("vpc", "cidr-associated")
async def _vpc_cidr_associated(ctx: RequestContext, vpc: Record) -> None:
    """A VPC gaining an IPv6 block gains the ``::/0`` rules on its ACLs."""
    if ":" in vpc["cidr"]:
        await add_ipv6_default_rules(ctx, vpc["vpc_id"])


@dependents.on("vpc", "deleted")
async def _vpc_deleted(ctx: RequestContext, vpc: Record) -> None:
    """The default ACL goes with its VPC (custom ones blocked the delete)."""
    for record in await records.where(ctx, ACL, live_only=False, vpc_id=vpc["vpc_id"]):
        await records.delete(ctx, ACL, record["network_acl_id"])


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

    for record in await records.list_records(ctx, ACL):
        if record.get("vpc_id") == vpc_id:
            await records.mutate(ctx, ACL, record["network_acl_id"], add)


# --- CreateNetworkAcl / DeleteNetworkAcl / DescribeNetworkAcls -------------------------------------


@action("CreateNetworkAcl")
async def create_network_acl(ctx: RequestContext, params: Params) -> Result:
    """A custom ACL in the VPC: only the deny-all rules, no associations.

    ``ClientToken`` makes the call idempotent: the same token and parameters return the ACL it
    created; the same token with another ``VpcId`` (or other tags) is
    ``IdempotentParameterMismatch``.
    """
    tags = tags_from_specifications(params, "network-acl")
    vpc = await records.get(ctx, VPC, params["VpcId"])
    token = params.get("ClientToken")
    record = await idempotency.create_record(
        ctx,
        ACL,
        _new_record(ctx, new_id("network-acl"), vpc, is_default=False, tags=tags),
        token,
        {"VpcId": vpc["vpc_id"], "Tags": tags},
    )
    result: Record = {"NetworkAcl": network_acl_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


@action("DeleteNetworkAcl")
async def delete_network_acl(ctx: RequestContext, params: Params) -> Result:
    """Delete a custom ACL; the default one and ACLs still associated with subnets stay.

    ``DeleteNetworkAcl acl-default`` → ``InvalidParameterValue: cannot delete default network ACL
    acl-…``; with associations → ``DependencyViolation``.
    """
    acl_id = params["NetworkAclId"]

    def remove(record: Record) -> None:
        if record.get("is_default"):
            raise invalid_parameter_value(f"cannot delete default network ACL {acl_id}")
        if record.get("associations"):
            raise AwsError(
                "DependencyViolation",
                f"The networkAcl '{acl_id}' has dependencies and cannot be deleted.",
            )

    await records.mutate(ctx, ACL, acl_id, remove)
    return None


@action("DescribeNetworkAcls")
async def describe_network_acls(ctx: RequestContext, params: Params) -> Result:
    """ACLs by id, filters (every documented one) and page."""
    return await describe.describe(
        ctx,
        ACL,
        params,
        ids_param="NetworkAclIds",
        result_key="NetworkAcls",
        spec=NETWORK_ACL_FILTERS,
        to_api=network_acl_to_api,
    )


# --- entries ----------------------------------------------------------------------------------------


def _rule_number(params: Mapping[str, Any]) -> int:
    number = int(params["RuleNumber"])
    if not MIN_RULE <= number <= MAX_RULE:
        raise invalid_parameter_value(
            f"Value ({number}) for parameter ruleNumber is invalid. "
            f"Rulenumber must be in range {MIN_RULE}..{MAX_RULE}"
        )
    return number


def _protocol(text: str) -> str:
    """``tcp``/``6`` → ``"6"``; ``-1``/``all`` → ``"-1"``; numbers 0–255 as they are."""
    value = text.strip().lower()
    if value in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[value]
    try:
        number = int(value)
    except ValueError:
        number = -2
    if number == -1 or 0 <= number <= 255:
        return str(number)
    raise invalid_parameter_value(
        f"Invalid value '{text}' for protocol. Valid values are -1, 0-255 or a protocol name."
    )


def _cidr(params: Mapping[str, Any]) -> tuple[str, str]:
    """(record field, normalised CIDR) from exactly one of ``CidrBlock`` / ``Ipv6CidrBlock``."""
    v4, v6 = params.get("CidrBlock"), params.get("Ipv6CidrBlock")
    if v4 and v6:
        raise invalid_parameter_combination(
            "Only one of cidrBlock or ipv6CidrBlock may be specified"
        )
    if not v4 and not v6:
        raise missing_parameter("cidrBlock or ipv6CidrBlock")
    name, text, version = ("cidrBlock", v4, 4) if v4 else ("ipv6CidrBlock", v6, 6)
    try:
        network = ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        network = None
    if network is None or network.version != version or "/" not in str(text):
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {name} is invalid. This is not a valid CIDR block."
        )
    return ("cidr_block" if version == 4 else "ipv6_cidr_block"), str(network)


def _entry_from_params(params: Mapping[str, Any]) -> Record:
    """A validated entry record from Create/ReplaceNetworkAclEntry parameters."""
    number = _rule_number(params)
    protocol = _protocol(str(params["Protocol"]))
    field, cidr = _cidr(params)
    entry: Record = {
        "rule_number": number,
        "protocol": protocol,
        "rule_action": params["RuleAction"],
        "egress": bool(params["Egress"]),
        field: cidr,
    }
    if protocol in PORT_PROTOCOLS:
        ports = params.get("PortRange")
        if not ports or ports.get("From") is None or ports.get("To") is None:
            raise missing_parameter("portRange")
        low, high = int(ports["From"]), int(ports["To"])
        for name, value in (("from", low), ("to", high)):
            if not 0 <= value <= 65535:
                raise invalid_parameter_value(
                    f"Value ({value}) for parameter portRange.{name} is invalid. "
                    "Ports must be in range 0..65535"
                )
        if low > high:
            raise invalid_parameter_value(
                f"Invalid port range: from port {low} is greater than to port {high}"
            )
        entry["port_range"] = {"from": low, "to": high}
    elif protocol in ICMP_PROTOCOLS:
        icmp = params.get("IcmpTypeCode")
        if not icmp or icmp.get("Type") is None or icmp.get("Code") is None:
            raise missing_parameter("icmpTypeCode")
        entry["icmp_type_code"] = {"type": int(icmp["Type"]), "code": int(icmp["Code"])}
    return entry


def _direction(egress: bool) -> str:
    return "egress" if egress else "ingress"


def _entry_not_found(number: int, egress: bool) -> AwsError:
    return AwsError(
        "InvalidNetworkAclEntry.NotFound", f"no {_direction(egress)} entry with number {number}"
    )


def _same_rule(entry: Mapping[str, Any], number: int, egress: bool) -> bool:
    return int(entry.get("rule_number", 0)) == number and bool(entry.get("egress")) == egress


@action("CreateNetworkAclEntry")
async def create_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Add a rule; a rule with the same number in the same direction is refused."""
    entry = _entry_from_params(params)
    number, egress = entry["rule_number"], entry["egress"]

    def add(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        if any(_same_rule(e, number, egress) for e in entries):
            raise AwsError(
                "NetworkAclEntryAlreadyExists",
                f"The network acl entry identified by {number} already exists.",
            )
        return {**record, "entries": [*entries, entry]}

    await records.mutate(ctx, ACL, params["NetworkAclId"], add)
    return None


@action("ReplaceNetworkAclEntry")
async def replace_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Overwrite an existing rule (same number and direction)."""
    entry = _entry_from_params(params)
    number, egress = entry["rule_number"], entry["egress"]

    def replace(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        if not any(_same_rule(e, number, egress) for e in entries):
            raise _entry_not_found(number, egress)
        return {
            **record,
            "entries": [entry if _same_rule(e, number, egress) else e for e in entries],
        }

    await records.mutate(ctx, ACL, params["NetworkAclId"], replace)
    return None


@action("DeleteNetworkAclEntry")
async def delete_network_acl_entry(ctx: RequestContext, params: Params) -> Result:
    """Remove a rule (the default deny rules are out of the 1–32766 range, so they stay)."""
    number = _rule_number(params)
    egress = bool(params["Egress"])

    def remove(record: Record) -> Record:
        entries = list(record.get("entries") or [])
        kept = [e for e in entries if not _same_rule(e, number, egress)]
        if len(kept) == len(entries):
            raise _entry_not_found(number, egress)
        return {**record, "entries": kept}

    await records.mutate(ctx, ACL, params["NetworkAclId"], remove)
    return None


# --- associations -------------------------------------------------------------------------------


def _association_not_found(association_id: str) -> AwsError:
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


@action("ReplaceNetworkAclAssociation")
async def replace_network_acl_association(ctx: RequestContext, params: Params) -> Result:
    """Move the association's subnet to another ACL of the same VPC; returns a new association id.

    ``ReplaceNetworkAclAssociation AssociationId=aclassoc-1&NetworkAclId=acl-2`` →
    ``{NewAssociationId: aclassoc-…}``; the old id no longer exists.
    """
    association_id = params["AssociationId"]
    target_id = params["NetworkAclId"]
    source = next(
        (
            r
            for r in await records.list_records(ctx, ACL)
            if any(
                a.get("network_acl_association_id") == association_id
                for a in r.get("associations") or ()
            )
        ),
        None,
    )
    if source is None:
        raise _association_not_found(association_id)
    target = await records.get(ctx, ACL, target_id)
    subnet_id = next(
        a["subnet_id"]
        for a in source["associations"]
        if a["network_acl_association_id"] == association_id
    )
    if target["vpc_id"] != source["vpc_id"]:
        raise invalid_parameter_value(
            f"Network ACL {target_id} and subnet {subnet_id} belong to different VPCs"
        )
    new_association = {
        "network_acl_association_id": new_id("network-acl-association"),
        "subnet_id": subnet_id,
    }

    def take(record: Record) -> Record:
        associations = list(record.get("associations") or [])
        if not any(a.get("network_acl_association_id") == association_id for a in associations):
            raise _association_not_found(association_id)
        kept = [a for a in associations if a.get("network_acl_association_id") != association_id]
        if record["network_acl_id"] == target_id:
            kept.append(new_association)
        return {**record, "associations": kept}

    def give(record: Record) -> Record:
        return {**record, "associations": [*(record.get("associations") or []), new_association]}

    await records.mutate(ctx, ACL, source["network_acl_id"], take)
    if source["network_acl_id"] != target_id:
        try:
            await records.mutate(ctx, ACL, target_id, give)
        except BaseException:
            # The target vanished meanwhile: put the subnet back where it was.
            old = {"network_acl_association_id": association_id, "subnet_id": subnet_id}
            await records.mutate(
                ctx,
                ACL,
                source["network_acl_id"],
                lambda r: {**r, "associations": [*(r.get("associations") or []), old]},
            )
            raise
    return {"NewAssociationId": new_association["network_acl_association_id"]}
