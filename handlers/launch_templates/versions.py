"""CreateLaunchTemplateVersion, DeleteLaunchTemplateVersions, DescribeLaunchTemplateVersions."""

from __future__ import annotations

from typing import Any, Final

from handlers.launch_templates.rules import (
    DEFAULT,
    LATEST,
    stored_data,
    version_number,
)
from handlers.launch_templates.store import LAUNCH_TEMPLATE, resolve
from handlers.launch_templates.views import VERSION_FILTERS, version_to_api
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.filters import apply_filters
from hive_gateway.core.kinds import Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action

MAX_DELETE: Final = 200
"""Versions one DeleteLaunchTemplateVersions may name."""


@action("CreateLaunchTemplateVersion")
async def create_launch_template_version(ctx: RequestContext, params: Params) -> Result:
    """The next version: ``LaunchTemplateData``, over ``SourceVersion``'s data when given."""
    template = await resolve(ctx, params)
    data = stored_data(params.get("LaunchTemplateData"))
    source = params.get("SourceVersion")
    number = 0

    def change(current: Record) -> Record:
        nonlocal number
        base: Record = {}
        if source is not None:
            base = dict(current["versions"][str(version_number(current, str(source)))]["data"])
        number = int(current["next_version"])
        version = {
            "version_number": number,
            "description": params.get("VersionDescription"),
            "data": {**base, **data},
            "created_at": clock.utc_now(),
        }
        return {
            **current,
            "versions": {**current["versions"], str(number): version},
            "latest_version": number,
            "next_version": number + 1,
        }

    updated = await records.mutate(
        ctx, LAUNCH_TEMPLATE, str(template["launch_template_id"]), change
    )
    assert updated is not None
    return {"LaunchTemplateVersion": version_to_api(ctx, updated, number)}


def _error_item(template: Record, version: str, code: str, message: str) -> Record:
    item: Record = {
        "LaunchTemplateId": template["launch_template_id"],
        "LaunchTemplateName": template["launch_template_name"],
        "ResponseError": {"Code": code, "Message": message},
    }
    if version.isdigit():
        item["VersionNumber"] = int(version)
    return item


@action("DeleteLaunchTemplateVersions")
async def delete_launch_template_versions(ctx: RequestContext, params: Params) -> Result:
    """Delete versions one by one: each is reported deleted or not (the default one stays)."""
    template = await resolve(ctx, params)
    wanted = [str(v) for v in params.get("Versions") or []]
    if len(wanted) > MAX_DELETE:
        raise invalid_parameter_value(
            f"You can specify a maximum of {MAX_DELETE} launch template versions per request."
        )
    deleted: list[Record] = []
    failed: list[Record] = []

    def change(current: Record) -> Record:
        deleted.clear()
        failed.clear()
        versions = dict(current["versions"])
        for version in wanted:
            if not version.isdigit() or version.lstrip("0") not in versions:
                failed.append(
                    _error_item(
                        current,
                        version,
                        "launchTemplateVersionDoesNotExist",
                        "The specified launch template version does not exist.",
                    )
                )
                continue
            key = version.lstrip("0")
            if int(key) == int(current["default_version"]):
                failed.append(
                    _error_item(
                        current,
                        key,
                        "unexpectedError",
                        "Cannot delete the default version of a launch template.",
                    )
                )
                continue
            del versions[key]
            deleted.append(
                {
                    "LaunchTemplateId": current["launch_template_id"],
                    "LaunchTemplateName": current["launch_template_name"],
                    "VersionNumber": int(key),
                }
            )
        return {**current, "versions": versions, "latest_version": max(map(int, versions))}

    await records.mutate(ctx, LAUNCH_TEMPLATE, str(template["launch_template_id"]), change)
    return {
        "SuccessfullyDeletedLaunchTemplateVersions": deleted,
        "UnsuccessfullyDeletedLaunchTemplateVersions": failed,
    }


def _bound(params: Params, member: str) -> int | None:
    value = params.get(member)
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise invalid_parameter_value(f"The value '{value}' for parameter {member} is invalid.")
    return int(text)


def _selected(template: Record, params: Params) -> list[int]:
    """The version numbers of ``template`` the request asks for."""
    wanted = params.get("Versions") or []
    if wanted:
        return sorted({version_number(template, str(v)) for v in wanted}, reverse=True)
    low, high = _bound(params, "MinVersion"), _bound(params, "MaxVersion")
    return sorted(
        (
            n
            for n in map(int, template["versions"])
            if (low is None or n >= low) and (high is None or n <= high)
        ),
        reverse=True,
    )


def _aliases_only(params: Params) -> list[Any]:
    wanted = list(params.get("Versions") or [])
    if any(v not in (LATEST, DEFAULT) for v in wanted):
        raise AwsError(
            "InvalidParameterCombination",
            "To describe versions of all launch templates, specify only $Latest or $Default "
            "versions; to describe specific versions, specify a launch template.",
        )
    return wanted


def _page_key(version: Record) -> str:
    """Templates by id, each one's versions newest first."""
    return f"{version['LaunchTemplateId']}.{10**9 - int(version['VersionNumber']):010d}"


@action("DescribeLaunchTemplateVersions")
async def describe_launch_template_versions(ctx: RequestContext, params: Params) -> Result:
    """Versions of one template (numbers, ``$Latest``, ``$Default``, Min/MaxVersion), or the
    ``$Latest``/``$Default`` versions of every template; filters; pages (newest first)."""
    if params.get("LaunchTemplateId") or params.get("LaunchTemplateName"):
        template = await resolve(ctx, params)
        items = [version_to_api(ctx, template, n) for n in _selected(template, params)]
    else:
        aliases = _aliases_only(params)
        items = []
        for template in await records.where(ctx, LAUNCH_TEMPLATE):
            numbers = (
                sorted({version_number(template, a) for a in aliases}, reverse=True)
                if aliases
                else _selected(template, params)
            )
            items += [version_to_api(ctx, template, n) for n in numbers]
    filtered = apply_filters(VERSION_FILTERS, params.get("Filters"), items)
    page = paginate(filtered, params, key=_page_key)
    return {"LaunchTemplateVersions": page.items, **page.token_member()}
