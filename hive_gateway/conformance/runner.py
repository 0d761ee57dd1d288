"""A small harness that replays API calls the way the Terraform AWS provider makes them.

It drives any EC2 endpoint (the gateway, or real AWS) through a plain botocore client and
reproduces the provider mechanics that decide whether a run succeeds (``terraform-provider-calls.md``
§1):

* :class:`Harness.call` — one API call, recorded as a :class:`Call` (operation, params, outcome,
  error code/message, whether the provider tolerates that error). Errors are raised as
  :class:`ApiError`; a code in ``tolerate`` is recorded as tolerated and returns ``None``; a code in
  ``retry_on`` is retried until the deadline (``RetryWhenAWSErrCodeEquals``).
* :meth:`Harness.find` — a paginated finder that applies ``tfresource.AssertSingleValueResult``:
  0 items → :class:`NotFound` (``EmptyResultError``), more than one → :class:`NotFound` too
  (``TooManyResultsError`` unwraps to ``NotFoundError``), a "gone" error code → :class:`NotFound`,
  and the optional eventual-consistency id check.
* :func:`wait_for_state` — ``retry.StateChangeConf`` semantics: ``Pending``/``Target``, a state in
  neither fails at once when ``Pending`` is non-empty ("unexpected state"), a nil result is
  tolerated ``not_found_checks`` times (and *is* the target when ``Target`` is empty),
  ``ContinuousTargetOccurence``. Delays and back-off are compressed to a short fixed poll interval
  under one deadline, so a conforming endpoint answers in milliseconds rather than the provider's
  10-second ``Delay`` s.
* a per-response check hook (``before-parse.ec2.*``): every raw response body, success or error,
  is handed to ``check(operation_model, status_code, body)``; a failure is recorded on the call
  (:attr:`Call.check_failure`) instead of being raised inside botocore.

Only botocore is used (``boto3`` clients are botocore clients too, so either can be passed in).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import OperationModel

__all__ = [
    "ApiError",
    "Call",
    "Drift",
    "Harness",
    "NotFound",
    "Report",
    "ResponseCheck",
    "WaitError",
    "assert_single_value",
    "ec2_client",
    "wait_for_state",
]

T = TypeVar("T")

ResponseCheck = Callable[[OperationModel, int, bytes], None]
"""``check(operation_model, status_code, body)``; raise (any exception) to flag the response."""

Tolerance = Collection[str] | Callable[["ApiError"], bool]
"""Error codes the provider tolerates, or a predicate on the error (code *and* message)."""

DEFAULT_POLL: Final = 0.05
DEFAULT_TIMEOUT: Final = 15.0


class ApiError(Exception):
    """An API error response: ``code`` and ``message`` exactly as the endpoint sent them."""

    def __init__(self, operation: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status


class NotFound(Exception):
    """The provider's ``retry.NotFoundError``: the finder decided the resource is gone.

    ``reason`` is ``"empty"`` (``EmptyResultError``), ``"too many"`` (``TooManyResultsError``,
    which the provider also treats as not found), ``"id mismatch"``, ``"predicate"`` or the error
    code that was mapped to not-found.
    """

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: not found ({reason})")
        self.what = what
        self.reason = reason


class WaitError(Exception):
    """A ``StateChangeConf`` failure: unexpected state, too many not-found results, or timeout."""


@dataclass
class Call:
    """One recorded API call."""

    operation: str
    params: dict[str, Any]
    outcome: str = "ok"
    """``ok`` or ``error``."""
    error_code: str | None = None
    error_message: str | None = None
    tolerated: bool = False
    """The call errored with a code the provider tolerates (ignored, retried or "gone")."""
    status: int | None = None
    check_failure: str | None = None
    """What the per-response check reported, if it raised."""
    response: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        """An error the provider would not have tolerated."""
        return self.outcome == "error" and not self.tolerated


def ec2_client(
    endpoint_url: str | None,
    *,
    region: str,
    access_key: str | None = None,
    secret_key: str | None = None,
    max_attempts: int = 1,
) -> Any:
    """A botocore EC2 client (``endpoint_url=None`` means real AWS, credentials from the chain)."""
    session = botocore.session.get_session()
    return session.create_client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": max_attempts, "mode": "standard"}),
    )


def _matches(tolerance: Tolerance, error: ApiError) -> bool:
    if callable(tolerance):
        return bool(tolerance(error))
    return error.code in tolerance


class Harness:
    """Records and checks every call made through one botocore EC2 client."""

    def __init__(
        self,
        client: Any,
        *,
        check: ResponseCheck | None = None,
        poll: float = DEFAULT_POLL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.client = client
        self.poll = poll
        self.timeout = timeout
        self.calls: list[Call] = []
        self._check = check
        self._pending_check: str | None = None
        self._pending_status: int | None = None
        client.meta.events.register("before-parse.ec2.*", self._on_response)

    # --- the response hook ---------------------------------------------------------------------

    def _on_response(
        self, operation_model: OperationModel, response_dict: Mapping[str, Any], **_: Any
    ) -> None:
        status = int(response_dict.get("status_code") or 0)
        self._pending_status = status
        if self._check is None:
            return
        body = response_dict.get("body") or b""
        try:
            self._check(operation_model, status, bytes(body))
        except Exception as exc:  # noqa: BLE001 - recorded on the call, never raised into botocore
            self._pending_check = f"{type(exc).__name__}: {exc}"

    # --- calls ---------------------------------------------------------------------------------

    def call(
        self,
        operation: str,
        *,
        tolerate: Tolerance = (),
        retry_on: Tolerance = (),
        **params: Any,
    ) -> dict[str, Any] | None:
        """Call ``operation`` (e.g. ``"DescribeVpcs"``) with botocore member names.

        Returns the parsed response, or ``None`` when the error is in ``tolerate`` (the provider
        ignores it). Errors in ``retry_on`` are retried every poll interval until the harness
        timeout (the provider's 5–20 minute retries, compressed); anything else raises
        :class:`ApiError`.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self._once(operation, params)
            except ApiError as error:
                if _matches(tolerate, error):
                    self.calls[-1].tolerated = True
                    return None
                if _matches(retry_on, error) and time.monotonic() < deadline:
                    self.calls[-1].tolerated = True
                    time.sleep(self.poll)
                    continue
                raise

    def _once(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        record = Call(operation, dict(params))
        self.calls.append(record)
        self._pending_check = None
        self._pending_status = None
        method = getattr(self.client, xform_name(operation))
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            record.outcome = "error"
            record.error_code = str(error.get("Code", ""))
            record.error_message = str(error.get("Message", ""))
            record.status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            record.check_failure = self._pending_check
            raise ApiError(
                operation, record.error_code, record.error_message, record.status
            ) from None
        record.status = self._pending_status
        record.check_failure = self._pending_check
        record.response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        return response

    def tolerant(
        self, operation: str, codes: Collection[str], **params: Any
    ) -> dict[str, Any] | None:
        """Shorthand for ``call(operation, tolerate=codes, ...)``."""
        return self.call(operation, tolerate=codes, **params)

    # --- finders -------------------------------------------------------------------------------

    def find_all(
        self,
        operation: str,
        result_key: str,
        *,
        not_found_codes: Collection[str] = (),
        paginate: bool = True,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Every item of a (paginated) Describe; a code in ``not_found_codes`` gives ``[]``."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page_params = dict(params)
            if token:
                page_params["NextToken"] = token
            try:
                page = self._once(operation, page_params)
            except ApiError as error:
                if error.code in not_found_codes:
                    self.calls[-1].tolerated = True
                    return []
                raise
            items.extend(page.get(result_key) or [])
            token = page.get("NextToken")
            if not paginate or not token:
                return items

    def find(
        self,
        operation: str,
        result_key: str,
        *,
        not_found_codes: Collection[str] = (),
        id_field: str | None = None,
        expected_id: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        paginate: bool = True,
        **params: Any,
    ) -> dict[str, Any]:
        """A provider ``findXByID``/``findX``: exactly one item or :class:`NotFound`."""
        what = f"{operation}({_describe_params(params)})"
        try:
            items = self.find_all(
                operation, result_key, not_found_codes=(), paginate=paginate, **params
            )
        except ApiError as error:
            if error.code in not_found_codes:
                self.calls[-1].tolerated = True
                raise NotFound(what, error.code) from None
            raise
        if predicate is not None:
            items = [item for item in items if predicate(item)]
        item = assert_single_value(items, what)
        if id_field is not None and expected_id is not None and item.get(id_field) != expected_id:
            raise NotFound(what, "id mismatch")
        return item

    # --- reporting -----------------------------------------------------------------------------

    def operations(self) -> list[str]:
        """The recorded operation names, in order."""
        return [call.operation for call in self.calls]

    def failures(self) -> list[Call]:
        """Calls that errored with a code the provider does not tolerate."""
        return [call for call in self.calls if call.failed]

    def check_failures(self) -> list[Call]:
        """Calls whose raw response the per-response check rejected."""
        return [call for call in self.calls if call.check_failure]


def _describe_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in params.items())


def assert_single_value(items: Iterable[T], what: str) -> T:
    """``tfresource.AssertSingleValueResult``: one item, else :class:`NotFound` (empty/too many)."""
    listed = list(items)
    if not listed:
        raise NotFound(what, "empty")
    if len(listed) > 1:
        raise NotFound(what, "too many")
    return listed[0]


def wait_for_state(
    refresh: Callable[[], tuple[T | None, str]],
    *,
    pending: Collection[str],
    target: Collection[str],
    what: str,
    timeout: float,
    poll: float,
    not_found_checks: int = 20,
    continuous_target_occurence: int = 1,
) -> T | None:
    """``retry.StateChangeConf.WaitForStateContext`` with a fixed short poll interval.

    ``refresh`` returns ``(object, state)``; ``(None, "")`` means not found (the provider's status
    functions map ``NotFound`` to that). With an empty ``target`` a not-found result counts as
    the target (a "deleted" waiter). Raises :class:`WaitError`.
    """
    needed = max(1, continuous_target_occurence)
    deadline = time.monotonic() + timeout
    occurrences = 0
    not_found = 0
    last_state = ""
    while True:
        result, state = refresh()
        last_state = state
        if result is None and not target:
            occurrences += 1
            if occurrences >= needed:
                return None
        elif result is None:
            not_found += 1
            if not_found > not_found_checks:
                raise WaitError(f"{what}: couldn't find resource ({not_found_checks} retries)")
        else:
            not_found = 0
            found = False
            if state in target:
                found = True
                occurrences += 1
                if occurrences >= needed:
                    return result
            elif state in pending:
                found = True
                occurrences = 0
            if not found and pending:
                raise WaitError(
                    f"{what}: unexpected state '{state}', wanted target '{', '.join(target)}'"
                )
        if time.monotonic() >= deadline:
            raise WaitError(
                f"{what}: timeout while waiting for state to become '{', '.join(target)}'"
                f" (last state: '{last_state}')"
            )
        time.sleep(poll)


@dataclass
class Drift:
    """One attribute whose state differs from the configuration (a plan would show a change)."""

    address: str
    attribute: str
    expected: Any
    actual: Any
    note: str = ""

    def __str__(self) -> str:
        extra = f" ({self.note})" if self.note else ""
        return f"{self.address}.{self.attribute}: expected {self.expected!r}, got {self.actual!r}{extra}"


@dataclass
class Report:
    """The outcome of a replay: calls, states and every problem found."""

    calls: list[Call] = field(default_factory=list)
    states: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Named snapshots (``"A"``, ``"B"``, ``"updated"``), each address → attributes."""
    drifts: list[Drift] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Anything else that would fail a Terraform run (unexpected errors, leftovers, …)."""
    ids: dict[str, str] = field(default_factory=dict)
    """Address → id of everything the replay created or adopted."""

    @property
    def ok(self) -> bool:
        """No drift, no problem, no untolerated error and no rejected response."""
        return not (
            self.drifts
            or self.problems
            or any(c.failed for c in self.calls)
            or any(c.check_failure for c in self.calls)
        )

    def summary(self) -> str:
        """A readable list of everything that went wrong (empty when :attr:`ok`)."""
        lines = [f"problem: {p}" for p in self.problems]
        lines += [f"drift: {d}" for d in self.drifts]
        lines += [
            f"error: {c.operation} {c.params} -> {c.error_code}: {c.error_message}"
            for c in self.calls
            if c.failed
        ]
        lines += [
            f"bad response: {c.operation}: {c.check_failure}" for c in self.calls if c.check_failure
        ]
        return "\n".join(lines)
