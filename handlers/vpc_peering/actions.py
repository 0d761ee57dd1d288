"""The peering actions: Create, Accept, Reject, Delete, Describe, ModifyOptions.

AWS behaviour reproduced:

* a request in one account starts ``pending-acceptance`` (after ``initiating-request``); the
  accepter (``PeerOwnerId``, default the caller) accepts or rejects it; Terraform's
  ``auto_accept`` accepts it in the same account;
* VPCs with overlapping IPv4 (or IPv6) CIDR blocks cannot peer: the request is created and then
  ``failed`` with ``Status.Message`` naming the overlap (visible to the requester only);
* only the accepter accepts or rejects (``OperationNotPermitted``); either owner deletes an
  ``active`` connection, only the requester a ``pending-acceptance`` one; a ``failed``,
  ``rejected`` or ``deleted`` one cannot be deleted::

      DeleteVpcPeeringConnection VpcPeeringConnectionId=pcx-1   (failed)
      → InvalidStateTransition: Invalid state transition for pcx-1, attempted to transition from failed to deleting

* options are changed only on an ``active`` connection, each side by its own owner;
* routes to a connection that goes (deleted, rejected) turn ``blackhole`` in both accounts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, Final

from handlers.vpc_peering import lifecycle, store
from handlers.vpc_peering.store import PCX, Connection
from handlers.vpc_peering.view import OPTION_MEMBERS, PEERING_FILTERS, connection_to_api
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

VPC: Final = KINDS["vpc"]
ACCOUNT_ID: Final = re.compile(r"^[0-9]{12}$")


def not_permitted(message: str) -> AwsError:
    """``OperationNotPermitted`` with AWS's message."""
    return AwsError("OperationNotPermitted", message)


def bad_transition(connection_id: str, current: str, target: str) -> AwsError:
    """A change the connection's state does not allow."""
    return AwsError(
        "InvalidStateTransition",
        f"Invalid state transition for {connection_id}, attempted to transition from "
        f"{current} to {target}",
    )


def vpc_cidrs(vpc: Record) -> tuple[list[str], list[str]]:
    """The VPC's associated IPv4 blocks (primary first) and IPv6 blocks."""
    ipv4 = [
        str(a["cidr_block"])
        for a in vpc.get("cidr_block_associations") or []
        if a.get("state", "associated") == "associated"
    ] or [str(vpc["cidr_block"])]
    ipv6 = [
        str(a["ipv6_cidr_block"])
        for a in vpc.get("ipv6_cidr_block_associations") or []
        if a.get("state", "associated") == "associated"
    ]
    return ipv4, ipv6


def overlap(one: list[str], other: list[str]) -> str | None:
    """The first block of ``one`` overlapping a block of ``other``."""
    for a in one:
        for b in other:
            if ipaddress.ip_network(a, strict=False).overlaps(
                ipaddress.ip_network(b, strict=False)
            ):
                return a
    return None


def side(vpc: Record, owner_id: str, region: str, options: Record | None = None) -> Record:
    """One side of a connection, from its VPC record."""
    ipv4, ipv6 = vpc_cidrs(vpc)
    return {
        "owner_id": owner_id,
        "vpc_id": vpc["vpc_id"],
        "region": region,
        "cidr_blocks": ipv4,
        "ipv6_cidr_blocks": ipv6,
        "options": _options(options),
    }


def _options(request: Record | None) -> dict[str, bool]:
    return {m: bool(request[m]) for m in OPTION_MEMBERS if request and m in request}


async def _peer_vpc(ctx: RequestContext, owner_id: str, vpc_id: str) -> Record | None:
    VPC.check_id(vpc_id)
    return await records.find(store.as_account(ctx, owner_id), VPC, vpc_id)


@action("CreateVpcPeeringConnection")
async def create_vpc_peering_connection(ctx: RequestContext, params: Params) -> Result:
    """Request a connection from the caller's ``VpcId`` to ``PeerVpcId`` (of ``PeerOwnerId``)."""
    peer_owner = str(params.get("PeerOwnerId") or ctx.account_id)
    if not ACCOUNT_ID.match(peer_owner):
        raise invalid_parameter_value(f"Invalid value '{peer_owner}' for peerOwnerId")
    peer_vpc_id = params.get("PeerVpcId") or ""
    if not peer_vpc_id:
        raise AwsError("MissingParameter", "The request must contain the parameter peerVpcId")
    region = str(params.get("PeerRegion") or ctx.region)
    tags = tags_from_specifications(params, "vpc-peering-connection")
    peer = await _peer_vpc(ctx, peer_owner, peer_vpc_id)
    same_account = peer_owner == ctx.account_id
    if peer is None and same_account:
        raise VPC.not_found(peer_vpc_id)
    vpc = await records.get(ctx, VPC, params["VpcId"])
    now = clock.now()
    connection_id = new_id("vpc-peering-connection")
    record: Record = {
        "vpc_peering_connection_id": connection_id,
        "requester": side(
            vpc, ctx.account_id, ctx.region, params.get("RequesterPeeringConnectionOptions")
        ),
        "accepter": side(peer, peer_owner, region)
        if peer is not None
        else {"owner_id": peer_owner, "vpc_id": peer_vpc_id, "region": region},
        "requester_vpc_id": vpc["vpc_id"],
        "accepter_vpc_id": peer_vpc_id,
        "accepter_owner_id": peer_owner,
        "expiration_time": clock.stamp(now + lifecycle.EXPIRY),
        "tags": tags,
        "created_at": clock.stamp(now),
        "account_id": ctx.account_id,
        "state": lifecycle.PENDING,
    }
    failure = _failure(record, peer)
    if failure is not None:
        record = {**record, "message": failure}
        record = lifecycle.moving(ctx, record, lifecycle.INITIATING, lifecycle.FAILED)
        record.pop("expiration_time", None)
    else:
        record = lifecycle.moving(ctx, record, lifecycle.INITIATING, lifecycle.PENDING)
    await records.create(ctx, PCX, record)
    if failure is None and not same_account:
        await records.create(
            store.as_account(ctx, peer_owner), PCX, store.link_of(record, peer_owner)
        )
    await _recheck_vpcs(ctx, record)
    connection = Connection(ctx, record, record)
    return {"VpcPeeringConnection": connection_to_api(ctx, connection)}


async def _recheck_vpcs(ctx: RequestContext, record: Record) -> None:
    """Write-then-verify: a request written while ``DeleteVpc`` removed one of its VPCs (whose
    cascade may have run before the write) removes itself and answers that VPC's NotFound.

    A failed request holds on to nothing and is left as it is."""
    if record["state"] == lifecycle.FAILED:
        return
    accepter = store.as_account(ctx, str(record["accepter"]["owner_id"]))
    for owner, vpc_id in ((ctx, record["requester_vpc_id"]), (accepter, record["accepter_vpc_id"])):
        vpc = await records.find(owner, VPC, str(vpc_id))
        if vpc is not None and not await dependents.is_deleting(owner, VPC, vpc):
            continue
        connection_id = str(record["vpc_peering_connection_id"])
        await records.delete(ctx, PCX, connection_id)
        if accepter.account_id != ctx.account_id:
            await records.delete(accepter, PCX, connection_id)
        raise VPC.not_found(str(vpc_id))


def _failure(record: Record, peer: Record | None) -> str | None:
    """Why the request fails: the peer VPC is unknown, or the blocks overlap."""
    accepter = record["accepter"]
    if peer is None:
        return f"The vpc ID '{accepter['vpc_id']}' does not exist"
    requester = record["requester"]
    clash = overlap(requester["cidr_blocks"], accepter["cidr_blocks"])
    if clash is not None or requester["vpc_id"] == accepter["vpc_id"]:
        return "Overlapping IPv4 CIDR blocks"
    if overlap(requester.get("ipv6_cidr_blocks") or [], accepter.get("ipv6_cidr_blocks") or []):
        return "Overlapping IPv6 CIDR blocks"
    return None


async def change(
    connection: Connection,
    step: Callable[[Record, str], Record],
) -> Record:
    """Compare-and-swap ``step(record, shown state)`` into the connection, then mirror it."""

    def apply(current: Record) -> Record:
        return step(current, lifecycle.shown(current, clock.now()))

    changed = await records.mutate(connection.owner, PCX, connection.connection_id, apply)
    assert changed is not None
    await store.mirror(connection, changed)
    return changed


async def fire_gone(connection: Connection, record: Record) -> None:
    """Routes to a connection that went turn ``blackhole`` in both accounts."""
    for account_ctx in store.contexts(connection):
        await dependents.fire(account_ctx, PCX.name, "deleted", record)


@action("AcceptVpcPeeringConnection")
async def accept_vpc_peering_connection(ctx: RequestContext, params: Params) -> Result:
    """The accepter accepts a ``pending-acceptance`` request: ``provisioning`` → ``active``."""
    connection = await store.get(ctx, params["VpcPeeringConnectionId"])
    if connection.accepter_id != ctx.account_id:
        raise not_permitted(
            f"User {ctx.account_id} cannot accept peering {connection.connection_id}"
        )
    accepter_ctx = store.as_account(ctx, connection.accepter_id)
    peer = await records.find(accepter_ctx, VPC, str(connection.record["accepter"]["vpc_id"]))

    def accept(current: Record, state: str) -> Record:
        if state != lifecycle.PENDING:
            raise bad_transition(connection.connection_id, state, lifecycle.ACTIVE)
        updated = {**current}
        updated.pop("expiration_time", None)
        if peer is not None:  # the accepter side's blocks as they are now
            fresh = side(peer, connection.accepter_id, str(current["accepter"].get("region")))
            fresh["options"] = current["accepter"].get("options") or {}
            updated["accepter"] = fresh
        return lifecycle.moving(accepter_ctx, updated, lifecycle.PROVISIONING, lifecycle.ACTIVE)

    record = await change(connection, accept)
    local = connection.local if connection.local.get("link") else record
    return {
        "VpcPeeringConnection": connection_to_api(ctx, Connection(connection.owner, record, local))
    }


@action("RejectVpcPeeringConnection")
async def reject_vpc_peering_connection(ctx: RequestContext, params: Params) -> Result:
    """The accepter turns a ``pending-acceptance`` request down: ``rejected``."""
    connection = await store.get(ctx, params["VpcPeeringConnectionId"])
    if connection.accepter_id != ctx.account_id:
        raise not_permitted(
            f"User {ctx.account_id} cannot reject peering {connection.connection_id}"
        )

    def reject(current: Record, state: str) -> Record:
        if state != lifecycle.PENDING:
            raise bad_transition(connection.connection_id, state, lifecycle.REJECTED)
        return lifecycle.settled(ctx, current, lifecycle.REJECTED)

    record = await change(connection, reject)
    await fire_gone(connection, record)
    return {"Return": True}


async def delete_connection(ctx: RequestContext, connection: Connection) -> Record:
    """``deleting`` → ``deleted``; routes to it blackhole (permissions checked by the caller)."""

    def delete(current: Record, state: str) -> Record:
        if state not in (lifecycle.ACTIVE, lifecycle.PENDING, lifecycle.PROVISIONING):
            raise bad_transition(connection.connection_id, state, lifecycle.DELETING)
        updated = {**current, "deleted_by": ctx.account_id}
        updated.pop("expiration_time", None)
        return lifecycle.moving(ctx, updated, lifecycle.DELETING, lifecycle.DELETED)

    record = await change(connection, delete)
    await fire_gone(connection, record)
    return record


@action("DeleteVpcPeeringConnection")
async def delete_vpc_peering_connection(ctx: RequestContext, params: Params) -> Result:
    """Either owner deletes an active connection; the requester a pending request."""
    connection = await store.get(ctx, params["VpcPeeringConnectionId"])
    state = lifecycle.shown(connection.record, clock.now())
    if state == lifecycle.PENDING and ctx.account_id != connection.requester_id:
        raise not_permitted(
            f"User {ctx.account_id} cannot delete peering {connection.connection_id} "
            "in state pending-acceptance; reject it instead"
        )
    await delete_connection(ctx, connection)
    return {"Return": True}


@action("DescribeVpcPeeringConnections")
async def describe_vpc_peering_connections(ctx: RequestContext, params: Params) -> Result:
    """The connections the caller requested or is the accepter of: ids, filters, pages."""
    wanted = [str(i) for i in params.get("VpcPeeringConnectionIds") or ()]
    stored = await describe.stored_records(
        ctx, PCX, params, wanted, PEERING_FILTERS, live_only=False
    )
    items = [connection_to_api(ctx, c) for c in await store.visible(ctx, stored)]
    return describe.describe_items(
        items,
        params,
        kind=PCX,
        id_member="VpcPeeringConnectionId",
        ids_param="VpcPeeringConnectionIds",
        result_key="VpcPeeringConnections",
        spec=PEERING_FILTERS,
    )


@action("ModifyVpcPeeringConnectionOptions")
async def modify_vpc_peering_connection_options(ctx: RequestContext, params: Params) -> Result:
    """Set a side's options (DNS resolution…) on an active connection, by that side's owner."""
    connection = await store.get(ctx, params["VpcPeeringConnectionId"])
    wanted: dict[str, Record] = {}
    for member, side_name, owner in (
        ("RequesterPeeringConnectionOptions", "requester", connection.requester_id),
        ("AccepterPeeringConnectionOptions", "accepter", connection.accepter_id),
    ):
        request = params.get(member)
        if request is None:
            continue
        if owner != ctx.account_id:
            raise not_permitted(
                f"User {ctx.account_id} cannot modify {side_name} options of peering "
                f"{connection.connection_id}"
            )
        wanted[side_name] = _options(request)
    if not wanted:
        raise AwsError(
            "MissingParameter",
            "The request must contain the parameter requesterPeeringConnectionOptions or "
            "accepterPeeringConnectionOptions",
        )

    def modify(current: Record, state: str) -> Record:
        if state not in (lifecycle.ACTIVE, lifecycle.PROVISIONING):
            raise not_permitted(
                f"Peering {connection.connection_id} is not active. "
                "Peering options can be added only to active peerings."
            )
        updated: dict[str, Any] = {**current}
        for side_name, options in wanted.items():
            merged = {**(current[side_name].get("options") or {}), **options}
            updated[side_name] = {**current[side_name], "options": merged}
        return updated

    record = await change(connection, modify)
    result: Record = {}
    if "requester" in wanted:
        result["RequesterPeeringConnectionOptions"] = _api_options(record["requester"])
    if "accepter" in wanted:
        result["AccepterPeeringConnectionOptions"] = _api_options(record["accepter"])
    return result


def _api_options(stored_side: Record) -> Record:
    options = stored_side.get("options") or {}
    return {m: bool(options.get(m, False)) for m in OPTION_MEMBERS}
