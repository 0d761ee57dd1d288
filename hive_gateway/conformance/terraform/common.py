"""Request-building and flattening helpers every resource module shares: the provider's filter
lists, tag specifications and tag updates (``tags_interceptor.go``), ARNs, and the lingering-ENI
sweep that precedes subnet and security group deletes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hive_gateway.conformance.runner import Harness
from hive_gateway.conformance.terraform.config import Obj


def attribute_filters(values: Mapping[str, str]) -> list[Obj]:
    """``newAttributeFilterList``: names sorted, filters with an empty value dropped."""
    return [{"Name": name, "Values": [values[name]]} for name in sorted(values) if values[name]]


def tag_filters(tags: Mapping[str, str]) -> list[Obj]:
    """``newTagFilterList``: one ``tag:<Key>`` filter per tag (sorted here for determinism)."""
    return [{"Name": f"tag:{key}", "Values": [tags[key]]} for key in sorted(tags)]


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> Obj:
    """``getTagSpecificationsIn``: the parameter is omitted entirely when there are no tags."""
    if not tags:
        return {}
    return {
        "TagSpecifications": [
            {
                "ResourceType": resource_type,
                "Tags": [{"Key": key, "Value": tags[key]} for key in sorted(tags)],
            }
        ]
    }


def tags_out(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``setTagsOut`` through the interceptor: ``aws:*`` keys dropped."""
    return {
        str(t["Key"]): str(t.get("Value", ""))
        for t in tags or ()
        if not str(t["Key"]).startswith("aws:")
    }


def update_tags(
    h: Harness, resource_id: str, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    """``updateTags``: ``DeleteTags`` of removed keys *with their old values*, then ``CreateTags``
    of added and changed keys; no call when nothing changed."""
    removed = {k: v for k, v in old.items() if k not in new}
    if removed:
        h.call(
            "DeleteTags",
            Resources=[resource_id],
            Tags=[{"Key": k, "Value": removed[k]} for k in sorted(removed)],
        )
    updated = {k: v for k, v in new.items() if old.get(k) != v}
    if updated:
        h.call(
            "CreateTags",
            Resources=[resource_id],
            Tags=[{"Key": k, "Value": updated[k]} for k in sorted(updated)],
        )


def region_of(h: Harness) -> str:
    """The region the client signs for (the provider's ``meta.Region``)."""
    return str(h.client.meta.region_name)


def arn_of(h: Harness, owner: str, resource: str) -> str:
    """``arn:aws:ec2:<region>:<owner>:<resource>``, as the provider builds it."""
    return f"arn:aws:ec2:{region_of(h)}:{owner}:{resource}"


def delete_lingering_enis(h: Harness, filter_name: str, value: str) -> None:
    """``deleteLingeringENIs``: only Lambda/Comprehend/DMS interfaces would be deleted."""
    interfaces = h.find_all(
        "DescribeNetworkInterfaces",
        "NetworkInterfaces",
        Filters=[{"Name": filter_name, "Values": [value]}],
    )
    for eni in interfaces:
        description = str(eni.get("Description", ""))
        requester = str(eni.get("RequesterId", ""))
        if (
            description.startswith("AWS Lambda VPC ENI")
            or requester.endswith(":Comprehend")
            or (description == "DMSNetworkInterface")
        ):
            h.call(
                "DeleteNetworkInterface",
                tolerate=("InvalidNetworkInterfaceID.NotFound",),
                NetworkInterfaceId=eni["NetworkInterfaceId"],
            )
