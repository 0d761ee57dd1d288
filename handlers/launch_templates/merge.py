"""RunInstances from a launch template: the version's data under the request's own parameters.

AWS: parameters given in the request override the template's; structures (``Placement``,
``MetadataOptions`` …) are overridden member by member, tag specifications tag by tag per
resource type. A request ``SubnetId``/``SecurityGroupIds`` applies to the template's primary
network interface when the template defines interfaces, and request ``NetworkInterfaces``
replace the template's (and its ``SecurityGroupIds``). Instances are tagged
``aws:ec2launchtemplate:id`` and ``aws:ec2launchtemplate:version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.launch_templates.rules import api_data, version_number
from handlers.launch_templates.store import resolve
from hive_gateway.core.context import RequestContext
from hive_gateway.core.kinds import Record

RENAMED: Final = {"RamDiskId": "RamdiskId"}
"""``LaunchTemplateData`` members spelled differently in RunInstances."""
NOT_LAUNCHED: Final = frozenset({"ElasticGpuSpecifications", "InstanceRequirements"})
"""Template members RunInstances has no counterpart for (ignored, as for a fleet-only field)."""
TAG_ID: Final = "aws:ec2launchtemplate:id"
TAG_VERSION: Final = "aws:ec2launchtemplate:version"


def _tag_specifications(template: Any, request: Any) -> list[Record]:
    merged: dict[str, dict[str, str]] = {}
    for spec in [*(template or []), *(request or [])]:
        tags = merged.setdefault(str(spec.get("ResourceType") or ""), {})
        for tag in spec.get("Tags") or []:
            tags[str(tag.get("Key") or "")] = str(tag.get("Value") or "")
    return [
        {"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        for kind, tags in merged.items()
    ]


def _interfaces(data: Record, request: Mapping[str, Any]) -> None:
    """Fold the request's subnet and groups into the template's interfaces (in place)."""
    if request.get("NetworkInterfaces"):
        data.pop("NetworkInterfaces", None)
        data.pop("SecurityGroupIds", None)
        data.pop("SecurityGroups", None)
        return
    interfaces = data.get("NetworkInterfaces")
    if not interfaces:
        return
    primary = next((n for n in interfaces if int(n.get("DeviceIndex") or 0) == 0), None)
    if primary is None:
        return
    if request.get("SubnetId"):
        primary["SubnetId"] = request["SubnetId"]
    if request.get("SecurityGroupIds"):
        primary["Groups"] = list(request["SecurityGroupIds"])
    if request.get("PrivateIpAddress"):
        primary["PrivateIpAddress"] = request["PrivateIpAddress"]


def merge(data: Mapping[str, Any], request: Mapping[str, Any]) -> Record:
    """The RunInstances parameters ``request`` amounts to over template ``data``."""
    base: Record = {
        RENAMED.get(k, k): v for k, v in api_data(data).items() if k not in NOT_LAUNCHED
    }
    if isinstance(base.get("MetadataOptions"), dict):
        base["MetadataOptions"].pop("State", None)
    _interfaces(base, request)
    merged: Record = {**base}
    for key, value in request.items():
        if key == "LaunchTemplate":
            continue
        if key == "TagSpecifications":
            merged[key] = _tag_specifications(base.get(key), value)
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = {**base[key], **value}
        elif key in ("SubnetId", "SecurityGroupIds", "PrivateIpAddress") and base.get(
            "NetworkInterfaces"
        ):
            continue  # folded into the primary interface above
        else:
            merged[key] = value
    return merged


async def from_launch_template(
    ctx: RequestContext, request: Mapping[str, Any]
) -> tuple[Record, dict[str, str]]:
    """The merged RunInstances parameters and the tags instances get from the template."""
    spec = request["LaunchTemplate"]
    template = await resolve(ctx, spec)
    number = version_number(template, spec.get("Version"))
    data = template["versions"][str(number)]["data"]
    tags = {TAG_ID: str(template["launch_template_id"]), TAG_VERSION: str(number)}
    return merge(data, request), tags
