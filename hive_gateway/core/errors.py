"""One error type for everything the gateway answers with an AWS error envelope.

Handlers, the parser and the authenticator raise :class:`AwsError`; the serializer renders it in
the envelope of the request's protocol (EC2 ``<Response><Errors>…`` or Query ``<ErrorResponse>``).
The HTTP status follows Hive's table (hive.md §1.6): ``*.NotFound`` → 404, duplicates/conflicts
→ 409, ``DryRunOperation`` → 412, auth failures → 403, everything else a client sends → 400.
Only genuine server faults are 5xx: SDKs retry those, so a missing feature must never be one.
"""

from __future__ import annotations

from typing import Final

#: Exact status codes, from Hive's awserrors table for the codes that differ from 400.
_STATUS_BY_CODE: Final[dict[str, int]] = {
    # 403: authentication and authorisation
    "AuthFailure": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidClientTokenId": 403,
    "MissingAuthenticationToken": 403,
    "UnauthorizedOperation": 403,
    "AccessDenied": 403,
    "OptInRequired": 403,
    # 409: conflicts
    "InvalidPermission.Duplicate": 409,
    "Resource.AlreadyAssociated": 409,
    "RouteAlreadyExists": 409,
    "InvalidSubnet.Conflict": 409,
    "InvalidNetworkInterface.InUse": 409,
    "InvalidKeyPair.Duplicate": 409,
    "InvalidPlacementGroup.Duplicate": 409,
    "InvalidPlacementGroup.InUse": 409,
    "InvalidGroup.InUse": 409,
    "IdempotentParameterMismatch": 409,
    # 412 / 413
    "DryRunOperation": 412,
    "RequestEntityTooLarge": 413,
    # 5xx: real faults and throttling only
    "InternalError": 500,
    "InternalFailure": 500,
    "ServerInternal": 500,
    "RequestLimitExceeded": 503,
    "Throttling": 503,
    "Unavailable": 503,
    "ServiceUnavailable": 503,
    "InsufficientInstanceCapacity": 500,
}

#: Codes ending like this share a status (checked after the exact table).
_STATUS_BY_SUFFIX: Final[tuple[tuple[str, int], ...]] = (
    (".NotFound", 404),
    (".Duplicate", 409),
    (".InUse", 409),
)

#: Codes reported as the server's fault (``<Type>Receiver</Type>`` in Query envelopes).
_RECEIVER_CODES: Final[frozenset[str]] = frozenset(
    {"InternalError", "InternalFailure", "ServerInternal", "ServiceUnavailable", "Unavailable"}
)


def status_for(code: str) -> int:
    """HTTP status the gateway sends for ``code`` (Hive-compatible)."""
    exact = _STATUS_BY_CODE.get(code)
    if exact is not None:
        return exact
    for suffix, status in _STATUS_BY_SUFFIX:
        if code.endswith(suffix):
            return status
    return 400


class AwsError(Exception):
    """An AWS error: ``code`` and ``message`` exactly as AWS words them."""

    def __init__(self, code: str, message: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else status_for(code)

    @property
    def sender_fault(self) -> bool:
        """True for client errors (``<Type>Sender</Type>``), false for server faults."""
        return self.code not in _RECEIVER_CODES

    def __repr__(self) -> str:
        return f"AwsError({self.code!r}, {self.message!r}, status={self.status})"


# --- constructors for the errors raised from more than one place -------------------------------


def missing_parameter(name: str) -> AwsError:
    """``MissingParameter``: a required member is absent."""
    return AwsError("MissingParameter", f"The request must contain the parameter {name}")


def invalid_parameter_value(message: str) -> AwsError:
    """``InvalidParameterValue`` with AWS's free-form message."""
    return AwsError("InvalidParameterValue", message)


def invalid_parameter_combination(message: str) -> AwsError:
    """``InvalidParameterCombination``: members that cannot be used together."""
    return AwsError("InvalidParameterCombination", message)


def dry_run_operation() -> AwsError:
    """What AWS answers when ``DryRun=true`` and the caller would have been allowed."""
    return AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")


def internal_error() -> AwsError:
    """A genuine server fault; the details go to the log, never to the client."""
    return AwsError("InternalError", "An internal error has occurred", status=500)


#: How AWS names a kind in ``DependencyViolation`` (``The routeTable 'rtb-1' has dependencies …``).
_DEPENDENCY_NOUNS: Final[dict[str, str]] = {
    "vpc": "vpc",
    "subnet": "subnet",
    "route-table": "routeTable",
    "network-acl": "networkAcl",
    "dhcp-options": "dhcpOptions",
    "internet-gateway": "internetGateway",
}


def dependency_violation(kind_name: str, resource_id: str) -> AwsError:
    """``DependencyViolation``: deleting a resource something still depends on, worded per kind::

    DeleteVpc VpcId=vpc-1 → The vpc 'vpc-1' has dependencies and cannot be deleted.
    DeleteSecurityGroup GroupId=sg-1 → resource sg-1 has a dependent object
    """
    noun = _DEPENDENCY_NOUNS.get(kind_name)
    if noun is None:
        return AwsError("DependencyViolation", f"resource {resource_id} has a dependent object")
    return AwsError(
        "DependencyViolation", f"The {noun} '{resource_id}' has dependencies and cannot be deleted."
    )
