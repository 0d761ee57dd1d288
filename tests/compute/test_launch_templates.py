"""Launch templates through real boto3: versions, $Latest/$Default, errors, filters, pages,
ClientToken, name uniqueness under races, and RunInstances from a template."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compute.test_instances import DEBIAN_AMD64, Network, describe, run
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, race

USER_DATA = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()


def create(ec2: Any, name: str = "web", **data: Any) -> dict[str, Any]:
    data = data or {"ImageId": DEBIAN_AMD64, "InstanceType": "t3.small"}
    result: dict[str, Any] = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData=data
    )["LaunchTemplate"]
    return result


def versions(ec2: Any, template_id: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(
        ec2.describe_launch_template_versions(LaunchTemplateId=template_id, **kwargs)[
            "LaunchTemplateVersions"
        ]
    )


# --- create / describe ------------------------------------------------------------------------


def test_create_then_describe(ec2: Any) -> None:
    created = ec2.create_launch_template(
        LaunchTemplateName="web",
        VersionDescription="first",
        LaunchTemplateData={
            "ImageId": DEBIAN_AMD64,
            "InstanceType": "t3.small",
            "UserData": USER_DATA,
            "MetadataOptions": {"HttpTokens": "required"},
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12, "VolumeType": "gp3"}}
            ],
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}]}
            ],
        },
        TagSpecifications=[
            {"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "web"}]}
        ],
    )["LaunchTemplate"]
    assert created["LaunchTemplateId"].startswith("lt-") and len(created["LaunchTemplateId"]) == 20
    assert created["DefaultVersionNumber"] == created["LatestVersionNumber"] == 1
    assert created["CreatedBy"] == "arn:aws:iam::000000000001:root"
    assert created["Tags"] == [{"Key": "Name", "Value": "web"}]
    (listed,) = ec2.describe_launch_templates(LaunchTemplateIds=[created["LaunchTemplateId"]])[
        "LaunchTemplates"
    ]
    assert listed == created
    (version,) = versions(ec2, created["LaunchTemplateId"])
    assert version["VersionNumber"] == 1 and version["DefaultVersion"] is True
    assert version["VersionDescription"] == "first"
    data = version["LaunchTemplateData"]
    assert data["UserData"] == USER_DATA
    assert data["MetadataOptions"] == {"State": "applied", "HttpTokens": "required"}
    assert data["BlockDeviceMappings"][0]["Ebs"] == {"VolumeSize": 12, "VolumeType": "gp3"}
    assert data["TagSpecifications"][0]["Tags"] == [{"Key": "Role", "Value": "web"}]


def test_responses_match_the_model(gateway: RunningGateway, ec2: Any) -> None:
    template = create(ec2, MetadataOptions={"HttpTokens": "required"}, ImageId=DEBIAN_AMD64)
    for body, operation in [
        (
            (
                "Action=DescribeLaunchTemplateVersions&Version=2016-11-15"
                f"&LaunchTemplateId={template['LaunchTemplateId']}"
            ),
            "DescribeLaunchTemplateVersions",
        ),
        ("Action=DescribeLaunchTemplates&Version=2016-11-15", "DescribeLaunchTemplates"),
    ]:
        response = admin_send(gateway, body)
        assert response.status == 200
        assert_matches_model(response.body, operation)


@pytest.mark.parametrize(
    "name, code",
    [
        ("ab", "InvalidLaunchTemplateName.MalformedException"),
        ("has space", "InvalidLaunchTemplateName.MalformedException"),
        ("x" * 129, "InvalidLaunchTemplateName.MalformedException"),
    ],
)
def test_bad_names(ec2: Any, name: str, code: str) -> None:
    with pytest.raises(ClientError) as exc:
        create(ec2, name)
    assert error_of(exc)[0] == code
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []


def test_names_are_unique_per_account_and_free_after_delete(
    gateway: RunningGateway, ec2: Any
) -> None:
    first = create(ec2, "dup")
    with pytest.raises(ClientError) as exc:
        create(ec2, "dup")
    assert error_of(exc)[0] == "InvalidLaunchTemplateName.AlreadyExistsException"
    other = gateway.client(creds=gateway.create_account("tenant"))
    assert create(other, "dup")["LaunchTemplateName"] == "dup"  # another account: its own names
    ec2.delete_launch_template(LaunchTemplateName="dup")
    assert create(ec2, "dup")["LaunchTemplateId"] != first["LaunchTemplateId"]


def test_racing_creates_of_one_name_make_one_template(ec2: Any) -> None:
    outcomes = race(lambda _: create(ec2, "racy")["LaunchTemplateId"], range(8))
    winners = [o for o in outcomes if o.startswith("lt-")]
    assert len(winners) == 1
    assert set(outcomes) - set(winners) == {"InvalidLaunchTemplateName.AlreadyExistsException"}
    assert len(ec2.describe_launch_templates()["LaunchTemplates"]) == 1


def test_client_token(ec2: Any) -> None:
    data = {"ImageId": DEBIAN_AMD64}
    one = ec2.create_launch_template(
        LaunchTemplateName="tok", LaunchTemplateData=data, ClientToken="t-1"
    )["LaunchTemplate"]
    two = ec2.create_launch_template(
        LaunchTemplateName="tok", LaunchTemplateData=data, ClientToken="t-1"
    )["LaunchTemplate"]
    assert one == two
    with pytest.raises(ClientError) as exc:
        ec2.create_launch_template(
            LaunchTemplateName="tok", LaunchTemplateData={"ImageId": "ami-x"}, ClientToken="t-1"
        )
    assert error_of(exc)[0] == "IdempotentParameterMismatch"


def test_not_found_codes(ec2: Any) -> None:
    cases = [
        (
            lambda: ec2.describe_launch_templates(LaunchTemplateIds=["lt-0123456789abcdef0"]),
            "InvalidLaunchTemplateId.NotFound",
        ),
        (
            lambda: ec2.describe_launch_templates(LaunchTemplateIds=["bogus"]),
            "InvalidLaunchTemplateId.Malformed",
        ),
        (
            lambda: ec2.describe_launch_templates(LaunchTemplateNames=["nope"]),
            "InvalidLaunchTemplateName.NotFoundException",
        ),
        (
            lambda: ec2.delete_launch_template(LaunchTemplateId="lt-0123456789abcdef0"),
            "InvalidLaunchTemplateId.NotFound",
        ),
        (
            lambda: ec2.delete_launch_template(LaunchTemplateName="nope"),
            "InvalidLaunchTemplateName.NotFoundException",
        ),
        (lambda: ec2.delete_launch_template(), "MissingParameter"),
        (
            lambda: ec2.modify_launch_template(LaunchTemplateName="nope", DefaultVersion="1"),
            "InvalidLaunchTemplateName.NotFoundException",
        ),
        (
            lambda: ec2.describe_launch_template_versions(LaunchTemplateId="lt-0123456789abcdef0"),
            "InvalidLaunchTemplateId.NotFound",
        ),
        (
            lambda: ec2.create_launch_template_version(
                LaunchTemplateName="nope", LaunchTemplateData={"ImageId": "ami-1"}
            ),
            "InvalidLaunchTemplateName.NotFoundException",
        ),
    ]
    for call, wanted in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == wanted


def test_filters_and_pages(ec2: Any) -> None:
    ids = [create(ec2, f"tpl-{n}")["LaunchTemplateId"] for n in range(5)]
    ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": "team", "Value": "a"}])
    named = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": ["tpl-1", "tpl-3"]}]
    )["LaunchTemplates"]
    assert sorted(t["LaunchTemplateName"] for t in named) == ["tpl-1", "tpl-3"]
    tagged = ec2.describe_launch_templates(Filters=[{"Name": "tag:team", "Values": ["a"]}])
    assert [t["LaunchTemplateId"] for t in tagged["LaunchTemplates"]] == [ids[0]]
    keyed = ec2.describe_launch_templates(Filters=[{"Name": "tag-key", "Values": ["team"]}])
    assert len(keyed["LaunchTemplates"]) == 1
    with pytest.raises(ClientError) as exc:
        ec2.describe_launch_templates(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidParameterValue"
    pages = ec2.get_paginator("describe_launch_templates").paginate(
        PaginationConfig={"PageSize": 2}
    )
    seen = [t["LaunchTemplateId"] for page in pages for t in page["LaunchTemplates"]]
    assert sorted(seen) == sorted(ids)
    by_name = ec2.describe_launch_templates(LaunchTemplateNames=["tpl-2"])["LaunchTemplates"]
    assert [t["LaunchTemplateId"] for t in by_name] == [ids[2]]


# --- versions ---------------------------------------------------------------------------------


def test_versions_latest_default_and_source(ec2: Any) -> None:
    template_id = create(ec2, "ver", ImageId=DEBIAN_AMD64, InstanceType="t3.small", KeyName="k")[
        "LaunchTemplateId"
    ]
    v2 = ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        SourceVersion="1",
        VersionDescription="bigger",
        LaunchTemplateData={"InstanceType": "t3.large"},
    )["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"] == {
        "ImageId": DEBIAN_AMD64,
        "InstanceType": "t3.large",
        "KeyName": "k",
    }
    v3 = ec2.create_launch_template_version(
        LaunchTemplateName="ver", LaunchTemplateData={"InstanceType": "t3.micro"}
    )["LaunchTemplateVersion"]
    assert v3["VersionNumber"] == 3 and v3["LaunchTemplateData"] == {"InstanceType": "t3.micro"}
    (latest,) = versions(ec2, template_id, Versions=["$Latest"])
    (default,) = versions(ec2, template_id, Versions=["$Default"])
    assert (latest["VersionNumber"], default["VersionNumber"]) == (3, 1)
    assert [v["VersionNumber"] for v in versions(ec2, template_id)] == [3, 2, 1]
    assert [v["VersionNumber"] for v in versions(ec2, template_id, MinVersion="2")] == [3, 2]
    assert [v["VersionNumber"] for v in versions(ec2, template_id, MaxVersion="2")] == [2, 1]
    modified = ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="2")
    assert modified["LaunchTemplate"]["DefaultVersionNumber"] == 2
    (default,) = versions(ec2, template_id, Versions=["$Default"])
    assert default["VersionNumber"] == 2 and default["DefaultVersion"] is True
    defaults = versions(
        ec2, template_id, Filters=[{"Name": "is-default-version", "Values": ["true"]}]
    )
    assert [v["VersionNumber"] for v in defaults] == [2]
    typed = versions(ec2, template_id, Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])
    assert [v["VersionNumber"] for v in typed] == [3]
    with pytest.raises(ClientError) as exc:
        versions(ec2, template_id, Versions=["9"])
    assert error_of(exc)[0] == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(ClientError) as exc:
        ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="9")
    assert error_of(exc)[0] == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(ClientError) as exc:
        ec2.create_launch_template_version(
            LaunchTemplateId=template_id, SourceVersion="7", LaunchTemplateData={"KeyName": "x"}
        )
    assert error_of(exc)[0] == "InvalidLaunchTemplateId.VersionNotFound"


def test_delete_versions_reports_each(ec2: Any) -> None:
    template_id = create(ec2, "del")["LaunchTemplateId"]
    for _ in range(3):
        ec2.create_launch_template_version(
            LaunchTemplateId=template_id, LaunchTemplateData={"InstanceType": "t3.micro"}
        )
    result = ec2.delete_launch_template_versions(
        LaunchTemplateId=template_id, Versions=["1", "4", "9"]
    )
    assert result["SuccessfullyDeletedLaunchTemplateVersions"] == [
        {"LaunchTemplateId": template_id, "LaunchTemplateName": "del", "VersionNumber": 4}
    ]
    failed = {
        f["VersionNumber"]: f["ResponseError"]["Code"]
        for f in result["UnsuccessfullyDeletedLaunchTemplateVersions"]
    }
    assert failed == {1: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    (template,) = ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"]
    assert template["LatestVersionNumber"] == 3
    created = ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={"InstanceType": "t3.micro"}
    )["LaunchTemplateVersion"]
    assert created["VersionNumber"] == 5  # numbers are never reused


def test_latest_of_every_template(ec2: Any) -> None:
    a = create(ec2, "tpa")["LaunchTemplateId"]
    b = create(ec2, "tpb")["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=b, LaunchTemplateData={"KeyName": "x"})
    found = ec2.describe_launch_template_versions(Versions=["$Latest"])["LaunchTemplateVersions"]
    assert {v["LaunchTemplateId"]: v["VersionNumber"] for v in found} == {a: 1, b: 2}
    with pytest.raises(ClientError) as exc:
        ec2.describe_launch_template_versions(Versions=["1"])
    assert error_of(exc)[0] == "InvalidParameterCombination"


def test_templates_are_isolated_per_account(gateway: RunningGateway, ec2: Any) -> None:
    template_id = create(ec2)["LaunchTemplateId"]
    other = gateway.client(creds=gateway.create_account("other"))
    with pytest.raises(ClientError) as exc:
        other.describe_launch_template_versions(LaunchTemplateId=template_id)
    assert error_of(exc)[0] == "InvalidLaunchTemplateId.NotFound"
    assert other.describe_launch_templates()["LaunchTemplates"] == []


# --- RunInstances from a template ---------------------------------------------------------------


def test_run_instances_merges_the_template_under_the_request(ec2: Any) -> None:
    net = Network(ec2)
    template = ec2.create_launch_template(
        LaunchTemplateName="app",
        LaunchTemplateData={
            "ImageId": DEBIAN_AMD64,
            "InstanceType": "t3.small",
            "UserData": USER_DATA,
            "SecurityGroupIds": [net.group_id],
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            "TagSpecifications": [
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "Role", "Value": "app"}, {"Key": "Name", "Value": "lt"}],
                }
            ],
        },
    )["LaunchTemplate"]
    template_id = template["LaunchTemplateId"]
    ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        SourceVersion="1",
        LaunchTemplateData={"InstanceType": "t3.micro"},
    )
    response = ec2.run_instances(
        MinCount=1,
        MaxCount=1,
        SubnetId=net.subnet_id,
        LaunchTemplate={"LaunchTemplateName": "app", "Version": "$Latest"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "req"}]}],
    )
    (instance,) = response["Instances"]
    assert instance["ImageId"] == DEBIAN_AMD64
    assert instance["InstanceType"] == "t3.micro"  # version 2
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [net.group_id]
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags == {
        "Role": "app",
        "Name": "req",
        "aws:ec2launchtemplate:id": template_id,
        "aws:ec2launchtemplate:version": "2",
    }
    user_data = ec2.describe_instance_attribute(
        InstanceId=instance["InstanceId"], Attribute="userData"
    )
    assert user_data["UserData"]["Value"] == USER_DATA
    found = ec2.describe_tags(
        Filters=[
            {"Name": "resource-id", "Values": [instance["InstanceId"]]},
            {"Name": "key", "Values": ["aws:ec2launchtemplate:id"]},
        ]
    )["Tags"]
    assert [t["Value"] for t in found] == [template_id]
    # the default version when none is named; the request's own type wins
    second = ec2.run_instances(
        MinCount=1,
        MaxCount=1,
        SubnetId=net.subnet_id,
        InstanceType="t3.medium",
        LaunchTemplate={"LaunchTemplateId": template_id},
    )["Instances"][0]
    assert second["InstanceType"] == "t3.medium"
    assert {t["Key"]: t["Value"] for t in second["Tags"]}["aws:ec2launchtemplate:version"] == "1"


def test_run_instances_with_template_interfaces_and_bad_versions(ec2: Any) -> None:
    net = Network(ec2)
    template_id = create(
        ec2,
        "eni",
        ImageId=DEBIAN_AMD64,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": net.subnet_id,
                "Groups": [net.group_id],
                "AssociatePublicIpAddress": False,
            }
        ],
    )["LaunchTemplateId"]
    instance = ec2.run_instances(
        MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template_id}
    )["Instances"][0]
    assert instance["SubnetId"] == net.subnet_id
    assert "PublicIpAddress" not in instance
    for spec, wanted in [
        (
            {"LaunchTemplateId": template_id, "Version": "4"},
            "InvalidLaunchTemplateId.VersionNotFound",
        ),
        ({"LaunchTemplateName": "nope"}, "InvalidLaunchTemplateName.NotFoundException"),
    ]:
        with pytest.raises(ClientError) as exc:
            ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate=spec)
        assert error_of(exc)[0] == wanted
    assert len(describe(ec2)) == 1


def test_get_launch_template_data(ec2: Any) -> None:
    net = Network(ec2)
    instance = run(
        ec2,
        SubnetId=net.subnet_id,
        SecurityGroupIds=[net.group_id],
        UserData="#!/bin/sh\necho hello\n",  # boto3 base64-encodes it
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "x"}]}],
    )["Instances"][0]
    data = ec2.get_launch_template_data(InstanceId=instance["InstanceId"])["LaunchTemplateData"]
    assert data["ImageId"] == DEBIAN_AMD64 and data["InstanceType"] == "t3.small"
    assert data["UserData"] == USER_DATA
    assert data["NetworkInterfaces"][0]["SubnetId"] == net.subnet_id
    assert data["NetworkInterfaces"][0]["Groups"] == [net.group_id]
    assert data["TagSpecifications"] == [
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "x"}]}
    ]
    # a template made from it launches the same kind of instance
    template_id = create(ec2, "copy", **data)["LaunchTemplateId"]
    copy = ec2.run_instances(
        MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template_id}
    )
    assert copy["Instances"][0]["SubnetId"] == net.subnet_id
    with pytest.raises(ClientError) as exc:
        ec2.get_launch_template_data(InstanceId="i-0123456789abcdef0")
    assert error_of(exc)[0] == "InvalidInstanceID.NotFound"


def test_template_volumes_and_their_tags(ec2: Any) -> None:
    net = Network(ec2)
    template_id = create(
        ec2,
        "vols",
        ImageId=DEBIAN_AMD64,
        InstanceType="t3.small",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12, "VolumeType": "gp3"}}
        ],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "root"}]}],
    )["LaunchTemplateId"]
    instance = ec2.run_instances(
        MinCount=1,
        MaxCount=1,
        SubnetId=net.subnet_id,
        LaunchTemplate={"LaunchTemplateId": template_id},
    )["Instances"][0]
    (volume,) = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
    )["Volumes"]
    assert (volume["Size"], volume["VolumeType"]) == (12, "gp3")
    assert volume["Tags"] == [{"Key": "Name", "Value": "root"}]


def test_dry_run(ec2: Any) -> None:
    template_id = create(ec2, "dry")["LaunchTemplateId"]
    for call in (
        lambda: ec2.create_launch_template(
            LaunchTemplateName="dry2", LaunchTemplateData={"ImageId": DEBIAN_AMD64}, DryRun=True
        ),
        lambda: ec2.delete_launch_template(LaunchTemplateId=template_id, DryRun=True),
        lambda: ec2.create_launch_template_version(
            LaunchTemplateId=template_id, LaunchTemplateData={"KeyName": "k"}, DryRun=True
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "DryRunOperation"
    (template,) = ec2.describe_launch_templates()["LaunchTemplates"]
    assert (template["LaunchTemplateId"], template["LatestVersionNumber"]) == (template_id, 1)
