"""Network ACLs: ``CreateNetworkAcl``, ``DeleteNetworkAcl``, ``DescribeNetworkAcls``, the entry
actions and ``ReplaceNetworkAclAssociation``.

AWS behaviour reproduced:

* every VPC has one default ACL (``IsDefault``) allowing everything: rule 100 allow ``-1``
  ``0.0.0.0/0`` plus the unchangeable rule 32767 deny, both directions; with an IPv6 CIDR also
  101 allow / 32768 deny for ``::/0``. A custom ACL starts with only the deny rules;
* every subnet is associated with exactly one ACL (the VPC's default one until
  ``ReplaceNetworkAclAssociation`` moves it, which issues a *new* association id);
* entries are identified by (direction, rule number); user rules are 1–32766::

    CreateNetworkAclEntry NetworkAclId=acl-1&RuleNumber=100&Egress=false&…   (twice)
    → NetworkAclEntryAlreadyExists: The network acl entry identified by 100 already exists.
    DeleteNetworkAclEntry NetworkAclId=acl-1&RuleNumber=120&Egress=false
    → InvalidNetworkAclEntry.NotFound: no ingress entry with number 120

* protocols are stored and returned as numbers (``tcp`` → ``"6"``, all → ``"-1"``); ports only
  for TCP/UDP, ICMP type/code only for ICMP/ICMPv6.

Hive has no network ACLs: records live in the gateway's own ``vpc-network-acls`` bucket. The
default ACL's id is derived from its VPC's (``vpc-<hex>`` → ``acl-<hex>``), so creating it is a
create-if-absent on one key: two requests racing to create it (e.g. two subnets in a VPC made by
Hive, which has no ACLs) end with one ACL.
"""

from __future__ import annotations

from handlers.network_acls import (
    associations,
    constants,
    default_acl,
    entries,
    lifecycle,
    records,
    views,
)
from handlers.network_acls.default_acl import (
    associate_with_default_acl,
    create_default_network_acl,
    custom_network_acl_ids,
    delete_default_network_acl,
    disassociate_subnet,
)
from handlers.network_acls.records import add_ipv6_default_rules

__all__ = [
    "add_ipv6_default_rules",
    "associate_with_default_acl",
    "associations",
    "constants",
    "create_default_network_acl",
    "custom_network_acl_ids",
    "default_acl",
    "delete_default_network_acl",
    "disassociate_subnet",
    "entries",
    "lifecycle",
    "records",
    "views",
]
