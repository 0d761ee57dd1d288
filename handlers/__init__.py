"""Action handlers, one module per resource family; importing this package registers them all."""

from handlers import (
    account_attributes,
    dhcp_options,
    egress_only_internet_gateways,
    internet_gateways,
    network_acls,
    regions,
    route_tables,
    security_groups,
    sts,
    subnets,
    tags,
    vpcs,
)

__all__ = [
    "account_attributes",
    "dhcp_options",
    "egress_only_internet_gateways",
    "internet_gateways",
    "network_acls",
    "regions",
    "route_tables",
    "security_groups",
    "sts",
    "subnets",
    "tags",
    "vpcs",
]
