"""The VPC kind and the limits and defaults of VPCs (AWS's and Hive's)."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

VPC = KINDS["vpc"]


#: ModifyVpcAttribute / DescribeVpcAttribute: API member ↔ record field ↔ Attribute enum value.
ATTRIBUTES: Final[dict[str, tuple[str, str]]] = {
    "EnableDnsSupport": ("enable_dns_support", "enableDnsSupport"),
    "EnableDnsHostnames": ("enable_dns_hostnames", "enableDnsHostnames"),
    "EnableNetworkAddressUsageMetrics": (
        "enable_network_address_usage_metrics",
        "enableNetworkAddressUsageMetrics",
    ),
}


MAX_IPV4_CIDRS: Final = 5


DEFAULT_VPC_CIDR: Final = "172.31.0.0/16"


DEFAULT_VPC_MARKER: Final = "default-vpc"
"""The claim document (``vpc-index``) that lets one request per account create the default VPC."""


FIRST_VNI: Final = 100
"""Hive's VNI counter starts at 100 (``vpc/service_impl.go``)."""


# --- CIDR blocks -------------------------------------------------------------------------------


CIDR: Final = "cidr"
"""Field of a ``("vpc", "cidr-associated" | "cidr-disassociated")`` event record: the block."""


# --- the default VPC -------------------------------------------------------------------------


DEFAULT_VPC_WAIT_SECONDS: Final = 30.0
"""How long a gateway waits for another one creating the account's default VPC (a marker
older than this, or without ``claimed_at``, was left by a crash: not waited for)."""
