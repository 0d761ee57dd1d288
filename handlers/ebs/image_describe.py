"""``DescribeImages``: owners, executable-by, deprecated and disabled images."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.ebs.image_common import OWNER_ALIASES, check_image_id, image_not_found
from handlers.ebs.image_views import IMAGE_FILTERS, ImageView, visible_images
from handlers.ebs.snapshot_records import _ACCOUNT
from hive_gateway.core.clock import now, reached
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.filters import apply_filters
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action


def _owner_matches(view: ImageView, owners: Sequence[str], account_id: str) -> bool:
    for owner in owners:
        if owner == "self":
            if not view.catalogue and view.record.get("owner_id") == account_id:
                return True
        elif owner in OWNER_ALIASES:
            if view.api.get("ImageOwnerAlias") == owner:
                return True
        elif owner in view.owner_ids:
            return True
    return False


def _executable_by(view: ImageView, users: Sequence[str], account_id: str) -> bool:
    shared = view.record.get("shared_with") or ()
    for user in users:
        if user == "all":
            if view.api["Public"]:
                return True
        elif user in ("self", account_id):
            if account_id in shared or (
                not view.catalogue and view.record.get("owner_id") == account_id
            ):
                return True
        elif user in shared:
            return True
    return False


def _deprecated(view: ImageView, at: datetime) -> bool:
    deprecation = view.record.get("deprecation_time")
    return deprecation is not None and reached(str(deprecation), at)


@action("DescribeImages")
async def describe_images(ctx: RequestContext, params: Params) -> Result:
    """Catalogue, own, shared and public images, narrowed as AWS narrows them."""
    at = now()
    views = await visible_images(ctx, at)
    wanted: list[str] = list(params.get("ImageIds") or [])
    for image_id in wanted:
        check_image_id(image_id)
    owners: list[str] = list(params.get("Owners") or [])
    for owner in owners:
        if owner != "self" and owner not in OWNER_ALIASES and not _ACCOUNT.match(owner):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{owner}"')
    users: list[str] = list(params.get("ExecutableUsers") or [])
    for user in users:
        if user not in ("self", "all") and not _ACCOUNT.match(user):
            raise AwsError("InvalidUserID.Malformed", f'Invalid user id: "{user}"')
    if wanted:
        present = {view.image_id for view in views}
        missing = [image_id for image_id in wanted if image_id not in present]
        if missing:
            raise image_not_found(missing)
        views = [view for view in views if view.image_id in set(wanted)]
    else:
        if not params.get("IncludeDeprecated"):
            views = [
                v
                for v in views
                if not _deprecated(v, at)
                or (not v.catalogue and v.record["owner_id"] == ctx.account_id)
            ]
        if not params.get("IncludeDisabled"):
            views = [v for v in views if v.api["State"] != "disabled"]
    if owners:
        views = [v for v in views if _owner_matches(v, owners, ctx.account_id)]
    if users:
        views = [v for v in views if _executable_by(v, users, ctx.account_id)]
    views = apply_filters(IMAGE_FILTERS, params.get("Filters"), views)
    page = paginate(views, params, key=lambda v: v.image_id, ids_param="ImageIds")
    return {"Images": [v.api for v in page.items], **page.token_member()}
