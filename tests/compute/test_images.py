"""AMIs through real boto3: the catalogue and ``data "aws_ami"``, DescribeImages scopes and
filters, Register/Create/DeregisterImage, attributes, GetInstanceUefiData, races, isolation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import ebs
from hive_gateway.catalogue import image_catalogue
from hive_gateway.core import claims, records
from hive_gateway.core.errors import AwsError
from hive_gateway.core.kinds import KINDS
from tests.compute.test_volumes import (
    ZONE,
    instant,  # noqa: F401  (autouse fixture: instantaneous transitions)
    make_volume,
    seed_instance,
    slow,
)
from tests.fixtures.gateway import RunningGateway
from tests.helpers import (
    admin_send,
    assert_matches_model,
    error_of,
    race,
    request_context,
    wait_for,
)

DEBIAN_AMD64 = "ami-0deb12a6420240211"
DEBIAN_ARM64 = "ami-0deb12a4b20240211"
UBUNTU = "ami-0ab2404a642024042"
CATALOGUE = {DEBIAN_AMD64, DEBIAN_ARM64, UBUNTU}


def ids(answer: dict[str, Any]) -> set[str]:
    return {i["ImageId"] for i in answer["Images"]}


def image(ec2: Any, image_id: str) -> dict[str, Any]:
    found = ec2.describe_images(ImageIds=[image_id])["Images"]
    assert len(found) == 1
    return dict(found[0])


def register(ec2: Any, name: str = "my-ami", size: int = 8, **kwargs: Any) -> str:
    volume_id = make_volume(ec2, size)["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    kwargs.setdefault("RootDeviceName", "/dev/xvda")
    kwargs.setdefault(
        "BlockDeviceMappings", [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}]
    )
    return str(ec2.register_image(Name=name, **kwargs)["ImageId"])


@pytest.fixture
def catalogue_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``HIVE_GATEWAY_IMAGE_CATALOGUE`` file; the built-in catalogue is restored afterwards."""
    path = tmp_path / "catalogue.json"
    monkeypatch.setenv(image_catalogue.ENV_VAR, str(path))
    yield path
    monkeypatch.delenv(image_catalogue.ENV_VAR)
    image_catalogue.reload()


# --- the catalogue and data "aws_ami" ------------------------------------------------------------


def test_data_aws_ami_finds_debian_12(ec2: Any) -> None:
    answer = ec2.describe_images(
        IncludeDeprecated=False,
        Owners=["000000000000"],
        Filters=[
            {"Name": "name", "Values": ["debian-12-amd64-*"]},
            {"Name": "virtualization-type", "Values": ["hvm"]},
        ],
    )
    assert "NextToken" not in answer
    found = answer["Images"]
    assert len(found) == 1
    chosen = max(found, key=lambda i: i["CreationDate"])  # most_recent
    expected = {
        "ImageId": DEBIAN_AMD64,
        "Name": "debian-12-amd64-20240211-1654",
        "Description": "Debian 12 (20240211-1654)",
        "Architecture": "x86_64",
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "ImageType": "machine",
        "RootDeviceType": "ebs",
        "RootDeviceName": "/dev/xvda",
        "EnaSupport": True,
        "SriovNetSupport": "simple",
        "BootMode": "uefi-preferred",
        "ImdsSupport": "v2.0",
        "Public": True,
        "State": "available",
        "CreationDate": "2024-02-11T16:54:00.000Z",
        "OwnerId": "000000000000",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "ImageLocation": "000000000000/debian-12-amd64-20240211-1654",
        "ProductCodes": [],
        "Tags": [],
        "DeregistrationProtection": "disabled",
    }
    assert {k: chosen[k] for k in expected} == expected
    assert chosen["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "DeleteOnTermination": True,
                "SnapshotId": "snap-0deb12a6420240211",
                "VolumeSize": 8,
                "VolumeType": "gp3",
                "Encrypted": False,
                "Iops": 3000,
                "Throughput": 125,
            },
        }
    ]
    # members the provider reads that AWS leaves out for such an image stay absent (nil-safe)
    for member in (
        "ImageOwnerAlias",
        "KernelId",
        "RamdiskId",
        "Platform",
        "StateReason",
        "TpmSupport",
        "DeprecationTime",
        "LastLaunchedTime",
    ):
        assert member not in chosen, member
    uefi = ec2.get_instance_uefi_data(InstanceId=DEBIAN_AMD64)
    assert (uefi["InstanceId"], uefi["UefiData"]) == (DEBIAN_AMD64, "")


def test_debian_and_canonical_owner_ids_select_their_images(ec2: Any) -> None:
    debian = ec2.describe_images(
        Owners=["136693071363"], Filters=[{"Name": "name", "Values": ["debian-12-amd64-*"]}]
    )
    assert ids(debian) == {DEBIAN_AMD64}
    assert ids(ec2.describe_images(Owners=["136693071363"])) == {DEBIAN_AMD64, DEBIAN_ARM64}
    assert ids(ec2.describe_images(Owners=["099720109477"])) == {UBUNTU}
    assert ids(ec2.describe_images(Owners=["000000000000"])) == CATALOGUE
    assert ids(ec2.describe_images(Filters=[{"Name": "owner-id", "Values": ["136693071363"]}])) == {
        DEBIAN_AMD64,
        DEBIAN_ARM64,
    }
    assert ids(ec2.describe_images(Owners=["amazon"])) == set()
    assert ids(ec2.describe_images(Owners=["self"])) == set()
    assert ids(ec2.describe_images()) == CATALOGUE
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(Owners=["debian"])
    assert error_of(exc) == ("InvalidUserID.Malformed", 'Invalid user id: "debian"')
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ExecutableUsers=["everyone"])
    assert error_of(exc)[0] == "InvalidUserID.Malformed"


def test_catalogue_is_visible_to_every_account(gateway: RunningGateway) -> None:
    other = gateway.client("ec2", creds=gateway.create_account("tenant-b"))
    assert ids(other.describe_images(Owners=["000000000000"])) == CATALOGUE
    assert image(other, DEBIAN_AMD64)["OwnerId"] == "000000000000"


def test_describe_images_by_id(ec2: Any) -> None:
    assert ids(ec2.describe_images(ImageIds=[UBUNTU, DEBIAN_ARM64])) == {UBUNTU, DEBIAN_ARM64}
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ImageIds=["ami-00000000000000000"])
    assert error_of(exc) == (
        "InvalidAMIID.NotFound",
        "The image id '[ami-00000000000000000]' does not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ImageIds=[UBUNTU, "ami-00000000000000000", "ami-11111111111111111"])
    assert error_of(exc) == (
        "InvalidAMIID.NotFound",
        "The image ids '[ami-00000000000000000, ami-11111111111111111]' do not exist",
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ImageIds=["ami-123"])
    assert error_of(exc) == (
        "InvalidAMIID.Malformed",
        'Invalid id: "ami-123" (expecting "ami-...")',
    )
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ImageIds=[UBUNTU], MaxResults=5)
    assert error_of(exc)[0] == "InvalidParameterCombination"


def test_describe_images_pagination(ec2: Any) -> None:
    pages = list(ec2.get_paginator("describe_images").paginate(PaginationConfig={"PageSize": 1}))
    assert [i["ImageId"] for p in pages for i in p["Images"]] == sorted(CATALOGUE)
    assert "NextToken" not in pages[-1]


FILTER_CASES: list[tuple[str, list[str], set[str]]] = [
    ("architecture", ["arm64"], {DEBIAN_ARM64}),
    ("block-device-mapping.delete-on-termination", ["true"], CATALOGUE),
    ("block-device-mapping.device-name", ["/dev/sda1"], {UBUNTU}),
    ("block-device-mapping.snapshot-id", ["snap-0deb12a4b20240211"], {DEBIAN_ARM64}),
    ("block-device-mapping.volume-size", ["8"], CATALOGUE),
    ("block-device-mapping.volume-type", ["gp3"], CATALOGUE),
    ("block-device-mapping.encrypted", ["false"], CATALOGUE),
    ("boot-mode", ["uefi"], {DEBIAN_ARM64}),
    ("creation-date", ["2024-02-11T*"], {DEBIAN_AMD64, DEBIAN_ARM64}),
    ("description", ["Canonical*"], {UBUNTU}),
    ("ena-support", ["true"], CATALOGUE),
    ("free-tier-eligible", ["false"], CATALOGUE),
    ("hypervisor", ["xen"], CATALOGUE),
    ("image-allowed", ["true"], CATALOGUE),
    ("image-id", ["ami-0deb*"], {DEBIAN_AMD64, DEBIAN_ARM64}),
    ("image-type", ["machine"], CATALOGUE),
    ("image-watermark.watermark-key", ["*"], set()),
    ("imds-support", ["v2.0"], {DEBIAN_AMD64, DEBIAN_ARM64}),
    ("instance-type-specification.supported-instance-type", ["t3.*"], set()),
    ("is-public", ["true"], CATALOGUE),
    ("kernel-id", ["*"], set()),
    ("manifest-location", ["000000000000/ubuntu/*"], {UBUNTU}),
    ("name", ["debian-12-*-20240211-1654"], {DEBIAN_AMD64, DEBIAN_ARM64}),
    ("owner-alias", ["amazon"], set()),
    ("owner-id", ["000000000000"], CATALOGUE),
    ("platform", ["windows"], set()),
    ("product-code", ["*"], set()),
    ("product-code.type", ["marketplace"], set()),
    ("public-ssm-parameter-name", ["*"], set()),
    ("ramdisk-id", ["*"], set()),
    ("root-device-name", ["/dev/xvda"], {DEBIAN_AMD64, DEBIAN_ARM64}),
    ("root-device-type", ["ebs"], CATALOGUE),
    ("scan-result.highest-finding-severity-label", ["*"], set()),
    ("source-image-id", ["*"], set()),
    ("source-instance-id", ["*"], set()),
    ("state", ["available"], CATALOGUE),
    ("state-reason-code", ["*"], set()),
    ("state-reason-message", ["*"], set()),
    ("sriov-net-support", ["simple"], CATALOGUE),
    ("tag-key", ["*"], set()),
    ("virtualization-type", ["hvm"], CATALOGUE),
]


@pytest.mark.parametrize("name,values,expected", FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_image_filters_over_the_catalogue(
    ec2: Any, name: str, values: list[str], expected: set[str]
) -> None:
    assert ids(ec2.describe_images(Filters=[{"Name": name, "Values": values}])) == expected


def test_tag_filters_and_unknown_filters(ec2: Any) -> None:
    image_id = register(
        ec2, TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "os", "Value": "deb"}]}]
    )
    for name, values in (("tag:os", ["deb"]), ("tag-key", ["os"]), ("tag-value", ["d*"])):
        assert ids(ec2.describe_images(Filters=[{"Name": name, "Values": values}])) == {image_id}, (
            name
        )
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(Filters=[{"Name": "os", "Values": ["x"]}])
    assert error_of(exc) == ("InvalidParameterValue", "The filter 'os' is invalid")


def test_configured_catalogue_extends_and_replaces(catalogue_file: Path, ec2: Any) -> None:
    extra = {
        "image_id": "ami-0aaaaaaaaaaaaaaaa",
        "name": "rocky-9-x86_64",
        "architecture": "x86_64",
        "owner_aliases": ["792107900819"],
        "description": "Rocky 9",
    }
    catalogue_file.write_text(json.dumps([extra]))
    image_catalogue.reload()
    assert ids(ec2.describe_images()) == CATALOGUE | {"ami-0aaaaaaaaaaaaaaaa"}
    rocky = image(ec2, "ami-0aaaaaaaaaaaaaaaa")
    assert (
        rocky["OwnerId"] == "000000000000"
        and rocky["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == "snap-0aaaaaaaaaaaaaaaa"
    )
    assert ids(ec2.describe_images(Owners=["792107900819"])) == {"ami-0aaaaaaaaaaaaaaaa"}
    catalogue_file.write_text(json.dumps({"replace": True, "images": [extra]}))
    image_catalogue.reload()
    assert ids(ec2.describe_images()) == {"ami-0aaaaaaaaaaaaaaaa"}
    catalogue_file.write_text(json.dumps({"images": [{"name": "no-id"}]}))
    with pytest.raises(image_catalogue.CatalogueError):
        image_catalogue.reload()
    catalogue_file.write_text(json.dumps([{**extra, "architecture": "sparc"}]))
    with pytest.raises(image_catalogue.CatalogueError):
        image_catalogue.reload()
    catalogue_file.write_text("{not json")
    with pytest.raises(image_catalogue.CatalogueError):
        image_catalogue.reload()


def test_deprecated_and_disabled_images_need_asking(catalogue_file: Path, ec2: Any) -> None:
    catalogue_file.write_text(
        json.dumps(
            [
                {
                    "image_id": "ami-0dddddddddddddddd",
                    "name": "old-image",
                    "architecture": "x86_64",
                    "deprecation_time": "2020-01-01T00:00:00.000Z",
                },
                {
                    "image_id": "ami-0eeeeeeeeeeeeeeee",
                    "name": "off-image",
                    "architecture": "x86_64",
                    "state": "disabled",
                },
            ]
        )
    )
    image_catalogue.reload()
    assert ids(ec2.describe_images()) == CATALOGUE
    assert ids(ec2.describe_images(IncludeDeprecated=True)) == CATALOGUE | {"ami-0dddddddddddddddd"}
    assert ids(ec2.describe_images(IncludeDisabled=True)) == CATALOGUE | {"ami-0eeeeeeeeeeeeeeee"}
    assert image(ec2, "ami-0dddddddddddddddd")["DeprecationTime"] == "2020-01-01T00:00:00.000Z"
    assert image(ec2, "ami-0eeeeeeeeeeeeeeee")["State"] == "disabled"


# --- RegisterImage / DeregisterImage --------------------------------------------------------------


def test_register_image_lifecycle(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, image_available=1.5, image_deregistered=1.5)
    image_id = register(ec2, "my-ami", 10, Description="custom")
    registered = image(ec2, image_id)
    assert registered["State"] == "pending"
    assert (registered["Architecture"], registered["VirtualizationType"]) == ("i386", "paravirtual")
    assert registered["OwnerId"] == "000000000001" and registered["Public"] is False
    assert (
        registered["ImageLocation"] == "000000000001/my-ami"
        and registered["Description"] == "custom"
    )
    assert registered["RootDeviceType"] == "ebs" and registered["RootDeviceName"] == "/dev/xvda"
    assert registered["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 10
    assert registered["BlockDeviceMappings"][0]["Ebs"]["VolumeType"] == "gp2"
    wait_for(lambda: image(ec2, image_id)["State"] == "available")
    assert ids(ec2.describe_images(Owners=["self"])) == {image_id}
    result = ec2.deregister_image(ImageId=image_id)
    assert result["Return"] is True
    assert image(ec2, image_id)["State"] == "deregistered"
    with pytest.raises(ClientError) as exc:
        ec2.deregister_image(ImageId=image_id)
    assert error_of(exc) == (
        "InvalidAMIID.Unavailable",
        f"The image id '[{image_id}]' is no longer available",
    )
    wait_for(lambda: image_id not in ids(ec2.describe_images(Owners=["self"])))
    with pytest.raises(ClientError) as exc:
        ec2.describe_images(ImageIds=[image_id])
    assert error_of(exc)[0] == "InvalidAMIID.NotFound"
    register(ec2, "my-ami")  # the name is free again


def test_gone_image_is_gone_for_tags(ec2: Any) -> None:
    """Once a deregistration has run its course the image is ``InvalidAMIID.NotFound`` to
    CreateTags too, and DescribeTags no longer lists its tags (as for a deleted volume)."""
    image_id = register(ec2, "tagged-ami")
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "env", "Value": "prod"}])
    by_id = [{"Name": "resource-id", "Values": [image_id]}]
    assert [t["Key"] for t in ec2.describe_tags(Filters=by_id)["Tags"]] == ["env"]
    ec2.deregister_image(ImageId=image_id)
    with pytest.raises(ClientError) as exc:
        ec2.create_tags(Resources=[image_id], Tags=[{"Key": "team", "Value": "a"}])
    assert error_of(exc) == ("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
    assert ec2.describe_tags(Filters=by_id)["Tags"] == []
    assert image_id not in {t["ResourceId"] for t in ec2.describe_tags()["Tags"]}


def test_register_image_options_and_errors(ec2: Any) -> None:
    volume_id = make_volume(ec2, 8)["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    image_id = ec2.register_image(
        Name="full (v1) [x] it's@home_/.-",
        Architecture="arm64",
        VirtualizationType="hvm",
        EnaSupport=True,
        SriovNetSupport="simple",
        BootMode="uefi",
        TpmSupport="v2.0",
        ImdsSupport="v2.0",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/sda1",
                "Ebs": {
                    "SnapshotId": snapshot_id,
                    "VolumeSize": 16,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": False,
                },
            },
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 500, "VolumeType": "st1"}},
            {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/sdd", "NoDevice": ""},
        ],
    )["ImageId"]
    full = image(ec2, image_id)
    assert (full["Architecture"], full["BootMode"], full["TpmSupport"], full["ImdsSupport"]) == (
        "arm64",
        "uefi",
        "v2.0",
        "v2.0",
    )
    assert full["EnaSupport"] is True and full["SriovNetSupport"] == "simple"
    assert full["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {
                "DeleteOnTermination": False,
                "SnapshotId": snapshot_id,
                "VolumeSize": 16,
                "VolumeType": "gp3",
                "Encrypted": False,
                "Iops": 3000,
                "Throughput": 125,
            },
        },
        {
            "DeviceName": "/dev/sdb",
            "Ebs": {
                "DeleteOnTermination": True,
                "VolumeSize": 500,
                "VolumeType": "st1",
                "Encrypted": False,
            },
        },
        {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral0"},
        {"DeviceName": "/dev/sdd", "NoDevice": ""},
    ]
    store = ec2.register_image(Name="instance-store", ImageLocation="bucket/image.manifest.xml")[
        "ImageId"
    ]
    assert image(ec2, store)["RootDeviceType"] == "instance-store"
    assert image(ec2, store)["ImageLocation"] == "bucket/image.manifest.xml"

    def error(**kwargs: Any) -> tuple[str, str]:
        kwargs.setdefault("Name", "another")
        with pytest.raises(ClientError) as exc:
            ec2.register_image(**kwargs)
        return error_of(exc)

    root = [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}]
    assert error(Name=full["Name"], RootDeviceName="/dev/xvda", BlockDeviceMappings=root) == (
        "InvalidAMIName.Duplicate",
        f"AMI name {full['Name']} is already in use by AMI {image_id}",
    )
    assert error(Name="bad*name", BlockDeviceMappings=root)[0] == "InvalidAMIName.Malformed"
    assert error()[0] == "InvalidParameterCombination"
    assert (
        error(
            RootDeviceName="/dev/sdb",
            BlockDeviceMappings=[{"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 5}}],
        )[0]
        == "InvalidBlockDeviceMapping"
    )
    assert error(
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-00000000000000000"}}
        ]
    ) == ("InvalidSnapshot.NotFound", "The snapshot 'snap-00000000000000000' does not exist.")
    assert error(
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id, "VolumeSize": 4}}
        ]
    ) == (
        "InvalidParameterValue",
        f"Volume of 4GiB is smaller than snapshot '{snapshot_id}', expect size >= 8GiB",
    )
    assert (
        error(
            BlockDeviceMappings=root,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "a", "Value": "b"}]}],
        )[0]
        == "InvalidParameterValue"
    )


def test_register_same_name_race_has_one_winner(gateway: RunningGateway, ec2: Any) -> None:
    volume_id = make_volume(ec2, 8)["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    clients = [gateway.client("ec2") for _ in range(10)]

    def attempt(client: Any) -> None:
        client.register_image(
            Name="raced",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}],
        )

    outcomes = race(attempt, clients)
    assert outcomes.count("ok") == 1
    assert sorted(o for o in outcomes if o != "ok") == ["InvalidAMIName.Duplicate"] * 9
    assert len(ec2.describe_images(Owners=["self"])["Images"]) == 1


def test_images_registered_before_name_claims_keep_their_name(
    gateway: RunningGateway, ec2: Any
) -> None:
    """An image registered by an earlier version holds no claim in the image-names space: its
    name stays taken all the same, and is free again once it is deregistered."""
    image_id = register(ec2, "legacy-name")
    ctx = request_context(gateway)
    gateway.run(claims.release(ctx, claims.IMAGE_NAMES, ebs._name_claim("legacy-name"), image_id))
    with pytest.raises(ClientError) as exc:
        register(ec2, "legacy-name")
    assert error_of(exc) == (
        "InvalidAMIName.Duplicate",
        f"AMI name legacy-name is already in use by AMI {image_id}",
    )
    ec2.deregister_image(ImageId=image_id)
    assert register(ec2, "legacy-name") != image_id


def test_deregister_errors_and_associated_snapshots(ec2: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ec2.deregister_image(ImageId=DEBIAN_AMD64)
    assert error_of(exc) == ("AuthFailure", f"Not authorized for image:{DEBIAN_AMD64}")
    with pytest.raises(ClientError) as exc:
        ec2.deregister_image(ImageId="ami-00000000000000000")
    assert error_of(exc)[0] == "InvalidAMIID.NotFound"
    image_id = register(ec2, "with-snapshots")
    snapshot_id = image(ec2, image_id)["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    result = ec2.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
    assert result["DeleteSnapshotResults"] == [{"SnapshotId": snapshot_id, "ReturnCode": "success"}]
    with pytest.raises(ClientError) as exc:
        ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert error_of(exc)[0] == "InvalidSnapshot.NotFound"


# --- CreateImage ----------------------------------------------------------------------------------


def launch(gateway: RunningGateway, ec2: Any, **instance: Any) -> tuple[str, str, str]:
    """A seeded running instance with a root and a data volume (as RunInstances would leave it)."""
    ctx = request_context(gateway)
    instance_id = seed_instance(gateway, root_device_name="/dev/xvda", **instance)
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
            tags={},
        )
    )
    data = gateway.run(
        ebs.create_root_volume(
            ctx,
            availability_zone=ZONE,
            size=20,
            volume_type="gp2",
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
    gateway.run(
        ebs.attach(ctx, data["VolumeId"], instance_id, "/dev/sdf", delete_on_termination=False)
    )
    return instance_id, root["VolumeId"], data["VolumeId"]


def test_create_image_snapshots_every_volume(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow(monkeypatch, gateway, snapshot_complete=1.5)
    instance_id, root_id, data_id = launch(gateway, ec2)
    image_id = ec2.create_image(
        InstanceId=instance_id,
        Name="golden",
        Description="from instance",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "kind", "Value": "ami"}]},
            {"ResourceType": "snapshot", "Tags": [{"Key": "kind", "Value": "snap"}]},
        ],
    )["ImageId"]
    created = image(ec2, image_id)
    assert created["State"] == "pending"
    assert created["SourceInstanceId"] == instance_id and created["RootDeviceName"] == "/dev/xvda"
    assert (created["Architecture"], created["VirtualizationType"], created["BootMode"]) == (
        "x86_64",
        "hvm",
        "uefi-preferred",
    )  # inherited from the Debian image it was launched from
    assert created["Tags"] == [{"Key": "kind", "Value": "ami"}]
    mappings = {m["DeviceName"]: m["Ebs"] for m in created["BlockDeviceMappings"]}
    assert set(mappings) == {"/dev/xvda", "/dev/sdf"}
    assert (mappings["/dev/xvda"]["VolumeSize"], mappings["/dev/xvda"]["DeleteOnTermination"]) == (
        8,
        True,
    )
    assert (mappings["/dev/sdf"]["VolumeSize"], mappings["/dev/sdf"]["DeleteOnTermination"]) == (
        20,
        False,
    )
    snapshots = ec2.describe_snapshots(SnapshotIds=[m["SnapshotId"] for m in mappings.values()])[
        "Snapshots"
    ]
    assert {s["VolumeId"] for s in snapshots} == {root_id, data_id}
    assert {s["Description"] for s in snapshots} == {
        f"Created by CreateImage({instance_id}) for {image_id}"
    }
    assert all(s["Tags"] == [{"Key": "kind", "Value": "snap"}] for s in snapshots)
    wait_for(lambda: image(ec2, image_id)["State"] == "available")
    assert (
        gateway.run(ebs.get_image(request_context(gateway), image_id, for_launch=True))["ImageId"]
        == image_id
    )


def test_create_image_mapping_overrides_and_errors(gateway: RunningGateway, ec2: Any) -> None:
    instance_id, _, _ = launch(gateway, ec2)
    image_id = ec2.create_image(
        InstanceId=instance_id,
        Name="trimmed",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sdf", "NoDevice": ""},
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 12}},
            {"DeviceName": "/dev/sdh", "Ebs": {"VolumeSize": 5, "VolumeType": "gp3"}},
        ],
    )["ImageId"]
    mappings = {m["DeviceName"]: m.get("Ebs") for m in image(ec2, image_id)["BlockDeviceMappings"]}
    assert set(mappings) == {"/dev/xvda", "/dev/sdh"}
    assert mappings["/dev/xvda"]["VolumeSize"] == 12 and "SnapshotId" in mappings["/dev/xvda"]
    assert mappings["/dev/sdh"]["VolumeSize"] == 5 and "SnapshotId" not in mappings["/dev/sdh"]
    with pytest.raises(ClientError) as exc:
        ec2.create_image(InstanceId=instance_id, Name="trimmed")
    assert error_of(exc)[0] == "InvalidAMIName.Duplicate"
    with pytest.raises(ClientError) as exc:
        ec2.create_image(InstanceId="i-00000000000000000", Name="nothing")
    assert error_of(exc) == (
        "InvalidInstanceID.NotFound",
        "The instance ID 'i-00000000000000000' does not exist",
    )
    pending = seed_instance(gateway, state="pending")
    with pytest.raises(ClientError) as exc:
        ec2.create_image(InstanceId=pending, Name="too-early")
    assert error_of(exc)[0] == "IncorrectInstanceState"
    stopped = seed_instance(gateway, state="stopped")
    assert ec2.create_image(InstanceId=stopped, Name="stopped-ok")["ImageId"].startswith("ami-")
    with pytest.raises(ClientError) as exc:
        ec2.create_image(InstanceId=instance_id, Name="no|pipes")
    assert error_of(exc)[0] == "InvalidAMIName.Malformed"


# --- attributes ---------------------------------------------------------------------------------


def test_image_attributes(gateway: RunningGateway, ec2: Any) -> None:
    image_id = register(ec2, "attrs", Description="first", BootMode="uefi", Architecture="x86_64")

    def attribute(name: str) -> dict[str, Any]:
        answer = dict(ec2.describe_image_attribute(ImageId=image_id, Attribute=name))
        answer.pop("ResponseMetadata")
        assert answer.pop("ImageId") == image_id
        return answer

    assert attribute("description") == {"Description": {"Value": "first"}}
    assert attribute("bootMode") == {"BootMode": {"Value": "uefi"}}
    assert attribute("launchPermission") == {"LaunchPermissions": []}
    assert attribute("productCodes") == {"ProductCodes": []}
    assert attribute("blockDeviceMapping")["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    assert attribute("deregistrationProtection") == {
        "DeregistrationProtection": {"Value": "disabled"}
    }
    for name, member in (
        ("kernel", "KernelId"),
        ("ramdisk", "RamdiskId"),
        ("sriovNetSupport", "SriovNetSupport"),
        ("tpmSupport", "TpmSupport"),
        ("uefiData", "UefiData"),
        ("lastLaunchedTime", "LastLaunchedTime"),
        ("imdsSupport", "ImdsSupport"),
    ):
        assert attribute(name) == {member: {}}, name

    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "second"})
    assert attribute("description") == {"Description": {"Value": "second"}}
    ec2.modify_image_attribute(ImageId=image_id, Attribute="description", Value="third")
    assert image(ec2, image_id)["Description"] == "third"
    ec2.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
    assert attribute("imdsSupport") == {"ImdsSupport": {"Value": "v2.0"}}

    for kwargs, code in (
        ({"ImdsSupport": {"Value": "v1.0"}}, "InvalidParameterValue"),
        ({"Attribute": "bootMode", "Value": "legacy-bios"}, "InvalidParameterValue"),
        ({"ProductCodes": ["abc"]}, "InvalidProductInfo"),
        ({"LaunchPermission": {"Add": [{"UserId": "someone"}]}}, "InvalidAMIAttributeItemValue"),
        ({"Attribute": "launchPermission", "UserIds": ["000000000002"]}, "MissingParameter"),
        ({}, "MissingParameter"),
    ):
        with pytest.raises(ClientError) as exc:
            ec2.modify_image_attribute(ImageId=image_id, **kwargs)
        assert error_of(exc)[0] == code, kwargs
    for call in (
        lambda: ec2.describe_image_attribute(ImageId=DEBIAN_AMD64, Attribute="description"),
        lambda: ec2.modify_image_attribute(ImageId=DEBIAN_AMD64, Description={"Value": "x"}),
        lambda: ec2.reset_image_attribute(ImageId=DEBIAN_AMD64, Attribute="launchPermission"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("AuthFailure", f"Not authorized for image:{DEBIAN_AMD64}")
    with pytest.raises(ClientError) as exc:
        ec2.describe_image_attribute(ImageId="ami-00000000000000000", Attribute="description")
    assert error_of(exc)[0] == "InvalidAMIID.NotFound"


def test_unchanged_modify_writes_nothing(gateway: RunningGateway, ec2: Any) -> None:
    image_id = register(ec2, "churn", Description="same")
    bucket = gateway.run(records.records(request_context(gateway), KINDS["image"]))
    key = f"000000000001.{image_id}"
    before = gateway.run(bucket.get(key))
    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "same"})
    after = gateway.run(bucket.get(key))
    assert before is not None and after is not None and before[1] == after[1]  # same revision
    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "changed"})
    changed = gateway.run(bucket.get(key))
    assert changed is not None and changed[1] > after[1]


def test_launch_permissions_share_an_image(gateway: RunningGateway, ec2: Any) -> None:
    image_id = register(ec2, "shared")
    tenant = gateway.create_account("tenant-b")
    other = gateway.client("ec2", creds=tenant)
    with pytest.raises(ClientError) as exc:
        other.describe_images(ImageIds=[image_id])
    assert error_of(exc) == ("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
    assert ids(other.describe_images()) == CATALOGUE

    ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Add": [{"UserId": tenant.account_id}]}
    )
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")[
        "LaunchPermissions"
    ] == [{"UserId": tenant.account_id}]
    assert image_id in ids(other.describe_images())
    assert ids(other.describe_images(ExecutableUsers=["self"])) == {image_id}
    assert ids(ec2.describe_images(ExecutableUsers=[tenant.account_id])) == {image_id}
    assert ids(ec2.describe_images(ExecutableUsers=["self"])) == {image_id}
    assert image(other, image_id)["Public"] is False
    with pytest.raises(ClientError) as exc:
        other.deregister_image(ImageId=image_id)
    assert error_of(exc) == ("AuthFailure", f"Not authorized for image:{image_id}")
    assert (
        gateway.run(ebs.get_image(request_context(gateway, tenant.account_id), image_id))["ImageId"]
        == image_id
    )

    ec2.modify_image_attribute(
        ImageId=image_id, Attribute="launchPermission", OperationType="add", UserGroups=["all"]
    )
    assert image(ec2, image_id)["Public"] is True
    assert image_id in ids(ec2.describe_images(ExecutableUsers=["all"]))
    assert image_id in ids(ec2.describe_images(Filters=[{"Name": "is-public", "Values": ["true"]}]))
    ec2.modify_image_attribute(
        ImageId=image_id,
        LaunchPermission={"Remove": [{"Group": "all"}, {"UserId": tenant.account_id}]},
    )
    assert image(ec2, image_id)["Public"] is False
    ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Add": [{"UserId": tenant.account_id}]}
    )
    ec2.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert (
        ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")[
            "LaunchPermissions"
        ]
        == []
    )
    with pytest.raises(ClientError) as exc:
        other.describe_images(ImageIds=[image_id])
    assert error_of(exc)[0] == "InvalidAMIID.NotFound"


# --- GetInstanceUefiData and exports -----------------------------------------------------------


def test_get_instance_uefi_data(gateway: RunningGateway, ec2: Any) -> None:
    instance_id = seed_instance(gateway)
    answer = ec2.get_instance_uefi_data(InstanceId=instance_id)
    assert (answer["InstanceId"], answer["UefiData"]) == (instance_id, "")
    for unknown in ("i-00000000000000000", "ami-00000000000000000", "ami-1"):
        with pytest.raises(ClientError) as exc:
            ec2.get_instance_uefi_data(InstanceId=unknown)
        assert error_of(exc) == (
            "InvalidInstanceID.NotFound",
            f"The instance ID '{unknown}' does not exist",
        )
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    with pytest.raises(ClientError) as exc:
        ec2.get_instance_uefi_data(InstanceId="vol-00000000000000000")
    assert error_of(exc)[0] == "InvalidInstanceID.Malformed"


def test_get_image_export(
    gateway: RunningGateway, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = request_context(gateway)
    debian = gateway.run(ebs.get_image(ctx, DEBIAN_AMD64, for_launch=True))
    assert debian["RootDeviceName"] == "/dev/xvda"
    assert debian["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == "snap-0deb12a6420240211"
    with pytest.raises(AwsError) as error:
        gateway.run(ebs.get_image(ctx, "ami-00000000000000000"))
    assert (error.value.code, error.value.message) == (
        "InvalidAMIID.NotFound",
        "The image id '[ami-00000000000000000]' does not exist",
    )
    with pytest.raises(AwsError) as error:
        gateway.run(ebs.get_image(ctx, "nope"))
    assert error.value.code == "InvalidAMIID.Malformed"
    slow(monkeypatch, gateway, image_available=10.0)
    pending = register(ec2, "pending-one")
    assert gateway.run(ebs.get_image(ctx, pending))["State"] == "pending"
    with pytest.raises(AwsError) as error:
        gateway.run(ebs.get_image(ctx, pending, for_launch=True))
    assert error.value.code == "InvalidAMIID.Unavailable"


def test_images_wire_format(gateway: RunningGateway, ec2: Any) -> None:
    image_id = register(ec2, "wire", Description="w")
    for body, operation in (
        (
            f"Action=DescribeImages&Version=2016-11-15&ImageId.1={DEBIAN_AMD64}&ImageId.2={image_id}",
            "DescribeImages",
        ),
        (
            f"Action=DescribeImageAttribute&Version=2016-11-15&ImageId={image_id}&Attribute=description",
            "DescribeImageAttribute",
        ),
        (
            f"Action=GetInstanceUefiData&Version=2016-11-15&InstanceId={DEBIAN_AMD64}",
            "GetInstanceUefiData",
        ),
        (f"Action=DeregisterImage&Version=2016-11-15&ImageId={image_id}", "DeregisterImage"),
    ):
        answer = admin_send(gateway, body)
        assert answer.status == 200, answer.text
        assert_matches_model(answer.body, operation)
