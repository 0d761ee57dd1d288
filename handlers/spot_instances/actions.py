"""RequestSpotInstances, DescribeSpotInstanceRequests, CancelSpotInstanceRequests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from handlers.instances import run
from handlers.spot_instances.views import SPOT_REQUEST_FILTERS, request_to_api, status
from hive_gateway.catalogue import spot_prices
from hive_gateway.core import clock, describe, idempotency, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value, missing_parameter
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import KINDS, Record
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.tagging import tags_from_specifications
from hive_gateway.core.zones import zone_ids

SPOT_REQUEST: Final = KINDS["spot-instance-request"]
# A request's ClientToken, and its instance (the request follows the instance's state).
records.indexed(SPOT_REQUEST, "client_token", "instance_id")
RUN_MEMBERS: Final = (
    "SecurityGroupIds", "SecurityGroups", "BlockDeviceMappings", "EbsOptimized",
    "IamInstanceProfile", "ImageId", "InstanceType", "KernelId", "KeyName", "Monitoring",
    "NetworkInterfaces", "RamdiskId", "SubnetId", "UserData",
)  # fmt: skip
SHOWN: Final = (
    "UserData", "AddressingType", "BlockDeviceMappings", "EbsOptimized", "IamInstanceProfile",
    "ImageId", "InstanceType", "KernelId", "KeyName", "NetworkInterfaces", "Placement",
    "RamdiskId", "SubnetId", "Monitoring",
)  # fmt: skip
MAX_INSTANCES: Final = 20
UNFULFILLED: Final = {"SpotMaxPriceTooLow": "price-too-low",
                      "InsufficientInstanceCapacity": "capacity-not-available"}  # fmt: skip


def _launch_specification(spec: dict[str, Any]) -> Record:
    """The request's ``LaunchSpecification`` as AWS shows it (groups as ``SecurityGroups``)."""
    shown: Record = {k: spec[k] for k in SHOWN if spec.get(k) is not None}
    groups = [{"GroupId": g} for g in spec.get("SecurityGroupIds") or []]
    groups += [{"GroupName": g} for g in spec.get("SecurityGroups") or []]
    if groups:
        shown["SecurityGroups"] = groups
    return shown


def _run_params(spec: dict[str, Any], params: Params, price: str | None) -> Params:
    """The RunInstances parameters of one instance fulfilling the request."""
    out: Params = {k: spec[k] for k in RUN_MEMBERS if spec.get(k) is not None}
    placement = spec.get("Placement") or {}
    if placement:
        out["Placement"] = {
            k: placement[k]
            for k in ("AvailabilityZone", "GroupName", "Tenancy")
            if placement.get(k)
        }
    options: Record = {
        # the request keeps its own type (a persistent request may terminate its instance;
        # RunInstances' own persistent spot requests may not)
        "SpotInstanceType": "one-time",
        "InstanceInterruptionBehavior": params.get("InstanceInterruptionBehavior") or "terminate",
    }
    if price is not None:
        options["MaxPrice"] = price
    out.update(
        MinCount=1,
        MaxCount=1,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": options},
    )
    return out


def _stamp(value: Any) -> str | None:
    return clock.stamp(value) if isinstance(value, datetime) else None


def _check(params: Params) -> int:
    spec = params.get("LaunchSpecification") or {}
    if not spec.get("ImageId"):
        raise missing_parameter("LaunchSpecification.ImageId")
    count = int(params["InstanceCount"]) if params.get("InstanceCount") is not None else 1
    if not 1 <= count <= MAX_INSTANCES:
        raise invalid_parameter_value(
            f"Value ({count}) for parameter instanceCount is invalid. "
            f"Expected a value between 1 and {MAX_INSTANCES}."
        )
    kind = params.get("Type") or "one-time"
    if kind not in ("one-time", "persistent"):
        raise invalid_parameter_value(f"Value ({kind}) for parameter type is invalid.")
    price = params.get("SpotPrice")
    if price is not None:
        try:
            float(price)
        except ValueError:
            raise invalid_parameter_value(f"Invalid value '{price}' for spotPrice.") from None
    return count


async def _fulfil(ctx: RequestContext, record: Record, params: Params) -> Record:
    """Launch the request's instance now (the spot-launched reaction marks it fulfilled)."""
    request_id = str(record["spot_instance_request_id"])
    spec = dict(params.get("LaunchSpecification") or {})
    price = params.get("SpotPrice")
    valid_from = params.get("ValidFrom")
    if isinstance(valid_from, datetime) and valid_from > clock.now():
        return await _set_status(ctx, request_id, "not-scheduled-yet")
    try:
        await run.launch_for_spot_request(ctx, _run_params(spec, params, price), request_id)
    except AwsError as error:
        code = UNFULFILLED.get(error.code)
        if code is None:
            raise
        return await _set_status(ctx, request_id, code)
    return await records.get(ctx, SPOT_REQUEST, request_id)


async def _set_status(ctx: RequestContext, request_id: str, code: str) -> Record:
    updated = await records.mutate(ctx, SPOT_REQUEST, request_id, lambda r: status(r, code))
    assert updated is not None
    return updated


@action("RequestSpotInstances")
async def request_spot_instances(ctx: RequestContext, params: Params) -> Result:
    """``InstanceCount`` requests, each fulfilled at once by a spot instance."""
    count = _check(params)
    tags = tags_from_specifications(params, "spot-instances-request")
    token = params.get("ClientToken")
    spec = dict(params.get("LaunchSpecification") or {})
    zone = (spec.get("Placement") or {}).get("AvailabilityZone")
    if zone and zone not in zone_ids(ctx):
        raise invalid_parameter_value(f"Invalid availability zone: [{zone}]")

    async def create(first_id: str) -> list[Record]:
        made: list[Record] = []
        try:
            for index in range(count):
                now = clock.utc_now()
                record: Record = status(
                    {
                        "spot_instance_request_id": first_id
                        if index == 0
                        else new_id("spot-instance-request"),
                        "account_id": ctx.account_id,
                        "state": "open",
                        "type": params.get("Type") or "one-time",
                        "spot_price": str(
                            params.get("SpotPrice")
                            or f"{spot_prices.on_demand_price(str(spec.get('InstanceType') or 't3.micro')):.6f}"
                        ),
                        "instance_id": None,
                        "instance_interruption_behavior": params.get("InstanceInterruptionBehavior")
                        or "terminate",
                        "availability_zone": zone,
                        "launch_specification": _launch_specification(spec),
                        "valid_from": _stamp(params.get("ValidFrom")),
                        "valid_until": _stamp(params.get("ValidUntil")),
                        "launch_group": params.get("LaunchGroup"),
                        "availability_zone_group": params.get("AvailabilityZoneGroup"),
                        "tags": tags,
                        "created_at": now,
                        **({"client_token": str(token)} if token else {}),
                    },
                    "pending-evaluation",
                    now,
                )
                await records.create(ctx, SPOT_REQUEST, record)
                made.append(record)
                made[-1] = await _fulfil(ctx, record, params)
        except BaseException:
            for record in made:
                if not record.get("instance_id"):
                    await records.delete(ctx, SPOT_REQUEST, str(record["spot_instance_request_id"]))
            raise
        return made

    async def existing(_: str) -> list[Record] | None:
        found = await records.where(ctx, SPOT_REQUEST, client_token=str(token))
        return found or None

    made = await idempotency.create_once(
        ctx, SPOT_REQUEST, str(token) if token else None, params, create, existing
    )
    return {"SpotInstanceRequests": [request_to_api(ctx, r) for r in made]}


@action("DescribeSpotInstanceRequests")
async def describe_spot_instance_requests(ctx: RequestContext, params: Params) -> Result:
    """The caller's requests (cancelled and closed ones for a while), filters, pages."""
    return await describe.describe(
        ctx,
        SPOT_REQUEST,
        params,
        ids_param="SpotInstanceRequestIds",
        result_key="SpotInstanceRequests",
        spec=SPOT_REQUEST_FILTERS,
        to_api=request_to_api,
    )


def _cancelled(current: Record) -> Record:
    state = current["state"]
    if state == "open":
        return status({**current, "state": "cancelled"}, "canceled-before-fulfillment")
    if state == "active":
        return status({**current, "state": "cancelled"}, "request-canceled-and-instance-running")
    return current


@action("CancelSpotInstanceRequests")
async def cancel_spot_instance_requests(ctx: RequestContext, params: Params) -> Result:
    """Cancel requests (all must exist); their instances keep running."""
    wanted = [str(i) for i in params.get("SpotInstanceRequestIds") or []]
    present = {str(r["spot_instance_request_id"]) for r in await records.where(ctx, SPOT_REQUEST)}
    describe.check_ids_exist(SPOT_REQUEST, wanted, present)
    cancelled: list[Record] = []
    for request_id in wanted:
        updated = await records.mutate(ctx, SPOT_REQUEST, request_id, _cancelled)
        assert updated is not None
        cancelled.append({"SpotInstanceRequestId": request_id, "State": updated["state"]})
    return {"CancelledSpotInstanceRequests": cancelled}
