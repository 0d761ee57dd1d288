"""The HTTP face of the gateway: the aiohttp app, the model-driven protocol, SigV4 and accounts.

It knows no resource family: handlers register themselves with :mod:`hive_gateway.core.registry`.
"""
