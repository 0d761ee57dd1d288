"""``aws_flow_log`` (``vpc_flow_log.go``, provider v5): ``CreateFlowLogs`` for one resource with
a random ClientToken; any ``Unsuccessful`` item fails the create; Read by id (only an empty list
is gone); delete tolerates ``InvalidFlowLogId.NotFound`` (reported as an unsuccessful item).

The resource's configuration lives here (:class:`FlowLogConfig`), next to its calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from hive_gateway.conformance.runner import ApiError, Harness
from hive_gateway.conformance.terraform.common import tag_specifications, tags_out
from hive_gateway.conformance.terraform.config import Obj, State
from hive_gateway.conformance.terraform.finders import retry_new

GONE: Final = "InvalidFlowLogId.NotFound"
RESOURCE_TYPES: Final = {"vpc-": "VPC", "subnet-": "Subnet", "eni-": "NetworkInterface"}


@dataclass(frozen=True)
class FlowLogConfig:
    """An ``aws_flow_log`` block (``vpc_id``, ``subnet_id`` or ``eni_id`` as ``resource_id``)."""

    resource_id: str
    traffic_type: str
    log_destination_type: str
    log_destination: str
    max_aggregation_interval: int = 600
    tags: Mapping[str, str] = field(default_factory=dict)


def find_flow_log(h: Harness, flow_log_id: str) -> Obj:
    """``findFlowLogByID``."""
    return h.find(
        "DescribeFlowLogs",
        "FlowLogs",
        id_field="FlowLogId",
        expected_id=flow_log_id,
        FlowLogIds=[flow_log_id],
    )


def _unsuccessful(operation: str, response: Obj) -> None:
    for item in response.get("Unsuccessful") or []:
        error = item.get("Error") or {}
        raise ApiError(operation, str(error.get("Code")), str(error.get("Message")))


def create_flow_log(h: Harness, config: FlowLogConfig) -> tuple[str, State]:
    resource_type = next(t for p, t in RESOURCE_TYPES.items() if config.resource_id.startswith(p))
    response = h.call(
        "CreateFlowLogs",
        ClientToken=str(uuid.uuid4()),
        LogDestinationType=config.log_destination_type,
        LogDestination=config.log_destination.removesuffix(":*"),
        ResourceIds=[config.resource_id],
        ResourceType=resource_type,
        TrafficType=config.traffic_type,
        MaxAggregationInterval=config.max_aggregation_interval,
        **tag_specifications("vpc-flow-log", config.tags),
    )
    assert response is not None
    _unsuccessful("CreateFlowLogs", response)
    flow_log_id = str(response["FlowLogIds"][0])
    return flow_log_id, retry_new(h, True, lambda: read_flow_log(h, flow_log_id))


def read_flow_log(h: Harness, flow_log_id: str) -> State:
    flow_log = find_flow_log(h, flow_log_id)
    return {
        "id": flow_log_id,
        "resource_id": flow_log.get("ResourceId"),
        "traffic_type": flow_log.get("TrafficType"),
        "log_destination_type": flow_log.get("LogDestinationType"),
        "log_destination": flow_log.get("LogDestination"),
        "log_format": flow_log.get("LogFormat"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "iam_role_arn": flow_log.get("DeliverLogsPermissionArn"),
        "tags": tags_out(flow_log.get("Tags")),
    }


def delete_flow_log(h: Harness, flow_log_id: str) -> None:
    response = h.call("DeleteFlowLogs", FlowLogIds=[flow_log_id])
    assert response is not None
    try:
        _unsuccessful("DeleteFlowLogs", response)
    except ApiError as error:
        if error.code != GONE:
            raise
