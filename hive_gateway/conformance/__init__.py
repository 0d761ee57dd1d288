"""Replays of the Terraform AWS provider's API calls against any EC2 endpoint (conformance checks).

* :mod:`~hive_gateway.conformance.runner` — the harness: a recording botocore client wrapper
  (every call's operation, params and outcome; a per-response check hooked on
  ``before-parse.ec2.*``), the provider's finder (``AssertSingleValueResult``, gone codes) and
  ``StateChangeConf`` waiter semantics with short polling under one deadline.
* :mod:`~hive_gateway.conformance.vpc_stack` — the provider's Create/Read/Update/Delete call
  sequences for the VPC family (aws_vpc, aws_subnet, aws_security_group, internet and egress-only
  gateways, route tables, routes, associations, network ACLs, every aws_default_* resource) and
  its data sources, with state flattened as the provider flattens it.
* :mod:`~hive_gateway.conformance.vpc_replay` — ``replay_vpc_stack(client)``: apply, refresh
  twice (no diff, no change), update, refresh, destroy, verify gone; returns a ``Report``.
"""
