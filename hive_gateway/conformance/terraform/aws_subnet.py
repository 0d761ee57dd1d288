"""``aws_subnet`` (``vpc_subnet.go``): CreateSubnet, the ``available`` waiter, then one
``ModifySubnetAttribute`` + waiter per attribute that differs from the subnet the waiter returned
(``MapPublicIpOnLaunch`` last). Read flattens every attribute, including
``PrivateDnsNameOptionsOnLaunch`` (all nil when absent); Delete sweeps lingering ENIs and retries
``DependencyViolation``, with no waiter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from hive_gateway.conformance.runner import Harness, wait_for_state
from hive_gateway.conformance.terraform.common import (
    delete_lingering_enis,
    tag_specifications,
    tags_out,
    update_tags,
)
from hive_gateway.conformance.terraform.config import DefaultSubnetConfig, Obj, State, SubnetConfig
from hive_gateway.conformance.terraform.finders import SUBNET_GONE, find, retry_new, status


def _private_dns(subnet: Mapping[str, Any]) -> Mapping[str, Any]:
    options = subnet.get("PrivateDnsNameOptionsOnLaunch")
    return options if isinstance(options, Mapping) else {}


SUBNET_BOOL_ATTRIBUTES: Final[tuple[tuple[str, str, Callable[[Mapping[str, Any]], Any]], ...]] = (
    (
        "assign_ipv6_address_on_creation",
        "AssignIpv6AddressOnCreation",
        lambda s: s.get("AssignIpv6AddressOnCreation"),
    ),
    ("enable_dns64", "EnableDns64", lambda s: s.get("EnableDns64")),
    (
        "enable_resource_name_dns_aaaa_record_on_launch",
        "EnableResourceNameDnsAAAARecordOnLaunch",
        lambda s: _private_dns(s).get("EnableResourceNameDnsAAAARecord"),
    ),
    (
        "enable_resource_name_dns_a_record_on_launch",
        "EnableResourceNameDnsARecordOnLaunch",
        lambda s: _private_dns(s).get("EnableResourceNameDnsARecord"),
    ),
    ("map_public_ip_on_launch", "MapPublicIpOnLaunch", lambda s: s.get("MapPublicIpOnLaunch")),
)
"""(state attribute, ModifySubnetAttribute member, how the waiter reads it), in the provider's
order (``MapPublicIpOnLaunch`` last)."""


def modify_subnet_attribute(
    h: Harness, subnet_id: str, member: str, value: bool | str, read: Callable[[Obj], Any]
) -> None:
    """``ModifySubnetAttribute(SubnetId, <one attribute>)`` then poll ``DescribeSubnets`` until the
    field reads the new value (the provider's per-attribute waiters)."""
    argument: Any = value if isinstance(value, str) else {"Value": value}
    h.call("ModifySubnetAttribute", SubnetId=subnet_id, **{member: argument})
    expected = value if isinstance(value, str) else str(value).lower()
    wait_for_state(
        status(
            lambda: find(h, "subnet", subnet_id),
            lambda s: str(read(s)) if isinstance(value, str) else str(bool(read(s))).lower(),
        ),
        pending=(),
        target=(expected,),
        what=f"subnet {subnet_id} {member}",
        timeout=h.timeout,
        poll=h.poll,
    )


def _subnet_wanted(config: SubnetConfig | DefaultSubnetConfig) -> dict[str, bool]:
    if isinstance(config, DefaultSubnetConfig):
        return {
            "assign_ipv6_address_on_creation": False,
            "enable_dns64": False,
            "enable_resource_name_dns_aaaa_record_on_launch": False,
            "enable_resource_name_dns_a_record_on_launch": False,
            "map_public_ip_on_launch": config.map_public_ip_on_launch,
        }
    return {
        "assign_ipv6_address_on_creation": config.assign_ipv6_address_on_creation,
        "enable_dns64": config.enable_dns64,
        "enable_resource_name_dns_aaaa_record_on_launch": config.enable_resource_name_dns_aaaa_record_on_launch,
        "enable_resource_name_dns_a_record_on_launch": config.enable_resource_name_dns_a_record_on_launch,
        "map_public_ip_on_launch": config.map_public_ip_on_launch,
    }


def modify_subnet_on_create(
    h: Harness, subnet: Obj, config: SubnetConfig | DefaultSubnetConfig
) -> None:
    """``modifySubnetAttributesOnCreate``: only attributes whose configured value differs from
    the subnet the waiter returned, one call each; the private-DNS ones only when
    ``PrivateDnsNameOptionsOnLaunch`` is present; ``MapPublicIpOnLaunch`` last."""
    subnet_id = str(subnet["SubnetId"])
    wanted = _subnet_wanted(config)
    has_private_dns = isinstance(subnet.get("PrivateDnsNameOptionsOnLaunch"), Mapping)
    for state_name, member, read in SUBNET_BOOL_ATTRIBUTES:
        if "resource_name" in state_name and not has_private_dns:
            continue
        if wanted[state_name] != bool(read(subnet)):
            modify_subnet_attribute(h, subnet_id, member, wanted[state_name], read)
        if state_name == "enable_resource_name_dns_a_record_on_launch" and isinstance(
            config, SubnetConfig
        ):
            hostname = config.private_dns_hostname_type_on_launch
            if (
                has_private_dns
                and hostname
                and hostname != _private_dns(subnet).get("HostnameType")
            ):
                modify_subnet_attribute(
                    h,
                    subnet_id,
                    "PrivateDnsHostnameTypeOnLaunch",
                    hostname,
                    lambda s: _private_dns(s).get("HostnameType"),
                )


def create_subnet(h: Harness, config: SubnetConfig) -> tuple[str, State]:
    """``resourceSubnetCreate``: CreateSubnet → wait available → attribute modifications → Read."""
    params: Obj = {"VpcId": config.vpc_id, **tag_specifications("subnet", config.tags)}
    if config.availability_zone:
        params["AvailabilityZone"] = config.availability_zone
    params["CidrBlock"] = config.cidr_block
    response = h.call("CreateSubnet", **params)
    assert response is not None
    subnet_id = str(response["Subnet"]["SubnetId"])
    subnet = wait_for_state(
        status(lambda: find(h, "subnet", subnet_id), lambda s: str(s.get("State", ""))),
        pending=("pending",),
        target=("available",),
        what=f"subnet {subnet_id} create",
        timeout=h.timeout,
        poll=h.poll,
    )
    assert subnet is not None
    modify_subnet_on_create(h, subnet, config)
    return subnet_id, retry_new(h, True, lambda: read_subnet(h, subnet_id))


def flatten_subnet(h: Harness, subnet: Mapping[str, Any]) -> State:
    """The attributes ``resourceSubnetRead`` sets (ARN taken from the API)."""
    private_dns = subnet.get("PrivateDnsNameOptionsOnLaunch")
    state: State = {
        "id": subnet.get("SubnetId"),
        "arn": subnet.get("SubnetArn"),
        "assign_ipv6_address_on_creation": bool(subnet.get("AssignIpv6AddressOnCreation")),
        "availability_zone": subnet.get("AvailabilityZone"),
        "availability_zone_id": subnet.get("AvailabilityZoneId"),
        "cidr_block": subnet.get("CidrBlock"),
        "customer_owned_ipv4_pool": subnet.get("CustomerOwnedIpv4Pool", ""),
        "enable_dns64": bool(subnet.get("EnableDns64")),
        "enable_lni_at_device_index": int(subnet.get("EnableLniAtDeviceIndex") or 0),
        "ipv6_native": bool(subnet.get("Ipv6Native")),
        "map_customer_owned_ip_on_launch": bool(subnet.get("MapCustomerOwnedIpOnLaunch")),
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
        "outpost_arn": subnet.get("OutpostArn", ""),
        "owner_id": subnet.get("OwnerId"),
        "vpc_id": subnet.get("VpcId"),
        "ipv6_cidr_block": "",
        "ipv6_cidr_block_association_id": "",
    }
    for association in subnet.get("Ipv6CidrBlockAssociationSet") or []:
        # Dereferenced without a nil check by the provider.
        if association["Ipv6CidrBlockState"]["State"] == "associated":
            state["ipv6_cidr_block"] = association.get("Ipv6CidrBlock", "")
            state["ipv6_cidr_block_association_id"] = association.get("AssociationId", "")
            break
    if isinstance(private_dns, Mapping):
        state["enable_resource_name_dns_aaaa_record_on_launch"] = bool(
            private_dns.get("EnableResourceNameDnsAAAARecord")
        )
        state["enable_resource_name_dns_a_record_on_launch"] = bool(
            private_dns.get("EnableResourceNameDnsARecord")
        )
        state["private_dns_hostname_type_on_launch"] = private_dns.get("HostnameType")
    else:
        state["enable_resource_name_dns_aaaa_record_on_launch"] = None
        state["enable_resource_name_dns_a_record_on_launch"] = None
        state["private_dns_hostname_type_on_launch"] = None
    state["tags"] = tags_out(subnet.get("Tags"))
    return state


def read_subnet(h: Harness, subnet_id: str) -> State:
    """``resourceSubnetRead``."""
    return flatten_subnet(h, find(h, "subnet", subnet_id))


def update_subnet(
    h: Harness,
    subnet_id: str,
    old: SubnetConfig | DefaultSubnetConfig,
    new: SubnetConfig | DefaultSubnetConfig,
) -> State:
    """Tags, then one ``ModifySubnetAttribute`` + waiter per changed attribute, then Read."""
    update_tags(h, subnet_id, old.tags, new.tags)
    before, after = _subnet_wanted(old), _subnet_wanted(new)
    for state_name, member, read in SUBNET_BOOL_ATTRIBUTES:
        if before[state_name] != after[state_name]:
            modify_subnet_attribute(h, subnet_id, member, after[state_name], read)
    return read_subnet(h, subnet_id)


def delete_subnet(h: Harness, subnet_id: str) -> None:
    """Lingering ENIs, then ``DeleteSubnet`` retried on ``DependencyViolation``; no waiter."""
    delete_lingering_enis(h, "subnet-id", subnet_id)
    h.call(
        "DeleteSubnet", tolerate=SUBNET_GONE, retry_on=("DependencyViolation",), SubnetId=subnet_id
    )
