"""A NAT gateway's secondary addresses: Associate/DisassociateNatGatewayAddress (public: an
Elastic IP on a new private address) and Assign/UnassignPrivateNatGatewayAddress (private).

Each change takes effect at once, so the provider's waiters (``associating``/``assigning`` →
``succeeded``; ``disassociating``/``unassigning`` → gone) see their target on the first read.
The new private addresses come from the subnet's IPAM and are the gateway interface's secondary
addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.addresses import association as addresses
from handlers.addresses.common import association_not_found
from handlers.nat_gateways.actions import already_associated, limit_exceeded
from handlers.nat_gateways.model import (
    AVAILABLE,
    EIP,
    MAX_ADDRESSES,
    NAT,
    PRIVATE,
    PUBLIC,
    SUBNET,
    SUCCEEDED,
    address_to_api,
    check_id,
    state_at,
)
from handlers.nat_gateways.model import addresses as addresses_of
from hive_gateway.core import clock, ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action

ENI: Final = KINDS["network-interface"]


def _addresses(record: Mapping[str, Any]) -> list[Record]:
    return addresses_of(record)


async def _available(ctx: RequestContext, nat_id: str, connectivity: str) -> Record:
    """The caller's gateway ``nat_id``: ``available`` and of the given connectivity type."""
    check_id(nat_id)
    record = await records.get(ctx, NAT, nat_id)
    state = state_at(record, clock.now())
    if state != AVAILABLE:
        raise AwsError(
            "IncorrectState",
            f"The NAT gateway {nat_id} is in state {state}; its addresses can only change while "
            "it is available.",
        )
    if str(record.get("connectivity_type") or PUBLIC) != connectivity:
        raise invalid_parameter_value(
            f"The NAT gateway {nat_id} is not a {connectivity} NAT gateway."
        )
    if not record.get("network_interface_id"):
        raise invalid_parameter_value(f"The NAT gateway {nat_id} has no network interface.")
    return record


async def _add_private_ips(
    ctx: RequestContext, record: Mapping[str, Any], explicit: list[str], count: int
) -> list[str]:
    """New private addresses on the gateway's interface (from the subnet's IPAM)."""
    if len(_addresses(record)) + len(explicit) + count > MAX_ADDRESSES:
        raise limit_exceeded()
    subnet = await records.get(ctx, SUBNET, str(record["subnet_id"]))
    new = await ipam.allocate_private_ips(ctx, subnet, explicit, count)

    def add(current: Record) -> Record:
        current["secondary_private_ip_addresses"] = [
            *(current.get("secondary_private_ip_addresses") or []),
            *new,
        ]
        return current

    try:
        await records.mutate(ctx, ENI, str(record["network_interface_id"]), add)
    except BaseException:
        await ipam.release_private_ips(ctx, str(subnet["subnet_id"]), new)
        raise
    return new


async def _drop_private_ips(ctx: RequestContext, record: Mapping[str, Any], ips: list[str]) -> None:
    """Take ``ips`` off the gateway's interface and give them back to the subnet."""
    gone = set(ips)

    def drop(current: Record) -> Record:
        current["secondary_private_ip_addresses"] = [
            ip for ip in current.get("secondary_private_ip_addresses") or [] if ip not in gone
        ]
        return current

    await records.mutate(ctx, ENI, str(record["network_interface_id"]), drop, missing_ok=True)
    await ipam.release_private_ips(ctx, str(record["subnet_id"]), list(ips))


async def _store(ctx: RequestContext, nat_id: str, change: Any) -> Record:
    updated = await records.mutate(ctx, NAT, nat_id, change)
    assert updated is not None
    return updated


def _answer(record: Mapping[str, Any], entries: list[Record]) -> Result:
    return {
        "NatGatewayId": record["nat_gateway_id"],
        "NatGatewayAddresses": [address_to_api(record, e) for e in entries],
    }


@action("AssociateNatGatewayAddress")
async def associate_nat_gateway_address(ctx: RequestContext, params: Params) -> Result:
    """Elastic IPs (``AllocationIds``) on new secondary addresses of a public gateway
    (``PrivateIpAddresses``, one per allocation, or automatic ones)."""
    nat_id = str(params["NatGatewayId"])
    wanted = [str(a) for a in params.get("AllocationIds") or []]
    if not wanted:
        raise missing_parameter("AllocationIds")
    explicit = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    if explicit and len(explicit) != len(wanted):
        raise invalid_parameter_value(
            "The number of privateIpAddresses must match the number of allocationIds."
        )
    record = await _available(ctx, nat_id, PUBLIC)
    held = {a.get("allocation_id") for a in _addresses(record)}
    eips = [await records.get(ctx, EIP, allocation_id) for allocation_id in wanted]
    for eip in eips:
        if eip.get("association_id") or eip["allocation_id"] in held:
            raise already_associated(str(eip["allocation_id"]))
    ips = await _add_private_ips(ctx, record, explicit, 0 if explicit else len(wanted))
    eni = await records.get(ctx, ENI, str(record["network_interface_id"]))
    entries: list[Record] = []
    try:
        for eip, ip in zip(eips, ips, strict=True):
            association_id = await addresses.associate(ctx, eip, eni, ip, allow_reassociation=False)
            entries.append(
                {
                    "private_ip": ip,
                    "allocation_id": eip["allocation_id"],
                    "public_ip": eip["public_ip"],
                    "association_id": association_id,
                    "is_primary": False,
                    "status": SUCCEEDED,
                }
            )
    except BaseException:
        for entry in entries:
            current = await records.find(ctx, EIP, str(entry["allocation_id"]))
            if current is not None:
                await addresses.disassociate(ctx, current, restore_public=False)
        await _drop_private_ips(ctx, record, ips)
        raise

    def add(current: Record) -> Record:
        return {**current, "addresses": [*_addresses(current), *entries]}

    updated = await _store(ctx, nat_id, add)
    return _answer(updated, entries)


@action("DisassociateNatGatewayAddress")
async def disassociate_nat_gateway_address(ctx: RequestContext, params: Params) -> Result:
    """Secondary Elastic IPs off a public gateway (their private addresses go too); the
    primary address cannot be disassociated."""
    nat_id = str(params["NatGatewayId"])
    wanted = [str(a) for a in params.get("AssociationIds") or []]
    if not wanted:
        raise missing_parameter("AssociationIds")
    record = await _available(ctx, nat_id, PUBLIC)
    by_association = {a.get("association_id"): a for a in _addresses(record)}
    for association_id in wanted:
        entry = by_association.get(association_id)
        if entry is None:
            raise association_not_found(association_id)
        if entry.get("is_primary"):
            raise invalid_parameter_value(
                f"The association {association_id} is the primary address of NAT gateway "
                f"{nat_id} and cannot be disassociated."
            )
    gone = [by_association[a] for a in wanted]
    for entry in gone:
        eip = await records.find(ctx, EIP, str(entry["allocation_id"]))
        if eip is not None and eip.get("association_id") == entry["association_id"]:
            await addresses.disassociate(ctx, eip, restore_public=False)
    await _drop_private_ips(ctx, record, [str(e["private_ip"]) for e in gone])

    def drop(current: Record) -> Record:
        return {
            **current,
            "addresses": [
                a for a in _addresses(current) if a.get("association_id") not in set(wanted)
            ],
        }

    updated = await _store(ctx, nat_id, drop)
    return _answer(updated, [{**e, "status": "disassociating"} for e in gone])


@action("AssignPrivateNatGatewayAddress")
async def assign_private_nat_gateway_address(ctx: RequestContext, params: Params) -> Result:
    """Secondary private addresses for a private gateway: ``PrivateIpAddresses`` or
    ``PrivateIpAddressCount`` automatic ones."""
    nat_id = str(params["NatGatewayId"])
    explicit = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    count = params.get("PrivateIpAddressCount")
    if explicit and count is not None:
        raise invalid_parameter_combination(
            "The parameters privateIpAddresses and privateIpAddressCount cannot be used together."
        )
    if not explicit and not count:
        raise missing_parameter("PrivateIpAddresses")
    record = await _available(ctx, nat_id, PRIVATE)
    ips = await _add_private_ips(ctx, record, explicit, int(count or 0))
    entries: list[Record] = [
        {"private_ip": ip, "is_primary": False, "status": SUCCEEDED} for ip in ips
    ]

    def add(current: Record) -> Record:
        return {**current, "addresses": [*_addresses(current), *entries]}

    updated = await _store(ctx, nat_id, add)
    return _answer(updated, entries)


@action("UnassignPrivateNatGatewayAddress")
async def unassign_private_nat_gateway_address(ctx: RequestContext, params: Params) -> Result:
    """Secondary private addresses off a private gateway (never its primary)."""
    nat_id = str(params["NatGatewayId"])
    wanted = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    if not wanted:
        raise missing_parameter("PrivateIpAddresses")
    record = await _available(ctx, nat_id, PRIVATE)
    by_ip = {a.get("private_ip"): a for a in _addresses(record)}
    for ip in wanted:
        entry = by_ip.get(ip)
        if entry is None:
            raise invalid_parameter_value(
                f"The private IP address {ip} is not assigned to NAT gateway {nat_id}."
            )
        if entry.get("is_primary"):
            raise invalid_parameter_value(
                f"The primary private IP address {ip} of NAT gateway {nat_id} cannot be unassigned."
            )
    await _drop_private_ips(ctx, record, wanted)

    def drop(current: Record) -> Record:
        return {
            **current,
            "addresses": [a for a in _addresses(current) if a.get("private_ip") not in wanted],
        }

    updated = await _store(ctx, nat_id, drop)
    return _answer(updated, [{**by_ip[ip], "status": "unassigning"} for ip in wanted])
