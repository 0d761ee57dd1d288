"""EBS snapshots through real boto3: lifecycle, describe scopes and filters, copy, permissions,
the in-use rule and tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compute.test_volumes import (
    ZONE,
    instant,  # noqa: F401  (autouse fixture: instantaneous transitions)
    make_volume,
    slow,
)
from tests.fixtures.gateway import RunningGateway
from tests.helpers import admin_send, assert_matches_model, error_of, wait_for

CATALOGUE_SNAPSHOTS = {"snap-0ab2404a642024042", "snap-0deb12a4b20240211", "snap-0deb12a6420240211"}


def make_snapshot(ec2: Any, size: int = 4, **kwargs: Any) -> dict[str, Any]:
    volume_id = make_volume(ec2, size)["VolumeId"]
    return dict(ec2.create_snapshot(VolumeId=volume_id, **kwargs))


def snapshot_ids(answer: dict[str, Any]) -> set[str]:
    return {s["SnapshotId"] for s in answer["Snapshots"]}


def test_terraform_ebs_snapshot_lifecycle(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, snapshot_complete=1.5)
    volume = make_volume(ec2, 6, Encrypted=True)
    created = ec2.create_snapshot(
        VolumeId=volume["VolumeId"],
        Description="nightly",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "n1"}]}],
    )
    snapshot_id = created["SnapshotId"]
    assert snapshot_id.startswith("snap-") and len(snapshot_id) == 22
    assert created["State"] == "pending" and created["Progress"] == "0%"
    assert (created["VolumeId"], created["VolumeSize"]) == (volume["VolumeId"], 6)
    assert created["OwnerId"] == "000000000001" and created["Description"] == "nightly"
    assert created["Encrypted"] is True and created["KmsKeyId"] == volume["KmsKeyId"]
    assert (
        created["Tags"] == [{"Key": "Name", "Value": "n1"}] and created["StorageTier"] == "standard"
    )
    assert "StartTime" in created and "CompletionTime" not in created
    # the provider waits with the SDK's SnapshotCompleted waiter
    ec2.get_waiter("snapshot_completed").wait(
        SnapshotIds=[snapshot_id], WaiterConfig={"Delay": 1, "MaxAttempts": 15}
    )
    read = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert read["State"] == "completed" and read["Progress"] == "100%"
    assert read["CompletionTime"] >= read["StartTime"]
    for member in (
        "Description",
        "Encrypted",
        "KmsKeyId",
        "OwnerId",
        "StorageTier",
        "VolumeId",
        "VolumeSize",
        "Tags",
    ):
        assert member in read, member
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert error_of(exc) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{snapshot_id}' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert error_of(exc)[0] == "InvalidSnapshot.NotFound"


def test_progress_grows_while_pending(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, snapshot_complete=2.0)
    snapshot_id = make_snapshot(ec2)["SnapshotId"]

    def progress() -> int:
        return int(
            ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["Progress"].rstrip(
                "%"
            )
        )

    wait_for(lambda: 0 < progress() < 100, timeout=3, every=0.1)
    wait_for(lambda: progress() == 100)


def test_create_snapshot_errors(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_snapshot(VolumeId="vol-00000000000000000")
    assert error_of(exc) == (
        "InvalidVolume.NotFound",
        "The volume 'vol-00000000000000000' does not exist.",
    )
    volume_id = make_volume(ec2)["VolumeId"]
    with pytest.raises(ClientError) as exc:
        ec2.create_snapshot(
            VolumeId=volume_id,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_of(exc) == (
        "InvalidParameterValue",
        "'volume' is not a valid taggable resource type for this operation.",
    )


def test_describe_snapshots_scopes(gateway: RunningGateway, ec2: Any) -> None:
    mine = make_snapshot(ec2)["SnapshotId"]
    assert snapshot_ids(ec2.describe_snapshots()) == {mine} | CATALOGUE_SNAPSHOTS
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["self"])) == {mine}
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["000000000001"])) == {mine}
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["000000000000"])) == CATALOGUE_SNAPSHOTS
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["136693071363"])) == {
        "snap-0deb12a6420240211",
        "snap-0deb12a4b20240211",
    }
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["amazon"])) == set()
    assert snapshot_ids(ec2.describe_snapshots(RestorableByUserIds=["all"])) == CATALOGUE_SNAPSHOTS
    assert mine in snapshot_ids(ec2.describe_snapshots(RestorableByUserIds=["self"]))
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(OwnerIds=["someone"])
    assert error_of(exc) == ("InvalidUserID.Malformed", 'Invalid user id: "someone"')
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(RestorableByUserIds=["everyone"])
    assert error_of(exc)[0] == "InvalidUserID.Malformed"
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(SnapshotIds=["snap-00000000000000000"])
    assert error_of(exc) == (
        "InvalidSnapshot.NotFound",
        "The snapshot 'snap-00000000000000000' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(SnapshotIds=["snapshot-1"])
    assert error_of(exc) == (
        "InvalidSnapshotID.Malformed",
        'Invalid id: "snapshot-1" (expecting "snap-...")',
    )
    public = ec2.describe_snapshots(SnapshotIds=["snap-0deb12a6420240211"])["Snapshots"][0]
    assert (public["OwnerId"], public["State"], public["VolumeSize"], public["VolumeId"]) == (
        "000000000000",
        "completed",
        8,
        "vol-ffffffff",
    )


def test_describe_snapshots_pagination(ec2: Any) -> None:
    ids = sorted([make_snapshot(ec2)["SnapshotId"] for _ in range(3)])
    pages = list(
        ec2.get_paginator("describe_snapshots").paginate(
            OwnerIds=["self"], PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["Snapshots"]) for p in pages] == [2, 1]
    assert [s["SnapshotId"] for p in pages for s in p["Snapshots"]] == ids
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(SnapshotIds=[ids[0]], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(NextToken="garbage")
    assert error_of(exc)[0] == "InvalidPaginationToken"


def test_every_snapshot_filter(ec2: Any) -> None:
    volume = make_volume(ec2, 9, Encrypted=True)
    target = ec2.create_snapshot(
        VolumeId=volume["VolumeId"],
        Description="weekly backup",
        TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": [{"Key": "tier", "Value": "gold"}]}
        ],
    )
    other = make_snapshot(ec2, 3, Description="other")
    started = target["StartTime"].strftime("%Y-%m-%dT%H:%M")
    exact = {
        "description": ["weekly*"],
        "encrypted": ["true"],
        "snapshot-id": [target["SnapshotId"]],
        "tag:tier": ["gold"],
        "tag-key": ["tier"],
        "tag-value": ["gold"],
        "volume-id": [volume["VolumeId"]],
        "volume-size": ["9"],
    }
    for name, values in exact.items():
        found = ec2.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": name, "Values": values}]
        )
        assert snapshot_ids(found) == {target["SnapshotId"]}, name
    both = {target["SnapshotId"], other["SnapshotId"]}
    for name, values in {
        "owner-id": ["000000000001"],
        "progress": ["100%"],
        "status": ["completed"],
        "start-time": [started + "*"],
        "storage-tier": ["standard"],
    }.items():
        found = ec2.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": name, "Values": values}]
        )
        assert snapshot_ids(found) == both, name
    for name in ("owner-alias", "transfer-type"):
        assert (
            ec2.describe_snapshots(Filters=[{"Name": name, "Values": ["*"]}])["Snapshots"] == []
        ), name
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(Filters=[{"Name": "size", "Values": ["9"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'size' is invalid")


def test_delete_snapshot_in_use_by_a_registered_image(ec2: Any) -> None:
    snapshot_id = make_snapshot(ec2, 8)["SnapshotId"]
    image_id = ec2.register_image(
        Name="from-snap",
        RootDeviceName="/dev/xvda",
        VirtualizationType="hvm",
        Architecture="x86_64",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}],
    )["ImageId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert error_of(exc) == (
        "InvalidSnapshot.InUse",
        f"The snapshot {snapshot_id} is currently in use by {image_id}",
    )
    ec2.deregister_image(ImageId=image_id)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert snapshot_ids(ec2.describe_snapshots(OwnerIds=["self"])) == set()


def test_delete_snapshot_one_does_not_own(gateway: RunningGateway, ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.delete_snapshot(SnapshotId="snap-0deb12a6420240211")
    assert error_of(exc) == (
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
    )
    snapshot_id = make_snapshot(ec2)["SnapshotId"]
    other = gateway.client("ec2", creds=gateway.create_account("tenant-b"))
    with pytest.raises(ClientError) as theirs:
        other.delete_snapshot(SnapshotId=snapshot_id)
    assert error_of(theirs) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{snapshot_id}' does not exist.",
    )
    with pytest.raises(ClientError) as theirs:
        other.describe_snapshots(SnapshotIds=[snapshot_id])
    assert error_of(theirs)[0] == "InvalidSnapshot.NotFound"
    assert snapshot_ids(other.describe_snapshots()) == CATALOGUE_SNAPSHOTS
    with pytest.raises(ClientError) as theirs:
        other.create_volume(AvailabilityZone=ZONE, SnapshotId=snapshot_id)
    assert error_of(theirs)[0] == "InvalidSnapshot.NotFound"


def test_copy_snapshot(ec2: Any) -> None:
    source = make_snapshot(ec2, 5, Description="orig")
    copy = ec2.copy_snapshot(
        SourceSnapshotId=source["SnapshotId"],
        SourceRegion="ap-southeast-2",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "copy", "Value": "yes"}]}],
    )
    assert copy["SnapshotId"] != source["SnapshotId"] and copy["Tags"] == [
        {"Key": "copy", "Value": "yes"}
    ]
    read = ec2.describe_snapshots(SnapshotIds=[copy["SnapshotId"]])["Snapshots"][0]
    assert read["VolumeId"] == "vol-ffffffff" and read["VolumeSize"] == 5
    assert read["Description"] == f"[Copied {source['SnapshotId']} from ap-southeast-2]"
    assert read["Encrypted"] is False
    encrypted = ec2.copy_snapshot(
        SourceSnapshotId="snap-0deb12a6420240211",
        SourceRegion="ap-southeast-2",
        Encrypted=True,
        Description="mine now",
    )
    read = ec2.describe_snapshots(SnapshotIds=[encrypted["SnapshotId"]])["Snapshots"][0]
    assert read["OwnerId"] == "000000000001" and read["Encrypted"] is True
    assert read["KmsKeyId"].endswith(":alias/aws/ebs") and read["Description"] == "mine now"
    with pytest.raises(ClientError) as exc:
        ec2.copy_snapshot(SourceSnapshotId=source["SnapshotId"], SourceRegion="us-east-1")
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.copy_snapshot(SourceSnapshotId="snap-00000000000000000", SourceRegion="ap-southeast-2")
    assert error_of(exc)[0] == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as exc:
        ec2.copy_snapshot(
            SourceSnapshotId=source["SnapshotId"],
            SourceRegion="ap-southeast-2",
            KmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab",
        )
    assert error_of(exc)[0] == "InvalidParameterDependency"


def test_create_volume_permission_shares_a_snapshot(gateway: RunningGateway, ec2: Any) -> None:
    snapshot_id = make_snapshot(ec2, 6)["SnapshotId"]
    tenant = gateway.create_account("tenant-b")
    other = gateway.client("ec2", creds=tenant)

    def permissions() -> list[dict[str, str]]:
        return list(
            ec2.describe_snapshot_attribute(
                SnapshotId=snapshot_id, Attribute="createVolumePermission"
            )["CreateVolumePermissions"]
        )

    assert permissions() == []
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot_id, CreateVolumePermission={"Add": [{"UserId": tenant.account_id}]}
    )
    assert permissions() == [{"UserId": tenant.account_id}]
    assert snapshot_id in snapshot_ids(other.describe_snapshots(RestorableByUserIds=["self"]))
    assert snapshot_id in snapshot_ids(other.describe_snapshots(OwnerIds=["000000000001"]))
    restored = other.create_volume(AvailabilityZone=ZONE, SnapshotId=snapshot_id)
    assert restored["Size"] == 6
    with pytest.raises(ClientError) as exc:
        other.delete_snapshot(SnapshotId=snapshot_id)
    assert error_of(exc)[0] == "UnauthorizedOperation"
    with pytest.raises(ClientError) as exc:
        other.describe_snapshot_attribute(
            SnapshotId=snapshot_id, Attribute="createVolumePermission"
        )
    assert error_of(exc)[0] == "UnauthorizedOperation"

    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot_id,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    assert {"Group": "all"} in permissions()
    assert snapshot_id in snapshot_ids(ec2.describe_snapshots(RestorableByUserIds=["all"]))
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot_id, CreateVolumePermission={"Remove": [{"UserId": tenant.account_id}]}
    )
    assert permissions() == [{"Group": "all"}]
    ec2.reset_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    assert permissions() == []
    with pytest.raises(ClientError) as exc:
        other.describe_snapshots(SnapshotIds=[snapshot_id])
    assert error_of(exc)[0] == "InvalidSnapshot.NotFound"
    assert (
        ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="productCodes")[
            "ProductCodes"
        ]
        == []
    )
    with pytest.raises(ClientError) as exc:
        ec2.modify_snapshot_attribute(
            SnapshotId=snapshot_id, CreateVolumePermission={"Add": [{"UserId": "bob"}]}
        )
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.modify_snapshot_attribute(
            SnapshotId=snapshot_id,
            Attribute="productCodes",
            OperationType="add",
            UserIds=[tenant.account_id],
        )
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.modify_snapshot_attribute(SnapshotId=snapshot_id, UserIds=[tenant.account_id])
    assert error_of(exc)[0] == "MissingParameter"


def test_snapshot_wire_format(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    for body, operation in (
        (
            f"Action=CreateSnapshot&Version=2016-11-15&VolumeId={volume_id}&Description=d",
            "CreateSnapshot",
        ),
        ("Action=DescribeSnapshots&Version=2016-11-15", "DescribeSnapshots"),
    ):
        answer = admin_send(gateway, body)
        assert answer.status == 200, answer.text
        assert_matches_model(answer.body, operation)
    assert "<progress>100%</progress>" in answer.text
