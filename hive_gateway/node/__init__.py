"""The built-in node simulator: answers Hive daemon subjects so the gateway works without Hive.

``hive-gateway serve`` starts it in-process (unless ``--no-builtin-node``); ``hive-gateway node``
runs it as its own process against the gateway's NATS. See :mod:`hive_gateway.node.simulator`.
"""

from hive_gateway.node.config import NodeConfig
from hive_gateway.node.simulator import NodeSimulator, SimulatedHost

__all__ = ["NodeConfig", "NodeSimulator", "SimulatedHost"]
