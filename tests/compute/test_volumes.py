"""EBS volumes through real boto3: lifecycle, validation, filters, attach/detach, races, isolation.

Transitions are computed from the clock; an autouse fixture makes them instant and the lifecycle
tests slow the ones they watch (:func:`slow`).
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import replace
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from handlers import ebs
from hive_gateway.config import Timings
from hive_gateway.core import claims, records
from hive_gateway.core.errors import AwsError
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS
from kv.buckets import account_key
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    ADMIN,
    admin_send,
    assert_matches_model,
    error_of,
    race,
    request_context,
    wait_for,
)

T = TypeVar("T")
ZONE = "ap-southeast-2a"


# --- helpers shared with test_snapshots / test_images ---------------------------------------------


def seed_instance(
    gateway: RunningGateway,
    *,
    account_id: str = ADMIN,
    state: str = "running",
    zone: str = ZONE,
    image_id: str = "ami-0deb12a6420240211",
    **extra: Any,
) -> str:
    """An instance record written straight to the store (the instances module is not ours)."""
    instance_id = new_id("instance")
    record = {
        "instance_id": instance_id,
        "state": state,
        "availability_zone": zone,
        "image_id": image_id,
        "instance_type": "t3.small",
        "subnet_id": None,
        "vpc_id": None,
        "security_group_ids": [],
        "placement_group": None,
        "key_name": None,
        "tags": {},
        **extra,
    }
    gateway.run(records.create(request_context(gateway, account_id), KINDS["instance"], record))
    return instance_id


def slow(monkeypatch: pytest.MonkeyPatch, gateway: RunningGateway, **seconds: float) -> None:
    """Give the named transitions (``volume_create=1.5``) a visible duration on ``gateway``."""
    settings = gateway.runtime.settings
    timings = replace(settings.timings, **seconds)
    monkeypatch.setattr(gateway.runtime, "settings", replace(settings, timings=timings))


@pytest.fixture(autouse=True)
def instant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every transition instantaneous on the test's gateways unless a test slows it."""
    for name in ("gateway", "nats_gateway"):
        if name in request.fixturenames:
            running: RunningGateway = request.getfixturevalue(name)
            settings = running.runtime.settings
            instant_settings = replace(settings, timings=Timings.instant())
            monkeypatch.setattr(running.runtime, "settings", instant_settings)
    yield


def make_volume(ec2: Any, size: int = 8, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("AvailabilityZone", ZONE)
    return dict(ec2.create_volume(Size=size, **kwargs))


def describe_one(ec2: Any, volume_id: str) -> dict[str, Any]:
    found = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert len(found) == 1
    return dict(found[0])


def state_of(ec2: Any, volume_id: str) -> str | None:
    try:
        return str(describe_one(ec2, volume_id)["State"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "InvalidVolume.NotFound":
            return None
        raise


# --- create ------------------------------------------------------------------------------------


def test_create_volume_answers_the_aws_shape(ec2: Any) -> None:
    created = make_volume(
        ec2,
        10,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )
    created.pop("ResponseMetadata")
    volume_id = created["VolumeId"]
    assert volume_id.startswith("vol-") and len(volume_id) == 21
    assert created["VolumeType"] == "gp2"  # CreateVolume's documented default
    assert created["Iops"] == 100  # gp2 baseline: 3/GiB, at least 100
    assert "Throughput" not in created
    assert created["SnapshotId"] == ""
    assert created["Size"] == 10 and created["AvailabilityZone"] == ZONE
    assert created["AvailabilityZoneId"] == "apse2-az1"
    assert created["Encrypted"] is False and "KmsKeyId" not in created
    assert created["MultiAttachEnabled"] is False
    assert created["Attachments"] == []
    assert created["Tags"] == [{"Key": "Name", "Value": "data"}]
    assert created["CreateTime"].tzinfo is not None
    assert describe_one(ec2, volume_id) == {**created, "State": "available"}


def test_gp3_defaults_and_explicit_performance(ec2: Any) -> None:
    gp3 = make_volume(ec2, 20, VolumeType="gp3")
    assert (gp3["Iops"], gp3["Throughput"]) == (3000, 125)
    tuned = make_volume(ec2, 100, VolumeType="gp3", Iops=6000, Throughput=500)
    assert (tuned["Iops"], tuned["Throughput"]) == (6000, 500)
    io2 = make_volume(ec2, 10, VolumeType="io2", Iops=5000)
    assert io2["Iops"] == 5000 and "Throughput" not in io2
    st1 = make_volume(ec2, 125, VolumeType="st1")
    assert "Iops" not in st1 and "Throughput" not in st1


@pytest.mark.parametrize(
    "kwargs,code,message",
    [
        ({"Size": 0}, "InvalidParameterValue", "Volume of 0GiB is too small; minimum is 1GiB."),
        (
            {"Size": 16385},
            "InvalidParameterValue",
            "Volume of 16385GiB is too large; maximum is 16384GiB.",
        ),
        (
            {"Size": 65537, "VolumeType": "gp3"},
            "InvalidParameterValue",
            "Volume of 65537GiB is too large; maximum is 65536GiB.",
        ),
        (
            {"Size": 3, "VolumeType": "io1", "Iops": 100},
            "InvalidParameterValue",
            "Volume of 3GiB is too small; minimum is 4GiB.",
        ),
        (
            {"Size": 100, "VolumeType": "st1"},
            "InvalidParameterValue",
            "Volume of 100GiB is too small; minimum is 125GiB.",
        ),
        (
            {"Size": 1025, "VolumeType": "standard"},
            "InvalidParameterValue",
            "Volume of 1025GiB is too large; maximum is 1024GiB.",
        ),
        (
            {"Size": 10, "VolumeType": "io1"},
            "InvalidParameterCombination",
            "The parameter iops must be specified for io1 volumes.",
        ),
        (
            {"Size": 10, "VolumeType": "io2"},
            "InvalidParameterCombination",
            "The parameter iops must be specified for io2 volumes.",
        ),
        (
            {"Size": 10, "VolumeType": "standard", "Iops": 100},
            "InvalidParameterCombination",
            "The parameter iops is not supported for standard volumes.",
        ),
        (
            {"Size": 10, "Iops": 300},
            "InvalidParameterCombination",
            "The parameter iops is not supported for gp2 volumes.",
        ),
        (
            {"Size": 10, "VolumeType": "gp2", "Throughput": 200},
            "InvalidParameterCombination",
            "The parameter throughput is not supported for gp2 volumes.",
        ),
        (
            {"Size": 10, "VolumeType": "io1", "Iops": 1000},
            "InvalidParameterValue",
            "Iops to volume size ratio of 100.000000 is too high; maximum is 50.000000",
        ),
        (
            {"Size": 10, "VolumeType": "gp3", "Iops": 2000},
            "InvalidParameterValue",
            "Volume iops of 2000 is too low; minimum is 3000.",
        ),
        (
            {"Size": 1000, "VolumeType": "gp3", "Iops": 90000},
            "InvalidParameterValue",
            "Volume iops of 90000 is too high; maximum is 80000.",
        ),
        (
            {"Size": 10, "VolumeType": "gp3", "Iops": 6000},
            "InvalidParameterValue",
            "Iops to volume size ratio of 600.000000 is too high; maximum is 500.000000",
        ),
        (
            {"Size": 10, "VolumeType": "gp3", "Throughput": 100},
            "InvalidParameterValue",
            "Throughput of 100MiB/s is too low; minimum is 125MiB/s.",
        ),
        (
            {"Size": 10, "VolumeType": "gp3", "Throughput": 1000},
            "InvalidParameterValue",
            "Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops.",
        ),
        (
            {"Size": 10, "VolumeType": "gp3", "MultiAttachEnabled": True},
            "InvalidParameterCombination",
            "The parameter multiAttachEnabled is not supported for gp3 volumes.",
        ),
    ],
)
def test_create_volume_enforces_per_type_rules(
    ec2: Any, kwargs: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone=ZONE, **kwargs)
    assert error_of(exc) == (code, message)


def test_create_volume_zone_and_size_are_required(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone=ZONE)
    assert error_of(exc) == (
        "MissingParameter",
        "The request must contain the parameter size or snapshotId",
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(Size=1)
    assert error_of(exc)[0] == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone="ap-southeast-2z", Size=1)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Invalid availability zone: [ap-southeast-2z]",
    )
    by_id = ec2.create_volume(AvailabilityZoneId="apse2-az1", Size=1)
    assert by_id["AvailabilityZone"] == ZONE
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZoneId="nope", Size=1)
    assert error_of(exc) == ("InvalidParameterValue", "Invalid availability zone ID: [nope]")
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(
            AvailabilityZone=ZONE,
            Size=1,
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_of(exc) == (
        "InvalidParameterValue",
        "'snapshot' is not a valid taggable resource type for this operation.",
    )


def test_encryption_explicit_by_default_and_kms(ec2: Any) -> None:
    encrypted = make_volume(ec2, Encrypted=True)
    assert encrypted["Encrypted"] is True
    assert encrypted["KmsKeyId"] == "arn:aws:kms:ap-southeast-2:000000000001:alias/aws/ebs"
    named = make_volume(ec2, Encrypted=True, KmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert (
        named["KmsKeyId"]
        == "arn:aws:kms:ap-southeast-2:000000000001:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    with pytest.raises(ClientError) as exc:
        make_volume(ec2, KmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert error_of(exc) == (
        "InvalidParameterDependency",
        "The parameter KmsKeyId requires the parameter Encrypted to be set.",
    )
    assert make_volume(ec2)["Encrypted"] is False
    ec2.enable_ebs_encryption_by_default()
    by_default = make_volume(ec2, Encrypted=False)  # AWS encrypts anyway
    assert by_default["Encrypted"] is True and by_default["KmsKeyId"].endswith(":alias/aws/ebs")


def test_volume_from_snapshot_takes_its_size_and_encryption(ec2: Any) -> None:
    source = make_volume(ec2, 12, Encrypted=True)
    snapshot = ec2.create_snapshot(VolumeId=source["VolumeId"])
    restored = ec2.create_volume(AvailabilityZone=ZONE, SnapshotId=snapshot["SnapshotId"])
    assert restored["Size"] == 12 and restored["SnapshotId"] == snapshot["SnapshotId"]
    assert restored["Encrypted"] is True and restored["FastRestored"] is False
    bigger = ec2.create_volume(AvailabilityZone=ZONE, SnapshotId=snapshot["SnapshotId"], Size=20)
    assert bigger["Size"] == 20
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone=ZONE, SnapshotId=snapshot["SnapshotId"], Size=5)
    assert error_of(exc) == (
        "InvalidParameterValue",
        f"Volume of 5GiB is smaller than snapshot '{snapshot['SnapshotId']}', expect size >= 12GiB",
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone=ZONE, SnapshotId="snap-00000000000000000")
    assert error_of(exc) == (
        "InvalidSnapshot.NotFound",
        "The snapshot 'snap-00000000000000000' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.create_volume(AvailabilityZone=ZONE, SnapshotId="snap-zz")
    assert error_of(exc)[0] == "InvalidSnapshotID.Malformed"
    public = ec2.create_volume(
        AvailabilityZone=ZONE, SnapshotId="snap-0deb12a6420240211", VolumeType="gp3"
    )
    assert public["Size"] == 8 and public["Encrypted"] is False


def test_client_token_makes_create_idempotent(ec2: Any) -> None:
    first = make_volume(ec2, 5, ClientToken="tf-token-1")
    again = make_volume(ec2, 5, ClientToken="tf-token-1")
    assert again["VolumeId"] == first["VolumeId"]
    assert len(ec2.describe_volumes()["Volumes"]) == 1
    with pytest.raises(ClientError) as exc:
        make_volume(ec2, 6, ClientToken="tf-token-1")
    assert error_of(exc)[0] == "IdempotentParameterMismatch"
    assert make_volume(ec2, 5, ClientToken="tf-token-2")["VolumeId"] != first["VolumeId"]


def test_client_token_race_creates_one_volume(gateway: RunningGateway) -> None:
    clients = [gateway.client("ec2") for _ in range(8)]

    def create(client: Any) -> str:
        return str(
            client.create_volume(AvailabilityZone=ZONE, Size=3, ClientToken="race")["VolumeId"]
        )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(create, clients))
    assert len(ids) == 1
    assert [v["VolumeId"] for v in clients[0].describe_volumes()["Volumes"]] == list(ids)


# --- the provider's aws_ebs_volume sequence -------------------------------------------------------


def test_terraform_ebs_volume_lifecycle(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(
        monkeypatch,
        gateway,
        volume_create=1.5,
        volume_delete=1.5,
        volume_optimizing=1.0,
        volume_modified=1.0,
    )
    created = ec2.create_volume(
        AvailabilityZone=ZONE,
        Size=10,
        VolumeType="gp3",
        ClientToken="terraform-20240101",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "tf"}]}],
    )
    volume_id = created["VolumeId"]
    assert created["State"] == "creating"
    assert state_of(ec2, volume_id) == "creating"
    wait_for(lambda: state_of(ec2, volume_id) == "available")
    read = describe_one(ec2, volume_id)
    for member in (
        "AvailabilityZone",
        "CreateTime",
        "Encrypted",
        "Iops",
        "MultiAttachEnabled",
        "Size",
        "SnapshotId",
        "Throughput",
        "VolumeType",
        "Tags",
    ):
        assert member in read, member
    assert read["CreateTime"] == created["CreateTime"]

    modified = ec2.modify_volume(VolumeId=volume_id, Size=20, Throughput=125)["VolumeModification"]
    assert modified["ModificationState"] == "modifying"
    assert (modified["OriginalSize"], modified["TargetSize"]) == (10, 20)
    assert (modified["OriginalIops"], modified["TargetIops"]) == (3000, 3000)
    assert (modified["OriginalThroughput"], modified["TargetThroughput"]) == (125, 125)
    assert (modified["OriginalVolumeType"], modified["TargetVolumeType"]) == ("gp3", "gp3")
    assert modified["Progress"] == 0 and "StartTime" in modified and "EndTime" not in modified
    assert describe_one(ec2, volume_id)["Size"] == 20  # the target shows at once
    assert describe_one(ec2, volume_id)["State"] == "available"  # waitVolumeUpdated target

    def modification() -> dict[str, Any]:
        found = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
        assert len(found) == 1 and "StartTime" in found[0]
        return dict(found[0])

    wait_for(lambda: modification()["ModificationState"] == "optimizing", timeout=5)
    done = wait_for(lambda: (m := modification())["ModificationState"] == "completed" and m)
    assert done["Progress"] == 100 and "EndTime" in done

    ec2.delete_volume(VolumeId=volume_id)
    assert state_of(ec2, volume_id) == "deleting"  # waitVolumeDeleted: Pending deleting only
    wait_for(lambda: state_of(ec2, volume_id) is None)
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(VolumeIds=[volume_id])
    assert error_of(exc) == ("InvalidVolume.NotFound", f"The volume '{volume_id}' does not exist.")
    with pytest.raises(ClientError) as exc:
        ec2.delete_volume(VolumeId=volume_id)
    assert error_of(exc)[0] == "InvalidVolume.NotFound"


def test_deleting_twice_is_accepted_while_deleting(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, volume_delete=5.0)
    volume_id = make_volume(ec2)["VolumeId"]
    ec2.delete_volume(VolumeId=volume_id)
    ec2.delete_volume(VolumeId=volume_id)
    assert state_of(ec2, volume_id) == "deleting"


def test_deleted_volumes_are_purged_from_the_store(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    ec2.delete_volume(VolumeId=volume_id)
    assert ec2.describe_volumes()["Volumes"] == []
    ctx = request_context(gateway)
    assert gateway.run(records.find(ctx, KINDS["volume"], volume_id, live_only=False)) is None


def test_deleted_volume_is_gone_for_tags(ec2: Any) -> None:
    """Wrong answer #5: CreateTags on a deleted volume is ``InvalidVolume.NotFound`` (as
    DescribeVolumes answers) and DescribeTags no longer lists its tags, even before a describe
    purged the record."""
    volume_id = make_volume(ec2)["VolumeId"]
    ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "env", "Value": "prod"}])
    assert [t["Key"] for t in ec2.describe_tags()["Tags"]] == ["env"]
    ec2.delete_volume(VolumeId=volume_id)
    with pytest.raises(ClientError) as exc:
        ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "team", "Value": "a"}])
    assert error_of(exc) == (
        "InvalidVolume.NotFound",
        f"The volume '{volume_id}' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.delete_tags(Resources=[volume_id])
    assert error_of(exc)[0] == "InvalidVolume.NotFound"
    by_id = [{"Name": "resource-id", "Values": [volume_id]}]
    assert ec2.describe_tags(Filters=by_id)["Tags"] == []
    assert ec2.describe_tags()["Tags"] == []
    assert state_of(ec2, volume_id) is None


def test_deleting_volume_still_takes_tags(
    ec2: Any, gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While ``deleting`` a volume is still listed, and still tagged, as on AWS."""
    slow(monkeypatch, gateway, volume_delete=30.0)
    volume_id = make_volume(ec2)["VolumeId"]
    ec2.delete_volume(VolumeId=volume_id)
    ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "env", "Value": "prod"}])
    assert [t["ResourceId"] for t in ec2.describe_tags()["Tags"]] == [volume_id]


# --- describe ----------------------------------------------------------------------------------


def test_describe_volumes_ids_errors_and_pagination(ec2: Any) -> None:
    ids = sorted(make_volume(ec2, n)["VolumeId"] for n in (1, 2, 3))
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(VolumeIds=[ids[0], "vol-00000000000000000"])
    assert error_of(exc) == (
        "InvalidVolume.NotFound",
        "The volume 'vol-00000000000000000' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(VolumeIds=["volume-1"])
    assert error_of(exc)[0] == "InvalidVolumeID.Malformed"
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(VolumeIds=[ids[0]], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"
    seen: list[str] = []
    token: str | None = None
    while True:
        page = ec2.describe_volumes(MaxResults=1, **({"NextToken": token} if token else {}))
        seen += [v["VolumeId"] for v in page["Volumes"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ids
    paginated = [
        v["VolumeId"]
        for p in ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 2})
        for v in p["Volumes"]
    ]
    assert paginated == ids
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes(Filters=[{"Name": "iops", "Values": ["100"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'iops' is invalid")


def test_every_volume_filter(gateway: RunningGateway, ec2: Any) -> None:
    snapshot_source = make_volume(ec2, 4)
    snapshot_id = ec2.create_snapshot(VolumeId=snapshot_source["VolumeId"])["SnapshotId"]
    target = make_volume(
        ec2,
        30,
        VolumeType="io2",
        Iops=1000,
        Encrypted=True,
        MultiAttachEnabled=True,
        SnapshotId=snapshot_id,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "role", "Value": "db"}]}],
    )
    target_id = target["VolumeId"]
    instance_id = seed_instance(gateway)
    attachment = ec2.attach_volume(VolumeId=target_id, InstanceId=instance_id, Device="/dev/sdf")
    created = target["CreateTime"].strftime("%Y-%m-%dT%H:%M:%S")
    attached = attachment["AttachTime"].strftime("%Y-%m-%dT%H:%M:%S")
    cases: dict[str, list[str]] = {
        "attachment.attach-time": [attached + "*"],
        "attachment.delete-on-termination": ["false"],
        "attachment.device": ["/dev/sdf"],
        "attachment.instance-id": [instance_id],
        "attachment.status": ["attached"],
        "availability-zone": ["ap-southeast-2?"],
        "availability-zone-id": ["apse2-az1"],
        "create-time": [created + "*"],
        "encrypted": ["true"],
        "fast-restored": ["false"],
        "multi-attach-enabled": ["true"],
        "size": ["30"],
        "snapshot-id": [snapshot_id],
        "status": ["in-use"],
        "tag:role": ["db"],
        "tag-key": ["role"],
        "tag-value": ["d*"],
        "volume-id": [target_id],
        "volume-type": ["io2"],
    }
    for name, values in cases.items():
        found = [
            v["VolumeId"]
            for v in ec2.describe_volumes(Filters=[{"Name": name, "Values": values}])["Volumes"]
        ]
        if name in ("availability-zone", "availability-zone-id", "create-time", "fast-restored"):
            assert target_id in found, name
        else:
            assert found == [target_id], name
    assert ec2.describe_volumes(Filters=[{"Name": "operator.managed", "Values": ["false"]}])[
        "Volumes"
    ]
    assert (
        ec2.describe_volumes(Filters=[{"Name": "operator.principal", "Values": ["x"]}])["Volumes"]
        == []
    )
    assert (
        ec2.describe_volumes(
            Filters=[
                {"Name": "status", "Values": ["available", "in-use"]},
                {"Name": "volume-type", "Values": ["gp2"]},
            ]
        )["Volumes"][0]["VolumeId"]
        == snapshot_source["VolumeId"]
    )


def test_describe_volumes_wire_format(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2, 3, VolumeType="gp3")["VolumeId"]
    instance_id = seed_instance(gateway)
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdg")
    ec2.modify_volume(VolumeId=volume_id, Size=4)
    for body, operation in (
        (f"Action=DescribeVolumes&Version=2016-11-15&VolumeId.1={volume_id}", "DescribeVolumes"),
        ("Action=DescribeVolumesModifications&Version=2016-11-15", "DescribeVolumesModifications"),
        ("Action=DescribeVolumeStatus&Version=2016-11-15", "DescribeVolumeStatus"),
        (
            f"Action=DescribeVolumeAttribute&Version=2016-11-15&VolumeId={volume_id}&Attribute=autoEnableIO",
            "DescribeVolumeAttribute",
        ),
        (f"Action=DetachVolume&Version=2016-11-15&VolumeId={volume_id}", "DetachVolume"),
        (
            "Action=CreateVolume&Version=2016-11-15&AvailabilityZone=ap-southeast-2a&Size=1",
            "CreateVolume",
        ),
    ):
        answer = admin_send(gateway, body)
        assert answer.status == 200, answer.text
        assert_matches_model(answer.body, operation)
    assert (
        "<createTime>" in answer.text
    )  # CreateVolume: always present (the provider dereferences it)
    assert "<snapshotId/>" in answer.text or "<snapshotId></snapshotId>" in answer.text


# --- attach / detach -----------------------------------------------------------------------------


def test_attach_and_detach_lifecycle(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, volume_attach=1.5, volume_detach=1.5)
    volume_id = make_volume(ec2, 4)["VolumeId"]
    instance_id = seed_instance(gateway)
    attached = ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    assert attached["State"] == "attaching"
    assert (attached["VolumeId"], attached["InstanceId"], attached["Device"]) == (
        volume_id,
        instance_id,
        "/dev/sdf",
    )
    assert attached["DeleteOnTermination"] is False
    volume = describe_one(ec2, volume_id)
    assert volume["State"] == "in-use" and volume["Attachments"][0]["State"] == "attaching"

    def lookup() -> list[dict[str, Any]]:  # findVolumeAttachment
        return list(
            ec2.describe_volumes(
                VolumeIds=[volume_id],
                Filters=[
                    {"Name": "attachment.device", "Values": ["/dev/sdf"]},
                    {"Name": "attachment.instance-id", "Values": [instance_id]},
                ],
            )["Volumes"]
        )

    wait_for(lambda: lookup()[0]["Attachments"][0]["State"] == "attached")
    with pytest.raises(ClientError) as exc:
        ec2.delete_volume(VolumeId=volume_id)
    assert error_of(exc) == (
        "VolumeInUse",
        f"Volume {volume_id} is currently attached to {instance_id}",
    )

    detached = ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    assert detached["State"] == "detaching"
    assert describe_one(ec2, volume_id)["Attachments"][0]["State"] == "detaching"
    wait_for(lambda: describe_one(ec2, volume_id)["State"] == "available")
    assert describe_one(ec2, volume_id)["Attachments"] == []
    with pytest.raises(ClientError) as exc:
        ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    assert error_of(exc) == ("IncorrectState", f"Volume '{volume_id}' is in the 'available' state.")
    ec2.delete_volume(VolumeId=volume_id)


def test_attach_volume_errors(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    other_id = make_volume(ec2)["VolumeId"]
    instance_id = seed_instance(gateway)

    def attach_error(**kwargs: Any) -> tuple[str, str]:
        params = {"VolumeId": volume_id, "InstanceId": instance_id, "Device": "/dev/sdf", **kwargs}
        with pytest.raises(ClientError) as exc:
            ec2.attach_volume(**params)
        return error_of(exc)

    assert attach_error(InstanceId="i-00000000000000000") == (
        "InvalidInstanceID.NotFound",
        "The instance ID 'i-00000000000000000' does not exist",
    )
    assert attach_error(VolumeId="vol-00000000000000000") == (
        "InvalidVolume.NotFound",
        "The volume 'vol-00000000000000000' does not exist.",
    )
    assert attach_error(Device="/dev/nope") == (
        "InvalidParameterValue",
        "Value (/dev/nope) for parameter device is invalid. /dev/nope is not a valid EBS device name.",
    )
    pending = seed_instance(gateway, state="pending")
    assert attach_error(InstanceId=pending) == (
        "IncorrectInstanceState",
        f"Instance '{pending}' is not 'running' or 'stopped'.",
    )
    gone = seed_instance(gateway, state="terminated")
    assert attach_error(InstanceId=gone)[0] == "InvalidInstanceID.NotFound"
    elsewhere = seed_instance(gateway, zone="ap-southeast-2b")
    assert attach_error(InstanceId=elsewhere) == (
        "InvalidVolume.ZoneMismatch",
        f"The volume '{volume_id}' is not in the same availability zone as instance '{elsewhere}'",
    )
    stopped = seed_instance(gateway, state="stopped")
    ec2.attach_volume(VolumeId=other_id, InstanceId=stopped, Device="xvdh")
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    assert attach_error() == ("VolumeInUse", f"{volume_id} is already attached to an instance")
    assert attach_error(InstanceId=stopped, Device="/dev/sdk") == (
        "VolumeInUse",
        f"{volume_id} is already attached to an instance",
    )
    third = make_volume(ec2)["VolumeId"]
    assert attach_error(VolumeId=third) == (
        "InvalidParameterValue",
        "Invalid value '/dev/sdf' for unixDevice. Attachment point /dev/sdf is already in use",
    )
    slow(monkeypatch, gateway, volume_create=5.0)
    creating = make_volume(ec2)["VolumeId"]
    assert attach_error(VolumeId=creating, Device="/dev/sdm") == (
        "IncorrectState",
        f"Volume '{creating}' is in the 'creating' state.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.detach_volume(VolumeId=volume_id, InstanceId=stopped)
    assert error_of(exc) == (
        "IncorrectState",
        f"Volume '{volume_id}' is not attached to instance '{stopped}'.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.detach_volume(VolumeId=volume_id, Device="/dev/sdz")
    assert error_of(exc)[0] == "InvalidAttachment.NotFound"


def test_attachments_stored_before_device_claims_keep_their_device(
    gateway: RunningGateway, ec2: Any
) -> None:
    """A volume attached by an earlier version holds no claim in the device-slots space: its
    device stays taken all the same."""
    first, second = make_volume(ec2)["VolumeId"], make_volume(ec2)["VolumeId"]
    instance_id = seed_instance(gateway)
    ec2.attach_volume(VolumeId=first, InstanceId=instance_id, Device="/dev/sdf")
    ctx = request_context(gateway)
    bucket = gateway.run(gateway.runtime.records(claims.DEVICE_SLOTS.bucket, claims.SCHEMA))
    gateway.run(bucket.delete(account_key(ADMIN, f"{instance_id}.sdf")))
    assert gateway.run(claims.get(ctx, claims.DEVICE_SLOTS, f"{instance_id}.sdf")) is None
    with pytest.raises(ClientError) as exc:
        ec2.attach_volume(VolumeId=second, InstanceId=instance_id, Device="/dev/sdf")
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Invalid value '/dev/sdf' for unixDevice. Attachment point /dev/sdf is already in use",
    )
    assert gateway.run(claims.get(ctx, claims.DEVICE_SLOTS, f"{instance_id}.sdf")) is None
    ec2.attach_volume(VolumeId=second, InstanceId=instance_id, Device="/dev/sdg")


def test_detaching_volume_still_holds_its_device(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, volume_detach=5.0)
    first, second = make_volume(ec2)["VolumeId"], make_volume(ec2)["VolumeId"]
    instance_id = seed_instance(gateway)
    ec2.attach_volume(VolumeId=first, InstanceId=instance_id, Device="/dev/sdf")
    ec2.detach_volume(VolumeId=first)
    with pytest.raises(ClientError) as exc:
        ec2.attach_volume(VolumeId=second, InstanceId=instance_id, Device="/dev/sdf")
    assert error_of(exc)[0] == "InvalidParameterValue"
    ec2.attach_volume(VolumeId=second, InstanceId=instance_id, Device="/dev/sdg")


def test_multi_attach_io2(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2, 10, VolumeType="io2", Iops=1000, MultiAttachEnabled=True)[
        "VolumeId"
    ]
    first, second = seed_instance(gateway), seed_instance(gateway)
    ec2.attach_volume(VolumeId=volume_id, InstanceId=first, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=volume_id, InstanceId=second, Device="/dev/sdf")
    assert sorted(a["InstanceId"] for a in describe_one(ec2, volume_id)["Attachments"]) == sorted(
        [first, second]
    )
    with pytest.raises(ClientError) as exc:
        ec2.detach_volume(VolumeId=volume_id)
    assert error_of(exc)[0] == "MissingParameter"
    ec2.detach_volume(VolumeId=volume_id, InstanceId=first)
    assert [a["InstanceId"] for a in describe_one(ec2, volume_id)["Attachments"]] == [second]


def test_ten_racing_attaches_of_one_volume_make_one_attachment(
    gateway: RunningGateway, ec2: Any
) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    instances = [seed_instance(gateway) for _ in range(10)]
    clients = [gateway.client("ec2") for _ in instances]

    def attach(pair: tuple[Any, str]) -> None:
        client, instance_id = pair
        client.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")

    outcomes = race(attach, zip(clients, instances, strict=True))
    assert outcomes.count("ok") == 1
    assert sorted(o for o in outcomes if o != "ok") == ["VolumeInUse"] * 9
    attachments = describe_one(ec2, volume_id)["Attachments"]
    assert len(attachments) == 1 and attachments[0]["InstanceId"] == instances[outcomes.index("ok")]
    # the losers released their device claims: another volume can take /dev/sdf on them
    spare = make_volume(ec2)["VolumeId"]
    loser = instances[outcomes.index("VolumeInUse")]
    ec2.attach_volume(VolumeId=spare, InstanceId=loser, Device="/dev/sdf")


def test_ten_volumes_racing_for_one_device_make_one_attachment(
    gateway: RunningGateway, ec2: Any
) -> None:
    volume_ids = [make_volume(ec2)["VolumeId"] for _ in range(10)]
    instance_id = seed_instance(gateway)
    clients = [gateway.client("ec2") for _ in volume_ids]

    def attach(pair: tuple[Any, str]) -> None:
        client, volume_id = pair
        client.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdh")

    outcomes = race(attach, zip(clients, volume_ids, strict=True))
    assert outcomes.count("ok") == 1
    assert sorted(o for o in outcomes if o != "ok") == ["InvalidParameterValue"] * 9
    in_use = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )["Volumes"]
    assert len(in_use) == 1


# --- modify --------------------------------------------------------------------------------------


def test_modify_volume_rules(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume_id = make_volume(ec2, 10)["VolumeId"]
    with pytest.raises(ClientError) as exc:
        ec2.modify_volume(VolumeId=volume_id, Size=5)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "New size cannot be smaller than existing size",
    )
    with pytest.raises(ClientError) as exc:
        ec2.modify_volume(VolumeId=volume_id, Size=10)
    assert error_of(exc)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as exc:
        ec2.modify_volume(VolumeId=volume_id, VolumeType="io1")
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Iops to volume size ratio of 300.000000 is too high; maximum is 50.000000",
    )
    retyped = ec2.modify_volume(VolumeId=volume_id, VolumeType="gp3")["VolumeModification"]
    assert (retyped["OriginalVolumeType"], retyped["TargetVolumeType"]) == ("gp2", "gp3")
    assert (retyped["OriginalIops"], retyped["TargetIops"]) == (100, 3000)
    assert retyped["TargetThroughput"] == 125 and "OriginalThroughput" not in retyped
    volume = describe_one(ec2, volume_id)
    assert (volume["VolumeType"], volume["Iops"], volume["Throughput"]) == ("gp3", 3000, 125)
    slow(monkeypatch, gateway, volume_optimizing=5.0)
    ec2.modify_volume(VolumeId=volume_id, Iops=4000)
    with pytest.raises(ClientError) as exc:
        ec2.modify_volume(VolumeId=volume_id, Size=11)
    assert error_of(exc)[0] == "IncorrectModificationState"
    with pytest.raises(ClientError) as exc:
        ec2.modify_volume(VolumeId="vol-00000000000000000", Size=11)
    assert error_of(exc)[0] == "InvalidVolume.NotFound"


def test_describe_volumes_modifications(ec2: Any) -> None:
    untouched = make_volume(ec2)["VolumeId"]
    grown = make_volume(ec2, 10, VolumeType="gp3")["VolumeId"]
    ec2.modify_volume(VolumeId=grown, Size=12, Iops=3500, Throughput=150)
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes_modifications(VolumeIds=[untouched])
    assert error_of(exc) == (
        "InvalidVolumeModification.NotFound",
        f"Modification for volume '{untouched}' does not exist.",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_volumes_modifications(VolumeIds=["vol-00000000000000000"])
    assert error_of(exc)[0] == "InvalidVolume.NotFound"
    everything = ec2.describe_volumes_modifications()["VolumesModifications"]
    assert [m["VolumeId"] for m in everything] == [grown]
    start = everything[0]["StartTime"].strftime("%Y-%m-%dT%H:%M")
    for name, values in {
        "modification-state": ["completed"],
        "original-iops": ["3000"],
        "original-size": ["10"],
        "original-volume-type": ["gp3"],
        "originalMultiAttachEnabled": ["false"],
        "start-time": [start + "*"],
        "target-iops": ["3500"],
        "target-size": ["12"],
        "target-volume-type": ["gp3"],
        "targetMultiAttachEnabled": ["false"],
        "volume-id": [grown],
    }.items():
        found = ec2.describe_volumes_modifications(Filters=[{"Name": name, "Values": values}])[
            "VolumesModifications"
        ]
        assert [m["VolumeId"] for m in found] == [grown], name
    assert (
        ec2.describe_volumes_modifications(Filters=[{"Name": "target-size", "Values": ["99"]}])[
            "VolumesModifications"
        ]
        == []
    )


def test_describe_volume_status_and_attributes(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    instance_id = seed_instance(gateway)
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    statuses = ec2.describe_volume_status(VolumeIds=[volume_id])["VolumeStatuses"]
    assert statuses == [
        {
            "VolumeId": volume_id,
            "AvailabilityZone": ZONE,
            "AvailabilityZoneId": "apse2-az1",
            "VolumeStatus": {
                "Status": "ok",
                "Details": [
                    {"Name": "io-enabled", "Status": "passed"},
                    {"Name": "io-performance", "Status": "not-applicable"},
                ],
            },
            "Events": [],
            "Actions": [],
            "AttachmentStatuses": [{"InstanceId": instance_id, "IoPerformance": "not-applicable"}],
        }
    ]
    for name, value in (
        ("volume-status.status", "ok"),
        ("volume-status.details-name", "io-enabled"),
        ("volume-status.details-status", "passed"),
        ("availability-zone", ZONE),
        ("attachment-status.instance-id", instance_id),
        ("attachment-status.io-performance", "not-applicable"),
    ):
        found = ec2.describe_volume_status(Filters=[{"Name": name, "Values": [value]}])[
            "VolumeStatuses"
        ]
        assert [s["VolumeId"] for s in found] == [volume_id], name
    for name in (
        "action.code",
        "action.description",
        "action.event-id",
        "event.description",
        "event.event-id",
        "event.event-type",
        "event.not-after",
        "event.not-before",
    ):
        assert (
            ec2.describe_volume_status(Filters=[{"Name": name, "Values": ["*"]}])["VolumeStatuses"]
            == []
        ), name
    with pytest.raises(ClientError) as exc:
        ec2.describe_volume_status(VolumeIds=["vol-00000000000000000"])
    assert error_of(exc)[0] == "InvalidVolume.NotFound"

    attribute = ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")
    assert attribute["AutoEnableIO"] == {"Value": False}
    ec2.modify_volume_attribute(VolumeId=volume_id, AutoEnableIO={"Value": True})
    assert ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")[
        "AutoEnableIO"
    ] == {"Value": True}
    assert (
        ec2.describe_volume_attribute(VolumeId=volume_id, Attribute="productCodes")["ProductCodes"]
        == []
    )
    ec2.enable_volume_io(VolumeId=volume_id)
    with pytest.raises(ClientError) as exc:
        ec2.enable_volume_io(VolumeId="vol-00000000000000000")
    assert error_of(exc)[0] == "InvalidVolume.NotFound"


# --- isolation -----------------------------------------------------------------------------------


def test_other_accounts_volumes_are_not_found(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2)["VolumeId"]
    tenant = gateway.create_account("tenant-b")
    other = gateway.client("ec2", creds=tenant)
    missing = "vol-00000000000000000"
    for call in (
        lambda vid: other.describe_volumes(VolumeIds=[vid]),
        lambda vid: other.delete_volume(VolumeId=vid),
        lambda vid: other.modify_volume(VolumeId=vid, Size=20),
        lambda vid: other.create_snapshot(VolumeId=vid),
    ):
        with pytest.raises(ClientError) as theirs:
            call(volume_id)
        with pytest.raises(ClientError) as absent:
            call(missing)
        assert error_of(theirs) == (
            error_of(absent)[0],
            error_of(absent)[1].replace(missing, volume_id),
        )
    assert other.describe_volumes()["Volumes"] == []
    their_instance = seed_instance(gateway, account_id=tenant.account_id)
    with pytest.raises(ClientError) as exc:
        ec2.attach_volume(VolumeId=volume_id, InstanceId=their_instance, Device="/dev/sdf")
    assert error_of(exc)[0] == "InvalidInstanceID.NotFound"
    assert describe_one(ec2, volume_id)["State"] == "available"


# --- exports for the instances module -------------------------------------------------------------


def test_exports_for_run_and_terminate_instances(gateway: RunningGateway, ec2: Any) -> None:
    ctx = request_context(gateway)
    instance_id = new_id("instance")  # RunInstances attaches before writing the instance
    root = gateway.run(
        ebs.create_root_volume(
            ctx,
            availability_zone=ZONE,
            size=8,
            volume_type="gp3",
            snapshot_id="snap-0deb12a6420240211",
            encrypted=False,
            iops=None,
            throughput=None,
            tags={"Name": "root"},
        )
    )
    assert root["State"] == "available" and root["SnapshotId"] == "snap-0deb12a6420240211"
    assert (root["Iops"], root["Throughput"]) == (3000, 125)
    data = gateway.run(
        ebs.create_root_volume(
            ctx,
            availability_zone=ZONE,
            size=20,
            volume_type="gp2",
            snapshot_id=None,
            encrypted=True,
            iops=None,
            throughput=None,
            tags={},
        )
    )
    attachment = gateway.run(
        ebs.attach(ctx, root["VolumeId"], instance_id, "/dev/xvda", delete_on_termination=True)
    )
    assert attachment["State"] == "attached"
    gateway.run(
        ebs.attach(ctx, data["VolumeId"], instance_id, "/dev/sdb", delete_on_termination=False)
    )
    with pytest.raises(AwsError) as error:
        gateway.run(
            ebs.attach(
                ctx, data["VolumeId"], new_id("instance"), "/dev/sdb", delete_on_termination=False
            )
        )
    assert error.value.code == "VolumeInUse"
    with pytest.raises(AwsError) as error:
        gateway.run(
            ebs.create_root_volume(
                ctx,
                availability_zone=ZONE,
                size=4,
                volume_type="gp3",
                snapshot_id="snap-0deb12a6420240211",
                encrypted=False,
                iops=None,
                throughput=None,
                tags={},
            )
        )
    assert error.value.code == "InvalidParameterValue"

    attached = gateway.run(ebs.volumes_of_instance(ctx, instance_id))
    assert [(v["VolumeId"], v["Attachments"][0]["Device"]) for v in attached] == [
        (data["VolumeId"], "/dev/sdb"),
        (root["VolumeId"], "/dev/xvda"),
    ]
    assert all(len(v["Attachments"]) == 1 for v in attached)
    by_filter = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )
    assert len(by_filter["Volumes"]) == 2

    gateway.run(ebs.delete_on_termination(ctx, instance_id))
    assert state_of(ec2, root["VolumeId"]) is None  # deleted (instant transitions)
    assert describe_one(ec2, data["VolumeId"])["State"] == "available"
    assert gateway.run(ebs.volumes_of_instance(ctx, instance_id)) == []

    other_instance = new_id("instance")
    gateway.run(
        ebs.attach(ctx, data["VolumeId"], other_instance, "/dev/sdb", delete_on_termination=True)
    )
    gateway.run(ebs.detach_all(ctx, other_instance))
    assert describe_one(ec2, data["VolumeId"])["State"] == "available"  # detached, not deleted


def test_delete_on_termination_leaves_deleting_then_gone(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, volume_delete=1.5)
    ctx = request_context(gateway)
    instance_id = new_id("instance")
    root = gateway.run(
        ebs.create_root_volume(
            ctx,
            availability_zone=ZONE,
            size=8,
            volume_type="gp3",
            snapshot_id=None,
            encrypted=False,
            iops=None,
            throughput=None,
            tags={},
        )
    )
    gateway.run(
        ebs.attach(ctx, root["VolumeId"], instance_id, "/dev/xvda", delete_on_termination=True)
    )
    gateway.run(ebs.delete_on_termination(ctx, instance_id))
    assert state_of(ec2, root["VolumeId"]) == "deleting"
    wait_for(lambda: state_of(ec2, root["VolumeId"]) is None)


def test_volumes_over_nats(nats_gateway: RunningGateway) -> None:
    ec2 = nats_gateway.client("ec2")
    volume_id = ec2.create_volume(AvailabilityZone=ZONE, Size=2, VolumeType="gp3")["VolumeId"]
    instance_id = seed_instance(nats_gateway)
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdf")
    volume = describe_one(ec2, volume_id)
    assert volume["State"] == "in-use" and volume["Attachments"][0]["InstanceId"] == instance_id
    ec2.detach_volume(VolumeId=volume_id)
    ec2.delete_volume(VolumeId=volume_id)
    assert ec2.describe_volumes()["Volumes"] == []
