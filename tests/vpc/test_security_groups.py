"""Security groups through real boto3: create/delete/describe, rules, Terraform's sequence, races."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import security_groups
from hive_gateway.core import kinds, records
from hive_gateway.conformance.xml_check import assert_error_envelope
from kv.buckets import account_key, bucket_name
from kv.records import RecordBucket
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    code,
    message,
    nats_token_gateway,  # noqa: F401  (fixture: a gateway over the token-guarded nats-server)
    race,
    request_context,
)

ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
           "PrefixListIds": [], "UserIdGroupPairs": []}


# --- helpers ---------------------------------------------------------------------------------------


def make_vpc(ec2: Any, cidr: str = "10.0.0.0/16", **kwargs: Any) -> str:
    return str(ec2.create_vpc(CidrBlock=cidr, **kwargs)["Vpc"]["VpcId"])


def make_group(ec2: Any, vpc_id: str | None, name: str = "web", **kwargs: Any) -> str:
    args: dict[str, Any] = {"GroupName": name, "Description": kwargs.pop("Description", "web tier")}
    if vpc_id is not None:
        args["VpcId"] = vpc_id
    return str(ec2.create_security_group(**args, **kwargs)["GroupId"])


def group(ec2: Any, group_id: str) -> dict[str, Any]:
    found = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert len(found) == 1
    return dict(found[0])


def tcp(port: int, *cidrs: str, description: str | None = None, to: int | None = None) -> dict[str, Any]:
    ranges = [{"CidrIp": c, **({"Description": description} if description else {})} for c in cidrs]
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port if to is None else to, "IpRanges": ranges}


def set_default_vpc(gateway: RunningGateway, vpc_id: str | None, account_id: str = ADMIN) -> None:
    """Make ``vpc_id`` the account's only default VPC (``None``: no default VPC at all)."""
    ctx = request_context(gateway, account_id)

    async def apply() -> None:
        for record in await records.list_records(ctx, kinds.KINDS["vpc"]):
            flag = record["vpc_id"] == vpc_id

            def mark(current: dict[str, Any], flag: bool = flag) -> dict[str, Any]:
                return {**current, "is_default": flag}

            await records.mutate(ctx, kinds.KINDS["vpc"], record["vpc_id"], mark)

    gateway.run(apply())


def stored_group(gateway: RunningGateway, group_id: str, account_id: str = ADMIN) -> dict[str, Any]:
    return gateway.run(records.get(request_context(gateway, account_id), security_groups.SG, group_id))


def put_network_interface(gateway: RunningGateway, eni_id: str, group_ids: list[str]) -> None:
    """A network-interface record as Hive writes it (``vpc/eni.go``), referencing groups."""

    async def put() -> None:
        raw = await gateway.runtime.store.bucket(
            bucket_name(gateway.settings.bucket_prefix, "network_interfaces")
        )
        await RecordBucket(raw, None).put(
            account_key(ADMIN, eni_id),
            {"network_interface_id": eni_id, "security_group_ids": group_ids, "status": "available"},
        )

    gateway.run(put())


@pytest.fixture
def vpc_id(ec2: Any) -> str:
    return make_vpc(ec2)


# --- CreateSecurityGroup -----------------------------------------------------------------------------


def test_create_returns_id_tags_arn_and_the_allow_all_egress(ec2: Any, vpc_id: str) -> None:
    created = ec2.create_security_group(
        GroupName="web", Description="web tier", VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "w"}]}],
    )
    group_id = created["GroupId"]
    assert group_id.startswith("sg-") and len(group_id) == 20
    assert created["Tags"] == [{"Key": "Name", "Value": "w"}]
    assert created["SecurityGroupArn"] == f"arn:aws:ec2:ap-southeast-2:{ADMIN}:security-group/{group_id}"
    assert group(ec2, group_id) == {
        "GroupId": group_id, "GroupName": "web", "Description": "web tier", "OwnerId": ADMIN,
        "VpcId": vpc_id, "IpPermissions": [], "IpPermissionsEgress": [ALL_OUT],
        "SecurityGroupArn": created["SecurityGroupArn"], "Tags": [{"Key": "Name", "Value": "w"}],
    }


def test_untagged_group_has_no_tags_member(ec2: Any, vpc_id: str) -> None:
    created = ec2.create_security_group(GroupName="plain", Description="d", VpcId=vpc_id)
    assert "Tags" not in created
    assert "Tags" not in group(ec2, created["GroupId"])


def test_group_in_an_ipv6_vpc_also_allows_all_ipv6_out(ec2: Any) -> None:
    vpc = make_vpc(ec2, "10.9.0.0/16", AmazonProvidedIpv6CidrBlock=True)
    egress = group(ec2, make_group(ec2, vpc))["IpPermissionsEgress"]
    assert egress == [{**ALL_OUT, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]


def test_create_without_vpc_id_uses_the_default_vpc(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    set_default_vpc(gateway, vpc_id)
    assert group(ec2, make_group(ec2, None, "in-default"))["VpcId"] == vpc_id


def test_create_without_vpc_id_and_no_default_vpc(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    set_default_vpc(gateway, None)
    with pytest.raises(ClientError) as exc:
        make_group(ec2, None)
    assert (code(exc), message(exc)) == ("VPCIdNotSpecified", "No default VPC for this user")


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        ("sg-web", "d", "Value (sg-web) for parameter GroupName is invalid. Group names may not be in the format sg-*."),
        ("default", "d", "Cannot use reserved security group name: default"),
        ("bad%name", "d", "Invalid security group name. Valid names are strings less than 256 characters"),
        ("x" * 256, "d", "Invalid security group name."),
        ("ok", "bad\u00e9", "Invalid security group description. Valid descriptions are strings"),
        ("ok", "y" * 256, "Invalid security group description."),
    ],
)
def test_create_refuses_invalid_names_and_descriptions(
    ec2: Any, vpc_id: str, name: str, description: str, expected: str
) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id)
    assert code(exc) == "InvalidParameterValue"
    assert message(exc).startswith(expected)


def test_the_full_character_set_and_255_characters_are_accepted(ec2: Any, vpc_id: str) -> None:
    name = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
    group_id = make_group(ec2, vpc_id, name, Description="z" * 255)
    assert group(ec2, group_id)["GroupName"] == name
    make_group(ec2, vpc_id, "n" * 255)


def test_create_in_a_missing_vpc(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        make_group(ec2, "vpc-0123456789abcdef0")
    assert (code(exc), message(exc)) == (
        "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist"
    )
    with pytest.raises(ClientError) as exc:
        make_group(ec2, "subnet-1")
    assert code(exc) == "InvalidVpcID.Malformed"


def test_create_refuses_a_foreign_tag_specification(ec2: Any, vpc_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        make_group(ec2, vpc_id, TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}])
    assert code(exc) == "InvalidParameterValue"
    assert "'vpc' is not a valid taggable resource type" in message(exc)


def test_names_are_unique_per_vpc(ec2: Any, vpc_id: str) -> None:
    make_group(ec2, vpc_id, "app")
    with pytest.raises(ClientError) as exc:
        make_group(ec2, vpc_id, "app")
    assert (code(exc), message(exc)) == (
        "InvalidGroup.Duplicate", f"The security group 'app' already exists for VPC '{vpc_id}'"
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    make_group(ec2, make_vpc(ec2, "10.1.0.0/16"), "app")  # another VPC: fine


# --- the default group ------------------------------------------------------------------------------


def default_group(ec2: Any, vpc_id: str) -> dict[str, Any]:
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    assert len(found) == 1
    return dict(found[0])


def test_every_vpc_gets_a_default_group_like_aws(ec2: Any, vpc_id: str) -> None:
    default = default_group(ec2, vpc_id)
    assert default["Description"] == "default VPC security group"
    assert default["OwnerId"] == ADMIN
    assert default["IpPermissions"] == [
        {"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "UserIdGroupPairs": [{"GroupId": default["GroupId"], "UserId": ADMIN}]}
    ]
    assert default["IpPermissionsEgress"] == [ALL_OUT]
    with pytest.raises(ClientError) as exc:
        make_group(ec2, vpc_id, "default")
    assert code(exc) == "InvalidParameterValue"


def test_default_group_cannot_be_deleted(ec2: Any, vpc_id: str) -> None:
    default_id = default_group(ec2, vpc_id)["GroupId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=default_id)
    assert (code(exc), message(exc)) == (
        "CannotDelete", f'the specified group: "{default_id}" name: "default" cannot be deleted by a user'
    )
    # its rules, however, are the user's to change
    ec2.revoke_security_group_egress(GroupId=default_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert group(ec2, default_id)["IpPermissionsEgress"] == []


def test_create_default_security_group_export(gateway: RunningGateway, ec2: Any) -> None:
    """The function CreateVpc calls: the record it returns is the stored group."""
    ctx = request_context(gateway)
    vpc_id = "vpc-0000000000000abcd"

    async def seed() -> dict[str, Any]:
        from hive_gateway.core import vpc_index
        from hive_gateway.core import kinds, records

        await vpc_index.create(ctx, vpc_id)
        vpc = {"vpc_id": vpc_id, "ipv6_cidr_block_associations": [
            {"association_id": "a", "ipv6_cidr_block": "2001:db8::/56", "state": "associated"}]}
        # the group's VPC must exist: a create re-checks its declared parents (core.dependents)
        await records.create(ctx, kinds.KINDS["vpc"], {
            "vpc_id": vpc_id, "cidr_block": "10.9.0.0/16", "state": "available", "is_default": False,
            "enable_dns_hostnames": False, "enable_dns_support": True, "tags": {},
            "created_at": "2026-01-01T00:00:00Z"})
        return await security_groups.create_default_security_group(ctx, vpc)

    record = gateway.run(seed())
    assert record == stored_group(gateway, record["group_id"])
    assert record["group_name"] == "default" and record["vpc_id"] == vpc_id
    assert [r.get("source_sg") for r in record["ingress_rules"]] == [record["group_id"]]
    assert [(r.get("cidr_ip"), r.get("cidr_ipv6")) for r in record["egress_rules"]] == [
        ("0.0.0.0/0", None), (None, "::/0")
    ]
    assert all(r["rule_id"].startswith("sgr-") for r in record["ingress_rules"] + record["egress_rules"])


# --- DeleteSecurityGroup ----------------------------------------------------------------------------


def test_delete_by_id_releases_the_name(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id, "temp")
    ec2.delete_security_group(GroupId=group_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert (code(exc), message(exc)) == ("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=group_id)
    assert code(exc) == "InvalidGroup.NotFound"
    make_group(ec2, vpc_id, "temp")  # the name is free again


def test_delete_answers_return_and_group_id(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id, "answer")
    answer = ec2.delete_security_group(GroupId=group_id)
    assert (answer["Return"], answer["GroupId"]) == (True, group_id)


def test_delete_by_name_in_the_default_vpc(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    set_default_vpc(gateway, vpc_id)
    group_id = make_group(ec2, vpc_id, "by-name")
    assert ec2.delete_security_group(GroupName="by-name")["GroupId"] == group_id
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupName="by-name")
    assert (code(exc), message(exc)) == (
        "InvalidGroup.NotFound", f"The security group 'by-name' does not exist in default VPC '{vpc_id}'"
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group()
    assert code(exc) == "MissingParameter"


def test_delete_refuses_a_group_another_group_references(ec2: Any, vpc_id: str) -> None:
    target = make_group(ec2, vpc_id, "db")
    source = make_group(ec2, vpc_id, "app")
    ec2.authorize_security_group_ingress(
        GroupId=source, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                        "UserIdGroupPairs": [{"GroupId": target}]}]
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=target)
    assert (code(exc), message(exc)) == ("DependencyViolation", f"resource {target} has a dependent object")
    # a group referencing itself does not block its own deletion
    ec2.authorize_security_group_ingress(
        GroupId=source, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": source}]}]
    )
    ec2.delete_security_group(GroupId=source)
    ec2.delete_security_group(GroupId=target)


def test_delete_refuses_a_group_a_network_interface_uses(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id, "eni-group")
    put_network_interface(gateway, "eni-0123456789abcdef0", [group_id])
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=group_id)
    assert (code(exc), message(exc)) == ("DependencyViolation", f"resource {group_id} has a dependent object")
    put_network_interface(gateway, "eni-0123456789abcdef0", [])
    ec2.delete_security_group(GroupId=group_id)


# --- DescribeSecurityGroups ---------------------------------------------------------------------------


def test_describe_by_ids_and_errors(ec2: Any, vpc_id: str) -> None:
    a, b = make_group(ec2, vpc_id, "a"), make_group(ec2, vpc_id, "b")
    found = ec2.describe_security_groups(GroupIds=[b, a])["SecurityGroups"]
    assert sorted(g["GroupId"] for g in found) == sorted([a, b])
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupIds=[a, "sg-00000000000000000"])
    assert (code(exc), message(exc)) == (
        "InvalidGroup.NotFound", "The security group 'sg-00000000000000000' does not exist"
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupIds=["vpc-1"])
    assert code(exc) == "InvalidGroupId.Malformed"


def test_describe_by_group_names_in_the_default_vpc(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    other_vpc = make_vpc(ec2, "10.1.0.0/16")
    set_default_vpc(gateway, vpc_id)
    mine = make_group(ec2, vpc_id, "named")
    make_group(ec2, other_vpc, "named")  # same name elsewhere: not what GroupNames means
    found = ec2.describe_security_groups(GroupNames=["named", "default"])["SecurityGroups"]
    assert sorted(g["GroupId"] for g in found) == sorted([mine, default_group(ec2, vpc_id)["GroupId"]])
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupNames=["nope"])
    assert (code(exc), message(exc)) == (
        "InvalidGroup.NotFound", f"The security group 'nope' does not exist in default VPC '{vpc_id}'"
    )
    set_default_vpc(gateway, None)
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupNames=["named"])
    assert code(exc) == "VPCIdNotSpecified"


def test_describe_filters(ec2: Any, vpc_id: str) -> None:
    other_vpc = make_vpc(ec2, "10.1.0.0/16")
    web = make_group(ec2, vpc_id, "web", Description="web tier",
                     TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "tier", "Value": "front"}]}])
    db = make_group(ec2, vpc_id, "db", Description="database")
    far = make_group(ec2, other_vpc, "far", Description="elsewhere")
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        tcp(443, "0.0.0.0/0"),
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8081, "PrefixListIds": [{"PrefixListId": "pl-1869ddea"}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]},
    ])
    ec2.authorize_security_group_egress(GroupId=far, IpPermissions=[
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": far}],
         "Ipv6Ranges": [{"CidrIpv6": "fd00::/8"}], "PrefixListIds": [{"PrefixListId": "pl-051213b5"}]},
    ])
    mine = {web, db, far}

    def ids(*filters: tuple[str, list[str]]) -> set[str]:
        answer = ec2.describe_security_groups(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return {g["GroupId"] for g in answer["SecurityGroups"]} & mine

    assert ids(("group-name", ["web", "far"])) == {web, far}
    assert ids(("group-name", ["w*"])) == {web}
    assert ids(("group-id", [db])) == {db}
    assert ids(("vpc-id", [other_vpc])) == {far}
    assert ids(("description", ["*tier"])) == {web}
    assert ids(("owner-id", [ADMIN])) == mine
    assert ids(("owner-id", ["000000000009"])) == set()
    assert ids(("tag:tier", ["front"])) == {web}
    assert ids(("tag-key", ["tier"])) == {web}
    assert ids(("tag-value", ["fr?nt"])) == {web}
    assert ids(("ip-permission.cidr", ["0.0.0.0/0"])) == {web}
    assert ids(("ip-permission.ipv6-cidr", ["2001:db8::/32"])) == {web}
    assert ids(("ip-permission.prefix-list-id", ["pl-1869ddea"])) == {web}
    assert ids(("ip-permission.protocol", ["udp"])) == {web}
    assert ids(("ip-permission.protocol", ["17"])) == {web}  # a number matches its name
    assert ids(("ip-permission.from-port", ["5432"])) == {db}
    assert ids(("ip-permission.to-port", ["8081"])) == {web}
    assert ids(("ip-permission.group-id", [web])) == {db}
    assert ids(("ip-permission.group-name", ["web"])) == {db}
    assert ids(("ip-permission.user-id", [ADMIN])) == {db}
    assert ids(("egress.ip-permission.cidr", ["10.0.0.0/8"])) == {far}
    assert ids(("egress.ip-permission.cidr", ["0.0.0.0/0"])) == {web, db, far}
    assert ids(("egress.ip-permission.ipv6-cidr", ["fd00::/8"])) == {far}
    assert ids(("egress.ip-permission.prefix-list-id", ["pl-051213b5"])) == {far}
    assert ids(("egress.ip-permission.protocol", ["icmp"])) == {far}
    assert ids(("egress.ip-permission.protocol", ["-1"])) == {web, db, far}
    assert ids(("egress.ip-permission.from-port", ["8"])) == {far}
    assert ids(("egress.ip-permission.to-port", ["-1"])) == {far}
    assert ids(("egress.ip-permission.group-id", [far])) == {far}
    assert ids(("egress.ip-permission.group-name", ["far"])) == {far}
    assert ids(("egress.ip-permission.user-id", [ADMIN])) == {far}
    # filters on rules AND across rules, not within one rule (as AWS documents)
    assert ids(("ip-permission.protocol", ["udp"]), ("ip-permission.cidr", ["0.0.0.0/0"])) == {web}
    assert ids(("vpc-id", [vpc_id]), ("group-name", ["far"])) == set()
    with pytest.raises(ClientError) as exc:
        ids(("groupName", ["web"]))
    assert (code(exc), message(exc)) == ("InvalidParameterValue", "The filter 'groupName' is invalid")


def test_describe_pagination(ec2: Any, vpc_id: str) -> None:
    created = {make_group(ec2, vpc_id, f"page-{n}") for n in range(7)}
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"Filters": vpc_filter, "MaxResults": 5}
        if token:
            kwargs["NextToken"] = token
        answer = ec2.describe_security_groups(**kwargs)
        pages += 1
        seen += [g["GroupId"] for g in answer["SecurityGroups"]]
        token = answer.get("NextToken")
        if not token:
            break
    assert pages == 2
    assert len(seen) == len(set(seen)) == 8  # seven plus the VPC's default group
    assert created < set(seen)
    paginated = ec2.get_paginator("describe_security_groups").paginate(Filters=vpc_filter, PaginationConfig={"PageSize": 5})
    assert sorted(g["GroupId"] for page in paginated for g in page["SecurityGroups"]) == sorted(seen)
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupIds=list(created)[:1], MaxResults=5)
    assert code(exc) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(NextToken="garbage", MaxResults=5)
    assert code(exc) == "InvalidPaginationToken"


def test_describe_xml_matches_the_model(gateway: RunningGateway, ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id, "xml", TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "k", "Value": "v"}]}])
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8", description="ssh")])

    answer = admin_send(gateway, f"Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1={group_id}")
    assert answer.status == 200
    assert_matches_model(answer.body, "DescribeSecurityGroups")
    assert b"<groupDescription>web tier</groupDescription>" in answer.body
    answer = admin_send(gateway, f"Action=DescribeSecurityGroupRules&Version=2016-11-15&Filter.1.Name=group-id&Filter.1.Value.1={group_id}")
    assert_matches_model(answer.body, "DescribeSecurityGroupRules")
    answer = admin_send(gateway, "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-00000000000000000")
    assert answer.status == 404
    assert_error_envelope(answer.body, "ec2", code="InvalidGroup.NotFound")


# --- AuthorizeSecurityGroupIngress / Egress ---------------------------------------------------------------


def test_authorize_returns_the_created_rules(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    answer = ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        tcp(22, "10.0.0.0/8", "192.168.0.0/16", description="ssh"),
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id, "Description": "self"}]},
    ])
    assert answer["Return"] is True
    rules = answer["SecurityGroupRules"]
    assert len(rules) == 3 and len({r["SecurityGroupRuleId"] for r in rules}) == 3
    first = rules[0]
    assert first["SecurityGroupRuleId"].startswith("sgr-")
    assert first == {
        "SecurityGroupRuleId": first["SecurityGroupRuleId"], "GroupId": group_id, "GroupOwnerId": ADMIN,
        "IsEgress": False, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "10.0.0.0/8",
        "Description": "ssh", "Tags": [],
        "SecurityGroupRuleArn": f"arn:aws:ec2:ap-southeast-2:{ADMIN}:security-group-rule/{first['SecurityGroupRuleId']}",
    }
    assert rules[2]["ReferencedGroupInfo"] == {"GroupId": group_id, "UserId": ADMIN}
    assert (rules[2]["FromPort"], rules[2]["ToPort"]) == (-1, -1)
    assert group(ec2, group_id)["IpPermissions"] == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}, {"CidrIp": "192.168.0.0/16", "Description": "ssh"}],
         "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []},
        {"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "UserIdGroupPairs": [{"GroupId": group_id, "UserId": ADMIN, "Description": "self"}]},
    ]


@pytest.mark.parametrize(
    ("given", "name", "ports"),
    [("6", "tcp", (80, 80)), ("TCP", "tcp", (80, 80)), ("17", "udp", (53, 53)), ("1", "icmp", (8, 0)),
     ("58", "icmpv6", (128, -1)), ("all", "-1", None), ("-1", "-1", None), ("50", "50", None)],
)
def test_protocols_are_answered_as_names(
    ec2: Any, vpc_id: str, given: str, name: str, ports: tuple[int, int] | None
) -> None:
    group_id = make_group(ec2, vpc_id)
    permission: dict[str, Any] = {"IpProtocol": given, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    if ports:
        permission.update(FromPort=ports[0], ToPort=ports[1])
    else:
        permission.update(FromPort=0, ToPort=0)  # ignored, as Terraform sends them for -1
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    [described] = group(ec2, group_id)["IpPermissions"]
    assert described["IpProtocol"] == name
    if ports:
        assert (described["FromPort"], described["ToPort"]) == ports
    else:
        assert "FromPort" not in described and "ToPort" not in described


def test_legacy_flat_parameters(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    set_default_vpc(gateway, vpc_id)
    target = make_group(ec2, vpc_id, "flat")
    make_group(ec2, vpc_id, "source")
    ec2.authorize_security_group_ingress(GroupName="flat", IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.1.0.0/16")
    ec2.authorize_security_group_ingress(GroupId=target, SourceSecurityGroupName="source")
    source_id = group(ec2, target)["IpPermissions"]
    by_protocol = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in source_id}
    assert by_protocol[("tcp", 22, 22)]["IpRanges"] == [{"CidrIp": "10.1.0.0/16"}]
    assert set(by_protocol) == {("tcp", 22, 22), ("icmp", -1, -1), ("tcp", 0, 65535), ("udp", 0, 65535)}
    assert by_protocol[("udp", 0, 65535)]["UserIdGroupPairs"][0]["UserId"] == ADMIN
    ec2.revoke_security_group_ingress(GroupName="flat", IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.1.0.0/16")
    assert len(group(ec2, target)["IpPermissions"]) == 3


def test_duplicates_are_refused_with_aws_wording(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "0.0.0.0/0")])
    before = group(ec2, group_id)
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[tcp(80, "0.0.0.0/0"), {**tcp(22, "0.0.0.0/0", description="other"), "IpProtocol": "6"}],
        )
    assert code(exc) == "InvalidPermission.Duplicate"
    assert message(exc) == 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists'
    assert group(ec2, group_id) == before  # nothing of the failed call was written
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(80, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")])
    assert code(exc) == "InvalidPermission.Duplicate"
    # the default egress is the same rule whatever ports come with -1
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "all", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert message(exc) == 'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists'


@pytest.mark.parametrize(
    ("permission", "error", "text"),
    [
        ({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "InvalidParameterValue",
         "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."),
        (tcp(70000, "10.0.0.0/8"), "InvalidParameterValue", "Invalid value '70000' for portRange"),
        (tcp(-1, "10.0.0.0/8"), "InvalidParameterValue", "Invalid value '-1' for portRange"),
        (tcp(90, "10.0.0.0/8", to=80), "InvalidParameterValue", "Invalid TCP/UDP port range"),
        ({"IpProtocol": "icmp", "FromPort": 256, "ToPort": 0, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidParameterValue", "Invalid value '256' for ICMP type"),
        ({"IpProtocol": "icmp", "FromPort": 3, "ToPort": -2, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidParameterValue", "Invalid value '-2' for ICMP code"),
        (tcp(22, "10.0.0.5/16"), "InvalidParameterValue", "CIDR block 10.0.0.5/16 is malformed"),
        (tcp(22, "10.0.0.300/16"), "InvalidParameterValue",
         "Value (10.0.0.300/16) for parameter cidrIp is invalid. This is not a valid CIDR block."),
        (tcp(22, "10.0.0.0"), "InvalidParameterValue", "Value (10.0.0.0) for parameter cidrIp is invalid."),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "Ipv6Ranges": [{"CidrIpv6": "10.0.0.0/8"}]},
         "InvalidParameterValue", "Value (10.0.0.0/8) for parameter cidrIpv6 is invalid."),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::1/32"}]},
         "InvalidParameterValue", "CIDR block 2001:db8::1/32 is malformed"),
        ({"IpProtocol": "bogus", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "InvalidParameterValue",
         "Invalid value 'bogus' for IP protocol. Unknown protocol."),
        ({"IpProtocol": "256", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "InvalidParameterValue",
         "Invalid value '256' for IP protocol."),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1}, "MissingParameter", "The request must contain"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": "sg-00000000000000000"}]},
         "InvalidGroup.NotFound", "The security group 'sg-00000000000000000' does not exist"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupName": "ghost"}]},
         "InvalidGroup.NotFound", "The security group 'ghost' does not exist"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "PrefixListIds": [{"PrefixListId": "foo"}]},
         "InvalidPrefixListID.Malformed", 'Invalid id: "foo"'),
        (tcp(22, "10.0.0.0/8", description="caf\u00e9"), "InvalidParameterValue", "Invalid rule description."),
    ],
)
def test_authorize_validation(ec2: Any, vpc_id: str, permission: dict[str, Any], error: str, text: str) -> None:
    group_id = make_group(ec2, vpc_id)
    before = group(ec2, group_id)
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(443, "0.0.0.0/0"), permission])
    assert code(exc) == error
    assert message(exc).startswith(text)
    assert group(ec2, group_id) == before


def test_authorize_needs_a_group_and_permissions(ec2: Any, vpc_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_ingress(GroupId="sg-00000000000000000", IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert (code(exc), message(exc)) == ("InvalidGroup.NotFound", "The security group 'sg-00000000000000000' does not exist")
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_egress(GroupId=make_group(ec2, vpc_id))
    assert code(exc) == "MissingParameter"


# --- RevokeSecurityGroupIngress / Egress -------------------------------------------------------------------


def test_revoke_by_permissions_ignores_descriptions_and_returns_the_revoked_rules(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8", "10.1.0.0/16", description="x")])
    answer = ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[{**tcp(22, "10.0.0.0/8"), "IpProtocol": "6"}])
    assert answer["Return"] is True
    [revoked] = answer["RevokedSecurityGroupRules"]
    assert {k: revoked[k] for k in ("GroupId", "IsEgress", "IpProtocol", "FromPort", "ToPort", "CidrIpv4", "Description")} == {
        "GroupId": group_id, "IsEgress": False, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "CidrIpv4": "10.0.0.0/8", "Description": "x"}
    assert group(ec2, group_id)["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.1.0.0/16", "Description": "x"}]


def test_revoking_a_missing_rule_is_not_found(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8")])
    before = group(ec2, group_id)
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(23, "10.0.0.0/8")])
    assert (code(exc), message(exc)) == (
        "InvalidPermission.NotFound", "The specified rule does not exist in this security group."
    )
    assert group(ec2, group_id) == before  # all or nothing
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    assert code(exc) == "InvalidPermission.NotFound"


def test_revoke_by_rule_ids(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    created = ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")])
    first = created["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    answer = ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[first])
    assert [r["SecurityGroupRuleId"] for r in answer["RevokedSecurityGroupRules"]] == [first]
    assert [p["FromPort"] for p in group(ec2, group_id)["IpPermissions"]] == [80]
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[first])
    assert (code(exc), message(exc)) == (
        "InvalidSecurityGroupRuleId.NotFound", f"The security group rule ID '{first}' does not exist"
    )
    egress_id = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    egress_rule = next(r for r in egress_id["SecurityGroupRules"] if r["IsEgress"])["SecurityGroupRuleId"]
    with pytest.raises(ClientError) as exc:  # an egress rule is not an ingress rule
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[egress_rule])
    assert code(exc) == "InvalidSecurityGroupRuleId.NotFound"
    ec2.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=[egress_rule])
    assert group(ec2, group_id)["IpPermissionsEgress"] == []
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=["x-1"])
    assert code(exc) == "InvalidSecurityGroupRuleId.Malformed"
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_ingress(GroupId=group_id)
    assert code(exc) == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[first], IpPermissions=[tcp(80, "10.0.0.0/8")])
    assert code(exc) == "InvalidParameterCombination"


def test_a_rule_naming_a_deleted_group_stays_revocable(ec2: Any, vpc_id: str, gateway: RunningGateway) -> None:
    holder = make_group(ec2, vpc_id, "holder")
    ctx = request_context(gateway)
    ghost = "sg-0000000000000dead"
    gateway.run(records.mutate(ctx, security_groups.SG, holder, lambda r: {
        **r, "ingress_rules": [{"ip_protocol": "tcp", "from_port": 1, "to_port": 1, "source_sg": ghost}]}))
    ec2.revoke_security_group_ingress(GroupId=holder, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": ghost}]}])
    assert group(ec2, holder)["IpPermissions"] == []


PEERS = st.sampled_from([
    ("IpRanges", {"CidrIp": "10.0.0.0/8"}), ("IpRanges", {"CidrIp": "0.0.0.0/0"}),
    ("IpRanges", {"CidrIp": "192.168.1.0/24", "Description": "lan"}),
    ("Ipv6Ranges", {"CidrIpv6": "::/0"}), ("Ipv6Ranges", {"CidrIpv6": "2001:db8::/48"}),
    ("PrefixListIds", {"PrefixListId": "pl-1869ddea"}), ("UserIdGroupPairs", "self"),
])


@st.composite
def permissions(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        protocol = draw(st.sampled_from(["tcp", "6", "udp", "icmp", "-1", "all", "47"]))
        permission: dict[str, Any] = {"IpProtocol": protocol}
        if protocol in ("tcp", "6", "udp"):
            start = draw(st.integers(0, 65535))
            permission.update(FromPort=start, ToPort=draw(st.integers(start, 65535)))
        elif protocol == "icmp":
            permission.update(FromPort=draw(st.integers(0, 255)), ToPort=draw(st.integers(-1, 255)))
        elif draw(st.booleans()):
            permission.update(FromPort=0, ToPort=0)
        for member, peer in draw(st.lists(PEERS, min_size=1, max_size=3, unique_by=lambda p: repr(p))):
            permission.setdefault(member, []).append(peer)
        out.append(permission)
    return out


@pytest.fixture
def property_group(gateway: RunningGateway, ec2: Any) -> Iterator[str]:
    vpc = make_vpc(ec2, "10.50.0.0/16", AmazonProvidedIpv6CidrBlock=True)
    group_id = make_group(ec2, vpc, "property")
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8")])
    yield group_id


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requested=permissions(), egress=st.booleans())
def test_revoke_undoes_authorize(ec2: Any, property_group: str, requested: list[dict[str, Any]], egress: bool) -> None:
    """revoke(authorize(x)) leaves the group exactly as it was; a refused authorize changes nothing."""
    for permission in requested:
        if "UserIdGroupPairs" in permission:
            permission["UserIdGroupPairs"] = [{"GroupId": property_group}]
    authorize = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    revoke = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
    before = group(ec2, property_group)
    try:
        authorize(GroupId=property_group, IpPermissions=requested)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidPermission.Duplicate"
        assert group(ec2, property_group) == before
        return
    assert group(ec2, property_group) != before
    revoke(GroupId=property_group, IpPermissions=requested)
    assert group(ec2, property_group) == before


# --- DescribeSecurityGroupRules, ModifySecurityGroupRules, descriptions, rule tags ------------------------


def test_describe_security_group_rules(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    other = make_group(ec2, vpc_id, "other")
    tagged = ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "role", "Value": "web"}]}],
    )["SecurityGroupRules"]
    assert all(r["Tags"] == [{"Key": "role", "Value": "web"}] for r in tagged)
    mine = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    assert len(mine) == 3 and {r["GroupId"] for r in mine} == {group_id}
    [egress] = [r for r in mine if r["IsEgress"]]
    assert egress | {"SecurityGroupRuleId": "x", "SecurityGroupRuleArn": "y"} == {
        "SecurityGroupRuleId": "x", "SecurityGroupRuleArn": "y", "GroupId": group_id, "GroupOwnerId": ADMIN,
        "IsEgress": True, "IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0", "Tags": []}
    first = tagged[0]["SecurityGroupRuleId"]
    assert [r["SecurityGroupRuleId"] for r in ec2.describe_security_group_rules(SecurityGroupRuleIds=[first])["SecurityGroupRules"]] == [first]
    by_id = ec2.describe_security_group_rules(Filters=[{"Name": "security-group-rule-id", "Values": [first]}])
    assert [r["SecurityGroupRuleId"] for r in by_id["SecurityGroupRules"]] == [first]
    by_tag = ec2.describe_security_group_rules(Filters=[{"Name": "tag:role", "Values": ["web"]}])["SecurityGroupRules"]
    assert sorted(r["SecurityGroupRuleId"] for r in by_tag) == sorted(r["SecurityGroupRuleId"] for r in tagged)
    both = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id, other]}])
    assert len(both["SecurityGroupRules"]) == 4
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_group_rules(SecurityGroupRuleIds=["sgr-00000000000000000"])
    assert (code(exc), message(exc)) == (
        "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-00000000000000000' does not exist"
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_group_rules(Filters=[{"Name": "cidr", "Values": ["x"]}])
    assert code(exc) == "InvalidParameterValue"
    # pagination over the filtered rules
    seen: list[str] = []
    for page in ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [group_id, other]}], PaginationConfig={"PageSize": 5}
    ):
        assert len(page["SecurityGroupRules"]) <= 5
        seen += [r["SecurityGroupRuleId"] for r in page["SecurityGroupRules"]]
    assert len(seen) == len(set(seen)) == 4
    first_page = ec2.describe_security_group_rules(MaxResults=5)
    assert len(first_page["SecurityGroupRules"]) == 5 and first_page["NextToken"]


def test_modify_security_group_rules(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    other = make_group(ec2, vpc_id, "other")
    rules = ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "keep", "Value": "me"}]}],
    )["SecurityGroupRules"]
    rule_id = rules[0]["SecurityGroupRuleId"]
    answer = ec2.modify_security_group_rules(GroupId=group_id, SecurityGroupRules=[{
        "SecurityGroupRuleId": rule_id,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222,
                              "ReferencedGroupId": other, "Description": "moved"}}])
    assert answer["Return"] is True
    [modified] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    assert modified["FromPort"] == 2222 and modified["ReferencedGroupInfo"] == {"GroupId": other, "UserId": ADMIN}
    assert modified["Description"] == "moved" and modified["Tags"] == [{"Key": "keep", "Value": "me"}]
    assert "CidrIpv4" not in modified
    with pytest.raises(ClientError) as exc:
        ec2.modify_security_group_rules(GroupId=group_id, SecurityGroupRules=[{
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv4": "10.0.0.0/8"}}])
    assert code(exc) == "InvalidPermission.Duplicate"
    with pytest.raises(ClientError) as exc:
        ec2.modify_security_group_rules(GroupId=other, SecurityGroupRules=[{
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "10.9.0.0/16"}}])
    assert code(exc) == "InvalidSecurityGroupRuleId.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.modify_security_group_rules(GroupId=group_id, SecurityGroupRules=[{
            "SecurityGroupRuleId": rule_id,
            "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "10.9.0.0/16", "CidrIpv6": "::/0"}}])
    assert code(exc) == "InvalidParameterValue"


def test_update_rule_descriptions(ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id)
    rules = ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8", description="old"), tcp(80, "10.0.0.0/8")]
    )["SecurityGroupRules"]
    assert ec2.update_security_group_rule_descriptions_ingress(
        GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8", description="new")])["Return"] is True
    assert ec2.update_security_group_rule_descriptions_ingress(
        GroupId=group_id, SecurityGroupRuleDescriptions=[
            {"SecurityGroupRuleId": rules[1]["SecurityGroupRuleId"], "Description": "web"}])["Return"] is True
    described = {p["FromPort"]: p["IpRanges"] for p in group(ec2, group_id)["IpPermissions"]}
    assert described == {22: [{"CidrIp": "10.0.0.0/8", "Description": "new"}],
                         80: [{"CidrIp": "10.0.0.0/8", "Description": "web"}]}
    ec2.update_security_group_rule_descriptions_ingress(GroupId=group_id, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert group(ec2, group_id)["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "10.0.0.0/8"}]
    with pytest.raises(ClientError) as exc:
        ec2.update_security_group_rule_descriptions_ingress(GroupId=group_id, IpPermissions=[tcp(23, "10.0.0.0/8", description="x")])
    assert (code(exc), message(exc)) == (
        "InvalidPermission.NotFound", "The specified rule does not exist in this security group."
    )
    with pytest.raises(ClientError) as exc:
        ec2.update_security_group_rule_descriptions_ingress(
            GroupId=group_id, SecurityGroupRuleDescriptions=[{"SecurityGroupRuleId": "sgr-00000000000000000", "Description": "x"}])
    assert code(exc) == "InvalidSecurityGroupRuleId.NotFound"
    ec2.update_security_group_rule_descriptions_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "all out"}]}])
    assert group(ec2, group_id)["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "all out"}]
    with pytest.raises(ClientError) as exc:
        ec2.update_security_group_rule_descriptions_egress(GroupId=group_id)
    assert code(exc) == "MissingParameter"


# --- the Terraform aws_security_group create sequence ------------------------------------------------------


def gather(permissions: list[dict[str, Any]], group_id: str, owner_id: str) -> dict[str, dict[str, Any]]:
    """The provider's ``securityGroupIPPermGather``: rules keyed protocol-from-to-description,
    missing ports read as 0, own group as ``self``, other owners as ``owner/sg``."""
    rules: dict[str, dict[str, Any]] = {}

    def rule(permission: dict[str, Any], description: str) -> dict[str, Any]:
        from_port, to_port = permission.get("FromPort", 0), permission.get("ToPort", 0)
        key = f"{permission['IpProtocol']}-{from_port}-{to_port}-{description}"
        return rules.setdefault(key, {"protocol": permission["IpProtocol"], "from_port": from_port,
                                      "to_port": to_port, "description": description})

    for permission in permissions:
        for r in permission["IpRanges"]:
            rule(permission, r.get("Description", "")).setdefault("cidr_blocks", []).append(r["CidrIp"])
        for r in permission["Ipv6Ranges"]:
            rule(permission, r.get("Description", "")).setdefault("ipv6_cidr_blocks", []).append(r["CidrIpv6"])
        for r in permission["PrefixListIds"]:
            rule(permission, r.get("Description", "")).setdefault("prefix_list_ids", []).append(r["PrefixListId"])
        for pair in permission["UserIdGroupPairs"]:
            target = rule(permission, pair.get("Description", ""))
            if pair["GroupId"] == group_id:
                target["self"] = True
            else:
                name = pair["GroupId"] if pair.get("UserId") in (None, owner_id) else f"{pair['UserId']}/{pair['GroupId']}"
                target.setdefault("security_groups", []).append(name)
    return rules


@pytest.mark.parametrize("ipv6", [False, True])
def test_terraform_create_sequence(ec2: Any, ipv6: bool) -> None:
    vpc = make_vpc(ec2, "10.60.0.0/16", AmazonProvidedIpv6CidrBlock=ipv6)
    peer = make_group(ec2, vpc, "peer")
    group_id = ec2.create_security_group(
        GroupName="terraform-20240101000000000000000001", Description="Managed by Terraform", VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "tf"}]}],
    )["GroupId"]
    for _ in range(3):  # waitSecurityGroupCreated: ContinuousTargetOccurence=3
        assert group(ec2, group_id)["GroupId"] == group_id
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "IpProtocol": "-1"}])
    try:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "IpProtocol": "-1"}])
        assert ipv6, "the ::/0 egress exists only in an IPv6 VPC"
    except ClientError as error:
        assert not ipv6 and error.response["Error"]["Code"] == "InvalidPermission.NotFound"
    assert group(ec2, group_id)["IpPermissionsEgress"] == []
    # resourceSecurityGroupUpdate: the config's rules, collapsed by protocol/ports/description
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}, {"CidrIp": "172.16.0.0/12", "Description": "ssh"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}, {"GroupId": peer}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ])
    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    described = group(ec2, group_id)
    assert described["OwnerId"] == ADMIN
    assert described["Description"] == "Managed by Terraform"
    assert described["Tags"] == [{"Key": "Name", "Value": "tf"}]
    for permission in described["IpPermissions"] + described["IpPermissionsEgress"]:
        assert permission["IpProtocol"] in ("tcp", "udp", "icmp", "icmpv6", "-1")
        if permission["IpProtocol"] == "-1":
            assert "FromPort" not in permission and "ToPort" not in permission
        for pair in permission["UserIdGroupPairs"]:
            assert pair["UserId"] == described["OwnerId"]
    assert sorted(gather(described["IpPermissions"], group_id, ADMIN).values(), key=repr) == sorted([
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "description": "ssh",
         "cidr_blocks": ["10.0.0.0/8", "172.16.0.0/12"]},
        {"protocol": "-1", "from_port": 0, "to_port": 0, "description": "", "self": True, "security_groups": [peer]},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "description": "", "ipv6_cidr_blocks": ["::/0"]},
        {"protocol": "icmp", "from_port": -1, "to_port": -1, "description": "", "cidr_blocks": ["0.0.0.0/0"]},
    ], key=repr)
    assert list(gather(described["IpPermissionsEgress"], group_id, ADMIN).values()) == [
        {"protocol": "-1", "from_port": 0, "to_port": 0, "description": "", "cidr_blocks": ["0.0.0.0/0"]}
    ]
    # destroy: DescribeNetworkInterfaces is another module's; then delete and wait for NotFound
    ec2.delete_security_group(GroupId=group_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert code(exc) == "InvalidGroup.NotFound"


def test_data_source_lookup_by_sorted_filters(ec2: Any, vpc_id: str) -> None:
    """aws_security_group data source: group-name + vpc-id (sorted) + tag:K, exactly one match."""
    group_id = make_group(ec2, vpc_id, "lookup", TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "env", "Value": "prod"}]}])
    found = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["lookup"]}, {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "tag:env", "Values": ["prod"]}])["SecurityGroups"]
    assert [(g["GroupId"], g["OwnerId"]) for g in found] == [(group_id, ADMIN)]


# --- Hive-written records ---------------------------------------------------------------------------------


def test_hive_written_rules_read_and_revoke_like_ours(ec2: Any, gateway: RunningGateway, vpc_id: str) -> None:
    """Hive stores -1 with ports 0/0 and no rule ids; both must behave like our records."""
    group_id = make_group(ec2, vpc_id, "hive")
    hive_rules = {
        "ingress_rules": [{"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "10.0.0.0/8"},
                          {"ip_protocol": "-1", "from_port": 0, "to_port": 0, "source_sg": group_id}],
        "egress_rules": [{"ip_protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ip": "0.0.0.0/0"}],
    }
    gateway.run(records.mutate(request_context(gateway), security_groups.SG, group_id, lambda r: {**r, **hive_rules}))
    described = group(ec2, group_id)
    assert described["IpPermissionsEgress"] == [ALL_OUT]
    assert described["IpPermissions"][1] == {
        "IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
        "UserIdGroupPairs": [{"GroupId": group_id, "UserId": ADMIN}]}
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    again = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    assert [r["SecurityGroupRuleId"] for r in rules] == [r["SecurityGroupRuleId"] for r in again]  # stable ids
    ssh = next(r["SecurityGroupRuleId"] for r in rules if r.get("FromPort") == 22)
    # a write stores the derived ids: the id seen before the write still names the rule
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert stored_group(gateway, group_id)["ingress_rules"][0]["rule_id"] == ssh
    ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[ssh])
    assert len(group(ec2, group_id)["IpPermissions"]) == 1


def test_event_rules_use_hives_shape() -> None:
    rules = [
        {"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ip": "0.0.0.0/0", "rule_id": "sgr-1", "tags": {}},
        {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "source_sg": "sg-1", "description": "d"},
        {"ip_protocol": "-1", "from_port": -1, "to_port": -1, "cidr_ipv6": "::/0"},
    ]
    assert security_groups._hive_rules(rules) == [
        {"ip_protocol": "-1", "from_port": 0, "to_port": 0, "cidr_ip": "0.0.0.0/0"},
        {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "source_sg": "sg-1"},
    ]


# --- tenants and races --------------------------------------------------------------------------------------


def test_another_account_cannot_see_or_touch_a_group(gateway: RunningGateway, ec2: Any, vpc_id: str) -> None:
    group_id = make_group(ec2, vpc_id, "private")
    tenant = gateway.create_account("tenant-sg")
    other = gateway.client("ec2", creds=tenant)
    missing = "sg-00000000000000000"
    calls: list[Callable[[str], Any]] = [
        lambda g: other.describe_security_groups(GroupIds=[g]),
        lambda g: other.delete_security_group(GroupId=g),
        lambda g: other.authorize_security_group_ingress(GroupId=g, IpPermissions=[tcp(22, "10.0.0.0/8")]),
        lambda g: other.revoke_security_group_egress(GroupId=g, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as theirs:
            call(group_id)
        with pytest.raises(ClientError) as absent:
            call(missing)
        assert code(theirs) == code(absent) == "InvalidGroup.NotFound"
        assert message(theirs) == message(absent).replace(missing, group_id)
    assert group_id not in {g["GroupId"] for g in other.describe_security_groups()["SecurityGroups"]}
    assert other.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"] == []
    their_vpc = make_vpc(other, "10.0.0.0/16")
    their_group = make_group(other, their_vpc, "private")  # same name, other account: fine
    with pytest.raises(ClientError) as exc:  # referencing my group from theirs
        other.authorize_security_group_ingress(GroupId=their_group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": group_id, "UserId": ADMIN}]}])
    assert code(exc) == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as exc:
        make_group(other, vpc_id, "x")
    assert code(exc) == "InvalidVpcID.NotFound"
    assert group(ec2, group_id)["IpPermissions"] == []


@pytest.mark.parametrize("backend", ["gateway", "nats_token_gateway"])
def test_concurrent_creates_of_one_name(request: pytest.FixtureRequest, backend: str) -> None:
    running: RunningGateway = request.getfixturevalue(backend)
    vpc = make_vpc(running.client("ec2"), "10.70.0.0/16")
    clients = [running.client("ec2") for _ in range(10)]

    outcomes = race(lambda client: make_group(client, vpc, "racer"), clients)
    winners = [o for o in outcomes if o.startswith("sg-")]
    assert len(winners) == 1
    assert sorted(o for o in outcomes if not o.startswith("sg-")) == ["InvalidGroup.Duplicate"] * 9
    found = running.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["racer"]}, {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert [g["GroupId"] for g in found] == winners


def test_concurrent_authorizes_all_land(gateway: RunningGateway, ec2: Any, vpc_id: str) -> None:
    """Each Authorize is one compare-and-swap: concurrent calls on one group lose nothing."""
    group_id = make_group(ec2, vpc_id, "busy")
    clients = [gateway.client("ec2") for _ in range(10)]

    def add(index: int) -> None:
        clients[index].authorize_security_group_ingress(GroupId=group_id, IpPermissions=[tcp(1000 + index, "10.0.0.0/8")])

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(add, range(10)))
    ports = sorted(p["FromPort"] for p in group(ec2, group_id)["IpPermissions"])
    assert ports == list(range(1000, 1010))
