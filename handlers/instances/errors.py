"""The AWS errors of the instance actions, and daemon error codes translated to them."""

from __future__ import annotations

import logging

from handlers.instances.constants import INSTANCE
from handlers.instances.plans import RunPlan
from hive_gateway.hive import daemon_contract as contract
from hive_gateway.core.errors import AwsError, invalid_parameter_value

LOG = logging.getLogger(__name__)


def malformed(instance_id: str) -> AwsError:
    """``InvalidInstanceID.Malformed``."""
    return AwsError("InvalidInstanceID.Malformed", f'Invalid id: "{instance_id}"')


def check_instance_id(instance_id: str) -> None:
    """``InvalidInstanceID.Malformed`` for an id that is not ``i-`` + 8 or 17 hex digits."""
    rest = instance_id[2:] if instance_id.startswith("i-") else ""
    if len(rest) not in (8, 17) or any(c not in "0123456789abcdef" for c in rest):
        raise malformed(instance_id)


def incorrect_state(instance_id: str, verb: str) -> AwsError:
    """``IncorrectInstanceState``: the instance cannot be ``verb`` (stopped, started, ...)."""
    return AwsError(
        "IncorrectInstanceState",
        f"The instance '{instance_id}' is not in a state from which it can be {verb}.",
    )


def not_stopped(instance_id: str) -> AwsError:
    """``IncorrectInstanceState`` for a change that needs a stopped instance."""
    return AwsError(
        "IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state."
    )


def insufficient_capacity(instance_type: str, zone: str) -> AwsError:
    """``InsufficientInstanceCapacity`` for ``instance_type`` in ``zone``."""
    return AwsError(
        "InsufficientInstanceCapacity",
        f"We currently do not have sufficient {instance_type} capacity in the Availability Zone "
        f"you requested ({zone}). Our system will be working on provisioning additional capacity.",
    )


def spread_full(group: str, hosts: int) -> AwsError:
    """``InsufficientInstanceCapacity``: every host of the spread group is taken."""
    return AwsError(
        "InsufficientInstanceCapacity",
        f"We currently do not have sufficient capacity to launch more instances in the spread "
        f"placement group '{group}': each of its {hosts} available host(s) already runs one of "
        f"its instances.",
    )


def daemon_error(
    exc: contract.DaemonError, *, instance_id: str = "", plan: RunPlan | None = None
) -> AwsError:
    """A daemon's bare error code as the AWS error the client sees."""
    code = exc.code
    if code == "InsufficientInstanceCapacity" and plan is not None:
        return insufficient_capacity(plan.instance_type, plan.zone)
    if code == "InvalidInstanceID.NotFound" and instance_id:
        return INSTANCE.not_found(instance_id)
    if code == "IncorrectInstanceState" and instance_id:
        return AwsError(
            code, f"The instance '{instance_id}' is not in a valid state for this operation."
        )
    if code == "InvalidInstanceType" and plan is not None:
        return invalid_parameter_value(f"Invalid value '{plan.instance_type}' for InstanceType.")
    if code in ("ServerInternal", "ValidationError"):
        LOG.error("daemon answered %s", code)
        return AwsError("InternalError", "An internal error has occurred", status=500)
    return AwsError(code, exc.message or "")
