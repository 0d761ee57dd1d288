"""Finding the caller's launch templates by id or name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers.launch_templates.rules import name_not_found
from hive_gateway.core import records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, missing_parameter
from hive_gateway.core.kinds import KINDS, Record

LAUNCH_TEMPLATE: Final = KINDS["launch-template"]


def malformed_id(template_id: str) -> AwsError:
    """An id that cannot be a launch template's."""
    return AwsError(
        "InvalidLaunchTemplateId.Malformed",
        f"The specified ID for the launch template ({template_id}) is malformed.",
    )


records.indexed(LAUNCH_TEMPLATE, "launch_template_name")


async def by_name(ctx: RequestContext, name: str) -> Record | None:
    """The caller's launch template called ``name``, or ``None``."""
    found = await records.where(ctx, LAUNCH_TEMPLATE, launch_template_name=name)
    return found[0] if found else None


async def by_id(ctx: RequestContext, template_id: str) -> Record:
    """The caller's launch template ``template_id`` (``…Malformed``/``…NotFound`` otherwise)."""
    if not template_id.startswith("lt-"):
        raise malformed_id(template_id)
    return await records.get(ctx, LAUNCH_TEMPLATE, template_id)


async def resolve(
    ctx: RequestContext,
    params: Mapping[str, Any],
    *,
    id_member: str = "LaunchTemplateId",
    name_member: str = "LaunchTemplateName",
) -> Record:
    """The template a request names by id or by name (exactly one of them)."""
    template_id = params.get(id_member)
    name = params.get(name_member)
    if template_id and name:
        raise AwsError(
            "InvalidParameterCombination",
            "Both the launch template ID and the launch template name were specified, "
            "but only one is allowed.",
        )
    if template_id:
        return await by_id(ctx, str(template_id))
    if name:
        found = await by_name(ctx, str(name))
        if found is None:
            raise name_not_found(str(name))
        return found
    raise missing_parameter("LaunchTemplateId or LaunchTemplateName")
