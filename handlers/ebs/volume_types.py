"""EBS volume types: size bounds, default and allowed IOPS and throughput, multi-attach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hive_gateway.core.errors import (
    invalid_parameter_combination,
    invalid_parameter_value,
)

# --- volume types -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolumeTypeSpec:
    """What AWS allows for one volume type (CreateVolume/ModifyVolume documentation)."""

    min_size: int
    max_size: int
    iops: tuple[int, int] | None = None
    """Provisionable IOPS range; ``None``: the type takes no ``Iops``."""
    iops_required: bool = False
    default_iops: int | None = None
    max_iops_per_gib: int | None = None
    throughput: tuple[int, int] | None = None
    default_throughput: int | None = None
    multi_attach: bool = False


VOLUME_TYPES: Final[dict[str, VolumeTypeSpec]] = {
    "gp2": VolumeTypeSpec(1, 16384),
    "gp3": VolumeTypeSpec(
        1,
        65536,
        iops=(3000, 80000),
        default_iops=3000,
        max_iops_per_gib=500,
        throughput=(125, 2000),
        default_throughput=125,
    ),
    "io1": VolumeTypeSpec(
        4, 16384, iops=(100, 64000), iops_required=True, max_iops_per_gib=50, multi_attach=True
    ),
    "io2": VolumeTypeSpec(
        4, 65536, iops=(100, 256000), iops_required=True, max_iops_per_gib=1000, multi_attach=True
    ),
    "st1": VolumeTypeSpec(125, 16384),
    "sc1": VolumeTypeSpec(125, 16384),
    "standard": VolumeTypeSpec(1, 1024),
}


DEFAULT_VOLUME_TYPE: Final = "gp2"


MAX_THROUGHPUT_PER_IOPS: Final = 0.25


def gp2_iops(size: int) -> int:
    """gp2's baseline IOPS: 3 per GiB, at least 100, at most 16000."""
    return min(max(3 * size, 100), 16000)


def check_size(volume_type: str, size: int) -> None:
    """AWS's size bounds for ``volume_type``."""
    spec = VOLUME_TYPES[volume_type]
    if size < spec.min_size:
        raise invalid_parameter_value(
            f"Volume of {size}GiB is too small; minimum is {spec.min_size}GiB."
        )
    if size > spec.max_size:
        raise invalid_parameter_value(
            f"Volume of {size}GiB is too large; maximum is {spec.max_size}GiB."
        )


def resolve_performance(
    volume_type: str, size: int, iops: int | None, throughput: int | None
) -> tuple[int | None, int | None]:
    """Validate ``Iops``/``Throughput`` for the type and fill AWS's defaults; returns both."""
    spec = VOLUME_TYPES[volume_type]
    if iops is not None and spec.iops is None:
        raise invalid_parameter_combination(
            f"The parameter iops is not supported for {volume_type} volumes."
        )
    if throughput is not None and spec.throughput is None:
        raise invalid_parameter_combination(
            f"The parameter throughput is not supported for {volume_type} volumes."
        )
    if spec.iops is not None:
        if iops is None:
            if spec.iops_required:
                raise invalid_parameter_combination(
                    f"The parameter iops must be specified for {volume_type} volumes."
                )
            iops = spec.default_iops
        assert iops is not None
        low, high = spec.iops
        if iops < low:
            raise invalid_parameter_value(f"Volume iops of {iops} is too low; minimum is {low}.")
        if iops > high:
            raise invalid_parameter_value(f"Volume iops of {iops} is too high; maximum is {high}.")
        ratio_cap = spec.max_iops_per_gib
        if ratio_cap is not None and iops > (spec.default_iops or 0) and iops > ratio_cap * size:
            raise invalid_parameter_value(
                f"Iops to volume size ratio of {iops / size:.6f} is too high; "
                f"maximum is {ratio_cap:.6f}"
            )
    if spec.throughput is not None:
        if throughput is None:
            throughput = spec.default_throughput
        assert throughput is not None
        low, high = spec.throughput
        if throughput < low:
            raise invalid_parameter_value(
                f"Throughput of {throughput}MiB/s is too low; minimum is {low}MiB/s."
            )
        if throughput > high:
            raise invalid_parameter_value(
                f"Throughput of {throughput}MiB/s is too high; maximum is {high}MiB/s."
            )
        if throughput > low and iops and throughput > iops * MAX_THROUGHPUT_PER_IOPS:
            raise invalid_parameter_value(
                f"Throughput (MiBps) to iops ratio of {throughput / iops:.6f} is too high; "
                f"maximum is {MAX_THROUGHPUT_PER_IOPS:.6f} MiBps per iops."
            )
    return iops, throughput


def check_multi_attach(volume_type: str, enabled: bool) -> None:
    """Multi-Attach exists only for Provisioned IOPS volumes."""
    if enabled and not VOLUME_TYPES[volume_type].multi_attach:
        raise invalid_parameter_combination(
            f"The parameter multiAttachEnabled is not supported for {volume_type} volumes."
        )
