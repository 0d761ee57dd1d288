"""CreateLaunchTemplate, ModifyLaunchTemplate, DeleteLaunchTemplate, DescribeLaunchTemplates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.launch_templates.rules import check_name, name_taken, stored_data, version_number
from handlers.launch_templates.store import LAUNCH_TEMPLATE, by_name, resolve
from handlers.launch_templates.views import TEMPLATE_FILTERS, created_by, template_to_api
from hive_gateway.core import claims, clock, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.describe import select_wanted
from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import apply_filters
from hive_gateway.core.kinds import Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications

NAMES = claims.LAUNCH_TEMPLATE_NAMES


async def _claim_name(ctx: RequestContext, name: str, template_id: str) -> None:
    """Take ``name`` for ``template_id``; a name whose template is gone is taken over."""

    async def held(current: Record) -> bool | None:
        holder = str(current.get("holder") or "")
        found = await records.find(ctx, LAUNCH_TEMPLATE, holder) if holder else None
        if found is not None:
            return found.get("launch_template_name") == name
        return None  # being created (or crashed): the claim's age decides

    claim = await claims.take(ctx, NAMES, name, template_id, held=held)
    if not claim.ours:
        raise name_taken(name)


@action("CreateLaunchTemplate")
async def create_launch_template(ctx: RequestContext, params: Params) -> Result:
    """Version 1 of a new template, its default and latest version."""
    name = str(params["LaunchTemplateName"])
    check_name(name)
    tags = tags_from_specifications(params, "launch-template")
    data = stored_data(params.get("LaunchTemplateData"))
    description = params.get("VersionDescription")
    token = params.get("ClientToken")

    async def create(template_id: str) -> Record:
        if await by_name(ctx, name) is not None:
            raise name_taken(name)
        await _claim_name(ctx, name, template_id)
        now = clock.utc_now()
        record: Record = {
            "launch_template_id": template_id,
            "launch_template_name": name,
            "account_id": ctx.account_id,
            "created_by": created_by(ctx),
            "default_version": 1,
            "latest_version": 1,
            "next_version": 2,
            "versions": {
                "1": {
                    "version_number": 1,
                    "description": description,
                    "data": data,
                    "created_at": now,
                }
            },
            "tags": tags,
            "created_at": now,
        }
        if token:
            record["client_token"] = str(token)
        try:
            return await records.create(ctx, LAUNCH_TEMPLATE, record)
        except BaseException:
            await claims.release(ctx, NAMES, name, template_id)
            raise

    async def existing(template_id: str) -> Record | None:
        return await records.find(ctx, LAUNCH_TEMPLATE, template_id)

    record = await idempotency.create_once(
        ctx, LAUNCH_TEMPLATE, str(token) if token else None, params, create, existing
    )
    return {"LaunchTemplate": template_to_api(ctx, record)}


@action("ModifyLaunchTemplate")
async def modify_launch_template(ctx: RequestContext, params: Params) -> Result:
    """Make ``DefaultVersion`` the template's default version."""
    template = await resolve(ctx, params)
    wanted = params.get("DefaultVersion")

    def change(current: Record) -> Record:
        if wanted is None:
            return current
        return {**current, "default_version": version_number(current, str(wanted))}

    updated = await records.mutate(
        ctx, LAUNCH_TEMPLATE, str(template["launch_template_id"]), change
    )
    assert updated is not None
    return {"LaunchTemplate": template_to_api(ctx, updated)}


@action("DeleteLaunchTemplate")
async def delete_launch_template(ctx: RequestContext, params: Params) -> Result:
    """Delete a template with every version; its name is free again."""
    template = await resolve(ctx, params)
    template_id = str(template["launch_template_id"])
    await records.mutate(ctx, LAUNCH_TEMPLATE, template_id, lambda _current: None)
    await claims.release(ctx, NAMES, str(template["launch_template_name"]), template_id)
    return {"LaunchTemplate": template_to_api(ctx, template)}


def _names_missing(absent: list[str]) -> AwsError:
    return AwsError(
        "InvalidLaunchTemplateName.NotFoundException",
        "At least one of the launch templates specified in the request does not exist.",
    )


def _ids_missing(absent: list[str]) -> AwsError:
    for template_id in absent:
        if not template_id.startswith("lt-"):
            return AwsError(
                "InvalidLaunchTemplateId.Malformed",
                f"The specified ID for the launch template ({template_id}) is malformed.",
            )
    return AwsError(
        "InvalidLaunchTemplateId.NotFound",
        "At least one of the launch templates specified in the request does not exist.",
    )


@action("DescribeLaunchTemplates")
async def describe_launch_templates(ctx: RequestContext, params: Params) -> Result:
    """The caller's templates by ids or names, filters, pages."""
    ids = list(params.get("LaunchTemplateIds") or [])
    names = list(params.get("LaunchTemplateNames") or [])
    selecting: Mapping[str, Any] = params
    if names:  # only templates with one of the names can answer
        filters = [
            {"Name": "launch-template-name", "Values": [str(n) for n in names]},
            *(params.get("Filters") or ()),
        ]
        selecting = {**params, "Filters": filters}
    stored = await describe.stored_records(
        ctx, LAUNCH_TEMPLATE, selecting, [str(i) for i in ids], TEMPLATE_FILTERS
    )
    items = [template_to_api(ctx, r) for r in stored]
    if ids and names:
        raise AwsError(
            "InvalidParameterCombination",
            "The parameter launchTemplateIds cannot be used with the parameter launchTemplateNames",
        )
    selected = select_wanted(items, ids, "LaunchTemplateId", _ids_missing)
    selected = select_wanted(selected, names, "LaunchTemplateName", _names_missing)
    filtered = apply_filters(TEMPLATE_FILTERS, params.get("Filters"), selected)
    page = paginate(
        filtered,
        {**params, "LaunchTemplateIds": ids or names},
        key=lambda t: str(t["LaunchTemplateId"]),
        ids_param="LaunchTemplateIds",
    )
    return {"LaunchTemplates": page.items, **page.token_member()}
