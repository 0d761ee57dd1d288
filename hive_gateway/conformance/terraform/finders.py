"""The provider's finders, as one table: how ``findXByID`` reads each resource type, which error
codes mean "gone" (``errors.go``), and the ``statusX`` / ``RetryWhenNewResourceNotFound`` /
``RetryUntilNotFound`` helpers built on :class:`~hive_gateway.conformance.runner.NotFound`.

A finder returns exactly one item or raises ``NotFound`` — on a gone code, an empty list, more
than one item, or (where the provider checks it) an item whose id is not the one asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive_gateway.conformance.runner import Harness, NotFound, wait_for_state
from hive_gateway.conformance.terraform.config import Obj, State

# --- error codes the provider maps to "gone" (errors.go) ------------------------------------------

VPC_GONE: Final = ("InvalidVpcID.NotFound",)
SUBNET_GONE: Final = ("InvalidSubnetID.NotFound",)
SG_GONE: Final = ("InvalidGroup.NotFound", "InvalidSecurityGroupID.NotFound")
IGW_GONE: Final = ("InvalidInternetGatewayID.NotFound",)
RT_GONE: Final = ("InvalidRouteTableID.NotFound",)
NACL_GONE: Final = ("InvalidNetworkAclID.NotFound",)
DHCP_GONE: Final = ("InvalidDhcpOptionID.NotFound",)
ASSOCIATION_GONE: Final = ("InvalidAssociationID.NotFound",)


@dataclass(frozen=True)
class Finder:
    """How the provider describes one resource type by id."""

    operation: str
    result_key: str
    ids_param: str
    id_field: str | None
    """The member compared with the id asked for; ``None``: no id check (``findVPCByID``)."""
    gone: tuple[str, ...] = ()
    """Error codes meaning gone; ``()``: only an empty list is gone
    (``findEgressOnlyInternetGateway``)."""


FINDERS: Final[Mapping[str, Finder]] = {
    "vpc": Finder("DescribeVpcs", "Vpcs", "VpcIds", None, VPC_GONE),
    "subnet": Finder("DescribeSubnets", "Subnets", "SubnetIds", "SubnetId", SUBNET_GONE),
    "security-group": Finder(
        "DescribeSecurityGroups", "SecurityGroups", "GroupIds", "GroupId", SG_GONE
    ),
    "internet-gateway": Finder(
        "DescribeInternetGateways",
        "InternetGateways",
        "InternetGatewayIds",
        "InternetGatewayId",
        IGW_GONE,
    ),
    "egress-only-internet-gateway": Finder(
        "DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways",
        "EgressOnlyInternetGatewayIds",
        "EgressOnlyInternetGatewayId",
    ),
    "route-table": Finder(
        "DescribeRouteTables", "RouteTables", "RouteTableIds", "RouteTableId", RT_GONE
    ),
    "network-acl": Finder(
        "DescribeNetworkAcls", "NetworkAcls", "NetworkAclIds", "NetworkAclId", NACL_GONE
    ),
    "dhcp-options": Finder(
        "DescribeDhcpOptions", "DhcpOptions", "DhcpOptionsIds", "DhcpOptionsId", DHCP_GONE
    ),
}
"""Resource type (the ``TagSpecifications`` name) → its finder."""


def find(h: Harness, kind: str, resource_id: str) -> Obj:
    """``findXByID``: ``DescribeX(XIds=[id])``, exactly one item (with the id check)."""
    finder = FINDERS[kind]
    ids: dict[str, Any] = {finder.ids_param: [resource_id]}
    return h.find(
        finder.operation,
        finder.result_key,
        not_found_codes=finder.gone,
        id_field=finder.id_field,
        expected_id=resource_id,
        **ids,
    )


def find_where(h: Harness, kind: str, filters: list[Obj]) -> Obj:
    """``findX`` with filters: exactly one item, the kind's gone codes mapped to NotFound."""
    finder = FINDERS[kind]
    return h.find(finder.operation, finder.result_key, not_found_codes=finder.gone, Filters=filters)


def find_member(
    h: Harness, kind: str, filters: list[Obj], members: str, key: str, value: str, what: str
) -> Obj:
    """An element of a list inside the one item the filters select (an association of a VPC,
    route table or network ACL): the element whose ``key`` is ``value``, else NotFound."""
    item = find_where(h, kind, filters)
    for member in item.get(members) or []:
        if member.get(key) == value:
            return dict(member)
    raise NotFound(what, "empty")


def status(
    find: Callable[[], Obj], state: Callable[[Obj], str]
) -> Callable[[], tuple[Obj | None, str]]:
    """A provider ``statusX`` function: NotFound → ``(nil, "")``."""

    def refresh() -> tuple[Obj | None, str]:
        try:
            obj = find()
        except NotFound:
            return None, ""
        return obj, state(obj)

    return refresh


def retry_new(h: Harness, new: bool, read: Callable[[], State]) -> State:
    """``RetryWhenNewResourceNotFound``: right after Create, NotFound is retried until the deadline."""
    if not new:
        return read()
    last: NotFound | None = None

    def attempt() -> tuple[State | None, str]:
        nonlocal last
        try:
            return read(), "found"
        except NotFound as exc:
            last = exc
            return None, ""

    result = wait_for_state(
        attempt,
        pending=(),
        target=("found",),
        what="read new resource",
        timeout=h.timeout,
        poll=h.poll,
        not_found_checks=10**9,
    )
    if result is None:  # pragma: no cover - target is non-empty
        raise last or NotFound("read", "empty")
    return result


def retry_until_not_found(h: Harness, what: str, find: Callable[[], object]) -> None:
    """``tfresource.RetryUntilNotFound``: poll the finder until it reports NotFound."""
    wait_for_state(
        lambda: (_found_or_none(find), "found"),
        pending=("found",),
        target=(),
        what=what,
        timeout=h.timeout,
        poll=h.poll,
    )


def _found_or_none(find: Callable[[], object]) -> object | None:
    try:
        return find()
    except NotFound:
        return None
