"""Security group kinds, defaults, protocol names and text limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeAlias

from hive_gateway.core.kinds import KINDS

SG: Final = KINDS["security-group"]


VPC: Final = KINDS["vpc"]


ENI: Final = KINDS["network-interface"]


DEFAULT_GROUP_NAME: Final = "default"


DEFAULT_GROUP_DESCRIPTION: Final = "default VPC security group"


MAX_TEXT: Final = 255


RuleKey: TypeAlias = tuple[str, int, int, str, str]
"""``(protocol, from, to, peer kind, peer)`` — what makes two rules the same rule."""


# --- protocols and ports -----------------------------------------------------------------------

#: Input spellings of the protocols AWS names; anything else must be a number 0–255.
PROTOCOL_ALIASES: Final[Mapping[str, str]] = {
    "-1": "-1",
    "all": "-1",
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
}


#: The number of each named protocol (for the ``…protocol`` filters, which accept either).
PROTOCOL_NUMBERS: Final[Mapping[str, str]] = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}


PORT_RANGE_PROTOCOLS: Final = frozenset({"tcp", "udp"})


TYPE_CODE_PROTOCOLS: Final = frozenset({"icmp", "icmpv6"})


NO_PORTS: Final = -1


#: AWS's character set for VPC group names, group descriptions and rule descriptions.
_VALID_TEXT: Final = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")


_VALID_SET: Final = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
