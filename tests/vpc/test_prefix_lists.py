"""Managed prefix lists end to end: boto3 against a real gateway."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.prefix_lists.catalogue import managed_lists, prefix_list_id
from tests.fixtures.gateway import RunningGateway
from tests.helpers import error_of, new_vpc, tag_specifications

REGION = "ap-southeast-2"
S3_LIST = prefix_list_id(REGION, "s3")


def timings(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway, **seconds: float) -> None:
    """Give the gateway's prefix-list transitions the given durations (0 unless a test says)."""
    settings = gateway.runtime.settings
    base = {"prefix_list_create": 0.0, "prefix_list_modify": 0.0, "prefix_list_delete": 0.0}
    new = replace(settings.timings, **{**base, **seconds})
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=new))


@pytest.fixture(autouse=True)
def _instant(gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    timings(monkeypatch, gateway)


def new_list(ec2: Any, name: str = "office", max_entries: int = 5, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("Entries", [{"Cidr": "10.1.0.0/16", "Description": "hq"}])
    return dict(
        ec2.create_managed_prefix_list(
            PrefixListName=name, MaxEntries=max_entries, AddressFamily="IPv4", **kwargs
        )["PrefixList"]
    )


def entries(ec2: Any, pl_id: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(ec2.get_managed_prefix_list_entries(PrefixListId=pl_id, **kwargs)["Entries"])


# --- AWS-managed lists ----------------------------------------------------------------------


def test_aws_managed_lists_per_region(ec2: Any) -> None:
    found = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])[
        "PrefixLists"
    ]
    names = sorted(p["PrefixListName"] for p in found)
    assert names == [
        f"com.amazonaws.{REGION}.dynamodb",
        f"com.amazonaws.{REGION}.ec2-instance-connect",
        f"com.amazonaws.{REGION}.s3",
    ]
    s3 = next(p for p in found if p["PrefixListName"].endswith(".s3"))
    assert s3["PrefixListId"] == S3_LIST
    assert s3["State"] == "create-complete"
    assert s3["PrefixListArn"] == f"arn:aws:ec2:{REGION}:aws:prefix-list/{S3_LIST}"
    # The same id every time and in the legacy action, with realistic CIDRs.
    legacy = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}]
    )["PrefixLists"]
    assert [p["PrefixListId"] for p in legacy] == [S3_LIST]
    assert "52.95.128.0/21" in legacy[0]["Cidrs"]
    assert {e["Cidr"] for e in entries(ec2, S3_LIST)} == set(legacy[0]["Cidrs"])
    assert prefix_list_id("eu-west-1", "s3") != S3_LIST
    assert len({pl.prefix_list_id for pl in managed_lists("us-east-1")}) == 3


def test_describe_prefix_lists_unknown_id_and_filters(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.describe_prefix_lists(PrefixListIds=["pl-00000000"])
    assert error_of(exc) == (
        "InvalidPrefixListId.NotFound",
        "The prefix list ID 'pl-00000000' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'owner-id' is invalid")
    page = ec2.describe_prefix_lists(MaxResults=2)
    assert len(page["PrefixLists"]) == 2 and page["NextToken"]
    rest = ec2.describe_prefix_lists(MaxResults=2, NextToken=page["NextToken"])
    assert len(rest["PrefixLists"]) == 1 and "NextToken" not in rest


def test_aws_managed_lists_cannot_change(ec2: Any) -> None:
    for call in (
        lambda: ec2.delete_managed_prefix_list(PrefixListId=S3_LIST),
        lambda: ec2.modify_managed_prefix_list(PrefixListId=S3_LIST, PrefixListName="x"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "InvalidParameterValue"


# --- customer-managed lists -----------------------------------------------------------------


def test_terraform_create_read_modify_delete(ec2: Any) -> None:
    created = new_list(
        ec2, TagSpecifications=tag_specifications("prefix-list", Name="office"), ClientToken="t-1"
    )
    pl_id = created["PrefixListId"]
    assert pl_id.startswith("pl-")
    assert created["OwnerId"] == "000000000001"
    assert created["Version"] == 1 and created["MaxEntries"] == 5
    assert created["Tags"] == [{"Key": "Name", "Value": "office"}]
    assert created["PrefixListArn"] == f"arn:aws:ec2:{REGION}:000000000001:prefix-list/{pl_id}"
    # ClientToken: the same request answers the same list.
    again = new_list(
        ec2, TagSpecifications=tag_specifications("prefix-list", Name="office"), ClientToken="t-1"
    )
    assert again["PrefixListId"] == pl_id
    with pytest.raises(ClientError) as exc:
        new_list(ec2, name="other", ClientToken="t-1")
    assert error_of(exc)[0] == "IdempotentParameterMismatch"
    read = ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"]
    assert read[0]["State"] == "create-complete"
    assert entries(ec2, pl_id) == [{"Cidr": "10.1.0.0/16", "Description": "hq"}]
    # Terraform's update: add and remove entries against the current version.
    ec2.modify_managed_prefix_list(
        PrefixListId=pl_id,
        PrefixListName="office",
        CurrentVersion=1,
        AddEntries=[{"Cidr": "10.2.0.0/16"}, {"Cidr": "10.3.0.0/16", "Description": "lab"}],
        RemoveEntries=[{"Cidr": "10.1.0.0/16"}],
    )
    after = ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"][0]
    assert after["Version"] == 2 and after["State"] == "modify-complete"
    assert [e["Cidr"] for e in entries(ec2, pl_id)] == ["10.2.0.0/16", "10.3.0.0/16"]
    assert entries(ec2, pl_id, TargetVersion=1) == [{"Cidr": "10.1.0.0/16", "Description": "hq"}]
    deleted = ec2.delete_managed_prefix_list(PrefixListId=pl_id)["PrefixList"]
    assert deleted["State"] == "delete-in-progress"
    with pytest.raises(ClientError) as exc:
        ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])
    assert error_of(exc) == (
        "InvalidPrefixListID.NotFound",
        f"The prefix list ID '{pl_id}' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_managed_prefix_list(PrefixListId=pl_id)
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"


def test_states_follow_the_clock(
    ec2: Any, gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    timings(
        monkeypatch, gateway, prefix_list_create=0.6, prefix_list_modify=0.6, prefix_list_delete=0.6
    )
    pl_id = new_list(ec2)["PrefixListId"]

    def state() -> str:
        return str(
            ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"][0]["State"]
        )

    assert state() == "create-in-progress"
    with pytest.raises(ClientError) as exc:
        ec2.modify_managed_prefix_list(PrefixListId=pl_id, AddEntries=[{"Cidr": "10.9.0.0/16"}])
    assert error_of(exc)[0] == "IncorrectState"
    # Deleting does not wait for a create to finish.
    doomed = new_list(ec2, name="doomed")["PrefixListId"]
    assert ec2.delete_managed_prefix_list(PrefixListId=doomed)["PrefixList"]["State"] == (
        "delete-in-progress"
    )
    time.sleep(0.8)
    assert state() == "create-complete"
    ec2.modify_managed_prefix_list(PrefixListId=pl_id, MaxEntries=8)
    assert state() == "modify-in-progress"
    time.sleep(0.8)
    assert state() == "modify-complete"
    ec2.delete_managed_prefix_list(PrefixListId=pl_id)
    assert state() == "delete-in-progress"
    time.sleep(0.8)
    with pytest.raises(ClientError) as exc:
        state()
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"


def test_create_validation(ec2: Any) -> None:
    cases = [
        ({"name": "com.amazonaws.mine"}, "InvalidParameterValue"),
        ({"max_entries": 0}, "InvalidParameterValue"),
        ({"max_entries": 1001}, "InvalidParameterValue"),
        (
            {"max_entries": 1, "Entries": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "11.0.0.0/8"}]},
            "InvalidParameterValue",
        ),
        ({"Entries": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "10.0.0.0/8"}]}, "InvalidParameterValue"),
        ({"Entries": [{"Cidr": "10.0.0.1/8"}]}, "InvalidParameterValue"),
        ({"Entries": [{"Cidr": "2001:db8::/32"}]}, "InvalidParameterValue"),
        ({"Entries": [{"Cidr": "banana"}]}, "InvalidParameterValue"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as exc:
            new_list(ec2, **kwargs)
        assert error_of(exc)[0] == expected, kwargs
    with pytest.raises(ClientError) as exc:
        ec2.create_managed_prefix_list(PrefixListName="x", MaxEntries=2, AddressFamily="IPv5")
    assert error_of(exc)[0] == "InvalidParameterValue"
    six = ec2.create_managed_prefix_list(
        PrefixListName="v6",
        MaxEntries=2,
        AddressFamily="IPv6",
        Entries=[{"Cidr": "2001:db8::/32"}],
    )["PrefixList"]
    assert six["AddressFamily"] == "IPv6"
    with pytest.raises(ClientError) as exc:
        ec2.create_managed_prefix_list(
            PrefixListName="x",
            MaxEntries=2,
            AddressFamily="IPv4",
            TagSpecifications=tag_specifications("vpc", Name="x"),
        )
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_modify_rules(ec2: Any) -> None:
    pl_id = new_list(ec2, max_entries=2)["PrefixListId"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_managed_prefix_list(
            PrefixListId=pl_id, CurrentVersion=7, AddEntries=[{"Cidr": "10.9.0.0/16"}]
        )
    assert error_of(exc) == (
        "PrefixListVersionMismatch",
        "The prefix list has the incorrect version number.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.modify_managed_prefix_list(
            PrefixListId=pl_id,
            AddEntries=[{"Cidr": "10.1.0.0/16", "Description": "new"}],
            RemoveEntries=[{"Cidr": "10.1.0.0/16"}],
        )
    assert error_of(exc) == (
        "InvalidParameterValue",
        (
            "Request cannot contain Cidr 10.1.0.0/16 in both AddPrefixListEntries and "
            "RemovePrefixListEntries"
        ),
    )
    for kwargs in (
        {"AddEntries": [{"Cidr": "10.1.0.0/16"}]},  # already there
        {"RemoveEntries": [{"Cidr": "10.8.0.0/16"}]},  # not there
        {"AddEntries": [{"Cidr": "10.2.0.0/16"}, {"Cidr": "10.3.0.0/16"}]},  # over MaxEntries
        {"MaxEntries": 4, "AddEntries": [{"Cidr": "10.2.0.0/16"}]},  # both at once
        {"MaxEntries": 0},
    ):
        with pytest.raises(ClientError) as exc:
            ec2.modify_managed_prefix_list(PrefixListId=pl_id, **kwargs)
        assert error_of(exc)[0] == "InvalidParameterValue", kwargs
    # Resize up, fill, then shrinking below the entries held is refused.
    ec2.modify_managed_prefix_list(PrefixListId=pl_id, MaxEntries=3)
    ec2.modify_managed_prefix_list(
        PrefixListId=pl_id,
        CurrentVersion=1,
        AddEntries=[{"Cidr": "10.2.0.0/16"}, {"Cidr": "10.3.0.0/16"}],
    )
    with pytest.raises(ClientError) as exc:
        ec2.modify_managed_prefix_list(PrefixListId=pl_id, MaxEntries=2)
    assert error_of(exc)[0] == "InvalidParameterValue"
    listed = ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"][0]
    assert (listed["MaxEntries"], listed["Version"]) == (3, 2)
    with pytest.raises(ClientError) as exc:
        ec2.modify_managed_prefix_list(PrefixListId="pl-0123456789abcdef0", PrefixListName="x")
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"


def test_restore_a_previous_version(ec2: Any) -> None:
    pl_id = new_list(ec2)["PrefixListId"]
    ec2.modify_managed_prefix_list(
        PrefixListId=pl_id,
        CurrentVersion=1,
        RemoveEntries=[{"Cidr": "10.1.0.0/16"}],
        AddEntries=[{"Cidr": "10.7.0.0/16"}],
    )
    with pytest.raises(ClientError) as exc:
        ec2.restore_managed_prefix_list_version(
            PrefixListId=pl_id, PreviousVersion=1, CurrentVersion=1
        )
    assert error_of(exc)[0] == "PrefixListVersionMismatch"
    with pytest.raises(ClientError) as exc:
        ec2.restore_managed_prefix_list_version(
            PrefixListId=pl_id, PreviousVersion=5, CurrentVersion=2
        )
    assert error_of(exc)[0] == "InvalidParameterValue"
    restored = ec2.restore_managed_prefix_list_version(
        PrefixListId=pl_id, PreviousVersion=1, CurrentVersion=2
    )["PrefixList"]
    assert restored["Version"] == 3
    assert entries(ec2, pl_id) == [{"Cidr": "10.1.0.0/16", "Description": "hq"}]
    with pytest.raises(ClientError) as exc:
        entries(ec2, pl_id, TargetVersion=9)
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_describe_filters_and_pages(ec2: Any) -> None:
    ids = [
        new_list(
            ec2,
            name=f"list-{i}",
            TagSpecifications=tag_specifications("prefix-list", team=str(i % 2)),
        )["PrefixListId"]
        for i in range(3)
    ]
    mine = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "owner-id", "Values": ["000000000001"]}]
    )["PrefixLists"]
    assert sorted(p["PrefixListId"] for p in mine) == sorted(ids)
    tagged = ec2.describe_managed_prefix_lists(Filters=[{"Name": "tag:team", "Values": ["0"]}])
    assert len(tagged["PrefixLists"]) == 2
    named = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["list-1"]}]
    )["PrefixLists"]
    assert [p["PrefixListId"] for p in named] == [ids[1]]
    with pytest.raises(ClientError) as exc:
        ec2.describe_managed_prefix_lists(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'colour' is invalid")
    seen: list[str] = []
    token: str | None = None
    while True:
        page = ec2.describe_managed_prefix_lists(
            MaxResults=2, **({"NextToken": token} if token else {})
        )
        seen += [p["PrefixListId"] for p in page["PrefixLists"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 6  # three AWS-managed lists and three of ours
    with pytest.raises(ClientError) as exc:
        ec2.describe_managed_prefix_lists(PrefixListIds=["sg-123"])
    assert error_of(exc)[0] == "InvalidPrefixListId.Malformed"


def test_other_accounts_lists_are_invisible(gateway: RunningGateway, ec2: Any) -> None:
    pl_id = new_list(ec2)["PrefixListId"]
    other = gateway.client(creds=gateway.create_account("other"))
    with pytest.raises(ClientError) as exc:
        other.describe_managed_prefix_lists(PrefixListIds=[pl_id])
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"
    with pytest.raises(ClientError) as exc:
        other.get_managed_prefix_list_entries(PrefixListId=pl_id)
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"
    assert S3_LIST in [
        p["PrefixListId"] for p in other.describe_managed_prefix_lists()["PrefixLists"]
    ]


def test_dry_run(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_managed_prefix_list(
            PrefixListName="x", MaxEntries=1, AddressFamily="IPv4", DryRun=True
        )
    assert error_of(exc)[0] == "DryRunOperation"
    assert [
        p for p in ec2.describe_managed_prefix_lists()["PrefixLists"] if p["OwnerId"] != "AWS"
    ] == []


# --- use in security groups and routes ------------------------------------------------------


def test_security_group_rules_and_routes_are_associations(ec2: Any) -> None:
    pl_id = new_list(ec2)["PrefixListId"]
    vpc_id = new_vpc(ec2)
    group_id = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)[
        "GroupId"
    ]
    permission = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "PrefixListIds": [{"PrefixListId": pl_id, "Description": "office"}],
    }
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert group["IpPermissions"][0]["PrefixListIds"] == [
        {"PrefixListId": pl_id, "Description": "office"}
    ]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]
    assert [r["PrefixListId"] for r in rules if r.get("PrefixListId")] == [pl_id]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.create_route(RouteTableId=table_id, DestinationPrefixListId=pl_id, GatewayId=igw_id)
    routes = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]["Routes"]
    assert {
        "DestinationPrefixListId": pl_id,
        "GatewayId": igw_id,
        "Origin": "CreateRoute",
        "State": "active",
    } in routes
    associations = ec2.get_managed_prefix_list_associations(PrefixListId=pl_id)
    assert associations["PrefixListAssociations"] == [
        {"ResourceId": table_id, "ResourceOwner": "000000000001"},
        {"ResourceId": group_id, "ResourceOwner": "000000000001"},
    ]
    with pytest.raises(ClientError) as exc:
        ec2.delete_managed_prefix_list(PrefixListId=pl_id)
    assert error_of(exc) == ("DependencyViolation", f"resource {pl_id} has a dependent object")
    # The refused delete left the list as it was (still usable in new rules).
    listed = ec2.describe_managed_prefix_lists(PrefixListIds=[pl_id])["PrefixLists"][0]
    assert listed["State"] == "create-complete"
    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    ec2.delete_route(RouteTableId=table_id, DestinationPrefixListId=pl_id)
    assert (
        ec2.get_managed_prefix_list_associations(PrefixListId=pl_id)["PrefixListAssociations"] == []
    )
    assert (
        ec2.delete_managed_prefix_list(PrefixListId=pl_id)["PrefixList"]["State"]
        == "delete-in-progress"
    )


def test_unknown_lists_are_refused_in_rules_and_routes(ec2: Any) -> None:
    vpc_id = new_vpc(ec2)
    group_id = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc_id)[
        "GroupId"
    ]
    with pytest.raises(ClientError) as exc:
        ec2.authorize_security_group_egress(
            GroupId=group_id,
            IpPermissions=[
                {"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": "pl-0badbad0"}]}
            ],
        )
    assert error_of(exc) == (
        "InvalidPrefixListID.NotFound",
        "The prefix list ID 'pl-0badbad0' does not exist",
    )
    # AWS-managed lists of the region are usable.
    ec2.authorize_security_group_egress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": S3_LIST}],
            }
        ],
    )
    assert ec2.get_managed_prefix_list_associations(PrefixListId=S3_LIST)[
        "PrefixListAssociations"
    ] == [{"ResourceId": group_id, "ResourceOwner": "000000000001"}]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    with pytest.raises(ClientError) as exc:
        ec2.create_route(
            RouteTableId=table_id,
            DestinationPrefixListId="pl-0badbad0",
            GatewayId="igw-0123456789abcdef0",
        )
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.get_managed_prefix_list_associations(PrefixListId="pl-0badbad0")
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"


def test_entries_pages_and_rule_modification(ec2: Any) -> None:
    cidrs = [f"10.{i}.0.0/16" for i in range(7)]
    pl_id = new_list(ec2, max_entries=10, Entries=[{"Cidr": c} for c in cidrs])["PrefixListId"]
    seen: list[str] = []
    token: str | None = None
    while True:
        page = ec2.get_managed_prefix_list_entries(
            PrefixListId=pl_id, MaxResults=3, **({"NextToken": token} if token else {})
        )
        seen += [e["Cidr"] for e in page["Entries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(cidrs)
    vpc_id = new_vpc(ec2)
    group_id = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc_id)["GroupId"]
    rule_id = ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                          "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]  # fmt: skip
    rule = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}
    with pytest.raises(ClientError) as exc:
        ec2.modify_security_group_rules(
            GroupId=group_id,
            SecurityGroupRules=[{"SecurityGroupRuleId": rule_id,
                                 "SecurityGroupRule": {**rule, "PrefixListId": "pl-0badbad0"}}],
        )  # fmt: skip
    assert error_of(exc)[0] == "InvalidPrefixListID.NotFound"
    ec2.modify_security_group_rules(
        GroupId=group_id,
        SecurityGroupRules=[{"SecurityGroupRuleId": rule_id,
                             "SecurityGroupRule": {**rule, "PrefixListId": pl_id}}],
    )  # fmt: skip
    associations = ec2.get_managed_prefix_list_associations(PrefixListId=pl_id)
    assert associations["PrefixListAssociations"] == [
        {"ResourceId": group_id, "ResourceOwner": "000000000001"}
    ]
