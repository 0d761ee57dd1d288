"""``ClientToken``: one request creates its resource once, however often it is retried.

AWS: a retry with the same client token and the same parameters succeeds without creating
anything more and answers what the first request created; the same token with other
parameters is ``IdempotentParameterMismatch``. Without a token every call creates.

The token is claimed in the :data:`~hive_gateway.core.claims.CLIENT_TOKENS` space (one CAS write,
so it holds across gateway processes sharing a store) with the id the resource gets (derived
from (account, kind, token)) and a fingerprint of the request parameters. A second request with
the token waits while the first is still creating, then answers the same resource. A claim whose
request failed or crashed (see :mod:`~hive_gateway.core.claims`) is taken over; one whose
resource was deleted since is taken over by any request, which creates a new resource (new id).

Use :func:`create_record` when one record write creates the resource (CreateRouteTable,
CreateNetworkAcl …) and :func:`create_once` when creating does more (CreateNetworkInterface
allocates addresses, RunInstances asks the daemons).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from hive_gateway.core import claims, records
from hive_gateway.core.context import RequestContext
from hive_gateway.core.errors import AwsError
from hive_gateway.core.ids import new_id
from hive_gateway.core.kinds import Record, ResourceKind

T = TypeVar("T")

MISMATCH_MESSAGE: Final = (
    "The client token '{token}' has already been used with different parameters."
)
"""``IdempotentParameterMismatch`` of the VPC family's creates (``CreateRouteTable`` …)."""

NOT_FINGERPRINTED: Final = frozenset({"ClientToken", "DryRun"})
"""Request members that never make two requests different."""

_POLL_SECONDS: Final = (0.02, 0.05, 0.1, 0.2)
"""Back-off while waiting for the first request with a token to finish."""


def mismatch(token: str, message: str = MISMATCH_MESSAGE) -> AwsError:
    """A client token reused with different parameters."""
    return AwsError("IdempotentParameterMismatch", message.format(token=token))


def fingerprint(params: Mapping[str, Any]) -> str:
    """A digest of the request parameters that must match on a retry (token and DryRun aside)."""
    relevant = {k: v for k, v in params.items() if k not in NOT_FINGERPRINTED}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def derived_id(ctx: RequestContext, kind: ResourceKind, token: str) -> str:
    """The id a request of ``kind`` with ``token`` creates: the same for every retry."""
    seed = f"{ctx.account_id}\x00{kind.name}\x00{token}".encode()
    return f"{kind.id_prefix}-{hashlib.sha256(seed).hexdigest()[:17]}"


def _claim_name(kind: ResourceKind, token: str) -> str:
    return f"{kind.name}.{hashlib.sha256(token.encode()).hexdigest()[:40]}"


async def create_once(
    ctx: RequestContext,
    kind: ResourceKind,
    token: str | None,
    request: Mapping[str, Any] | str,
    create: Callable[[str], Awaitable[T]],
    existing: Callable[[str], Awaitable[T | None]],
    *,
    message: str = MISMATCH_MESSAGE,
) -> T:
    """``create(resource_id)`` once per ``token``; a retry answers ``existing(resource_id)``.

    ``request`` is the request's parameters (or their :func:`fingerprint`): a retry must match.
    ``existing`` finds what the first request created (``None``: deleted since, create again).
    Without a token ``create`` runs with a fresh id. ``create`` failing releases the token.
    """
    if not token:
        return await create(new_id(kind.name))
    digest = request if isinstance(request, str) else fingerprint(request)
    resource_id = derived_id(ctx, kind, token)
    name = _claim_name(kind, token)
    holder = uuid.uuid4().hex
    found: list[T] = []

    data: Record = {"resource_id": resource_id, "fingerprint": digest, "done": False}

    async def held(current: Record) -> bool | None:
        if current.get("done"):
            earlier = await existing(str(current.get("resource_id") or resource_id))
            if earlier is None:  # deleted since: the token creates a new resource
                data["resource_id"] = new_id(kind.name)
                return False
            found[:] = [earlier]
        if current.get("fingerprint") != digest:
            raise mismatch(token, message)
        return True if found else None  # None: still creating; waited for unless stale

    # A claim left by a crash goes stale, so the wait ends: bound it anyway.
    attempts = int(2 * claims.CLIENT_TOKENS.stale_seconds / _POLL_SECONDS[-1]) + len(_POLL_SECONDS)
    for attempt in range(attempts):
        found.clear()
        claim = await claims.take(ctx, claims.CLIENT_TOKENS, name, holder, data=data, held=held)
        if claim.ours:
            try:
                result = await create(str(claim.value["resource_id"]))
            except BaseException:
                await claims.release(ctx, claims.CLIENT_TOKENS, name, holder)
                raise
            await claims.update(ctx, claims.CLIENT_TOKENS, name, holder, {"done": True})
            return result
        if found:
            return found[0]
        await asyncio.sleep(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)])
    raise AwsError("IdempotentParameterMismatch", f"Client token '{token}' is in use.")


async def create_record(
    ctx: RequestContext,
    kind: ResourceKind,
    record: Record,
    token: str | None,
    request: Mapping[str, Any] | str,
    *,
    message: str = MISMATCH_MESSAGE,
) -> Record:
    """Store ``record`` (one write creates the resource), once per ``token``.

    With a token the record gets the token's :func:`derived_id` and ``client_token``; a retry
    answers the stored record. Without one it is stored as it is.
    """
    if not token:
        return await records.create(ctx, kind, record)

    async def create(resource_id: str) -> Record:
        new = {**record, kind.id_field: resource_id, "client_token": token}
        # exist_ok: a record the token created before its claim was lost is the answer
        return await records.create(ctx, kind, new, exist_ok=True)

    async def existing(resource_id: str) -> Record | None:
        return await records.find(ctx, kind, resource_id)

    return await create_once(ctx, kind, token, request, create, existing, message=message)
