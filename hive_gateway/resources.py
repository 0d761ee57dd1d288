"""Resource kinds and account-scoped record access: the one way handlers read and write records.

Every stored resource kind is declared once in :data:`KINDS`: its id prefix, its Hive bucket and
id field, its TagSpecification resource type, and the exact error AWS gives for an unknown id.
Records live under Hive's key ``<account>.<resource-id>``, so another account's resource is
indistinguishable from a missing one (same ``…NotFound`` code and message).

Describe actions share :func:`describe`: explicit ids must all exist (else the kind's NotFound
error), then the filter engine, then pagination.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final, TypeAlias

from kv.buckets import account_key, account_prefix
from kv.records import RecordBucket
from kv.store import KeyExistsError, is_valid_key

from hive_gateway.context import RequestContext
from hive_gateway.errors import AwsError
from hive_gateway.filters import FilterSpec, apply_filters
from hive_gateway.pagination import paginate

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
    )
}


def kind_of_id(resource_id: str) -> ResourceKind | None:
    """The kind an id belongs to, from its prefix (``sg-…`` → security group)."""
    prefix, _, rest = resource_id.rpartition("-")
    if not prefix or not rest:
        return None
    for kind in KINDS.values():
        if kind.id_prefix == prefix:
            return kind
    return None


def utc_now() -> str:
    """Hive's ``created_at``: RFC 3339 UTC."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """A stored RFC 3339 timestamp as an aware datetime (for API ``…Time`` members)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def records(ctx: RequestContext, kind: ResourceKind) -> RecordBucket:
    """The record bucket of ``kind``."""
    return await ctx.runtime.records(kind.bucket, kind.schema)


async def _key_of(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> str | None:
    """The KV key of the caller's ``resource_id``, or ``None`` when no record can have that id.

    That is a name-keyed kind with no such id, or an id no record can have: one that is no valid
    KV key (``""``, ``sg-é``; asking the store would raise :class:`kv.store.InvalidKeyError`, a
    500, instead of the kind's NotFound error) or one with a ``.`` (ids never have one; such a key
    would reach the bucket's index records, e.g. ``<account>.name.<digest>`` of key pairs).
    """
    if kind.key_field is None:
        key = account_key(ctx.account_id, resource_id)
        return key if "." not in resource_id and is_valid_key(key) else None
    for record in await list_records(ctx, kind):
        if record.get(kind.id_field) == resource_id:
            return account_key(ctx.account_id, str(record[kind.key_field]))
    return None


async def find(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> Record | None:
    """The caller's record of ``resource_id``, or ``None``."""
    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        return None
    found = await (await records(ctx, kind)).get(key)
    return found[0] if found is not None else None


async def get(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> Record:
    """The caller's record of ``resource_id``; the kind's NotFound error when absent."""
    kind.check_id(resource_id)
    record = await find(ctx, kind, resource_id)
    if record is None:
        raise kind.not_found(resource_id)
    return record


async def list_records(ctx: RequestContext, kind: ResourceKind) -> list[Record]:
    """Every record of ``kind`` in the caller's account, sorted by id."""
    return await (await records(ctx, kind)).list(account_prefix(ctx.account_id))


async def create(ctx: RequestContext, kind: ResourceKind, record: Record) -> Record:
    """Store a new record under its id (or its ``key_field``).

    For a name-keyed kind an existing name raises :class:`kv.store.KeyExistsError`.
    """
    bucket = await records(ctx, kind)
    try:
        key_field = kind.key_field or kind.id_field
        await bucket.create(account_key(ctx.account_id, str(record[key_field])), record)
    except KeyExistsError as exc:
        if kind.key_field is not None:
            raise  # a name-keyed kind: the caller answers its own ``…Duplicate`` error
        # a 17-hex-digit id collision: astronomically unlikely
        raise AwsError("InternalError", "An internal error has occurred", status=500) from exc
    return record


Mutation: TypeAlias = Callable[[Record], Record | None | Awaitable[Record | None]]


async def mutate(
    ctx: RequestContext, kind: ResourceKind, resource_id: str, change: Mutation
) -> Record | None:
    """Compare-and-swap the caller's record of ``resource_id`` through ``change``.

    ``change`` gets the current record (never ``None``: a missing record raises the kind's
    NotFound error) and returns the new one, or ``None`` to delete it. Raising inside
    ``change`` aborts without writing; concurrent writers are retried.
    """
    kind.check_id(resource_id)

    async def apply(current: Record | None) -> Record | None:
        if current is None:
            raise kind.not_found(resource_id)
        outcome = change(current)
        return await outcome if inspect.isawaitable(outcome) else outcome

    key = await _key_of(ctx, kind, resource_id)
    if key is None:
        raise kind.not_found(resource_id)
    bucket = await records(ctx, kind)
    return await bucket.mutate(key, apply)


async def delete(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> None:
    """Remove the caller's record of ``resource_id`` (no error when already gone)."""
    key = await _key_of(ctx, kind, resource_id)
    if key is not None:
        await (await records(ctx, kind)).delete(key)


def not_found_error(kind: ResourceKind, missing: Sequence[str]) -> AwsError:
    """The kind's NotFound error naming ``missing`` (``…Malformed`` first for a bad id)."""
    for resource_id in missing:
        kind.check_id(resource_id)
    if len(missing) == 1:
        return kind.not_found(missing[0])
    error = kind.not_found(", ".join(missing))
    error.message = error.message.replace(" does not exist", " do not exist").replace(
        " ID ", " IDs ", 1
    )
    return error


def check_ids_exist(kind: ResourceKind, wanted: Sequence[str], present: set[str]) -> None:
    """Raise the kind's NotFound error naming the ids of ``wanted`` not in ``present``."""
    missing = [resource_id for resource_id in wanted if resource_id not in present]
    if missing:
        raise not_found_error(kind, missing)


def select_wanted(
    items: Sequence[Record],
    wanted: Sequence[str],
    member: str,
    missing: Callable[[list[str]], AwsError] | None,
) -> list[Record]:
    """The API-form ``items`` whose ``member`` is one of ``wanted`` (all items when none wanted).

    ``missing`` builds the error for wanted values no item has (``None``: they are just absent,
    as AWS answers for egress-only internet gateways).
    """
    if not wanted:
        return list(items)
    present = {item[member] for item in items}
    absent = [value for value in wanted if value not in present]
    if absent and missing is not None:
        raise missing(absent)
    wanted_set = set(wanted)
    return [item for item in items if item[member] in wanted_set]


async def describe(
    ctx: RequestContext,
    kind: ResourceKind,
    params: Mapping[str, Any],
    *,
    ids_param: str,
    result_key: str,
    spec: FilterSpec[Record],
    to_api: Callable[[RequestContext, Record], Record],
    ids_wire_name: str | None = None,
    missing_ids_ok: bool = False,
    extra: Sequence[Record] = (),
) -> Record:
    """The standard ``Describe<Kind>s``: ids → filters → page; returns the result dict.

    ``to_api`` renders a record into its API form; filters apply to that form. With
    ``missing_ids_ok`` unknown ids are simply absent (AWS's behaviour for a few kinds, e.g.
    egress-only internet gateways). ``extra`` adds API-form items that are not stored.
    """
    items = [to_api(ctx, record) for record in await list_records(ctx, kind)] + list(extra)
    id_member = kind.api_id_member
    items = select_wanted(
        items,
        list(params.get(ids_param) or []),
        id_member,
        None if missing_ids_ok else lambda absent: not_found_error(kind, absent),
    )
    items = apply_filters(spec, params.get("Filters"), items)
    page = paginate(
        items, params, key=lambda item: str(item[id_member]),
        ids_param=ids_param, ids_wire_name=ids_wire_name,
    )
    return {result_key: page.items, **page.token_member()}

