"""Resource kinds: one row per stored kind, the one table every generic path reads.

Every stored resource kind is declared once in :data:`KINDS`: its id prefix, its Hive bucket and
id field, its TagSpecification resource type, and the exact error AWS gives for an unknown id.
Records live under Hive's key ``<account>.<resource-id>``, so another account's resource is
indistinguishable from a missing one (same ``…NotFound`` code and message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeAlias

from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError

Record: TypeAlias = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """One kind of stored resource."""

    name: str
    """Our name for the kind (``vpc``); also the key of :data:`KINDS`."""
    id_prefix: str
    """Id prefix without the dash (``vpc``)."""
    bucket: str
    """Logical bucket (see :mod:`kv.buckets`)."""
    id_field: str
    """Record field holding the id (Hive's name, e.g. ``vpc_id``)."""
    schema: str
    """``schemas/records/<schema>.schema.json``."""
    resource_type: str | None
    """TagSpecification ``ResourceType`` (``None`` when the kind cannot be tagged)."""
    not_found_code: str
    not_found_message: str
    """Format string with ``{id}``: ``The vpc ID '{id}' does not exist``."""
    malformed_code: str | None = None
    key_field: str | None = None
    """Record field naming the KV key when it is not the id (Hive keys placement groups by
    name: ``<account>.<group-name>``); lookups by id then scan the account's records."""

    @property
    def api_id_member(self) -> str:
        """The API member holding the id: ``vpc_id`` → ``VpcId``, ``group_id`` → ``GroupId``."""
        return "".join(part.capitalize() for part in self.id_field.split("_"))

    def not_found(self, resource_id: str) -> AwsError:
        """The error AWS answers for an id of this kind that does not exist (for this account)."""
        return AwsError(self.not_found_code, self.not_found_message.format(id=resource_id))

    def check_id(self, resource_id: str) -> None:
        """``…Malformed`` for an id that cannot be of this kind (wrong prefix)."""
        if self.malformed_code and not resource_id.startswith(self.id_prefix + "-"):
            raise AwsError(self.malformed_code, f'Invalid id: "{resource_id}"')


def _kind(*args: Any, **kwargs: Any) -> ResourceKind:
    return ResourceKind(*args, **kwargs)


# fmt: off
KINDS: Final[dict[str, ResourceKind]] = {
    k.name: k
    for k in (
        _kind("vpc", "vpc", "vpcs", "vpc_id", "vpc", "vpc", "InvalidVpcID.NotFound",
              "The vpc ID '{id}' does not exist", "InvalidVpcID.Malformed"),
        _kind("subnet", "subnet", "subnets", "subnet_id", "subnet", "subnet",
              "InvalidSubnetID.NotFound", "The subnet ID '{id}' does not exist",
              "InvalidSubnetID.Malformed"),
        _kind("security-group", "sg", "security_groups", "group_id", "security_group",
              "security-group", "InvalidGroup.NotFound",
              "The security group '{id}' does not exist", "InvalidGroupId.Malformed"),
        _kind("internet-gateway", "igw", "internet_gateways", "internet_gateway_id",
              "internet_gateway", "internet-gateway", "InvalidInternetGatewayID.NotFound",
              "The internetGateway ID '{id}' does not exist", "InvalidInternetGatewayID.Malformed"),
        _kind("egress-only-internet-gateway", "eigw", "egress_only_internet_gateways",
              "egress_only_internet_gateway_id", "egress_only_internet_gateway",
              "egress-only-internet-gateway", "InvalidGatewayID.NotFound",
              "The eigw ID '{id}' does not exist"),
        _kind("route-table", "rtb", "route_tables", "route_table_id", "route_table",
              "route-table", "InvalidRouteTableID.NotFound",
              "The routeTable ID '{id}' does not exist", "InvalidRouteTableID.Malformed"),
        _kind("network-acl", "acl", "network_acls", "network_acl_id", "network_acl",
              "network-acl", "InvalidNetworkAclID.NotFound",
              "The networkAcl ID '{id}' does not exist"),
        _kind("dhcp-options", "dopt", "dhcp_options", "dhcp_options_id", "dhcp_options",
              "dhcp-options", "InvalidDhcpOptionID.NotFound",
              "The dhcpOption ID '{id}' does not exist"),
        _kind("network-interface", "eni", "network_interfaces", "network_interface_id",
              "network_interface", "network-interface", "InvalidNetworkInterfaceID.NotFound",
              "The networkInterface ID '{id}' does not exist",
              "InvalidNetworkInterfaceID.Malformed"),
        _kind("elastic-ip", "eipalloc", "elastic_ips", "allocation_id", "elastic_ip",
              "elastic-ip", "InvalidAllocationID.NotFound",
              "The allocation ID '{id}' does not exist"),
        _kind("nat-gateway", "nat", "nat_gateways", "nat_gateway_id", "nat_gateway",
              "natgateway", "NatGatewayNotFound", "The Nat Gateway {id} was not found"),
        _kind("instance", "i", "instances", "instance_id", "instance", "instance",
              "InvalidInstanceID.NotFound", "The instance ID '{id}' does not exist",
              "InvalidInstanceID.Malformed"),
        _kind("volume", "vol", "volumes", "volume_id", "volume", "volume",
              "InvalidVolume.NotFound", "The volume '{id}' does not exist.",
              "InvalidVolumeID.Malformed"),
        _kind("snapshot", "snap", "snapshots", "snapshot_id", "snapshot", "snapshot",
              "InvalidSnapshot.NotFound", "The snapshot '{id}' does not exist.",
              "InvalidSnapshotID.Malformed"),
        _kind("image", "ami", "images", "image_id", "image", "image",
              "InvalidAMIID.NotFound", "The image id '[{id}]' does not exist",
              "InvalidAMIID.Malformed"),
        _kind("key-pair", "key", "key_pairs", "key_pair_id", "key_pair", "key-pair",
              "InvalidKeyPair.NotFound", "The key pair '{id}' does not exist"),
        _kind("placement-group", "pg", "placement_groups", "group_id", "placement_group",
              "placement-group", "InvalidPlacementGroup.Unknown",
              "The Placement Group '{id}' is unknown.", key_field="group_name"),
        _kind("prefix-list", "pl", "prefix_lists", "prefix_list_id", "prefix_list",
              "prefix-list", "InvalidPrefixListID.NotFound",
              "The prefix list ID '{id}' does not exist", "InvalidPrefixListId.Malformed"),
        _kind("vpc-endpoint", "vpce", "vpc_endpoints", "vpc_endpoint_id", "vpc_endpoint",
              "vpc-endpoint", "InvalidVpcEndpointId.NotFound",
              "The Vpc Endpoint Id '{id}' does not exist", "InvalidVpcEndpointId.Malformed"),
        _kind("launch-template", "lt", "launch_templates", "launch_template_id",
              "launch_template", "launch-template", "InvalidLaunchTemplateId.NotFound",
              "The specified launch template, with template ID {id}, does not exist.",
              "InvalidLaunchTemplateId.Malformed"),
        _kind("capacity-reservation", "cr", "capacity_reservations", "capacity_reservation_id",
              "capacity_reservation", "capacity-reservation",
              "InvalidCapacityReservationId.NotFound",
              "The capacity reservation ID '{id}' does not exist",
              "InvalidCapacityReservationId.Malformed"),
        _kind("spot-instance-request", "sir", "spot_instance_requests",
              "spot_instance_request_id", "spot_instance_request", "spot-instances-request",
              "InvalidSpotInstanceRequestID.NotFound",
              "The spot instance request ID '{id}' does not exist",
              "InvalidSpotInstanceRequestID.Malformed"),
    )
}
# fmt: on


def kind_of_id(resource_id: str) -> ResourceKind | None:
    """The kind an id belongs to, from its prefix (``sg-…`` → security group)."""
    prefix, _, rest = resource_id.rpartition("-")
    if not prefix or not rest:
        return None
    for kind in KINDS.values():
        if kind.id_prefix == prefix:
            return kind
    return None


Liveness: TypeAlias = Callable[[RequestContext, Record, datetime], bool]
"""Whether a stored record still shows as a resource at ``now`` (a volume whose lazy
``deleting → deleted`` transition has passed, a terminated instance past its retention, ...)."""

_LIVENESS: dict[str, Liveness] = {}


def live(kind_name: str) -> Callable[[Liveness], Liveness]:
    """Declare the liveness rule of ``kind_name`` (in the family that owns the kind)::

        @live("volume")
        def _volume_live(ctx: RequestContext, record: Record, now: datetime) -> bool:
            return volume_state(record, now) != "deleted"

    Every generic path (tags, describe, dependency checks) asks :func:`is_live`, so a resource
    a family considers gone is gone everywhere.
    """
    if kind_name not in KINDS:
        raise KeyError(f"unknown kind {kind_name!r}")

    def register(rule: Liveness) -> Liveness:
        if kind_name in _LIVENESS:
            raise ValueError(f"liveness of {kind_name!r} is declared twice")
        _LIVENESS[kind_name] = rule
        return rule

    return register


def is_live(ctx: RequestContext, kind: ResourceKind, record: Record, now: datetime) -> bool:
    """The kind's liveness rule (a record without a rule is live while it is stored)."""
    rule = _LIVENESS.get(kind.name)
    return rule is None or rule(ctx, record, now)
