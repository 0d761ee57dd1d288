"""ModifyInstanceMetadataOptions."""

from __future__ import annotations


from handlers.instances.constants import INSTANCE
from handlers.instances.record_fields import iso_stamp, state_name, utc_now
from handlers.instances.state import get_instance
from handlers.instances.views import metadata_options_api
from hive_gateway.core import clock, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError, invalid_parameter_value
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record


@action("ModifyInstanceMetadataOptions")
async def modify_instance_metadata_options(ctx: RequestContext, params: Params) -> Result:
    """New metadata options; ``State`` is ``pending`` for a moment, then ``applied``."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id)
    if state_name(record) in ("terminated", "shutting-down"):
        raise AwsError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a valid state for this operation.",
        )
    hop = params.get("HttpPutResponseHopLimit")
    if hop is not None and not 1 <= int(hop) <= 64:
        raise invalid_parameter_value(
            f"Value ({hop}) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64."
        )
    applied_at = iso_stamp(utc_now() + clock.seconds(ctx, "metadata-apply"))

    def change(current: Record) -> Record:
        options = dict(current.get("metadata_options") or {})
        for member, field_name in (
            ("HttpTokens", "http_tokens"),
            ("HttpEndpoint", "http_endpoint"),
            ("HttpProtocolIpv6", "http_protocol_ipv6"),
            ("InstanceMetadataTags", "instance_metadata_tags"),
        ):
            if params.get(member) is not None:
                options[field_name] = params[member]
        if hop is not None:
            options["http_put_response_hop_limit"] = int(hop)
        options["applied_at"] = applied_at
        return {**current, "metadata_options": options}

    updated = await records.mutate(ctx, INSTANCE, instance_id, change)
    assert updated is not None
    return {"InstanceId": instance_id, "InstanceMetadataOptions": metadata_options_api(updated)}
