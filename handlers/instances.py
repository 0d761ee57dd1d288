"""Instances: RunInstances, DescribeInstances, lifecycle, attributes, credits, metadata, types.

The gateway keeps the API-level record of every instance (``instances`` bucket) and asks Hive's
daemons — or the built-in node simulator, it cannot tell which — to run them, over the NATS
contract of :mod:`hive_gateway.daemon_contract`. Lifecycle state comes from the daemons: every
``DescribeInstances`` (and the instance actions) scatter-gathers ``ec2.DescribeInstances`` and
writes the state back into the record, where other modules read it.

``RunInstances``::

    validate (image, type, subnet, groups, key, placement group, counts, block devices)
    → <prefix>.node.status: which nodes have room for the type in the subnet's zone
    → per instance: create its network interface(s) and volumes, then
      ec2.RunInstances.<type>.<node> (or the type's queue group without node.status)
    → fewer than MinCount accepted: terminate those, delete every interface and volume,
      InsufficientInstanceCapacity; else attach interfaces and volumes, store the records.

Spread placement groups put at most one live instance per node (``--nodes N`` → at most N);
cluster groups put all on one node. Without any daemon (*no responders*) RunInstances fails
with ``InsufficientInstanceCapacity`` and leaves nothing behind.

AWS behaviours reproduced (all codes exact): ``ClientToken`` idempotency (same token → the same
reservation, other parameters → ``IdempotentParameterMismatch``); ``MinCount``/``MaxCount``;
Terraform's ``NetworkInterface.1.*`` form (``associate_public_ip_address``) and the plain
``SubnetId``/``SecurityGroupIds`` form, never both (``InvalidParameterCombination``); the
default VPC's default subnet when no subnet is given; ``UserData`` stored as sent and returned
verbatim by ``DescribeInstanceAttribute``; ``DisableApiTermination`` / ``DisableApiStop`` →
``OperationNotPermitted``; attribute changes that need a stopped instance →
``IncorrectInstanceState``; terminated instances stay visible (state ``terminated``) for
:data:`TIMINGS` ``["terminated-retention"]`` seconds (about an hour, as on AWS) and release their
interfaces, volumes and addresses when they reach ``terminated``, so the subnet, security groups
and VPC can be deleted right after.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import logging
import random
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hive_gateway import daemon_contract as contract
from hive_gateway import instance_types, resources
from hive_gateway.bus import Bus, BusError, NoRespondersError, RequestTimeoutError
from hive_gateway.context import RequestContext
from hive_gateway.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.filters import FilterSpec, apply_filters
from hive_gateway.pagination import paginate
from hive_gateway.protocol.serializer import format_timestamp
from hive_gateway.registry import Params, Result, action
from hive_gateway.resources import KINDS, Record
from hive_gateway.tagging import api_tags, record_tags, tags_from_specifications

LOG = logging.getLogger(__name__)

INSTANCE: Final = KINDS["instance"]
SUBNET: Final = KINDS["subnet"]
VPC: Final = KINDS["vpc"]
SECURITY_GROUP: Final = KINDS["security-group"]
ENI: Final = KINDS["network-interface"]

TIMINGS: Final[dict[str, float]] = {
    "terminated-retention": 3600.0,
    "metadata-apply": 2.0,
    "status-initializing": 2.0,
    "termination-watch": 900.0,
    "termination-poll": 0.5,
}
"""Seconds: how long terminated instances stay visible, how long metadata options stay
``pending``, how long status checks stay ``initializing``, how long the gateway watches a
terminating instance. A mutable table: ``serve --terminated-retention`` and tests change it."""

TAGGABLE: Final = ("instance", "volume", "network-interface")
DEFAULT_INSTANCE_TYPE: Final = "t3.micro"
"""AWS's documented default is m1.small, which this cloud does not offer."""
MAX_USER_DATA: Final = 16384
MAX_INSTANCES_PER_ACCOUNT: Final = 100
"""``max-instances`` of DescribeAccountAttributes (Hive's static value)."""
TERMINAL_STATES: Final = frozenset({"terminated"})
SETTLED_STATES: Final = frozenset({"terminated", "stopped"})
SHUTDOWN_REASON: Final = {
    "code": "Client.UserInitiatedShutdown",
    "message": "Client.UserInitiatedShutdown: User initiated shutdown",
}
IDS_WIRE_NAME: Final = "instancesSet"


# --- small helpers ---------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(text: str | None, default: datetime | None = None) -> datetime:
    if not text:
        return default or _now()
    return resources.parse_time(text)


def _state(record: Mapping[str, Any]) -> str:
    state = record.get("state")
    if isinstance(state, Mapping):
        return str(state.get("name") or state.get("Name") or "pending")
    return str(state or "pending")


def state_api(name: str) -> Record:
    """``{"Code": 16, "Name": "running"}``."""
    return {"Code": contract.STATE_CODES.get(name, 0), "Name": name}


def _user_initiated(moment: datetime) -> str:
    return f"User initiated ({moment.strftime('%Y-%m-%d %H:%M:%S')} GMT)"


_background: set[asyncio.Task[Any]] = set()
_locks: dict[tuple[int, str, str, str], asyncio.Lock] = {}
_clients: dict[int, tuple[weakref.ref[Any], contract.DaemonClient]] = {}


def _spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def _lock(ctx: RequestContext, kind: str, name: str) -> asyncio.Lock:
    """An in-process lock per (gateway, account, kind, name)."""
    key = (id(ctx.runtime), ctx.account_id, kind, name)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock


def daemon_client(ctx: RequestContext) -> contract.DaemonClient | None:
    """The gateway's client of the daemon contract (``None`` when the gateway has no bus)."""
    bus: Bus | None = ctx.runtime.bus
    if bus is None:
        return None
    found = _clients.get(id(bus))
    if found is not None and found[0]() is bus:
        return found[1]
    client = contract.DaemonClient(bus, ctx.runtime.settings.bucket_prefix)
    _clients[id(bus)] = (weakref.ref(bus), client)
    return client


# --- errors ----------------------------------------------------------------------------------


def malformed(instance_id: str) -> AwsError:
    return AwsError("InvalidInstanceID.Malformed", f'Invalid id: "{instance_id}"')


def check_instance_id(instance_id: str) -> None:
    """``InvalidInstanceID.Malformed`` for an id that is not ``i-`` + 8 or 17 hex digits."""
    rest = instance_id[2:] if instance_id.startswith("i-") else ""
    if len(rest) not in (8, 17) or any(c not in "0123456789abcdef" for c in rest):
        raise malformed(instance_id)


def incorrect_state(instance_id: str, verb: str) -> AwsError:
    return AwsError(
        "IncorrectInstanceState",
        f"The instance '{instance_id}' is not in a state from which it can be {verb}.",
    )


def not_stopped(instance_id: str) -> AwsError:
    return AwsError(
        "IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state."
    )


def insufficient_capacity(instance_type: str, zone: str) -> AwsError:
    return AwsError(
        "InsufficientInstanceCapacity",
        f"We currently do not have sufficient {instance_type} capacity in the Availability Zone "
        f"you requested ({zone}). Our system will be working on provisioning additional capacity.",
    )


def spread_full(group: str, hosts: int) -> AwsError:
    return AwsError(
        "InsufficientInstanceCapacity",
        f"We currently do not have sufficient capacity to launch more instances in the spread "
        f"placement group '{group}': each of its {hosts} available host(s) already runs one of "
        f"its instances.",
    )


def _daemon_error(exc: contract.DaemonError, *, instance_id: str = "", plan: RunPlan | None = None) -> AwsError:
    """A daemon's bare error code as the AWS error the client sees."""
    code = exc.code
    if code == "InsufficientInstanceCapacity" and plan is not None:
        return insufficient_capacity(plan.instance_type, plan.zone)
    if code == "InvalidInstanceID.NotFound" and instance_id:
        return INSTANCE.not_found(instance_id)
    if code == "IncorrectInstanceState" and instance_id:
        return AwsError(code, f"The instance '{instance_id}' is not in a valid state for this operation.")
    if code == "InvalidInstanceType" and plan is not None:
        return invalid_parameter_value(f"Invalid value '{plan.instance_type}' for InstanceType.")
    if code in ("ServerInternal", "ValidationError"):
        LOG.error("daemon answered %s", code)
        return AwsError("InternalError", "An internal error has occurred", status=500)
    return AwsError(code, exc.message or "")


# --- rendering -------------------------------------------------------------------------------


@dataclass
class Context:
    """Everything a rendering of several instances needs, read once."""

    interfaces: dict[str, list[Record]] = field(default_factory=dict)
    volumes: dict[str, list[Record]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    subnets: dict[str, Record] = field(default_factory=dict)
    placement_group_ids: dict[str, str] = field(default_factory=dict)


async def gather_context(ctx: RequestContext, records: Sequence[Record]) -> Context:
    """Interfaces, volumes, group names of the instances in ``records``."""
    from handlers import volumes

    view = Context()
    wanted = {str(r["instance_id"]) for r in records}
    for eni in await resources.list_records(ctx, ENI):
        owner = eni.get("instance_id")
        if owner in wanted and eni.get("attachment_id"):
            view.interfaces.setdefault(str(owner), []).append(eni)
    for enis in view.interfaces.values():
        enis.sort(key=lambda r: int(r.get("device_index") or 0))
    at = volumes.now()
    for record in await volumes.visible_volumes(ctx, at):
        api = volumes.volume_to_api(ctx, record, at)
        if api is None:
            continue
        for attachment in api.get("Attachments") or []:
            if attachment.get("InstanceId") in wanted:
                view.volumes.setdefault(str(attachment["InstanceId"]), []).append(
                    {"VolumeId": api["VolumeId"], **attachment}
                )
    for group in await resources.list_records(ctx, SECURITY_GROUP):
        view.groups[str(group["group_id"])] = str(group.get("group_name", ""))
    return view


def _block_devices(attachments: Sequence[Record]) -> list[Record]:
    return [
        {
            "DeviceName": a["Device"],
            "Ebs": {
                "AttachTime": a["AttachTime"],
                "DeleteOnTermination": bool(a.get("DeleteOnTermination")),
                "Status": a.get("State", "attached"),
                "VolumeId": a["VolumeId"],
            },
        }
        for a in sorted(attachments, key=lambda a: str(a["Device"]))
    ]


def metadata_options_api(record: Mapping[str, Any], at: datetime | None = None) -> Record:
    """``InstanceMetadataOptionsResponse`` (``pending`` until the change is applied)."""
    options = record.get("metadata_options") or {}
    applied_at = options.get("applied_at")
    state = "applied" if not applied_at or _time(applied_at) <= (at or _now()) else "pending"
    return {
        "State": state,
        "HttpTokens": options.get("http_tokens", "optional"),
        "HttpPutResponseHopLimit": int(options.get("http_put_response_hop_limit", 1)),
        "HttpEndpoint": options.get("http_endpoint", "enabled"),
        "HttpProtocolIpv6": options.get("http_protocol_ipv6", "disabled"),
        "InstanceMetadataTags": options.get("instance_metadata_tags", "disabled"),
    }


def instance_to_api(ctx: RequestContext, record: Mapping[str, Any], view: Context) -> Record:
    """An instance record in the ``Instance`` shape (every member the provider reads)."""
    from handlers import network_interfaces
    from hive_gateway import ipam

    instance_id = str(record["instance_id"])
    state = _state(record)
    instance_type = str(record.get("instance_type") or DEFAULT_INSTANCE_TYPE)
    launch = _time(record.get("launch_time") or record.get("created_at"))
    region = ctx.runtime.settings.region
    info = instance_types.split(instance_type)
    cpu = record.get("cpu_options") or {}
    dns_options = record.get("private_dns_name_options") or {}
    out: Record = {
        "AmiLaunchIndex": int(record.get("ami_launch_index") or 0),
        "ImageId": str(record.get("image_id") or ""),
        "InstanceId": instance_id,
        "InstanceType": instance_type,
        "LaunchTime": launch,
        "Monitoring": {"State": record.get("monitoring", "disabled")},
        "Placement": {
            "AvailabilityZone": str(record.get("availability_zone") or ""),
            "GroupName": str(record.get("placement_group") or ""),
            "Tenancy": record.get("tenancy", "default"),
        },
        "PrivateDnsName": "",
        "ProductCodes": [],
        "PublicDnsName": "",
        "State": state_api(state),
        "StateTransitionReason": str(record.get("state_transition_reason") or ""),
        "Architecture": record.get("architecture") or "x86_64",
        "BlockDeviceMappings": [],
        "ClientToken": str(record.get("client_token") or ""),
        "EbsOptimized": bool(record.get("ebs_optimized", False)),
        "EnaSupport": bool(record.get("ena_support", True)),
        "Hypervisor": "xen",
        "NetworkInterfaces": [],
        "RootDeviceName": str(record.get("root_device_name") or "/dev/xvda"),
        "RootDeviceType": record.get("root_device_type", "ebs"),
        "SecurityGroups": [],
        "Tags": api_tags(record_tags(record)),
        "VirtualizationType": record.get("virtualization_type", "hvm"),
        "CpuOptions": {
            "CoreCount": int(cpu.get("core_count") or (info[1].vcpus // info[0].threads_per_core if info else 1)),
            "ThreadsPerCore": int(cpu.get("threads_per_core") or (info[0].threads_per_core if info else 1)),
        },
        "CapacityReservationSpecification": {
            "CapacityReservationPreference": record.get("capacity_reservation_preference", "open")
        },
        "HibernationOptions": {"Configured": bool(record.get("hibernation_configured", False))},
        "MetadataOptions": metadata_options_api(record),
        "EnclaveOptions": {"Enabled": bool(record.get("enclave_enabled", False))},
        "PlatformDetails": record.get("platform_details", "Linux/UNIX"),
        "UsageOperation": "RunInstances",
        "UsageOperationUpdateTime": launch,
        "PrivateDnsNameOptions": {
            "HostnameType": dns_options.get("hostname_type", "ip-name"),
            "EnableResourceNameDnsARecord": bool(dns_options.get("enable_resource_name_dns_a_record", False)),
            "EnableResourceNameDnsAAAARecord": bool(dns_options.get("enable_resource_name_dns_aaaa_record", False)),
        },
        "MaintenanceOptions": {"AutoRecovery": record.get("maintenance_auto_recovery", "default")},
        "CurrentInstanceBootMode": record.get("current_instance_boot_mode", "legacy-bios"),
    }
    if record.get("placement_group_id"):
        out["Placement"]["GroupId"] = record["placement_group_id"]
    if record.get("key_name"):
        out["KeyName"] = record["key_name"]
    if record.get("boot_mode"):
        out["BootMode"] = record["boot_mode"]
    if record.get("kernel_id"):
        out["KernelId"] = record["kernel_id"]
    if record.get("ramdisk_id"):
        out["RamdiskId"] = record["ramdisk_id"]
    if record.get("iam_instance_profile"):
        profile = record["iam_instance_profile"]
        out["IamInstanceProfile"] = {"Arn": profile.get("arn", ""), "Id": profile.get("id", "")}
    if record.get("state_reason"):
        out["StateReason"] = {
            "Code": record["state_reason"]["code"], "Message": record["state_reason"]["message"]
        }
    if state == "terminated":
        return out
    interfaces = view.interfaces.get(instance_id, [])
    out["NetworkInterfaces"] = [
        network_interfaces.instance_interface_to_api(ctx, eni) for eni in interfaces
    ]
    out["BlockDeviceMappings"] = _block_devices(view.volumes.get(instance_id, []))
    primary = next((n for n in out["NetworkInterfaces"] if (n.get("Attachment") or {}).get("DeviceIndex") == 0), None)
    if record.get("subnet_id"):
        out["SubnetId"] = record["subnet_id"]
    if record.get("vpc_id"):
        out["VpcId"] = record["vpc_id"]
    private_ip = record.get("private_ip_address")
    if primary is not None:
        out["SubnetId"] = primary["SubnetId"]
        out["VpcId"] = primary["VpcId"]
        private_ip = primary["PrivateIpAddress"]
        out["SourceDestCheck"] = bool(primary.get("SourceDestCheck", True))
        out["SecurityGroups"] = [
            {"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in primary.get("Groups") or []
        ]
        association = primary.get("Association")
        if association and association.get("PublicIp"):
            out["PublicIpAddress"] = association["PublicIp"]
            out["PublicDnsName"] = str(association.get("PublicDnsName") or "")
    else:
        out["SourceDestCheck"] = bool(record.get("source_dest_check", True))
        out["SecurityGroups"] = [
            {"GroupId": gid, "GroupName": view.groups.get(gid, "")}
            for gid in record.get("security_group_ids") or []
        ]
    if private_ip:
        out["PrivateIpAddress"] = private_ip
        out["PrivateDnsName"] = ipam.private_dns_name(region, str(private_ip))
    return out


# --- filters -----------------------------------------------------------------------------------


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
        "block-device-mapping.attach-time": _ts_of(_each("BlockDeviceMappings", "Ebs", "AttachTime")),
        "block-device-mapping.delete-on-termination": _each("BlockDeviceMappings", "Ebs", "DeleteOnTermination"),
        "block-device-mapping.device-name": _each("BlockDeviceMappings", "DeviceName"),
        "block-device-mapping.status": _each("BlockDeviceMappings", "Ebs", "Status"),
        "block-device-mapping.volume-id": _each("BlockDeviceMappings", "Ebs", "VolumeId"),
        "boot-mode": _i("BootMode"),
        "capacity-reservation-id": _i("CapacityReservationId"),
        "capacity-reservation-specification.capacity-reservation-preference":
            _i("CapacityReservationSpecification", "CapacityReservationPreference"),
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
        "metadata-options.http-put-response-hop-limit": _i("MetadataOptions", "HttpPutResponseHopLimit"),
        "metadata-options.http-tokens": _i("MetadataOptions", "HttpTokens"),
        "metadata-options.instance-metadata-tags": _i("MetadataOptions", "InstanceMetadataTags"),
        "monitoring-state": _i("Monitoring", "State"),
        "network-interface.addresses.association.ip-owner-id": _eni_addresses("Association", "IpOwnerId"),
        "network-interface.addresses.association.public-ip": _eni_addresses("Association", "PublicIp"),
        "network-interface.addresses.primary": _eni_addresses("Primary"),
        "network-interface.addresses.private-dns-name": _eni_addresses("PrivateDnsName"),
        "network-interface.addresses.private-ip-address": _eni_addresses("PrivateIpAddress"),
        "network-interface.association.ip-owner-id": _each("NetworkInterfaces", "Association", "IpOwnerId"),
        "network-interface.association.public-dns-name": _each("NetworkInterfaces", "Association", "PublicDnsName"),
        "network-interface.association.public-ip": _each("NetworkInterfaces", "Association", "PublicIp"),
        "network-interface.attachment.attach-time": _ts_of(_each("NetworkInterfaces", "Attachment", "AttachTime")),
        "network-interface.attachment.attachment-id": _each("NetworkInterfaces", "Attachment", "AttachmentId"),
        "network-interface.attachment.delete-on-termination": _each("NetworkInterfaces", "Attachment", "DeleteOnTermination"),
        "network-interface.attachment.device-index": _each("NetworkInterfaces", "Attachment", "DeviceIndex"),
        "network-interface.attachment.instance-id": lambda row: [row.instance["InstanceId"]] * len(row.instance.get("NetworkInterfaces") or []),
        "network-interface.attachment.instance-owner-id": lambda row: [row.reservation["OwnerId"]] * len(row.instance.get("NetworkInterfaces") or []),
        "network-interface.attachment.network-card-index": _each("NetworkInterfaces", "Attachment", "NetworkCardIndex"),
        "network-interface.attachment.status": _each("NetworkInterfaces", "Attachment", "Status"),
        "network-interface.availability-zone": lambda row: [row.instance["Placement"]["AvailabilityZone"]] * len(row.instance.get("NetworkInterfaces") or []),
        "network-interface.description": _each("NetworkInterfaces", "Description"),
        "network-interface.group-id": _each("NetworkInterfaces", "Groups", "GroupId"),
        "network-interface.group-name": _each("NetworkInterfaces", "Groups", "GroupName"),
        "network-interface.interface-type": _each("NetworkInterfaces", "InterfaceType"),
        "network-interface.ipv6-address": _each("NetworkInterfaces", "Ipv6Addresses", "Ipv6Address"),
        "network-interface.mac-address": _each("NetworkInterfaces", "MacAddress"),
        "network-interface.network-interface-id": _each("NetworkInterfaces", "NetworkInterfaceId"),
        "network-interface.owner-id": _each("NetworkInterfaces", "OwnerId"),
        "network-interface.private-dns-name": _each("NetworkInterfaces", "PrivateDnsName"),
        "network-interface.private-ip-address": _each("NetworkInterfaces", "PrivateIpAddress"),
        "network-interface.requester-managed": lambda row: [False] * len(row.instance.get("NetworkInterfaces") or []),
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
        "private-dns-name-options.enable-resource-name-dns-a-record":
            _i("PrivateDnsNameOptions", "EnableResourceNameDnsARecord"),
        "private-dns-name-options.enable-resource-name-dns-aaaa-record":
            _i("PrivateDnsNameOptions", "EnableResourceNameDnsAAAARecord"),
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


# --- daemon state ------------------------------------------------------------------------------


def _expired(record: Mapping[str, Any], at: datetime) -> bool:
    if _state(record) != "terminated":
        return False
    since = _time(record.get("terminated_at") or record.get("state_changed_at"), at)
    return at - since > timedelta(seconds=TIMINGS["terminated-retention"])


async def _transition(
    ctx: RequestContext, instance_id: str, state: str, *, reason: str | None = None,
) -> Record | None:
    """Write the daemon-reported ``state`` into the record (never out of ``terminated``)."""
    now = _now()

    def change(record: Record) -> Record:
        current = _state(record)
        if current == state or current == "terminated":
            return record
        record["state"] = state
        record["state_changed_at"] = _stamp(now)
        if state in ("stopping", "shutting-down"):
            record["state_transition_reason"] = reason or _user_initiated(now)
        if state in ("stopped", "terminated"):
            record["state_reason"] = dict(SHUTDOWN_REASON)
            record.setdefault("state_transition_reason", _user_initiated(now))
            if not record.get("state_transition_reason"):
                record["state_transition_reason"] = _user_initiated(now)
        if state in ("pending", "running"):
            record["state_transition_reason"] = ""
            record["state_reason"] = None
        if state == "terminated":
            record["terminated_at"] = _stamp(now)
        return record

    try:
        return await resources.mutate(ctx, INSTANCE, instance_id, change)
    except AwsError:
        return None


async def finalize_termination(ctx: RequestContext, instance_id: str) -> None:
    """Give back what a terminated instance held: interfaces, volumes, Elastic IP associations.

    Idempotent (``released`` marks completion); errors are logged and retried on the next read.
    """
    from handlers import addresses, network_interfaces, volumes

    async with _lock(ctx, "finalize", instance_id):  # the watcher and a Describe may race
        record = await resources.find(ctx, INSTANCE, instance_id)
        if record is None or _state(record) != "terminated" or record.get("released"):
            return
        try:
            await volumes.delete_on_termination(ctx, instance_id)
            await network_interfaces.release_instance_interfaces(ctx, instance_id)
            await addresses.release_instance_associations(ctx, instance_id)
        except Exception:
            LOG.warning("releasing the resources of %s failed (retried on the next read)",
                        instance_id, exc_info=True)
            return
        with contextlib.suppress(AwsError):
            await resources.mutate(ctx, INSTANCE, instance_id, lambda r: {**r, "released": True})
    _locks.pop((id(ctx.runtime), ctx.account_id, "finalize", instance_id), None)


async def _public_ip_follows(ctx: RequestContext, instance_id: str, state: str) -> None:
    """AWS gives back an instance's auto-assigned public IP when it stops and assigns a new one
    when it starts again (an Elastic IP stays)."""
    from handlers import network_interfaces

    primary = next(
        (e for e in await network_interfaces.interfaces_of_instance(ctx, instance_id)
         if int(e.get("device_index") or 0) == 0),
        None,
    )
    if primary is None or not primary.get("auto_public_ip"):
        return
    eni_id = str(primary["network_interface_id"])
    try:
        if state == "stopped":
            await network_interfaces._drop_auto_public_ip(ctx, eni_id, keep_flag=True)
        elif state in ("pending", "running"):
            await network_interfaces._ensure_auto_public_ip(ctx, eni_id)
    except Exception:
        LOG.warning("public IP of %s not updated", instance_id, exc_info=True)


async def _apply_state(ctx: RequestContext, record: Record, state: str) -> Record:
    """Record a daemon-reported state and run what the new state implies."""
    if state == _state(record) or _state(record) == "terminated" or state not in contract.STATE_CODES:
        return record
    updated = await _transition(ctx, str(record["instance_id"]), state)
    if updated is None:
        return record
    if state == "terminated":
        await finalize_termination(ctx, str(record["instance_id"]))
        updated = await resources.find(ctx, INSTANCE, str(record["instance_id"])) or updated
    elif state == "stopped":
        await _public_ip_follows(ctx, str(record["instance_id"]), state)
    return updated


async def sync_states(ctx: RequestContext, records: list[Record]) -> list[Record]:
    """Ask the daemons for the state of the caller's live instances and merge it in."""
    client = daemon_client(ctx)
    live = [r for r in records if _state(r) not in SETTLED_STATES]
    unreleased = [r for r in records if _state(r) == "terminated" and not r.get("released")]
    for record in unreleased:
        await finalize_termination(ctx, str(record["instance_id"]))
    if client is None or not live:
        return records
    try:
        reported = await client.describe_instances(
            ctx.account_id, [str(r["instance_id"]) for r in live]
        )
    except BusError:
        LOG.warning("DescribeInstances: daemons unreachable", exc_info=True)
        return records
    merged: list[Record] = []
    for record in records:
        seen = reported.get(str(record["instance_id"]))
        if seen is not None and _state(record) not in TERMINAL_STATES:
            record = await _apply_state(ctx, record, seen.state)
        merged.append(record)
    return merged


async def current_records(ctx: RequestContext) -> list[Record]:
    """The caller's visible instance records with daemon state merged in (expired ones purged)."""
    at = _now()
    records: list[Record] = []
    for record in await resources.list_records(ctx, INSTANCE):
        if _expired(record, at):
            await finalize_termination(ctx, str(record["instance_id"]))
            await resources.delete(ctx, INSTANCE, str(record["instance_id"]))
            continue
        records.append(record)
    return await sync_states(ctx, records)


async def get_instance(ctx: RequestContext, instance_id: str, *, sync: bool = True) -> Record:
    """The caller's record of ``instance_id`` (state synced with the daemons)."""
    check_instance_id(instance_id)
    record = await resources.find(ctx, INSTANCE, instance_id)
    if record is None or _expired(record, _now()):
        raise INSTANCE.not_found(instance_id)
    if sync:
        record = (await sync_states(ctx, [record]))[0]
    return record


async def _records_for(ctx: RequestContext, instance_ids: Sequence[str]) -> list[Record]:
    """Records of every id (all must exist, checked before anything changes)."""
    for instance_id in instance_ids:
        check_instance_id(instance_id)
    records = {str(r["instance_id"]): r for r in await current_records(ctx)}
    resources.check_ids_exist(INSTANCE, list(instance_ids), set(records))
    return [records[i] for i in dict.fromkeys(instance_ids)]


def _watch_termination(ctx: RequestContext, instance_ids: Sequence[str]) -> None:
    """Poll the daemons until the instances are terminated, then release their resources
    (so a subnet or security group can be deleted even if nobody describes the instance)."""

    async def watch() -> None:
        pending = set(instance_ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMINGS["termination-watch"]
        while pending and loop.time() < deadline:
            await asyncio.sleep(TIMINGS["termination-poll"])
            try:
                records = [
                    r for r in await resources.list_records(ctx, INSTANCE)
                    if r["instance_id"] in pending
                ]
                for record in await sync_states(ctx, records):
                    if _state(record) == "terminated" and record.get("released"):
                        pending.discard(str(record["instance_id"]))
                pending &= {str(r["instance_id"]) for r in records}
            except Exception:
                LOG.debug("termination watch", exc_info=True)

    _spawn(watch())


# --- RunInstances: validation ---------------------------------------------------------------------


@dataclass
class VolumePlan:
    """One block device to create at launch."""

    device: str
    size: int | None
    volume_type: str | None
    snapshot_id: str | None
    encrypted: bool
    iops: int | None
    throughput: int | None
    delete_on_termination: bool


@dataclass
class InterfacePlan:
    """One network interface to create (or an existing one to attach) at launch."""

    device_index: int
    subnet: Record
    group_ids: list[str]
    private_ip: str | None
    secondary_count: int
    secondary_ips: list[str]
    public_ip: bool
    delete_on_termination: bool
    description: str
    existing_id: str | None = None


@dataclass
class RunPlan:
    """A validated RunInstances request."""

    params: Params
    image: Record
    instance_type: str
    min_count: int
    max_count: int
    zone: str
    subnet: Record
    interfaces: list[InterfacePlan]
    volumes: list[VolumePlan]
    root_device: str
    placement_group: Record | None
    tenancy: str
    tags: dict[str, str]
    volume_tags: dict[str, str]
    interface_tags: dict[str, str]
    fingerprint: str
    record_defaults: Record


def _fingerprint(params: Mapping[str, Any]) -> str:
    relevant = {k: v for k, v in params.items() if k not in ("ClientToken", "DryRun")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def _check_user_data(user_data: str | None) -> None:
    if user_data is None:
        return
    try:
        raw = base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_parameter_value("Invalid BASE64 encoding of user data.") from None
    if len(raw) > MAX_USER_DATA:
        raise invalid_parameter_value(f"User data is limited to {MAX_USER_DATA} bytes.")


async def _default_subnet(ctx: RequestContext, zone: str | None) -> Record:
    vpcs = [v for v in await resources.list_records(ctx, VPC) if v.get("is_default")]
    if not vpcs:
        raise AwsError("VPCIdNotSpecified", "No default VPC for this user.")
    vpc_id = vpcs[0]["vpc_id"]
    subnets = [
        s for s in await resources.list_records(ctx, SUBNET)
        if s.get("vpc_id") == vpc_id and s.get("is_default")
        and (zone is None or s.get("availability_zone") == zone)
    ]
    if not subnets:
        raise AwsError(
            "MissingInput",
            f"No subnets found for the default VPC '{vpc_id}'. Please specify a subnet.",
        )
    return min(subnets, key=lambda s: str(s["availability_zone"]))


def _resolve_volumes(params: Mapping[str, Any], image: Mapping[str, Any]) -> tuple[str, list[VolumePlan]]:
    """The block devices to create: the image's mappings overridden by the request's."""
    root = str(image.get("RootDeviceName") or "/dev/xvda")
    requested = {str(m.get("DeviceName")): m for m in params.get("BlockDeviceMappings") or []}
    plans: list[VolumePlan] = []
    seen: set[str] = set()
    image_mappings = list(image.get("BlockDeviceMappings") or [])
    for mapping in image_mappings + [m for d, m in requested.items() if d not in {str(x.get("DeviceName")) for x in image_mappings}]:
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


async def _resolve_groups_by_name(ctx: RequestContext, vpc_id: str, names: Sequence[str]) -> list[str]:
    groups = [g for g in await resources.list_records(ctx, SECURITY_GROUP) if g.get("vpc_id") == vpc_id]
    ids = []
    for name in names:
        match = next((g for g in groups if g.get("group_name") == name), None)
        if match is None:
            raise AwsError(
                "InvalidGroup.NotFound", f"The security group '{name}' does not exist in VPC '{vpc_id}'"
            )
        ids.append(str(match["group_id"]))
    return ids


async def _interfaces(ctx: RequestContext, params: Params, zone: str | None) -> tuple[Record, list[InterfacePlan]]:
    """The subnet and the interfaces to create, from either networking form of RunInstances."""
    specs = list(params.get("NetworkInterfaces") or [])
    top_subnet = params.get("SubnetId")
    top_groups = list(params.get("SecurityGroupIds") or [])
    top_names = list(params.get("SecurityGroups") or [])
    if specs:
        if top_subnet:
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level subnet ID may not be specified on the same request"
            )
        if top_groups or top_names:
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level security groups may not be specified on the same request"
            )
        if params.get("PrivateIpAddress"):
            raise invalid_parameter_combination(
                "Network interfaces and an instance-level private IP address may not be specified on the same request"
            )
    else:
        specs = [{"DeviceIndex": 0, "SubnetId": top_subnet, "Groups": top_groups,
                  "PrivateIpAddress": params.get("PrivateIpAddress"), "_names": top_names}]
    indexes = [int(s.get("DeviceIndex", 0) if s.get("DeviceIndex") is not None else 0) for s in specs]
    if 0 not in indexes:
        raise invalid_parameter_value("A network interface with DeviceIndex 0 is required.")
    if len(set(indexes)) != len(indexes):
        raise invalid_parameter_value("Each network interface requires a unique device index.")
    plans: list[InterfacePlan] = []
    subnet: Record | None = None
    for spec, index in sorted(zip(specs, indexes, strict=True), key=lambda p: p[1]):
        existing = spec.get("NetworkInterfaceId")
        if existing:
            eni = await resources.get(ctx, ENI, str(existing))
            if eni.get("attachment_id"):
                raise AwsError("InvalidNetworkInterface.InUse", f"Interface: [{existing}] in use.")
            sub = await resources.get(ctx, SUBNET, str(eni["subnet_id"]))
            if spec.get("AssociatePublicIpAddress"):
                raise invalid_parameter_combination(
                    "The associatePublicIPAddress parameter cannot be specified when launching with "
                    "an existing network interface"
                )
            plan = InterfacePlan(index, sub, list(eni.get("security_group_ids") or []), None, 0, [],
                                 False, bool(spec.get("DeleteOnTermination", False)), "", str(existing))
        else:
            subnet_id = spec.get("SubnetId")
            if subnet_id:
                sub = await resources.get(ctx, SUBNET, str(subnet_id))
            elif index == 0:
                sub = await _default_subnet(ctx, zone)
            else:
                raise missing_parameter("NetworkInterface.SubnetId")
            groups = list(spec.get("Groups") or [])
            if spec.get("_names"):
                groups += await _resolve_groups_by_name(ctx, str(sub["vpc_id"]), spec["_names"])
            if spec.get("AssociatePublicIpAddress") is not None and index != 0:
                raise invalid_parameter_value(
                    "The associatePublicIPAddress parameter can only be specified for the network "
                    "interface with DeviceIndex 0."
                )
            public = spec.get("AssociatePublicIpAddress")
            if public is None:
                public = index == 0 and bool(sub.get("map_public_ip_on_launch"))
            addresses = list(spec.get("PrivateIpAddresses") or [])
            primary_ip = spec.get("PrivateIpAddress") or next(
                (a.get("PrivateIpAddress") for a in addresses if a.get("Primary")), None
            )
            secondary_ips = [
                str(a["PrivateIpAddress"]) for a in addresses
                if a.get("PrivateIpAddress") and a.get("PrivateIpAddress") != primary_ip
            ]
            plan = InterfacePlan(
                index, sub, groups, primary_ip, int(spec.get("SecondaryPrivateIpAddressCount") or 0),
                secondary_ips, bool(public), bool(spec.get("DeleteOnTermination", True)),
                str(spec.get("Description") or ""),
            )
        if index == 0:
            subnet = plan.subnet
        elif subnet is not None and plan.subnet["availability_zone"] != subnet["availability_zone"]:
            raise invalid_parameter_combination(
                "The network interfaces must all be in the same availability zone."
            )
        plans.append(plan)
    assert subnet is not None
    return subnet, plans


async def validate_run(ctx: RequestContext, params: Params) -> RunPlan:
    """Every RunInstances rule that does not depend on capacity."""
    from handlers import images, key_pairs, placement_groups, volumes

    if params.get("LaunchTemplate"):
        raise AwsError("UnsupportedOperation", "Launch templates are not supported by this gateway.")
    if params.get("InstanceMarketOptions"):
        raise AwsError("UnsupportedOperation", "Spot instances are not supported by this gateway.")
    image_id = params.get("ImageId")
    if not image_id:
        raise missing_parameter("ImageId")
    min_count, max_count = int(params["MinCount"]), int(params["MaxCount"])
    if min_count < 1:
        raise invalid_parameter_value(f"Value ({min_count}) for parameter minCount is invalid. Expected a positive integer.")
    if max_count < 1:
        raise invalid_parameter_value(f"Value ({max_count}) for parameter maxCount is invalid. Expected a positive integer.")
    if min_count > max_count:
        raise invalid_parameter_value(
            f"Value ({min_count}) for parameter minCount is invalid. Must be less than or equal to maxCount ({max_count})."
        )
    instance_type = str(params.get("InstanceType") or DEFAULT_INSTANCE_TYPE)
    if not instance_types.exists(instance_type):
        raise invalid_parameter_value(f"Invalid value '{instance_type}' for InstanceType.")
    image = await images.get_image(ctx, str(image_id), for_launch=True)
    arch = str(image.get("Architecture") or "x86_64")
    if arch not in instance_types.architectures(instance_type):
        raise invalid_parameter_value(
            f"The architecture '{instance_types.architectures(instance_type)[0]}' of the specified "
            f"instance type does not match the architecture '{arch}' of the specified AMI. Specify "
            "an instance type and an AMI that have matching architectures, and try again. You can "
            "use 'describe-instance-types' or 'describe-images' to discover the architecture of "
            "the instance type or AMI."
        )
    key_name = params.get("KeyName")
    if key_name and await key_pairs.find_key_pair_by_name(ctx, str(key_name)) is None:
        raise AwsError("InvalidKeyPair.NotFound", f"The key pair '{key_name}' does not exist")
    placement = params.get("Placement") or {}
    zone = placement.get("AvailabilityZone") or None
    if zone and zone not in {z["ZoneName"] for z in _zones(ctx)}:
        raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")
    subnet, interfaces = await _interfaces(ctx, params, zone)
    if zone and zone != subnet["availability_zone"]:
        raise invalid_parameter_value(
            f"Value ({zone}) for parameter availabilityZone is invalid. Subnet "
            f"'{subnet['subnet_id']}' is in the availability zone {subnet['availability_zone']}"
        )
    zone = str(subnet["availability_zone"])
    if max_count > 1 and any(i.private_ip or i.existing_id for i in interfaces):
        raise invalid_parameter_combination(
            "Network interfaces with a specified private IP address or an existing network "
            "interface cannot be launched with a maximum count greater than 1"
        )
    if len(interfaces) > instance_types.max_network_interfaces(instance_type):
        raise invalid_parameter_value(
            f"The specified instance type {instance_type} supports at most "
            f"{instance_types.max_network_interfaces(instance_type)} network interfaces."
        )
    group = None
    if placement.get("GroupName") or placement.get("GroupId"):
        name = placement.get("GroupName")
        if not name:
            found = [g for g in await placement_groups.list_placement_groups(ctx)
                     if g.get("group_id") == placement["GroupId"]]
            if not found:
                raise AwsError("InvalidPlacementGroup.Unknown",
                               f"The Placement Group '{placement['GroupId']}' is unknown.")
            name = found[0]["group_name"]
        group = await placement_groups.get_placement_group(ctx, str(name))
        if group.get("strategy") == "cluster" and instance_types.is_burstable(instance_type):
            raise invalid_parameter_combination(
                f"The instance type {instance_type} is not supported in a cluster placement group."
            )
    tenancy = str(placement.get("Tenancy") or "default")
    if tenancy == "host":
        raise AwsError("UnsupportedOperation", "Dedicated hosts are not supported by this gateway.")
    _check_user_data(params.get("UserData"))
    tags = tags_from_specifications(params, "instance", allowed=TAGGABLE)
    volume_tags = tags_from_specifications(params, "volume", allowed=TAGGABLE)
    interface_tags = tags_from_specifications(params, "network-interface", allowed=TAGGABLE)
    root, volume_plans = _resolve_volumes(params, image)
    for plan in volume_plans:  # the CreateVolume rules, checked before anything is created
        await volumes.build_spec(
            ctx, availability_zone=zone, size=plan.size, volume_type=plan.volume_type,
            snapshot_id=plan.snapshot_id, encrypted=plan.encrypted, kms_key_id=None,
            iops=plan.iops, throughput=plan.throughput,
        )
    credits = params.get("CreditSpecification")
    if credits and not instance_types.is_burstable(instance_type):
        raise invalid_parameter_combination(
            f"The instance type {instance_type} does not support CPU credits."
        )
    if credits and credits.get("CpuCredits") not in ("standard", "unlimited"):
        raise invalid_parameter_value(
            f"Value ({credits.get('CpuCredits')}) for parameter CpuCredits is invalid."
        )
    defaults = _record_defaults(params, image, instance_type, subnet)
    return RunPlan(
        params=params, image=image, instance_type=instance_type, min_count=min_count,
        max_count=max_count, zone=zone, subnet=subnet, interfaces=interfaces,
        volumes=volume_plans, root_device=root, placement_group=group, tenancy=tenancy,
        tags=tags, volume_tags=volume_tags, interface_tags=interface_tags,
        fingerprint=_fingerprint(params), record_defaults=defaults,
    )


def _zones(ctx: RequestContext) -> list[Record]:
    from handlers.regions import zones

    return zones(ctx)


def _record_defaults(params: Params, image: Record, instance_type: str, subnet: Record) -> Record:
    """The attributes every instance of the request starts with."""
    found = instance_types.split(instance_type)
    assert found is not None
    family, size = found
    metadata = params.get("MetadataOptions") or {}
    v2_only = image.get("ImdsSupport") == "v2.0"
    hop_limit = metadata.get("HttpPutResponseHopLimit", 2 if v2_only else 1)
    if not 1 <= int(hop_limit) <= 64:
        raise invalid_parameter_value(
            f"Value ({hop_limit}) for parameter HttpPutResponseHopLimit is invalid. "
            "Valid values are between 1 and 64."
        )
    cpu = params.get("CpuOptions") or {}
    cores = int(cpu.get("CoreCount") or max(1, size.vcpus // family.threads_per_core))
    threads = int(cpu.get("ThreadsPerCore") or family.threads_per_core)
    if cores > max(1, size.vcpus // family.threads_per_core) or threads > family.threads_per_core:
        raise invalid_parameter_value(
            f"The specified CPU options are not valid for instance type {instance_type}."
        )
    boot_mode = image.get("BootMode")
    supports_uefi = "uefi" in family.boot_modes
    current_boot = "uefi" if boot_mode == "uefi" or (boot_mode == "uefi-preferred" and supports_uefi) else "legacy-bios"
    if boot_mode == "uefi" and not supports_uefi:
        raise invalid_parameter_value(
            f"The instance type {instance_type} does not support the boot mode uefi of the AMI."
        )
    credits = (params.get("CreditSpecification") or {}).get("CpuCredits")
    behavior = params.get("InstanceInitiatedShutdownBehavior") or "stop"
    profile = params.get("IamInstanceProfile") or {}
    dns = params.get("PrivateDnsNameOptions") or {}
    return {
        "image_id": image["ImageId"],
        "instance_type": instance_type,
        "architecture": "x86_64" if image.get("Architecture") in (None, "x86_64", "i386") else image["Architecture"],
        "key_name": params.get("KeyName") or None,
        "user_data": params.get("UserData"),
        "disable_api_termination": bool(params.get("DisableApiTermination", False)),
        "disable_api_stop": bool(params.get("DisableApiStop", False)),
        "instance_initiated_shutdown_behavior": behavior,
        "ebs_optimized": bool(params.get("EbsOptimized", False)),
        "ena_support": family.hypervisor == "nitro" or bool(image.get("EnaSupport")),
        "source_dest_check": True,
        "monitoring": "enabled" if (params.get("Monitoring") or {}).get("Enabled") else "disabled",
        "credit_specification": credits or instance_types.default_credits(instance_type),
        "metadata_options": {
            "http_tokens": metadata.get("HttpTokens") or ("required" if v2_only else "optional"),
            "http_put_response_hop_limit": int(hop_limit),
            "http_endpoint": metadata.get("HttpEndpoint") or "enabled",
            "http_protocol_ipv6": metadata.get("HttpProtocolIpv6") or "disabled",
            "instance_metadata_tags": metadata.get("InstanceMetadataTags") or "disabled",
        },
        "cpu_options": {"core_count": cores, "threads_per_core": threads},
        "hibernation_configured": bool((params.get("HibernationOptions") or {}).get("Configured", False)),
        "enclave_enabled": bool((params.get("EnclaveOptions") or {}).get("Enabled", False)),
        "maintenance_auto_recovery": (params.get("MaintenanceOptions") or {}).get("AutoRecovery") or "default",
        "private_dns_name_options": {
            "hostname_type": dns.get("HostnameType") or subnet.get("private_dns_hostname_type_on_launch") or "ip-name",
            "enable_resource_name_dns_a_record": bool(dns.get(
                "EnableResourceNameDnsARecord", subnet.get("enable_resource_name_dns_a_record_on_launch", False))),
            "enable_resource_name_dns_aaaa_record": bool(dns.get(
                "EnableResourceNameDnsAAAARecord", subnet.get("enable_resource_name_dns_aaaa_record_on_launch", False))),
        },
        "capacity_reservation_preference": (params.get("CapacityReservationSpecification") or {}).get(
            "CapacityReservationPreference") or "open",
        "iam_instance_profile": (
            {"arn": profile.get("Arn") or f"arn:aws:iam::{'{account}'}:instance-profile/{profile.get('Name')}",
             "id": "AIPA" + hashlib.sha256(str(profile).encode()).hexdigest()[:17].upper()}
            if profile else None
        ),
        "root_device_type": "ebs",
        "virtualization_type": "hvm",
        "boot_mode": boot_mode,
        "current_instance_boot_mode": current_boot,
        "kernel_id": params.get("KernelId") or image.get("KernelId"),
        "ramdisk_id": params.get("RamdiskId") or image.get("RamdiskId"),
        "platform_details": image.get("PlatformDetails") or "Linux/UNIX",
    }


# --- RunInstances: placement and launch ---------------------------------------------------------------


async def _placement_targets(
    ctx: RequestContext, client: contract.DaemonClient, plan: RunPlan
) -> list[str | None]:
    """Nodes to launch on, one entry per instance (``None``: the type's queue group).

    Spinifex's placement: ask every node for its capacity (``node.status``), keep those with
    room in the subnet's zone, assign one instance per node first and pack the rest onto the
    nodes with most room left. Spread groups skip nodes already running one of the group's
    instances and take one per node; cluster groups use one node (the group's, once it has one).
    """
    statuses = await client.node_status(ctx.account_id)
    if not statuses:
        return [None] * plan.max_count  # daemons without node.status (Hive before Spinifex)
    nodes = [s for s in statuses if s.available(plan.instance_type) > 0 and (not s.az or s.az == plan.zone)]
    random.shuffle(nodes)
    nodes.sort(key=lambda s: s.available(plan.instance_type), reverse=True)
    group = plan.placement_group
    strategy = (group or {}).get("strategy")
    if group is not None and strategy in ("spread", "cluster"):
        members = [
            r for r in await resources.list_records(ctx, INSTANCE)
            if r.get("placement_group") == group["group_name"] and _state(r) not in TERMINAL_STATES
        ]
        used = {r.get("node") for r in members if r.get("node")}
        if strategy == "spread":
            free = [s.node for s in nodes if s.node not in used]
            if len(free) < plan.min_count:
                in_zone = [s for s in statuses if not s.az or s.az == plan.zone]
                raise spread_full(str(group["group_name"]), len(in_zone))
            return list(free[: plan.max_count])
        target = next((s for s in nodes if s.node in used), None) if used else (nodes[0] if nodes else None)
        if target is None:
            raise insufficient_capacity(plan.instance_type, plan.zone)
        return [target.node] * min(plan.max_count, target.available(plan.instance_type))
    remaining = {s.node: s.available(plan.instance_type) for s in nodes}
    targets: list[str | None] = []
    for status in nodes:
        if len(targets) < plan.max_count:
            targets.append(status.node)
            remaining[status.node] -= 1
    while len(targets) < plan.max_count:
        best = max(remaining, key=lambda n: remaining[n], default=None)
        if best is None or remaining[best] <= 0:
            break
        targets.append(best)
        remaining[best] -= 1
    return targets


@dataclass
class Launched:
    """One instance a daemon accepted, with what the gateway created for it."""

    index: int
    instance_id: str
    reservation_id: str
    node: str | None
    launch_time: datetime
    interfaces: list[tuple[InterfacePlan, Record]]
    volumes: list[tuple[VolumePlan, Record]]


async def _create_resources(
    ctx: RequestContext, plan: RunPlan
) -> tuple[list[tuple[InterfacePlan, Record]], list[tuple[VolumePlan, Record]]]:
    from handlers import network_interfaces, volumes

    interfaces: list[tuple[InterfacePlan, Record]] = []
    created_volumes: list[tuple[VolumePlan, Record]] = []
    try:
        for spec in plan.interfaces:
            if spec.existing_id:
                interfaces.append((spec, await resources.get(ctx, ENI, spec.existing_id)))
                continue
            record = await network_interfaces.create_interface(
                ctx, subnet=spec.subnet, security_group_ids=spec.group_ids,
                private_ip=spec.private_ip, secondary_count=spec.secondary_count,
                secondary_ips=spec.secondary_ips, description=spec.description,
                tags=plan.interface_tags, public_ip=spec.public_ip,
            )
            interfaces.append((spec, record))
        for volume in plan.volumes:
            created = await volumes.create_root_volume(
                ctx, availability_zone=plan.zone, size=volume.size or 0,
                volume_type=volume.volume_type or "gp2", snapshot_id=volume.snapshot_id,
                encrypted=volume.encrypted, iops=volume.iops, throughput=volume.throughput,
                tags=dict(plan.volume_tags),
            ) if volume.size else await volumes.create_root_volume(
                ctx, availability_zone=plan.zone, size=_snapshot_size(volume),
                volume_type=volume.volume_type or "gp2", snapshot_id=volume.snapshot_id,
                encrypted=volume.encrypted, iops=volume.iops, throughput=volume.throughput,
                tags=dict(plan.volume_tags),
            )
            created_volumes.append((volume, created))
    except BaseException:
        await _delete_resources(ctx, interfaces, created_volumes)
        raise
    return interfaces, created_volumes


def _snapshot_size(volume: VolumePlan) -> int:
    from hive_gateway import image_catalogue

    snapshot = image_catalogue.find_snapshot(volume.snapshot_id or "") if volume.snapshot_id else None
    return int((snapshot or {}).get("volume_size") or 8)


async def _delete_resources(
    ctx: RequestContext,
    interfaces: Sequence[tuple[InterfacePlan, Record]],
    created_volumes: Sequence[tuple[VolumePlan, Record]],
) -> None:
    """Undo :func:`_create_resources` (nothing is attached yet)."""
    from handlers import network_interfaces

    for spec, record in interfaces:
        if spec.existing_id:
            continue
        try:
            await network_interfaces.delete_interface(ctx, str(record["network_interface_id"]), force=True)
        except Exception:
            LOG.warning("rollback: interface %s not deleted", record.get("network_interface_id"), exc_info=True)
    for _, volume in created_volumes:
        try:
            await resources.delete(ctx, KINDS["volume"], str(volume["VolumeId"]))
        except Exception:
            LOG.warning("rollback: volume %s not deleted", volume.get("VolumeId"), exc_info=True)


def _daemon_input(plan: RunPlan, interfaces: Sequence[tuple[InterfacePlan, Record]],
                  created_volumes: Sequence[tuple[VolumePlan, Record]]) -> Record:
    """The RunInstancesInput a daemon gets: one instance, the interfaces the gateway made."""
    skip = {"SubnetId", "SecurityGroupIds", "SecurityGroups", "PrivateIpAddress",
            "NetworkInterfaces", "BlockDeviceMappings", "MinCount", "MaxCount", "DryRun"}
    forwarded: Record = {k: v for k, v in plan.params.items() if k not in skip}
    forwarded.update(
        InstanceType=plan.instance_type,
        MinCount=1,
        MaxCount=1,
        Placement={**(plan.params.get("Placement") or {}), "AvailabilityZone": plan.zone},
        NetworkInterfaces=[
            {
                "DeviceIndex": spec.device_index,
                "NetworkInterfaceId": record["network_interface_id"],
                "SubnetId": record["subnet_id"],
                "Groups": list(record.get("security_group_ids") or []),
                "PrivateIpAddress": record["private_ip_address"],
                "AssociatePublicIpAddress": spec.public_ip if spec.device_index == 0 and not spec.existing_id else None,
                "DeleteOnTermination": spec.delete_on_termination,
            }
            for spec, record in interfaces
        ],
        BlockDeviceMappings=[
            {
                "DeviceName": volume.device,
                "Ebs": {
                    "VolumeSize": created["Size"],
                    "VolumeType": created["VolumeType"],
                    "DeleteOnTermination": volume.delete_on_termination,
                    "Encrypted": created["Encrypted"],
                    **({"SnapshotId": created["SnapshotId"]} if created.get("SnapshotId") else {}),
                },
            }
            for volume, created in created_volumes
        ],
    )
    return forwarded


async def _launch_one(
    ctx: RequestContext, client: contract.DaemonClient, plan: RunPlan, index: int, node: str | None
) -> Launched:
    interfaces, created_volumes = await _create_resources(ctx, plan)
    try:
        reservation = await client.run_instances(
            ctx.account_id, _daemon_input(plan, interfaces, created_volumes), node=node
        )
        instances = reservation.get("Instances") or []
        if not instances or not instances[0].get("InstanceId"):
            raise contract.DaemonError("ServerInternal")
        if len(instances) > 1:
            LOG.warning("daemon launched %d instances for one request", len(instances))
    except BaseException:
        await _delete_resources(ctx, interfaces, created_volumes)
        raise
    first = instances[0]
    return Launched(
        index=index,
        instance_id=str(first["InstanceId"]),
        reservation_id=str(reservation.get("ReservationId") or ""),
        node=node,
        launch_time=first.get("LaunchTime") or _now(),
        interfaces=interfaces,
        volumes=created_volumes,
    )


async def _abandon(ctx: RequestContext, client: contract.DaemonClient, launched: Sequence[Launched]) -> None:
    """Terminate instances of a launch that failed and delete what was made for them."""
    for item in launched:
        try:
            await client.command(ctx.account_id, contract.InstanceCommand.terminate(item.instance_id))
        except (BusError, contract.DaemonError, contract.ContractError):
            LOG.warning("rollback: could not terminate %s", item.instance_id, exc_info=True)
        await _delete_resources(ctx, item.interfaces, item.volumes)


async def _finish(ctx: RequestContext, plan: RunPlan, item: Launched, position: int, reservation_id: str) -> Record:
    """Attach interfaces and volumes to an accepted instance and store its record."""
    from handlers import network_interfaces, volumes

    instance_id = item.instance_id
    for spec, record in item.interfaces:
        await network_interfaces.attach_to_instance(
            ctx, str(record["network_interface_id"]), instance_id, spec.device_index,
            delete_on_termination=spec.delete_on_termination,
        )
    for volume, created in item.volumes:
        await volumes.attach(
            ctx, str(created["VolumeId"]), instance_id, volume.device,
            delete_on_termination=volume.delete_on_termination,
        )
    primary = next(r for s, r in item.interfaces if s.device_index == 0)
    now = _now()
    group = plan.placement_group
    stored: Record = {
        **plan.record_defaults,
        "instance_id": instance_id,
        "account_id": ctx.account_id,
        "reservation_id": reservation_id,
        "state": "pending",
        "state_changed_at": _stamp(now),
        "state_transition_reason": "",
        "state_reason": None,
        "launch_time": _stamp(item.launch_time),
        "ami_launch_index": position,
        "client_token": plan.params.get("ClientToken") or None,
        "request_fingerprint": plan.fingerprint,
        "node": item.node,
        "availability_zone": plan.zone,
        "tenancy": plan.tenancy,
        "placement_group": str(group["group_name"]) if group else None,
        "placement_group_id": str(group["group_id"]) if group else None,
        "subnet_id": str(primary["subnet_id"]),
        "vpc_id": str(primary["vpc_id"]),
        "security_group_ids": list(primary.get("security_group_ids") or []),
        "private_ip_address": str(primary["private_ip_address"]),
        "root_device_name": plan.root_device,
        "tags": dict(plan.tags),
        "created_at": _stamp(now),
        "released": False,
    }
    profile = stored.get("iam_instance_profile")
    if profile and "{account}" in profile.get("arn", ""):
        stored["iam_instance_profile"] = {**profile, "arn": profile["arn"].replace("{account}", ctx.account_id)}
    await resources.create(ctx, INSTANCE, stored)
    return stored


async def _launch(ctx: RequestContext, plan: RunPlan) -> Result:
    client = daemon_client(ctx)
    if client is None:
        raise insufficient_capacity(plan.instance_type, plan.zone)
    live = [r for r in await resources.list_records(ctx, INSTANCE) if _state(r) not in SETTLED_STATES]
    if len(live) + plan.min_count > MAX_INSTANCES_PER_ACCOUNT:
        raise AwsError(
            "InstanceLimitExceeded",
            f"You have requested more instances ({len(live) + plan.min_count}) than your current "
            f"instance limit of {MAX_INSTANCES_PER_ACCOUNT} allows for the specified instance type.",
        )
    group = plan.placement_group
    lock = _lock(ctx, "placement-group", str(group["group_name"] if group else ""))
    async with lock:
        targets = await _placement_targets(ctx, client, plan)
        if len(targets) < plan.min_count:
            raise insufficient_capacity(plan.instance_type, plan.zone)
        outcomes = await asyncio.gather(
            *(_launch_one(ctx, client, plan, index, node) for index, node in enumerate(targets)),
            return_exceptions=True,
        )
        launched = [o for o in outcomes if isinstance(o, Launched)]
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        for error in errors:
            if not isinstance(error, (AwsError, BusError, contract.DaemonError, contract.ContractError)):
                LOG.error("RunInstances: unexpected failure", exc_info=error)
        if len(launched) < plan.min_count:
            await _abandon(ctx, client, launched)
            raise _launch_error(plan, errors)
        launched.sort(key=lambda item: item.index)
        reservation_id = launched[0].reservation_id or _new_reservation_id()
        records: list[Record] = []
        try:
            for position, item in enumerate(launched):
                records.append(await _finish(ctx, plan, item, position, reservation_id))
        except BaseException:
            await _abandon(ctx, client, launched)
            for record in records:
                await resources.delete(ctx, INSTANCE, str(record["instance_id"]))
            raise
    view = await gather_context(ctx, records)
    return {
        "ReservationId": reservation_id,
        "OwnerId": ctx.account_id,
        "Groups": [],
        "Instances": [instance_to_api(ctx, r, view) for r in records],
    }


def _new_reservation_id() -> str:
    from hive_gateway.ids import new_id

    return new_id("reservation")


def _launch_error(plan: RunPlan, errors: Sequence[BaseException]) -> AwsError:
    """The error of a launch that got fewer than MinCount instances: a client error a daemon or
    the gateway raised wins over the generic capacity error (as Spinifex's ``extractClientError``)."""
    for error in errors:
        if isinstance(error, AwsError):
            return error
    for error in errors:
        if isinstance(error, contract.DaemonError) and error.code not in (
            "InsufficientInstanceCapacity", "ServerInternal", "ValidationError"
        ):
            return _daemon_error(error, plan=plan)
    return insufficient_capacity(plan.instance_type, plan.zone)


async def _reservation_of(ctx: RequestContext, records: Sequence[Record]) -> Result:
    records = await sync_states(ctx, list(records))
    records = sorted(records, key=lambda r: int(r.get("ami_launch_index") or 0))
    view = await gather_context(ctx, records)
    return {
        "ReservationId": records[0]["reservation_id"],
        "OwnerId": ctx.account_id,
        "Groups": [],
        "Instances": [instance_to_api(ctx, r, view) for r in records],
    }


@action("RunInstances")
async def run_instances(ctx: RequestContext, params: Params) -> Result:
    """Launch MinCount..MaxCount instances through the daemons; idempotent per ClientToken."""
    token = params.get("ClientToken")
    if not token:
        return await _launch(ctx, await validate_run(ctx, params))
    async with _lock(ctx, "client-token", str(token)):
        fingerprint = _fingerprint(params)
        existing = [
            r for r in await resources.list_records(ctx, INSTANCE) if r.get("client_token") == token
        ]
        if existing:
            if any(r.get("request_fingerprint") != fingerprint for r in existing):
                raise AwsError(
                    "IdempotentParameterMismatch",
                    "Arguments on this idempotent request are inconsistent with arguments used in "
                    "previous request(s).",
                )
            return await _reservation_of(ctx, existing)
        return await _launch(ctx, await validate_run(ctx, params))


# --- DescribeInstances -----------------------------------------------------------------------------


@action("DescribeInstances")
async def describe_instances(ctx: RequestContext, params: Params) -> Result:
    """Instances grouped by reservation; ids, filters and pagination (MaxResults 5–1000)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    records = await current_records(ctx)
    if wanted:
        resources.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in records})
        wanted_set = set(wanted)
        records = [r for r in records if r["instance_id"] in wanted_set]
    view = await gather_context(ctx, records)
    rows = []
    for record in records:
        header: Record = {
            "ReservationId": str(record.get("reservation_id") or ""),
            "OwnerId": str(record.get("account_id") or ctx.account_id),
            "Groups": [],
        }
        rows.append(Row(header, instance_to_api(ctx, record, view)))
    rows = apply_filters(INSTANCE_FILTERS, params.get("Filters"), rows)
    max_results = params.get("MaxResults")
    if max_results is not None and not 5 <= int(max_results) <= 1000:
        raise invalid_parameter_value(
            f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value "
            "greater than 5."
        )
    page = paginate(
        rows, params, key=lambda row: str(row.instance["InstanceId"]),
        ids_param="InstanceIds", ids_wire_name=IDS_WIRE_NAME,
    )
    grouped: dict[str, Record] = {}
    for row in page.items:
        reservation = grouped.setdefault(
            row.reservation["ReservationId"], {**row.reservation, "Instances": []}
        )
        reservation["Instances"].append(row.instance)
    for reservation in grouped.values():
        reservation["Instances"].sort(key=lambda i: (i["AmiLaunchIndex"], i["InstanceId"]))
    return {"Reservations": list(grouped.values()), **page.token_member()}


# --- lifecycle actions ---------------------------------------------------------------------------------


def _change(instance_id: str, previous: str, current: str) -> Record:
    return {"InstanceId": instance_id, "PreviousState": state_api(previous), "CurrentState": state_api(current)}


async def _set_state(ctx: RequestContext, instance_id: str, state: str, **extra: Any) -> None:
    now = _now()

    def change(record: Record) -> Record:
        if _state(record) == "terminated":
            return record
        record.update(state=state, state_changed_at=_stamp(now), **extra)
        if state in ("stopping", "shutting-down"):
            record["state_transition_reason"] = _user_initiated(now)
        if state in ("pending",):
            record["state_transition_reason"] = ""
            record["state_reason"] = None
        if state == "terminated":
            record["terminated_at"] = _stamp(now)
            record["state_reason"] = dict(SHUTDOWN_REASON)
        return record

    await resources.mutate(ctx, INSTANCE, instance_id, change)


@action("StopInstances")
async def stop_instances(ctx: RequestContext, params: Params) -> Result:
    """running → stopping (→ stopped when the daemon has shut it down)."""
    client = daemon_client(ctx)
    records = await _records_for(ctx, params["InstanceIds"])
    for record in records:
        state = _state(record)
        if record.get("disable_api_stop") and state not in SETTLED_STATES:
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{record['instance_id']}' may not be stopped. Modify its "
                "'disableApiStop' instance attribute and try again.",
            )
        if state in ("terminated", "shutting-down"):
            raise incorrect_state(str(record["instance_id"]), "stopped")
    changes = []
    for record in records:
        instance_id, state = str(record["instance_id"]), _state(record)
        if state in ("stopping", "stopped"):
            changes.append(_change(instance_id, state, state))
            continue
        if state == "pending":
            raise incorrect_state(instance_id, "stopped")
        if client is None:
            raise AwsError("InternalError", "An internal error has occurred", status=500)
        try:
            await client.command(ctx.account_id, contract.InstanceCommand.stop(instance_id))
        except contract.DaemonError as exc:
            raise _daemon_error(exc, instance_id=instance_id) from exc
        except (NoRespondersError, RequestTimeoutError) as exc:
            raise AwsError("InternalError", "An internal error has occurred", status=500) from exc
        await _set_state(ctx, instance_id, "stopping")
        changes.append(_change(instance_id, state, "stopping"))
    return {"StoppingInstances": changes}


@action("StartInstances")
async def start_instances(ctx: RequestContext, params: Params) -> Result:
    """stopped → pending (→ running), on whichever node has room (``ec2.start``)."""
    client = daemon_client(ctx)
    records = await _records_for(ctx, params["InstanceIds"])
    for record in records:
        if _state(record) in ("stopping", "shutting-down", "terminated"):
            raise incorrect_state(str(record["instance_id"]), "started")
    changes = []
    for record in records:
        instance_id, state = str(record["instance_id"]), _state(record)
        if state in ("pending", "running"):
            changes.append(_change(instance_id, state, state))
            continue
        if client is None:
            raise insufficient_capacity(str(record.get("instance_type")), str(record.get("availability_zone")))
        node: str | None = None
        try:
            try:
                await client.command(ctx.account_id, contract.InstanceCommand.start(instance_id))
                node = record.get("node")
            except NoRespondersError:
                await _start_stopped(ctx, client, record)
        except contract.DaemonError as exc:
            if exc.code == "InsufficientInstanceCapacity":
                raise insufficient_capacity(str(record.get("instance_type")), str(record.get("availability_zone"))) from exc
            raise _daemon_error(exc, instance_id=instance_id) from exc
        except (NoRespondersError, RequestTimeoutError) as exc:
            raise insufficient_capacity(str(record.get("instance_type")), str(record.get("availability_zone"))) from exc
        await _set_state(ctx, instance_id, "pending", node=node)
        await _public_ip_follows(ctx, instance_id, "pending")
        changes.append(_change(instance_id, state, "pending"))
    return {"StartingInstances": changes}


async def _start_stopped(ctx: RequestContext, client: contract.DaemonClient, record: Record) -> None:
    """``ec2.start`` goes to one node of the queue group; another may have room: try a few."""
    attempts = max(1, len(await client.nodes()))
    last: contract.DaemonError | None = None
    for _ in range(attempts * 2):
        try:
            await client.start_stopped(ctx.account_id, str(record["instance_id"]))
            return
        except contract.DaemonError as exc:
            if exc.code != "InsufficientInstanceCapacity":
                raise
            last = exc
    assert last is not None
    raise last


@action("RebootInstances")
async def reboot_instances(ctx: RequestContext, params: Params) -> Result:
    """A running instance reboots (and stays running)."""
    client = daemon_client(ctx)
    records = await _records_for(ctx, params["InstanceIds"])
    for record in records:
        if _state(record) in ("terminated", "shutting-down"):
            raise incorrect_state(str(record["instance_id"]), "rebooted")
    for record in records:
        if _state(record) != "running" or client is None:
            continue
        try:
            await client.command(ctx.account_id, contract.InstanceCommand.reboot(str(record["instance_id"])))
        except (BusError, contract.DaemonError):
            LOG.warning("reboot of %s not delivered", record["instance_id"], exc_info=True)
    return None


@action("TerminateInstances")
async def terminate_instances(ctx: RequestContext, params: Params) -> Result:
    """→ shutting-down → terminated; interfaces, volumes and addresses are released then."""
    client = daemon_client(ctx)
    records = await _records_for(ctx, params["InstanceIds"])
    for record in records:
        if record.get("disable_api_termination") and _state(record) not in TERMINAL_STATES:
            raise AwsError(
                "OperationNotPermitted",
                f"The instance '{record['instance_id']}' may not be terminated. Modify its "
                "'disableApiTermination' instance attribute and try again.",
            )
    changes, watched = [], []
    for record in records:
        instance_id, state = str(record["instance_id"]), _state(record)
        if state in ("terminated", "shutting-down"):
            changes.append(_change(instance_id, state, state))
            continue
        gone = False
        if client is not None:
            try:
                try:
                    await client.command(ctx.account_id, contract.InstanceCommand.terminate(instance_id))
                except NoRespondersError:
                    # Stopped instances belong to no node: any node removes them from the KV.
                    await client.terminate_stopped(ctx.account_id, instance_id)
                    gone = True
            except (NoRespondersError, RequestTimeoutError):
                gone = True  # no daemon runs it: nothing to shut down
            except contract.DaemonError as exc:
                if exc.code not in ("InvalidInstanceID.NotFound", "IncorrectInstanceState"):
                    raise _daemon_error(exc, instance_id=instance_id) from exc
                gone = True
        else:
            gone = True
        if gone:
            await _set_state(ctx, instance_id, "terminated")
            await finalize_termination(ctx, instance_id)
        else:
            await _set_state(ctx, instance_id, "shutting-down")
            watched.append(instance_id)
        changes.append(_change(instance_id, state, "shutting-down"))
    if watched:
        _watch_termination(ctx, watched)
    return {"TerminatingInstances": changes}


@action("MonitorInstances")
async def monitor_instances(ctx: RequestContext, params: Params) -> Result:
    """Detailed monitoring on (``Monitoring.State`` enabled)."""
    return await _monitoring(ctx, params, "enabled")


@action("UnmonitorInstances")
async def unmonitor_instances(ctx: RequestContext, params: Params) -> Result:
    """Detailed monitoring off."""
    return await _monitoring(ctx, params, "disabled")


async def _monitoring(ctx: RequestContext, params: Params, state: str) -> Result:
    records = await _records_for(ctx, params["InstanceIds"])
    for record in records:
        if _state(record) == "terminated":
            raise AwsError(
                "IncorrectInstanceState",
                f"The instance '{record['instance_id']}' is not in a valid state for this operation.",
            )
    out = []
    for record in records:
        await resources.mutate(ctx, INSTANCE, str(record["instance_id"]), lambda r: {**r, "monitoring": state})
        out.append({"InstanceId": record["instance_id"], "Monitoring": {"State": state}})
    return {"InstanceMonitorings": out}


# --- DescribeInstanceStatus --------------------------------------------------------------------------


def _status_summary(state: str, since: datetime, at: datetime) -> Record:
    if state != "running":
        return {"Status": "not-applicable"}
    initializing = (at - since).total_seconds() < TIMINGS["status-initializing"]
    return {
        "Status": "initializing" if initializing else "ok",
        "Details": [{"Name": "reachability", "Status": "initializing" if initializing else "passed"}],
    }


def status_to_api(record: Mapping[str, Any], at: datetime) -> Record:
    """An ``InstanceStatus`` item."""
    state = _state(record)
    since = _time(record.get("state_changed_at") or record.get("launch_time"), at)
    summary = _status_summary(state, since, at)
    out: Record = {
        "AvailabilityZone": str(record.get("availability_zone") or ""),
        "InstanceId": record["instance_id"],
        "InstanceState": state_api(state),
        "InstanceStatus": summary,
        "SystemStatus": dict(summary),
        "Events": [],
    }
    if state == "running":
        out["AttachedEbsStatus"] = dict(summary)
    return out


STATUS_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "availability-zone": lambda s: s["AvailabilityZone"],
        "event.code": lambda s: [e.get("Code") for e in s["Events"]],
        "event.description": lambda s: [e.get("Description") for e in s["Events"]],
        "event.instance-event-id": lambda s: [e.get("InstanceEventId") for e in s["Events"]],
        "event.not-after": lambda s: [_ts(e.get("NotAfter")) for e in s["Events"]],
        "event.not-before": lambda s: [_ts(e.get("NotBefore")) for e in s["Events"]],
        "event.not-before-deadline": lambda s: [_ts(e.get("NotBeforeDeadline")) for e in s["Events"]],
        "instance-state-code": lambda s: s["InstanceState"]["Code"],
        "instance-state-name": lambda s: s["InstanceState"]["Name"],
        "instance-status.reachability": lambda s: [d["Status"] for d in s["InstanceStatus"].get("Details", [])],
        "instance-status.status": lambda s: s["InstanceStatus"]["Status"],
        "system-status.reachability": lambda s: [d["Status"] for d in s["SystemStatus"].get("Details", [])],
        "system-status.status": lambda s: s["SystemStatus"]["Status"],
        "attached-ebs-status.status": lambda s: (s.get("AttachedEbsStatus") or {}).get("Status"),
        "operator.managed": lambda s: False,
        "operator.principal": lambda s: None,
    },
)


@action("DescribeInstanceStatus")
async def describe_instance_status(ctx: RequestContext, params: Params) -> Result:
    """Status checks of running instances (all instances with ``IncludeAllInstances``)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    records = await current_records(ctx)
    if wanted:
        resources.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in records})
        records = [r for r in records if r["instance_id"] in set(wanted)]
    if not params.get("IncludeAllInstances"):
        records = [r for r in records if _state(r) == "running"]
    at = _now()
    items = apply_filters(STATUS_FILTERS, params.get("Filters"), [status_to_api(r, at) for r in records])
    page = paginate(items, params, key=lambda s: str(s["InstanceId"]),
                    ids_param="InstanceIds", ids_wire_name=IDS_WIRE_NAME)
    return {"InstanceStatuses": page.items, **page.token_member()}


# --- attributes ------------------------------------------------------------------------------------------


async def _volumes_api(ctx: RequestContext, record: Record) -> list[Record]:
    view = await gather_context(ctx, [record])
    return _block_devices(view.volumes.get(str(record["instance_id"]), []))


@action("DescribeInstanceAttribute")
async def describe_instance_attribute(ctx: RequestContext, params: Params) -> Result:
    """One attribute; ``disableApiStop``/``disableApiTermination`` always carry a value
    (the provider dereferences them), ``userData`` returns exactly what was sent."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    attribute = params["Attribute"]
    out: Record = {"InstanceId": instance_id}
    view = await gather_context(ctx, [record])
    api = instance_to_api(ctx, record, view)
    if attribute == "instanceType":
        out["InstanceType"] = {"Value": api["InstanceType"]}
    elif attribute == "kernel":
        out["KernelId"] = {"Value": record["kernel_id"]} if record.get("kernel_id") else {}
    elif attribute == "ramdisk":
        out["RamdiskId"] = {"Value": record["ramdisk_id"]} if record.get("ramdisk_id") else {}
    elif attribute == "userData":
        out["UserData"] = {"Value": record["user_data"]} if record.get("user_data") else {}
    elif attribute == "disableApiTermination":
        out["DisableApiTermination"] = {"Value": bool(record.get("disable_api_termination", False))}
    elif attribute == "disableApiStop":
        out["DisableApiStop"] = {"Value": bool(record.get("disable_api_stop", False))}
    elif attribute == "instanceInitiatedShutdownBehavior":
        out["InstanceInitiatedShutdownBehavior"] = {
            "Value": record.get("instance_initiated_shutdown_behavior", "stop")
        }
    elif attribute == "rootDeviceName":
        out["RootDeviceName"] = {"Value": api["RootDeviceName"]}
    elif attribute == "blockDeviceMapping":
        out["BlockDeviceMappings"] = api["BlockDeviceMappings"]
    elif attribute == "productCodes":
        out["ProductCodes"] = []
    elif attribute == "sourceDestCheck":
        out["SourceDestCheck"] = {"Value": bool(api.get("SourceDestCheck", True))}
    elif attribute == "groupSet":
        out["Groups"] = [
            {"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in api["SecurityGroups"]
        ]
    elif attribute == "ebsOptimized":
        out["EbsOptimized"] = {"Value": bool(record.get("ebs_optimized", False))}
    elif attribute == "sriovNetSupport":
        out["SriovNetSupport"] = {"Value": record["sriov_net_support"]} if record.get("sriov_net_support") else {}
    elif attribute == "enaSupport":
        out["EnaSupport"] = {"Value": bool(record.get("ena_support", True))}
    elif attribute == "enclaveOptions":
        out["EnclaveOptions"] = {"Enabled": bool(record.get("enclave_enabled", False))}
    else:
        raise invalid_parameter_value(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")
    return out


#: ModifyInstanceAttribute member → wire name (AWS's error messages name them so).
_MODIFY_MEMBERS: Final[dict[str, str]] = {
    "SourceDestCheck": "sourceDestCheck",
    "DisableApiStop": "disableApiStop",
    "BlockDeviceMappings": "blockDeviceMapping",
    "DisableApiTermination": "disableApiTermination",
    "InstanceType": "instanceType",
    "Kernel": "kernel",
    "Ramdisk": "ramdisk",
    "UserData": "userData",
    "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
    "Groups": "groupSet",
    "EbsOptimized": "ebsOptimized",
    "SriovNetSupport": "sriovNetSupport",
    "EnaSupport": "enaSupport",
}
_LEGACY_ATTRIBUTES: Final[dict[str, str]] = {wire: member for member, wire in _MODIFY_MEMBERS.items()}
_BOOLEAN_MEMBERS: Final = frozenset(
    {"SourceDestCheck", "DisableApiStop", "DisableApiTermination", "EbsOptimized", "EnaSupport"}
)


def _legacy(params: Params) -> Params:
    """``Attribute=instanceType&Value=t3.large`` in the member form."""
    attribute, value = params.get("Attribute"), params.get("Value")
    if attribute is None:
        return params
    member = _LEGACY_ATTRIBUTES.get(str(attribute))
    if member is None or member in ("BlockDeviceMappings", "Groups"):
        raise invalid_parameter_value(f"Value ({attribute}) for parameter attribute is invalid.")
    if value is None:
        raise missing_parameter("Value")
    converted: Any
    if member in _BOOLEAN_MEMBERS:
        converted = {"Value": str(value).lower() == "true"}
    elif member == "UserData":
        converted = {"Value": str(value).encode()}
    else:
        converted = {"Value": value}
    return {**{k: v for k, v in params.items() if k not in ("Attribute", "Value")}, member: converted}


@action("ModifyInstanceAttribute")
async def modify_instance_attribute(ctx: RequestContext, params: Params) -> Result:
    """Change exactly one attribute; the instance type and user data only while stopped."""
    from handlers import network_interfaces

    params = _legacy(params)
    given = [m for m in _MODIFY_MEMBERS if params.get(m) is not None]
    if not given:
        raise invalid_parameter_combination("No attributes specified.")
    if len(given) > 1:
        raise invalid_parameter_combination(
            "Fields for multiple attribute types specified: " + ", ".join(_MODIFY_MEMBERS[m] for m in given)
        )
    member = given[0]
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    state = _state(record)
    if state == "terminated" and member != "DisableApiTermination":
        raise AwsError("IncorrectInstanceState", f"The instance '{instance_id}' is not in a valid state for this operation.")
    value = params[member]
    changes: Record = {}
    if member in _BOOLEAN_MEMBERS:
        flag = value.get("Value")
        if flag is None:
            raise missing_parameter(f"{member}.Value")
        field_name = {
            "SourceDestCheck": "source_dest_check", "DisableApiStop": "disable_api_stop",
            "DisableApiTermination": "disable_api_termination", "EbsOptimized": "ebs_optimized",
            "EnaSupport": "ena_support",
        }[member]
        if member in ("EbsOptimized", "EnaSupport") and state != "stopped":
            raise not_stopped(instance_id)
        changes[field_name] = bool(flag)
        if member == "SourceDestCheck":
            for eni in await network_interfaces.interfaces_of_instance(ctx, instance_id):
                if int(eni.get("device_index") or 0) == 0:
                    await resources.mutate(
                        ctx, ENI, str(eni["network_interface_id"]),
                        lambda r: {**r, "source_dest_check": bool(flag)},
                    )
    elif member == "InstanceType":
        new_type = str(value.get("Value") or "")
        if state != "stopped":
            raise not_stopped(instance_id)
        if not instance_types.exists(new_type):
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"The instanceType attribute value '{new_type}' is invalid.",
            )
        if record.get("architecture", "x86_64") not in instance_types.architectures(new_type):
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"The instance type '{new_type}' does not support the architecture of the instance.",
            )
        changes["instance_type"] = new_type
        if record.get("credit_specification") is not None and not instance_types.is_burstable(new_type):
            changes["credit_specification"] = None
        elif record.get("credit_specification") is None and instance_types.is_burstable(new_type):
            changes["credit_specification"] = instance_types.default_credits(new_type)
        await _forward_modify(ctx, {"InstanceId": instance_id, "InstanceType": {"Value": new_type}})
    elif member == "UserData":
        if state != "stopped":
            raise not_stopped(instance_id)
        raw = value.get("Value") or b""
        raw = raw.encode() if isinstance(raw, str) else bytes(raw)
        if len(raw) > MAX_USER_DATA:
            raise invalid_parameter_value(f"User data is limited to {MAX_USER_DATA} bytes.")
        changes["user_data"] = base64.b64encode(raw).decode("ascii") if raw else None
        await _forward_modify(ctx, {"InstanceId": instance_id, "UserData": {"Value": raw}})
    elif member == "InstanceInitiatedShutdownBehavior":
        behavior = value.get("Value")
        if behavior not in ("stop", "terminate"):
            raise invalid_parameter_value(
                f"Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid."
            )
        changes["instance_initiated_shutdown_behavior"] = behavior
    elif member == "Groups":
        groups = list(value)
        if not groups:
            raise missing_parameter("GroupId")
        primary = next(
            (e for e in await network_interfaces.interfaces_of_instance(ctx, instance_id)
             if int(e.get("device_index") or 0) == 0), None,
        )
        vpc_id = str((primary or record).get("vpc_id") or "")
        resolved, names = await network_interfaces.resolve_groups(ctx, vpc_id, groups)
        if primary is not None:
            await resources.mutate(
                ctx, ENI, str(primary["network_interface_id"]),
                lambda r: {**r, "security_group_ids": resolved, "security_group_names": names},
            )
        changes["security_group_ids"] = resolved
    elif member == "BlockDeviceMappings":
        await _modify_block_devices(ctx, instance_id, value)
    elif member == "SriovNetSupport":
        if state != "stopped":
            raise not_stopped(instance_id)
        if value.get("Value") != "simple":
            raise invalid_parameter_value("Value for parameter sriovNetSupport is invalid. Valid value: simple")
        changes["sriov_net_support"] = "simple"
    else:  # Kernel, Ramdisk
        raise AwsError(
            "UnsupportedOperation",
            f"The {_MODIFY_MEMBERS[member]} attribute is not supported for HVM instances.",
        )
    if changes:
        await resources.mutate(ctx, INSTANCE, instance_id, lambda r: {**r, **changes})
    return None


async def _forward_modify(ctx: RequestContext, modify: Record) -> None:
    """Tell the daemons (``ec2.ModifyInstanceAttribute``); no daemon knows it → nothing to do."""
    client = daemon_client(ctx)
    if client is None:
        return
    try:
        await client.modify_stopped(ctx.account_id, modify)
    except (NoRespondersError, RequestTimeoutError):
        return
    except contract.DaemonError as exc:
        if exc.code not in ("InvalidInstanceID.NotFound",):
            raise _daemon_error(exc, instance_id=str(modify["InstanceId"])) from exc


async def _modify_block_devices(ctx: RequestContext, instance_id: str, mappings: Sequence[Mapping[str, Any]]) -> None:
    """``DeleteOnTermination`` of attached volumes (the attachment lives in the volume record)."""
    view = await gather_context(ctx, [await get_instance(ctx, instance_id, sync=False)])
    attached = {str(a["Device"]): a for a in view.volumes.get(instance_id, [])}
    for mapping in mappings:
        device = str(mapping.get("DeviceName") or "")
        ebs = mapping.get("Ebs") or {}
        attachment = attached.get(device)
        if attachment is None:
            raise AwsError(
                "InvalidInstanceAttributeValue",
                f"No device is currently mapped at {device}",
            )
        if ebs.get("DeleteOnTermination") is None:
            continue
        flag = bool(ebs["DeleteOnTermination"])

        def change(record: Record, device: str = device, flag: bool = flag) -> Record:
            for item in record.get("attachments") or []:
                if item.get("instance_id") == instance_id and item.get("device") == device:
                    item["delete_on_termination"] = flag
            return record

        await resources.mutate(ctx, KINDS["volume"], str(attachment["VolumeId"]), change)


# --- credit specifications and metadata options ---------------------------------------------------------


CREDIT_FILTERS: FilterSpec[Record] = FilterSpec(fields={"instance-id": lambda c: c["InstanceId"]})


@action("DescribeInstanceCreditSpecifications")
async def describe_instance_credit_specifications(ctx: RequestContext, params: Params) -> Result:
    """CPU credit option of burstable instances (t2 ``standard``, t3/t3a/t4g ``unlimited`` unless set)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    records = await current_records(ctx)
    if wanted:
        resources.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in records})
        records = [r for r in records if r["instance_id"] in set(wanted)]
        for record in records:
            if not instance_types.is_burstable(str(record.get("instance_type"))):
                raise AwsError(
                    "UnsupportedOperation",
                    f"The instance '{record['instance_id']}' is not a burstable performance instance.",
                )
    items = [
        {"InstanceId": r["instance_id"], "CpuCredits": r.get("credit_specification")
         or instance_types.default_credits(str(r.get("instance_type"))) or "standard"}
        for r in records
        if instance_types.is_burstable(str(r.get("instance_type"))) and _state(r) != "terminated"
    ]
    items = apply_filters(CREDIT_FILTERS, params.get("Filters"), items)
    page = paginate(items, params, key=lambda c: str(c["InstanceId"]),
                    ids_param="InstanceIds", ids_wire_name="instanceId")
    return {"InstanceCreditSpecifications": page.items, **page.token_member()}


@action("ModifyInstanceCreditSpecification")
async def modify_instance_credit_specification(ctx: RequestContext, params: Params) -> Result:
    """Switch instances between ``standard`` and ``unlimited``; failures per instance."""
    successful, unsuccessful = [], []
    for spec in params["InstanceCreditSpecifications"]:
        instance_id = str(spec.get("InstanceId") or "")
        credits = spec.get("CpuCredits")

        def failed(code: str, message: str, instance_id: str = instance_id) -> None:
            unsuccessful.append({"InstanceId": instance_id, "Error": {"Code": code, "Message": message}})

        record = await resources.find(ctx, INSTANCE, instance_id) if instance_id.startswith("i-") else None
        if record is None or _state(record) == "terminated":
            failed("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
        elif not instance_types.is_burstable(str(record.get("instance_type"))):
            failed("InvalidInstanceType", f"The instance '{instance_id}' is not a burstable performance instance.")
        elif credits not in ("standard", "unlimited"):
            failed("InvalidParameterValue", f"Value ({credits}) for parameter CpuCredits is invalid.")
        else:
            chosen = str(credits)

            def switch(record: Record, chosen: str = chosen) -> Record:
                return {**record, "credit_specification": chosen}

            await resources.mutate(ctx, INSTANCE, instance_id, switch)
            successful.append({"InstanceId": instance_id})
    return {
        "SuccessfulInstanceCreditSpecifications": successful,
        "UnsuccessfulInstanceCreditSpecifications": unsuccessful,
    }


@action("ModifyInstanceMetadataOptions")
async def modify_instance_metadata_options(ctx: RequestContext, params: Params) -> Result:
    """New metadata options; ``State`` is ``pending`` for a moment, then ``applied``."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    if _state(record) in ("terminated", "shutting-down"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    hop = params.get("HttpPutResponseHopLimit")
    if hop is not None and not 1 <= int(hop) <= 64:
        raise invalid_parameter_value(
            f"Value ({hop}) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64."
        )
    applied_at = _stamp(_now() + timedelta(seconds=TIMINGS["metadata-apply"]))

    def change(current: Record) -> Record:
        options = dict(current.get("metadata_options") or {})
        for member, field_name in (
            ("HttpTokens", "http_tokens"), ("HttpEndpoint", "http_endpoint"),
            ("HttpProtocolIpv6", "http_protocol_ipv6"), ("InstanceMetadataTags", "instance_metadata_tags"),
        ):
            if params.get(member) is not None:
                options[field_name] = params[member]
        if hop is not None:
            options["http_put_response_hop_limit"] = int(hop)
        options["applied_at"] = applied_at
        return {**current, "metadata_options": options}

    updated = await resources.mutate(ctx, INSTANCE, instance_id, change)
    assert updated is not None
    return {"InstanceId": instance_id, "InstanceMetadataOptions": metadata_options_api(updated)}


# --- instance types --------------------------------------------------------------------------------------


TYPE_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "auto-recovery-supported": lambda t: t["AutoRecoverySupported"],
        "bare-metal": lambda t: t["BareMetal"],
        "burstable-performance-supported": lambda t: t["BurstablePerformanceSupported"],
        "current-generation": lambda t: t["CurrentGeneration"],
        "dedicated-hosts-supported": lambda t: t["DedicatedHostsSupported"],
        "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("BaselineBandwidthInMbps"),
        "ebs-info.ebs-optimized-info.baseline-iops":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("BaselineIops"),
        "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("BaselineThroughputInMBps"),
        "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("MaximumBandwidthInMbps"),
        "ebs-info.ebs-optimized-info.maximum-iops":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("MaximumIops"),
        "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps":
            lambda t: (t["EbsInfo"].get("EbsOptimizedInfo") or {}).get("MaximumThroughputInMBps"),
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
        "network-info.encryption-in-transit-supported": lambda t: t["NetworkInfo"]["EncryptionInTransitSupported"],
        "network-info.ipv4-addresses-per-interface": lambda t: t["NetworkInfo"]["Ipv4AddressesPerInterface"],
        "network-info.ipv6-addresses-per-interface": lambda t: t["NetworkInfo"]["Ipv6AddressesPerInterface"],
        "network-info.ipv6-supported": lambda t: t["NetworkInfo"]["Ipv6Supported"],
        "network-info.maximum-network-cards": lambda t: t["NetworkInfo"]["MaximumNetworkCards"],
        "network-info.maximum-network-interfaces": lambda t: t["NetworkInfo"]["MaximumNetworkInterfaces"],
        "network-info.network-performance": lambda t: t["NetworkInfo"]["NetworkPerformance"],
        "nitro-enclaves-support": lambda t: t["NitroEnclavesSupport"],
        "nitro-tpm-support": lambda t: t["NitroTpmSupport"],
        "nitro-tpm-info.supported-versions": lambda t: (t.get("NitroTpmInfo") or {}).get("SupportedVersions"),
        "phc-support": lambda t: t["PhcSupport"],
        "placement-group-info.supported-strategies": lambda t: t["PlacementGroupInfo"]["SupportedStrategies"],
        "processor-info.supported-architecture": lambda t: t["ProcessorInfo"]["SupportedArchitectures"],
        "processor-info.sustained-clock-speed-in-ghz": lambda t: t["ProcessorInfo"]["SustainedClockSpeedInGhz"],
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
    """The catalogue (:mod:`hive_gateway.instance_types`); unknown names → ``InvalidInstanceType``."""
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
        locations = [ctx.runtime.settings.region]
    elif location_type == "availability-zone":
        locations = [z["ZoneName"] for z in _zones(ctx)]
    elif location_type == "availability-zone-id":
        locations = [z["ZoneId"] for z in _zones(ctx)]
    else:
        raise invalid_parameter_value(f"Value ({location_type}) for parameter locationType is invalid.")
    items = [
        {"InstanceType": name, "LocationType": location_type, "Location": location}
        for name in instance_types.INSTANCE_TYPES for location in locations
    ]
    items = apply_filters(OFFERING_FILTERS, params.get("Filters"), items)
    page = paginate(items, params, key=lambda o: f"{o['InstanceType']}|{o['Location']}")
    return {"InstanceTypeOfferings": page.items, **page.token_member()}


# --- console ---------------------------------------------------------------------------------------------------


@action("GetConsoleOutput")
async def get_console_output(ctx: RequestContext, params: Params) -> Result:
    """The serial console of the instance (base64), from the node running it."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id, sync=False)
    out: Record = {"InstanceId": instance_id, "Timestamp": _now()}
    client = daemon_client(ctx)
    if client is None or _state(record) == "terminated":
        return out
    try:
        reply = await client.console_output(ctx.account_id, instance_id)
    except (BusError, contract.DaemonError, contract.ContractError):
        return out
    if reply.get("Output"):
        out["Output"] = reply["Output"]
    if reply.get("Timestamp"):
        out["Timestamp"] = reply["Timestamp"]
    return out


__all__ = [
    "TIMINGS",
    "current_records",
    "daemon_client",
    "finalize_termination",
    "get_instance",
    "instance_to_api",
    "state_api",
    "sync_states",
    "validate_run",
]
