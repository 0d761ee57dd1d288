"""Elastic IP reverse DNS: Describe/Modify/ResetAddressAttribute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.addresses.common import EIP
from hive_gateway.core import describe, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    missing_parameter,
)
from hive_gateway.core.kinds import Record
from hive_gateway.core.pagination import paginate
from hive_gateway.core.registry import Params, Result, action


def _attribute_api(record: Mapping[str, Any]) -> Record:
    out: Record = {"AllocationId": record["allocation_id"], "PublicIp": record["public_ip"]}
    if record.get("ptr_record"):
        out["PtrRecord"] = record["ptr_record"]
    return out


@action("DescribeAddressesAttribute")
async def describe_addresses_attribute(ctx: RequestContext, params: Params) -> Result:
    """``domain-name`` of each address: no ``PtrRecord`` unless one was set (paged)."""
    ids = list(params.get("AllocationIds") or [])
    rows = (
        await records.find_many(ctx, EIP, [str(i) for i in ids], live_only=False)
        if ids
        else await records.list_records(ctx, EIP)
    )
    if ids:
        describe.check_ids_exist(EIP, ids, {str(r["allocation_id"]) for r in rows})
        rows = [r for r in rows if r["allocation_id"] in set(ids)]
    page = paginate(
        [_attribute_api(r) for r in rows],
        params,
        key=lambda item: str(item["AllocationId"]),
        ids_param="AllocationIds",
    )
    return {"Addresses": page.items, **page.token_member()}


@action("ModifyAddressAttribute")
async def modify_address_attribute(ctx: RequestContext, params: Params) -> Result:
    """Set the reverse-DNS name (``PtrRecord``) of an address."""
    name = params.get("DomainName")
    if not name:
        raise missing_parameter("DomainName")
    record = await records.mutate(
        ctx, EIP, params["AllocationId"], lambda r: {**r, "ptr_record": str(name)}
    )
    assert record is not None
    return {"Address": _attribute_api(record)}


@action("ResetAddressAttribute")
async def reset_address_attribute(ctx: RequestContext, params: Params) -> Result:
    """Remove the reverse-DNS name of an address."""

    def reset(record: Record) -> Record:
        record.pop("ptr_record", None)
        return record

    updated = await records.mutate(ctx, EIP, params["AllocationId"], reset)
    assert updated is not None
    return {"Address": _attribute_api(updated)}
