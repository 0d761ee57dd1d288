"""VPC peering connections (``pcx-…``): create, accept, reject, delete, describe, options.

Split by role: :mod:`.lifecycle` (states and their times), :mod:`.store` (the connection and
its cross-account link), :mod:`.view` (API form and filters), :mod:`.actions` (the actions),
:mod:`.cascade` (what a deleted VPC means for its peerings, declared through
:mod:`hive_gateway.core.dependents`), :mod:`.repairs` (cross-account links a crash left apart,
made whole at start-up).
"""

from handlers.vpc_peering import actions, cascade, repairs

__all__ = ["actions", "cascade", "repairs"]
