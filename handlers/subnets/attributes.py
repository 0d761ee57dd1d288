"""``ModifySubnetAttribute``: one attribute a call, as AWS requires."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from handlers.subnets.constants import LIVE_CIDR_STATES, SUBNET
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action

# --- ModifySubnetAttribute --------------------------------------------------------------------------


def _flag(params: Mapping[str, Any], member: str) -> bool:
    value = params[member].get("Value") if isinstance(params[member], Mapping) else None
    if value is None:
        raise missing_parameter(_wire(member) + ".Value")
    return bool(value)


def _wire(member: str) -> str:
    return member[0].lower() + member[1:]


def _has_ipv6(record: Mapping[str, Any]) -> bool:
    return any(
        a.get("state", "associated") in LIVE_CIDR_STATES
        for a in record.get("ipv6_cidr_block_associations") or ()
    )


def _set_flag(field: str) -> Callable[[Record, Mapping[str, Any], str], Record]:
    def apply(record: Record, params: Mapping[str, Any], member: str) -> Record:
        return {**record, field: _flag(params, member)}

    return apply


def _assign_ipv6(record: Record, params: Mapping[str, Any], member: str) -> Record:
    value = _flag(params, member)
    if value and not _has_ipv6(record):
        raise invalid_parameter_value(
            "Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set "
            "assignIpv6AddressOnCreation to true unless the subnet "
            f"({record['subnet_id']}) has an IPv6 CIDR block associated with it."
        )
    return {**record, "assign_ipv6_address_on_creation": value}


def _customer_owned(record: Record, params: Mapping[str, Any], member: str) -> Record:
    value = _flag(params, member)
    pool = params.get("CustomerOwnedIpv4Pool")
    if value and not pool:
        raise missing_parameter("customerOwnedIpv4Pool")
    changed = {**record, "map_customer_owned_ip_on_launch": value}
    if pool:
        changed["customer_owned_ipv4_pool"] = pool
    elif not value:
        changed.pop("customer_owned_ipv4_pool", None)
    return changed


def _hostname_type(record: Record, params: Mapping[str, Any], member: str) -> Record:
    return {**record, "private_dns_hostname_type_on_launch": params[member]}


def _enable_lni(record: Record, params: Mapping[str, Any], member: str) -> Record:
    index = int(params[member])
    if index < 1:
        raise invalid_parameter_value(
            f"Value ({index}) for parameter enableLniAtDeviceIndex is invalid. "
            "The device index must be 1 or greater."
        )
    return {**record, "enable_lni_at_device_index": index}


def _disable_lni(record: Record, params: Mapping[str, Any], member: str) -> Record:
    if not _flag(params, member):
        return record
    return {k: v for k, v in record.items() if k != "enable_lni_at_device_index"}


#: Each attribute ``ModifySubnetAttribute`` accepts and how it changes the record.
SUBNET_ATTRIBUTES: Final[dict[str, Callable[[Record, Mapping[str, Any], str], Record]]] = {
    "MapPublicIpOnLaunch": _set_flag("map_public_ip_on_launch"),
    "AssignIpv6AddressOnCreation": _assign_ipv6,
    "MapCustomerOwnedIpOnLaunch": _customer_owned,
    "EnableDns64": _set_flag("enable_dns64"),
    "PrivateDnsHostnameTypeOnLaunch": _hostname_type,
    "EnableResourceNameDnsARecordOnLaunch": _set_flag(
        "enable_resource_name_dns_a_record_on_launch"
    ),
    "EnableResourceNameDnsAAAARecordOnLaunch": _set_flag(
        "enable_resource_name_dns_aaaa_record_on_launch"
    ),
    "EnableLniAtDeviceIndex": _enable_lni,
    "DisableLniAtDeviceIndex": _disable_lni,
}


@action("ModifySubnetAttribute")
async def modify_subnet_attribute(ctx: RequestContext, params: Params) -> Result:
    """Change exactly one attribute (AWS refuses several in one call)::

    ModifySubnetAttribute SubnetId=subnet-1&MapPublicIpOnLaunch.Value=true
    """
    given = [name for name in SUBNET_ATTRIBUTES if params.get(name) is not None]
    if params.get("CustomerOwnedIpv4Pool") and "MapCustomerOwnedIpOnLaunch" not in given:
        raise missing_parameter("mapCustomerOwnedIpOnLaunch")
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: " + ", ".join(_wire(n) for n in given)
        )
    if not given:
        raise AwsError(
            "MissingParameter", "The request must contain exactly one subnet attribute to modify"
        )
    member = given[0]
    change = SUBNET_ATTRIBUTES[member]
    await records.mutate(
        ctx, SUBNET, params["SubnetId"], lambda record: change(record, params, member)
    )
    return None
