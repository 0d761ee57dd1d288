"""botocore service models for the services the gateway speaks.

The models are the single source of truth for request parsing and response serialization:
member names, wire names, types, enums, ranges, required members and paginators all come
from here. They are loaded once per process.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import botocore.session
from botocore.model import OperationModel, ServiceModel

#: Services this gateway speaks, keyed by SigV4 signing name.
SERVICES: Final[tuple[str, ...]] = ("ec2", "sts")

#: ``Version=`` form value → service, used when a request carries no credential scope.
SERVICE_BY_API_VERSION: Final[dict[str, str]] = {"2016-11-15": "ec2", "2011-06-15": "sts"}


@cache
def _session() -> Any:
    return botocore.session.get_session()


@cache
def service_model(service: str) -> ServiceModel:
    """The botocore model of ``service`` (``ec2`` or ``sts``)."""
    if service not in SERVICES:
        raise KeyError(service)
    return _session().get_service_model(service)


@cache
def operation_model(service: str, operation: str) -> OperationModel | None:
    """The model of ``operation`` in ``service``, or ``None`` when the model has no such action."""
    model = service_model(service)
    if operation not in _operation_names(service):
        return None
    return model.operation_model(operation)


@cache
def _operation_names(service: str) -> frozenset[str]:
    return frozenset(service_model(service).operation_names)
