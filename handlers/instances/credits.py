"""CPU credit specifications of burstable instances (Describe/Modify)."""

from __future__ import annotations

from handlers.instances.constants import INSTANCE
from handlers.instances.errors import check_instance_id
from handlers.instances.record_fields import state_name
from handlers.instances.state import current_records
from hive_gateway.catalogue import instance_types
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.filters import FilterSpec, apply_filters
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record

CREDIT_FILTERS: FilterSpec[Record] = FilterSpec(fields={"instance-id": lambda c: c["InstanceId"]})


@action("DescribeInstanceCreditSpecifications")
async def describe_instance_credit_specifications(ctx: RequestContext, params: Params) -> Result:
    """CPU credit option of burstable instances (t2 ``standard``, t3/t3a/t4g ``unlimited`` unless set)."""
    wanted = list(params.get("InstanceIds") or [])
    for instance_id in wanted:
        check_instance_id(instance_id)
    rows = await current_records(ctx)
    if wanted:
        describe.check_ids_exist(INSTANCE, wanted, {str(r["instance_id"]) for r in rows})
        rows = [r for r in rows if r["instance_id"] in set(wanted)]
        for record in rows:
            if not instance_types.is_burstable(str(record.get("instance_type"))):
                raise AwsError(
                    "UnsupportedOperation",
                    f"The instance '{record['instance_id']}' is not a burstable performance instance.",
                )
    items = [
        {
            "InstanceId": r["instance_id"],
            "CpuCredits": r.get("credit_specification")
            or instance_types.default_credits(str(r.get("instance_type")))
            or "standard",
        }
        for r in rows
        if instance_types.is_burstable(str(r.get("instance_type")))
        and state_name(r) != "terminated"
    ]
    items = apply_filters(CREDIT_FILTERS, params.get("Filters"), items)
    page = paginate(
        items,
        params,
        key=lambda c: str(c["InstanceId"]),
        ids_param="InstanceIds",
        ids_wire_name="instanceId",
    )
    return {"InstanceCreditSpecifications": page.items, **page.token_member()}


@action("ModifyInstanceCreditSpecification")
async def modify_instance_credit_specification(ctx: RequestContext, params: Params) -> Result:
    """Switch instances between ``standard`` and ``unlimited``; failures per instance.

    A missing or unknown ``CpuCredits`` refuses the whole request (``InvalidParameterValue``);
    per-instance failures use only the codes the model allows
    (``InvalidInstanceID.NotFound``, ``InstanceCreditSpecification.NotSupported``, …).
    """
    for spec in params["InstanceCreditSpecifications"]:
        if spec.get("CpuCredits") not in ("standard", "unlimited"):
            raise invalid_parameter_value(
                f"Value ({spec.get('CpuCredits')}) for parameter CpuCredits is invalid. "
                "Valid values are standard and unlimited."
            )
    successful, unsuccessful = [], []
    for spec in params["InstanceCreditSpecifications"]:
        instance_id = str(spec.get("InstanceId") or "")
        credits = spec.get("CpuCredits")

        def failed(code: str, message: str, instance_id: str = instance_id) -> None:
            unsuccessful.append(
                {"InstanceId": instance_id, "Error": {"Code": code, "Message": message}}
            )

        record = (
            await records.find(ctx, INSTANCE, instance_id) if instance_id.startswith("i-") else None
        )
        if record is None or state_name(record) == "terminated":
            failed("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
        elif not instance_types.is_burstable(str(record.get("instance_type"))):
            failed(
                "InstanceCreditSpecification.NotSupported",
                f"The instance '{instance_id}' is not a burstable performance instance.",
            )
        else:
            chosen = str(credits)

            def switch(record: Record, chosen: str = chosen) -> Record:
                return {**record, "credit_specification": chosen}

            await records.mutate(ctx, INSTANCE, instance_id, switch)
            successful.append({"InstanceId": instance_id})
    return {
        "SuccessfulInstanceCreditSpecifications": successful,
        "UnsuccessfulInstanceCreditSpecifications": unsuccessful,
    }
