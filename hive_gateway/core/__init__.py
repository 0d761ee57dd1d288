"""Domain services shared by every handler: records, kinds, dependents, claims, clock, filters.

Imports the standard library, :mod:`kv`, :mod:`hive_gateway.config` and ``core`` only.
"""
