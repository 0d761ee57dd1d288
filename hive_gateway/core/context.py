"""What a handler knows about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hive_gateway.core.runtime import Runtime


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The authenticated caller and the shared runtime, passed to every handler."""

    request_id: str
    service: str
    operation: str
    account_id: str
    user_name: str
    access_key_id: str
    region: str
    runtime: Runtime
