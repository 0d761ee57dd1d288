"""Pure launch-template rules: names, version selectors, stored ↔ API data."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from hive_gateway.core import clock
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.kinds import Record

NAME: Final = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")
LATEST: Final = "$Latest"
DEFAULT: Final = "$Default"
TIMESTAMPS: Final = (("InstanceMarketOptions", "SpotOptions", "ValidUntil"),)
"""Paths of the timestamp members of ``LaunchTemplateData`` (stored as text)."""


def check_name(name: str) -> None:
    """``InvalidLaunchTemplateName.MalformedException`` for a name AWS would refuse."""
    if not NAME.match(name):
        raise AwsError(
            "InvalidLaunchTemplateName.MalformedException",
            "A launch template name must be between 3 and 128 characters, and may contain "
            "letters, numbers, and the following characters: - ( ) . / _.'",
        )


def name_not_found(name: str) -> AwsError:
    """An unknown launch template name (for this account)."""
    return AwsError(
        "InvalidLaunchTemplateName.NotFoundException",
        f"The specified launch template, with template name {name}, does not exist.",
    )


def name_taken(name: str) -> AwsError:
    """A name another launch template of the account has."""
    return AwsError(
        "InvalidLaunchTemplateName.AlreadyExistsException",
        f"Launch template name already in use: {name}",
    )


def version_not_found(template_id: str, version: str) -> AwsError:
    """A version the template does not have."""
    return AwsError(
        "InvalidLaunchTemplateId.VersionNotFound",
        f"Could not find launch template version {version} for launch template ID {template_id}",
    )


def version_number(template: Record, selector: str | int | None) -> int:
    """The version ``selector`` names: ``$Latest``, ``$Default`` (also ``None``) or a number."""
    template_id = str(template["launch_template_id"])
    if selector is None or selector == DEFAULT:
        return int(template["default_version"])
    if selector == LATEST:
        return int(template["latest_version"])
    text = str(selector).strip()
    if not text.isdigit():
        raise invalid_parameter_value(
            f"The version '{selector}' is invalid. Specify a version number, $Latest or $Default."
        )
    if text not in template["versions"]:
        raise version_not_found(template_id, text)
    return int(text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.stamp(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def stored_data(data: Mapping[str, Any] | None) -> Record:
    """``LaunchTemplateData`` as stored (JSON: timestamps become RFC 3339 text)."""
    stored = _jsonable(dict(data or {}))
    assert isinstance(stored, dict)
    return stored


def api_data(stored: Mapping[str, Any]) -> Record:
    """Stored data in the ``ResponseLaunchTemplateData`` shape (request and response shapes
    share their members; the metadata options gain their ``State``)."""
    data: Record = copy.deepcopy(dict(stored))
    for path in TIMESTAMPS:
        parent: Any = data
        for member in path[:-1]:
            parent = parent.get(member) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), str):
            parent[path[-1]] = clock.parse_time(parent[path[-1]])
    if isinstance(data.get("MetadataOptions"), dict):
        data["MetadataOptions"] = {"State": "applied", **data["MetadataOptions"]}
    return data
