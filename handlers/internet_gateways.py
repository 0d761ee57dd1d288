"""Internet gateways: create, delete, describe, attach, detach.

AWS behaviour reproduced (the details Terraform depends on):

* an attached gateway reports its attachment as ``State=available`` — not ``attached``, which
  makes ``aws_internet_gateway`` fail with "unexpected state"; a detached one has no attachment
  entry at all::

      <attachmentSet><item><vpcId>vpc-1</vpcId><state>available</state></item></attachmentSet>

* a VPC has at most one internet gateway and a gateway at most one VPC
  (``Resource.AlreadyAssociated``); the one-per-VPC rule is a compare-and-swap claim on the
  VPC's index (:mod:`hive_gateway.core.vpc_index`), so racing attaches cannot both win;
* detaching from a VPC it is not attached to is ``Gateway.NotAttached``; routes to a detached
  gateway become ``blackhole`` (and ``active`` again on re-attach), as on AWS;
* deleting an attached gateway is ``DependencyViolation``.

Records are Hive's: ``{internet_gateway_id, vpc_id ("" when detached), state: "available",
tags, created_at}``; attach/detach publish ``vpc.igw-attach``/``vpc.igw-detach`` for ``vpcd``.
"""

from __future__ import annotations

from typing import Any, Final

from hive_gateway.hive import events
from hive_gateway.core import vpc_index
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, dependency_violation
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

IGW: Final = KINDS["internet-gateway"]
VPC: Final = KINDS["vpc"]
AVAILABLE: Final = "available"

# An attached gateway blocks DeleteVpc; AttachInternetGateway re-checks the VPC after writing.
# Its routes follow attach, detach and delete (declared in route_tables).
dependents.blocks("vpc", by="internet-gateway", field="vpc_id")


def internet_gateway_to_api(ctx: RequestContext, record: Record) -> Record:
    """An IGW record as an ``InternetGateway``."""
    vpc_id = record.get("vpc_id") or ""
    return {
        "Attachments": [{"State": AVAILABLE, "VpcId": vpc_id}] if vpc_id else [],
        "InternetGatewayId": record["internet_gateway_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
        "Tags": api_tags(record_tags(record)),
    }


INTERNET_GATEWAY_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "attachment.state": lambda g: [a["State"] for a in g["Attachments"]],
        "attachment.vpc-id": lambda g: [a["VpcId"] for a in g["Attachments"]],
        "internet-gateway-id": lambda g: g["InternetGatewayId"],
        "owner-id": lambda g: g["OwnerId"],
    },
    tags=lambda g: {t["Key"]: t["Value"] for t in g.get("Tags", [])},
    indexes={"attachment.vpc-id": "vpc_id"},
)


def already_attached(igw_id: str, vpc_id: str) -> AwsError:
    """Attaching a gateway that already has a VPC."""
    return AwsError(
        "Resource.AlreadyAssociated", f"resource {igw_id} is already attached to network {vpc_id}"
    )


def not_attached(igw_id: str, vpc_id: str) -> AwsError:
    """Detaching from a VPC the gateway is not attached to."""
    return AwsError("Gateway.NotAttached", f"resource {igw_id} is not attached to network {vpc_id}")


# --- exports (the default VPC uses these too) ------------------------------------------------


async def create_internet_gateway_record(
    ctx: RequestContext, tags: dict[str, str]
) -> dict[str, Any]:
    """Store a new, detached internet gateway; returns its record."""
    record: Record = {
        "internet_gateway_id": new_id("internet-gateway"),
        "vpc_id": "",
        "state": AVAILABLE,
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    return await records.create(ctx, IGW, record)


async def attach_internet_gateway(ctx: RequestContext, igw_id: str, vpc_id: str) -> None:
    """Attach ``igw_id`` to ``vpc_id``: claim the VPC's one IGW slot, then record the attachment.

    If recording fails (the gateway went elsewhere or away meanwhile) the claim is released
    unless the gateway is in fact attached to this VPC (a concurrent identical request won).
    """
    igw = await records.get(ctx, IGW, igw_id)
    if igw.get("vpc_id"):
        raise already_attached(igw_id, igw["vpc_id"])
    await records.get(ctx, VPC, vpc_id)
    await vpc_index.claim_internet_gateway(ctx, vpc_id, igw_id)

    def attach(current: Record) -> Record:
        if current.get(dependents.DELETING):
            raise IGW.not_found(igw_id)
        if current.get("vpc_id"):
            raise already_attached(igw_id, current["vpc_id"])
        return {**current, "vpc_id": vpc_id, "state": AVAILABLE}

    try:
        attached = await records.mutate(ctx, IGW, igw_id, attach)
    except AwsError:
        now = await records.find(ctx, IGW, igw_id)
        if now is None or now.get("vpc_id") != vpc_id:
            await vpc_index.release_internet_gateway(ctx, vpc_id, igw_id)
        raise
    assert attached is not None

    async def undo() -> None:
        def detach(current: Record) -> Record:
            return {**current, "vpc_id": ""} if current.get("vpc_id") == vpc_id else current

        await records.mutate(ctx, IGW, igw_id, detach, missing_ok=True)
        await vpc_index.release_internet_gateway(ctx, vpc_id, igw_id)

    await dependents.check_parents(ctx, IGW, attached, undo)  # DeleteVpc raced us
    await dependents.fire(ctx, "internet-gateway", "attached", attached)
    await events.publish(ctx, "vpc.igw-attach", {"internet_gateway_id": igw_id, "vpc_id": vpc_id})


async def detach_internet_gateway(ctx: RequestContext, igw_id: str, vpc_id: str) -> None:
    """Detach ``igw_id`` from ``vpc_id``; its routes there become ``blackhole``.

    As on AWS, routes do not block the detach but public addresses do: "The VPC must not
    contain any running instances with Elastic IP addresses or public IPv4 addresses"
    (``DependencyViolation``; the Terraform provider retries it while instances terminate).
    """
    igw = await records.get(ctx, IGW, igw_id)
    attached = igw.get("vpc_id")
    VPC.check_id(vpc_id)  # InvalidVpcID.Malformed, as AttachInternetGateway answers
    # A detached gateway's ``vpc_id`` is "": only a real attachment to ``vpc_id`` matches.
    if not attached or attached != vpc_id:
        raise not_attached(igw_id, vpc_id)
    await dependents.check(
        ctx,
        "internet-gateway",
        {**igw, "vpc_id": vpc_id},
        event="detach",
        violation=lambda _igw_id: AwsError(
            "DependencyViolation",
            f"Network {vpc_id} has some mapped public address(es). "
            "Please unmap those public address(es) before detaching the gateway.",
        ),
    )

    def detach(current: Record) -> Record:
        if not current.get("vpc_id") or current.get("vpc_id") != vpc_id:
            raise not_attached(igw_id, vpc_id)
        return {**current, "vpc_id": ""}

    await records.mutate(ctx, IGW, igw_id, detach)
    await vpc_index.release_internet_gateway(ctx, vpc_id, igw_id)
    await dependents.fire(ctx, "internet-gateway", "detached", {**igw, "vpc_id": vpc_id})
    await events.publish(ctx, "vpc.igw-detach", {"internet_gateway_id": igw_id, "vpc_id": vpc_id})


# --- actions ---------------------------------------------------------------------------------


@action("CreateInternetGateway")
async def create_internet_gateway(ctx: RequestContext, params: Params) -> Result:
    """A new internet gateway, detached."""
    record = await create_internet_gateway_record(
        ctx, tags_from_specifications(params, "internet-gateway")
    )
    return {"InternetGateway": internet_gateway_to_api(ctx, record)}


@action("DeleteInternetGateway")
async def delete_internet_gateway(ctx: RequestContext, params: Params) -> Result:
    """Delete a detached gateway (``DependencyViolation`` while attached)."""
    igw_id = params["InternetGatewayId"]

    def detached(current: Record) -> None:
        """Own state: an attached gateway cannot go."""
        if current.get("vpc_id"):
            raise dependency_violation("internet-gateway", igw_id)

    await dependents.delete_guarded(ctx, IGW, igw_id, detached)  # routes to it: blackhole
    return None


@action("AttachInternetGateway")
async def attach_internet_gateway_action(ctx: RequestContext, params: Params) -> Result:
    """Attach a gateway to a VPC of the caller."""
    await attach_internet_gateway(ctx, params["InternetGatewayId"], params["VpcId"])
    return None


@action("DetachInternetGateway")
async def detach_internet_gateway_action(ctx: RequestContext, params: Params) -> Result:
    """Detach a gateway from the VPC it is attached to."""
    await detach_internet_gateway(ctx, params["InternetGatewayId"], params["VpcId"])
    return None


@action("DescribeInternetGateways")
async def describe_internet_gateways(ctx: RequestContext, params: Params) -> Result:
    """The caller's internet gateways: ids (must exist), filters, pages."""
    return await describe.describe(
        ctx,
        IGW,
        params,
        ids_param="InternetGatewayIds",
        result_key="InternetGateways",
        spec=INTERNET_GATEWAY_FILTERS,
        to_api=internet_gateway_to_api,
    )
