"""VPC flow logs: create, delete, describe (for VPCs, subnets and network interfaces).

AWS behaviour reproduced:

* ``CreateFlowLogs`` makes one flow log per resource of ``ResourceIds`` (``ResourceType``
  ``VPC``/``Subnet``/``NetworkInterface``); a resource that does not exist, or already has a flow
  log with the same traffic type and destination, is an ``Unsuccessful`` item, not an error::

      <unsuccessful><item><resourceId>vpc-1</resourceId><error><code>InvalidVpcID.NotFound</code>…

* destinations are stored as given (``LogDestinationType`` ``cloud-watch-logs`` with
  ``LogGroupName`` or a log-group ARN and ``DeliverLogsPermissionArn``; ``s3`` or
  ``kinesis-data-firehose`` with an ARN); ARNs are not checked against other services;
* the default ``LogFormat`` is AWS's version-2 format; ``MaxAggregationInterval`` is 60 or 600
  (default 600); S3 destinations show their ``DestinationOptions`` (plain text by default);
* ``DeleteFlowLogs`` answers unknown ids as ``Unsuccessful`` ``InvalidFlowLogId.NotFound``;
  ``DescribeFlowLogs`` (filters in ``Filter``) leaves unknown ids out;
* a flow log goes with its resource (the VPC, subnet or interface deleted);
* ``ClientToken``: a retry answers the flow logs the first request created.
"""

from __future__ import annotations

from typing import Any, Final

from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
    invalid_parameter_combination,
    invalid_parameter_value,
    missing_parameter,
)
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

FLOW_LOG: Final = KINDS["flow-log"]

RESOURCE_KINDS: Final = {
    "VPC": KINDS["vpc"],
    "Subnet": KINDS["subnet"],
    "NetworkInterface": KINDS["network-interface"],
}
"""``ResourceType`` → the kind its ``ResourceIds`` name."""

DESTINATION_TYPES: Final = ("cloud-watch-logs", "s3", "kinesis-data-firehose")
TRAFFIC_TYPES: Final = ("ACCEPT", "REJECT", "ALL")
DEFAULT_FORMAT: Final = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
INTERVALS: Final = (60, 600)
FILE_FORMATS: Final = ("plain-text", "parquet")


def flow_log_to_api(ctx: RequestContext, record: Record) -> Record:
    """A record as a ``FlowLog``."""
    out: Record = {
        "CreationTime": clock.parse_time(record["created_at"]),
        "DeliverLogsStatus": "SUCCESS",
        "FlowLogId": record["flow_log_id"],
        "FlowLogStatus": "ACTIVE",
        "ResourceId": record["resource_id"],
        "TrafficType": record["traffic_type"],
        "LogDestinationType": record["log_destination_type"],
        "LogFormat": record.get("log_format") or DEFAULT_FORMAT,
        "MaxAggregationInterval": record.get("max_aggregation_interval", 600),
        "Tags": api_tags(record_tags(record)),
    }
    for field, member in (
        ("log_destination", "LogDestination"),
        ("log_group_name", "LogGroupName"),
        ("deliver_logs_permission_arn", "DeliverLogsPermissionArn"),
        ("deliver_cross_account_role", "DeliverCrossAccountRole"),
        ("destination_options", "DestinationOptions"),
    ):
        if record.get(field):
            out[member] = record[field]
    return out


FLOW_LOG_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={
        "deliver-log-status": lambda f: f["DeliverLogsStatus"],
        "flow-log-id": lambda f: f["FlowLogId"],
        "log-destination-type": lambda f: f["LogDestinationType"],
        "log-group-name": lambda f: f.get("LogGroupName"),
        "resource-id": lambda f: f["ResourceId"],
        "traffic-type": lambda f: f["TrafficType"],
    },
    tags=lambda f: {t["Key"]: t["Value"] for t in f.get("Tags", [])},
    indexes={
        "flow-log-id": "flow_log_id",
        "log-destination-type": "log_destination_type",
        "log-group-name": "log_group_name",
        "resource-id": "resource_id",
        "traffic-type": "traffic_type",
    },
)
# Also what CreateFlowLogs (one per resource and traffic type; ClientToken) and the cascade
# when a resource goes select by.
records.indexed(FLOW_LOG, "resource_id", "client_token")


# --- the request -----------------------------------------------------------------------------


def _destination(ctx: RequestContext, params: Params) -> Record:
    """The destination fields of a ``CreateFlowLogs`` request, checked as AWS does."""
    kind = params.get("LogDestinationType") or "cloud-watch-logs"
    if kind not in DESTINATION_TYPES:
        raise invalid_parameter_value(
            f"Value ({kind}) for parameter logDestinationType is invalid."
        )
    destination = params.get("LogDestination")
    group = params.get("LogGroupName")
    role = params.get("DeliverLogsPermissionArn")
    if destination is not None and not str(destination).startswith("arn:"):
        raise invalid_parameter_value(
            f"Value ({destination}) for parameter logDestination is invalid. It must be an ARN."
        )
    fields: Record = {"log_destination_type": kind}
    if kind == "cloud-watch-logs":
        if group and destination:
            raise invalid_parameter_combination(
                "The parameter logGroupName cannot be used with the parameter logDestination"
            )
        if not group and not destination:
            raise missing_parameter("logDestination")
        if not role:
            raise missing_parameter("deliverLogsPermissionArn")
        if group:
            fields["log_group_name"] = str(group)
            fields["log_destination"] = (
                f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}"
            )
        else:
            fields["log_destination"] = str(destination)
            fields["log_group_name"] = str(destination).rpartition(":log-group:")[2] or None
    else:
        if group:
            raise invalid_parameter_combination(
                f"The parameter logGroupName cannot be used with logDestinationType {kind}"
            )
        if not destination:
            raise missing_parameter("logDestination")
        fields["log_destination"] = str(destination)
    if role:
        fields["deliver_logs_permission_arn"] = str(role)
    if params.get("DeliverCrossAccountRole"):
        fields["deliver_cross_account_role"] = str(params["DeliverCrossAccountRole"])
    options = params.get("DestinationOptions")
    if kind == "s3" or options:
        if kind != "s3":
            raise invalid_parameter_combination(
                "DestinationOptions can only be used with logDestinationType s3"
            )
        fields["destination_options"] = _destination_options(options or {})
    return {k: v for k, v in fields.items() if v is not None}


def _destination_options(options: Record) -> Record:
    file_format = options.get("FileFormat") or "plain-text"
    if file_format not in FILE_FORMATS:
        raise invalid_parameter_value(f"Value ({file_format}) for parameter fileFormat is invalid.")
    return {
        "FileFormat": file_format,
        "HiveCompatiblePartitions": bool(options.get("HiveCompatiblePartitions", False)),
        "PerHourPartition": bool(options.get("PerHourPartition", False)),
    }


def _settings(ctx: RequestContext, params: Params) -> Record:
    """Every stored field but the resource: traffic, destination, format, interval, tags."""
    traffic = params.get("TrafficType")
    if not traffic:
        raise missing_parameter("trafficType")
    if traffic not in TRAFFIC_TYPES:
        raise invalid_parameter_value(f"Value ({traffic}) for parameter trafficType is invalid.")
    interval = params.get("MaxAggregationInterval", 600)
    if interval not in INTERVALS:
        raise invalid_parameter_value(
            f"Value ({interval}) for parameter maxAggregationInterval is invalid. "
            "Valid values are 60 and 600."
        )
    log_format = params.get("LogFormat") or DEFAULT_FORMAT
    if "${" not in log_format:
        raise invalid_parameter_value(f"Value ({log_format}) for parameter logFormat is invalid.")
    return {
        "traffic_type": traffic,
        **_destination(ctx, params),
        "log_format": log_format,
        "max_aggregation_interval": interval,
        "tags": tags_from_specifications(params, "vpc-flow-log"),
    }


def _same_config(record: Record, wanted: Record) -> bool:
    return all(
        record.get(field) == wanted.get(field)
        for field in ("traffic_type", "log_destination_type", "log_destination")
    )


async def _problem(
    ctx: RequestContext, resource_type: str, resource_id: str, wanted: Record
) -> AwsError | None:
    """Why no flow log can be made for ``resource_id`` (``None``: it can)."""
    kind = RESOURCE_KINDS[resource_type]
    if not resource_id.startswith(kind.id_prefix + "-"):
        return kind.not_found(resource_id)
    if await records.find(ctx, kind, resource_id) is None:
        return kind.not_found(resource_id)
    for existing in await records.where(ctx, FLOW_LOG, resource_id=resource_id):
        if _same_config(existing, wanted):
            return AwsError(
                "FlowLogAlreadyExists",
                "Error. There is an existing Flow Log with the same configuration and log "
                "destination.",
            )
    return None


def _unsuccessful(resource_id: str, error: AwsError) -> Record:
    return {"ResourceId": resource_id, "Error": {"Code": error.code, "Message": error.message}}


# --- actions ---------------------------------------------------------------------------------


@action("CreateFlowLogs")
async def create_flow_logs(ctx: RequestContext, params: Params) -> Result:
    """One flow log per resource; resources that cannot have one are ``Unsuccessful``."""
    resource_type = params.get("ResourceType")
    if resource_type not in RESOURCE_KINDS:
        raise invalid_parameter_value(
            f"Value ({resource_type}) for parameter resourceType is invalid. "
            f"Valid values: {', '.join(RESOURCE_KINDS)}."
        )
    resource_ids = [str(r) for r in params.get("ResourceIds") or []]
    if not resource_ids:
        raise missing_parameter("resourceIds")
    wanted = _settings(ctx, params)
    token = params.get("ClientToken")

    async def create(first_id: str) -> Record:
        ids: list[str] = []
        unsuccessful: list[Record] = []
        for resource_id in resource_ids:
            problem = await _problem(ctx, str(resource_type), resource_id, wanted)
            if problem is not None:
                unsuccessful.append(_unsuccessful(resource_id, problem))
                continue
            record: Record = {
                "flow_log_id": first_id if not ids else new_id("flow-log"),
                "resource_id": resource_id,
                "resource_type": resource_type,
                **wanted,
                "created_at": clock.utc_now(),
                "account_id": ctx.account_id,
            }
            if token:
                record["client_token"] = token
            await records.create(ctx, FLOW_LOG, record)
            ids.append(record["flow_log_id"])
        return {"FlowLogIds": ids, "Unsuccessful": unsuccessful}

    async def existing(_first_id: str) -> Record | None:
        made = await records.where(ctx, FLOW_LOG, client_token=token)
        if not made:
            return None
        return {"FlowLogIds": [r["flow_log_id"] for r in made], "Unsuccessful": []}

    result = await idempotency.create_once(ctx, FLOW_LOG, token, params, create, existing)
    if token:
        result = {**result, "ClientToken": token}
    return result


@action("DeleteFlowLogs")
async def delete_flow_logs(ctx: RequestContext, params: Params) -> Result:
    """Delete each flow log; unknown ids are ``Unsuccessful`` (``InvalidFlowLogId.NotFound``)."""
    unsuccessful: list[Record] = []
    for flow_log_id in [str(i) for i in params.get("FlowLogIds") or []]:
        if await records.find(ctx, FLOW_LOG, flow_log_id) is None:
            error = AwsError(
                "InvalidFlowLogId.NotFound",
                f"These flow log ids in the input list are not found: [TotalCount: 1] {flow_log_id}",
            )
            unsuccessful.append(_unsuccessful(flow_log_id, error))
            continue
        await records.delete(ctx, FLOW_LOG, flow_log_id)
    return {"Unsuccessful": unsuccessful}


@action("DescribeFlowLogs")
async def describe_flow_logs(ctx: RequestContext, params: Params) -> Result:
    """The caller's flow logs: ids (unknown ones left out), ``Filter``, pages."""
    request: dict[str, Any] = {k: v for k, v in params.items() if k != "Filter"}
    request["Filters"] = params.get("Filter")
    return await describe.describe(
        ctx,
        FLOW_LOG,
        request,
        ids_param="FlowLogIds",
        result_key="FlowLogs",
        spec=FLOW_LOG_FILTERS,
        to_api=flow_log_to_api,
        missing_ids_ok=True,
    )


# --- a flow log goes with its resource (core.dependents) -------------------------------------


def _goes_with(kind_name: str) -> dependents.Reaction:
    id_field = KINDS[kind_name].id_field

    async def remove(ctx: RequestContext, resource: Record) -> None:
        for flow_log in await records.where(
            ctx, FLOW_LOG, live_only=False, resource_id=resource[id_field]
        ):
            await records.delete(ctx, FLOW_LOG, flow_log["flow_log_id"])

    remove.__qualname__ = f"flow_logs_go_with[{kind_name}]"
    return remove


for _kind in RESOURCE_KINDS.values():
    dependents.on(_kind.name, "deleted")(_goes_with(_kind.name))
