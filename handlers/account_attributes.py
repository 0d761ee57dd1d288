"""``DescribeAccountAttributes``: Hive's static account limits.

Hive answers ``supported-platforms=VPC``, ``default-vpc=none``, ``max-instances=100``,
``vpc-max-security-groups-per-interface=5``, ``max-elastic-ips=5``, ``vpc-max-elastic-ips=20``,
narrowed by ``AttributeName.N``. ``max-instances`` here is the limit RunInstances enforces
(``--instance-limit``), not Hive's fixed 100.
"""

from __future__ import annotations

from typing import Final

from hive_gateway.core.context import RequestContext
from hive_gateway.core.registry import Params, Result, action

ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "supported-platforms": ("VPC",),
    "default-vpc": ("none",),
    "max-instances": (),  # the gateway's --instance-limit, filled in per request
    "vpc-max-security-groups-per-interface": ("5",),
    "max-elastic-ips": ("5",),
    "vpc-max-elastic-ips": ("20",),
}


@action("DescribeAccountAttributes")
async def describe_account_attributes(ctx: RequestContext, params: Params) -> Result:
    """Every attribute, or only those named in ``AttributeNames``."""
    wanted = params.get("AttributeNames") or list(ATTRIBUTES)
    values = {**ATTRIBUTES, "max-instances": (str(ctx.runtime.settings.instance_limit),)}
    return {
        "AccountAttributes": [
            {
                "AttributeName": name,
                "AttributeValues": [{"AttributeValue": value} for value in values[name]],
            }
            for name in wanted
            if name in values
        ]
    }
