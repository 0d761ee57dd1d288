"""Hive integration: the NATS bus, the gateway-daemon contract and the event subjects."""
