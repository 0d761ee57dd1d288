"""``CreateTags``, ``DeleteTags`` and ``DescribeTags`` over every taggable kind.

They act on each record's own ``tags`` map (see :mod:`hive_gateway.core.tagging`). ``DeleteTags``
follows AWS: a tag given with a value is deleted only when the value matches (the Terraform
provider sends the old value); a tag given without a value is deleted whatever its value; no
``Tag`` list at all deletes every tag::

    DeleteTags ResourceId.1=vpc-1&Tag.1.Key=env&Tag.1.Value=prod   (only if env=prod)
    DeleteTags ResourceId.1=vpc-1&Tag.1.Key=env                    (env, any value)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hive_gateway.core import kinds, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record, ResourceKind
from hive_gateway.core.tagging import MAX_TAGS, record_tags, tag_limit_exceeded, tags_from_list

TAG_FILTERS: FilterSpec[Record] = FilterSpec(
    fields={
        "key": lambda t: t["Key"],
        "value": lambda t: t["Value"],
        "resource-id": lambda t: t["ResourceId"],
        "resource-type": lambda t: t["ResourceType"],
    },
    tags=lambda t: {t["Key"]: t["Value"]},
)


def _taggable_kind(resource_id: str) -> ResourceKind:
    kind = kinds.kind_of_id(resource_id)
    if kind is None or kind.resource_type is None:
        raise AwsError("InvalidID", f"The ID '{resource_id}' is not valid")
    return kind


async def _check_resources(
    ctx: RequestContext, ids: Sequence[str]
) -> list[tuple[ResourceKind, str]]:
    """Every id resolved to its kind and known to exist, before anything is written.

    A resource its family calls gone (a deleted volume, an image past ``deregistered``) is the
    kind's NotFound error, as its ``Describe…`` answers: ``InvalidVolume.NotFound``.
    """
    targets = [(_taggable_kind(resource_id), resource_id) for resource_id in ids]
    for kind, resource_id in targets:
        await records.get(ctx, kind, resource_id)
    return targets


@action("CreateTags")
async def create_tags(ctx: RequestContext, params: Params) -> Result:
    """Add or overwrite tags on each resource."""
    new_tags = tags_from_list(params.get("Tags"))
    for kind, resource_id in await _check_resources(ctx, params["Resources"]):

        def add(record: Record) -> Record:
            tags = record_tags(record)
            tags.update(new_tags)
            if len(tags) > MAX_TAGS:
                raise tag_limit_exceeded()
            return {**record, "tags": tags}

        await records.mutate(ctx, kind, resource_id, add)
    return None


@action("DeleteTags")
async def delete_tags(ctx: RequestContext, params: Params) -> Result:
    """Remove tags from each resource (matching values only, when values are given)."""
    requested: list[dict[str, Any]] | None = params.get("Tags")
    for kind, resource_id in await _check_resources(ctx, params["Resources"]):

        def remove(record: Record) -> Record:
            tags = record_tags(record)
            if requested is None:
                tags = {}
            for tag in requested or ():
                key = tag.get("Key", "")
                if key in tags and ("Value" not in tag or tags[key] == tag["Value"]):
                    del tags[key]
            return {**record, "tags": tags}

        await records.mutate(ctx, kind, resource_id, remove)
    return None


def _exact_resource_ids(filters: Sequence[dict[str, Any]] | None) -> list[str] | None:
    """Ids named by a wildcard-free ``resource-id`` filter: only those records need reading."""
    for entry in filters or ():
        if entry.get("Name") == "resource-id":
            values = [str(v) for v in entry.get("Values") or []]
            if not any(c in v for v in values for c in "*?\\"):
                return values
    return None


@action("DescribeTags")
async def describe_tags(ctx: RequestContext, params: Params) -> Result:
    """Every tag of the caller's live resources (a deleted volume's tags are not listed)."""
    filters = params.get("Filters")
    rows: list[Record] = []
    exact = _exact_resource_ids(filters)
    if exact is not None:
        for resource_id in exact:
            kind = kinds.kind_of_id(resource_id)
            if kind is None or kind.resource_type is None:
                continue
            record = await records.find(ctx, kind, resource_id)
            if record is not None:
                rows.extend(_rows(kind, record))
    else:
        for kind in KINDS.values():
            if kind.resource_type is None:
                continue
            for record in await records.where(ctx, kind):
                rows.extend(_rows(kind, record))
    rows = apply_filters(TAG_FILTERS, filters, rows)
    page = paginate(rows, params, key=lambda row: f"{row['ResourceId']}\x00{row['Key']}")
    return {"Tags": page.items, **page.token_member()}


def _rows(kind: ResourceKind, record: Record) -> list[Record]:
    tags = record_tags(record)
    resource_id = str(record[kind.id_field])
    return [
        {
            "Key": key,
            "Value": tags[key],
            "ResourceId": resource_id,
            "ResourceType": kind.resource_type,
        }
        for key in sorted(tags)
    ]
