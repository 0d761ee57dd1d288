"""DHCP option sets end to end: real boto3 against a real gateway (handlers/dhcp_options.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.dhcp_options import default_dhcp_options_id, default_domain_name
from hive_gateway.core import records
from hive_gateway.core.kinds import KINDS
from tests.fixtures.gateway import RunningGateway
from tests.helpers import ADMIN, admin_send, assert_matches_model, error_of, race, request_context
from tests.vpc.test_subnets import make_vpc

CONFIG = [
    {"Key": "domain-name", "Values": ["corp.example"]},
    {"Key": "domain-name-servers", "Values": ["10.0.0.2", "AmazonProvidedDNS"]},
    {"Key": "ntp-servers", "Values": ["169.254.169.123", "fd00:ec2::123"]},
    {"Key": "netbios-name-servers", "Values": ["10.0.0.3"]},
    {"Key": "netbios-node-type", "Values": ["2"]},
    {"Key": "ipv6-address-preferred-lease-time", "Values": ["3600"]},
]


def rendered(config: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Key": c["Key"], "Values": [{"Value": v} for v in c["Values"]]} for c in config]


def vpc_record(gateway: RunningGateway, vpc_id: str, account: str = ADMIN) -> dict[str, Any]:
    return dict(gateway.run(records.get(request_context(gateway, account), KINDS["vpc"], vpc_id)))


# --- the default set -----------------------------------------------------------------------------------


def test_default_set_is_created_once_with_amazon_dns(gateway: RunningGateway, ec2: Any) -> None:
    ctx = request_context(gateway)

    async def many() -> list[str]:
        return list(await asyncio.gather(*(default_dhcp_options_id(ctx) for _ in range(10))))

    ids = gateway.run(many())
    assert len(set(ids)) == 1
    dopt_id = ids[0]
    assert dopt_id.startswith("dopt-") and len(dopt_id) == len("dopt-") + 17
    [found] = ec2.describe_dhcp_options(DhcpOptionsIds=[dopt_id])["DhcpOptions"]
    assert found["DhcpConfigurations"] == [
        {"Key": "domain-name", "Values": [{"Value": "ap-southeast-2.compute.internal"}]},
        {"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]},
    ]
    assert found["OwnerId"] == ADMIN
    assert (
        len(
            ec2.describe_dhcp_options(Filters=[{"Name": "value", "Values": ["AmazonProvidedDNS"]}])[
                "DhcpOptions"
            ]
        )
        == 1
    )
    other = gateway.create_account("tenant-d")
    assert gateway.run(default_dhcp_options_id(request_context(gateway, other.account_id))) != dopt_id


def test_default_domain_name_per_region() -> None:
    assert default_domain_name("us-east-1") == "ec2.internal"
    assert default_domain_name("eu-west-1") == "eu-west-1.compute.internal"


def test_new_vpc_uses_the_default_set(gateway: RunningGateway) -> None:
    vpc_id = make_vpc(gateway)
    assert vpc_record(gateway, vpc_id)["dhcp_options_id"] == gateway.run(
        default_dhcp_options_id(request_context(gateway))
    )


# --- CreateDhcpOptions --------------------------------------------------------------------------------


def test_create_dhcp_options_with_every_option_and_tags(ec2: Any) -> None:
    created = ec2.create_dhcp_options(
        DhcpConfigurations=CONFIG,
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "corp"}]}
        ],
    )["DhcpOptions"]
    assert created["DhcpOptionsId"].startswith("dopt-")
    assert created["DhcpConfigurations"] == rendered(CONFIG)
    assert created["OwnerId"] == ADMIN
    assert created["Tags"] == [{"Key": "Name", "Value": "corp"}]
    [found] = ec2.describe_dhcp_options(DhcpOptionsIds=[created["DhcpOptionsId"]])["DhcpOptions"]
    assert found == created


def test_create_dhcp_options_orders_keys_and_merges_repeats(ec2: Any) -> None:
    created = ec2.create_dhcp_options(
        DhcpConfigurations=[
            {"Key": "ntp-servers", "Values": ["10.0.0.5"]},
            {"Key": "domain-name", "Values": ["a.example"]},
            {"Key": "ntp-servers", "Values": ["10.0.0.6", "10.0.0.5"]},
        ]
    )["DhcpOptions"]
    assert created["DhcpConfigurations"] == rendered(
        [
            {"Key": "domain-name", "Values": ["a.example"]},
            {"Key": "ntp-servers", "Values": ["10.0.0.5", "10.0.0.6"]},
        ]
    )


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ([{"Key": "router", "Values": ["10.0.0.1"]}], "InvalidParameterValue"),
        (
            [{"Key": "domain-name-servers", "Values": [f"10.0.0.{i}" for i in range(1, 6)]}],
            "InvalidParameterValue",
        ),
        ([{"Key": "domain-name-servers", "Values": ["dns.example"]}], "InvalidParameterValue"),
        (
            [{"Key": "ntp-servers", "Values": [f"10.0.1.{i}" for i in range(1, 6)]}],
            "InvalidParameterValue",
        ),
        ([{"Key": "netbios-name-servers", "Values": ["fd00::1"]}], "InvalidParameterValue"),
        ([{"Key": "netbios-node-type", "Values": ["3"]}], "InvalidParameterValue"),
        ([{"Key": "netbios-node-type", "Values": ["1", "2"]}], "InvalidParameterValue"),
        (
            [{"Key": "ipv6-address-preferred-lease-time", "Values": ["100"]}],
            "InvalidParameterValue",
        ),
        ([{"Key": "domain-name", "Values": ["a.example", "b.example"]}], "InvalidParameterValue"),
        ([{"Key": "domain-name", "Values": []}], "InvalidParameterValue"),
        ([], "MissingParameter"),
    ],
)
def test_create_dhcp_options_refusals(ec2: Any, config: list[dict[str, Any]], code: str) -> None:
    before = len(ec2.describe_dhcp_options()["DhcpOptions"])
    with pytest.raises(ClientError) as exc:
        ec2.create_dhcp_options(DhcpConfigurations=config)
    assert error_of(exc)[0] == code
    assert len(ec2.describe_dhcp_options()["DhcpOptions"]) == before


def test_unknown_option_message(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "router", "Values": ["10.0.0.1"]}])
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Value (router) for parameter dhcpConfiguration.key is invalid. Unknown DHCP option.",
    )


# --- AssociateDhcpOptions -------------------------------------------------------------------------------


def test_associate_dhcp_options_changes_only_the_vpc_option_set(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    before = vpc_record(gateway, vpc_id)
    dopt_id = ec2.create_dhcp_options(DhcpConfigurations=CONFIG[:1])["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=vpc_id)
    after = vpc_record(gateway, vpc_id)
    assert after["dhcp_options_id"] == dopt_id
    assert {k: v for k, v in after.items() if k != "dhcp_options_id"} == {
        k: v for k, v in before.items() if k != "dhcp_options_id"
    }
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
    assert vpc_record(gateway, vpc_id)["dhcp_options_id"] == "default"


def test_associate_dhcp_options_errors(gateway: RunningGateway, ec2: Any) -> None:
    vpc_id = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        ec2.associate_dhcp_options(DhcpOptionsId="dopt-0123456789abcdef0", VpcId=vpc_id)
    assert error_of(exc) == (
        "InvalidDhcpOptionID.NotFound",
        "The dhcpOption ID 'dopt-0123456789abcdef0' does not exist",
    )
    dopt_id = ec2.create_dhcp_options(DhcpConfigurations=CONFIG[:1])["DhcpOptions"]["DhcpOptionsId"]
    with pytest.raises(ClientError) as exc:
        ec2.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId="vpc-0123456789abcdef0")
    assert error_of(exc) == (
        "InvalidVpcID.NotFound",
        "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    )
    assert vpc_record(gateway, vpc_id)["dhcp_options_id"] != dopt_id


# --- DeleteDhcpOptions ----------------------------------------------------------------------------------


def test_delete_dhcp_options_in_use_is_a_dependency_violation(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    dopt_id = ec2.create_dhcp_options(DhcpConfigurations=CONFIG[:1])["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=vpc_id)
    with pytest.raises(ClientError) as exc:
        ec2.delete_dhcp_options(DhcpOptionsId=dopt_id)
    assert error_of(exc) == (
        "DependencyViolation",
        f"The dhcpOptions '{dopt_id}' has dependencies and cannot be deleted.",
    )
    # still usable after the refused delete
    ec2.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=vpc_id)
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
    ec2.delete_dhcp_options(DhcpOptionsId=dopt_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_dhcp_options(DhcpOptionsIds=[dopt_id])
    assert error_of(exc) == (
        "InvalidDhcpOptionID.NotFound",
        f"The dhcpOption ID '{dopt_id}' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_dhcp_options(DhcpOptionsId=dopt_id)
    assert error_of(exc)[0] == "InvalidDhcpOptionID.NotFound"


def test_racing_associate_and_delete_never_leave_a_dangling_reference(
    gateway: RunningGateway, ec2: Any
) -> None:
    vpc_id = make_vpc(gateway)
    clients = [gateway.client("ec2"), gateway.client("ec2")]
    for _ in range(8):
        ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
        dopt_id = ec2.create_dhcp_options(DhcpConfigurations=CONFIG[:1])["DhcpOptions"][
            "DhcpOptionsId"
        ]

        def associate(dopt_id: str = dopt_id) -> object:
            return clients[0].associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=vpc_id)

        def delete(dopt_id: str = dopt_id) -> object:
            return clients[1].delete_dhcp_options(DhcpOptionsId=dopt_id)

        results = race(lambda call: call(), [associate, delete])
        exists = bool(
            ec2.describe_dhcp_options(Filters=[{"Name": "dhcp-options-id", "Values": [dopt_id]}])[
                "DhcpOptions"
            ]
        )
        pointed = vpc_record(gateway, vpc_id)["dhcp_options_id"] == dopt_id
        assert exists or not pointed, results
        assert results[1] != "ok" or not pointed, results


# --- DescribeDhcpOptions --------------------------------------------------------------------------------


@pytest.fixture
def two_sets(ec2: Any) -> dict[str, str]:
    a = ec2.create_dhcp_options(
        DhcpConfigurations=[
            {"Key": "domain-name", "Values": ["alpha.example"]},
            {"Key": "domain-name-servers", "Values": ["10.0.0.2"]},
        ],
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "alpha"}]}
        ],
    )["DhcpOptions"]["DhcpOptionsId"]
    b = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "ntp-servers", "Values": ["10.0.0.9"]}],
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "team", "Value": "beta"}]}
        ],
    )["DhcpOptions"]["DhcpOptionsId"]
    return {"a": a, "b": b}


DOPT_FILTERS = [
    ("dhcp-options-id", "{a}", "a"),
    ("key", "domain-name", "a"),
    ("key", "ntp-*", "b"),
    ("value", "10.0.0.9", "b"),
    ("value", "*.example", "a"),
    ("owner-id", ADMIN, "ab"),
    ("tag:Name", "alpha", "a"),
    ("tag-key", "team", "b"),
    ("tag-value", "al*", "a"),
]


@pytest.mark.parametrize(
    ("name", "value", "matches"), DOPT_FILTERS, ids=[f"{f[0]}={f[1]}" for f in DOPT_FILTERS]
)
def test_describe_dhcp_options_filter(
    ec2: Any, two_sets: dict[str, str], name: str, value: str, matches: str
) -> None:
    found = ec2.describe_dhcp_options(
        DhcpOptionsIds=[two_sets["a"], two_sets["b"]],
        Filters=[{"Name": name, "Values": [value.format(**two_sets)]}],
    )["DhcpOptions"]
    assert {d["DhcpOptionsId"] for d in found} == {two_sets[m] for m in matches}


def test_describe_dhcp_options_unknown_filter_and_ids(ec2: Any, two_sets: dict[str, str]) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_dhcp_options(Filters=[{"Name": "domain-name", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'domain-name' is invalid")
    with pytest.raises(ClientError) as exc:
        ec2.describe_dhcp_options(DhcpOptionsIds=[two_sets["a"], "dopt-0123456789abcdef0"])
    assert error_of(exc) == (
        "InvalidDhcpOptionID.NotFound",
        "The dhcpOption ID 'dopt-0123456789abcdef0' does not exist",
    )


def test_describe_dhcp_options_pagination(ec2: Any) -> None:
    created = {
        ec2.create_dhcp_options(
            DhcpConfigurations=[{"Key": "domain-name", "Values": [f"p{i}.example"]}],
            TagSpecifications=[
                {"ResourceType": "dhcp-options", "Tags": [{"Key": "page", "Value": "x"}]}
            ],
        )["DhcpOptions"]["DhcpOptionsId"]
        for i in range(7)
    }
    first = ec2.describe_dhcp_options(Filters=[{"Name": "tag:page", "Values": ["x"]}], MaxResults=5)
    assert len(first["DhcpOptions"]) == 5 and first["NextToken"]
    second = ec2.describe_dhcp_options(
        Filters=[{"Name": "tag:page", "Values": ["x"]}], MaxResults=5, NextToken=first["NextToken"]
    )
    assert len(second["DhcpOptions"]) == 2 and "NextToken" not in second
    assert {d["DhcpOptionsId"] for d in first["DhcpOptions"] + second["DhcpOptions"]} == created
    with pytest.raises(ClientError) as exc:
        ec2.describe_dhcp_options(
            Filters=[{"Name": "tag:page", "Values": ["x"]}], MaxResults=5, NextToken="bogus"
        )
    assert error_of(exc)[0] == "InvalidPaginationToken"


def test_another_account_cannot_see_or_use_the_set(
    gateway: RunningGateway, ec2: Any, two_sets: dict[str, str]
) -> None:
    other = gateway.create_account("tenant-e")
    theirs = gateway.client("ec2", creds=other)
    dopt_id = two_sets["a"]
    missing = ("InvalidDhcpOptionID.NotFound", f"The dhcpOption ID '{dopt_id}' does not exist")
    own_vpc = make_vpc(gateway, creds=other)
    for call in (
        lambda: theirs.describe_dhcp_options(DhcpOptionsIds=[dopt_id]),
        lambda: theirs.delete_dhcp_options(DhcpOptionsId=dopt_id),
        lambda: theirs.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=own_vpc),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == missing
    assert dopt_id not in {
        d["DhcpOptionsId"] for d in theirs.describe_dhcp_options()["DhcpOptions"]
    }
    mine = make_vpc(gateway)
    with pytest.raises(ClientError) as exc:
        theirs.associate_dhcp_options(DhcpOptionsId="default", VpcId=mine)
    assert error_of(exc) == ("InvalidVpcID.NotFound", f"The vpc ID '{mine}' does not exist")
    assert (
        ec2.describe_dhcp_options(DhcpOptionsIds=[dopt_id])["DhcpOptions"][0]["DhcpOptionsId"]
        == dopt_id
    )


def test_dhcp_options_xml_matches_the_model(
    gateway: RunningGateway, two_sets: dict[str, str]
) -> None:
    body = f"Action=DescribeDhcpOptions&Version=2016-11-15&DhcpOptionsId.1={two_sets['a']}"
    answer = admin_send(gateway, body)
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeDhcpOptions")
    assert b"<valueSet>" in answer.body
