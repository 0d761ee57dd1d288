"""Network interface kinds, AWS's limits and the errors several interface actions raise."""

from __future__ import annotations

import logging
from typing import Final

from hive_gateway.core import records
from hive_gateway.core.errors import (
    AwsError,
)
from hive_gateway.core.kinds import KINDS

LOG = logging.getLogger(__name__)


ENI: Final = KINDS["network-interface"]
# An instance's interfaces (its attachments, device slots) and an attachment by id.
records.indexed(ENI, "instance_id", "attachment_id")


SUBNET: Final = KINDS["subnet"]


SECURITY_GROUP: Final = KINDS["security-group"]


INSTANCE: Final = KINDS["instance"]


UNASSIGNED: Final = "unassigned_private_ips"
"""Field of the ``("network-interface", "ips-unassigned")`` event record: the addresses removed."""


MAX_SECURITY_GROUPS: Final = 5
"""``vpc-max-security-groups-per-interface`` (DescribeAccountAttributes)."""


MAX_PRIVATE_IPS: Final = 50
"""Private IPv4 addresses per interface (primary included)."""


DETACHABLE_PRIMARY_STATES: Final = frozenset({"shutting-down", "terminated"})
"""Instance states in which the device-0 interface may be detached."""


ATTACHABLE_STATES: Final = frozenset({"pending", "running", "stopping", "stopped"})


AMAZON_OWNER: Final = "amazon"
"""``IpOwnerId`` of an auto-assigned public IPv4 address."""


# --- errors ------------------------------------------------------------------------------------


def in_use(eni_id: str) -> AwsError:
    """An attached interface cannot be deleted."""
    return AwsError(
        "InvalidNetworkInterface.InUse", f"The network interface '{eni_id}' is currently in use."
    )


def attachment_not_found(attachment_id: str) -> AwsError:
    """An attachment id that names no current attachment."""
    return AwsError(
        "InvalidAttachmentID.NotFound", f"The attachment ID '{attachment_id}' does not exist"
    )


def unsupported(what: str) -> AwsError:
    """A feature this gateway does not provide (never a 5xx: SDKs would retry)."""
    return AwsError("UnsupportedOperation", f"{what} is not supported by this gateway.")


def _ip_limit(eni_id: str) -> AwsError:
    return AwsError(
        "PrivateIpAddressLimitExceeded",
        f"Number of private addresses will exceed limit for network interface {eni_id}.",
    )
