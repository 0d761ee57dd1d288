"""Start-up repairs of the VPC family (:mod:`hive_gateway.core.startup`): what a gateway killed
between two writes of a VPC request leaves, made whole again.

Declared in the order they run:

1. **interrupted DeleteVpc** — the VPC's index is marked ``deleting`` but its record is still
   there (cut after the mark): the delete is finished when nothing blocks it (the client asked
   for it), else the mark is rolled back.
2. **vanished VPC** — an index, main route table, default security group or default ACL whose VPC
   record is gone (DeleteVpc cut after the record's delete, or CreateVpc cut after the index):
   the ``("vpc", "deleted")`` reactions run and the index goes.
3. **incomplete VPC** — a VPC (made by a gateway: it has an index) without its main route table,
   default security group or default network ACL (CreateVpc cut after the record): the missing
   ones are created, as AWS creates them with every VPC.
4. **claims with no owner** — a subnet CIDR, security-group name or internet-gateway claim in a
   VPC's index whose resource does not exist (a create cut between claim and record): released,
   so the CIDR or name can be used again.
5. **unassociated subnet** — a subnet no network ACL is associated with (CreateSubnet cut after
   the record): associated with its VPC's default ACL, as every subnet is.
6. **unfinished default VPC** — the account's default-VPC marker still says ``creating`` (its
   creation was cut on the account's first request): the default VPC is finished (created if
   missing; a default subnet per zone, an attached internet gateway, the ``0.0.0.0/0`` route)
   and the marker says ``created``, so the account never gets a second one.

A VPC Hive made (no index) is left as Hive made it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from handlers import internet_gateways, network_acls, route_tables, security_groups, subnets
from handlers.network_acls.records import default_acl_id
from handlers.security_groups.constants import DEFAULT_GROUP_NAME
from handlers.vpcs.constants import DEFAULT_VPC_CIDR, DEFAULT_VPC_MARKER
from handlers.vpcs.lifecycle import create_vpc_record
from hive_gateway.core import dependents, records, vpc_index
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS, Record, ResourceKind
from hive_gateway.core.startup import on_startup
from hive_gateway.core.zones import zones
from hive_gateway.hive import events

VPC = KINDS["vpc"]
RTB = KINDS["route-table"]
SG = KINDS["security-group"]
ACL = KINDS["network-acl"]
SUBNET = KINDS["subnet"]
IGW = KINDS["internet-gateway"]


_MARK = b'"deleting"'
"""How a ``deleting`` mark's key appears in a stored record or index document."""

# The finds below run over every record of an account at each start; they read keys and the
# replica's indexes (nothing decoded) or decode only documents holding ``_MARK``, so a start
# on 100k VPCs does not decode half a million records while requests wait.


async def _indexes(ctx: RequestContext, *, marked: bool = False) -> dict[str, Record]:
    """The caller's VPC index documents by VPC id (``marked``: only those marked ``deleting``)."""
    return {
        name: doc
        for name, doc, _ in await records.doc_entries(
            ctx, records.INDEX, containing=_MARK if marked else None
        )
        if name.startswith(VPC.id_prefix + "-") and (doc.get("deleting") or not marked)
    }


async def _indexed(ctx: RequestContext) -> set[str]:
    """The VPC ids that have an index document (none of them read)."""
    prefix = VPC.id_prefix + "-"
    return {n for n in await records.doc_names(ctx, records.INDEX) if n.startswith(prefix)}


async def _vpcs(ctx: RequestContext) -> set[str]:
    return set(await records.ids(ctx, VPC))


async def _vpcs_having(ctx: RequestContext, kind: ResourceKind, field: str, value: Any) -> set[str]:
    """The VPCs with a record of ``kind`` whose ``field`` is ``value`` (from indexes)."""
    vpc_of = await records.field_map(ctx, kind, "vpc_id")
    having = await records.field_map(ctx, kind, field)
    return {vpc_of[i][0] for i, values in having.items() if value in values and i in vpc_of}


# --- 1. interrupted DeleteVpc ---------------------------------------------------------------------


async def _marked(ctx: RequestContext) -> list[str]:
    vpcs = await _vpcs(ctx)
    return sorted(v for v in await _indexes(ctx, marked=True) if v in vpcs)


@on_startup("vpc-interrupted-delete", _marked)
async def _finish_delete(ctx: RequestContext, vpc_id: str) -> None:
    """Finish the DeleteVpc a crash cut (or roll it back when something blocks it now)."""
    await vpc_index.abort_delete(ctx, vpc_id)
    try:
        await dependents.delete_guarded(ctx, VPC, vpc_id)
    except AwsError as error:
        if error.code != "DependencyViolation":
            raise
        return
    await events.publish(ctx, "vpc.delete", {"vpc_id": vpc_id})


# --- 2. vanished VPC --------------------------------------------------------------------------------


async def _vanished(ctx: RequestContext) -> list[str]:
    vpcs = await _vpcs(ctx)
    referenced = await _indexed(ctx)
    for kind in (RTB, SG, ACL):
        for values in (await records.field_map(ctx, kind, "vpc_id")).values():
            referenced.update(str(v) for v in values if v)
    return sorted(v for v in referenced if v not in vpcs)


@on_startup("vpc-vanished", _vanished)
async def _finish_vanished(ctx: RequestContext, vpc_id: str) -> None:
    """What goes with a deleted VPC goes now; then its index."""
    await dependents.fire(ctx, "vpc", "deleted", {"vpc_id": vpc_id})
    await vpc_index.drop(ctx, vpc_id)


# --- 3. incomplete VPC ------------------------------------------------------------------------------


async def _parts(ctx: RequestContext, vpc_id: str) -> dict[str, bool]:
    tables = await records.where(ctx, RTB, vpc_id=vpc_id)
    groups = await records.where(ctx, SG, vpc_id=vpc_id)
    return {
        "main route table": any(t.get("is_main") for t in tables),
        "default security group": any(g.get("group_name") == DEFAULT_GROUP_NAME for g in groups),
        "default network ACL": await records.find(ctx, ACL, default_acl_id(vpc_id)) is not None,
    }


async def _incomplete(ctx: RequestContext) -> list[str]:
    """The indexed VPCs (not being deleted) that lack a part :func:`_parts` checks."""
    deleting = set(await _indexes(ctx, marked=True))
    candidates = ((await _vpcs(ctx)) & (await _indexed(ctx))) - deleting
    mains = await _vpcs_having(ctx, RTB, "is_main", True)
    defaults = await _vpcs_having(ctx, SG, "group_name", DEFAULT_GROUP_NAME)
    acls = set(await records.ids(ctx, ACL))
    return sorted(
        v for v in candidates if not (v in mains and v in defaults and default_acl_id(v) in acls)
    )


@on_startup("vpc-incomplete", _incomplete)
async def _complete(ctx: RequestContext, vpc_id: str) -> None:
    """Create the main route table, default security group or default ACL the VPC lacks."""
    vpc: dict[str, Any] = await records.get(ctx, VPC, vpc_id)
    parts = await _parts(ctx, vpc_id)
    if not parts["main route table"]:
        await route_tables.create_main_route_table(ctx, vpc)
    if not parts["default security group"]:
        # a claim taken before the crash names a group that was never written
        await vpc_index.release_security_group_name(ctx, vpc_id, DEFAULT_GROUP_NAME)
        await security_groups.create_default_security_group(ctx, vpc)
    if not parts["default network ACL"]:
        await network_acls.create_default_network_acl(ctx, vpc)


# --- 4. claims with no owner ------------------------------------------------------------------------


async def _orphan_claims(ctx: RequestContext) -> list[str]:
    subnets = set(await records.ids(ctx, SUBNET))
    groups = set(await records.ids(ctx, SG))
    attached = await records.field_map(ctx, IGW, "vpc_id")
    igws = set(await records.ids(ctx, IGW))
    found: list[str] = []
    for vpc_id, doc in (await _indexes(ctx)).items():
        if doc.get("deleting"):
            continue
        for claim in doc.get("subnets") or {}:
            if claim.split(":", 1)[0] not in subnets:
                found.append(f"{vpc_id}|subnet|{claim}")
        for name, group_id in (doc.get("security_groups") or {}).items():
            if group_id not in groups:
                found.append(f"{vpc_id}|group-name|{name}")
        igw = doc.get("internet_gateway")
        if igw and (igw not in igws or attached.get(igw) != [vpc_id]):
            found.append(f"{vpc_id}|internet-gateway|{igw}")
    return found


@on_startup("vpc-orphan-claims", _orphan_claims)
async def _release(ctx: RequestContext, key: str) -> None:
    """Free a CIDR, name or internet-gateway claim whose resource was never written."""
    vpc_id, what, name = key.split("|", 2)
    if what == "subnet":  # the claim key: the subnet id, or ``<subnet id>:ipv6``
        await vpc_index.release_subnet(ctx, vpc_id, name)
    elif what == "group-name":
        await vpc_index.release_security_group_name(ctx, vpc_id, name)
    else:
        await vpc_index.release_internet_gateway(ctx, vpc_id, name)


# --- 5. unassociated subnet -------------------------------------------------------------------------


async def _unassociated(ctx: RequestContext) -> list[str]:
    associated = {
        str(subnet_id)
        for values in (await records.field_map(ctx, ACL, "associations.subnet_id")).values()
        for subnet_id in values
    }
    marked = {
        str(s["subnet_id"])
        for s in await records.list_records(ctx, SUBNET, containing=_MARK)
        if s.get(dependents.DELETING)
    }
    indexed = await _indexed(ctx)
    return sorted(
        subnet_id
        for subnet_id, vpcs in (await records.field_map(ctx, SUBNET, "vpc_id")).items()
        if subnet_id not in associated and subnet_id not in marked and vpcs[0] in indexed
    )


@on_startup("subnet-unassociated", _unassociated)
async def _associate(ctx: RequestContext, subnet_id: str) -> None:
    """Associate the subnet with its VPC's default network ACL."""
    subnet = await records.find(ctx, SUBNET, subnet_id)
    if subnet is not None:
        await network_acls.associate_with_default_acl(ctx, subnet)


# --- 6. unfinished default VPC ------------------------------------------------------------------


async def _default_unfinished(ctx: RequestContext) -> list[str]:
    found = await records.doc_get(ctx, records.INDEX, DEFAULT_VPC_MARKER)
    return [DEFAULT_VPC_MARKER] if found is not None and found[0].get("state") == "creating" else []


@on_startup("default-vpc-unfinished", _default_unfinished)
async def _finish_default_vpc(ctx: RequestContext, _: str) -> None:
    """Finish what ``ensure_default_vpc`` had started, each step only if still missing."""
    network = ipaddress.IPv4Network(DEFAULT_VPC_CIDR)
    defaults = [v for v in await records.list_records(ctx, VPC) if v.get("is_default")]
    vpc: dict[str, Any] = (
        defaults[0] if defaults else await create_vpc_record(ctx, network, tags={}, is_default=True)
    )
    vpc_id = str(vpc["vpc_id"])
    if not all((await _parts(ctx, vpc_id)).values()):
        await _complete(ctx, vpc_id)
    covered = {
        s.get("availability_zone")
        for s in await records.where(ctx, SUBNET, vpc_id=vpc_id)
        if s.get("is_default")
    }
    for zone, block in zip(zones(ctx), network.subnets(new_prefix=20), strict=False):
        if zone["ZoneName"] not in covered:
            await subnets.create_subnet_record(
                ctx, vpc, str(block), zone["ZoneName"], default_for_az=True,
                map_public_ip_on_launch=True,
            )  # fmt: skip
    attached = await records.where(ctx, IGW, vpc_id=vpc_id)
    if attached:
        igw_id = str(attached[0]["internet_gateway_id"])
    else:
        igw_id = str((await internet_gateways.create_internet_gateway_record(ctx, {}))[
            "internet_gateway_id"
        ])  # fmt: skip
        await internet_gateways.attach_internet_gateway(ctx, igw_id, vpc_id)
    main = next(t for t in await records.where(ctx, RTB, vpc_id=vpc_id) if t.get("is_main"))
    if not any(r.get("destination_cidr_block") == "0.0.0.0/0" for r in main.get("routes") or ()):
        await route_tables.add_route(ctx, main["route_table_id"], "0.0.0.0/0", gateway_id=igw_id)
    await records.doc_put(
        ctx, records.INDEX, DEFAULT_VPC_MARKER, {"state": "created", "vpc_id": vpc_id}
    )
