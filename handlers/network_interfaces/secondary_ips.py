"""Assign/UnassignPrivateIpAddresses: secondary private IPv4s, reassignment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.network_interfaces.common import (
    ENI,
    MAX_PRIVATE_IPS,
    SUBNET,
    UNASSIGNED,
    _ip_limit,
    unsupported,
)
from handlers.network_interfaces.record_fields import private_ips
from hive_gateway.core import dependents, ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- secondary private addresses -------------------------------------------------------------------


async def _reassign_from_others(
    ctx: RequestContext, record: Mapping[str, Any], addresses: Iterable[str]
) -> list[str]:
    """Move secondary ``addresses`` held by other interfaces of the subnet to this one.

    Returns the addresses moved; a primary address of another interface cannot move.
    """
    moved: list[str] = []
    wanted = set(addresses)
    for other in await records.where(ctx, ENI, live_only=False, subnet_id=record["subnet_id"]):
        if other["network_interface_id"] == record["network_interface_id"]:
            continue
        if other.get("private_ip_address") in wanted:
            raise ipam.address_in_use(str(other["private_ip_address"]))
        taking = wanted & set(other.get("secondary_private_ip_addresses") or [])
        if not taking:
            continue

        def drop(current: Record, taking: set[str] = taking) -> Record:
            current["secondary_private_ip_addresses"] = [
                ip for ip in current.get("secondary_private_ip_addresses") or [] if ip not in taking
            ]
            return current

        await records.mutate(ctx, ENI, str(other["network_interface_id"]), drop)
        moved.extend(sorted(taking))
    return moved


@action("AssignPrivateIpAddresses")
async def assign_private_ip_addresses(ctx: RequestContext, params: Params) -> Result:
    """Add secondary private addresses: explicit ones or a count of automatic ones."""
    if params.get("Ipv4Prefixes") or params.get("Ipv4PrefixCount"):
        raise unsupported("IPv4 prefix delegation")
    eni_id = params["NetworkInterfaceId"]
    explicit = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    count = int(params.get("SecondaryPrivateIpAddressCount") or 0)
    if explicit and count:
        raise invalid_parameter_combination(
            "The parameters privateIpAddresses and secondaryPrivateIpAddressCount cannot be used together."
        )
    if not explicit and count <= 0:
        raise missing_parameter("PrivateIpAddresses or SecondaryPrivateIpAddressCount")
    record = await records.get(ctx, ENI, eni_id)
    if len(private_ips(record)) + len(explicit) + count > MAX_PRIVATE_IPS:
        raise _ip_limit(eni_id)
    subnet = await records.get(ctx, SUBNET, str(record["subnet_id"]))
    moved: list[str] = []
    to_allocate = explicit
    if explicit and params.get("AllowReassignment"):
        network = ipam.subnet_network(str(subnet["cidr_block"]))
        normalised = [ipam.check_private_address(network, ip) for ip in explicit]
        held = set(await ipam.allocated_addresses(ctx, str(subnet["subnet_id"])))
        mine = set(private_ips(record))
        moved = await _reassign_from_others(
            ctx, record, [ip for ip in normalised if ip in held and ip not in mine]
        )
        to_allocate = [ip for ip in normalised if ip not in moved]
    new = await ipam.allocate_private_ips(ctx, subnet, to_allocate, count)

    def add(current: Record) -> Record:
        if len(private_ips(current)) + len(new) + len(moved) > MAX_PRIVATE_IPS:
            raise _ip_limit(eni_id)
        current["secondary_private_ip_addresses"] = (
            list(current.get("secondary_private_ip_addresses") or []) + moved + new
        )
        return current

    try:
        await records.mutate(ctx, ENI, eni_id, add)
    except BaseException:
        await ipam.release_private_ips(ctx, str(subnet["subnet_id"]), new)
        raise
    return {
        "NetworkInterfaceId": eni_id,
        "AssignedPrivateIpAddresses": [{"PrivateIpAddress": ip} for ip in moved + new],
    }


@action("UnassignPrivateIpAddresses")
async def unassign_private_ip_addresses(ctx: RequestContext, params: Params) -> Result:
    """Remove secondary private addresses (never the primary); their EIPs are disassociated."""
    if params.get("Ipv4Prefixes"):
        raise unsupported("IPv4 prefix delegation")
    eni_id = params["NetworkInterfaceId"]
    wanted = [str(ip) for ip in params.get("PrivateIpAddresses") or []]
    if not wanted:
        raise missing_parameter("PrivateIpAddresses")
    removed: Record = {}

    def drop(record: Record) -> Record:
        if record["private_ip_address"] in wanted:
            raise invalid_parameter_value(
                f"The primary private IP address {record['private_ip_address']} of network interface "
                f"{eni_id} cannot be unassigned."
            )
        secondaries = list(record.get("secondary_private_ip_addresses") or [])
        missing = [ip for ip in wanted if ip not in secondaries]
        if missing:
            raise invalid_parameter_value(
                f"Some of the specified addresses are not assigned to interface {eni_id}: {', '.join(missing)}"
            )
        associations = dict(record.get("secondary_associations") or {})
        removed.clear()
        removed.update({ip: associations.pop(ip, None) for ip in wanted})
        record["secondary_private_ip_addresses"] = [ip for ip in secondaries if ip not in wanted]
        record["secondary_associations"] = associations
        return record

    updated = await records.mutate(ctx, ENI, eni_id, drop)
    assert updated is not None
    await ipam.release_private_ips(ctx, str(updated["subnet_id"]), wanted)
    await dependents.fire(
        ctx, "network-interface", "ips-unassigned", {**updated, UNASSIGNED: list(removed)}
    )
    return None
