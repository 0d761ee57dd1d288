"""Virtual private gateways (``vgw-…``) and their VPC attachments.

AWS behaviour reproduced (what Terraform's ``aws_vpn_gateway``/``_attachment`` wait for):

* ``Type`` ``ipsec.1``, ``AmazonSideAsn`` (default 64512; 64512–65534 or 4200000000–4294967294),
  optional ``AvailabilityZone``; a new gateway is ``available``, a deleted one ``deleted`` and
  describable for a while (``vpn-retention``);
* ``AttachVpnGateway`` answers ``attaching``, which becomes ``attached``; ``DetachVpnGateway``
  makes it ``detaching`` then ``detached`` (still listed for a while). A gateway has one VPC
  (``VpnGatewayAttachmentLimitExceeded``), a VPC one gateway::

      AttachVpnGateway VpnGatewayId=vgw-2&VpcId=vpc-1
      → InvalidVpcState: VPC vpc-1 is currently attached to the Virtual Private Gateway.

* detaching what is not attached is ``InvalidVpnGatewayAttachment.NotFound``; deleting a
  gateway still attached (or detaching) is ``IncorrectState``, which the provider retries;
  ``DeleteVpc`` while a gateway is attached is ``DependencyViolation``;
* routes to the gateway (``GatewayId=vgw-…``) turn ``blackhole`` when it is detached from their
  VPC or deleted, ``active`` again on attach.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from handlers import route_tables
from handlers.vpn.retention import describe_retained
from hive_gateway.core import clock, dependents, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record, live
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications
from hive_gateway.core.zones import zones

VGW: Final = KINDS["vpn-gateway"]
VPC: Final = KINDS["vpc"]
IPSEC: Final = "ipsec.1"
DEFAULT_ASN: Final = 64512
TRANSITION: Final = "vpn-gateway-transition"
RETENTION: Final = "vpn-retention"
LIVE_ATTACHMENT: Final = frozenset({"attaching", "attached", "detaching"})


# --- states ----------------------------------------------------------------------------------


def attachment_state(attachment: Record, now: datetime) -> str:
    """``attaching``/``attached`` or ``detaching``/``detached`` as of ``now``."""
    settled = str(attachment["state"])
    if clock.reached(attachment.get("until"), now):
        return settled
    return "attaching" if settled == "attached" else "detaching"


def attachments(record: Record, now: datetime) -> list[Record]:
    """The attachments still shown (detached ones until their retention ends)."""
    return [
        {"VpcId": a["vpc_id"], "State": attachment_state(a, now)}
        for a in record.get("attachments") or []
        if not (a["state"] == "detached" and clock.reached(a.get("gone_at"), now))
    ]


def attached_to(record: Record, now: datetime) -> str | None:
    """The VPC the gateway is attaching, attached or detaching to/from, if any."""
    for attachment in attachments(record, now):
        if attachment["State"] in LIVE_ATTACHMENT:
            return str(attachment["VpcId"])
    return None



@live("vpn-gateway")
def _live(ctx: RequestContext, record: Record, now: datetime) -> bool:
    return record.get("state") != "deleted"


def _holds(gateway: Record, vpc: Record) -> bool:
    """A gateway attached (or attaching, detaching) to ``vpc`` blocks ``DeleteVpc``."""
    return attached_to(gateway, clock.now()) == str(vpc["vpc_id"])


dependents.blocks("vpc", by="vpn-gateway", where=_holds)


# --- API form --------------------------------------------------------------------------------


def vpn_gateway_to_api(ctx: RequestContext, record: Record) -> Record:
    """A record as a ``VpnGateway``."""
    out: Record = {
        "VpnGatewayId": record["vpn_gateway_id"],
        "State": record.get("state") or "available",
        "Type": record["type"],
        "AmazonSideAsn": record["amazon_side_asn"],
        "VpcAttachments": attachments(record, clock.now()),
        "Tags": api_tags(record_tags(record)),
    }
    if record.get("availability_zone"):
        out["AvailabilityZone"] = record["availability_zone"]
    return out


def _attachment_values(member: str) -> Any:
    return lambda g: [a[member] for a in g["VpcAttachments"]]


VPN_GATEWAY_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "amazon-side-asn": lambda g: g["AmazonSideAsn"],
        "attachment.state": _attachment_values("State"),
        "attachment.vpc-id": _attachment_values("VpcId"),
        "availability-zone": lambda g: g.get("AvailabilityZone"),
        "state": lambda g: g["State"],
        "type": lambda g: g["Type"],
        "vpn-gateway-id": lambda g: g["VpnGatewayId"],
    },
    tags=lambda g: {t["Key"]: t["Value"] for t in g.get("Tags", [])},
    # Attachments are objects (no index); ``state`` defaults when absent.
    indexes={
        "availability-zone": "availability_zone",
        "type": "type",
        "vpn-gateway-id": "vpn_gateway_id",
    },
)


# --- errors ----------------------------------------------------------------------------------


def attachment_not_found(gateway_id: str, vpc_id: str) -> AwsError:
    """Detaching a gateway from a VPC it is not attached to."""
    return AwsError(
        "InvalidVpnGatewayAttachment.NotFound",
        f"The attachment with vpn gateway ID '{gateway_id}' and vpc ID '{vpc_id}' does not exist",
    )


def incorrect_state(gateway_id: str) -> AwsError:
    """Deleting a gateway that is still attached (or detaching)."""
    return AwsError(
        "IncorrectState",
        f"The VPN gateway '{gateway_id}' is in an incorrect state for this operation: "
        "it is attached to a VPC",
    )


def _asn(params: Params) -> int:
    given = params.get("AmazonSideAsn")
    if given is None:
        return DEFAULT_ASN
    asn = int(given)
    if not (64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294):
        raise invalid_parameter_value(
            f"Value ({asn}) for parameter amazonSideAsn is invalid. "
            "Valid values: 64512-65534 or 4200000000-4294967294."
        )
    return asn


# --- actions ---------------------------------------------------------------------------------


@action("CreateVpnGateway")
async def create_vpn_gateway(ctx: RequestContext, params: Params) -> Result:
    """A detached, ``available`` virtual private gateway."""
    kind = params.get("Type") or IPSEC
    if kind != IPSEC:
        raise invalid_parameter_value(f"Value ({kind}) for parameter type is invalid.")
    zone = params.get("AvailabilityZone")
    served = [str(z["ZoneName"]) for z in zones(ctx)]
    if zone and zone not in served:
        raise invalid_parameter_value(
            f"Value ({zone}) for parameter availabilityZone is invalid. "
            f"Subnets can currently only be created in the following availability zones: "
            f"{', '.join(served)}."
        )
    record: Record = {
        "vpn_gateway_id": new_id("vpn-gateway"),
        "type": kind,
        "amazon_side_asn": _asn(params),
        "state": "available",
        "attachments": [],
        "tags": tags_from_specifications(params, "vpn-gateway"),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    if zone:
        record["availability_zone"] = zone
    record = await records.create(ctx, VGW, record)
    return {"VpnGateway": vpn_gateway_to_api(ctx, record)}


@action("DeleteVpnGateway")
async def delete_vpn_gateway(ctx: RequestContext, params: Params) -> Result:
    """A detached gateway becomes ``deleted`` (``IncorrectState`` while attached)."""
    gateway_id = params["VpnGatewayId"]
    await records.get(ctx, VGW, gateway_id)
    now = clock.now()
    gone_at = clock.stamp(now + clock.seconds(ctx, RETENTION))

    def delete(current: Record) -> Record:
        if current.get("state") == "deleted":
            raise VGW.not_found(gateway_id)
        if attached_to(current, now) is not None:
            raise incorrect_state(gateway_id)
        return {**current, "state": "deleted", "gone_at": gone_at}

    deleted = await records.mutate(ctx, VGW, gateway_id, delete)
    assert deleted is not None
    await dependents.fire(ctx, VGW.name, "deleted", deleted)
    return None


@action("DescribeVpnGateways")
async def describe_vpn_gateways(ctx: RequestContext, params: Params) -> Result:
    """The caller's gateways (deleted ones for a while): ids, filters."""
    return await describe_retained(
        ctx,
        params,
        VGW,
        vpn_gateway_to_api,
        id_member="VpnGatewayId",
        ids_param="VpnGatewayIds",
        result_key="VpnGateways",
        spec=VPN_GATEWAY_FILTERS,
    )


@action("AttachVpnGateway")
async def attach_vpn_gateway(ctx: RequestContext, params: Params) -> Result:
    """Attach a gateway to a VPC of the caller: ``attaching`` → ``attached``."""
    gateway_id, vpc_id = params["VpnGatewayId"], params["VpcId"]
    await records.get(ctx, VGW, gateway_id)
    await records.get(ctx, VPC, vpc_id)
    now = clock.now()
    for other in await records.where(ctx, VGW):
        if other["vpn_gateway_id"] != gateway_id and attached_to(other, now) == vpc_id:
            raise AwsError(
                "InvalidVpcState",
                f"VPC {vpc_id} is currently attached to the Virtual Private Gateway.",
            )
    until = clock.stamp(now + clock.seconds(ctx, TRANSITION))

    def attach(current: Record) -> Record:
        if current.get("state") == "deleted":
            raise VGW.not_found(gateway_id)
        held = attached_to(current, now)
        if held is not None:
            raise AwsError(
                "VpnGatewayAttachmentLimitExceeded",
                f"The VPN gateway {gateway_id} is already attached to {held}.",
            )
        kept = [a for a in current.get("attachments") or [] if a["vpc_id"] != vpc_id]
        attachment = {"vpc_id": vpc_id, "state": "attached", "until": until}
        return {**current, "attachments": [*kept, attachment]}

    attached = await records.mutate(ctx, VGW, gateway_id, attach)
    assert attached is not None
    await _recheck_attachment(ctx, gateway_id, vpc_id)
    await route_tables.set_route_state(ctx, "gateway_id", gateway_id, "active", vpc_id=vpc_id)
    return {"VpcAttachment": {"VpcId": vpc_id, "State": "attaching"}}


async def _recheck_attachment(ctx: RequestContext, gateway_id: str, vpc_id: str) -> None:
    """Write-then-verify: an attachment that finds, after its write, a rival gateway on the VPC
    or the VPC gone (or being deleted) removes itself and fails, so racing attaches never both
    win and no attachment outlives its VPC."""
    now = clock.now()
    rivals = [
        g
        for g in await records.where(ctx, VGW)
        if g["vpn_gateway_id"] != gateway_id and attached_to(g, now) == vpc_id
    ]
    vpc = await records.find(ctx, VPC, vpc_id)
    vpc_gone = vpc is None or await dependents.is_deleting(ctx, VPC, vpc)
    if not rivals and not vpc_gone:
        return

    def undo(current: Record) -> Record:
        kept = [a for a in current.get("attachments") or [] if a["vpc_id"] != vpc_id]
        return {**current, "attachments": kept}

    await records.mutate(ctx, VGW, gateway_id, undo, missing_ok=True)
    if vpc_gone:
        raise VPC.not_found(vpc_id)
    raise AwsError(
        "InvalidVpcState", f"VPC {vpc_id} is currently attached to the Virtual Private Gateway."
    )


@action("DetachVpnGateway")
async def detach_vpn_gateway(ctx: RequestContext, params: Params) -> Result:
    """Detach a gateway from its VPC: ``detaching`` → ``detached``; its routes blackhole."""
    gateway_id, vpc_id = params["VpnGatewayId"], params["VpcId"]
    await records.get(ctx, VGW, gateway_id)
    VPC.check_id(vpc_id)
    now = clock.now()
    until = now + clock.seconds(ctx, TRANSITION)

    def detach(current: Record) -> Record:
        changed = []
        found = False
        for attachment in current.get("attachments") or []:
            state = attachment_state(attachment, now)
            if attachment["vpc_id"] == vpc_id and state in ("attaching", "attached"):
                found = True
                attachment = {
                    "vpc_id": vpc_id,
                    "state": "detached",
                    "until": clock.stamp(until),
                    "gone_at": clock.stamp(until + clock.seconds(ctx, RETENTION)),
                }
            changed.append(attachment)
        if not found:
            raise attachment_not_found(gateway_id, vpc_id)
        return {**current, "attachments": changed}

    await records.mutate(ctx, VGW, gateway_id, detach)
    await route_tables.set_route_state(ctx, "gateway_id", gateway_id, "blackhole", vpc_id=vpc_id)
    return None
