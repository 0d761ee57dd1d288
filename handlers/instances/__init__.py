"""Instances: RunInstances, DescribeInstances, lifecycle, attributes, credits, metadata, types.

The gateway keeps the API-level record of every instance (``instances`` bucket) and asks Hive's
daemons — or the built-in node simulator, it cannot tell which — to run them, over the NATS
contract of :mod:`hive_gateway.hive.daemon_contract`. Lifecycle state comes from the daemons: every
``DescribeInstances`` (and the instance actions) scatter-gathers ``ec2.DescribeInstances`` and
writes the state back into the record, where other modules read it.

``RunInstances``::

    validate (image, type, subnet, groups, key, placement group, counts, block devices)
    → <prefix>.node.status: which nodes have room for the type in the subnet's zone
    → per instance: create its network interface(s) and volumes, then
      ec2.RunInstances.<type>.<node> (or the type's queue group without node.status)
    → fewer than MinCount accepted: terminate those, delete every interface and volume,
      InsufficientInstanceCapacity; else attach interfaces and volumes, store the records.

Spread placement groups put at most one live instance per node (``--nodes N`` → at most N);
cluster groups put all on one node. Without any daemon (*no responders*) RunInstances fails
with ``InsufficientInstanceCapacity`` and leaves nothing behind.

AWS behaviours reproduced (all codes exact): ``ClientToken`` idempotency (same token → the same
reservation, other parameters → ``IdempotentParameterMismatch``); ``MinCount``/``MaxCount``;
Terraform's ``NetworkInterface.1.*`` form (``associate_public_ip_address``) and the plain
``SubnetId``/``SecurityGroupIds`` form, never both (``InvalidParameterCombination``); the
default VPC's default subnet when no subnet is given; ``UserData`` stored as sent and returned
verbatim by ``DescribeInstanceAttribute``; ``DisableApiTermination`` / ``DisableApiStop`` →
``OperationNotPermitted``; attribute changes that need a stopped instance →
``IncorrectInstanceState``; terminated instances stay visible (state ``terminated``) for
:attr:`~hive_gateway.config.Timings.terminated_retention` seconds (about an hour, as on AWS;
``serve --terminated-retention``) and release their
interfaces, volumes and addresses when they reach ``terminated``, so the subnet, security groups
and VPC can be deleted right after.

Modules (each with one job): :mod:`.constants`, :mod:`.record_fields` (times and state of a
record), :mod:`.runtime` (daemon client, locks, background tasks), :mod:`.errors`,
:mod:`.state` (records with daemon state merged in), :mod:`.state_effects` (what termination
and stop/start release or reassign), :mod:`.views` (API shapes), :mod:`.filters`; RunInstances
in :mod:`.plans`, :mod:`.validation`, :mod:`.launch_network`, :mod:`.launch_volumes`,
:mod:`.record_defaults`, :mod:`.placement`, :mod:`.run`; the other actions in
:mod:`.describe`, :mod:`.lifecycle`, :mod:`.attributes`, :mod:`.credits`,
:mod:`.metadata_options`, :mod:`.type_catalogue`, :mod:`.console`. Importing this package
registers every action.
"""

from __future__ import annotations

from handlers.instances import (
    attributes,
    console,
    credits,
    describe,
    lifecycle,
    metadata_options,
    run,
    type_catalogue,
)
from handlers.instances.constants import INSTANCE
from handlers.instances.filters import INSTANCE_FILTERS, STATUS_FILTERS, Row
from handlers.instances.filters import _ts as _ts  # tests compare filter values with it
from handlers.instances.runtime import daemon_client
from handlers.instances.state import current_records, get_instance, sync_states
from handlers.instances.state_effects import finalize_termination
from handlers.instances.type_catalogue import OFFERING_FILTERS, TYPE_FILTERS
from handlers.instances.validation import validate_run
from handlers.instances.views import instance_to_api, state_api

__all__ = [
    "INSTANCE",
    "INSTANCE_FILTERS",
    "OFFERING_FILTERS",
    "STATUS_FILTERS",
    "TYPE_FILTERS",
    "Row",
    "attributes",
    "console",
    "credits",
    "current_records",
    "daemon_client",
    "describe",
    "finalize_termination",
    "get_instance",
    "instance_to_api",
    "lifecycle",
    "metadata_options",
    "run",
    "state_api",
    "sync_states",
    "type_catalogue",
    "validate_run",
]
