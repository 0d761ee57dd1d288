"""Creating and deleting interfaces (the Create/Delete actions, and for RunInstances)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from handlers.network_interfaces.common import (
    AMAZON_OWNER,
    ENI,
    MAX_PRIVATE_IPS,
    SUBNET,
    _ip_limit,
    in_use,
    unsupported,
)
from handlers.network_interfaces.groups import resolve_groups
from handlers.network_interfaces.record_fields import mac_address, primary_association, private_ips
from handlers.network_interfaces.slots import _release_slot
from handlers.network_interfaces.views import interface_to_api
from hive_gateway.core import clock, dependents, idempotency, ipam, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.hive import events

# What an interface holds on to (architecture.md §2): its VPC, subnet and security groups cannot
# be deleted while it exists, and its VPC's internet gateway cannot be detached while it maps a
# public address. CreateNetworkInterface re-checks its subnet and VPC after writing.
dependents.blocks("vpc", by="network-interface", field="vpc_id")


dependents.blocks("subnet", by="network-interface", field="subnet_id")


dependents.blocks(
    "security-group",
    by="network-interface",
    where=lambda eni, group: group["group_id"] in (eni.get("security_group_ids") or ()),
    via=("security_group_ids", "group_id"),
)


dependents.blocks(
    "internet-gateway",
    by="network-interface",
    event="detach",
    where=lambda eni, igw: (
        bool(igw.get("vpc_id"))
        and eni.get("vpc_id") == igw["vpc_id"]
        and bool(eni.get("public_ip_address") or eni.get("association"))
    ),
    via=("vpc_id", "vpc_id"),
)


# --- creating and deleting -----------------------------------------------------------------------


async def create_interface(
    ctx: RequestContext,
    *,
    subnet: Mapping[str, Any],
    security_group_ids: Sequence[str],
    private_ip: str | None,
    secondary_count: int = 0,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    public_ip: bool = False,
    secondary_ips: Sequence[str] = (),
    interface_type: str = "interface",
    eni_id: str | None = None,
    client_token: str | None = None,
) -> Record:
    """Create an interface in ``subnet`` and return its stored record.

    Groups are validated (``[]`` → the VPC's default group); addresses come from the subnet's
    IPAM (``private_ip`` or the lowest free one, plus ``secondary_ips`` and ``secondary_count``
    automatic ones). With ``public_ip`` the primary address also gets a public IPv4 address
    from the pool (an instance's auto-assigned public IP, owner ``amazon``), given back when an
    Elastic IP replaces it or the instance terminates. Publishes ``vpc.create-port``.
    """
    eni_id = eni_id or new_id("network-interface")
    subnet_id = str(subnet["subnet_id"])
    vpc_id = str(subnet["vpc_id"])
    groups, names = await resolve_groups(ctx, vpc_id, security_group_ids, subnet_id=subnet_id)
    if 1 + len(secondary_ips) + secondary_count > MAX_PRIVATE_IPS:
        raise _ip_limit(eni_id)
    requested = ([private_ip] if private_ip else []) + list(secondary_ips)
    automatic = (0 if private_ip else 1) + secondary_count
    allocated = await ipam.allocate_private_ips(ctx, subnet, requested, automatic)
    if private_ip:
        primary, secondaries = allocated[0], allocated[1:]
    else:
        explicit = allocated[: len(secondary_ips)]
        autos = allocated[len(secondary_ips) :]
        primary, secondaries = autos[0], explicit + autos[1:]
    record: Record = {
        "network_interface_id": eni_id,
        "subnet_id": subnet_id,
        "vpc_id": vpc_id,
        "availability_zone": subnet["availability_zone"],
        "private_ip_address": primary,
        "mac_address": mac_address(eni_id),
        "description": description,
        "status": "available",
        "device_index": 0,
        "security_group_ids": groups,
        "tags": dict(tags or {}),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "source_dest_check": True,
        "secondary_private_ip_addresses": secondaries,
        "interface_type": interface_type,
        "requester_managed": False,
        "security_group_names": names,
        "auto_public_ip": public_ip,
    }
    if client_token:
        record["client_token"] = client_token
    try:
        if public_ip:
            address = await ipam.allocate_public_ip(
                ctx, {"type": ipam.PURPOSE_ENI_PUBLIC, "eni_id": eni_id}
            )
            record["public_ip_address"] = address
            record["public_ip_pool"] = ipam.PUBLIC_POOL_KEY
            record["association"] = {"public_ip": address, "ip_owner_id": AMAZON_OWNER}
        await records.create(ctx, ENI, record)
    except BaseException:
        await ipam.release_private_ips(ctx, subnet_id, allocated)
        if record.get("public_ip_address"):
            await ipam.release_public_ip(ctx, str(record["public_ip_address"]))
        raise
    await _publish_port(ctx, "vpc.create-port", record)
    return record


async def _publish_port(ctx: RequestContext, subject: str, record: Mapping[str, Any]) -> None:
    """Hive's ``vpc.create-port`` / ``vpc.delete-port`` payload (``vpc/eni.go``)."""
    await events.publish(
        ctx,
        subject,
        {
            "network_interface_id": record["network_interface_id"],
            "subnet_id": record["subnet_id"],
            "vpc_id": record["vpc_id"],
            "private_ip_address": record["private_ip_address"],
            "mac_address": record["mac_address"],
        },
    )


def _private_ip_request(params: Mapping[str, Any]) -> tuple[str | None, list[str], int]:
    """``(primary, explicit secondaries, automatic secondary count)`` of a create request."""
    primary = params.get("PrivateIpAddress")
    specs = list(params.get("PrivateIpAddresses") or [])
    for spec in specs:
        if not spec.get("PrivateIpAddress"):
            raise missing_parameter("PrivateIpAddresses.PrivateIpAddress")
    primaries = [str(spec["PrivateIpAddress"]) for spec in specs if spec.get("Primary")]
    if len(primaries) > 1:
        raise invalid_parameter_value("Only one primary private IP address can be specified.")
    if primaries:
        if primary and primary != primaries[0]:
            raise invalid_parameter_combination(
                "The primary IP address given in privateIpAddress does not match the one in privateIpAddresses."
            )
        primary = primaries[0]
    secondaries = [str(spec["PrivateIpAddress"]) for spec in specs if not spec.get("Primary")]
    if primary is None and secondaries:
        primary = secondaries.pop(0)
    count = int(params.get("SecondaryPrivateIpAddressCount") or 0)
    if count < 0:
        raise invalid_parameter_value("SecondaryPrivateIpAddressCount must be a positive number.")
    return primary, secondaries, count


_UNSUPPORTED_CREATE: Final = {
    "Ipv4Prefixes": "IPv4 prefix delegation",
    "Ipv4PrefixCount": "IPv4 prefix delegation",
    "Ipv6Prefixes": "IPv6 prefix delegation",
    "Ipv6PrefixCount": "IPv6 prefix delegation",
    "Ipv6Addresses": "IPv6 addressing of network interfaces",
    "Ipv6AddressCount": "IPv6 addressing of network interfaces",
    "EnablePrimaryIpv6": "IPv6 addressing of network interfaces",
}


@action("CreateNetworkInterface")
async def create_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Create an interface in a subnet (status ``available`` at once)."""
    for member, what in _UNSUPPORTED_CREATE.items():
        if params.get(member):
            raise unsupported(what)
    subnet = await records.get(ctx, SUBNET, params["SubnetId"])
    primary, secondaries, count = _private_ip_request(params)
    tags = tags_from_specifications(params, "network-interface")
    token = params.get("ClientToken")

    async def create(eni_id: str) -> Record:
        return await create_interface(
            ctx,
            subnet=subnet,
            security_group_ids=list(params.get("Groups") or []),
            private_ip=primary,
            secondary_ips=secondaries,
            secondary_count=count,
            description=str(params.get("Description") or ""),
            tags=tags,
            interface_type=str(params.get("InterfaceType") or "interface"),
            eni_id=eni_id,
            client_token=token,
        )

    async def existing(eni_id: str) -> Record | None:
        return await records.find(ctx, ENI, eni_id)

    record = await idempotency.create_once(ctx, ENI, token, params, create, existing)
    result: Record = {"NetworkInterface": interface_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


async def delete_interface(ctx: RequestContext, eni_id: str, *, force: bool = False) -> Record:
    """Delete an interface and everything it holds; returns the deleted record.

    Refused while attached (``InvalidNetworkInterface.InUse``) unless ``force`` (instance
    termination). Releases its private and auto-assigned public addresses and its device slot,
    publishes ``vpc.delete-port`` and fires ``("network-interface", "deleted")`` (its Elastic IPs
    are disassociated, routes to it blackholed: declared in addresses and route_tables).
    """
    deleted: Record = {}

    def remove(record: Record) -> None:
        if not force and (record.get("attachment_id") or record.get("status") == "in-use"):
            raise in_use(eni_id)
        deleted.update(record)

    await records.mutate(ctx, ENI, eni_id, remove)
    await ipam.release_private_ips(ctx, str(deleted["subnet_id"]), private_ips(deleted))
    association = primary_association(deleted)
    if association and not association.get("allocation_id"):
        await ipam.release_public_ip(ctx, str(association["public_ip"]))
    if deleted.get("attachment_id") and deleted.get("instance_id"):
        await _release_slot(
            ctx, str(deleted["instance_id"]), int(deleted.get("device_index") or 0), eni_id
        )
    await dependents.fire(ctx, "network-interface", "deleted", deleted)
    await _publish_port(ctx, "vpc.delete-port", deleted)
    return deleted


@action("DeleteNetworkInterface")
async def delete_network_interface(ctx: RequestContext, params: Params) -> Result:
    """Delete a detached interface."""
    await delete_interface(ctx, params["NetworkInterfaceId"])
    return None
