"""Route tables, routes and route-table associations.

AWS behaviour reproduced:

* every table has a ``local`` route per associated VPC CIDR (IPv4 and IPv6): ``GatewayId=local``,
  ``Origin=CreateRouteTable``, ``State=active``; it cannot be deleted::

      DeleteRoute RouteTableId=rtb-1&DestinationCidrBlock=10.0.0.0/16
      → InvalidParameterValue: cannot remove local route 10.0.0.0/16 in route table rtb-1

* ``CreateVpc`` creates the VPC's *main* table (one ``Main=true`` association without a subnet);
  ``ReplaceRouteTableAssociation`` on that association makes another table main, with a NEW
  association id;
* a route has exactly one destination (``DestinationCidrBlock`` — canonicalised, ``10.0.0.9/16``
  is stored as ``10.0.0.0/16`` — ``DestinationIpv6CidrBlock`` or ``DestinationPrefixListId``)
  and exactly one target. Only the target that was set is rendered (Terraform reads every
  non-nil target field), ``Origin=CreateRoute``, ``State`` ``active`` or ``blackhole`` once the
  target is gone or detached;
* an internet gateway target must be attached to the table's VPC::

      CreateRoute RouteTableId=rtb-1&DestinationCidrBlock=0.0.0.0/0&GatewayId=igw-2
      → InvalidParameterValue: route table rtb-1 and network gateway igw-2 belong to different networks

  ``GatewayId`` is as forgiving as on AWS: a ``nat-``/``eigw-`` id given there is stored (and
  rendered) as ``NatGatewayId``/``EgressOnlyInternetGatewayId``; ``local`` is only accepted by
  ``ReplaceRoute`` (or ``LocalTarget=true``) to restore a local route;
* a subnet (or gateway) has at most one explicit association (``Resource.AlreadyAssociated``); a
  table that is main or associated cannot be deleted (``DependencyViolation``).

Every read-modify-write is a compare-and-swap through :func:`records.mutate`. Uniqueness of
explicit associations is kept by write-then-verify: an association that finds a rival after
writing removes itself, so two racing requests never both succeed.

The module exports what ``vpcs`` composes: :func:`create_main_route_table` (CreateVpc),
:func:`add_local_route`/:func:`remove_local_route` (VPC CIDR blocks) and :func:`add_route` (the
default VPC). What other families' events mean for route tables is declared here through
:mod:`hive_gateway.core.dependents`: non-main tables block ``DeleteVpc`` and go with the VPC; a
deleted subnet loses its association; every route target with a stored kind (:data:`TARGETS`)
blackholes its routes when deleted, an instance's when it terminates, and an internet gateway's
routes follow its attachment (``active`` on attach, ``blackhole`` on detach).
"""

from __future__ import annotations

from handlers.route_tables import (
    associations,
    constants,
    destinations,
    lifecycle,
    reactions,
    routes,
    tables,
    targets,
    views,
)
from handlers.route_tables.tables import (
    add_local_route,
    add_route,
    blackhole_routes,
    create_main_route_table,
    remove_local_route,
    remove_subnet_associations,
    set_route_state,
)
from handlers.route_tables.targets import TARGETS
from handlers.route_tables.views import route_table_to_api

__all__ = [
    "TARGETS",
    "add_local_route",
    "add_route",
    "associations",
    "blackhole_routes",
    "constants",
    "create_main_route_table",
    "destinations",
    "lifecycle",
    "reactions",
    "remove_local_route",
    "remove_subnet_associations",
    "route_table_to_api",
    "routes",
    "set_route_state",
    "tables",
    "targets",
    "views",
]
