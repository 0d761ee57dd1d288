"""Associating subnets and gateways with route tables (Associate, Disassociate, Replace)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.route_tables.constants import ASSOCIATED, IGW, RTB, SUBNET
from handlers.route_tables.tables import _mutate_if_present
from handlers.route_tables.targets import gateway_not_found
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- associations ----------------------------------------------------------------------------


def association_not_found(association_id: str) -> AwsError:
    """An association id the caller has no table with."""
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


def _already_associated(table_id: str) -> AwsError:
    return AwsError(
        "Resource.AlreadyAssociated",
        f"the specified association for route table {table_id} conflicts with an existing association",
    )


async def _table_with_association(
    ctx: RequestContext, association_id: str
) -> tuple[Record, Record]:
    """``(table, association)`` holding ``association_id``; ``InvalidAssociationID.NotFound``."""
    for table in await records.list_records(ctx, RTB):
        for association in table.get("associations", []):
            if association.get("association_id") == association_id:
                return table, association
    raise association_not_found(association_id)


async def _rivals(ctx: RequestContext, field: str, value: str, own_id: str | None) -> list[Record]:
    """Explicit associations of ``field=value`` other than ``own_id``, across the account."""
    return [
        a
        for table in await records.list_records(ctx, RTB)
        for a in table.get("associations", [])
        if a.get(field) == value and a.get("association_id") != own_id
    ]


async def _association_member(
    ctx: RequestContext, table: Record, params: Params
) -> tuple[str, str]:
    """``("subnet_id", id)`` or ``("gateway_id", id)`` for ``AssociateRouteTable``, checked."""
    subnet_id, gateway_id = params.get("SubnetId"), params.get("GatewayId")
    table_id = table["route_table_id"]
    if subnet_id and gateway_id:
        raise invalid_parameter_combination(
            "The parameter subnetId cannot be used with the parameter gatewayId"
        )
    if subnet_id:
        subnet = await records.get(ctx, SUBNET, subnet_id)
        if subnet.get("vpc_id") != table["vpc_id"]:
            raise invalid_parameter_value(
                f"Route table {table_id} and subnet {subnet_id} belong to different networks"
            )
        return "subnet_id", subnet_id
    if gateway_id:
        if gateway_id.startswith("vgw-"):
            return "gateway_id", gateway_id
        if not gateway_id.startswith("igw-"):
            raise gateway_not_found(gateway_id)
        igw = await records.find(ctx, IGW, gateway_id)
        if igw is None:
            raise gateway_not_found(gateway_id)
        if igw.get("vpc_id") != table["vpc_id"]:
            raise invalid_parameter_value(
                f"Route table {table_id} and gateway {gateway_id} belong to different networks"
            )
        return "gateway_id", gateway_id
    raise AwsError(
        "MissingParameter", "The request must contain the parameter subnetId or gatewayId"
    )


def _drop_association(association_id: str, *, main: bool = False) -> Callable[[Record], Record]:
    def drop(table: Record) -> Record:
        kept = [
            a for a in table.get("associations", []) if a.get("association_id") != association_id
        ]
        return {**table, "associations": kept, **({"is_main": False} if main else {})}

    return drop


@action("AssociateRouteTable")
async def associate_route_table(ctx: RequestContext, params: Params) -> Result:
    """Explicitly associate a subnet (or an edge gateway) with a table of its VPC."""
    table = await records.get(ctx, RTB, params["RouteTableId"])
    table_id = table["route_table_id"]
    field, value = await _association_member(ctx, table, params)
    for existing in table.get("associations", []):
        if existing.get(field) == value and not existing.get("main"):
            # The same association again (a client's retry of a call that did succeed): answer
            # with the existing association rather than Resource.AlreadyAssociated.
            return {
                "AssociationId": existing["association_id"],
                "AssociationState": {"State": existing.get("state", ASSOCIATED)},
            }
    if await _rivals(ctx, field, value, None):
        raise _already_associated(table_id)
    association: Record = {
        "association_id": new_id("route-table-association"),
        field: value,
        "main": False,
        "state": ASSOCIATED,
    }

    def add(current: Record) -> Record:
        return {**current, "associations": [*current.get("associations", []), association]}

    await records.mutate(ctx, RTB, table_id, add)
    if await _rivals(ctx, field, value, association["association_id"]):
        await _mutate_if_present(ctx, table_id, _drop_association(association["association_id"]))
        raise _already_associated(table_id)
    return {
        "AssociationId": association["association_id"],
        "AssociationState": {"State": ASSOCIATED},
    }


@action("DisassociateRouteTable")
async def disassociate_route_table(ctx: RequestContext, params: Params) -> Result:
    """Remove an explicit association (never the main one)."""
    association_id = params["AssociationId"]
    table, _ = await _table_with_association(ctx, association_id)

    def drop(current: Record) -> Record:
        found = [
            a for a in current.get("associations", []) if a.get("association_id") == association_id
        ]
        if not found:
            raise association_not_found(association_id)
        if found[0].get("main"):
            raise invalid_parameter_value(
                f"cannot disassociate the main route table association {association_id}"
            )
        return _drop_association(association_id)(current)

    if await records.mutate(ctx, RTB, table["route_table_id"], drop, missing_ok=True) is None:
        raise association_not_found(association_id)  # the table went meanwhile
    return None


@action("ReplaceRouteTableAssociation")
async def replace_route_table_association(ctx: RequestContext, params: Params) -> Result:
    """Move an association (main included) to another table of the VPC; returns a new id."""
    association_id = params["AssociationId"]
    old_table, old = await _table_with_association(ctx, association_id)
    new_table = await records.get(ctx, RTB, params["RouteTableId"])
    if new_table["vpc_id"] != old_table["vpc_id"]:
        raise invalid_parameter_value(
            f"Route table {new_table['route_table_id']} and association {association_id} "
            "belong to different networks"
        )
    main = bool(old.get("main"))
    association: Record = {
        "association_id": new_id("route-table-association"),
        **{k: old[k] for k in ("subnet_id", "gateway_id") if old.get(k)},
        "main": main,
        "state": ASSOCIATED,
    }
    new_id_ = association["association_id"]

    def check_present(current: Record) -> None:
        if not any(
            a.get("association_id") == association_id for a in current.get("associations", [])
        ):
            raise association_not_found(association_id)

    if new_table["route_table_id"] == old_table["route_table_id"]:

        def renew(current: Record) -> Record:
            check_present(current)
            kept = [
                association if a.get("association_id") == association_id else a
                for a in current.get("associations", [])
            ]
            return {**current, "associations": kept}

        await records.mutate(ctx, RTB, old_table["route_table_id"], renew)
        return {"NewAssociationId": new_id_, "AssociationState": {"State": ASSOCIATED}}

    def add(current: Record) -> Record:
        return {
            **current,
            "associations": [*current.get("associations", []), association],
            **({"is_main": True} if main else {}),
        }

    def move_out(current: Record) -> Record:
        check_present(current)
        return _drop_association(association_id, main=main)(current)

    await records.mutate(ctx, RTB, new_table["route_table_id"], add)
    try:
        await records.mutate(ctx, RTB, old_table["route_table_id"], move_out)
    except AwsError as error:
        await _undo_add(ctx, new_table["route_table_id"], new_id_, main)
        if error.code == RTB.not_found_code:
            raise association_not_found(association_id) from None
        raise
    return {"NewAssociationId": new_id_, "AssociationState": {"State": ASSOCIATED}}


async def _undo_add(ctx: RequestContext, table_id: str, association_id: str, main: bool) -> None:
    await _mutate_if_present(ctx, table_id, _drop_association(association_id, main=main))
