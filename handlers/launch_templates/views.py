"""Launch templates and their versions in the API shapes, with their filter tables."""

from __future__ import annotations

from typing import Final

from handlers.launch_templates.rules import api_data
from hive_gateway.core import clock
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.kinds import Record
from hive_gateway.core.tagging import api_tags, record_tags


def created_by(ctx: RequestContext) -> str:
    """``CreatedBy``: the caller's ARN (the account root for every key of an account)."""
    return f"arn:aws:iam::{ctx.account_id}:root"


def template_to_api(ctx: RequestContext, record: Record) -> Record:
    """A template record as a ``LaunchTemplate``."""
    return {
        "LaunchTemplateId": record["launch_template_id"],
        "LaunchTemplateName": record["launch_template_name"],
        "CreateTime": clock.parse_time(str(record["created_at"])),
        "CreatedBy": str(record.get("created_by") or created_by(ctx)),
        "DefaultVersionNumber": int(record["default_version"]),
        "LatestVersionNumber": int(record["latest_version"]),
        "Tags": api_tags(record_tags(record)),
    }


def version_to_api(ctx: RequestContext, record: Record, number: int) -> Record:
    """Version ``number`` of a template as a ``LaunchTemplateVersion``."""
    version = record["versions"][str(number)]
    out: Record = {
        "LaunchTemplateId": record["launch_template_id"],
        "LaunchTemplateName": record["launch_template_name"],
        "VersionNumber": number,
        "CreateTime": clock.parse_time(str(version["created_at"])),
        "CreatedBy": str(record.get("created_by") or created_by(ctx)),
        "DefaultVersion": number == int(record["default_version"]),
        "LaunchTemplateData": api_data(version["data"]),
    }
    if version.get("description") is not None:
        out["VersionDescription"] = version["description"]
    return out


TEMPLATE_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "create-time": lambda t: clock.filter_time(t["CreateTime"]),
        "launch-template-name": lambda t: t["LaunchTemplateName"],
    },
    tags=lambda t: {tag["Key"]: tag["Value"] for tag in t.get("Tags", [])},
    indexes={"launch-template-name": "launch_template_name"},
)


def _data(v: Record) -> Record:
    data = v.get("LaunchTemplateData")
    return data if isinstance(data, dict) else {}


def _member(v: Record, outer: str, inner: str) -> object:
    value = _data(v).get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def _interfaces(v: Record, member: str) -> list[object]:
    return [n.get(member) for n in _data(v).get("NetworkInterfaces") or [] if isinstance(n, dict)]


VERSION_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "create-time": lambda v: clock.filter_time(v["CreateTime"]),
        "ebs-optimized": lambda v: _data(v).get("EbsOptimized"),
        "http-endpoint": lambda v: _member(v, "MetadataOptions", "HttpEndpoint"),
        "http-protocol-ipv4": lambda v: _member(v, "MetadataOptions", "HttpProtocolIpv4"),
        "host-resource-group-arn": lambda v: _member(v, "Placement", "HostResourceGroupArn"),
        "http-tokens": lambda v: _member(v, "MetadataOptions", "HttpTokens"),
        "iam-instance-profile": lambda v: [
            _member(v, "IamInstanceProfile", "Arn"),
            _member(v, "IamInstanceProfile", "Name"),
        ],
        "image-id": lambda v: _data(v).get("ImageId"),
        "instance-type": lambda v: _data(v).get("InstanceType"),
        "is-default-version": lambda v: v["DefaultVersion"],
        "kernel-id": lambda v: _data(v).get("KernelId"),
        "license-configuration-arn": lambda v: [
            spec.get("LicenseConfigurationArn")
            for spec in _data(v).get("LicenseSpecifications") or []
            if isinstance(spec, dict)
        ],
        "network-card-index": lambda v: _interfaces(v, "NetworkCardIndex"),
        "ram-disk-id": lambda v: _data(v).get("RamDiskId"),
    },
)
