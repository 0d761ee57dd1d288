"""The API shape of a subnet (free addresses included), its filters and ``DescribeSubnets``."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from handlers.subnets.constants import RESERVED_ADDRESSES, SUBNET
from handlers.subnets.zone import _zone_id
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags

# --- rendering --------------------------------------------------------------------------------------


def subnet_arn(ctx: RequestContext, record: Mapping[str, Any]) -> str:
    """``arn:aws:ec2:<region>:<account>:subnet/<id>`` (Terraform takes the ARN from the API)."""
    owner = record.get("account_id") or ctx.account_id
    return f"arn:aws:ec2:{ctx.runtime.settings.region}:{owner}:subnet/{record['subnet_id']}"


def available_addresses(record: Mapping[str, Any], used: int) -> int:
    """Size − 5 reserved − ``used`` (0 for an IPv6-only subnet)."""
    cidr = record.get("cidr_block")
    if not cidr:
        return 0
    size = ipaddress.ip_network(str(cidr), strict=False).num_addresses
    return max(0, size - RESERVED_ADDRESSES - used)


def subnet_to_api(
    ctx: RequestContext, record: Mapping[str, Any], *, used_addresses: int = 0
) -> dict[str, Any]:
    """A stored subnet in API form (``Subnet`` shape), with AWS's defaults for absent fields.

    ``used_addresses`` is how many private IPv4 addresses network interfaces hold in it.
    """
    subnet_id = record["subnet_id"]
    out: dict[str, Any] = {
        "AvailabilityZone": record.get("availability_zone"),
        "AvailabilityZoneId": _zone_id(ctx, record),
        "AvailableIpAddressCount": available_addresses(record, used_addresses),
        "CidrBlock": record.get("cidr_block") or None,
        "DefaultForAz": bool(record.get("is_default", False)),
        "MapPublicIpOnLaunch": bool(record.get("map_public_ip_on_launch", False)),
        "MapCustomerOwnedIpOnLaunch": bool(record.get("map_customer_owned_ip_on_launch", False)),
        "CustomerOwnedIpv4Pool": record.get("customer_owned_ipv4_pool") or None,
        "State": record.get("state", "available"),
        "SubnetId": subnet_id,
        "VpcId": record["vpc_id"],
        "OwnerId": record.get("account_id") or ctx.account_id,
        "AssignIpv6AddressOnCreation": bool(record.get("assign_ipv6_address_on_creation", False)),
        "Ipv6CidrBlockAssociationSet": [
            {
                "AssociationId": assoc["association_id"],
                "Ipv6CidrBlock": assoc["ipv6_cidr_block"],
                "Ipv6CidrBlockState": {"State": assoc.get("state", "associated")},
                "Ipv6AddressAttribute": "public",
                "IpSource": "amazon",
            }
            for assoc in record.get("ipv6_cidr_block_associations") or ()
        ],
        "Tags": api_tags(record_tags(record)),
        "SubnetArn": subnet_arn(ctx, record),
        "EnableDns64": bool(record.get("enable_dns64", False)),
        "Ipv6Native": bool(record.get("ipv6_native", False)),
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": record.get("private_dns_hostname_type_on_launch", "ip-name"),
            "EnableResourceNameDnsARecord": bool(
                record.get("enable_resource_name_dns_a_record_on_launch", False)
            ),
            "EnableResourceNameDnsAAAARecord": bool(
                record.get("enable_resource_name_dns_aaaa_record_on_launch", False)
            ),
        },
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
    }
    if record.get("enable_lni_at_device_index") is not None:
        out["EnableLniAtDeviceIndex"] = int(record["enable_lni_at_device_index"])
    return {key: value for key, value in out.items() if value is not None}


def _ipv6(item: Mapping[str, Any], member: str) -> list[Any]:
    values: list[Any] = []
    for assoc in item["Ipv6CidrBlockAssociationSet"]:
        value = assoc["Ipv6CidrBlockState"]["State"] if member == "State" else assoc.get(member)
        values.append(value)
    return values


def _dns(member: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda s: s["PrivateDnsNameOptionsOnLaunch"][member]


SUBNET_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "availability-zone": lambda s: s["AvailabilityZone"],
        "availability-zone-id": lambda s: s.get("AvailabilityZoneId"),
        "available-ip-address-count": lambda s: s["AvailableIpAddressCount"],
        "cidr-block": lambda s: s.get("CidrBlock"),
        "customer-owned-ipv4-pool": lambda s: s.get("CustomerOwnedIpv4Pool"),
        "default-for-az": lambda s: s["DefaultForAz"],
        "enable-dns64": lambda s: s["EnableDns64"],
        "enable-lni-at-device-index": lambda s: s.get("EnableLniAtDeviceIndex"),
        "ipv6-cidr-block-association.ipv6-cidr-block": lambda s: _ipv6(s, "Ipv6CidrBlock"),
        "ipv6-cidr-block-association.association-id": lambda s: _ipv6(s, "AssociationId"),
        "ipv6-cidr-block-association.state": lambda s: _ipv6(s, "State"),
        "ipv6-native": lambda s: s["Ipv6Native"],
        "map-customer-owned-ip-on-launch": lambda s: s["MapCustomerOwnedIpOnLaunch"],
        "map-public-ip-on-launch": lambda s: s["MapPublicIpOnLaunch"],
        "outpost-arn": lambda s: s.get("OutpostArn"),
        "owner-id": lambda s: s["OwnerId"],
        "private-dns-name-options-on-launch.hostname-type": _dns("HostnameType"),
        "private-dns-name-options-on-launch.enable-resource-name-dns-a-record": _dns(
            "EnableResourceNameDnsARecord"
        ),
        "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record": _dns(
            "EnableResourceNameDnsAAAARecord"
        ),
        "state": lambda s: s["State"],
        "subnet-arn": lambda s: s["SubnetArn"],
        "subnet-id": lambda s: s["SubnetId"],
        "vpc-id": lambda s: s["VpcId"],
    },
    tags=lambda s: {t["Key"]: t["Value"] for t in s.get("Tags", [])},
    aliases={
        # Legacy names the Terraform aws_subnet data source (and old SDKs) still send.
        "availabilityZone": "availability-zone",
        "availabilityZoneId": "availability-zone-id",
        "availableIpAddressCount": "available-ip-address-count",
        "cidr": "cidr-block",
        "cidrBlock": "cidr-block",
        "defaultForAz": "default-for-az",
        "subnetId": "subnet-id",
        "vpcId": "vpc-id",
    },
    indexes={"vpc-id": "vpc_id", "subnet-id": "subnet_id"},
)


# --- other kinds' records ------------------------------------------------------------------------------


def _eni_addresses(eni: Mapping[str, Any]) -> int:
    """Private IPv4 addresses an interface holds (at least its primary one)."""
    addresses: set[str] = set()
    if eni.get("private_ip_address"):
        addresses.add(str(eni["private_ip_address"]))
    for item in [
        *(eni.get("secondary_private_ip_addresses") or ()),
        *(eni.get("private_ip_addresses") or ()),
    ]:
        value = item.get("private_ip_address") if isinstance(item, Mapping) else item
        if value:
            addresses.add(str(value))
    return max(1, len(addresses))


async def addresses_in_use(ctx: RequestContext, subnet_ids: Sequence[str]) -> dict[str, int]:
    """Subnet id → private IPv4 addresses held by network interfaces in it, for
    ``subnet_ids`` (from the index of the interfaces' ``subnet_id``)."""
    kind = KINDS["network-interface"]
    interfaces = await records.any_of(ctx, kind, "subnet_id", list(subnet_ids))
    if interfaces is None:  # no index (no read replica)
        wanted = set(subnet_ids)
        interfaces = [
            r for r in await records.list_records(ctx, kind) if r.get("subnet_id") in wanted
        ]
    used: dict[str, int] = {}
    for eni in interfaces:
        subnet_id = eni.get("subnet_id")
        if subnet_id:
            used[subnet_id] = used.get(subnet_id, 0) + _eni_addresses(eni)
    return used


@action("DescribeSubnets")
async def describe_subnets(ctx: RequestContext, params: Params) -> Result:
    """Subnets by id, every documented filter (plus the legacy camelCase names) and page."""
    wanted = [str(i) for i in params.get("SubnetIds") or ()]

    async def render(stored: list[Record]) -> list[Record]:
        used = await addresses_in_use(ctx, [str(r["subnet_id"]) for r in stored])
        return [
            subnet_to_api(ctx, r, used_addresses=used.get(str(r["subnet_id"]), 0)) for r in stored
        ]

    page = await describe.describe_page(
        ctx,
        SUBNET,
        params,
        wanted,
        SUBNET_FILTERS,
        render,
        key=lambda item: str(item["SubnetId"]),
        missing=lambda absent: describe.not_found_error(SUBNET, absent),
        ids_param="SubnetIds",
    )
    return {"Subnets": page.items, **page.token_member()}
