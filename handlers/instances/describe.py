"""DescribeInstances and DescribeInstanceStatus."""

from __future__ import annotations

from handlers.instances.constants import IDS_WIRE_NAME, INSTANCE
from handlers.instances.errors import check_instance_id
from handlers.instances.filters import INSTANCE_FILTERS, STATUS_FILTERS, Row
from handlers.instances.record_fields import state_name, utc_now
from handlers.instances.state import current_records
from handlers.instances.views import gather_context, instance_to_api, status_to_api
from hive_gateway.core import describe
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import invalid_parameter_value
from hive_gateway.core.filters import apply_filters
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record


@action("DescribeInstances")
async def describe_instances(ctx: RequestContext, params: Params) -> Result:
    """Instances grouped by reservation; ids, filters and pagination (MaxResults 5–1000)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    stored = await describe.stored_records(
        ctx, INSTANCE, params, [str(i) for i in wanted], INSTANCE_FILTERS, live_only=False
    )
    records = await current_records(ctx, stored)
    if wanted:
        describe.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in records})
        wanted_set = set(wanted)
        records = [r for r in records if r["instance_id"] in wanted_set]
    view = await gather_context(ctx, records)
    rows = []
    for record in records:
        header: Record = {
            "ReservationId": str(record.get("reservation_id") or ""),
            "OwnerId": str(record.get("account_id") or ctx.account_id),
            "Groups": [],
        }
        rows.append(Row(header, instance_to_api(ctx, record, view)))
    rows = apply_filters(INSTANCE_FILTERS, params.get("Filters"), rows)
    max_results = params.get("MaxResults")
    if max_results is not None and not 5 <= int(max_results) <= 1000:
        raise invalid_parameter_value(
            f"Value ( {max_results} ) for parameter maxResults is invalid. Expecting a value "
            "greater than 5."
        )
    page = paginate(
        rows,
        params,
        key=lambda row: str(row.instance["InstanceId"]),
        ids_param="InstanceIds",
        ids_wire_name=IDS_WIRE_NAME,
    )
    grouped: dict[str, Record] = {}
    for row in page.items:
        reservation = grouped.setdefault(
            row.reservation["ReservationId"], {**row.reservation, "Instances": []}
        )
        reservation["Instances"].append(row.instance)
    for reservation in grouped.values():
        reservation["Instances"].sort(key=lambda i: (i["AmiLaunchIndex"], i["InstanceId"]))
    return {"Reservations": list(grouped.values()), **page.token_member()}


@action("DescribeInstanceStatus")
async def describe_instance_status(ctx: RequestContext, params: Params) -> Result:
    """Status checks of running instances (all instances with ``IncludeAllInstances``)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    stored = None
    if wanted:  # by id: no listing (status filters have no index)
        ids = [str(i) for i in wanted]
        stored = await describe.stored_records(
            ctx, INSTANCE, {}, ids, STATUS_FILTERS, live_only=False
        )
    records = await current_records(ctx, stored)
    if wanted:
        describe.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in records})
        records = [r for r in records if r["instance_id"] in set(wanted)]
    if not params.get("IncludeAllInstances"):
        records = [r for r in records if state_name(r) == "running"]
    at = utc_now()
    items = apply_filters(
        STATUS_FILTERS, params.get("Filters"), [status_to_api(ctx, r, at) for r in records]
    )
    page = paginate(
        items,
        params,
        key=lambda s: str(s["InstanceId"]),
        ids_param="InstanceIds",
        ids_wire_name=IDS_WIRE_NAME,
    )
    return {"InstanceStatuses": page.items, **page.token_member()}
