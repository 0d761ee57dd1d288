"""Elastic IP kinds, limits and the errors several address actions raise."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from hive_gateway.core import dependents
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import KINDS

LOG = logging.getLogger(__name__)


EIP: Final = KINDS["elastic-ip"]


ENI: Final = KINDS["network-interface"]


INSTANCE: Final = KINDS["instance"]


VPC: Final = KINDS["vpc"]


INTERNET_GATEWAY: Final = KINDS["internet-gateway"]


MAX_ADDRESSES: Final = 20
"""``vpc-max-elastic-ips`` (DescribeAccountAttributes)."""


DEFAULT_PUBLIC_IPV4_POOL: Final = "amazon"


_ASSOCIATION_FIELDS: Final = (
    "association_id",
    "eni_id",
    "instance_id",
    "private_ip",
    "vpc_id",
    "subnet_id",
    "mac_address",
    "network_interface_owner_id",
)


# --- errors --------------------------------------------------------------------------------------


def association_not_found(association_id: str) -> AwsError:
    """An association id that names no current association."""
    return AwsError(
        "InvalidAssociationID.NotFound", f"The association ID '{association_id}' does not exist"
    )


def not_yours(public_ip: str) -> AwsError:
    """A public address the caller has not allocated (the provider treats it as gone)."""
    return AwsError("AuthFailure", f"The address '{public_ip}' does not belong to you.")


def service_managed(_resource_id: str = "") -> AwsError:
    """An association a service manages (a NAT gateway's address, its interface): AWS answers
    ``AuthFailure`` to releasing, re-associating or disassociating it."""
    return AwsError("AuthFailure", "You do not have permission to access the specified resource.")


async def check_changeable(ctx: RequestContext, eip: Mapping[str, Any]) -> None:
    """Refuse to change an address whose association a service holds: every family that does
    declares ``dependents.blocks("elastic-ip", by=…, event="association-change", …)``."""
    await dependents.check(
        ctx, "elastic-ip", dict(eip), event="association-change", violation=service_managed
    )
