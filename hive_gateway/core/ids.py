"""Resource ids in Hive's format: ``<prefix>-`` + 17 lowercase hex characters.

Hive (``utils.GenerateResourceID``) takes 9 random bytes, hex-encodes them and keeps 17
characters: ``vpc-3fa81c09d2e4b7a15``. One table names every prefix the gateway issues.
"""

from __future__ import annotations

import secrets
from typing import Final

PREFIXES: Final[dict[str, str]] = {
    "vpc": "vpc",
    "vpc-cidr-assoc": "vpc-cidr-assoc",
    "subnet": "subnet",
    "subnet-cidr-assoc": "subnet-cidr-assoc",
    "security-group": "sg",
    "security-group-rule": "sgr",
    "internet-gateway": "igw",
    "egress-only-internet-gateway": "eigw",
    "route-table": "rtb",
    "route-table-association": "rtbassoc",
    "network-acl": "acl",
    "network-acl-association": "aclassoc",
    "dhcp-options": "dopt",
    "network-interface": "eni",
    "network-interface-attachment": "eni-attach",
    "elastic-ip": "eipalloc",
    "elastic-ip-association": "eipassoc",
    "nat-gateway": "nat",
    "placement-group": "pg",
    "instance": "i",
    "reservation": "r",
    "volume": "vol",
    "snapshot": "snap",
    "image": "ami",
    "key-pair": "key",
    "prefix-list": "pl",
    "vpc-endpoint": "vpce",
    "launch-template": "lt",
    "capacity-reservation": "cr",
    "spot-instance-request": "sir",
}


def new_id(kind: str) -> str:
    """A fresh id for resource ``kind`` (a key of :data:`PREFIXES`)."""
    return f"{PREFIXES[kind]}-{secrets.token_hex(9)[:17]}"
