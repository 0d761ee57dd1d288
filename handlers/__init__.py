"""Action handlers, one module per resource family; importing this package registers them all."""

from handlers import (
    account_attributes,
    account_settings,
    dhcp_options,
    egress_only_internet_gateways,
    internet_gateways,
    key_pairs,
    network_acls,
    placement_groups,
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
    "account_settings",
    "dhcp_options",
    "egress_only_internet_gateways",
    "internet_gateways",
    "key_pairs",
    "network_acls",
    "placement_groups",
    "regions",
    "route_tables",
    "security_groups",
    "sts",
    "subnets",
    "tags",
    "vpcs",
]
