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
    for family in ("m5a", "m6a", "m7a", "c5a", "c6a", "c7i", "r5a", "r6a", "r7i", "m4", "c4", "r4"):
        for size in ("large", "xlarge", "2xlarge", "4xlarge"):
            assert instance_types.exists(f"{family}.{size}")
    for family in ("m6g", "m7g", "c6g", "c7g", "r6g", "r7g"):
        for size in ("medium", "large", "xlarge", "2xlarge", "4xlarge"):
            assert instance_types.exists(f"{family}.{size}")
    previous = ("t1.micro", "m1.small", "m1.medium", "m1.large", "m1.xlarge", "m3.medium",
                "m3.large", "m3.xlarge", "m3.2xlarge", "c3.large", "c3.4xlarge")
    assert all(instance_types.exists(name) for name in previous)
    assert len(instance_types.INSTANCE_TYPES) == 4 * 7 + 7 * 4 + 12 * 4 + 6 * 5 + 1 + 4 + 4 + 4
    assert len(set(instance_types.INSTANCE_TYPES)) == len(instance_types.INSTANCE_TYPES)
    assert not instance_types.exists("t3.huge") and not instance_types.exists("x9.large")


@pytest.mark.parametrize(
    ("name", "vcpus", "memory", "virtualization", "ebs", "maker"),
    [
        ("t1.micro", 1, 627, ["paravirtual"], "unsupported", "Intel"),
        ("m1.small", 1, 1740, ["paravirtual"], "supported", "Intel"),
        ("m1.medium", 1, 3840, ["paravirtual"], "supported", "Intel"),
        ("m1.large", 2, 7680, ["paravirtual"], "supported", "Intel"),
        ("m3.medium", 1, 3840, ["hvm", "paravirtual"], "supported", "Intel"),
        ("m3.large", 2, 7680, ["hvm", "paravirtual"], "supported", "Intel"),
        ("c3.large", 2, 3840, ["hvm", "paravirtual"], "supported", "Intel"),
        ("c4.large", 2, 3840, ["hvm"], "default", "Intel"),
        ("m4.large", 2, 8192, ["hvm"], "default", "Intel"),
        ("r4.large", 2, 15616, ["hvm"], "default", "Intel"),
    ],
)
def test_previous_generation_types(ec2: Any, name: str, vcpus: int, memory: int,
                                   virtualization: list[str], ebs: str, maker: str) -> None:
    """Old modules and tutorials name them: AWS's published specs, ``CurrentGeneration`` false."""
    (info,) = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"]
    assert info["CurrentGeneration"] is False
    assert info["Hypervisor"] == "xen"
    assert (info["VCpuInfo"]["DefaultVCpus"], info["MemoryInfo"]["SizeInMiB"]) == (vcpus, memory)
    assert info["SupportedVirtualizationTypes"] == virtualization
    assert info["EbsInfo"]["EbsOptimizedSupport"] == ebs
    assert ("EbsOptimizedInfo" in info["EbsInfo"]) is (ebs != "unsupported")
    assert info["ProcessorInfo"]["Manufacturer"] == maker
    assert info["BurstablePerformanceSupported"] is False
    current = ec2.describe_instance_types(
        InstanceTypes=[name, "t3.micro"], Filters=[{"Name": "current-generation", "Values": ["false"]}]
    )["InstanceTypes"]
    assert [t["InstanceType"] for t in current] == [name]


@pytest.mark.parametrize(
    ("name", "vcpus", "memory", "arch", "maker"),
    [("m5a.large", 2, 8192, ["x86_64"], "AMD"), ("m6g.medium", 1, 4096, ["arm64"], "AWS"),
     ("c7g.large", 2, 4096, ["arm64"], "AWS"), ("r6g.medium", 1, 8192, ["arm64"], "AWS"),
     ("c7i.xlarge", 4, 8192, ["x86_64"], "Intel"), ("r6a.2xlarge", 8, 65536, ["x86_64"], "AMD")],
)
def test_current_families_modules_default_to(ec2: Any, name: str, vcpus: int, memory: int,
                                              arch: list[str], maker: str) -> None:
    (info,) = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"]
    assert info["CurrentGeneration"] is True and info["Hypervisor"] == "nitro"
    assert (info["VCpuInfo"]["DefaultVCpus"], info["MemoryInfo"]["SizeInMiB"]) == (vcpus, memory)
    assert info["ProcessorInfo"]["SupportedArchitectures"] == arch
    assert info["ProcessorInfo"]["Manufacturer"] == maker


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
         {n for n in instance_types.INSTANCE_TYPES
          if n.split(".")[0] in ("t4g", "m6g", "m7g", "c6g", "c7g", "r6g", "r7g")}),
        ([{"Name": "burstable-performance-supported", "Values": ["true"]},
          {"Name": "vcpu-info.default-vcpus", "Values": ["8"]}],
         {"t2.2xlarge", "t3.2xlarge", "t3a.2xlarge", "t4g.2xlarge"}),
        ([{"Name": "memory-info.size-in-mib", "Values": ["131072"]}],
         {f"{f}.4xlarge" for f in ("r5", "r5a", "r6i", "r6a", "r7i", "r6g", "r7g")}),
        ([{"Name": "hypervisor", "Values": ["xen"]}],
         {n for n in instance_types.INSTANCE_TYPES
          if n.split(".")[0] in ("t1", "t2", "m1", "m3", "c3", "c4", "m4", "r4")}),
        ([{"Name": "free-tier-eligible", "Values": ["true"]}], {"t2.micro", "t3.micro"}),
        ([{"Name": "network-info.network-performance", "Values": ["Moderate"]}],
         {"t2.xlarge", "t2.2xlarge", "m1.medium", "m1.large", "m3.medium", "m3.large", "c3.large",
          "c3.xlarge", "c4.large", "c4.xlarge", "m4.large"}),
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
                      "Location": f"ap-southeast-2{letter}"} for letter in "abc"]
    by_id = ec2.describe_instance_type_offerings(
        LocationType="availability-zone-id",
        Filters=[{"Name": "location", "Values": ["*az1"]}, {"Name": "instance-type", "Values": ["m5.large"]}])
    assert [o["Location"] for o in by_id["InstanceTypeOfferings"]] == ["apse2-az1"]
    every_zone = ec2.describe_instance_type_offerings(
        LocationType="availability-zone-id",
        Filters=[{"Name": "instance-type", "Values": ["t1.micro", "m3.medium"]}])
    assert sorted((o["InstanceType"], o["Location"]) for o in every_zone["InstanceTypeOfferings"]) == [
        (t, f"apse2-az{i}") for t in ("m3.medium", "t1.micro") for i in (1, 2, 3)]
    with pytest.raises(ClientError) as bad:
        ec2.describe_instance_type_offerings(LocationType="outpost")
    assert code_of(bad) in ("InvalidParameterValue", "ValidationError")
    page = ec2.describe_instance_type_offerings(MaxResults=5)
    assert len(page["InstanceTypeOfferings"]) == 5 and page["NextToken"]
    rest = ec2.describe_instance_type_offerings(MaxResults=1000, NextToken=page["NextToken"])
    assert len(rest["InstanceTypeOfferings"]) == len(instance_types.INSTANCE_TYPES) - 5
