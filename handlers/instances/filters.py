"""Filters of DescribeInstances and DescribeInstanceStatus."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.clock import format_timestamp
from hive_gateway.core.kinds import Record


@dataclass(frozen=True, slots=True)
class Row:
    """One instance and its reservation, what DescribeInstances filters see."""

    reservation: Record
    instance: Record


def _i(*path: str) -> Callable[[Row], Any]:
    def extract(row: Row) -> Any:
        value: Any = row.instance
        for key in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        return value

    return extract


def _each(collection: str, *path: str) -> Callable[[Row], Any]:
    def extract(row: Row) -> Any:
        out = []
        for item in row.instance.get(collection) or []:
            value: Any = item
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if isinstance(value, list):
                out.extend(value)
            elif value is not None:
                out.append(value)
        return out

    return extract


def _eni_addresses(*path: str) -> Callable[[Row], Any]:
    def extract(row: Row) -> Any:
        out = []
        for eni in row.instance.get("NetworkInterfaces") or []:
            for address in eni.get("PrivateIpAddresses") or []:
                value: Any = address
                for key in path:
                    value = value.get(key) if isinstance(value, Mapping) else None
                if value is not None:
                    out.append(value)
        return out

    return extract


def _ts(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _ts_of(extract: Callable[[Row], Any]) -> Callable[[Row], Any]:
    def wrapped(row: Row) -> Any:
        value = extract(row)
        if isinstance(value, list):
            return [_ts(v) for v in value]
        return _ts(value)

    return wrapped


INSTANCE_FILTERS: FilterSpec[Row] = FilterSpec(
    fields={
        "affinity": _i("Placement", "Affinity"),
        "architecture": _i("Architecture"),
        "availability-zone": _i("Placement", "AvailabilityZone"),
        "availability-zone-id": _i("Placement", "AvailabilityZoneId"),
        "block-device-mapping.attach-time": _ts_of(
            _each("BlockDeviceMappings", "Ebs", "AttachTime")
        ),
        "block-device-mapping.delete-on-termination": _each(
            "BlockDeviceMappings", "Ebs", "DeleteOnTermination"
        ),
        "block-device-mapping.device-name": _each("BlockDeviceMappings", "DeviceName"),
        "block-device-mapping.status": _each("BlockDeviceMappings", "Ebs", "Status"),
        "block-device-mapping.volume-id": _each("BlockDeviceMappings", "Ebs", "VolumeId"),
        "boot-mode": _i("BootMode"),
        "capacity-reservation-id": _i("CapacityReservationId"),
        "capacity-reservation-specification.capacity-reservation-preference": _i(
            "CapacityReservationSpecification", "CapacityReservationPreference"
        ),
        "client-token": _i("ClientToken"),
        "current-instance-boot-mode": _i("CurrentInstanceBootMode"),
        "dns-name": _i("PublicDnsName"),
        "ebs-optimized": _i("EbsOptimized"),
        "ena-support": _i("EnaSupport"),
        "enclave-options.enabled": _i("EnclaveOptions", "Enabled"),
        "hibernation-options.configured": _i("HibernationOptions", "Configured"),
        "host-id": _i("Placement", "HostId"),
        "hypervisor": _i("Hypervisor"),
        "iam-instance-profile.arn": _i("IamInstanceProfile", "Arn"),
        "iam-instance-profile.id": _i("IamInstanceProfile", "Id"),
        "image-id": _i("ImageId"),
        "instance-id": _i("InstanceId"),
        "instance-lifecycle": _i("InstanceLifecycle"),
        "instance-state-code": _i("State", "Code"),
        "instance-state-name": _i("State", "Name"),
        "instance-type": _i("InstanceType"),
        "instance.group-id": _each("SecurityGroups", "GroupId"),
        "instance.group-name": _each("SecurityGroups", "GroupName"),
        "group-id": _each("SecurityGroups", "GroupId"),
        "group-name": _each("SecurityGroups", "GroupName"),
        "ip-address": _i("PublicIpAddress"),
        "ipv6-address": _each("NetworkInterfaces", "Ipv6Addresses", "Ipv6Address"),
        "kernel-id": _i("KernelId"),
        "key-name": _i("KeyName"),
        "launch-index": _i("AmiLaunchIndex"),
        "launch-time": _ts_of(_i("LaunchTime")),
        "maintenance-options.auto-recovery": _i("MaintenanceOptions", "AutoRecovery"),
        "metadata-options.http-endpoint": _i("MetadataOptions", "HttpEndpoint"),
        "metadata-options.http-protocol-ipv4": lambda row: "enabled",
        "metadata-options.http-protocol-ipv6": _i("MetadataOptions", "HttpProtocolIpv6"),
        "metadata-options.http-put-response-hop-limit": _i(
            "MetadataOptions", "HttpPutResponseHopLimit"
        ),
        "metadata-options.http-tokens": _i("MetadataOptions", "HttpTokens"),
        "metadata-options.instance-metadata-tags": _i("MetadataOptions", "InstanceMetadataTags"),
        "monitoring-state": _i("Monitoring", "State"),
        "network-interface.addresses.association.ip-owner-id": _eni_addresses(
            "Association", "IpOwnerId"
        ),
        "network-interface.addresses.association.public-ip": _eni_addresses(
            "Association", "PublicIp"
        ),
        "network-interface.addresses.primary": _eni_addresses("Primary"),
        "network-interface.addresses.private-dns-name": _eni_addresses("PrivateDnsName"),
        "network-interface.addresses.private-ip-address": _eni_addresses("PrivateIpAddress"),
        "network-interface.association.ip-owner-id": _each(
            "NetworkInterfaces", "Association", "IpOwnerId"
        ),
        "network-interface.association.public-dns-name": _each(
            "NetworkInterfaces", "Association", "PublicDnsName"
        ),
        "network-interface.association.public-ip": _each(
            "NetworkInterfaces", "Association", "PublicIp"
        ),
        "network-interface.attachment.attach-time": _ts_of(
            _each("NetworkInterfaces", "Attachment", "AttachTime")
        ),
        "network-interface.attachment.attachment-id": _each(
            "NetworkInterfaces", "Attachment", "AttachmentId"
        ),
        "network-interface.attachment.delete-on-termination": _each(
            "NetworkInterfaces", "Attachment", "DeleteOnTermination"
        ),
        "network-interface.attachment.device-index": _each(
            "NetworkInterfaces", "Attachment", "DeviceIndex"
        ),
        "network-interface.attachment.instance-id": lambda row: (
            [row.instance["InstanceId"]] * len(row.instance.get("NetworkInterfaces") or [])
        ),
        "network-interface.attachment.instance-owner-id": lambda row: (
            [row.reservation["OwnerId"]] * len(row.instance.get("NetworkInterfaces") or [])
        ),
        "network-interface.attachment.network-card-index": _each(
            "NetworkInterfaces", "Attachment", "NetworkCardIndex"
        ),
        "network-interface.attachment.status": _each("NetworkInterfaces", "Attachment", "Status"),
        "network-interface.availability-zone": lambda row: (
            [row.instance["Placement"]["AvailabilityZone"]]
            * len(row.instance.get("NetworkInterfaces") or [])
        ),
        "network-interface.description": _each("NetworkInterfaces", "Description"),
        "network-interface.group-id": _each("NetworkInterfaces", "Groups", "GroupId"),
        "network-interface.group-name": _each("NetworkInterfaces", "Groups", "GroupName"),
        "network-interface.interface-type": _each("NetworkInterfaces", "InterfaceType"),
        "network-interface.ipv6-address": _each(
            "NetworkInterfaces", "Ipv6Addresses", "Ipv6Address"
        ),
        "network-interface.mac-address": _each("NetworkInterfaces", "MacAddress"),
        "network-interface.network-interface-id": _each("NetworkInterfaces", "NetworkInterfaceId"),
        "network-interface.owner-id": _each("NetworkInterfaces", "OwnerId"),
        "network-interface.private-dns-name": _each("NetworkInterfaces", "PrivateDnsName"),
        "network-interface.private-ip-address": _each("NetworkInterfaces", "PrivateIpAddress"),
        "network-interface.requester-managed": lambda row: (
            [False] * len(row.instance.get("NetworkInterfaces") or [])
        ),
        "network-interface.source-dest-check": _each("NetworkInterfaces", "SourceDestCheck"),
        "network-interface.status": _each("NetworkInterfaces", "Status"),
        "network-interface.subnet-id": _each("NetworkInterfaces", "SubnetId"),
        "network-interface.vpc-id": _each("NetworkInterfaces", "VpcId"),
        "outpost-arn": _i("OutpostArn"),
        "owner-id": lambda row: row.reservation["OwnerId"],
        "placement-group-name": lambda row: row.instance["Placement"].get("GroupName") or None,
        "placement-partition-number": _i("Placement", "PartitionNumber"),
        "platform": _i("Platform"),
        "platform-details": _i("PlatformDetails"),
        "private-dns-name": _i("PrivateDnsName"),
        "private-dns-name-options.enable-resource-name-dns-a-record": _i(
            "PrivateDnsNameOptions", "EnableResourceNameDnsARecord"
        ),
        "private-dns-name-options.enable-resource-name-dns-aaaa-record": _i(
            "PrivateDnsNameOptions", "EnableResourceNameDnsAAAARecord"
        ),
        "private-dns-name-options.hostname-type": _i("PrivateDnsNameOptions", "HostnameType"),
        "private-ip-address": _i("PrivateIpAddress"),
        "product-code": _each("ProductCodes", "ProductCodeId"),
        "product-code.type": _each("ProductCodes", "ProductCodeType"),
        "ramdisk-id": _i("RamdiskId"),
        "reason": _i("StateTransitionReason"),
        "requester-id": lambda row: row.reservation.get("RequesterId"),
        "reservation-id": lambda row: row.reservation["ReservationId"],
        "root-device-name": _i("RootDeviceName"),
        "root-device-type": _i("RootDeviceType"),
        "source-dest-check": _i("SourceDestCheck"),
        "spot-instance-request-id": _i("SpotInstanceRequestId"),
        "state-reason-code": _i("StateReason", "Code"),
        "state-reason-message": _i("StateReason", "Message"),
        "subnet-id": _i("SubnetId"),
        "tenancy": _i("Placement", "Tenancy"),
        "tpm-support": _i("TpmSupport"),
        "usage-operation": _i("UsageOperation"),
        "usage-operation-update-time": _ts_of(_i("UsageOperationUpdateTime")),
        "virtualization-type": _i("VirtualizationType"),
        "vpc-id": _i("VpcId"),
    },
    tags=lambda row: {t["Key"]: t["Value"] for t in row.instance.get("Tags") or []},
    # Fields the API form takes from the record itself; ``instance-state-name`` follows the
    # daemons, security groups the primary interface, so those have no index.
    indexes={
        "client-token": "client_token",
        "image-id": "image_id",
        "instance-id": "instance_id",
        "key-name": "key_name",
        "placement-group-name": "placement_group",
        "reservation-id": "reservation_id",
        "subnet-id": "subnet_id",
        "vpc-id": "vpc_id",
    },
    aliases={
        "instance-state": "instance-state-name",
        "instanceId": "instance-id",
        "availabilityZone": "availability-zone",
        "vpcId": "vpc-id",
        "subnetId": "subnet-id",
        "privateIpAddress": "private-ip-address",
        "ipAddress": "ip-address",
        "keyName": "key-name",
        "imageId": "image-id",
        "instanceType": "instance-type",
    },
)


STATUS_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "availability-zone": lambda s: s["AvailabilityZone"],
        "event.code": lambda s: [e.get("Code") for e in s["Events"]],
        "event.description": lambda s: [e.get("Description") for e in s["Events"]],
        "event.instance-event-id": lambda s: [e.get("InstanceEventId") for e in s["Events"]],
        "event.not-after": lambda s: [_ts(e.get("NotAfter")) for e in s["Events"]],
        "event.not-before": lambda s: [_ts(e.get("NotBefore")) for e in s["Events"]],
        "event.not-before-deadline": lambda s: [
            _ts(e.get("NotBeforeDeadline")) for e in s["Events"]
        ],
        "instance-state-code": lambda s: s["InstanceState"]["Code"],
        "instance-state-name": lambda s: s["InstanceState"]["Name"],
        "instance-status.reachability": lambda s: [
            d["Status"] for d in s["InstanceStatus"].get("Details", [])
        ],
        "instance-status.status": lambda s: s["InstanceStatus"]["Status"],
        "system-status.reachability": lambda s: [
            d["Status"] for d in s["SystemStatus"].get("Details", [])
        ],
        "system-status.status": lambda s: s["SystemStatus"]["Status"],
        "attached-ebs-status.status": lambda s: (s.get("AttachedEbsStatus") or {}).get("Status"),
        "operator.managed": lambda s: False,
        "operator.principal": lambda s: None,
    },
)
