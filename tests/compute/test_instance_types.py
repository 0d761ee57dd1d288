"""DescribeInstanceTypes and DescribeInstanceTypeOfferings: the catalogue, filters, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers.instances import TYPE_FILTERS
from hive_gateway.catalogue import instance_types


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def types_of(ec2: Any, **kwargs: Any) -> list[str]:
    names: list[str] = []
    for page in ec2.get_paginator("describe_instance_types").paginate(**kwargs):
        names += [t["InstanceType"] for t in page["InstanceTypes"]]
    return names


def test_catalogue_has_the_common_families() -> None:
    for family in ("t2", "t3", "t3a", "t4g"):
        for size in ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"):
            assert instance_types.exists(f"{family}.{size}")
    for family in ("m5", "m6i", "m7i", "c5", "c6i", "r5", "r6i"):
        for size in ("large", "xlarge", "2xlarge", "4xlarge"):
            assert instance_types.exists(f"{family}.{size}")
    assert len(instance_types.INSTANCE_TYPES) == 4 * 7 + 7 * 4
    assert not instance_types.exists("t3.huge") and not instance_types.exists("x9.large")


@pytest.mark.parametrize(
    ("name", "vcpus", "memory", "arch", "burstable", "hypervisor", "network"),
    [
        ("t3.small", 2, 2048, ["x86_64"], True, "nitro", "Up to 5 Gigabit"),
        ("t2.micro", 1, 1024, ["i386", "x86_64"], True, "xen", "Low to Moderate"),
        ("t4g.medium", 2, 4096, ["arm64"], True, "nitro", "Up to 5 Gigabit"),
        ("m5.xlarge", 4, 16384, ["x86_64"], False, "nitro", "Up to 10 Gigabit"),
        ("c6i.4xlarge", 16, 32768, ["x86_64"], False, "nitro", "Up to 12.5 Gigabit"),
        ("r5.large", 2, 16384, ["x86_64"], False, "nitro", "Up to 10 Gigabit"),
    ],
)
def test_published_specs(ec2: Any, name: str, vcpus: int, memory: int, arch: list[str],
                         burstable: bool, hypervisor: str, network: str) -> None:
    (info,) = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"]
    assert info["InstanceType"] == name
    assert info["VCpuInfo"]["DefaultVCpus"] == vcpus
    assert info["MemoryInfo"]["SizeInMiB"] == memory
    assert info["ProcessorInfo"]["SupportedArchitectures"] == arch
    assert info["BurstablePerformanceSupported"] is burstable
    assert info["Hypervisor"] == hypervisor
    assert info["NetworkInfo"]["NetworkPerformance"] == network
    assert info["InstanceStorageSupported"] is False
    assert info["SupportedRootDeviceTypes"] == ["ebs"]
    assert info["SupportedVirtualizationTypes"] == ["hvm"]
    assert info["CurrentGeneration"] is True
    assert info["EbsInfo"]["EncryptionSupport"] == "supported"
    if hypervisor == "nitro":
        assert info["EbsInfo"]["EbsOptimizedSupport"] == "default"
        assert info["NetworkInfo"]["EnaSupport"] == "required"
        assert info["EbsInfo"]["EbsOptimizedInfo"]["BaselineIops"] > 0
    else:
        assert info["EbsInfo"]["EbsOptimizedSupport"] == "unsupported"
        assert info["SupportedBootModes"] == ["legacy-bios"]


def test_t3_small_is_what_the_provider_needs(ec2: Any) -> None:
    (info,) = ec2.describe_instance_types(InstanceTypes=["t3.small"])["InstanceTypes"]
    assert info["BurstablePerformanceSupported"] is True
    assert info["VCpuInfo"] == {"DefaultVCpus": 2, "DefaultCores": 1, "DefaultThreadsPerCore": 2,
                                "ValidCores": [1], "ValidThreadsPerCore": [1, 2]}
    assert info["NetworkInfo"]["MaximumNetworkInterfaces"] == 3
    assert info["NetworkInfo"]["Ipv4AddressesPerInterface"] == 4
    assert info["PlacementGroupInfo"]["SupportedStrategies"] == ["partition", "spread"]
    assert info["SupportedBootModes"] == ["legacy-bios", "uefi"]
    assert info["FreeTierEligible"] is False
    (micro,) = ec2.describe_instance_types(InstanceTypes=["t3.micro"])["InstanceTypes"]
    assert micro["FreeTierEligible"] is True


def test_unknown_type_is_invalid_instance_type(ec2: Any) -> None:
    # p5.48xlarge is a real AWS type (in the model's enum) that this cloud does not offer.
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_types(InstanceTypes=["t3.small", "p5.48xlarge"])
    assert code_of(exc) == "InvalidInstanceType"
    assert exc.value.response["Error"]["Message"] == (
        "The following supplied instance types do not exist: [p5.48xlarge]"
    )


def test_all_types_paginate(ec2: Any) -> None:
    first = ec2.describe_instance_types(MaxResults=5)
    assert len(first["InstanceTypes"]) == 5 and first["NextToken"]
    assert sorted(types_of(ec2, PaginationConfig={"PageSize": 7})) == sorted(instance_types.INSTANCE_TYPES)
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_types(MaxResults=5, NextToken="garbage")
    assert code_of(exc) == "InvalidPaginationToken"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"Name": "instance-type", "Values": ["t3.*"]}],
         {f"t3.{s}" for s in ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")}),
        ([{"Name": "processor-info.supported-architecture", "Values": ["arm64"]}],
         {n for n in instance_types.INSTANCE_TYPES if n.startswith("t4g.")}),
        ([{"Name": "burstable-performance-supported", "Values": ["true"]},
          {"Name": "vcpu-info.default-vcpus", "Values": ["8"]}],
         {"t2.2xlarge", "t3.2xlarge", "t3a.2xlarge", "t4g.2xlarge"}),
        ([{"Name": "memory-info.size-in-mib", "Values": ["131072"]}], {"r5.4xlarge", "r6i.4xlarge"}),
        ([{"Name": "hypervisor", "Values": ["xen"]}], {n for n in instance_types.INSTANCE_TYPES if n.startswith("t2.")}),
        ([{"Name": "free-tier-eligible", "Values": ["true"]}], {"t2.micro", "t3.micro"}),
        ([{"Name": "network-info.network-performance", "Values": ["Moderate"]}], {"t2.xlarge", "t2.2xlarge"}),
        ([{"Name": "supported-boot-mode", "Values": ["uefi"]}, {"Name": "instance-type", "Values": ["t*.nano"]}],
         {"t3.nano", "t3a.nano", "t4g.nano"}),
        ([{"Name": "processor-info.sustained-clock-speed-in-ghz", "Values": ["2.2"]}],
         {n for n in instance_types.INSTANCE_TYPES if n.startswith("t3a.")}),
    ],
)
def test_filters(ec2: Any, filters: list[dict[str, Any]], expected: set[str]) -> None:
    assert set(types_of(ec2, Filters=filters)) == expected


def test_every_filter_name_is_accepted(ec2: Any) -> None:
    (info,) = ec2.describe_instance_types(InstanceTypes=["m5.xlarge"])["InstanceTypes"]
    for name, extract in TYPE_FILTERS.fields.items():
        value = extract(info)
        values = value if isinstance(value, list) else [value]
        wire = [str(v).lower() if isinstance(v, bool) else str(v) for v in values if v is not None]
        found = ec2.describe_instance_types(
            InstanceTypes=["m5.xlarge", "t2.micro"], Filters=[{"Name": name, "Values": wire or ["none"]}]
        )["InstanceTypes"]
        assert ("m5.xlarge" in [t["InstanceType"] for t in found]) is bool(wire), name
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_types(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert code_of(exc) == "InvalidParameterValue"


def test_offerings(ec2: Any) -> None:
    region = ec2.describe_instance_type_offerings()["InstanceTypeOfferings"]
    assert {o["Location"] for o in region} == {"ap-southeast-2"}
    assert {o["InstanceType"] for o in region} == set(instance_types.INSTANCE_TYPES)
    zones = ec2.describe_instance_type_offerings(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": ["t3.small"]}])["InstanceTypeOfferings"]
    assert zones == [{"InstanceType": "t3.small", "LocationType": "availability-zone",
                      "Location": "ap-southeast-2a"}]
    by_id = ec2.describe_instance_type_offerings(
        LocationType="availability-zone-id",
        Filters=[{"Name": "location", "Values": ["*z1"]}, {"Name": "instance-type", "Values": ["m5.large"]}])
    assert [o["Location"] for o in by_id["InstanceTypeOfferings"]] == ["hivez1"]
    page = ec2.describe_instance_type_offerings(MaxResults=5)
    assert len(page["InstanceTypeOfferings"]) == 5 and page["NextToken"]
    rest = ec2.describe_instance_type_offerings(MaxResults=1000, NextToken=page["NextToken"])
    assert len(rest["InstanceTypeOfferings"]) == len(instance_types.INSTANCE_TYPES) - 5
