"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per concern."""

pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.gateway",
]
