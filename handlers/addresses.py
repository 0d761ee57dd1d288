"""Elastic IP addresses: allocate, release, associate, disassociate, describe, reverse DNS.

Records are Hive's (``<prefix>-vpc-elastic-ips``, key ``<account>.<eipalloc-id>``; fields
``allocation_id, public_ip, pool_name, association_id?, eni_id?, instance_id?, private_ip?,
vpc_id?, state, tags, created_at``) plus ours (``domain``, ``public_ipv4_pool``,
``network_border_group``, ``subnet_id``, ``ptr_record`` …). Addresses come from the gateway's
public pool (:mod:`hive_gateway.core.ipam`). The EIP record is the source of truth of an association;
the interface record mirrors it (``association`` / ``public_ip_address``) for rendering.

AWS behaviours reproduced:

* Every address is a VPC address (``Domain=vpc``); ``Domain=standard`` is refused.
* ``ReleaseAddress`` of an associated address is ``InvalidIPAddress.InUse`` — except in a
  default VPC, where AWS disassociates it first. Releasing twice is
  ``InvalidAllocationID.NotFound`` (the provider treats that as gone).
* ``AssociateAddress`` targets an interface (``NetworkInterfaceId`` [+ ``PrivateIpAddress``]) or
  an instance's only interface; the VPC needs an attached internet gateway
  (``Gateway.NotAttached``); an address already associated elsewhere needs
  ``AllowReassociation`` (else ``Resource.AlreadyAssociated``); associating it again with the
  same target is idempotent. An address already on the target private IP is displaced (an EIP
  becomes unassociated, an auto-assigned public IP goes back to the pool).
* ``DisassociateAddress`` of an instance's primary address gives the instance a fresh
  auto-assigned public IP if it was launched with one, as AWS does.
* ``DescribeAddresses`` is not paginated (its model has no ``MaxResults``);
  ``DescribeAddressesAttribute`` always answers (the provider's ``aws_eip`` read fails on any
  error) and has no ``PtrRecord`` until ``ModifyAddressAttribute`` sets one.

For the instances module: :func:`addresses_of_instance`, :func:`release_instance_associations`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

from handlers import network_interfaces
from hive_gateway.hive import events
from hive_gateway.core import ipam
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.ids import new_id
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

LOG = logging.getLogger(__name__)

EIP: Final = KINDS["elastic-ip"]
ENI: Final = KINDS["network-interface"]
INSTANCE: Final = KINDS["instance"]
VPC: Final = KINDS["vpc"]
INTERNET_GATEWAY: Final = KINDS["internet-gateway"]

MAX_ADDRESSES: Final = 20
"""``vpc-max-elastic-ips`` (DescribeAccountAttributes)."""
DEFAULT_PUBLIC_IPV4_POOL: Final = "amazon"
_ASSOCIATION_FIELDS: Final = (
    "association_id",
    "eni_id",
    "instance_id",
    "private_ip",
    "vpc_id",
    "subnet_id",
    "mac_address",
    "network_interface_owner_id",
)


# --- errors --------------------------------------------------------------------------------------


def association_not_found(association_id: str) -> AwsError:
    """An association id that names no current association."""
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


def not_yours(public_ip: str) -> AwsError:
    """A public address the caller has not allocated (the provider treats it as gone)."""
    return AwsError("AuthFailure", f"The address '{public_ip}' does not belong to you.")


def service_managed(_resource_id: str = "") -> AwsError:
    """An association a service manages (a NAT gateway's address, its interface): AWS answers
    ``AuthFailure`` to releasing, re-associating or disassociating it."""
    return AwsError("AuthFailure", "You do not have permission to access the specified resource.")


async def check_changeable(ctx: RequestContext, eip: Mapping[str, Any]) -> None:
    """Refuse to change an address whose association a service holds: every family that does
    declares ``dependents.blocks("elastic-ip", by=…, event="association-change", …)``."""
    await dependents.check(
        ctx, "elastic-ip", dict(eip), event="association-change", violation=service_managed
    )


# --- rendering -----------------------------------------------------------------------------------


def address_to_api(ctx: RequestContext, record: Mapping[str, Any]) -> Record:
    """An EIP record in the ``Address`` shape."""
    out: Record = {
        "AllocationId": record["allocation_id"],
        "PublicIp": record["public_ip"],
        "Domain": str(record.get("domain") or "vpc"),
        "PublicIpv4Pool": str(record.get("public_ipv4_pool") or DEFAULT_PUBLIC_IPV4_POOL),
        "NetworkBorderGroup": str(
            record.get("network_border_group") or ctx.runtime.settings.region
        ),
        "Tags": api_tags(record_tags(record)),
    }
    if record.get("association_id"):
        out["AssociationId"] = record["association_id"]
        if record.get("eni_id"):
            out["NetworkInterfaceId"] = record["eni_id"]
            out["NetworkInterfaceOwnerId"] = str(
                record.get("network_interface_owner_id")
                or record.get("account_id")
                or ctx.account_id
            )
        if record.get("private_ip"):
            out["PrivateIpAddress"] = record["private_ip"]
        if record.get("instance_id"):
            out["InstanceId"] = record["instance_id"]
        if record.get("subnet_id"):
            out["SubnetId"] = record["subnet_id"]
    return out


ADDRESS_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "allocation-id": lambda a: a["AllocationId"],
        "association-id": lambda a: a.get("AssociationId"),
        "domain": lambda a: a["Domain"],
        "instance-id": lambda a: a.get("InstanceId"),
        "network-border-group": lambda a: a["NetworkBorderGroup"],
        "network-interface-id": lambda a: a.get("NetworkInterfaceId"),
        "network-interface-owner-id": lambda a: a.get("NetworkInterfaceOwnerId"),
        "private-ip-address": lambda a: a.get("PrivateIpAddress"),
        "public-ip": lambda a: a["PublicIp"],
    },
    tags=lambda a: {t["Key"]: t["Value"] for t in a["Tags"]},
    aliases={"allocationId": "allocation-id", "publicIp": "public-ip", "instanceId": "instance-id"},
)


# --- helpers ---------------------------------------------------------------------------------------


async def _by_public_ip(ctx: RequestContext, public_ip: str) -> Record:
    found = await records.where(ctx, EIP, public_ip=public_ip)
    if not found:
        raise not_yours(public_ip)
    return found[0]


async def _clear_eip(ctx: RequestContext, allocation_id: str, association_id: str | None) -> bool:
    """Mark the EIP unassociated if ``association_id`` is still its association; True if it was."""
    cleared: list[bool] = []

    def change(record: Record) -> Record:
        cleared.clear()
        if not record.get("association_id") or (
            association_id and record["association_id"] != association_id
        ):
            return record
        cleared.append(True)
        for field in _ASSOCIATION_FIELDS:
            record.pop(field, None)
        record["state"] = "allocated"
        return record

    await records.mutate(ctx, EIP, allocation_id, change, missing_ok=True)
    return bool(cleared)


async def _nat_event(
    ctx: RequestContext,
    subject: str,
    record: Mapping[str, Any],
    private_ip: str,
    eni: Mapping[str, Any] | None,
) -> None:
    """Hive's ``vpc.add-nat`` / ``vpc.delete-nat`` payload (``eip/service_impl.go``)."""
    await events.publish(
        ctx,
        subject,
        {
            "vpc_id": (eni or {}).get("vpc_id") or record.get("vpc_id") or "",
            "external_ip": record["public_ip"],
            "logical_ip": private_ip,
            "port_name": (eni or {}).get("network_interface_id") or record.get("eni_id") or "",
            "mac": (eni or {}).get("mac_address") or record.get("mac_address") or "",
        },
    )


async def _check_internet_gateway(ctx: RequestContext, vpc_id: str) -> None:
    """AWS refuses to map a public address into a VPC without an attached internet gateway."""
    for gateway in await records.list_records(ctx, INTERNET_GATEWAY):
        if gateway.get("vpc_id") == vpc_id:
            return
        if any(a.get("vpc_id") == vpc_id for a in gateway.get("attachments") or []):
            return
    raise AwsError(
        "Gateway.NotAttached", f"Network {vpc_id} is not attached to any internet gateway"
    )


def _state_name(instance: Mapping[str, Any]) -> str:
    state = instance.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "")
    return str(state or "")


# --- associating -----------------------------------------------------------------------------------


async def associate(
    ctx: RequestContext,
    eip: Mapping[str, Any],
    eni: Mapping[str, Any],
    private_ip: str,
    *,
    allow_reassociation: bool,
) -> str:
    """Associate the EIP with ``private_ip`` of the interface; returns the association id."""
    allocation_id = str(eip["allocation_id"])
    eni_id = str(eni["network_interface_id"])
    association_id = new_id("elastic-ip-association")
    outcome: dict[str, Any] = {}

    def claim(record: Record) -> Record:
        outcome.clear()
        existing = record.get("association_id")
        if existing:
            if record.get("eni_id") == eni_id and record.get("private_ip") == private_ip:
                outcome["same"] = existing
                return record
            if not allow_reassociation:
                raise AwsError(
                    "Resource.AlreadyAssociated",
                    f"resource {allocation_id} is already associated with associate-id {existing}",
                )
            outcome["previous"] = {"eni_id": record.get("eni_id"), "association_id": existing}
        record.update(
            association_id=association_id,
            eni_id=eni_id,
            private_ip=private_ip,
            vpc_id=eni["vpc_id"],
            subnet_id=eni["subnet_id"],
            mac_address=eni["mac_address"],
            network_interface_owner_id=str(eni.get("account_id") or ctx.account_id),
            state="associated",
        )
        if eni.get("attachment_id") and eni.get("instance_id"):
            record["instance_id"] = eni["instance_id"]
        else:
            record.pop("instance_id", None)
        return record

    stored = await records.mutate(ctx, EIP, allocation_id, claim)
    assert stored is not None
    if "same" in outcome:
        return str(outcome["same"])
    previous = outcome.get("previous")
    if previous and previous.get("eni_id"):
        await network_interfaces.clear_interface_association(
            ctx, str(previous["eni_id"]), str(previous["association_id"])
        )
    mapping = {
        "public_ip": stored["public_ip"],
        "allocation_id": allocation_id,
        "association_id": association_id,
        "ip_owner_id": ctx.account_id,
    }
    try:
        displaced = await network_interfaces.set_interface_association(
            ctx, eni_id, private_ip, mapping
        )
    except BaseException:
        await _clear_eip(ctx, allocation_id, association_id)
        raise
    if displaced:
        if displaced.get("allocation_id"):
            await _clear_eip(ctx, str(displaced["allocation_id"]), displaced.get("association_id"))
        else:
            await ipam.release_public_ip(ctx, str(displaced["public_ip"]))
    await ipam.update_public_ip(ctx, str(stored["public_ip"]), {"eni_id": eni_id})
    await _nat_event(ctx, "vpc.add-nat", stored, private_ip, eni)
    return association_id


async def disassociate(
    ctx: RequestContext, eip: Mapping[str, Any], *, restore_public: bool = True
) -> None:
    """Undo the EIP's current association (interface side included)."""
    association_id = eip.get("association_id")
    if not association_id:
        return
    if not await _clear_eip(ctx, str(eip["allocation_id"]), str(association_id)):
        return
    if eip.get("eni_id"):
        await network_interfaces.clear_interface_association(
            ctx, str(eip["eni_id"]), str(association_id), restore_public=restore_public
        )
    await ipam.update_public_ip(ctx, str(eip["public_ip"]), {"eni_id": None})
    await _nat_event(ctx, "vpc.delete-nat", eip, str(eip.get("private_ip") or ""), None)


# --- hooks for network interfaces and instances ---------------------------------------------------


async def _associated_with(ctx: RequestContext, eni_id: str) -> list[Record]:
    return [r for r in await records.where(ctx, EIP, eni_id=eni_id) if r.get("association_id")]


async def interface_gone(ctx: RequestContext, eni_id: str) -> None:
    """The interface was deleted: its EIPs become unassociated (they stay allocated)."""
    for record in await _associated_with(ctx, eni_id):
        if await _clear_eip(ctx, str(record["allocation_id"]), str(record["association_id"])):
            await ipam.update_public_ip(ctx, str(record["public_ip"]), {"eni_id": None})
            await _nat_event(
                ctx, "vpc.delete-nat", record, str(record.get("private_ip") or ""), None
            )


async def interface_ips_gone(ctx: RequestContext, eni_id: str, private_ips: Iterable[str]) -> None:
    """Secondary addresses were unassigned: EIPs on them become unassociated."""
    gone = set(private_ips)
    for record in await _associated_with(ctx, eni_id):
        if record.get("private_ip") in gone:
            await _clear_eip(ctx, str(record["allocation_id"]), str(record["association_id"]))


async def interface_instance_changed(
    ctx: RequestContext, eni_id: str, instance_id: str | None
) -> None:
    """The interface was attached to / detached from an instance: EIPs follow (``InstanceId``)."""
    for record in await _associated_with(ctx, eni_id):

        def change(current: Record, association_id: str = str(record["association_id"])) -> Record:
            if current.get("association_id") != association_id:
                return current
            if instance_id:
                current["instance_id"] = instance_id
            else:
                current.pop("instance_id", None)
            return current

        await records.mutate(ctx, EIP, str(record["allocation_id"]), change, missing_ok=True)


async def addresses_of_instance(ctx: RequestContext, instance_id: str) -> list[Record]:
    """The EIP records associated with the instance (through any of its interfaces)."""
    found = await records.where(ctx, EIP, instance_id=instance_id)
    return [r for r in found if r.get("association_id")]


async def release_instance_associations(ctx: RequestContext, instance_id: str) -> None:
    """On termination: EIPs on interfaces that die with the instance are disassociated; EIPs on
    interfaces that survive (delete-on-termination false) stay with the interface."""
    for record in await addresses_of_instance(ctx, instance_id):
        eni = (
            await records.find(ctx, ENI, str(record.get("eni_id") or ""))
            if record.get("eni_id")
            else None
        )
        dies = eni is None or (
            eni.get("instance_id") == instance_id and bool(eni.get("delete_on_termination"))
        )
        if dies:
            await disassociate(ctx, record, restore_public=False)
        elif eni is not None and eni.get("instance_id") != instance_id:
            await interface_instance_changed(
                ctx, str(eni["network_interface_id"]), eni.get("instance_id")
            )


# --- Elastic IPs follow their interface and instance (core.dependents) ---------------------------


@dependents.on("network-interface", "deleted")
async def _interface_deleted(ctx: RequestContext, eni: Record) -> None:
    await interface_gone(ctx, str(eni["network_interface_id"]))


@dependents.on("network-interface", "attached")
@dependents.on("network-interface", "detached")
async def _interface_instance_changed(ctx: RequestContext, eni: Record) -> None:
    await interface_instance_changed(
        ctx, str(eni["network_interface_id"]), eni.get("instance_id") or None
    )


@dependents.on("network-interface", "ips-unassigned")
async def _interface_ips_unassigned(ctx: RequestContext, eni: Record) -> None:
    await interface_ips_gone(
        ctx, str(eni["network_interface_id"]), eni[network_interfaces.UNASSIGNED]
    )


@dependents.on("instance", "terminated")
async def _instance_terminated(ctx: RequestContext, instance: Record) -> None:
    await release_instance_associations(ctx, str(instance["instance_id"]))


# --- actions -------------------------------------------------------------------------------------


@action("AllocateAddress")
async def allocate_address(ctx: RequestContext, params: Params) -> Result:
    """Allocate a VPC Elastic IP from the public pool (or the pool address ``Address``)."""
    domain = params.get("Domain") or "vpc"
    if domain != "vpc":
        raise invalid_parameter_value(
            f"The domain '{domain}' is not supported: Elastic IP addresses are for use in a VPC (domain vpc)."
        )
    for member in ("CustomerOwnedIpv4Pool", "IpamPoolId"):
        if params.get(member):
            raise AwsError("UnsupportedOperation", f"{member} is not supported by this gateway.")
    region = ctx.runtime.settings.region
    border_group = params.get("NetworkBorderGroup") or region
    if border_group != region:
        raise invalid_parameter_value(f"The network border group '{border_group}' is invalid.")
    pool = str(params.get("PublicIpv4Pool") or DEFAULT_PUBLIC_IPV4_POOL)
    tags = tags_from_specifications(params, "elastic-ip")
    if len(await records.list_records(ctx, EIP)) >= MAX_ADDRESSES:
        raise AwsError("AddressLimitExceeded", "The maximum number of addresses has been reached.")
    allocation_id = new_id("elastic-ip")
    public_ip = await ipam.allocate_public_ip(
        ctx,
        {"type": ipam.PURPOSE_EIP, "allocation_id": allocation_id},
        address=params.get("Address"),
    )
    record: Record = {
        "allocation_id": allocation_id,
        "public_ip": public_ip,
        "pool_name": ipam.PUBLIC_POOL_KEY,
        "state": "allocated",
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "domain": "vpc",
        "public_ipv4_pool": pool,
        "network_border_group": border_group,
    }
    try:
        await records.create(ctx, EIP, record)
    except BaseException:
        await ipam.release_public_ip(ctx, public_ip)
        raise
    return {
        "AllocationId": allocation_id,
        "PublicIp": public_ip,
        "Domain": "vpc",
        "PublicIpv4Pool": pool,
        "NetworkBorderGroup": border_group,
    }


async def _in_default_vpc(ctx: RequestContext, record: Mapping[str, Any]) -> bool:
    vpc_id = record.get("vpc_id")
    if not vpc_id:
        return False
    vpc = await records.find(ctx, VPC, str(vpc_id))
    return bool(vpc and vpc.get("is_default"))


@action("ReleaseAddress")
async def release_address(ctx: RequestContext, params: Params) -> Result:
    """Release an Elastic IP back to the pool (associated: ``InvalidIPAddress.InUse``)."""
    allocation_id = params.get("AllocationId")
    if not allocation_id:
        if params.get("PublicIp"):
            raise invalid_parameter_value(
                "You must specify an allocation id when releasing a VPC elastic IP address"
            )
        raise missing_parameter("AllocationId")
    record = await records.get(ctx, EIP, allocation_id)
    await check_changeable(ctx, record)
    border_group = params.get("NetworkBorderGroup")
    if border_group and border_group != (
        record.get("network_border_group") or ctx.runtime.settings.region
    ):
        raise AwsError("InvalidAddress.NotFound", f"Address '{record['public_ip']}' not found.")
    if record.get("association_id"):
        if not await _in_default_vpc(ctx, record):
            raise ipam.address_in_use(str(record["public_ip"]))
        await disassociate(ctx, record)

    def remove(current: Record) -> None:
        if current.get("association_id"):
            raise ipam.address_in_use(str(current["public_ip"]))

    await records.mutate(ctx, EIP, allocation_id, remove)
    await ipam.release_public_ip(ctx, str(record["public_ip"]))
    return None


@action("AssociateAddress")
async def associate_address(ctx: RequestContext, params: Params) -> Result:
    """Associate an Elastic IP with an interface (or an instance's only interface)."""
    allocation_id = params.get("AllocationId")
    if allocation_id:
        eip = await records.get(ctx, EIP, allocation_id)
    elif params.get("PublicIp"):
        eip = await _by_public_ip(ctx, str(params["PublicIp"]))
    else:
        raise missing_parameter("AllocationId")
    await check_changeable(ctx, eip)
    instance_id = params.get("InstanceId")
    eni_id = params.get("NetworkInterfaceId")
    if instance_id and eni_id:
        raise invalid_parameter_combination(
            "You can specify either an instance ID or a network interface ID, but not both."
        )
    if eni_id:
        eni = await records.get(ctx, ENI, eni_id)
    elif instance_id:
        eni = await _only_interface(ctx, instance_id)
    else:
        raise AwsError(
            "MissingParameter", "Either instance ID or network interface id must be specified"
        )
    if eni.get("requester_managed"):
        raise service_managed()
    private_ip = str(params.get("PrivateIpAddress") or eni["private_ip_address"])
    if private_ip not in network_interfaces.private_ips(eni):
        raise invalid_parameter_value(
            f"The specified private IP address {private_ip} is not assigned to network interface "
            f"{eni['network_interface_id']}."
        )
    await _check_internet_gateway(ctx, str(eni["vpc_id"]))
    association_id = await associate(
        ctx, eip, eni, private_ip, allow_reassociation=bool(params.get("AllowReassociation"))
    )
    return {"AssociationId": association_id}


async def _only_interface(ctx: RequestContext, instance_id: str) -> Record:
    instance = await records.get(ctx, INSTANCE, instance_id)
    state = _state_name(instance)
    if state == "pending":
        raise AwsError(
            "InvalidInstanceID",
            f"The pending instance '{instance_id}' is not in a valid state for this operation.",
        )
    if state in ("shutting-down", "terminated"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    interfaces = await network_interfaces.interfaces_of_instance(ctx, instance_id)
    if not interfaces:
        raise AwsError(
            "InvalidInstanceID",
            f"The instance '{instance_id}' has no network interface to associate the address with.",
        )
    if len(interfaces) > 1:
        raise AwsError(
            "InvalidInstanceID",
            f"There are multiple interfaces attached to instance '{instance_id}'. "
            "Please specify an interface ID for the operation instead.",
        )
    return interfaces[0]


@action("DisassociateAddress")
async def disassociate_address(ctx: RequestContext, params: Params) -> Result:
    """Disassociate by association id (``InvalidAssociationID.NotFound`` when unknown)."""
    association_id = params.get("AssociationId")
    if association_id:
        record = next(iter(await records.where(ctx, EIP, association_id=association_id)), None)
        if record is None:
            raise association_not_found(association_id)
    elif params.get("PublicIp"):
        record = await _by_public_ip(ctx, str(params["PublicIp"]))
    else:
        raise missing_parameter("AssociationId")
    await check_changeable(ctx, record)
    await disassociate(ctx, record)
    return None


@action("DescribeAddresses")
async def describe_addresses(ctx: RequestContext, params: Params) -> Result:
    """The caller's Elastic IPs by allocation id, public IP and filters (one page, as AWS)."""
    items = [address_to_api(ctx, record) for record in await records.list_records(ctx, EIP)]
    items = describe.select_wanted(
        items,
        list(params.get("AllocationIds") or []),
        "AllocationId",
        lambda absent: describe.not_found_error(EIP, absent),
    )
    items = describe.select_wanted(
        items,
        list(params.get("PublicIps") or []),
        "PublicIp",
        lambda absent: AwsError("InvalidAddress.NotFound", f"Address '{absent[0]}' not found."),
    )
    items = apply_filters(ADDRESS_FILTERS, params.get("Filters"), items)
    return {"Addresses": sorted(items, key=lambda item: str(item["AllocationId"]))}


def _attribute_api(record: Mapping[str, Any]) -> Record:
    out: Record = {"AllocationId": record["allocation_id"], "PublicIp": record["public_ip"]}
    if record.get("ptr_record"):
        out["PtrRecord"] = record["ptr_record"]
    return out


@action("DescribeAddressesAttribute")
async def describe_addresses_attribute(ctx: RequestContext, params: Params) -> Result:
    """``domain-name`` of each address: no ``PtrRecord`` unless one was set (paged)."""
    rows = await records.list_records(ctx, EIP)
    ids = list(params.get("AllocationIds") or [])
    if ids:
        describe.check_ids_exist(EIP, ids, {str(r["allocation_id"]) for r in rows})
        rows = [r for r in rows if r["allocation_id"] in set(ids)]
    page = paginate(
        [_attribute_api(r) for r in rows],
        params,
        key=lambda item: str(item["AllocationId"]),
        ids_param="AllocationIds",
    )
    return {"Addresses": page.items, **page.token_member()}


@action("ModifyAddressAttribute")
async def modify_address_attribute(ctx: RequestContext, params: Params) -> Result:
    """Set the reverse-DNS name (``PtrRecord``) of an address."""
    name = params.get("DomainName")
    if not name:
        raise missing_parameter("DomainName")
    record = await records.mutate(
        ctx, EIP, params["AllocationId"], lambda r: {**r, "ptr_record": str(name)}
    )
    assert record is not None
    return {"Address": _attribute_api(record)}


@action("ResetAddressAttribute")
async def reset_address_attribute(ctx: RequestContext, params: Params) -> Result:
    """Remove the reverse-DNS name of an address."""

    def reset(record: Record) -> Record:
        record.pop("ptr_record", None)
        return record

    updated = await records.mutate(ctx, EIP, params["AllocationId"], reset)
    assert updated is not None
    return {"Address": _attribute_api(updated)}
