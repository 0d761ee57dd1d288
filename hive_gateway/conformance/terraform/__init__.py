"""The Terraform AWS provider's exact call sequences, one module per Terraform resource.

Each resource module has ``create_*`` (the provider's Create: request, waiters, follow-up
modifications, then Read), ``read_*`` (the attribute dict the provider puts in state, flattened as
the provider flattens it — it decides whether the next plan is empty), ``update_*`` (tags first —
``DeleteTags`` with the old values, then ``CreateTags`` — then the resource's own Update) and
``delete_*`` (the provider's Delete with its retries, gone codes and waiters). Data sources are
``read_data_*``. Sources: ``terraform-provider-calls.md`` §1–§9, §17 and
``internal/service/ec2/vpc_*.go``.

Every function takes a :class:`~hive_gateway.conformance.runner.Harness`; a resource that the
provider's finder decides is gone raises :class:`~hive_gateway.conformance.runner.NotFound`, an
error the provider does not tolerate raises :class:`~hive_gateway.conformance.runner.ApiError`,
and a waiter that would fail raises :class:`~hive_gateway.conformance.runner.WaitError`.

Modules:

* ``config`` — what a ``.tf`` file says: one frozen dataclass per resource block (``VpcConfig``,
  ``SgRule``, ``RouteSpec``, ``NaclRule``, …) and the ``Obj``/``State`` aliases;
* ``finders`` — the gone codes, the one table-driven finder (``FINDERS``, ``find``,
  ``find_where``, ``find_member``) and the ``status`` / ``retry_new`` / ``retry_until_not_found``
  helpers;
* ``common`` — filter lists, tag specifications and updates, ARNs, the lingering-ENI sweep;
* ``aws_vpc``, ``aws_subnet``, ``aws_security_group``, ``aws_internet_gateway``,
  ``aws_egress_only_internet_gateway``, ``aws_route_table`` (with ``aws_route`` and
  ``aws_route_table_association``), ``aws_network_acl`` — one resource each;
* ``aws_vpc_peering_connection``, ``aws_vpn_gateway`` (with the attachment, route propagation
  and ``aws_customer_gateway``), ``aws_flow_log`` — each with its configuration dataclass;
* ``aws_defaults`` — every ``aws_default_*`` resource (VPC, subnet, DHCP options, security
  group, route table, network ACL);
* ``data_sources`` — ``aws_availability_zones``, ``aws_vpc``, ``aws_subnet``, ``aws_subnets``,
  ``aws_security_group``.

A new resource family adds ``aws_<x>.py`` here (and a ``FINDERS`` row when it is described by
id). Only :mod:`botocore`, the standard library and :mod:`hive_gateway.conformance` are imported.
"""
