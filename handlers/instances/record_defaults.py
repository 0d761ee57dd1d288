"""The attributes every instance of a RunInstances request starts with."""

from __future__ import annotations

import hashlib

from hive_gateway.catalogue import instance_types
from hive_gateway.core.errors import invalid_parameter_value
from hive_gateway.core.registry import Params
from hive_gateway.core.kinds import Record


def build_record_defaults(
    params: Params, image: Record, instance_type: str, subnet: Record
) -> Record:
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
    current_boot = (
        "uefi"
        if boot_mode == "uefi" or (boot_mode == "uefi-preferred" and supports_uefi)
        else "legacy-bios"
    )
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
        "architecture": "x86_64"
        if image.get("Architecture") in (None, "x86_64", "i386")
        else image["Architecture"],
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
        "hibernation_configured": bool(
            (params.get("HibernationOptions") or {}).get("Configured", False)
        ),
        "enclave_enabled": bool((params.get("EnclaveOptions") or {}).get("Enabled", False)),
        "maintenance_auto_recovery": (params.get("MaintenanceOptions") or {}).get("AutoRecovery")
        or "default",
        "private_dns_name_options": {
            "hostname_type": dns.get("HostnameType")
            or subnet.get("private_dns_hostname_type_on_launch")
            or "ip-name",
            "enable_resource_name_dns_a_record": bool(
                dns.get(
                    "EnableResourceNameDnsARecord",
                    subnet.get("enable_resource_name_dns_a_record_on_launch", False),
                )
            ),
            "enable_resource_name_dns_aaaa_record": bool(
                dns.get(
                    "EnableResourceNameDnsAAAARecord",
                    subnet.get("enable_resource_name_dns_aaaa_record_on_launch", False),
                )
            ),
        },
        "capacity_reservation_preference": (
            params.get("CapacityReservationSpecification") or {}
        ).get("CapacityReservationPreference")
        or "open",
        "capacity_reservation_target": (
            (params.get("CapacityReservationSpecification") or {}).get("CapacityReservationTarget")
            or {}
        ).get("CapacityReservationId"),
        "iam_instance_profile": (
            {
                "arn": profile.get("Arn")
                or f"arn:aws:iam::{'{account}'}:instance-profile/{profile.get('Name')}",
                "id": "AIPA" + hashlib.sha256(str(profile).encode()).hexdigest()[:17].upper(),
            }
            if profile
            else None
        ),
        "root_device_type": "ebs",
        "virtualization_type": "hvm",
        "boot_mode": boot_mode,
        "current_instance_boot_mode": current_boot,
        "kernel_id": params.get("KernelId") or image.get("KernelId"),
        "ramdisk_id": params.get("RamdiskId") or image.get("RamdiskId"),
        "platform_details": image.get("PlatformDetails") or "Linux/UNIX",
    }
