"""Rendering: instance records in the ``Instance`` and ``InstanceStatus`` API shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers import ebs, network_interfaces
from handlers.instances.constants import DEFAULT_INSTANCE_TYPE, ENI, SECURITY_GROUP
from handlers.instances.record_fields import parse_moment, state_name, utc_now
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.catalogue import instance_types
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags


def state_api(name: str) -> Record:
    """``{"Code": 16, "Name": "running"}``."""
    return {"Code": contract.STATE_CODES.get(name, 0), "Name": name}


@dataclass
class Context:
    """Everything a rendering of several instances needs, read once."""

    interfaces: dict[str, list[Record]] = field(default_factory=dict)
    volumes: dict[str, list[Record]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    subnets: dict[str, Record] = field(default_factory=dict)
    placement_group_ids: dict[str, str] = field(default_factory=dict)


async def gather_context(ctx: RequestContext, rows: Sequence[Record]) -> Context:
    """Interfaces, volumes, group names of the instances in ``rows``."""
    view = Context()
    wanted = {str(r["instance_id"]) for r in rows}
    attached = await records.any_of(ctx, ENI, "instance_id", sorted(wanted))
    if attached is None:  # no index (no read replica)
        attached = await records.list_records(ctx, ENI)
    for eni in attached:
        owner = eni.get("instance_id")
        if owner in wanted and eni.get("attachment_id"):
            view.interfaces.setdefault(str(owner), []).append(eni)
    for enis in view.interfaces.values():
        enis.sort(key=lambda r: int(r.get("device_index") or 0))
    at = clock.now()
    for record in await ebs.visible_volumes(ctx, at):
        api = ebs.volume_to_api(ctx, record, at)
        if api is None:
            continue
        for attachment in api.get("Attachments") or []:
            if attachment.get("InstanceId") in wanted:
                view.volumes.setdefault(str(attachment["InstanceId"]), []).append(
                    {"VolumeId": api["VolumeId"], **attachment}
                )
    group_ids = sorted({str(g) for r in rows for g in r.get("security_group_ids") or ()})
    for group in await records.find_many(ctx, SECURITY_GROUP, group_ids, live_only=False):
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
    state = (
        "applied" if not applied_at or parse_moment(applied_at) <= (at or utc_now()) else "pending"
    )
    return {
        "State": state,
        "HttpTokens": options.get("http_tokens", "optional"),
        "HttpPutResponseHopLimit": int(options.get("http_put_response_hop_limit", 1)),
        "HttpEndpoint": options.get("http_endpoint", "enabled"),
        "HttpProtocolIpv6": options.get("http_protocol_ipv6", "disabled"),
        "InstanceMetadataTags": options.get("instance_metadata_tags", "disabled"),
    }


def _capacity_specification(record: Mapping[str, Any]) -> Record:
    """A target when the instance was launched into one reservation, else the preference."""
    if record.get("capacity_reservation_target"):
        return {
            "CapacityReservationTarget": {
                "CapacityReservationId": record["capacity_reservation_target"]
            }
        }
    return {"CapacityReservationPreference": record.get("capacity_reservation_preference", "open")}


def instance_to_api(ctx: RequestContext, record: Mapping[str, Any], view: Context) -> Record:
    """An instance record in the ``Instance`` shape (every member the provider reads)."""
    from hive_gateway.core import ipam

    instance_id = str(record["instance_id"])
    state = state_name(record)
    instance_type = str(record.get("instance_type") or DEFAULT_INSTANCE_TYPE)
    launch = parse_moment(record.get("launch_time") or record.get("created_at"))
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
            "CoreCount": int(
                cpu.get("core_count") or (info[1].vcpus // info[0].threads_per_core if info else 1)
            ),
            "ThreadsPerCore": int(
                cpu.get("threads_per_core") or (info[0].threads_per_core if info else 1)
            ),
        },
        "CapacityReservationSpecification": _capacity_specification(record),
        "HibernationOptions": {"Configured": bool(record.get("hibernation_configured", False))},
        "MetadataOptions": metadata_options_api(record),
        "EnclaveOptions": {"Enabled": bool(record.get("enclave_enabled", False))},
        "PlatformDetails": record.get("platform_details", "Linux/UNIX"),
        "UsageOperation": "RunInstances",
        "UsageOperationUpdateTime": launch,
        "PrivateDnsNameOptions": {
            "HostnameType": dns_options.get("hostname_type", "ip-name"),
            "EnableResourceNameDnsARecord": bool(
                dns_options.get("enable_resource_name_dns_a_record", False)
            ),
            "EnableResourceNameDnsAAAARecord": bool(
                dns_options.get("enable_resource_name_dns_aaaa_record", False)
            ),
        },
        "MaintenanceOptions": {"AutoRecovery": record.get("maintenance_auto_recovery", "default")},
        "CurrentInstanceBootMode": record.get("current_instance_boot_mode", "legacy-bios"),
    }
    if record.get("placement_group_id"):
        out["Placement"]["GroupId"] = record["placement_group_id"]
    if record.get("capacity_reservation_id"):
        out["CapacityReservationId"] = record["capacity_reservation_id"]
    if record.get("instance_lifecycle"):
        out["InstanceLifecycle"] = record["instance_lifecycle"]
    if record.get("spot_instance_request_id"):
        out["SpotInstanceRequestId"] = record["spot_instance_request_id"]
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
            "Code": record["state_reason"]["code"],
            "Message": record["state_reason"]["message"],
        }
    if state == "terminated":
        return out
    interfaces = view.interfaces.get(instance_id, [])
    out["NetworkInterfaces"] = [
        network_interfaces.instance_interface_to_api(ctx, eni) for eni in interfaces
    ]
    out["BlockDeviceMappings"] = _block_devices(view.volumes.get(instance_id, []))
    primary = next(
        (
            n
            for n in out["NetworkInterfaces"]
            if (n.get("Attachment") or {}).get("DeviceIndex") == 0
        ),
        None,
    )
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
            {"GroupId": g["GroupId"], "GroupName": g["GroupName"]}
            for g in primary.get("Groups") or []
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


def _status_summary(ctx: RequestContext, state: str, since: datetime, at: datetime) -> Record:
    if state != "running":
        return {"Status": "not-applicable"}
    initializing = at - since < clock.seconds(ctx, "status-initializing")
    return {
        "Status": "initializing" if initializing else "ok",
        "Details": [
            {"Name": "reachability", "Status": "initializing" if initializing else "passed"}
        ],
    }


def status_to_api(ctx: RequestContext, record: Mapping[str, Any], at: datetime) -> Record:
    """An ``InstanceStatus`` item."""
    state = state_name(record)
    since = parse_moment(record.get("state_changed_at") or record.get("launch_time"), at)
    summary = _status_summary(ctx, state, since, at)
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
