"""DescribeInstanceTypes and DescribeInstanceTypeOfferings."""

from __future__ import annotations

from handlers.instances.runtime import served_zones
from hive_gateway.catalogue import instance_types
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record

TYPE_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "auto-recovery-supported": lambda t: t["AutoRecoverySupported"],
        "bare-metal": lambda t: t["BareMetal"],
        "burstable-performance-supported": lambda t: t["BurstablePerformanceSupported"],
        "current-generation": lambda t: t["CurrentGeneration"],
        "dedicated-hosts-supported": lambda t: t["DedicatedHostsSupported"],
        "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("BaselineBandwidthInMbps"),
        "ebs-info.ebs-optimized-info.baseline-iops": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("BaselineIops"),
        "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("BaselineThroughputInMBps"),
        "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("MaximumBandwidthInMbps"),
        "ebs-info.ebs-optimized-info.maximum-iops": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("MaximumIops"),
        "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps": lambda t: (
            t["EbsInfo"].get("EbsOptimizedInfo") or {}
        ).get("MaximumThroughputInMBps"),
        "ebs-info.ebs-optimized-support": lambda t: t["EbsInfo"]["EbsOptimizedSupport"],
        "ebs-info.encryption-support": lambda t: t["EbsInfo"]["EncryptionSupport"],
        "ebs-info.nvme-support": lambda t: t["EbsInfo"]["NvmeSupport"],
        "free-tier-eligible": lambda t: t["FreeTierEligible"],
        "hibernation-supported": lambda t: t["HibernationSupported"],
        "hypervisor": lambda t: t["Hypervisor"],
        "instance-storage-supported": lambda t: t["InstanceStorageSupported"],
        "instance-type": lambda t: t["InstanceType"],
        "memory-info.size-in-mib": lambda t: t["MemoryInfo"]["SizeInMiB"],
        "network-info.bandwidth-weightings": lambda t: None,
        "network-info.efa-supported": lambda t: t["NetworkInfo"]["EfaSupported"],
        "network-info.ena-support": lambda t: t["NetworkInfo"]["EnaSupport"],
        "network-info.encryption-in-transit-supported": lambda t: t["NetworkInfo"][
            "EncryptionInTransitSupported"
        ],
        "network-info.ipv4-addresses-per-interface": lambda t: t["NetworkInfo"][
            "Ipv4AddressesPerInterface"
        ],
        "network-info.ipv6-addresses-per-interface": lambda t: t["NetworkInfo"][
            "Ipv6AddressesPerInterface"
        ],
        "network-info.ipv6-supported": lambda t: t["NetworkInfo"]["Ipv6Supported"],
        "network-info.maximum-network-cards": lambda t: t["NetworkInfo"]["MaximumNetworkCards"],
        "network-info.maximum-network-interfaces": lambda t: t["NetworkInfo"][
            "MaximumNetworkInterfaces"
        ],
        "network-info.network-performance": lambda t: t["NetworkInfo"]["NetworkPerformance"],
        "nitro-enclaves-support": lambda t: t["NitroEnclavesSupport"],
        "nitro-tpm-support": lambda t: t["NitroTpmSupport"],
        "nitro-tpm-info.supported-versions": lambda t: (t.get("NitroTpmInfo") or {}).get(
            "SupportedVersions"
        ),
        "phc-support": lambda t: t["PhcSupport"],
        "placement-group-info.supported-strategies": lambda t: t["PlacementGroupInfo"][
            "SupportedStrategies"
        ],
        "processor-info.supported-architecture": lambda t: t["ProcessorInfo"][
            "SupportedArchitectures"
        ],
        "processor-info.sustained-clock-speed-in-ghz": lambda t: t["ProcessorInfo"][
            "SustainedClockSpeedInGhz"
        ],
        "processor-info.manufacturer": lambda t: t["ProcessorInfo"].get("Manufacturer"),
        "supported-boot-mode": lambda t: t["SupportedBootModes"],
        "supported-root-device-type": lambda t: t["SupportedRootDeviceTypes"],
        "supported-usage-class": lambda t: t["SupportedUsageClasses"],
        "supported-virtualization-type": lambda t: t["SupportedVirtualizationTypes"],
        "vcpu-info.default-cores": lambda t: t["VCpuInfo"]["DefaultCores"],
        "vcpu-info.default-threads-per-core": lambda t: t["VCpuInfo"]["DefaultThreadsPerCore"],
        "vcpu-info.default-vcpus": lambda t: t["VCpuInfo"]["DefaultVCpus"],
        "vcpu-info.valid-cores": lambda t: t["VCpuInfo"]["ValidCores"],
        "vcpu-info.valid-threads-per-core": lambda t: t["VCpuInfo"]["ValidThreadsPerCore"],
    },
)


@action("DescribeInstanceTypes")
async def describe_instance_types(ctx: RequestContext, params: Params) -> Result:
    """The catalogue (:mod:`hive_gateway.catalogue.instance_types`); unknown names → ``InvalidInstanceType``."""
    wanted = list(params.get("InstanceTypes") or [])
    unknown = [t for t in wanted if not instance_types.exists(t)]
    if unknown:
        raise AwsError(
            "InvalidInstanceType",
            f"The following supplied instance types do not exist: [{', '.join(unknown)}]",
        )
    names = list(dict.fromkeys(wanted)) if wanted else list(instance_types.INSTANCE_TYPES)
    items = [instance_types.info(name) for name in names]
    items = apply_filters(TYPE_FILTERS, params.get("Filters"), items)
    page = paginate(items, params, key=lambda t: str(t["InstanceType"]))
    return {"InstanceTypes": page.items, **page.token_member()}


OFFERING_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "instance-type": lambda o: o["InstanceType"],
        "location": lambda o: o["Location"],
    },
)


@action("DescribeInstanceTypeOfferings")
async def describe_instance_type_offerings(ctx: RequestContext, params: Params) -> Result:
    """Every catalogue type in the region or in each served zone (``LocationType``)."""
    location_type = params.get("LocationType") or "region"
    if location_type == "region":
        locations = [ctx.region]
    elif location_type == "availability-zone":
        locations = [z["ZoneName"] for z in served_zones(ctx)]
    elif location_type == "availability-zone-id":
        locations = [z["ZoneId"] for z in served_zones(ctx)]
    else:
        raise invalid_parameter_value(
            f"Value ({location_type}) for parameter locationType is invalid."
        )
    items = [
        {"InstanceType": name, "LocationType": location_type, "Location": location}
        for name in instance_types.INSTANCE_TYPES
        for location in locations
    ]
    items = apply_filters(OFFERING_FILTERS, params.get("Filters"), items)
    page = paginate(items, params, key=lambda o: f"{o['InstanceType']}|{o['Location']}")
    return {"InstanceTypeOfferings": page.items, **page.token_member()}
