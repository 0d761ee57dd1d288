"""Egress-only internet gateways (IPv6 outbound only): create, delete, describe.

AWS behaviour reproduced:

* the gateway is attached to its VPC from creation: ``Attachments=[{VpcId, State: "attached"}]``
  (``aws_egress_only_internet_gateway`` forces a replacement on every plan otherwise);
* ``DescribeEgressOnlyInternetGateways`` with unknown ids answers an empty list, not an error
  (the provider maps no error code to "gone": an error would fail every refresh)::

      DescribeEgressOnlyInternetGateways EgressOnlyInternetGatewayId.1=eigw-0000000000000000
      → <egressOnlyInternetGatewaySet/>

* ``DeleteEgressOnlyInternetGateway`` of an unknown id is ``InvalidGatewayID.NotFound``; routes
  to a deleted gateway become ``blackhole``;
* ``ClientToken`` makes creation idempotent (same token and parameters → the same gateway;
  other parameters → ``IdempotentParameterMismatch``).

Records are Hive's: ``{egress_only_internet_gateway_id, vpc_id, state: "attached", tags,
created_at}``.
"""

from __future__ import annotations

from typing import Final

from hive_gateway.core import clock, dependents, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.filters import FilterSpec
from hive_gateway.core.ids import new_id
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.tagging import api_tags, record_tags, tags_from_specifications

EIGW: Final = KINDS["egress-only-internet-gateway"]
VPC: Final = KINDS["vpc"]

# A gateway blocks DeleteVpc (its create re-checks the VPC after writing); routes to a deleted
# gateway turn blackhole (declared in route_tables from its TARGETS).
dependents.blocks("vpc", by="egress-only-internet-gateway", field="vpc_id")


def egress_only_internet_gateway_to_api(ctx: RequestContext, record: Record) -> Record:
    """An EIGW record as an ``EgressOnlyInternetGateway``."""
    return {
        "Attachments": [{"State": record.get("state") or "attached", "VpcId": record["vpc_id"]}],
        "EgressOnlyInternetGatewayId": record["egress_only_internet_gateway_id"],
        "Tags": api_tags(record_tags(record)),
    }


EGRESS_ONLY_INTERNET_GATEWAY_FILTERS: Final[FilterSpec[Record]] = FilterSpec(
    fields={"egress-only-internet-gateway-id": lambda g: g["EgressOnlyInternetGatewayId"]},
    tags=lambda g: {t["Key"]: t["Value"] for t in g.get("Tags", [])},
    indexes={"egress-only-internet-gateway-id": "egress_only_internet_gateway_id"},
)


@action("CreateEgressOnlyInternetGateway")
async def create_egress_only_internet_gateway(ctx: RequestContext, params: Params) -> Result:
    """A gateway attached to ``VpcId`` (which must be the caller's)."""
    vpc = await records.get(ctx, VPC, params["VpcId"])
    tags = tags_from_specifications(params, "egress-only-internet-gateway")
    token = params.get("ClientToken")
    record: Record = {
        "egress_only_internet_gateway_id": new_id("egress-only-internet-gateway"),
        "vpc_id": vpc["vpc_id"],
        "state": "attached",
        "tags": tags,
        "created_at": clock.utc_now(),
        "account_id": ctx.account_id,
    }
    record = await idempotency.create_record(
        ctx, EIGW, record, token, {"VpcId": vpc["vpc_id"], "Tags": tags}
    )
    result: Record = {"EgressOnlyInternetGateway": egress_only_internet_gateway_to_api(ctx, record)}
    if token:
        result["ClientToken"] = token
    return result


@action("DeleteEgressOnlyInternetGateway")
async def delete_egress_only_internet_gateway(ctx: RequestContext, params: Params) -> Result:
    """Delete a gateway; routes to it turn ``blackhole``."""
    eigw_id = params["EgressOnlyInternetGatewayId"]
    await dependents.delete_guarded(ctx, EIGW, eigw_id)
    return {"ReturnCode": True}


@action("DescribeEgressOnlyInternetGateways")
async def describe_egress_only_internet_gateways(ctx: RequestContext, params: Params) -> Result:
    """The caller's gateways; unknown ids are simply absent."""
    return await describe.describe(
        ctx,
        EIGW,
        params,
        ids_param="EgressOnlyInternetGatewayIds",
        result_key="EgressOnlyInternetGateways",
        spec=EGRESS_ONLY_INTERNET_GATEWAY_FILTERS,
        to_api=egress_only_internet_gateway_to_api,
        missing_ids_ok=True,
    )
