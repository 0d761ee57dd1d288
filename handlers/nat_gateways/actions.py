"""CreateNatGateway, DescribeNatGateways, DeleteNatGateway.

Create validates the request, then (once per ``ClientToken``, :mod:`hive_gateway.core.idempotency`)
creates the gateway's interface in the subnet, associates its Elastic IPs with it (public) and
stores the record ``pending``; anything failing on the way is undone. Delete marks the record
``deleting`` and gives everything back at once: Elastic IPs disassociated, interface deleted
(its addresses back in the subnet's IPAM), routes to the gateway ``blackhole``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from handlers import network_interfaces
from handlers.addresses import association as addresses
from handlers.nat_gateways.model import (
    CONNECTIVITY_TYPES,
    DELETED,
    DELETING,
    EIP,
    FAILED,
    INTERFACE_TYPE,
    MAX_ADDRESSES,
    NAT,
    NAT_GATEWAY_FILTERS,
    PENDING,
    PUBLIC,
    SUBNET,
    SUCCEEDED,
    allocation_ids,
    check_id,
    nat_gateway_to_api,
    purged,
    retention,
    state_at,
)
from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.hive import events

LOG = logging.getLogger(__name__)

ENI: Final = KINDS["network-interface"]
IGW: Final = KINDS["internet-gateway"]


def already_associated(allocation_id: str) -> AwsError:
    """An Elastic IP another resource holds."""
    return AwsError(
        "Resource.AlreadyAssociated",
        f"Elastic IP address [{allocation_id}] is already associated",
    )


def limit_exceeded() -> AwsError:
    """More addresses than a gateway may have."""
    return invalid_parameter_value(
        f"A NAT gateway can have at most {MAX_ADDRESSES} IP addresses (its primary included)."
    )


@dataclass(frozen=True, slots=True)
class NatRequest:
    """A validated CreateNatGateway request."""

    subnet_id: str
    connectivity: str
    allocation_id: str | None
    secondary_allocation_ids: list[str]
    private_ip: str | None
    secondary_ips: list[str]
    secondary_count: int
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def allocations(self) -> list[str]:
        """Every Elastic IP asked for, primary first."""
        return ([self.allocation_id] if self.allocation_id else []) + self.secondary_allocation_ids


def validate(params: Mapping[str, Any]) -> NatRequest:
    """The request's parameters, checked as AWS checks them (before anything is looked up)."""
    if params.get("AvailabilityMode") == "regional" or params.get("AvailabilityZoneAddresses"):
        raise AwsError(
            "UnsupportedOperation", "Regional NAT gateways are not supported by this gateway."
        )
    subnet_id = params.get("SubnetId")
    if not subnet_id:
        raise missing_parameter("SubnetId")
    connectivity = str(params.get("ConnectivityType") or PUBLIC)
    if connectivity not in CONNECTIVITY_TYPES:
        raise invalid_parameter_value(
            f"Value ({connectivity}) for parameter connectivityType is invalid. "
            "Valid values: public, private"
        )
    allocation_id = params.get("AllocationId")
    secondary_allocations = [str(a) for a in params.get("SecondaryAllocationIds") or []]
    secondary_ips = [str(ip) for ip in params.get("SecondaryPrivateIpAddresses") or []]
    count = params.get("SecondaryPrivateIpAddressCount")
    if secondary_ips and count is not None:
        raise invalid_parameter_combination(
            "The parameters secondaryPrivateIpAddresses and secondaryPrivateIpAddressCount "
            "cannot be used together."
        )
    if count is not None and not 1 <= int(count) <= MAX_ADDRESSES - 1:
        raise invalid_parameter_value(
            f"Value ({count}) for parameter secondaryPrivateIpAddressCount is invalid. "
            f"It must be between 1 and {MAX_ADDRESSES - 1}."
        )
    if connectivity == PUBLIC:
        if not allocation_id:
            raise missing_parameter("AllocationId")
        if count is not None:
            raise invalid_parameter_combination(
                "The parameter secondaryPrivateIpAddressCount is only supported for private "
                "NAT gateways."
            )
        if secondary_ips and len(secondary_ips) != len(secondary_allocations):
            raise invalid_parameter_value(
                "The number of secondaryPrivateIpAddresses must match the number of "
                "secondaryAllocationIds."
            )
        if len(set(secondary_allocations) | {allocation_id}) != 1 + len(secondary_allocations):
            raise invalid_parameter_value("Each allocation ID may be given only once.")
    else:
        if allocation_id or secondary_allocations:
            raise invalid_parameter_combination(
                "Elastic IP addresses (allocationId, secondaryAllocationIds) cannot be used with "
                "a private NAT gateway."
            )
    total = 1 + max(len(secondary_allocations), len(secondary_ips), int(count or 0))
    if total > MAX_ADDRESSES:
        raise limit_exceeded()
    return NatRequest(
        subnet_id=str(subnet_id),
        connectivity=connectivity,
        allocation_id=str(allocation_id) if allocation_id else None,
        secondary_allocation_ids=secondary_allocations,
        private_ip=str(params["PrivateIpAddress"]) if params.get("PrivateIpAddress") else None,
        secondary_ips=secondary_ips,
        secondary_count=int(count or 0),
        tags=tags_from_specifications(params, "natgateway"),
    )


# --- create ------------------------------------------------------------------------------------


async def _eips(ctx: RequestContext, wanted: list[str]) -> list[Record]:
    """The Elastic IPs asked for: the caller's and unassociated."""
    found = [await records.get(ctx, EIP, allocation_id) for allocation_id in wanted]
    for eip in found:
        if eip.get("association_id"):
            raise already_associated(str(eip["allocation_id"]))
    return found


async def _gateway_attached(ctx: RequestContext, vpc_id: str) -> bool:
    return bool(await records.where(ctx, IGW, vpc_id=vpc_id))


def _base_record(
    ctx: RequestContext, nat_id: str, request: NatRequest, subnet: Mapping[str, Any], now: datetime
) -> Record:
    return {
        "nat_gateway_id": nat_id,
        "vpc_id": subnet["vpc_id"],
        "subnet_id": subnet["subnet_id"],
        "availability_zone": subnet.get("availability_zone"),
        "connectivity_type": request.connectivity,
        "account_id": ctx.account_id,
        "tags": dict(request.tags),
        "created_at": clock.stamp(now),
    }


async def _create_failed(
    ctx: RequestContext, nat_id: str, request: NatRequest, subnet: Mapping[str, Any]
) -> Record:
    """A public gateway in a VPC without an internet gateway: ``failed``, as on AWS."""
    now = clock.now()
    record = {
        **_base_record(ctx, nat_id, request, subnet, now),
        "state": FAILED,
        "failure_code": "Gateway.NotAttached",
        "failure_message": f"Network {subnet['vpc_id']} has no Internet gateway attached",
        "purge_at": clock.stamp(now + retention(ctx)),
    }
    return await records.create(ctx, NAT, record)


async def _undo(ctx: RequestContext, eni_id: str | None, associated: list[Record]) -> None:
    """Give back what a failed create took (best effort: the original error is raised)."""
    for eip in associated:
        try:
            current = await records.find(ctx, EIP, str(eip["allocation_id"]))
            if current is not None and current.get("association_id"):
                await addresses.disassociate(ctx, current, restore_public=False)
        except Exception:
            LOG.warning("could not disassociate %s", eip.get("allocation_id"), exc_info=True)
    if eni_id:
        try:
            await network_interfaces.delete_interface(ctx, eni_id, force=True)
        except AwsError:
            pass


async def create_gateway(
    ctx: RequestContext, nat_id: str, request: NatRequest, subnet: Mapping[str, Any]
) -> Record:
    """Interface, Elastic IP associations, record: the gateway ``nat_id``, ``pending``."""
    public = request.connectivity == PUBLIC
    if public and not await _gateway_attached(ctx, str(subnet["vpc_id"])):
        await _eips(ctx, request.allocations)
        return await _create_failed(ctx, nat_id, request, subnet)
    eips = await _eips(ctx, request.allocations)
    auto_secondaries = request.secondary_count
    if public and not request.secondary_ips:
        auto_secondaries = len(request.secondary_allocation_ids)
    eni_id: str | None = None
    associated: list[Record] = []
    try:
        eni = await network_interfaces.create_interface(
            ctx,
            subnet=subnet,
            security_group_ids=[],
            private_ip=request.private_ip,
            secondary_ips=request.secondary_ips,
            secondary_count=auto_secondaries,
            description=f"Interface for NAT Gateway {nat_id}",
            interface_type=INTERFACE_TYPE,
        )
        eni_id = str(eni["network_interface_id"])

        def managed(current: Record) -> Record:
            return {
                **current,
                "requester_managed": True,
                "status": "in-use",
                "security_group_ids": [],
                "security_group_names": {},
                "nat_gateway_id": nat_id,
            }

        eni = await records.mutate(ctx, ENI, eni_id, managed) or eni
        ips = [str(eni["private_ip_address"]), *eni.get("secondary_private_ip_addresses", [])]
        entries: list[Record] = [
            {"private_ip": ip, "is_primary": index == 0, "status": SUCCEEDED}
            for index, ip in enumerate(ips)
        ]
        for index, eip in enumerate(eips):
            association_id = await addresses.associate(
                ctx, eip, eni, ips[index], allow_reassociation=False
            )
            associated.append(eip)
            entries[index].update(
                allocation_id=eip["allocation_id"],
                public_ip=eip["public_ip"],
                association_id=association_id,
            )
        now = clock.now()
        primary = entries[0]
        record: Record = {
            **_base_record(ctx, nat_id, request, subnet, now),
            "state": PENDING,
            "available_at": clock.after(ctx, "nat-gateway-pending", now),
            "network_interface_id": eni_id,
            "private_ip": primary["private_ip"],
            "addresses": entries,
        }
        for name in ("allocation_id", "public_ip", "association_id"):
            if primary.get(name):
                record[name] = primary[name]
        stored = await records.create(ctx, NAT, record)  # re-checks its subnet and VPC
    except BaseException:
        await _undo(ctx, eni_id, associated)
        raise
    await events.publish(
        ctx,
        "vpc.add-nat-gateway",
        {
            "nat_gateway_id": nat_id,
            "vpc_id": stored["vpc_id"],
            "subnet_id": stored["subnet_id"],
            "public_ip": stored.get("public_ip", ""),
            "private_ip": stored["private_ip"],
        },
    )
    return stored


@action("CreateNatGateway")
async def create_nat_gateway(ctx: RequestContext, params: Params) -> Result:
    """A public gateway (``AllocationId``, plus ``SecondaryAllocationIds``) or a private one
    (``ConnectivityType private``, ``SecondaryPrivateIpAddresses``/``…Count``) in ``SubnetId``;
    idempotent per ``ClientToken``."""
    request = validate(params)
    subnet = await records.get(ctx, SUBNET, request.subnet_id)
    token = params.get("ClientToken")
    made: list[Record] = []

    async def create(nat_id: str) -> Record:
        made.append(await create_gateway(ctx, nat_id, request, subnet))
        return made[-1]

    async def existing(nat_id: str) -> Record | None:
        return await records.find(ctx, NAT, nat_id, live_only=False)

    record = await idempotency.create_once(ctx, NAT, token, params, create, existing)
    # A new gateway is shown as created (``pending``), however long the request took; a retry
    # with the token shows the gateway as it is now.
    when = clock.parse_time(str(record["created_at"])) if made else None
    result: Record = {"NatGateway": nat_gateway_to_api(ctx, record, when)}
    if token:
        result["ClientToken"] = token
    return result


# --- delete ------------------------------------------------------------------------------------


async def release_resources(ctx: RequestContext, record: Mapping[str, Any]) -> None:
    """The gateway's Elastic IPs disassociated and its interface deleted (idempotent)."""
    for allocation_id in allocation_ids(record):
        eip = await records.find(ctx, EIP, allocation_id)
        if eip is not None and eip.get("eni_id") == record.get("network_interface_id"):
            await addresses.disassociate(ctx, eip, restore_public=False)
    eni_id = record.get("network_interface_id")
    if eni_id and await records.find(ctx, ENI, str(eni_id)) is not None:
        await network_interfaces.delete_interface(ctx, str(eni_id), force=True)


@action("DeleteNatGateway")
async def delete_nat_gateway(ctx: RequestContext, params: Params) -> Result:
    """``deleting`` now, ``deleted`` after ``nat_gateway_deleting``; its addresses and
    interface are released at once and routes to it turn ``blackhole``. Deleting a gateway
    that is already ``deleting`` answers again; a ``deleted`` one is ``NatGatewayNotFound``."""
    nat_id = str(params["NatGatewayId"])
    check_id(nat_id)
    now = clock.now()
    outcome: dict[str, bool] = {}

    def mark(current: Record) -> Record:
        state = state_at(current, now)
        if state == DELETED:
            raise NAT.not_found(nat_id)
        if state == DELETING:
            outcome["again"] = True
            return current
        outcome.clear()
        gone_at = now + clock.seconds(ctx, "nat-gateway-deleting")
        return {
            **current,
            "state": DELETING,
            "delete_time": clock.stamp(now),
            "deleted_at": clock.stamp(gone_at),
            "purge_at": clock.stamp(gone_at + retention(ctx)),
        }

    await records.get(ctx, NAT, nat_id)  # NatGatewayNotFound (also for another account's)
    updated = await records.mutate(ctx, NAT, nat_id, mark)
    assert updated is not None
    if not outcome.get("again"):
        await release_resources(ctx, updated)
        await dependents.fire(ctx, "nat-gateway", "deleted", updated)
        await events.publish(
            ctx,
            "vpc.delete-nat-gateway",
            {"nat_gateway_id": nat_id, "vpc_id": updated["vpc_id"]},
        )
    return {"NatGatewayId": nat_id}


# --- describe ----------------------------------------------------------------------------------


@action("DescribeNatGateways")
async def describe_nat_gateways(ctx: RequestContext, params: Params) -> Result:
    """The caller's gateways, deleted ones included until their retention ends; unknown ids
    are ``NatGatewayNotFound``; ``Filter`` (sic) and pagination as AWS."""
    wanted = [str(nat_id) for nat_id in params.get("NatGatewayIds") or []]
    for nat_id in wanted:
        check_id(nat_id)
    selecting = {**params, "Filters": params.get("Filter")}
    now = clock.now()
    items: list[Record] = []
    stored = await describe.stored_records(
        ctx, NAT, selecting, wanted, NAT_GATEWAY_FILTERS, live_only=False
    )
    for record in stored:
        if purged(record, now):
            await records.delete(ctx, NAT, str(record["nat_gateway_id"]))
            continue
        items.append(nat_gateway_to_api(ctx, record, now))
    return describe.describe_items(
        items,
        selecting,
        kind=NAT,
        id_member="NatGatewayId",
        ids_param="NatGatewayIds",
        result_key="NatGateways",
        spec=NAT_GATEWAY_FILTERS,
    )
