"""Subnets: ``CreateSubnet``, ``DeleteSubnet``, ``DescribeSubnets``, ``ModifySubnetAttribute``,
``AssociateSubnetCidrBlock`` and ``DisassociateSubnetCidrBlock``.

AWS behaviour reproduced (and Hive's gaps closed, hive.md §2.4):

* the CIDR is /16–/28 and lies wholly inside one of the VPC's IPv4 CIDRs (``InvalidSubnet.Range``
  ``The CIDR '10.1.0.0/24' is invalid.``), and overlaps no other subnet of the VPC
  (``InvalidSubnet.Conflict``). The overlap rule is a compare-and-swap claim on the VPC's index
  (:mod:`hive_gateway.core.vpc_index`), so concurrent creates cannot both win;
* the zone must be one the gateway serves::

    CreateSubnet VpcId=vpc-1&CidrBlock=10.0.1.0/24&AvailabilityZone=nowhere-1z
    → InvalidParameterValue: Value (nowhere-1z) for parameter availabilityZone is invalid.
      Subnets can currently only be created in the following availability zones: ap-southeast-2a.

* every member Terraform reads has AWS's default (a missing ``PrivateDnsNameOptionsOnLaunch``
  panics older providers; ``EnableResourceNameDnsARecord=true`` is a perpetual diff);
* ``AvailableIpAddressCount`` is the size − 5 reserved − addresses used by network interfaces;
* ``DeleteSubnet`` refuses while network interfaces or instances remain (Hive never checks);
* ``ModifySubnetAttribute`` takes exactly one attribute per call and persists every one;
* a new subnet is associated with its VPC's default network ACL.

Records keep Hive's fields (``subnet_id, vpc_id, cidr_block, availability_zone, state,
is_default, map_public_ip_on_launch, tags, created_at``) and add ours; records Hive wrote read
with AWS's defaults for the fields they lack.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from hive_gateway.hive import events
from hive_gateway.core import ipam
from hive_gateway.core import vpc_index
from hive_gateway.core import clock, dependents, describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications
from hive_gateway.core.zones import zones

SUBNET: Final = KINDS["subnet"]
VPC: Final = KINDS["vpc"]

# What a subnet holds on to (architecture.md §2): a VPC with subnets cannot be deleted.
dependents.blocks("vpc", by="subnet", field="vpc_id")

MIN_PREFIX: Final = 16
MAX_PREFIX: Final = 28
IPV6_PREFIX: Final = 64
RESERVED_ADDRESSES: Final = 5
"""AWS reserves the first four addresses and the last one of every subnet."""

LIVE_CIDR_STATES: Final = ("associating", "associated")


# --- CIDR rules ---------------------------------------------------------------------------------------


def _parse(
    text: str, version: int, parameter: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``text`` as a network of ``version``; AWS's "not a valid CIDR block" otherwise."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        network = None
    if network is None or network.version != version or "/" not in text:
        raise invalid_parameter_value(
            f"Value ({text}) for parameter {parameter} is invalid. This is not a valid CIDR block."
        )
    return network


def _subnet_range(cidr: str) -> AwsError:
    return AwsError("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")


def vpc_ipv4_networks(vpc: Mapping[str, Any]) -> list[ipaddress.IPv4Network]:
    """The VPC's primary CIDR and every associated secondary one."""
    texts = [vpc.get("cidr_block")] + [
        a.get("cidr_block")
        for a in vpc.get("cidr_block_associations") or ()
        if a.get("state", "associated") in LIVE_CIDR_STATES
    ]
    networks: list[ipaddress.IPv4Network] = []
    for text in texts:
        if text:
            network = ipaddress.ip_network(str(text), strict=False)
            if isinstance(network, ipaddress.IPv4Network) and network not in networks:
                networks.append(network)
    return networks


def vpc_ipv6_networks(vpc: Mapping[str, Any]) -> list[ipaddress.IPv6Network]:
    """The VPC's associated IPv6 CIDRs (Amazon-provided /56s)."""
    networks: list[ipaddress.IPv6Network] = []
    for assoc in vpc.get("ipv6_cidr_block_associations") or ():
        text = assoc.get("ipv6_cidr_block")
        if text and assoc.get("state", "associated") in LIVE_CIDR_STATES:
            network = ipaddress.ip_network(str(text), strict=False)
            if isinstance(network, ipaddress.IPv6Network):
                networks.append(network)
    return networks


def check_ipv4_cidr(vpc: Mapping[str, Any], cidr: str) -> str:
    """The normalised subnet CIDR, after AWS's size and containment rules."""
    network = _parse(cidr, 4, "cidrBlock")
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        raise _subnet_range(cidr)
    assert isinstance(network, ipaddress.IPv4Network)
    if not any(network.subnet_of(outer) for outer in vpc_ipv4_networks(vpc)):
        raise _subnet_range(cidr)
    return str(network)


def check_ipv6_cidr(vpc: Mapping[str, Any], cidr: str) -> str:
    """The normalised /64, which must lie inside one of the VPC's IPv6 CIDRs."""
    network = _parse(cidr, 6, "ipv6CidrBlock")
    outer = vpc_ipv6_networks(vpc)
    if not outer:
        raise invalid_parameter_value(
            f"Value ({cidr}) for parameter ipv6CidrBlock is invalid. "
            f"The VPC '{vpc['vpc_id']}' has no IPv6 CIDR block."
        )
    assert isinstance(network, ipaddress.IPv6Network)
    if network.prefixlen != IPV6_PREFIX or not any(network.subnet_of(o) for o in outer):
        raise _subnet_range(cidr)
    return str(network)


# --- zones ---------------------------------------------------------------------------------------------


def resolve_zone(ctx: RequestContext, name: str | None, zone_id: str | None) -> tuple[str, str]:
    """(zone name, zone id) for ``AvailabilityZone`` / ``AvailabilityZoneId``; first zone by default."""
    served = zones(ctx)
    by_name = {z["ZoneName"]: z["ZoneId"] for z in served}
    by_id = {z["ZoneId"]: z["ZoneName"] for z in served}
    if name is not None and name not in by_name:
        raise invalid_parameter_value(
            f"Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only "
            f"be created in the following availability zones: {', '.join(by_name)}."
        )
    if zone_id is not None and zone_id not in by_id:
        raise invalid_parameter_value(
            f"Value ({zone_id}) for parameter availabilityZoneId is invalid. Subnets can currently "
            f"only be created in the following availability zones: {', '.join(by_id)}."
        )
    if name is not None and zone_id is not None and by_name[name] != zone_id:
        raise invalid_parameter_combination(
            f"The availability zone {name} does not have the zone id {zone_id}"
        )
    if name is not None:
        return name, by_name[name]
    if zone_id is not None:
        return by_id[zone_id], zone_id
    first = served[0]
    return first["ZoneName"], first["ZoneId"]


def _zone_id(ctx: RequestContext, record: Mapping[str, Any]) -> str | None:
    stored = record.get("availability_zone_id")
    if stored:
        return str(stored)
    for zone in zones(ctx):
        if zone["ZoneName"] == record.get("availability_zone"):
            return str(zone["ZoneId"])
    return None


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


async def addresses_in_use(ctx: RequestContext) -> dict[str, int]:
    """Subnet id → private IPv4 addresses held by network interfaces in it."""
    used: dict[str, int] = {}
    for eni in await records.list_records(ctx, KINDS["network-interface"]):
        subnet_id = eni.get("subnet_id")
        if subnet_id:
            used[subnet_id] = used.get(subnet_id, 0) + _eni_addresses(eni)
    return used


# --- claims --------------------------------------------------------------------------------------------


async def _release_all(ctx: RequestContext, vpc_id: str, subnet_id: str) -> None:
    await vpc_index.release_subnet(ctx, vpc_id, subnet_id)
    await vpc_index.release_subnet(ctx, vpc_id, vpc_index.ipv6_claim(subnet_id))


# --- create ---------------------------------------------------------------------------------------------


async def create_subnet_record(
    ctx: RequestContext,
    vpc: dict[str, Any],
    cidr: str,
    availability_zone: str,
    *,
    default_for_az: bool = False,
    map_public_ip_on_launch: bool = False,
    tags: dict[str, str] | None = None,
    availability_zone_id: str | None = None,
    ipv6_cidr_block: str | None = None,
    ipv6_native: bool = False,
) -> dict[str, Any]:
    """Validate, claim the CIDR(s), store the subnet, associate it with the default network ACL
    and publish ``vpc.create-subnet``. Any failure after the claim releases it.

    ``cidr`` may be empty only with ``ipv6_native``; an empty ``availability_zone`` (with no
    ``availability_zone_id``) means the gateway's first zone. Raises ``CreateSubnet``'s AWS errors
    (``InvalidSubnet.Range``, ``InvalidSubnet.Conflict``, ``InvalidParameterValue``, …).
    """
    vpc_id = vpc["vpc_id"]
    ipv4 = check_ipv4_cidr(vpc, cidr) if cidr else None
    ipv6 = check_ipv6_cidr(vpc, ipv6_cidr_block) if ipv6_cidr_block else None
    zone_name, zone_id = resolve_zone(ctx, availability_zone or None, availability_zone_id)
    subnet_id = new_id("subnet")
    record: Record = {
        "subnet_id": subnet_id,
        "vpc_id": vpc_id,
        "availability_zone": zone_name,
        "state": "available",
        "is_default": default_for_az,
        "map_public_ip_on_launch": map_public_ip_on_launch,
        "tags": dict(tags or {}),
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
        "availability_zone_id": zone_id,
        "assign_ipv6_address_on_creation": False,
        "enable_dns64": False,
        "ipv6_native": ipv6_native,
        "map_customer_owned_ip_on_launch": False,
        "private_dns_hostname_type_on_launch": "ip-name",
        "enable_resource_name_dns_a_record_on_launch": False,
        "enable_resource_name_dns_aaaa_record_on_launch": False,
        "ipv6_cidr_block_associations": [],
    }
    if ipv4:
        record["cidr_block"] = ipv4
    if ipv6:
        record["ipv6_cidr_block_associations"] = [
            {
                "association_id": new_id("subnet-cidr-assoc"),
                "ipv6_cidr_block": ipv6,
                "state": "associated",
            }
        ]
    claimed = False
    try:
        if ipv4:
            await vpc_index.claim_subnet(ctx, vpc_id, subnet_id, ipv4)
            claimed = True
        if ipv6:
            await vpc_index.claim_subnet(ctx, vpc_id, vpc_index.ipv6_claim(subnet_id), ipv6)
            claimed = True
        await records.create(ctx, SUBNET, record)
        try:
            await dependents.fire(ctx, "subnet", "created", record)
        except BaseException:
            await records.delete(ctx, SUBNET, subnet_id)
            raise
    except BaseException:
        if claimed:
            await _release_all(ctx, vpc_id, subnet_id)
        raise
    await events.publish(
        ctx,
        "vpc.create-subnet",
        {"subnet_id": subnet_id, "vpc_id": vpc_id, "cidr_block": ipv4 or ""},
    )
    return record


def _refuse_ipam(params: Mapping[str, Any], *names: str) -> None:
    """IPAM pools do not exist here: any pool id is unknown."""
    for name in names:
        pool = params.get(name)
        if pool:
            raise AwsError(
                "InvalidIpamPoolId.NotFound", f"The ipam pool ID '{pool}' does not exist"
            )


@action("CreateSubnet")
async def create_subnet(ctx: RequestContext, params: Params) -> Result:
    """A subnet in the VPC: ``CidrBlock`` (or ``Ipv6Native`` with ``Ipv6CidrBlock``), optional zone."""
    tags = tags_from_specifications(params, "subnet")
    _refuse_ipam(params, "Ipv4IpamPoolId", "Ipv6IpamPoolId")
    if params.get("OutpostArn"):
        raise invalid_parameter_value(
            f"Value ({params['OutpostArn']}) for parameter outpostArn is invalid. "
            "This gateway has no outposts."
        )
    vpc = await records.get(ctx, VPC, params["VpcId"])
    ipv6_native = bool(params.get("Ipv6Native"))
    cidr = params.get("CidrBlock")
    ipv6_cidr = params.get("Ipv6CidrBlock")
    if ipv6_native:
        if cidr:
            raise invalid_parameter_combination(
                "The parameter cidrBlock cannot be used with the parameter ipv6Native"
            )
        if not ipv6_cidr:
            raise missing_parameter("ipv6CidrBlock")
    elif not cidr:
        raise AwsError(
            "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided."
        )
    record = await create_subnet_record(
        ctx,
        vpc,
        cidr or "",
        params.get("AvailabilityZone") or "",
        tags=tags,
        availability_zone_id=params.get("AvailabilityZoneId"),
        ipv6_cidr_block=ipv6_cidr,
        ipv6_native=ipv6_native,
    )
    return {"Subnet": subnet_to_api(ctx, record)}


# --- delete / describe --------------------------------------------------------------------------------


@action("DeleteSubnet")
async def delete_subnet(ctx: RequestContext, params: Params) -> Result:
    """Delete a subnet with no network interfaces or instances; frees its CIDRs and associations."""
    subnet_id = params["SubnetId"]
    subnet = await dependents.delete_guarded(ctx, SUBNET, subnet_id)
    await _release_all(ctx, subnet["vpc_id"], subnet_id)
    await ipam.forget_subnet(ctx, subnet_id)
    await events.publish(
        ctx,
        "vpc.delete-subnet",
        {
            "subnet_id": subnet_id,
            "vpc_id": subnet["vpc_id"],
            "cidr_block": subnet.get("cidr_block", ""),
        },
    )
    return None


@action("DescribeSubnets")
async def describe_subnets(ctx: RequestContext, params: Params) -> Result:
    """Subnets by id, every documented filter (plus the legacy camelCase names) and page."""
    used = await addresses_in_use(ctx)

    def render(c: RequestContext, record: Record) -> Record:
        return subnet_to_api(c, record, used_addresses=used.get(record["subnet_id"], 0))

    return await describe.describe(
        ctx,
        SUBNET,
        params,
        ids_param="SubnetIds",
        result_key="Subnets",
        spec=SUBNET_FILTERS,
        to_api=render,
    )


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


# --- IPv6 CIDR association ---------------------------------------------------------------------------


def _association_api(subnet_id: str, assoc: Mapping[str, Any], state: str) -> Record:
    return {
        "Ipv6CidrBlockAssociation": {
            "AssociationId": assoc["association_id"],
            "Ipv6CidrBlock": assoc["ipv6_cidr_block"],
            "Ipv6CidrBlockState": {"State": state},
            "Ipv6AddressAttribute": "public",
            "IpSource": "amazon",
        },
        "SubnetId": subnet_id,
    }


def _already_associated(subnet_id: str) -> AwsError:
    return invalid_parameter_value(
        f"The subnet '{subnet_id}' already has an associated IPv6 CIDR block"
    )


@action("AssociateSubnetCidrBlock")
async def associate_subnet_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Give the subnet its one IPv6 /64, inside the VPC's /56 and overlapping no other subnet."""
    _refuse_ipam(params, "Ipv6IpamPoolId")
    subnet_id = params["SubnetId"]
    subnet = await records.get(ctx, SUBNET, subnet_id)
    text = params.get("Ipv6CidrBlock")
    if not text:
        raise missing_parameter("ipv6CidrBlock")
    vpc = await records.get(ctx, VPC, subnet["vpc_id"])
    cidr = check_ipv6_cidr(vpc, str(text))
    if _has_ipv6(subnet):
        raise _already_associated(subnet_id)
    await vpc_index.claim_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id), cidr)
    assoc = {
        "association_id": new_id("subnet-cidr-assoc"),
        "ipv6_cidr_block": cidr,
        "state": "associated",
    }

    def add(record: Record) -> Record:
        if _has_ipv6(record):
            raise _already_associated(subnet_id)
        return {
            **record,
            "ipv6_cidr_block_associations": [
                *(record.get("ipv6_cidr_block_associations") or []),
                assoc,
            ],
        }

    try:
        await records.mutate(ctx, SUBNET, subnet_id, add)
    except BaseException:
        await vpc_index.release_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id))
        raise
    return _association_api(subnet_id, assoc, "associated")


def _find_association(rows: Iterable[Record], association_id: str) -> tuple[Record, Record] | None:
    for record in rows:
        for assoc in record.get("ipv6_cidr_block_associations") or ():
            if assoc.get("association_id") == association_id:
                return record, assoc
    return None


@action("DisassociateSubnetCidrBlock")
async def disassociate_subnet_cidr_block(ctx: RequestContext, params: Params) -> Result:
    """Remove a subnet's IPv6 CIDR by association id (``assign_ipv6_address_on_creation`` is
    switched off with it, since it needs an IPv6 CIDR)."""
    association_id = params["AssociationId"]
    found = _find_association(await records.list_records(ctx, SUBNET), association_id)
    if found is None:
        raise AwsError(
            "InvalidSubnetCidrBlockAssociationID.NotFound",
            f"The subnet CIDR block with association ID '{association_id}' does not exist",
        )
    subnet, assoc = found
    subnet_id = subnet["subnet_id"]

    def drop(record: Record) -> Record:
        kept = [
            a
            for a in record.get("ipv6_cidr_block_associations") or ()
            if a.get("association_id") != association_id
        ]
        return {
            **record,
            "ipv6_cidr_block_associations": kept,
            "assign_ipv6_address_on_creation": False,
        }

    await records.mutate(ctx, SUBNET, subnet_id, drop)
    await vpc_index.release_subnet(ctx, subnet["vpc_id"], vpc_index.ipv6_claim(subnet_id))
    return _association_api(subnet_id, assoc, "disassociating")
