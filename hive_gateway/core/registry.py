"""Declarative action registry: ``@action("CreateVpc")`` binds a handler to an operation.

Handlers are ``async def handler(ctx, params) -> dict | None``: ``params`` is the parsed input
keyed by botocore member names, the result is keyed by the output shape's member names.
:func:`hive_gateway.api.app.validate_registry` checks at start-up that every registered name
exists in the model, so a typo fails at boot instead of in Terraform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from hive_gateway.core.context import RequestContext

Params: TypeAlias = dict[str, Any]
Result: TypeAlias = Mapping[str, Any] | None
Handler: TypeAlias = Callable[[RequestContext, Params], Awaitable[Result]]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One implemented operation."""

    service: str
    name: str
    handler: Handler


REGISTRY: dict[tuple[str, str], ActionSpec] = {}

AccountHook: TypeAlias = Callable[[RequestContext], Awaitable[None]]
ACCOUNT_SETUP: list[AccountHook] = []
"""Coroutines run once per account (per gateway process) before its first EC2 request."""


def on_first_request(hook: AccountHook) -> AccountHook:
    """Register ``hook`` to prepare an account, e.g. create its default VPC as Hive does.

    Hooks must be idempotent across processes: several gateways may share one store.
    """
    ACCOUNT_SETUP.append(hook)
    return hook


def action(name: str, *, service: str = "ec2") -> Callable[[Handler], Handler]:
    """Register the decorated coroutine as the handler of ``service:name``."""

    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in REGISTRY:
            raise ValueError(f"{service}:{name} is registered twice")
        REGISTRY[key] = ActionSpec(service, name, handler)
        return handler

    return register


def lookup(service: str, name: str) -> ActionSpec | None:
    """The handler registered for ``service:name``, if any."""
    return REGISTRY.get((service, name))


def implemented(service: str) -> list[str]:
    """Sorted names of the operations implemented for ``service``."""
    return sorted(n for (s, n) in REGISTRY if s == service)
