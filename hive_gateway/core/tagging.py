"""The one tag store: every taggable record keeps its tags in its own ``tags`` map.

``TagSpecifications`` on create, ``CreateTags``/``DeleteTags`` afterwards, every ``Describe*``
and ``DescribeTags`` all read and write that one map, so a tag set either way shows up
everywhere (Hive keeps two stores that disagree, which makes Terraform plan a change forever).

AWS rules reproduced: at most 50 tags per resource (``TagLimitExceeded``); keys 1–128 and
values 0–256 characters; keys starting with ``aws:`` are reserved; a TagSpecification's
``ResourceType`` must be one the action creates::

    CreateVpc … TagSpecification.1.ResourceType=subnet&TagSpecification.1.Tag.1.Key=Name
    → InvalidParameterValue: 'subnet' is not a valid taggable resource type for this operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from hive_gateway.core.errors import AwsError, invalid_parameter_value

MAX_TAGS: Final = 50
MAX_KEY_LENGTH: Final = 128
MAX_VALUE_LENGTH: Final = 256


def tag_limit_exceeded() -> AwsError:
    """More than :data:`MAX_TAGS` tags on one resource."""
    return AwsError(
        "TagLimitExceeded",
        f"The maximum number of Tags for a resource has been reached ({MAX_TAGS}).",
    )


def check_tag(key: str, value: str) -> None:
    """Validate one tag as AWS does for user-supplied tags."""
    if not key:
        raise invalid_parameter_value("Tag key cannot be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise invalid_parameter_value(
            f"Tag key exceeds the maximum length of {MAX_KEY_LENGTH} characters"
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise invalid_parameter_value(
            f"Tag value exceeds the maximum length of {MAX_VALUE_LENGTH} characters"
        )
    if key.lower().startswith("aws:"):
        raise invalid_parameter_value("Tag keys starting with 'aws:' are reserved for internal use")


def tags_from_list(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` from a request → a validated ``{k: v}`` map."""
    result: dict[str, str] = {}
    for tag in tags or ():
        key = str(tag.get("Key") or "")
        value = str(tag.get("Value") or "")
        check_tag(key, value)
        result[key] = value
    if len(result) > MAX_TAGS:
        raise tag_limit_exceeded()
    return result


def tags_from_specifications(
    params: Mapping[str, Any], resource_type: str, *, allowed: Sequence[str] | None = None
) -> dict[str, str]:
    """The tags ``TagSpecifications`` give a new resource of ``resource_type``.

    ``allowed`` lists every resource type the action creates (default: just ``resource_type``);
    a specification naming another type is refused, as AWS does.
    """
    permitted = tuple(allowed) if allowed is not None else (resource_type,)
    tags: dict[str, str] = {}
    for spec in params.get("TagSpecifications") or ():
        kind = spec.get("ResourceType")
        if not kind:
            raise invalid_parameter_value("Tag specification resource type must have a value")
        if kind not in permitted:
            raise invalid_parameter_value(
                f"'{kind}' is not a valid taggable resource type for this operation."
            )
        if not spec.get("Tags"):
            raise invalid_parameter_value("Tag specification must have at least one tag")
        if kind == resource_type:
            tags.update(tags_from_list(spec["Tags"]))
    if len(tags) > MAX_TAGS:
        raise tag_limit_exceeded()
    return tags


def api_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    """A record's tags in API form, sorted by key for stable output."""
    tags = tags or {}
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def record_tags(record: Mapping[str, Any]) -> dict[str, str]:
    """A record's tag map (records without tags have none)."""
    tags = record.get("tags")
    return dict(tags) if isinstance(tags, Mapping) else {}
