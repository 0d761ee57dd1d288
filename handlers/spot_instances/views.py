"""Spot instance requests in the ``SpotInstanceRequest`` shape, liveness and filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record, live
from hive_gateway.core.tagging import api_tags, record_tags
from hive_gateway.core.zones import zone_ids

ENDED: Final = frozenset({"cancelled", "closed", "failed"})
MESSAGES: Final = {
    "fulfilled": "Your spot request is fulfilled.",
    "pending-evaluation": "Your Spot request has been submitted for review, and is pending "
    "evaluation.",
    "price-too-low": "Your Spot request price is lower than the minimum required Spot request "
    "fulfillment price.",
    "not-scheduled-yet": "Your Spot request will not be evaluated until the scheduled date.",
    "capacity-not-available": "There is no capacity available that matches your request.",
    "request-canceled-and-instance-running": "Spot Instance Request canceled and "
    "Spot Instance is still running.",
    "canceled-before-fulfillment": "Your Spot request was canceled before it was fulfilled.",
    "instance-terminated-by-user": "Spot Instance terminated by user.",
}


@live("spot-instance-request")
def _visible(ctx: RequestContext, record: Record, now: datetime) -> bool:
    if record["state"] not in ENDED:
        return True
    since = clock.parse_time(str(record.get("status_updated_at") or record["created_at"]))
    return now - since < clock.seconds(ctx, "spot-request-retention")


def status(record: Record, code: str, now: str | None = None) -> Record:
    """``record`` with status ``code`` (its message and update time)."""
    return {
        **record,
        "status_code": code,
        "status_message": MESSAGES.get(code, code),
        "status_updated_at": now or clock.utc_now(),
    }


def request_to_api(ctx: RequestContext, record: Record) -> Record:
    """A request record as a ``SpotInstanceRequest``."""
    out: Record = {
        "SpotInstanceRequestId": record["spot_instance_request_id"],
        "SpotPrice": record.get("spot_price") or "",
        "Type": record["type"],
        "State": record["state"],
        "Status": {
            "Code": record["status_code"],
            "Message": record.get("status_message") or MESSAGES.get(record["status_code"], ""),
            "UpdateTime": clock.parse_time(
                str(record.get("status_updated_at") or record["created_at"])
            ),
        },
        "LaunchSpecification": dict(record["launch_specification"]),
        "CreateTime": clock.parse_time(str(record["created_at"])),
        "ProductDescription": "Linux/UNIX",
        "Tags": api_tags(record_tags(record)),
        "InstanceInterruptionBehavior": record.get("instance_interruption_behavior") or "terminate",
    }
    if record.get("instance_id"):
        out["InstanceId"] = record["instance_id"]
    zone = record.get("availability_zone")
    if zone and record.get("instance_id"):
        out["LaunchedAvailabilityZone"] = zone
        out["LaunchedAvailabilityZoneId"] = zone_ids(ctx).get(str(zone), "")
    for field, member in (("valid_from", "ValidFrom"), ("valid_until", "ValidUntil")):
        if record.get(field):
            out[member] = clock.parse_time(str(record[field]))
    for field, member in (
        ("launch_group", "LaunchGroup"),
        ("availability_zone_group", "AvailabilityZoneGroup"),
    ):
        if record.get(field):
            out[member] = record[field]
    return out


def _spec(r: Record, member: str) -> Any:
    return (r.get("LaunchSpecification") or {}).get(member)


def _time(r: Record, member: str) -> str | None:
    value = r.get(member)
    return clock.filter_time(value) if isinstance(value, datetime) else None


SPOT_REQUEST_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "availability-zone-group": lambda r: r.get("AvailabilityZoneGroup"),
        "create-time": lambda r: _time(r, "CreateTime"),
        "fault-code": lambda r: (r.get("Fault") or {}).get("Code"),
        "fault-message": lambda r: (r.get("Fault") or {}).get("Message"),
        "instance-id": lambda r: r.get("InstanceId"),
        "launch-group": lambda r: r.get("LaunchGroup"),
        "launch.block-device-mapping.delete-on-termination": lambda r: [
            (m.get("Ebs") or {}).get("DeleteOnTermination")
            for m in _spec(r, "BlockDeviceMappings") or []
        ],
        "launch.block-device-mapping.device-name": lambda r: [
            m.get("DeviceName") for m in _spec(r, "BlockDeviceMappings") or []
        ],
        "launch.block-device-mapping.snapshot-id": lambda r: [
            (m.get("Ebs") or {}).get("SnapshotId") for m in _spec(r, "BlockDeviceMappings") or []
        ],
        "launch.block-device-mapping.volume-size": lambda r: [
            (m.get("Ebs") or {}).get("VolumeSize") for m in _spec(r, "BlockDeviceMappings") or []
        ],
        "launch.block-device-mapping.volume-type": lambda r: [
            (m.get("Ebs") or {}).get("VolumeType") for m in _spec(r, "BlockDeviceMappings") or []
        ],
        "launch.group-id": lambda r: [g.get("GroupId") for g in _spec(r, "SecurityGroups") or []],
        "launch.group-name": lambda r: [
            g.get("GroupName") for g in _spec(r, "SecurityGroups") or []
        ],
        "launch.image-id": lambda r: _spec(r, "ImageId"),
        "launch.instance-type": lambda r: _spec(r, "InstanceType"),
        "launch.kernel-id": lambda r: _spec(r, "KernelId"),
        "launch.key-name": lambda r: _spec(r, "KeyName"),
        "launch.monitoring-enabled": lambda r: (_spec(r, "Monitoring") or {}).get("Enabled"),
        "launch.ramdisk-id": lambda r: _spec(r, "RamdiskId"),
        "launched-availability-zone": lambda r: r.get("LaunchedAvailabilityZone"),
        "network-interface.addresses.primary": lambda r: None,
        "network-interface.delete-on-termination": lambda r: [
            n.get("DeleteOnTermination") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "network-interface.description": lambda r: [
            n.get("Description") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "network-interface.device-index": lambda r: [
            n.get("DeviceIndex") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "network-interface.group-id": lambda r: [
            g for n in _spec(r, "NetworkInterfaces") or [] for g in n.get("Groups") or []
        ],
        "network-interface.network-interface-id": lambda r: [
            n.get("NetworkInterfaceId") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "network-interface.private-ip-address": lambda r: [
            n.get("PrivateIpAddress") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "network-interface.subnet-id": lambda r: [
            n.get("SubnetId") for n in _spec(r, "NetworkInterfaces") or []
        ],
        "product-description": lambda r: r["ProductDescription"],
        "spot-instance-request-id": lambda r: r["SpotInstanceRequestId"],
        "spot-price": lambda r: r["SpotPrice"],
        "state": lambda r: r["State"],
        "status-code": lambda r: r["Status"]["Code"],
        "status-message": lambda r: r["Status"]["Message"],
        "type": lambda r: r["Type"],
        "valid-from": lambda r: _time(r, "ValidFrom"),
        "valid-until": lambda r: _time(r, "ValidUntil"),
    },
    tags=lambda r: {tag["Key"]: tag["Value"] for tag in r.get("Tags", [])},
    indexes={
        "instance-id": "instance_id",
        "spot-instance-request-id": "spot_instance_request_id",
        "state": "state",
        "status-code": "status_code",
        "type": "type",
    },
)
