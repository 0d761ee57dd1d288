"""Replay ``terraform apply`` → ``plan`` → ``plan`` → update → ``destroy`` of the VPC stack
(:mod:`~hive_gateway.conformance.stack`) against any EC2 endpoint.

:func:`replay_vpc_stack` runs: create everything in dependency order → read all (state A) →
compare state A with the configuration (every attribute a plan would diff) → read all again
(state B must equal A) → update → read and compare with the new configuration → destroy in
reverse order → verify every id is gone with the exact NotFound code (or an empty list where the
provider expects one). It works against any endpoint: the ``aws_default_*`` resources tag the
account's default VPC, subnet and DHCP options (as Terraform would); pass
``StackSettings(include_defaults=False)`` to leave them alone on a real account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from hive_gateway.conformance.expectations import (
    NONEMPTY,
    compare_state,
    expectations,
    state_differences,
)
from hive_gateway.conformance.runner import (
    ApiError,
    Harness,
    NotFound,
    Report,
    ResponseCheck,
    WaitError,
)
from hive_gateway.conformance.stack import (
    DATA_AZS,
    DATA_DEFAULT_SUBNET,
    DATA_DEFAULT_VPC,
    DATA_SG,
    DATA_SUBNET,
    DATA_SUBNETS,
    DATA_VPC,
    DEFAULT_DHCP,
    DEFAULT_NACL,
    DEFAULT_RT,
    DEFAULT_SG,
    DEFAULT_SUBNET,
    DEFAULT_VPC,
    EIGW,
    IGW,
    NACL,
    ROUTE,
    RT_PRIVATE,
    RT_PUBLIC,
    RTA,
    SG,
    SUBNET_A,
    SUBNET_B,
    VPC,
    StackConfig,
    StackSettings,
    stack_config,
)
from hive_gateway.conformance.terraform import (
    aws_defaults,
    aws_egress_only_internet_gateway,
    aws_internet_gateway,
    aws_network_acl,
    aws_route_table,
    aws_security_group,
    aws_subnet,
    aws_vpc,
    data_sources,
)
from hive_gateway.conformance.terraform.config import State

__all__ = [
    "NONEMPTY",
    "StackConfig",
    "StackSettings",
    "compare_state",
    "expectations",
    "replay_vpc_stack",
    "stack_config",
]

# --- the replay -----------------------------------------------------------------------------------

GONE_CHECKS: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    # (address, operation, id parameter, exact error code — None: an empty list, no error)
    (VPC, "DescribeVpcs", "VpcIds", "InvalidVpcID.NotFound"),
    (SUBNET_A, "DescribeSubnets", "SubnetIds", "InvalidSubnetID.NotFound"),
    (SUBNET_B, "DescribeSubnets", "SubnetIds", "InvalidSubnetID.NotFound"),
    (SG, "DescribeSecurityGroups", "GroupIds", "InvalidGroup.NotFound"),
    (DEFAULT_SG, "DescribeSecurityGroups", "GroupIds", "InvalidGroup.NotFound"),
    (IGW, "DescribeInternetGateways", "InternetGatewayIds", "InvalidInternetGatewayID.NotFound"),
    (EIGW, "DescribeEgressOnlyInternetGateways", "EgressOnlyInternetGatewayIds", None),
    (RT_PUBLIC, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (RT_PRIVATE, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (DEFAULT_RT, "DescribeRouteTables", "RouteTableIds", "InvalidRouteTableID.NotFound"),
    (NACL, "DescribeNetworkAcls", "NetworkAclIds", "InvalidNetworkAclID.NotFound"),
    (DEFAULT_NACL, "DescribeNetworkAcls", "NetworkAclIds", "InvalidNetworkAclID.NotFound"),
)

CREATED_ID_PATHS: Final = {
    "CreateVpc": ("Vpc", "VpcId"),
    "CreateSubnet": ("Subnet", "SubnetId"),
    "CreateSecurityGroup": ("GroupId",),
    "CreateInternetGateway": ("InternetGateway", "InternetGatewayId"),
    "CreateEgressOnlyInternetGateway": ("EgressOnlyInternetGateway", "EgressOnlyInternetGatewayId"),
    "CreateRouteTable": ("RouteTable", "RouteTableId"),
    "AssociateRouteTable": ("AssociationId",),
    "CreateNetworkAcl": ("NetworkAcl", "NetworkAclId"),
}
"""Where each Create response carries the new id (the provider's ``d.SetId`` before its waiters)."""

RESULT_KEYS: Final = {
    "DescribeVpcs": "Vpcs",
    "DescribeSubnets": "Subnets",
    "DescribeSecurityGroups": "SecurityGroups",
    "DescribeInternetGateways": "InternetGateways",
    "DescribeEgressOnlyInternetGateways": "EgressOnlyInternetGateways",
    "DescribeRouteTables": "RouteTables",
    "DescribeNetworkAcls": "NetworkAcls",
}


@dataclass
class _Replay:
    h: Harness
    settings: StackSettings
    report: Report
    ids: dict[str, str] = field(default_factory=dict)
    az: str = ""
    azs: list[str] = field(default_factory=list)
    phase: str = "start"
    ipv6_association_id: str = ""

    def config(self, *, updated: bool = False) -> StackConfig:
        return stack_config(self.settings, self.ids, self.az, updated=updated)

    def create(self, address: str, create: Callable[[], tuple[str, State]]) -> State:
        """Run one resource's Create. If it fails after the Create call returned an id, the id is
        kept (Terraform keeps the resource in state, tainted) so that destroy removes it."""
        mark = len(self.h.calls)
        try:
            self.ids[address], state = create()
        except Exception:
            for call in reversed(self.h.calls[mark:]):
                path = CREATED_ID_PATHS.get(call.operation)
                if path and call.response is not None and address not in self.ids:
                    value: Any = call.response
                    for key in path:
                        value = value.get(key, {}) if isinstance(value, dict) else {}
                    if isinstance(value, str) and value:
                        self.ids[address] = value
            raise
        return state

    # --- apply ---------------------------------------------------------------------------------

    def create_all(self) -> None:
        self.phase = "create"
        h = self.h
        zones = data_sources.read_data_availability_zones(h)
        self.azs = list(zones["names"])
        if not self.azs:
            raise NotFound("aws_availability_zones", "empty")
        self.az = self.azs[0]
        vpc = self.create(VPC, lambda: aws_vpc.create_vpc(h, self.config().vpc))
        self.ipv6_association_id = str(vpc.get("ipv6_association_id") or "")
        self.ids["default_route_table_id"] = str(vpc.get("default_route_table_id") or "")
        self.ids["default_network_acl_id"] = str(vpc.get("default_network_acl_id") or "")
        if self.settings.include_defaults:
            config = self.config()
            self.create(
                DEFAULT_DHCP,
                lambda: aws_defaults.create_default_dhcp_options(h, config.default_dhcp_options),
            )
            self.create(DEFAULT_VPC, lambda: aws_defaults.create_default_vpc(h, config.default_vpc))
            self.create(
                DEFAULT_SUBNET, lambda: aws_defaults.create_default_subnet(h, config.default_subnet)
            )
        steps: list[tuple[str, Callable[[StackConfig], tuple[str, State]]]] = [
            (SUBNET_A, lambda c: aws_subnet.create_subnet(h, c.subnet_a)),
            (SUBNET_B, lambda c: aws_subnet.create_subnet(h, c.subnet_b)),
            (SG, lambda c: aws_security_group.create_security_group(h, c.security_group)),
            (IGW, lambda c: aws_internet_gateway.create_internet_gateway(h, c.internet_gateway)),
            (
                EIGW,
                lambda c: aws_egress_only_internet_gateway.create_egress_only_internet_gateway(
                    h, c.egress_only_internet_gateway
                ),
            ),
            (RT_PUBLIC, lambda c: aws_route_table.create_route_table(h, c.route_table_public)),
            (RT_PRIVATE, lambda c: aws_route_table.create_route_table(h, c.route_table_private)),
            (ROUTE, lambda c: (c.route.route_table_id, aws_route_table.create_route(h, c.route))),
            (
                RTA,
                lambda c: aws_route_table.create_route_table_association(
                    h, c.route_table_association
                ),
            ),
            (NACL, lambda c: aws_network_acl.create_network_acl(h, c.network_acl)),
            (
                DEFAULT_SG,
                lambda c: aws_defaults.create_default_security_group(h, c.default_security_group),
            ),
            (
                DEFAULT_RT,
                lambda c: aws_defaults.create_default_route_table(h, c.default_route_table),
            ),
            (
                DEFAULT_NACL,
                lambda c: aws_defaults.create_default_network_acl(h, c.default_network_acl),
            ),
        ]
        for address, step in steps:
            config = self.config()  # each step sees the ids created before it
            self.create(address, partial(step, config))

    def update_all(self) -> None:
        self.phase = "update"
        h = self.h
        old, new = self.config(), self.config(updated=True)
        aws_vpc.update_vpc(
            h, self.ids[VPC], old.vpc, new.vpc, ipv6_association_id=self.ipv6_association_id
        )
        aws_subnet.update_subnet(h, self.ids[SUBNET_A], old.subnet_a, new.subnet_a)
        aws_security_group.update_security_group(
            h, self.ids[SG], old.security_group, new.security_group
        )
        aws_internet_gateway.update_internet_gateway(
            h, self.ids[IGW], old.internet_gateway, new.internet_gateway
        )
        aws_egress_only_internet_gateway.update_egress_only_internet_gateway(
            h, self.ids[EIGW], old.egress_only_internet_gateway, new.egress_only_internet_gateway
        )
        aws_route_table.update_route_table(
            h, self.ids[RT_PUBLIC], old.route_table_public, new.route_table_public
        )
        aws_route_table.update_route(h, old.route, new.route)
        self.ids[RTA], _ = aws_route_table.update_route_table_association(
            h, self.ids[RTA], old.route_table_association, new.route_table_association
        )
        aws_network_acl.update_network_acl(h, self.ids[NACL], old.network_acl, new.network_acl)
        aws_security_group.update_security_group(
            h, self.ids[DEFAULT_SG], old.default_security_group, new.default_security_group
        )

    # --- refresh -------------------------------------------------------------------------------

    def read_all(self, *, updated: bool = False) -> dict[str, State]:
        """One refresh: every resource's Read and every data source, in plan order."""
        h, ids = self.h, self.ids
        config = self.config(updated=updated)
        readers: list[tuple[str, Callable[[], State]]] = [
            (DATA_AZS, lambda: data_sources.read_data_availability_zones(h)),
            (
                VPC,
                lambda: aws_vpc.read_vpc(h, ids[VPC], ipv6_association_id=self.ipv6_association_id),
            ),
            (SUBNET_A, lambda: aws_subnet.read_subnet(h, ids[SUBNET_A])),
            (SUBNET_B, lambda: aws_subnet.read_subnet(h, ids[SUBNET_B])),
            (SG, lambda: aws_security_group.read_security_group(h, ids[SG])),
            (IGW, lambda: aws_internet_gateway.read_internet_gateway(h, ids[IGW])),
            (
                EIGW,
                lambda: aws_egress_only_internet_gateway.read_egress_only_internet_gateway(
                    h, ids[EIGW]
                ),
            ),
            (
                RT_PUBLIC,
                lambda: aws_route_table.read_route_table(
                    h, ids[RT_PUBLIC], config.route_table_public.routes or ()
                ),
            ),
            (
                RT_PRIVATE,
                lambda: aws_route_table.read_route_table(
                    h, ids[RT_PRIVATE], config.route_table_private.routes or ()
                ),
            ),
            (ROUTE, lambda: aws_route_table.read_route(h, config.route)),
            (RTA, lambda: aws_route_table.read_route_table_association(h, ids[RTA])),
            (NACL, lambda: aws_network_acl.read_network_acl(h, ids[NACL])),
            (DEFAULT_SG, lambda: aws_security_group.read_security_group(h, ids[DEFAULT_SG])),
            (
                DEFAULT_RT,
                lambda: aws_defaults.read_default_route_table(
                    h, ids[DEFAULT_RT], config.default_route_table.routes
                ),
            ),
            (DEFAULT_NACL, lambda: aws_defaults.read_default_network_acl(h, ids[DEFAULT_NACL])),
            (
                DATA_VPC,
                lambda: data_sources.read_data_vpc(
                    h, cidr_block=config.vpc.cidr_block, tags={"Name": self.settings.name}
                ),
            ),
            (
                DATA_SUBNET,
                lambda: data_sources.read_data_subnet(
                    h,
                    vpc_id=ids[VPC],
                    availability_zone=self.az,
                    cidr_block=config.subnet_a.cidr_block,
                ),
            ),
            (
                DATA_SUBNETS,
                lambda: data_sources.read_data_subnets(
                    h, filters=[{"Name": "vpc-id", "Values": [ids[VPC]]}]
                ),
            ),
            (
                DATA_SG,
                lambda: data_sources.read_data_security_group(
                    h, name=config.security_group.name, vpc_id=ids[VPC]
                ),
            ),
        ]
        if self.settings.include_defaults:
            readers += [
                (DEFAULT_VPC, lambda: aws_vpc.read_vpc(h, ids[DEFAULT_VPC])),
                (DEFAULT_SUBNET, lambda: aws_subnet.read_subnet(h, ids[DEFAULT_SUBNET])),
                (DEFAULT_DHCP, lambda: aws_defaults.read_dhcp_options(h, ids[DEFAULT_DHCP])),
                (DATA_DEFAULT_VPC, lambda: data_sources.read_data_vpc(h, default=True)),
                (
                    DATA_DEFAULT_SUBNET,
                    lambda: data_sources.read_data_subnet(
                        h, availability_zone=self.az, default_for_az=True
                    ),
                ),
            ]
        states: dict[str, State] = {}
        for address, read in readers:
            try:
                states[address] = read()
            except NotFound as exc:
                # On a refresh the provider silently drops the resource: the next plan recreates it.
                self.report.problems.append(f"{self.phase}: {address} read as gone ({exc})")
            except data_sources.DataSourceError as exc:
                self.report.problems.append(f"{self.phase}: {address}: {exc}")
        return states

    # --- destroy -------------------------------------------------------------------------------

    def destroy_all(self, *, best_effort: bool = False) -> None:
        """Reverse dependency order, with each resource's retries and waiters."""
        self.phase = "destroy"
        h, ids = self.h, self.ids
        config = self.config(updated=True)
        steps: list[tuple[str, Callable[[], None]]] = [
            (DEFAULT_NACL, lambda: aws_defaults.delete_default_network_acl(h, ids[DEFAULT_NACL])),
            (DEFAULT_RT, lambda: aws_defaults.delete_default_route_table(h, ids[DEFAULT_RT])),
            (DEFAULT_SG, lambda: aws_defaults.delete_default_security_group(h, ids[DEFAULT_SG])),
            (RTA, lambda: aws_route_table.delete_route_table_association(h, ids[RTA])),
            (ROUTE, lambda: aws_route_table.delete_route(h, config.route)),
            (NACL, lambda: aws_network_acl.delete_network_acl(h, ids[NACL], ids[VPC])),
            (RT_PRIVATE, lambda: aws_route_table.delete_route_table(h, ids[RT_PRIVATE])),
            (RT_PUBLIC, lambda: aws_route_table.delete_route_table(h, ids[RT_PUBLIC])),
            (
                EIGW,
                lambda: aws_egress_only_internet_gateway.delete_egress_only_internet_gateway(
                    h, ids[EIGW]
                ),
            ),
            (IGW, lambda: aws_internet_gateway.delete_internet_gateway(h, ids[IGW], ids[VPC])),
            (SG, lambda: aws_security_group.delete_security_group(h, ids[SG])),
            (SUBNET_B, lambda: aws_subnet.delete_subnet(h, ids[SUBNET_B])),
            (SUBNET_A, lambda: aws_subnet.delete_subnet(h, ids[SUBNET_A])),
            (DEFAULT_SUBNET, lambda: aws_defaults.delete_default_subnet(h, ids[DEFAULT_SUBNET])),
            (DEFAULT_VPC, lambda: aws_defaults.delete_default_vpc(h, ids[DEFAULT_VPC])),
            (DEFAULT_DHCP, lambda: aws_defaults.delete_default_dhcp_options(h, ids[DEFAULT_DHCP])),
            (VPC, lambda: aws_vpc.delete_vpc(h, ids[VPC])),
        ]
        for address, delete in steps:
            if address not in ids:
                continue
            try:
                delete()
            except (ApiError, NotFound, WaitError, KeyError) as exc:
                if not best_effort:
                    raise
                self.report.problems.append(f"cleanup: {address}: {type(exc).__name__}: {exc}")

    def verify_gone(self) -> None:
        """Describe every destroyed id: the exact NotFound code, or an empty list for the EIGW."""
        self.phase = "verify"
        for address, operation, id_param, code in GONE_CHECKS:
            resource_id = self.ids.get(address)
            if not resource_id:
                continue
            try:
                response = self.h.call(operation, **{id_param: [resource_id]})
            except ApiError as error:
                self.h.calls[-1].tolerated = error.code == code
                if error.code != code:
                    self.report.problems.append(
                        f"verify: {address} {resource_id}: {operation} gave {error.code}, expected {code or 'an empty list'}"
                    )
                continue
            assert response is not None
            items = response.get(RESULT_KEYS[operation]) or []
            if code is not None or items:
                self.report.problems.append(
                    f"verify: {address} {resource_id}: {operation} still returns {len(items)} item(s)"
                    + (f", expected {code}" if code else "")
                )
        association = self.ids.get(RTA)
        if association:
            tables = self.h.find_all(
                "DescribeRouteTables",
                "RouteTables",
                Filters=[
                    {"Name": "association.route-table-association-id", "Values": [association]}
                ],
            )
            if tables:
                self.report.problems.append(f"verify: association {association} still listed")
        vpc_id = self.ids.get(VPC)
        if vpc_id:
            for operation in (
                "DescribeSubnets",
                "DescribeSecurityGroups",
                "DescribeRouteTables",
                "DescribeNetworkAcls",
            ):
                left = self.h.find_all(
                    operation,
                    RESULT_KEYS[operation],
                    Filters=[{"Name": "vpc-id", "Values": [vpc_id]}],
                )
                if left:
                    self.report.problems.append(
                        f"verify: {operation}(vpc-id={vpc_id}) still returns {len(left)}"
                    )

    # --- the whole run -------------------------------------------------------------------------

    def run(self) -> None:
        settings = self.settings
        self.create_all()
        self.phase = "refresh A"
        state_a = self.read_all()
        self.report.states["A"] = state_a
        self.report.drifts += compare_state(
            state_a, expectations(self.config(), self.ids, settings, self.azs), phase="after apply"
        )
        self.phase = "refresh B"
        state_b = self.read_all()
        self.report.states["B"] = state_b
        self.report.drifts += state_differences(
            state_a, state_b, phase="refresh B differs from refresh A"
        )
        self.update_all()
        self.phase = "refresh after update"
        updated = self.read_all(updated=True)
        self.report.states["updated"] = updated
        self.report.drifts += compare_state(
            updated,
            expectations(self.config(updated=True), self.ids, settings, self.azs),
            phase="after update",
        )
        self.destroy_all()
        self.verify_gone()


def replay_vpc_stack(
    client: Any,
    *,
    settings: StackSettings | None = None,
    check: ResponseCheck | None = None,
    poll: float = 0.05,
    timeout: float = 15.0,
) -> Report:
    """Replay the provider's full sequence for the VPC stack against ``client``'s endpoint.

    ``client`` is a botocore (or boto3) EC2 client, or a zero-argument factory returning one;
    ``check(operation_model, status, body)`` is called with every raw response. Never raises for endpoint misbehaviour: everything is in the
    returned :class:`Report` (``report.ok``), and after a failure whatever was created is destroyed
    on a best-effort basis.
    """
    if callable(client) and not hasattr(client, "meta"):
        client = client()
    harness = Harness(client, check=check, poll=poll, timeout=timeout)
    report = Report(calls=harness.calls)
    replay = _Replay(harness, settings or StackSettings(), report)
    try:
        replay.run()
    except (ApiError, NotFound, WaitError, data_sources.DataSourceError, KeyError) as exc:
        report.problems.append(f"{replay.phase}: {type(exc).__name__}: {exc}")
        replay.destroy_all(best_effort=True)
    report.ids = dict(replay.ids)
    return report
