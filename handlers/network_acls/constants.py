"""Network ACL kinds, rule-number limits and protocol names/numbers."""

from __future__ import annotations

from typing import Final

from hive_gateway.core.kinds import KINDS

ACL: Final = KINDS["network-acl"]


VPC: Final = KINDS["vpc"]


MIN_RULE: Final = 1


MAX_RULE: Final = 32766


DEFAULT_DENY_IPV4: Final = 32767


DEFAULT_DENY_IPV6: Final = 32768


#: Protocol names AWS accepts, and the number it stores for each.
PROTOCOL_NUMBERS: Final[dict[str, str]] = {
    "all": "-1",
    "icmp": "1",
    "tcp": "6",
    "udp": "17",
    "icmpv6": "58",
}


PROTOCOL_NAMES: Final[dict[str, str]] = {v: k for k, v in PROTOCOL_NUMBERS.items() if k != "all"}


PORT_PROTOCOLS: Final = frozenset({"6", "17"})


ICMP_PROTOCOLS: Final = frozenset({"1", "58"})
