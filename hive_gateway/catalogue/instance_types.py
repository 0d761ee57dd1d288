"""The instance types this cloud offers: a catalogue of common families with AWS's published specs.

One table row per family gives the hypervisor, architecture, processor, burstability and
network class; one row per size gives vCPUs, memory and network limits. :func:`info` renders an
``InstanceTypeInfo`` (DescribeInstanceTypes) from them, with the values AWS publishes::

    t3.small  → 2 vCPU (1 core × 2 threads), 2048 MiB, x86_64, nitro, "Up to 5 Gigabit",
                BurstablePerformanceSupported=true, ENA required, EBS-optimized by default,
                3 interfaces × 4 IPv4 addresses, boot modes legacy-bios + uefi

Families: t2, t3, t3a, t4g (nano … 2xlarge); m5, m5a, m6i, m6a, m7i, m7a, c5, c5a, c6i, c6a,
c7i, r5, r5a, r6i, r6a, r7i (large … 4xlarge); Graviton m6g, m7g, c6g, c7g, r6g, r7g (medium …
4xlarge); and the previous generation that old modules and tutorials still name: t1.micro,
m1 (small … xlarge), m3 (medium … 2xlarge), c3, c4, m4, r4 (large … 4xlarge).
The node simulator sizes its capacity from the same vCPU/memory figures, and the gateway uses
:func:`default_credits` for the CPU credit default (``standard`` for t2, ``unlimited`` for the
later burstable families, as AWS does).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Family:
    """What every size of a family shares."""

    name: str
    hypervisor: str
    architectures: tuple[str, ...]
    manufacturer: str
    clock_ghz: float
    burstable: bool
    network: str
    """NetworkPerformance of sizes up to 4xlarge ("Up to 5 Gigabit")."""
    threads_per_core: int
    boot_modes: tuple[str, ...]
    strategies: tuple[str, ...]
    dedicated_hosts: bool
    in_transit_encryption: bool = False
    current_generation: bool = True
    virtualization: tuple[str, ...] = ("hvm",)
    ebs_optimized: str | None = None
    """``EbsOptimizedSupport``: ``default`` on nitro unless given (``supported``, ``unsupported``)."""


@dataclass(frozen=True, slots=True)
class Size:
    """What depends on the size within a family."""

    vcpus: int
    memory_mib: int
    max_enis: int
    ipv4_per_eni: int
    network: str | None = None
    """Overrides the family's network class (t2's larger sizes are "Moderate")."""


_NITRO_BOOT: Final = ("legacy-bios", "uefi")
_ALL_STRATEGIES: Final = ("cluster", "partition", "spread")
_NO_CLUSTER: Final = ("partition", "spread")
_BOTH_ARCHS: Final = ("i386", "x86_64")
_X86: Final = ("x86_64",)
_PV: Final = ("paravirtual",)
_HVM_PV: Final = ("hvm", "paravirtual")


def _current(name: str, base: str) -> Family:
    """A current family shaped like ``base`` (``m5a`` like ``m5``, on AMD processors when its
    name ends in ``a``)."""
    family = _BASE_FAMILIES[base]
    amd = name.endswith("a")
    return replace(family, name=name, manufacturer="AMD" if amd else family.manufacturer)


_BASE_FAMILIES: Final[dict[str, Family]] = {
    f.name: f
    for f in (
        Family(
            "t2",
            "xen",
            ("i386", "x86_64"),
            "Intel",
            2.3,
            True,
            "Low to Moderate",
            1,
            ("legacy-bios",),
            _NO_CLUSTER,
            False,
        ),
        Family(
            "t3",
            "nitro",
            ("x86_64",),
            "Intel",
            2.5,
            True,
            "Up to 5 Gigabit",
            2,
            _NITRO_BOOT,
            _NO_CLUSTER,
            False,
        ),
        Family(
            "t3a",
            "nitro",
            ("x86_64",),
            "AMD",
            2.2,
            True,
            "Up to 5 Gigabit",
            2,
            _NITRO_BOOT,
            _NO_CLUSTER,
            False,
        ),
        Family(
            "t4g",
            "nitro",
            ("arm64",),
            "AWS",
            2.5,
            True,
            "Up to 5 Gigabit",
            1,
            ("uefi",),
            _NO_CLUSTER,
            False,
        ),
        Family(
            "m5",
            "nitro",
            ("x86_64",),
            "Intel",
            3.1,
            False,
            "Up to 10 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
        ),
        Family(
            "m6i",
            "nitro",
            ("x86_64",),
            "Intel",
            3.5,
            False,
            "Up to 12.5 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
            True,
        ),
        Family(
            "m7i",
            "nitro",
            ("x86_64",),
            "Intel",
            3.2,
            False,
            "Up to 12.5 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
            True,
        ),
        Family(
            "c5",
            "nitro",
            ("x86_64",),
            "Intel",
            3.4,
            False,
            "Up to 10 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
        ),
        Family(
            "c6i",
            "nitro",
            ("x86_64",),
            "Intel",
            3.5,
            False,
            "Up to 12.5 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
            True,
        ),
        Family(
            "r5",
            "nitro",
            ("x86_64",),
            "Intel",
            3.1,
            False,
            "Up to 10 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
        ),
        Family(
            "r6i",
            "nitro",
            ("x86_64",),
            "Intel",
            3.5,
            False,
            "Up to 12.5 Gigabit",
            2,
            _NITRO_BOOT,
            _ALL_STRATEGIES,
            True,
            True,
        ),
    )
}

FAMILIES: Final[dict[str, Family]] = {
    **_BASE_FAMILIES,
    **{
        f.name: f
        for f in (
            *(
                _current(name, base)
                for name, base in (
                    ("m5a", "m5"),
                    ("m6a", "m6i"),
                    ("m7a", "m7i"),
                    ("c5a", "c5"),
                    ("c6a", "c6i"),
                    ("c7i", "c6i"),
                    ("r5a", "r5"),
                    ("r6a", "r6i"),
                    ("r7i", "r6i"),
                )
            ),
            *(
                Family(
                    name,
                    "nitro",
                    ("arm64",),
                    "AWS",
                    2.5 if name.endswith("6g") else 2.6,
                    False,
                    "Up to 10 Gigabit" if name.endswith("6g") else "Up to 12.5 Gigabit",
                    1,
                    ("uefi",),
                    _ALL_STRATEGIES,
                    True,
                    not name.endswith("6g"),
                )
                for name in ("m6g", "m7g", "c6g", "c7g", "r6g", "r7g")
            ),
            *(
                Family(
                    name,
                    "xen",
                    archs,
                    "Intel",
                    clock,
                    False,
                    network,
                    threads,
                    ("legacy-bios",),
                    strategies,
                    name != "t1",
                    current_generation=False,
                    virtualization=virtualization,
                    ebs_optimized=ebs,
                )
                for name, archs, clock, network, threads, strategies, virtualization, ebs in (
                    ("t1", _BOTH_ARCHS, 2.0, "Very Low", 1, (), _PV, "unsupported"),
                    ("m1", _BOTH_ARCHS, 2.0, "Moderate", 1, (), _PV, "supported"),
                    ("m3", _X86, 2.5, "Moderate", 2, _NO_CLUSTER, _HVM_PV, "supported"),
                    ("c3", _X86, 2.8, "Moderate", 2, _ALL_STRATEGIES, _HVM_PV, "supported"),
                    ("c4", _X86, 2.9, "Moderate", 2, _ALL_STRATEGIES, ("hvm",), "default"),
                    ("m4", _X86, 2.4, "Moderate", 2, _ALL_STRATEGIES, ("hvm",), "default"),
                    ("r4", _X86, 2.3, "Up to 10 Gigabit", 2, _ALL_STRATEGIES, ("hvm",), "default"),
                )
            ),
        )
    },
}

_T2: Final = {
    "nano": Size(1, 512, 2, 2),
    "micro": Size(1, 1024, 2, 2),
    "small": Size(1, 2048, 3, 4),
    "medium": Size(2, 4096, 3, 6),
    "large": Size(2, 8192, 3, 12),
    "xlarge": Size(4, 16384, 3, 15, "Moderate"),
    "2xlarge": Size(8, 32768, 3, 15, "Moderate"),
}
_T3: Final = {
    "nano": Size(2, 512, 2, 2),
    "micro": Size(2, 1024, 2, 2),
    "small": Size(2, 2048, 3, 4),
    "medium": Size(2, 4096, 3, 6),
    "large": Size(2, 8192, 3, 12),
    "xlarge": Size(4, 16384, 4, 15),
    "2xlarge": Size(8, 32768, 4, 15),
}
_GENERAL: Final = {
    "large": Size(2, 8192, 3, 10),
    "xlarge": Size(4, 16384, 4, 15),
    "2xlarge": Size(8, 32768, 4, 15),
    "4xlarge": Size(16, 65536, 8, 30),
}
_COMPUTE: Final = {
    "large": Size(2, 4096, 3, 10),
    "xlarge": Size(4, 8192, 4, 15),
    "2xlarge": Size(8, 16384, 4, 15),
    "4xlarge": Size(16, 32768, 8, 30),
}
_MEMORY: Final = {
    "large": Size(2, 16384, 3, 10),
    "xlarge": Size(4, 32768, 4, 15),
    "2xlarge": Size(8, 65536, 4, 15),
    "4xlarge": Size(16, 131072, 8, 30),
}
_T1: Final = {"micro": Size(1, 627, 2, 2)}
_M1: Final = {
    "small": Size(1, 1740, 2, 4, "Low"),
    "medium": Size(1, 3840, 2, 6),
    "large": Size(2, 7680, 3, 10),
    "xlarge": Size(4, 15360, 4, 15, "High"),
}
_M3: Final = {
    "medium": Size(1, 3840, 2, 6),
    "large": Size(2, 7680, 3, 10),
    "xlarge": Size(4, 15360, 4, 15, "High"),
    "2xlarge": Size(8, 30720, 4, 30, "High"),
}
_C3: Final = {
    "large": Size(2, 3840, 3, 10),
    "xlarge": Size(4, 7680, 4, 15),
    "2xlarge": Size(8, 15360, 4, 15, "High"),
    "4xlarge": Size(16, 30720, 8, 30, "High"),
}
_M4: Final = {
    "large": Size(2, 8192, 2, 10),
    "xlarge": Size(4, 16384, 4, 15, "High"),
    "2xlarge": Size(8, 32768, 4, 15, "High"),
    "4xlarge": Size(16, 65536, 8, 30, "High"),
}
_R4: Final = {
    "large": Size(2, 15616, 3, 10),
    "xlarge": Size(4, 31232, 4, 15),
    "2xlarge": Size(8, 62464, 4, 15),
    "4xlarge": Size(16, 124928, 8, 30),
}
_GENERAL_G: Final = {"medium": Size(1, 4096, 2, 4), **_GENERAL}
_COMPUTE_G: Final = {"medium": Size(1, 2048, 2, 4), **_COMPUTE}
_MEMORY_G: Final = {"medium": Size(1, 8192, 2, 4), **_MEMORY}
_SIZES_BY_FAMILY: Final[dict[str, dict[str, Size]]] = {
    "t2": _T2,
    "t3": _T3,
    "t3a": _T3,
    "t4g": _T3,
    "m5": _GENERAL,
    "m5a": _GENERAL,
    "m6i": _GENERAL,
    "m6a": _GENERAL,
    "m7i": _GENERAL,
    "m7a": _GENERAL,
    "m6g": _GENERAL_G,
    "m7g": _GENERAL_G,
    "c5": _COMPUTE,
    "c5a": _COMPUTE,
    "c6i": _COMPUTE,
    "c6a": _COMPUTE,
    "c7i": _COMPUTE,
    "c6g": _COMPUTE_G,
    "c7g": _COMPUTE_G,
    "r5": _MEMORY,
    "r5a": _MEMORY,
    "r6i": _MEMORY,
    "r6a": _MEMORY,
    "r7i": _MEMORY,
    "r6g": _MEMORY_G,
    "r7g": _MEMORY_G,
    "t1": _T1,
    "m1": _M1,
    "m3": _M3,
    "c3": _C3,
    "c4": _C3,
    "m4": _M4,
    "r4": _R4,
}

#: EBS-optimized throughput by size (Mbps baseline / maximum, IOPS baseline / maximum).
_EBS_BY_SIZE: Final[dict[str, tuple[int, int, int, int]]] = {
    "nano": (43, 2085, 250, 11800),
    "micro": (87, 2085, 500, 11800),
    "small": (174, 2085, 1000, 11800),
    "medium": (347, 2085, 2000, 11800),
    "large": (650, 4750, 3600, 18750),
    "xlarge": (1150, 4750, 6000, 18750),
    "2xlarge": (2300, 4750, 12000, 18750),
    "4xlarge": (4750, 4750, 18750, 18750),
}

FREE_TIER: Final = frozenset({"t2.micro", "t3.micro"})

#: Every offered instance type, in catalogue order.
INSTANCE_TYPES: Final[tuple[str, ...]] = tuple(
    f"{family}.{size}" for family, sizes in _SIZES_BY_FAMILY.items() for size in sizes
)


def split(instance_type: str) -> tuple[Family, Size] | None:
    """The family and size rows of ``instance_type`` (``None`` when not offered)."""
    family_name, _, size_name = instance_type.partition(".")
    family = FAMILIES.get(family_name)
    size = _SIZES_BY_FAMILY.get(family_name, {}).get(size_name)
    if family is None or size is None:
        return None
    return family, size


def exists(instance_type: str) -> bool:
    """Whether this cloud offers ``instance_type``."""
    return split(instance_type) is not None


def vcpus(instance_type: str) -> int:
    """Default vCPUs (0 for an unknown type)."""
    found = split(instance_type)
    return found[1].vcpus if found else 0


def memory_mib(instance_type: str) -> int:
    """Memory in MiB (0 for an unknown type)."""
    found = split(instance_type)
    return found[1].memory_mib if found else 0


def architectures(instance_type: str) -> tuple[str, ...]:
    """Supported architectures (``("x86_64",)``, ``("arm64",)``, ``("i386", "x86_64")``)."""
    found = split(instance_type)
    return found[0].architectures if found else ()


def is_burstable(instance_type: str) -> bool:
    """T-family instance types (CPU credits)."""
    found = split(instance_type)
    return bool(found and found[0].burstable)


def hypervisor(instance_type: str) -> str:
    """``xen`` (t2) or ``nitro``; the Instance shape reports ``xen`` for both, as AWS does."""
    found = split(instance_type)
    return found[0].hypervisor if found else "xen"


def default_credits(instance_type: str) -> str | None:
    """AWS's default CPU credit option: ``standard`` for t2, ``unlimited`` for t3/t3a/t4g."""
    if not is_burstable(instance_type):
        return None
    return "standard" if instance_type.startswith("t2.") else "unlimited"


def max_network_interfaces(instance_type: str) -> int:
    """Interfaces an instance of this type can have."""
    found = split(instance_type)
    return found[1].max_enis if found else 0


def info(instance_type: str) -> dict[str, Any]:
    """The ``InstanceTypeInfo`` of an offered type (``KeyError`` otherwise)."""
    found = split(instance_type)
    if found is None:
        raise KeyError(instance_type)
    family, size = found
    nitro = family.hypervisor == "nitro"
    ebs_optimized = family.ebs_optimized or ("default" if nitro else "unsupported")
    cores = max(1, size.vcpus // family.threads_per_core)
    network = size.network or family.network
    result: dict[str, Any] = {
        "InstanceType": instance_type,
        "CurrentGeneration": family.current_generation,
        "FreeTierEligible": instance_type in FREE_TIER,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": list(family.virtualization),
        "BareMetal": False,
        "Hypervisor": family.hypervisor,
        "ProcessorInfo": {
            "SupportedArchitectures": list(family.architectures),
            "SustainedClockSpeedInGhz": family.clock_ghz,
            "Manufacturer": family.manufacturer,
        },
        "VCpuInfo": {
            "DefaultVCpus": size.vcpus,
            "DefaultCores": cores,
            "DefaultThreadsPerCore": family.threads_per_core,
            "ValidCores": list(range(1, cores + 1)),
            "ValidThreadsPerCore": [1, 2] if family.threads_per_core == 2 else [1],
        },
        "MemoryInfo": {"SizeInMiB": size.memory_mib},
        "InstanceStorageSupported": False,
        "EbsInfo": {
            "EbsOptimizedSupport": ebs_optimized,
            "EncryptionSupport": "supported",
            "NvmeSupport": "required" if nitro else "unsupported",
        },
        "NetworkInfo": {
            "NetworkPerformance": network,
            "MaximumNetworkInterfaces": size.max_enis,
            "MaximumNetworkCards": 1,
            "DefaultNetworkCardIndex": 0,
            "NetworkCards": [
                {
                    "NetworkCardIndex": 0,
                    "NetworkPerformance": network,
                    "MaximumNetworkInterfaces": size.max_enis,
                }
            ],
            "Ipv4AddressesPerInterface": size.ipv4_per_eni,
            "Ipv6AddressesPerInterface": size.ipv4_per_eni,
            "Ipv6Supported": True,
            "EnaSupport": "required" if nitro else "unsupported",
            "EfaSupported": False,
            "EncryptionInTransitSupported": family.in_transit_encryption,
            "EnaSrdSupported": False,
        },
        "PlacementGroupInfo": {"SupportedStrategies": list(family.strategies)},
        "HibernationSupported": True,
        "BurstablePerformanceSupported": family.burstable,
        "DedicatedHostsSupported": family.dedicated_hosts,
        "AutoRecoverySupported": True,
        "SupportedBootModes": list(family.boot_modes),
        "NitroEnclavesSupport": "supported"
        if nitro and size.vcpus >= 4 and not family.burstable
        else "unsupported",
        "NitroTpmSupport": "supported" if nitro else "unsupported",
        "PhcSupport": "unsupported",
    }
    if ebs_optimized != "unsupported":
        base_mbps, max_mbps, base_iops, max_iops = _EBS_BY_SIZE[instance_type.split(".")[1]]
        result["EbsInfo"]["EbsOptimizedInfo"] = {
            "BaselineBandwidthInMbps": base_mbps,
            "BaselineThroughputInMBps": base_mbps / 8,
            "BaselineIops": base_iops,
            "MaximumBandwidthInMbps": max_mbps,
            "MaximumThroughputInMBps": max_mbps / 8,
            "MaximumIops": max_iops,
        }
    if nitro:
        result["NitroTpmInfo"] = {"SupportedVersions": ["2.0"]}
    return result
