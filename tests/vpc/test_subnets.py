"""Subnets end to end: real boto3 against a real gateway (handlers/subnets/).

VPCs come from ``CreateVpc`` when it is implemented; VPCs with IPv6 or secondary CIDRs (and every
VPC until ``CreateVpc`` exists) are seeded the way ``CreateVpc`` stores them: claim index, record,
default network ACL, default DHCP options. The helpers here are shared by the other VPC-family
tests of this family (network ACLs, DHCP options).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import route_tables
from handlers.dhcp_options import default_dhcp_options_id
from handlers.network_acls import create_default_network_acl
from hive_gateway.core import vpc_index
from hive_gateway.core import clock, records
from hive_gateway.conformance.xml_check import assert_error_envelope
from hive_gateway.core.context import RequestContext
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import lookup
from hive_gateway.core.kinds import KINDS
from kv.buckets import account_key
from kv.memory import MemoryStore
from kv.nats_store import NatsStore
from kv.store import Store
from tests.fixtures.gateway import Credentials, RunningGateway, start_gateway
from tests.helpers import (
    ADMIN,
    RecordingBus,
    admin_send,
    assert_matches_model,
    error_of,
    put_raw,
    request_context,
)

# --- shared helpers ----------------------------------------------------------------------------------


def make_vpc(
    gateway: RunningGateway,
    cidr: str = "10.0.0.0/16",
    *,
    creds: Credentials | None = None,
    ipv6: str | None = None,
    secondary: Sequence[str] = (),
    force_seed: bool = False,
) -> str:
    """A VPC of the account of ``creds`` (admin by default); returns its id."""
    account = (creds or gateway.admin).account_id
    if ipv6 is None and not secondary and not force_seed and lookup("ec2", "CreateVpc"):
        return str(gateway.client("ec2", creds=creds).create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"])
    ctx = request_context(gateway, account)

    async def seed() -> str:
        vpc_id = new_id("vpc")
        await vpc_index.create(ctx, vpc_id)
        hexpart = vpc_id.split("-", 1)[1]
        record: dict[str, Any] = {
            "vpc_id": vpc_id,
            "cidr_block": cidr,
            "state": "available",
            "is_default": False,
            "enable_dns_hostnames": False,
            "enable_dns_support": True,
            "tags": {},
            "created_at": clock.utc_now(),
            "account_id": account,
            "instance_tenancy": "default",
            "dhcp_options_id": await default_dhcp_options_id(ctx),
            "cidr_block_associations": [
                {
                    "association_id": f"vpc-cidr-assoc-{hexpart}",
                    "cidr_block": cidr,
                    "state": "associated",
                }
            ]
            + [
                {"association_id": new_id("vpc-cidr-assoc"), "cidr_block": c, "state": "associated"}
                for c in secondary
            ],
            "ipv6_cidr_block_associations": [
                {
                    "association_id": new_id("vpc-cidr-assoc"),
                    "ipv6_cidr_block": ipv6,
                    "state": "associated",
                }
            ]
            if ipv6
            else [],
        }
        await records.create(ctx, KINDS["vpc"], record)
        await create_default_network_acl(ctx, record)
        return vpc_id

    return gateway.run(seed())


def seed_raw(
    gateway: RunningGateway, logical: str, account: str, resource_id: str, record: dict[str, Any]
) -> None:
    """Write a record straight into a bucket (kinds owned by others, e.g. network interfaces)."""
    put_raw(gateway, logical, account_key(account, resource_id), record)


def subnet_of(ec2: Any, subnet_id: str) -> dict[str, Any]:
    subnets = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    assert len(subnets) == 1
    return dict(subnets[0])


@pytest.fixture
def zoned(tmp_path: Path) -> Iterator[RunningGateway]:
    """A gateway serving three zones."""

    async def memory() -> Store:
        return MemoryStore()

    running = start_gateway(
        memory, tmp_path, azs=("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c")
    )
    yield running
    running._stop()


# --- CreateSubnet -----------------------------------------------------------------------------------


def test_create_subnet_returns_every_member_terraform_reads_with_aws_defaults(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]
    subnet_id = subnet["SubnetId"]
    assert subnet_id.startswith("subnet-") and len(subnet_id) == len("subnet-") + 17
    expected = {
        "VpcId": vpc_id,
        "CidrBlock": "10.0.1.0/24",
        "State": "available",
        "AvailabilityZone": "ap-southeast-2a",
        "AvailabilityZoneId": "apse2-az1",
        "AvailableIpAddressCount": 251,
        "DefaultForAz": False,
        "MapPublicIpOnLaunch": False,
        "MapCustomerOwnedIpOnLaunch": False,
        "AssignIpv6AddressOnCreation": False,
        "EnableDns64": False,
        "Ipv6Native": False,
        "OwnerId": ADMIN,
        "SubnetArn": f"arn:aws:ec2:ap-southeast-2:{ADMIN}:subnet/{subnet_id}",
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": False,
            "EnableResourceNameDnsAAAARecord": False,
        },
        "Ipv6CidrBlockAssociationSet": [],
    }
    for key, value in expected.items():
        assert subnet[key] == value, key
    assert "EnableLniAtDeviceIndex" not in subnet
    assert "CustomerOwnedIpv4Pool" not in subnet
    assert subnet_of(ec2, subnet_id) == subnet


def test_create_subnet_applies_tag_specifications(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.2.0/24",
        TagSpecifications=[
            {
                "ResourceType": "subnet",
                "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "env", "Value": "prod"}],
            }
        ],
    )["Subnet"]
    assert subnet["Tags"] == [{"Key": "Name", "Value": "web"}, {"Key": "env", "Value": "prod"}]
    assert subnet_of(ec2, subnet["SubnetId"])["Tags"] == subnet["Tags"]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [subnet["SubnetId"]]}])[
        "Tags"
    ]
    assert {(t["Key"], t["Value"]) for t in tags} == {("Name", "web"), ("env", "prod")}


def test_create_subnet_refuses_a_tag_specification_for_another_type(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock="10.0.2.0/24",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_of(exc) == (
        "InvalidParameterValue",
        "'vpc' is not a valid taggable resource type for this operation.",
    )


def test_create_subnet_in_unknown_vpc_is_vpc_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.1.0/24")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )


def test_create_subnet_without_cidr_is_missing_parameter(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id)
    assert error_of(exc) == (
        "MissingParameter",
        "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
    )


@pytest.mark.parametrize(
    ("cidr", "code", "message"),
    [
        ("10.0.0.0/29", "InvalidSubnet.Range", "The CIDR '10.0.0.0/29' is invalid."),
        ("10.0.0.0/15", "InvalidSubnet.Range", "The CIDR '10.0.0.0/15' is invalid."),
        ("10.1.0.0/24", "InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid."),
        ("9.255.255.0/23", "InvalidSubnet.Range", "The CIDR '9.255.255.0/23' is invalid."),
        (
            "10.0.300.0/24",
            "InvalidParameterValue",
            "Value (10.0.300.0/24) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
        ),
        (
            "10.0.1.0",
            "InvalidParameterValue",
            "Value (10.0.1.0) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
        ),
        (
            "2001:db8::/64",
            "InvalidParameterValue",
            "Value (2001:db8::/64) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
        ),
    ],
)
def test_create_subnet_cidr_rules(
    gateway: RunningGateway, ec2: Any, cidr: str, code: str, message: str
) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)
    assert error_of(exc) == (code, message)


def test_create_subnet_accepts_the_size_limits_and_normalises_the_cidr(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway, "10.0.0.0/16")
    whole = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/16")["Subnet"]
    assert whole["AvailableIpAddressCount"] == 65536 - 5
    ec2.delete_subnet(SubnetId=whole["SubnetId"])
    tiny = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.5.7/28")["Subnet"]
    assert tiny["CidrBlock"] == "10.0.5.0/28"
    assert tiny["AvailableIpAddressCount"] == 11


def test_create_subnet_inside_a_secondary_vpc_cidr(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, "10.0.0.0/16", secondary=["10.1.0.0/16"])
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.4.0/24")["Subnet"]
    assert subnet["CidrBlock"] == "10.1.4.0/24"
    with pytest.raises(ClientError) as exc:  # spans both blocks: inside neither
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/15")
    assert error_of(exc)[0] == "InvalidSubnet.Range"


def test_overlapping_subnet_is_a_conflict_and_other_vpcs_are_independent(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.128/25")
    assert error_of(exc) == (
        "InvalidSubnet.Conflict",
        "The CIDR '10.0.1.128/25' conflicts with another subnet",
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    other_vpc = make_vpc(gateway)
    assert (
        ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.0.1.0/24")["Subnet"]["VpcId"] == other_vpc
    )


def test_failed_create_leaves_no_claim_behind(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError):
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="nowhere-1z")
    assert (
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["CidrBlock"]
        == "10.0.1.0/24"
    )


# --- zones -------------------------------------------------------------------------------------------


def test_zone_by_name_by_id_and_default(zoned: RunningGateway) -> None:
    ec2 = zoned.client("ec2")
    vpc_id = make_vpc(zoned)
    by_name = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="ap-southeast-2b"
    )["Subnet"]
    assert (by_name["AvailabilityZone"], by_name["AvailabilityZoneId"]) == (
        "ap-southeast-2b",
        "apse2-az2",
    )
    by_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24", AvailabilityZoneId="apse2-az3")[
        "Subnet"
    ]
    assert (by_id["AvailabilityZone"], by_id["AvailabilityZoneId"]) == ("ap-southeast-2c", "apse2-az3")
    both = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.3.0/24",
        AvailabilityZone="ap-southeast-2c",
        AvailabilityZoneId="apse2-az3",
    )["Subnet"]
    assert both["AvailabilityZone"] == "ap-southeast-2c"
    default = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.4.0/24")["Subnet"]
    assert (default["AvailabilityZone"], default["AvailabilityZoneId"]) == (
        "ap-southeast-2a",
        "apse2-az1",
    )


def test_unknown_zone_names_the_zones_subnets_can_use(zoned: RunningGateway) -> None:
    ec2 = zoned.client("ec2")
    vpc_id = make_vpc(zoned)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    assert error_of(exc) == (
        "InvalidParameterValue",
        (
            "Value (us-east-1a) for parameter availabilityZone is invalid. Subnets can currently only be "
            "created in the following availability zones: ap-southeast-2a, ap-southeast-2b, ap-southeast-2c."
        ),
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZoneId="use1-az1")
    assert error_of(exc) == (
        "InvalidParameterValue",
        (
            "Value (use1-az1) for parameter availabilityZoneId is invalid. Subnets can currently only be "
            "created in the following availability zones: apse2-az1, apse2-az2, apse2-az3."
        ),
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock="10.0.1.0/24",
            AvailabilityZone="ap-southeast-2a",
            AvailabilityZoneId="apse2-az2",
        )
    assert error_of(exc)[0] == "InvalidParameterCombination"


# --- IPv6 --------------------------------------------------------------------------------------------

VPC6 = "2600:1f18:aa:bb00::/56"


def test_dual_stack_subnet_gets_an_associated_ipv6_block(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    subnet = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.1.0/24", Ipv6CidrBlock="2600:1f18:aa:bb01::/64"
    )["Subnet"]
    [assoc] = subnet["Ipv6CidrBlockAssociationSet"]
    assert assoc["Ipv6CidrBlock"] == "2600:1f18:aa:bb01::/64"
    assert assoc["Ipv6CidrBlockState"] == {"State": "associated"}
    assert assoc["AssociationId"].startswith("subnet-cidr-assoc-")
    with pytest.raises(ClientError) as exc:  # same /64 elsewhere
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock="10.0.2.0/24", Ipv6CidrBlock="2600:1f18:aa:bb01::/64"
        )
    assert error_of(exc) == (
        "InvalidSubnet.Conflict",
        "The CIDR '2600:1f18:aa:bb01::/64' conflicts with another subnet",
    )
    # the failed create released its IPv4 claim too
    assert (
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["CidrBlock"]
        == "10.0.2.0/24"
    )


@pytest.mark.parametrize(
    ("ipv6", "code"),
    [
        ("2600:1f18:aa:cc00::/64", "InvalidSubnet.Range"),  # outside the /56
        ("2600:1f18:aa:bb00::/60", "InvalidSubnet.Range"),  # not a /64
        ("2600:1f18:aa:bb00::", "InvalidParameterValue"),  # not a CIDR
    ],
)
def test_ipv6_subnet_block_rules(gateway: RunningGateway, ec2: Any, ipv6: str, code: str) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=ipv6)
    assert error_of(exc)[0] == code


def test_ipv6_block_in_a_vpc_without_ipv6_is_invalid(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock="10.0.1.0/24", Ipv6CidrBlock="2600:1f18:aa:bb01::/64"
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_ipv6_native_subnet_has_no_ipv4_block(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    subnet = ec2.create_subnet(
        VpcId=vpc_id, Ipv6Native=True, Ipv6CidrBlock="2600:1f18:aa:bb02::/64"
    )["Subnet"]
    assert subnet["Ipv6Native"] is True
    assert "CidrBlock" not in subnet
    assert subnet["AvailableIpAddressCount"] == 0
    assert (
        subnet_of(ec2, subnet["SubnetId"])["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
        == "2600:1f18:aa:bb02::/64"
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(
            VpcId=vpc_id,
            Ipv6Native=True,
            CidrBlock="10.0.1.0/24",
            Ipv6CidrBlock="2600:1f18:aa:bb03::/64",
        )
    assert error_of(exc)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, Ipv6Native=True)
    assert error_of(exc) == (
        "MissingParameter",
        "The request must contain the parameter ipv6CidrBlock",
    )
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    again = ec2.create_subnet(
        VpcId=vpc_id, Ipv6Native=True, Ipv6CidrBlock="2600:1f18:aa:bb02::/64"
    )["Subnet"]
    assert again["Ipv6Native"] is True


def test_associate_and_disassociate_subnet_ipv6_block(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    other_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    result = ec2.associate_subnet_cidr_block(
        SubnetId=subnet_id, Ipv6CidrBlock="2600:1f18:aa:bb10::/64"
    )
    assert result["SubnetId"] == subnet_id
    assoc = result["Ipv6CidrBlockAssociation"]
    assert assoc["Ipv6CidrBlock"] == "2600:1f18:aa:bb10::/64"
    assert assoc["Ipv6CidrBlockState"]["State"] == "associated"
    assert assoc["AssociationId"].startswith("subnet-cidr-assoc-")
    described = subnet_of(ec2, subnet_id)["Ipv6CidrBlockAssociationSet"]
    assert [(a["AssociationId"], a["Ipv6CidrBlockState"]["State"]) for a in described] == [
        (assoc["AssociationId"], "associated")
    ]

    with pytest.raises(ClientError) as exc:  # one IPv6 block per subnet
        ec2.associate_subnet_cidr_block(SubnetId=subnet_id, Ipv6CidrBlock="2600:1f18:aa:bb11::/64")
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:  # taken by the first subnet
        ec2.associate_subnet_cidr_block(SubnetId=other_id, Ipv6CidrBlock="2600:1f18:aa:bb10::/64")
    assert error_of(exc)[0] == "InvalidSubnet.Conflict"
    with pytest.raises(ClientError) as exc:
        ec2.associate_subnet_cidr_block(SubnetId=other_id, Ipv6CidrBlock="2600:1f18:ff:bb10::/64")
    assert error_of(exc)[0] == "InvalidSubnet.Range"

    gone = ec2.disassociate_subnet_cidr_block(AssociationId=assoc["AssociationId"])
    assert gone["SubnetId"] == subnet_id
    assert gone["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] == "2600:1f18:aa:bb10::/64"
    assert gone["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "disassociating"
    assert subnet_of(ec2, subnet_id)["Ipv6CidrBlockAssociationSet"] == []
    # the /64 is free again
    ec2.associate_subnet_cidr_block(SubnetId=other_id, Ipv6CidrBlock="2600:1f18:aa:bb10::/64")
    with pytest.raises(ClientError) as exc:
        ec2.disassociate_subnet_cidr_block(AssociationId=assoc["AssociationId"])
    assert error_of(exc) == (
        "InvalidSubnetCidrBlockAssociationID.NotFound",
        f"The subnet CIDR block with association ID '{assoc['AssociationId']}' does not exist",
    )


def test_associate_subnet_cidr_block_errors(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as exc:
        ec2.associate_subnet_cidr_block(SubnetId=subnet_id)
    assert error_of(exc) == (
        "MissingParameter",
        "The request must contain the parameter ipv6CidrBlock",
    )
    with pytest.raises(ClientError) as exc:
        ec2.associate_subnet_cidr_block(
            SubnetId="subnet-0123456789abcdef0", Ipv6CidrBlock="2600:1f18:aa:bb10::/64"
        )
    assert error_of(exc) == (
        "InvalidSubnetID.NotFound",
        "The subnet ID 'subnet-0123456789abcdef0' does not exist",
    )


# --- ModifySubnetAttribute --------------------------------------------------------------------------

MODIFICATIONS: list[tuple[dict[str, Any], str, Any]] = [
    ({"MapPublicIpOnLaunch": {"Value": True}}, "MapPublicIpOnLaunch", True),
    ({"EnableDns64": {"Value": True}}, "EnableDns64", True),
    (
        {"PrivateDnsHostnameTypeOnLaunch": "resource-name"},
        "PrivateDnsNameOptionsOnLaunch.HostnameType",
        "resource-name",
    ),
    (
        {"EnableResourceNameDnsARecordOnLaunch": {"Value": True}},
        "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord",
        True,
    ),
    (
        {"EnableResourceNameDnsAAAARecordOnLaunch": {"Value": True}},
        "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord",
        True,
    ),
    ({"EnableLniAtDeviceIndex": 1}, "EnableLniAtDeviceIndex", 1),
    (
        {
            "MapCustomerOwnedIpOnLaunch": {"Value": True},
            "CustomerOwnedIpv4Pool": "ipv4pool-coip-0123456789abcdef0",
        },
        "MapCustomerOwnedIpOnLaunch",
        True,
    ),
]


def _member(subnet: dict[str, Any], path: str) -> Any:
    value: Any = subnet
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize(
    ("change", "path", "value"), MODIFICATIONS, ids=[m[1] for m in MODIFICATIONS]
)
def test_modify_subnet_attribute_persists_each_attribute(
    gateway: RunningGateway, ec2: Any, change: dict[str, Any], path: str, value: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    before = subnet_of(ec2, subnet_id)
    assert _member(before, path) != value
    ec2.modify_subnet_attribute(SubnetId=subnet_id, **change)
    after = subnet_of(ec2, subnet_id)
    assert _member(after, path) == value
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    assert changed == {path.split(".")[0]} | (
        {"CustomerOwnedIpv4Pool"} if "CustomerOwnedIpv4Pool" in change else set()
    )


def test_modify_back_to_false_and_disable_lni(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": False})
    assert subnet_of(ec2, subnet_id)["MapPublicIpOnLaunch"] is False
    ec2.modify_subnet_attribute(SubnetId=subnet_id, EnableLniAtDeviceIndex=2)
    assert subnet_of(ec2, subnet_id)["EnableLniAtDeviceIndex"] == 2
    ec2.modify_subnet_attribute(SubnetId=subnet_id, DisableLniAtDeviceIndex={"Value": True})
    assert "EnableLniAtDeviceIndex" not in subnet_of(ec2, subnet_id)
    ec2.modify_subnet_attribute(
        SubnetId=subnet_id,
        MapCustomerOwnedIpOnLaunch={"Value": True},
        CustomerOwnedIpv4Pool="ipv4pool-coip-1",
    )
    assert subnet_of(ec2, subnet_id)["CustomerOwnedIpv4Pool"] == "ipv4pool-coip-1"
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapCustomerOwnedIpOnLaunch={"Value": False})
    after = subnet_of(ec2, subnet_id)
    assert after["MapCustomerOwnedIpOnLaunch"] is False and "CustomerOwnedIpv4Pool" not in after


def test_modify_subnet_attribute_assign_ipv6_needs_an_ipv6_block(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    plain = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_subnet_attribute(SubnetId=plain, AssignIpv6AddressOnCreation={"Value": True})
    assert error_of(exc) == (
        "InvalidParameterValue",
        (
            "Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation "
            f"to true unless the subnet ({plain}) has an IPv6 CIDR block associated with it."
        ),
    )
    dual = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="10.0.2.0/24", Ipv6CidrBlock="2600:1f18:aa:bb02::/64"
    )["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=dual, AssignIpv6AddressOnCreation={"Value": True})
    assert subnet_of(ec2, dual)["AssignIpv6AddressOnCreation"] is True


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"MapPublicIpOnLaunch": {"Value": True}, "EnableDns64": {"Value": True}},
            "InvalidParameterCombination",
        ),
        ({}, "MissingParameter"),
        ({"MapCustomerOwnedIpOnLaunch": {"Value": True}}, "MissingParameter"),
        ({"CustomerOwnedIpv4Pool": "ipv4pool-coip-1"}, "MissingParameter"),
        ({"EnableLniAtDeviceIndex": 0}, "InvalidParameterValue"),
    ],
)
def test_modify_subnet_attribute_refusals(
    gateway: RunningGateway, ec2: Any, kwargs: dict[str, Any], code: str
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    before = subnet_of(ec2, subnet_id)
    with pytest.raises(ClientError) as exc:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, **kwargs)
    assert error_of(exc)[0] == code
    assert subnet_of(ec2, subnet_id) == before


def test_modify_unknown_subnet_is_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.modify_subnet_attribute(
            SubnetId="subnet-0123456789abcdef0", MapPublicIpOnLaunch={"Value": True}
        )
    assert error_of(exc) == (
        "InvalidSubnetID.NotFound",
        "The subnet ID 'subnet-0123456789abcdef0' does not exist",
    )


# --- DescribeSubnets ---------------------------------------------------------------------------------


@pytest.fixture
def two_subnets(gateway: RunningGateway, ec2: Any) -> dict[str, Any]:
    """A dual-stack subnet ``a`` (tagged, map-public) and a plain subnet ``b`` in one VPC."""
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    a = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.1.0/24",
        Ipv6CidrBlock="2600:1f18:aa:bb01::/64",
        TagSpecifications=[
            {
                "ResourceType": "subnet",
                "Tags": [{"Key": "Name", "Value": "alpha"}, {"Key": "tier", "Value": "web"}],
            }
        ],
    )["Subnet"]
    b = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.2.0/28",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "beta"}]}],
    )["Subnet"]
    ec2.modify_subnet_attribute(SubnetId=a["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=a["SubnetId"], EnableDns64={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=a["SubnetId"], EnableLniAtDeviceIndex=1)
    ec2.modify_subnet_attribute(
        SubnetId=a["SubnetId"], PrivateDnsHostnameTypeOnLaunch="resource-name"
    )
    ec2.modify_subnet_attribute(
        SubnetId=a["SubnetId"], EnableResourceNameDnsARecordOnLaunch={"Value": True}
    )
    ec2.modify_subnet_attribute(
        SubnetId=a["SubnetId"], EnableResourceNameDnsAAAARecordOnLaunch={"Value": True}
    )
    ec2.modify_subnet_attribute(
        SubnetId=a["SubnetId"],
        MapCustomerOwnedIpOnLaunch={"Value": True},
        CustomerOwnedIpv4Pool="ipv4pool-coip-0a",
    )
    a = subnet_of(ec2, a["SubnetId"])
    return {"vpc": vpc_id, "a": a, "b": b}


def _filter_cases() -> list[tuple[str, Any, str]]:
    """(filter name, value or callable(a)->value, which subnet matches: a | b | ab | none)."""
    return [
        ("availability-zone", "ap-southeast-2a", "ab"),
        ("availabilityZone", "ap-southeast-2a", "ab"),
        ("availability-zone-id", "apse2-az1", "ab"),
        ("availabilityZoneId", "apse2-az1", "ab"),
        ("available-ip-address-count", "11", "b"),
        ("availableIpAddressCount", "251", "a"),
        ("cidr-block", "10.0.1.0/24", "a"),
        ("cidrBlock", "10.0.2.0/28", "b"),
        ("cidr", "10.0.2.0/28", "b"),
        ("customer-owned-ipv4-pool", "ipv4pool-coip-0a", "a"),
        ("default-for-az", "false", "ab"),
        ("defaultForAz", "true", "none"),
        ("enable-dns64", "true", "a"),
        ("enable-lni-at-device-index", "1", "a"),
        ("ipv6-cidr-block-association.ipv6-cidr-block", "2600:1f18:aa:bb01::/64", "a"),
        (
            "ipv6-cidr-block-association.association-id",
            lambda a: a["Ipv6CidrBlockAssociationSet"][0]["AssociationId"],
            "a",
        ),
        ("ipv6-cidr-block-association.state", "associated", "a"),
        ("ipv6-native", "false", "ab"),
        ("map-customer-owned-ip-on-launch", "true", "a"),
        ("map-public-ip-on-launch", "true", "a"),
        ("map-public-ip-on-launch", "false", "b"),
        ("outpost-arn", "arn:aws:outposts:*", "none"),
        ("owner-id", ADMIN, "ab"),
        ("private-dns-name-options-on-launch.hostname-type", "ip-name", "b"),
        ("private-dns-name-options-on-launch.enable-resource-name-dns-a-record", "true", "a"),
        ("private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record", "false", "b"),
        ("state", "available", "ab"),
        ("subnet-arn", lambda a: a["SubnetArn"], "a"),
        ("subnet-id", lambda a: a["SubnetId"], "a"),
        ("subnetId", lambda a: a["SubnetId"], "a"),
        ("tag:Name", "beta", "b"),
        ("tag:Name", "*a", "ab"),
        ("tag:Name", "al?ha", "a"),
        ("tag-key", "tier", "a"),
        ("tag-value", "beta", "b"),
        ("vpc-id", lambda a: a["VpcId"], "ab"),
        ("vpcId", lambda a: a["VpcId"], "ab"),
        ("cidr-block", "10.0.*", "ab"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "matches"), _filter_cases(), ids=[f"{c[0]}={c[2]}" for c in _filter_cases()]
)
def test_describe_subnets_filter(
    ec2: Any, two_subnets: dict[str, Any], name: str, value: Any, matches: str
) -> None:
    a, b = two_subnets["a"], two_subnets["b"]
    text = value(a) if callable(value) else value
    found = ec2.describe_subnets(
        Filters=[
            {"Name": name, "Values": [text]},
            {"Name": "vpc-id", "Values": [two_subnets["vpc"]]},
        ]
    )["Subnets"]
    expected = {
        "a": {a["SubnetId"]},
        "b": {b["SubnetId"]},
        "ab": {a["SubnetId"], b["SubnetId"]},
        "none": set(),
    }[matches]
    assert {s["SubnetId"] for s in found} == expected


def test_describe_subnets_filter_values_or_and_filters_and(
    ec2: Any, two_subnets: dict[str, Any]
) -> None:
    a, b = two_subnets["a"], two_subnets["b"]
    either = ec2.describe_subnets(
        Filters=[{"Name": "cidr-block", "Values": ["10.0.1.0/24", "10.0.2.0/28"]}]
    )["Subnets"]
    assert {s["SubnetId"] for s in either} >= {a["SubnetId"], b["SubnetId"]}
    both = ec2.describe_subnets(
        Filters=[
            {"Name": "cidr-block", "Values": ["10.0.1.0/24"]},
            {"Name": "tag:Name", "Values": ["beta"]},
        ]
    )["Subnets"]
    assert both == []


def test_describe_subnets_unknown_filter_is_refused(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(Filters=[{"Name": "cidr-blocks", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'cidr-blocks' is invalid")


def test_describe_subnets_by_id_and_unknown_ids(ec2: Any, two_subnets: dict[str, Any]) -> None:
    a = two_subnets["a"]
    assert [s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=[a["SubnetId"]])["Subnets"]] == [
        a["SubnetId"]
    ]
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(SubnetIds=[a["SubnetId"], "subnet-00000000000000000"])
    assert error_of(exc) == (
        "InvalidSubnetID.NotFound",
        "The subnet ID 'subnet-00000000000000000' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(SubnetIds=["subnet-00000000000000000", "subnet-00000000000000001"])
    assert error_of(exc)[0] == "InvalidSubnetID.NotFound"
    assert (
        "subnet-00000000000000000" in error_of(exc)[1]
        and "subnet-00000000000000001" in error_of(exc)[1]
    )


def test_describe_subnets_pagination(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    created = {
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
        for i in range(7)
    }
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {
            "Filters": [{"Name": "vpc-id", "Values": [vpc_id]}],
            "MaxResults": 5,
        }
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_subnets(**kwargs)
        pages += 1
        seen += [s["SubnetId"] for s in page["Subnets"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 2 and len(seen) == 7 and set(seen) == created
    paginated = [
        s["SubnetId"]
        for p in ec2.get_paginator("describe_subnets").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], PaginationConfig={"PageSize": 5}
        )
        for s in p["Subnets"]
    ]
    assert sorted(paginated) == sorted(created)
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(SubnetIds=sorted(created)[:1], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"


def test_describe_subnets_renders_hive_written_records_with_defaults(
    gateway: RunningGateway, ec2: Any
) -> None:
    """A subnet Hive stored (only Hive's fields) reads with AWS's defaults."""
    vpc_id = make_vpc(gateway, force_seed=True)
    seed_raw(
        gateway,
        "subnets",
        ADMIN,
        "subnet-00000000000000abc",
        {
            "subnet_id": "subnet-00000000000000abc",
            "vpc_id": vpc_id,
            "cidr_block": "10.0.9.0/24",
            "availability_zone": "ap-southeast-2a",
            "state": "available",
            "is_default": True,
            "map_public_ip_on_launch": True,
            "tags": {},
            "created_at": "2024-01-01T00:00:00Z",
        },
    )
    found = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.9.0/24"]}])[
        "Subnets"
    ]
    [subnet] = found
    assert subnet["DefaultForAz"] is True and subnet["MapPublicIpOnLaunch"] is True
    assert subnet["AvailabilityZoneId"] == "apse2-az1"
    assert subnet["PrivateDnsNameOptionsOnLaunch"] == {
        "HostnameType": "ip-name",
        "EnableResourceNameDnsARecord": False,
        "EnableResourceNameDnsAAAARecord": False,
    }
    assert subnet["Ipv6CidrBlockAssociationSet"] == [] and subnet["OwnerId"] == ADMIN


def test_subnet_in_a_hive_made_vpc_without_claim_index(gateway: RunningGateway, ec2: Any) -> None:
    """A VPC Hive created has no claim index: it is built from the existing subnets on first use."""
    ctx = request_context(gateway)
    vpc_id = "vpc-00000000000000abc"

    async def seed() -> None:
        await records.create(
            ctx,
            KINDS["vpc"],
            {
                "vpc_id": vpc_id,
                "cidr_block": "172.31.0.0/16",
                "state": "available",
                "is_default": True,
                "enable_dns_hostnames": True,
                "enable_dns_support": True,
                "tags": {},
                "created_at": "2024-01-01T00:00:00Z",
            },
        )
        await records.create(
            ctx,
            KINDS["subnet"],
            {
                "subnet_id": "subnet-00000000000000abc",
                "vpc_id": vpc_id,
                "cidr_block": "172.31.0.0/20",
                "availability_zone": "ap-southeast-2a",
                "state": "available",
                "is_default": True,
                "map_public_ip_on_launch": True,
                "tags": {},
                "created_at": "2024-01-01T00:00:00Z",
            },
        )

    gateway.run(seed())
    with pytest.raises(ClientError) as exc:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="172.31.8.0/24")
    assert error_of(exc)[0] == "InvalidSubnet.Conflict"
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="172.31.16.0/20")["Subnet"]
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}]
    )["NetworkAcls"]
    assert [a["IsDefault"] for a in acls] == [True] and acls[0]["VpcId"] == vpc_id


def test_describe_subnets_xml_matches_the_model(
    gateway: RunningGateway, ec2: Any, two_subnets: dict[str, Any]
) -> None:
    body = f"Action=DescribeSubnets&Version=2016-11-15&SubnetId.1={two_subnets['a']['SubnetId']}"
    answer = admin_send(gateway, body)
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeSubnets")
    assert b"<privateDnsNameOptionsOnLaunch>" in answer.body
    bad = admin_send(gateway, "Action=DeleteSubnet&Version=2016-11-15&SubnetId=subnet-00000000000000000")
    assert bad.status == 404
    assert_error_envelope(bad.body, "ec2", code="InvalidSubnetID.NotFound")


# --- available addresses, DeleteSubnet ----------------------------------------------------------------


def test_available_ip_address_count_subtracts_interface_addresses(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    seed_raw(
        gateway,
        KINDS["network-interface"].bucket,
        ADMIN,
        "eni-0000000000000000a",
        {
            "network_interface_id": "eni-0000000000000000a",
            "subnet_id": subnet_id,
            "vpc_id": vpc_id,
            "private_ip_address": "10.0.1.10",
            "secondary_private_ip_addresses": ["10.0.1.11", "10.0.1.12"],
        },
    )
    seed_raw(
        gateway,
        KINDS["network-interface"].bucket,
        ADMIN,
        "eni-0000000000000000b",
        {
            "network_interface_id": "eni-0000000000000000b",
            "subnet_id": subnet_id,
            "vpc_id": vpc_id,
        },
    )
    assert subnet_of(ec2, subnet_id)["AvailableIpAddressCount"] == 251 - 3 - 1
    found = ec2.describe_subnets(
        Filters=[{"Name": "available-ip-address-count", "Values": ["247"]}]
    )["Subnets"]
    assert [s["SubnetId"] for s in found] == [subnet_id]


def test_real_network_interfaces_use_addresses_and_block_deletion(
    gateway: RunningGateway, ec2: Any
) -> None:
    if not lookup("ec2", "CreateNetworkInterface"):
        pytest.skip("CreateNetworkInterface is not implemented yet")
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/28")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet_id, SecondaryPrivateIpAddressCount=2)
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
    assert subnet_of(ec2, subnet_id)["AvailableIpAddressCount"] == 11 - 3
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert error_of(exc) == (
        "DependencyViolation",
        f"The subnet '{subnet_id}' has dependencies and cannot be deleted.",
    )
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert subnet_of(ec2, subnet_id)["AvailableIpAddressCount"] == 11
    ec2.delete_subnet(SubnetId=subnet_id)


def test_delete_subnet_with_network_interface_is_a_dependency_violation(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    seed_raw(
        gateway,
        KINDS["network-interface"].bucket,
        ADMIN,
        "eni-0000000000000000c",
        {
            "network_interface_id": "eni-0000000000000000c",
            "subnet_id": subnet_id,
            "private_ip_address": "10.0.1.4",
        },
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert error_of(exc) == (
        "DependencyViolation",
        f"The subnet '{subnet_id}' has dependencies and cannot be deleted.",
    )
    assert subnet_of(ec2, subnet_id)["SubnetId"] == subnet_id


def test_delete_subnet_with_instance_is_a_dependency_violation(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    seed_raw(
        gateway,
        KINDS["instance"].bucket,
        ADMIN,
        "i-0000000000000000a",
        {
            "instance_id": "i-0000000000000000a",
            "subnet_id": subnet_id,
            "state": "running",
        },
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert error_of(exc)[0] == "DependencyViolation"
    seed_raw(
        gateway,
        KINDS["instance"].bucket,
        ADMIN,
        "i-0000000000000000a",
        {"instance_id": "i-0000000000000000a", "subnet_id": subnet_id, "state": "terminated"},
    )
    ec2.delete_subnet(SubnetId=subnet_id)


def test_delete_subnet_frees_cidr_acl_and_route_table_associations(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    removed: list[str] = []
    in_vpcs: list[str | None] = []

    async def remove_subnet_associations(
        ctx: RequestContext, subnet_id: str, vpc_id: str | None = None
    ) -> None:
        removed.append(subnet_id)
        in_vpcs.append(vpc_id)  # only the subnet's VPC's tables are looked at

    monkeypatch.setattr(
        route_tables.reactions,  # where the subnet-deleted reaction looks it up
        "remove_subnet_associations",
        remove_subnet_associations,
    )
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    acl_filter = [{"Name": "association.subnet-id", "Values": [subnet_id]}]
    assert len(ec2.describe_network_acls(Filters=acl_filter)["NetworkAcls"]) == 1
    ec2.delete_subnet(SubnetId=subnet_id)
    assert removed == [subnet_id]
    assert in_vpcs == [vpc_id]
    assert ec2.describe_network_acls(Filters=acl_filter)["NetworkAcls"] == []
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(SubnetIds=[subnet_id])
    assert error_of(exc) == (
        "InvalidSubnetID.NotFound",
        f"The subnet ID '{subnet_id}' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet_id)
    assert error_of(exc) == (
        "InvalidSubnetID.NotFound",
        f"The subnet ID '{subnet_id}' does not exist",
    )
    assert (
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["CidrBlock"]
        == "10.0.1.0/24"
    )
    index = gateway.run(_index(gateway, vpc_id))
    assert subnet_id not in index["subnets"]


async def _index(gateway: RunningGateway, vpc_id: str) -> dict[str, Any]:
    bucket = await gateway.runtime.records("vpc_index", "vpc_index")
    found = await bucket.get(account_key(ADMIN, vpc_id))
    assert found is not None
    return found[0]


def test_delete_subnet_drops_its_route_table_association(gateway: RunningGateway, ec2: Any) -> None:
    if not lookup("ec2", "AssociateRouteTable"):
        pytest.skip("route tables are not implemented yet")
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    ec2.delete_subnet(SubnetId=subnet_id)
    [table] = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"]
    assert [a for a in table.get("Associations", []) if a.get("SubnetId") == subnet_id] == []
    ec2.delete_route_table(RouteTableId=table_id)


def test_delete_subnet_drops_its_route_table_association_and_address_record(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)

    async def address_record() -> Any:
        return await (await gateway.runtime.records("ipam", "ipam")).get(subnet_id)

    assert gateway.run(address_record()) is not None
    ec2.delete_subnet(SubnetId=subnet_id)
    table = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    assert table["Associations"] == []
    assert gateway.run(address_record()) is None


def test_create_and_delete_publish_vpcd_events(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    vpc_id = make_vpc(gateway)
    bus = RecordingBus()
    monkeypatch.setattr(gateway.runtime, "bus", bus)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.delete_subnet(SubnetId=subnet_id)
    payload = {"subnet_id": subnet_id, "vpc_id": vpc_id, "cidr_block": "10.0.1.0/24"}
    assert [(s, p, h) for s, p, h in bus.events if "subnet" in s] == [
        ("vpc.create-subnet", payload, {"X-Account-ID": ADMIN}),
        ("vpc.delete-subnet", payload, {"X-Account-ID": ADMIN}),
    ]


# --- tenancy --------------------------------------------------------------------------------------------


def test_another_account_cannot_see_or_touch_the_subnet(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    other = gateway.create_account("tenant-b")
    theirs = gateway.client("ec2", creds=other)
    missing = ("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")
    for call in (
        lambda: theirs.describe_subnets(SubnetIds=[subnet_id]),
        lambda: theirs.delete_subnet(SubnetId=subnet_id),
        lambda: theirs.modify_subnet_attribute(
            SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True}
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == missing
    assert (
        theirs.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] == []
    )
    with pytest.raises(ClientError) as exc:
        theirs.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")
    assert error_of(exc) == ("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    own_vpc = make_vpc(gateway, creds=other)
    mine = theirs.create_subnet(VpcId=own_vpc, CidrBlock="10.0.1.0/24")["Subnet"]
    assert mine["OwnerId"] == other.account_id
    assert (
        mine["SubnetArn"]
        == f"arn:aws:ec2:ap-southeast-2:{other.account_id}:subnet/{mine['SubnetId']}"
    )
    assert subnet_of(ec2, subnet_id)["MapPublicIpOnLaunch"] is False


# --- Terraform ------------------------------------------------------------------------------------------


def test_terraform_aws_subnet_lifecycle(gateway: RunningGateway, ec2: Any) -> None:
    """Create → wait available → ModifySubnetAttribute(MapPublicIpOnLaunch) → read → delete."""
    vpc_id = make_vpc(gateway)
    created = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.10.0/24",
        AvailabilityZone="ap-southeast-2a",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "tf"}]}],
    )["Subnet"]
    subnet_id = created["SubnetId"]
    ec2.get_waiter("subnet_available").wait(
        SubnetIds=[subnet_id], WaiterConfig={"Delay": 1, "MaxAttempts": 2}
    )
    assert subnet_of(ec2, subnet_id)["State"] == "available"
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    read = subnet_of(ec2, subnet_id)
    assert read["MapPublicIpOnLaunch"] is True
    opts = read["PrivateDnsNameOptionsOnLaunch"]
    assert (
        opts["EnableResourceNameDnsARecord"] is False
        and opts["EnableResourceNameDnsAAAARecord"] is False
    )
    assert opts["HostnameType"] == "ip-name"
    for member in (
        "SubnetArn",
        "AssignIpv6AddressOnCreation",
        "AvailabilityZone",
        "AvailabilityZoneId",
        "CidrBlock",
        "EnableDns64",
        "Ipv6Native",
        "MapCustomerOwnedIpOnLaunch",
        "OwnerId",
        "VpcId",
        "Tags",
    ):
        assert member in read, member
    # aws_subnets data source: tag filter + vpc-id, ids only
    ids = [
        s["SubnetId"]
        for s in ec2.describe_subnets(
            Filters=[{"Name": "tag:Name", "Values": ["tf"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
        )["Subnets"]
    ]
    assert ids == [subnet_id]
    ec2.delete_subnet(SubnetId=subnet_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_subnets(SubnetIds=[subnet_id])
    assert error_of(exc)[0] == "InvalidSubnetID.NotFound"


def test_terraform_aws_subnet_data_source_filter_set(gateway: RunningGateway, ec2: Any) -> None:
    """The data source's sorted legacy filters plus a tag filter match exactly one subnet."""
    vpc_id = make_vpc(gateway, ipv6=VPC6)
    wanted = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.1.0/24",
        Ipv6CidrBlock="2600:1f18:aa:bb01::/64",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )["Subnet"]
    ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.2.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )
    filters = [
        {"Name": "availabilityZone", "Values": ["ap-southeast-2a"]},
        {"Name": "availabilityZoneId", "Values": ["apse2-az1"]},
        {"Name": "cidrBlock", "Values": ["10.0.1.0/24"]},
        {
            "Name": "ipv6-cidr-block-association.ipv6-cidr-block",
            "Values": ["2600:1f18:aa:bb01::/64"],
        },
        {"Name": "state", "Values": ["available"]},
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "tag:Name", "Values": ["data"]},
    ]
    found = ec2.describe_subnets(Filters=filters)["Subnets"]
    assert [s["SubnetId"] for s in found] == [wanted["SubnetId"]]
    for member in ("AvailableIpAddressCount", "DefaultForAz", "State"):
        assert member in found[0]
    assert (
        ec2.describe_subnets(Filters=[*filters, {"Name": "defaultForAz", "Values": ["true"]}])[
            "Subnets"
        ]
        == []
    )


# --- concurrency ----------------------------------------------------------------------------------------


def _race(gateway: RunningGateway, vpc_id: str, cidrs: list[str]) -> list[tuple[str, str]]:
    """Create one subnet per CIDR from as many threads/clients at once: [(outcome, detail)]."""
    clients = [gateway.client("ec2") for _ in cidrs]

    def create(pair: tuple[Any, str]) -> tuple[str, str]:
        client, cidr = pair
        try:
            return "ok", client.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]
        except ClientError as error:
            return "error", str(error.response["Error"]["Code"])

    with ThreadPoolExecutor(max_workers=len(cidrs)) as pool:
        return list(pool.map(create, zip(clients, cidrs)))


def _check_races(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    overlapping = [f"10.0.0.0/{p}" for p in (19, 20, 21, 22, 23, 24, 25, 26, 27, 28)]  # pairwise overlapping
    outcomes = _race(gateway, vpc_id, overlapping)
    winners = [detail for kind, detail in outcomes if kind == "ok"]
    assert len(winners) == 1, outcomes
    assert (
        sorted(detail for kind, detail in outcomes if kind == "error")
        == ["InvalidSubnet.Conflict"] * 9
    )
    stored = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [s["SubnetId"] for s in stored] == winners

    other_vpc = make_vpc(gateway)
    separate = [f"10.0.{i}.0/24" for i in range(10)]
    outcomes = _race(gateway, other_vpc, separate)
    assert [kind for kind, _ in outcomes] == ["ok"] * 10, outcomes
    stored = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [other_vpc]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in stored) == sorted(separate)
    networks = [ipaddress.ip_network(s["CidrBlock"]) for s in stored]
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_concurrent_overlapping_creates_have_one_winner(gateway: RunningGateway, ec2: Any) -> None:
    _check_races(gateway, ec2)


@pytest.fixture
def nats_backed(tmp_path: Path, nats_server: Any) -> Iterator[RunningGateway]:
    """A gateway over the test nats-server (the shared ``nats_gateway`` fixture omits the token
    that server requires)."""

    async def nats() -> Store:
        return await NatsStore.connect(nats_server.url, token=nats_server.token, timeout=5.0)

    running = start_gateway(nats, tmp_path, bucket_prefix=f"t{new_id('subnet')[-8:]}")
    yield running
    running._stop()


def test_concurrent_creates_over_nats(nats_backed: RunningGateway) -> None:
    _check_races(nats_backed, nats_backed.client("ec2"))
