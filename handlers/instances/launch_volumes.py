"""RunInstances block devices: the image's mappings overridden by the request's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.instances.plans import VolumePlan
from hive_gateway.core.errors import AwsError


def plan_volumes(
    params: Mapping[str, Any], image: Mapping[str, Any]
) -> tuple[str, list[VolumePlan]]:
    """The block devices to create: the image's mappings overridden by the request's."""
    root = str(image.get("RootDeviceName") or "/dev/xvda")
    requested = {str(m.get("DeviceName")): m for m in params.get("BlockDeviceMappings") or []}
    plans: list[VolumePlan] = []
    seen: set[str] = set()
    image_mappings = list(image.get("BlockDeviceMappings") or [])
    for mapping in image_mappings + [
        m
        for d, m in requested.items()
        if d not in {str(x.get("DeviceName")) for x in image_mappings}
    ]:
        device = str(mapping.get("DeviceName"))
        if device in seen:
            continue
        seen.add(device)
        override = requested.get(device)
        if override is not None and "NoDevice" in override:
            if device == root:
                raise AwsError(
                    "InvalidBlockDeviceMapping",
                    f"The device '{device}' is the root device and cannot be suppressed",
                )
            continue
        base = dict(mapping.get("Ebs") or {})
        change = dict((override or {}).get("Ebs") or {})
        if not base and not change:
            continue  # ephemeral (instance store) mappings are not offered
        volume_type = change.get("VolumeType") or base.get("VolumeType")
        type_changed = change.get("VolumeType") not in (None, base.get("VolumeType"))
        iops = change.get("Iops", None if type_changed else base.get("Iops"))
        throughput = change.get("Throughput", None if type_changed else base.get("Throughput"))
        if volume_type not in ("gp3", "io1", "io2"):
            iops = change.get("Iops")
        if volume_type != "gp3":
            throughput = change.get("Throughput")
        plans.append(
            VolumePlan(
                device=device,
                size=change.get("VolumeSize", base.get("VolumeSize")),
                volume_type=volume_type,
                snapshot_id=change.get("SnapshotId", base.get("SnapshotId")),
                encrypted=bool(change.get("Encrypted", base.get("Encrypted", False))),
                iops=iops,
                throughput=throughput,
                delete_on_termination=bool(
                    change.get("DeleteOnTermination", base.get("DeleteOnTermination", True))
                ),
            )
        )
    if not any(p.device == root for p in plans):
        raise AwsError("InvalidBlockDeviceMapping", f"The root device '{root}' has no volume.")
    plans.sort(key=lambda p: (p.device != root, p.device))
    return root, plans
