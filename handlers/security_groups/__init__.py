"""Security groups and their rules: create/delete/describe, authorize/revoke, rule ids and tags.

Records keep Hive's shape (``vpc/security_group.go``): one stored rule per CIDR or source group,
``{ip_protocol, from_port, to_port, cidr_ip?, source_sg?}``, plus ours: ``rule_id`` (``sgr-…``),
``cidr_ipv6``, ``prefix_list_id``, ``source_sg_owner``, ``description`` and ``tags``.

AWS behaviours reproduced (where Hive differs, Hive is the bug):

* a new group gets the allow-all egress rule (``-1`` → ``0.0.0.0/0``, and ``::/0`` when the VPC
  has IPv6); the Terraform provider revokes it straight away with ports ``0``/``0``::

      RevokeSecurityGroupEgress GroupId=sg-1&IpPermissions.1.IpProtocol=-1
          &IpPermissions.1.FromPort=0&IpPermissions.1.ToPort=0
          &IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0        → Return true

  so every comparison goes through :func:`rule_key`, where protocol ``-1`` (and any protocol
  without ports) ignores the ports and ``6``/``tcp``/``TCP`` are one protocol;
* protocols are answered as names (``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1``); numbers
  ``6``/``17``/``1``/``58`` and ``all`` are normalised on input; other numbers stay numbers;
* all-traffic permissions carry no ``FromPort``/``ToPort`` in ``DescribeSecurityGroups``
  (``DescribeSecurityGroupRules`` says ``-1``/``-1``, as AWS does);
* an existing rule authorized again is ``InvalidPermission.Duplicate``; revoking a rule that is
  not there is ``InvalidPermission.NotFound`` (Hive silently succeeds);
* ``default`` groups cannot be deleted (``CannotDelete``); a group referenced by another group's
  rule or used by a network interface is a ``DependencyViolation``;
* ``GroupName`` parameters resolve in the account's default VPC (Hive ignores them).

Every change to a group is one compare-and-swap write (:func:`records.mutate`); group names are
claimed in the per-VPC index, so concurrent creates of one name cannot both succeed.
"""

from __future__ import annotations

from handlers.security_groups import (
    authorize,
    constants,
    describe,
    lifecycle,
    lookup,
    modify,
    permissions,
    records,
    rule_keys,
    views,
)
from handlers.security_groups.constants import SG
from handlers.security_groups.records import _hive_rules, create_default_security_group

__all__ = [
    "SG",
    "_hive_rules",
    "authorize",
    "constants",
    "create_default_security_group",
    "describe",
    "lifecycle",
    "lookup",
    "modify",
    "permissions",
    "records",
    "rule_keys",
    "views",
]
