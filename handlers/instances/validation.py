"""RunInstances validation: every rule that does not depend on capacity."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from handlers import ebs, key_pairs, placement_groups
from handlers.instances.constants import DEFAULT_INSTANCE_TYPE, MAX_USER_DATA, TAGGABLE
from handlers.instances.launch_network import plan_interfaces
from handlers.instances.launch_volumes import plan_volumes
from handlers.instances.plans import RunPlan
from handlers.instances.record_defaults import build_record_defaults
from handlers.instances.runtime import served_zones
from handlers.instances.spot import market_options
from handlers.launch_templates import merge as launch_templates
from hive_gateway.catalogue import instance_types
from hive_gateway.core import idempotency
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.registry import Params
from hive_gateway.core.tagging import tags_from_specifications


def fingerprint_of(params: Mapping[str, Any]) -> str:
    """A digest of the request parameters (ClientToken idempotency)."""
    return idempotency.fingerprint(params)


def _check_user_data(user_data: str | None) -> None:
    if user_data is None:
        return
    try:
        raw = base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_parameter_value("Invalid BASE64 encoding of user data.") from None
    if len(raw) > MAX_USER_DATA:
        raise invalid_parameter_value(f"User data is limited to {MAX_USER_DATA} bytes.")


async def validate_run(ctx: RequestContext, params: Params) -> RunPlan:
    """Every RunInstances rule that does not depend on capacity."""
    fingerprint = fingerprint_of(params)  # of the request as sent (ClientToken retries)
    template_tags: dict[str, str] = {}
    if params.get("LaunchTemplate"):
        params, template_tags = await launch_templates.from_launch_template(ctx, params)
    image_id = params.get("ImageId")
    if not image_id:
        raise missing_parameter("ImageId")
    min_count, max_count = int(params["MinCount"]), int(params["MaxCount"])
    if min_count < 1:
        raise invalid_parameter_value(
            f"Value ({min_count}) for parameter minCount is invalid. Expected a positive integer."
        )
    if max_count < 1:
        raise invalid_parameter_value(
            f"Value ({max_count}) for parameter maxCount is invalid. Expected a positive integer."
        )
    if min_count > max_count:
        raise invalid_parameter_value(
            f"Value ({min_count}) for parameter minCount is invalid. Must be less than or equal to maxCount ({max_count})."
        )
    instance_type = str(params.get("InstanceType") or DEFAULT_INSTANCE_TYPE)
    if not instance_types.exists(instance_type):
        raise invalid_parameter_value(f"Invalid value '{instance_type}' for InstanceType.")
    image = await ebs.get_image(ctx, str(image_id), for_launch=True)
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
    if zone and zone not in {z["ZoneName"] for z in served_zones(ctx)}:
        raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")
    subnet, interfaces = await plan_interfaces(ctx, params, zone)
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
            found = [
                g
                for g in await placement_groups.list_placement_groups(ctx)
                if g.get("group_id") == placement["GroupId"]
            ]
            if not found:
                raise AwsError(
                    "InvalidPlacementGroup.Unknown",
                    f"The Placement Group '{placement['GroupId']}' is unknown.",
                )
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
    taggable = (
        (*TAGGABLE, "spot-instances-request") if params.get("InstanceMarketOptions") else TAGGABLE
    )
    tags = tags_from_specifications(params, "instance", allowed=taggable) | template_tags
    volume_tags = tags_from_specifications(params, "volume", allowed=taggable)
    interface_tags = tags_from_specifications(params, "network-interface", allowed=taggable)
    spot_options = market_options(params, instance_type, zone)
    root, volume_plans = plan_volumes(params, image)
    for plan in volume_plans:  # the CreateVolume rules, checked before anything is created
        await ebs.build_spec(
            ctx,
            availability_zone=zone,
            size=plan.size,
            volume_type=plan.volume_type,
            snapshot_id=plan.snapshot_id,
            encrypted=plan.encrypted,
            kms_key_id=None,
            iops=plan.iops,
            throughput=plan.throughput,
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
    defaults = build_record_defaults(params, image, instance_type, subnet)
    return RunPlan(
        params=params,
        image=image,
        instance_type=instance_type,
        min_count=min_count,
        max_count=max_count,
        zone=zone,
        subnet=subnet,
        interfaces=interfaces,
        volumes=volume_plans,
        root_device=root,
        placement_group=group,
        tenancy=tenancy,
        tags=tags,
        volume_tags=volume_tags,
        interface_tags=interface_tags,
        fingerprint=fingerprint,
        spot_options=spot_options,
        record_defaults=defaults,
    )
