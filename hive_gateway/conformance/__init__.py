"""Replays of the Terraform AWS provider's API calls against any EC2 endpoint (conformance checks).

Imports nothing of ours outside this package: only botocore and the standard library, so it runs
against AWS itself as well as against the gateway.

* :mod:`~hive_gateway.conformance.runner` — the harness: a recording botocore client wrapper
  (every call's operation, params and outcome; a per-response check hooked on
  ``before-parse.ec2.*``), the provider's ``AssertSingleValueResult`` and ``StateChangeConf``
  waiter semantics with short polling under one deadline; ``Report`` and ``Drift``.
* :mod:`~hive_gateway.conformance.xml_check` — raw response bodies checked element by element
  against the botocore output shape, and the EC2/Query error envelopes.
* :mod:`~hive_gateway.conformance.terraform` — the provider's Create/Read/Update/Delete call
  sequences, one module per Terraform resource (``aws_vpc``, ``aws_subnet``,
  ``aws_security_group``, ``aws_internet_gateway``, ``aws_egress_only_internet_gateway``,
  ``aws_route_table`` with routes and associations, ``aws_network_acl``, every ``aws_default_*``
  in ``aws_defaults``), the data sources (``data_sources``), the configuration dataclasses
  (``config``), the one table-driven finder (``finders``) and shared helpers (``common``).
* :mod:`~hive_gateway.conformance.stack` — the VPC stack replayed: resource addresses,
  ``StackSettings``, and its configuration before and after the update (``stack_config``).
* :mod:`~hive_gateway.conformance.expectations` — what a plan compares: ``expectations``,
  ``compare_state``, ``state_differences`` and the set matchers.
* :mod:`~hive_gateway.conformance.replay` — ``replay_vpc_stack(client)``: apply, refresh twice
  (no diff, no change), update, refresh, destroy, verify gone; returns a ``Report``.
"""
