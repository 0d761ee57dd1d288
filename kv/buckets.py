"""Hive's KV bucket names and key formats.

Hive names every bucket ``<prefix>-<suffix>`` where the prefix is the deployment's name
(``hive`` by default, ``spinifex`` in newer releases) and keys account-scoped records as
``<account-id>.<resource-id>``. Handlers use logical names (``"vpcs"``) and
:func:`bucket_name` so the prefix stays a configuration detail.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from kv.store import validate_bucket_name

__all__ = [
    "BUCKETS",
    "DEFAULT_PREFIX",
    "NOT_REPLICATED",
    "account_key",
    "account_prefix",
    "bucket_name",
    "split_account_key",
]

DEFAULT_PREFIX: Final = "hive"

BUCKETS: Final = MappingProxyType(
    {
        # Buckets Hive itself uses (names must stay byte-identical to Hive's).
        "vpcs": "vpc-vpcs",
        "subnets": "vpc-subnets",
        "security_groups": "vpc-security-groups",
        "internet_gateways": "igw",
        "egress_only_internet_gateways": "eigw",
        "route_tables": "vpc-route-tables",
        "network_interfaces": "vpc-enis",
        "ipam": "vpc-ipam",
        "vni_counter": "vpc-vni-counter",
        "elastic_ips": "vpc-elastic-ips",
        "nat_gateways": "vpc-nat-gateways",
        "placement_groups": "placement-groups",
        "account_settings": "ec2-account-settings",
        "instance_state": "instance-state",
        "cluster_state": "cluster-state",
        "accounts": "accounts",
        "account_counter": "account-counter",
        "access_keys": "iam-access-keys",
        "iam_users": "iam-users",
        # Buckets only the gateway uses (Hive has no equivalent yet).
        "network_acls": "vpc-network-acls",
        "dhcp_options": "vpc-dhcp-options",
        "tags": "tags",
        "key_pairs": "key-pairs",
        "volumes": "volumes",
        "snapshots": "snapshots",
        "images": "images",
        "instances": "instances",
        "account_names": "account-names",
        "vpc_index": "vpc-index",
        "prefix_lists": "vpc-prefix-lists",
        "vpc_endpoints": "vpc-endpoints",
        "launch_templates": "launch-templates",
        "capacity_reservations": "capacity-reservations",
        "spot_instance_requests": "spot-instance-requests",
        "vpc_peering_connections": "vpc-peering-connections",
        "vpn_gateways": "vpc-vpn-gateways",
        "customer_gateways": "vpc-customer-gateways",
        "flow_logs": "vpc-flow-logs",
        # Claim spaces (hive_gateway/core/claims.py), one bucket each.
        "client_tokens": "claim-client-tokens",
        "key_pair_names": "claim-key-pair-names",
        "eni_slots": "claim-eni-slots",
        "device_slots": "claim-device-slots",
        "image_names": "claim-image-names",
        "launch_template_names": "claim-launch-template-names",
        "leases": "claim-leases",
        # One key per running gateway process (kv/peers.py).
        "gateway_peers": "gateway-peers",
    }
)
"""Logical bucket name -> Hive bucket-name suffix. Security group rules live in SG records."""

NOT_REPLICATED: Final = frozenset(
    {
        # The account registry's: read through the store itself, not the gateway's replica.
        "accounts",
        "access_keys",
        "account_counter",
        "account_names",
        # Hive's own, which the gateway does not read (the built-in node's instance states are
        # its business: a gateway must not create Hive's bucket before Hive does).
        "cluster_state",
        "iam_users",
        "instance_state",
        # Opened by kv.peers itself, as a replica whose reads always fetch the latest revision.
        "gateway_peers",
    }
)
"""Logical buckets the gateway does not read through its read replica; it loads every other one
of :data:`BUCKETS` before it answers (``Runtime.load_replica``)."""


def bucket_name(prefix: str, logical: str) -> str:
    """``"<prefix>-<suffix>"`` for a logical bucket: ``("hive", "vpcs")`` -> ``"hive-vpc-vpcs"``.

    Raises :class:`KeyError` for an unknown logical name and :class:`ValueError` when the result
    is not a valid bucket name (the prefix must match ``[a-zA-Z0-9_-]+``).
    """
    try:
        suffix = BUCKETS[logical]
    except KeyError:
        raise KeyError(f"unknown logical bucket {logical!r}") from None
    name = f"{prefix}-{suffix}"
    validate_bucket_name(name)
    return name


def account_key(account_id: str, resource_id: str) -> str:
    """Hive's key for an account-scoped record: ``"<account-id>.<resource-id>"``."""
    return f"{account_id}.{resource_id}"


def account_prefix(account_id: str) -> str:
    """The key prefix (``"<account-id>."``) that lists one account's records."""
    return f"{account_id}."


def split_account_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`account_key`; raises :class:`ValueError` for keys without a ``.``."""
    account_id, dot, resource_id = key.partition(".")
    if not dot or not account_id or not resource_id:
        raise ValueError(f"not an account-scoped key: {key!r}")
    return account_id, resource_id
