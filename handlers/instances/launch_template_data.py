"""GetLaunchTemplateData: an instance's configuration as ``LaunchTemplateData``.

AWS answers the parameters the instance was launched with, in the shape a launch template
stores (so ``CreateLaunchTemplate`` can take it as is): image, type, key, user data, network
interfaces with their subnets and groups, EBS block devices, placement, metadata and CPU
options, and the instance's own tags (``aws:`` tags left out).
"""

from __future__ import annotations

from handlers.instances.state import get_instance
from handlers.instances.views import gather_context, instance_to_api
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record
from hive_gateway.core.registry import Params, Result, action


def _interfaces(instance: Record) -> list[Record]:
    return [
        {
            "DeviceIndex": int(eni["Attachment"]["DeviceIndex"]),
            "SubnetId": eni["SubnetId"],
            "Groups": [g["GroupId"] for g in eni.get("Groups") or []],
            "DeleteOnTermination": bool(eni["Attachment"].get("DeleteOnTermination", True)),
            "Description": str(eni.get("Description") or ""),
            "AssociatePublicIpAddress": bool((eni.get("Association") or {}).get("PublicIp")),
        }
        for eni in instance.get("NetworkInterfaces") or []
    ]


def _block_devices(instance: Record, record: Record) -> list[Record]:
    return [
        {
            "DeviceName": mapping["DeviceName"],
            "Ebs": {"DeleteOnTermination": bool(mapping["Ebs"].get("DeleteOnTermination"))},
        }
        for mapping in instance.get("BlockDeviceMappings") or []
    ]


def launch_template_data(instance: Record, record: Record) -> Record:
    """The ``ResponseLaunchTemplateData`` of an instance (its API form and its record)."""
    data: Record = {
        "ImageId": instance["ImageId"],
        "InstanceType": instance["InstanceType"],
        "EbsOptimized": instance["EbsOptimized"],
        "Monitoring": {"Enabled": instance["Monitoring"]["State"] in ("enabled", "pending")},
        "Placement": {
            "AvailabilityZone": instance["Placement"]["AvailabilityZone"],
            "GroupName": instance["Placement"].get("GroupName", ""),
            "Tenancy": instance["Placement"]["Tenancy"],
        },
        "DisableApiTermination": bool(record.get("disable_api_termination", False)),
        "DisableApiStop": bool(record.get("disable_api_stop", False)),
        "InstanceInitiatedShutdownBehavior": record.get(
            "instance_initiated_shutdown_behavior", "stop"
        ),
        "NetworkInterfaces": _interfaces(instance),
        "BlockDeviceMappings": _block_devices(instance, record),
        "CpuOptions": instance["CpuOptions"],
        "CapacityReservationSpecification": instance["CapacityReservationSpecification"],
        "HibernationOptions": instance["HibernationOptions"],
        "MetadataOptions": {k: v for k, v in instance["MetadataOptions"].items() if k != "State"},
        "EnclaveOptions": instance["EnclaveOptions"],
        "MaintenanceOptions": instance["MaintenanceOptions"],
        "PrivateDnsNameOptions": {
            "HostnameType": instance["PrivateDnsNameOptions"]["HostnameType"],
            "EnableResourceNameDnsARecord": instance["PrivateDnsNameOptions"][
                "EnableResourceNameDnsARecord"
            ],
            "EnableResourceNameDnsAAAARecord": instance["PrivateDnsNameOptions"][
                "EnableResourceNameDnsAAAARecord"
            ],
        },
    }
    for member, key in (
        ("KeyName", "KeyName"),
        ("KernelId", "KernelId"),
        ("RamDiskId", "RamdiskId"),
    ):
        if instance.get(key):
            data[member] = instance[key]
    if record.get("user_data"):
        data["UserData"] = record["user_data"]
    if record.get("credit_specification"):
        data["CreditSpecification"] = {"CpuCredits": record["credit_specification"]}
    if instance.get("IamInstanceProfile"):
        data["IamInstanceProfile"] = {"Arn": instance["IamInstanceProfile"]["Arn"]}
    tags = [t for t in instance.get("Tags") or [] if not str(t["Key"]).startswith("aws:")]
    if tags:
        data["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tags}]
    return data


@action("GetLaunchTemplateData")
async def get_launch_template_data(ctx: RequestContext, params: Params) -> Result:
    """The configuration of ``InstanceId`` as launch template data."""
    record = await get_instance(ctx, str(params["InstanceId"]))
    instance = instance_to_api(ctx, record, await gather_context(ctx, [record]))
    return {"LaunchTemplateData": launch_template_data(instance, record)}
