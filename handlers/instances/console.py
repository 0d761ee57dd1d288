"""GetConsoleOutput."""

from __future__ import annotations

from handlers.instances.record_fields import state_name, utc_now
from handlers.instances.runtime import daemon_client
from handlers.instances.state import get_instance
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.hive.bus import BusError
from hive_gateway.core.context import RequestContext
from hive_gateway.core.registry import Params, Result, action
from hive_gateway.core.kinds import Record


@action("GetConsoleOutput")
async def get_console_output(ctx: RequestContext, params: Params) -> Result:
    """The serial console of the instance (base64), from the node running it."""
    instance_id = params["InstanceId"]
    record = await get_instance(ctx, instance_id, sync=False)
    out: Record = {"InstanceId": instance_id, "Timestamp": utc_now()}
    client = daemon_client(ctx)
    if client is None or state_name(record) == "terminated":
        return out
    try:
        reply = await client.console_output(ctx.account_id, instance_id)
    except (BusError, contract.DaemonError, contract.ContractError):
        return out
    if reply.get("Output"):
        out["Output"] = reply["Output"]
    if reply.get("Timestamp"):
        out["Timestamp"] = reply["Timestamp"]
    return out
