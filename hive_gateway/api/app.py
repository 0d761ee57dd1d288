"""The aiohttp application: one pipeline for every EC2/STS request.

``POST /`` (form body) and ``GET /?Action=…`` go through, in order:

1. read the body (over 10 MB → ``RequestEntityTooLarge``);
2. verify SigV4 (header or presigned query) → the caller's account, the scope's service/region;
3. decode the form strictly (``MalformedQueryString``);
4. resolve the action (``MissingAction``, ``InvalidAction``, ``UnsupportedOperation`` for a
   model operation this gateway does not implement — a 400, never a 5xx that SDKs would retry);
5. parse the parameters against the input shape (``MissingParameter``, ``InvalidParameterValue``);
6. ``DryRun=true`` → ``DryRunOperation`` (412) once the request is known to be valid;
7. call the handler and serialize its result from the output shape.

Every answer carries a fresh uuid4 request id (also in ``x-amzn-RequestId``), and one log line
records request id, account, action, status and latency.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web
from kv.store import StoreError, StoreUnavailableError

from hive_gateway.api.auth.sigv4 import AuthResult, credential_scope_service, verify
from hive_gateway.api.auth.throttle import COUNTED_CODES, AuthThrottle
from hive_gateway.core.context import RequestContext
from hive_gateway.core.zones import request_region
from hive_gateway.core.errors import AwsError, dry_run_operation, internal_error
from hive_gateway.api.protocol.models import SERVICE_BY_API_VERSION, SERVICES, operation_model
from hive_gateway.api.protocol.parser import decode_form, parser_for
from hive_gateway.api.protocol.serializer import ResponseSerializer
from hive_gateway.core.registry import REGISTRY, lookup
from hive_gateway.core.runtime import Runtime

_T = TypeVar("_T")

LOG = logging.getLogger(__name__)
ACCESS_LOG = logging.getLogger("hive_gateway.access")

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Hive caps request bodies at 10 MB (``RequestEntityTooLarge``, 413)."""

RUNTIME = web.AppKey("runtime", Runtime)

_PROTOCOL_BY_SERVICE = {"ec2": "ec2", "sts": "query"}
_GLOBAL_SCOPES: dict[str, tuple[str, ...]] = {"sts": ("us-east-1",)}
"""Credential-scope regions a service accepts besides the gateway's own."""


class Gateway:
    """Turns HTTP requests into handler calls and handler results into AWS XML."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.throttle = AuthThrottle(
            limit=settings.auth_failure_limit,
            window=settings.auth_failure_window,
            lockout=settings.auth_lockout,
            max_lockout=settings.auth_lockout_max,
        )
        strict = runtime.settings.strict_serializer
        self._serializers = {
            protocol: ResponseSerializer(protocol, strict=strict) for protocol in ("ec2", "query")
        }

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler for ``/``."""
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        close = False
        service = "ec2"
        action = "-"
        account = "-"
        try:
            body = await _read_body(request, self.runtime.settings.body_timeout)
            try:
                form: dict[str, str] = decode_form(request.rel_url.raw_query_string)
                form.update(decode_form(body))
                form_error: AwsError | None = None
            except AwsError as error:
                form, form_error = {}, error
            service = _envelope_service(request, form)
            action = form.get("Action", "-")[:64]

            async def answer() -> bytes:
                nonlocal account, service
                auth = await self._authenticate(request, body, service)
                account, service = auth.key.account_id, auth.service
                if form_error is not None:
                    raise form_error
                return await self._dispatch(form, auth, request_id)

            status, payload = 200, await self._bounded(answer(), request_id, action)
        except AwsError as error:
            status, payload = error.status, self._error_body(service, error, request_id)
            close = error.code == "RequestTimeout"  # the rest of the body may never come
        except StoreError as error:
            # Retryable for the client (SDKs retry 503), never a 500. Unavailability is one line
            # (during a NATS node loss every request would otherwise log a traceback); any other
            # store error (an unexpected JetStream answer, a conflict that escaped its handler)
            # keeps its traceback.
            if isinstance(error, StoreUnavailableError):
                LOG.warning("request %s: store unavailable: %s", request_id, error)
            else:
                LOG.warning("request %s: store error", request_id, exc_info=True)
            unavailable = AwsError(
                "ServiceUnavailable", "The service is unavailable. Try again shortly."
            )
            status, payload = unavailable.status, self._error_body(service, unavailable, request_id)
        except Exception:
            LOG.exception("request %s failed", request_id)
            status, payload = 500, self._error_body(service, internal_error(), request_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        ACCESS_LOG.info(
            "%s account=%s action=%s status=%d latency_ms=%.1f",
            request_id,
            account,
            action,
            status,
            elapsed_ms,
        )
        content_type = "text/xml" if status == 200 else "application/xml"
        response = web.Response(
            status=status,
            body=payload,
            content_type=content_type,
            charset="UTF-8",
            headers={"x-amzn-RequestId": request_id},
        )
        if close:
            response.force_close()
        return response

    async def _bounded(self, work: Coroutine[Any, Any, _T], request_id: str, action: str) -> _T:
        """``work`` within the request deadline; past it the request is a retryable 503.

        A store that stops answering mid-election must never leave a client hanging.
        """
        task = asyncio.ensure_future(work)
        limit = self.runtime.settings.request_timeout
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        stack = io.StringIO()
        task.print_stack(limit=30, file=stack)
        LOG.warning(
            "request %s (%s) passed the %.0fs deadline; cancelled. Where it waited:\n%s",
            request_id,
            action,
            limit,
            stack.getvalue(),
        )
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)  # let it unwind, but never wait on it for long
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" noise
        raise StoreUnavailableError(f"{action} did not finish within {limit:.0f}s")

    async def _authenticate(self, request: web.Request, body: bytes, service: str) -> AuthResult:
        """SigV4 for the gateway's region; STS also takes ``us-east-1``, the scope of AWS's
        global STS endpoint that older SDKs and CLIs sign for whatever region is configured."""
        settings = self.runtime.settings
        regions = {settings.region, *_GLOBAL_SCOPES.get(service, ())}
        source = request.remote or "-"
        self.throttle.check(source)  # a locked-out source is refused before any work
        try:
            return await verify(
                request.method,
                request.raw_path.split("?", 1)[0],
                request.rel_url.raw_query_string,
                request.headers,
                body,
                self.runtime.accounts.lookup,
                served_regions=regions,
                accept_any_region=settings.accept_any_region,
            )
        except AwsError as error:
            if error.code in COUNTED_CODES:
                self.throttle.failed(source)
            raise

    async def _dispatch(self, fields: dict[str, str], auth: AuthResult, request_id: str) -> bytes:
        if auth.service not in SERVICES:
            raise AwsError(
                "UnsupportedOperation",
                f"The service '{auth.service}' is not served by this endpoint; "
                f"it serves {', '.join(SERVICES)}.",
            )
        protocol = _PROTOCOL_BY_SERVICE[auth.service]
        action = fields.get("Action")
        if not action:
            raise AwsError("MissingAction", "The request must contain the parameter Action")
        operation = operation_model(auth.service, action)
        if operation is None:
            raise AwsError(
                "InvalidAction", f"The action {action} is not valid for this web service."
            )
        params = parser_for(protocol).parse(operation, fields)
        spec = lookup(auth.service, action)
        if spec is None:
            raise AwsError(
                "UnsupportedOperation",
                f"The action {action} is not supported by this gateway yet.",
            )
        if params.get("DryRun") is True:
            raise dry_run_operation()
        ctx = RequestContext(
            request_id=request_id,
            service=auth.service,
            operation=action,
            account_id=auth.key.account_id,
            user_name=auth.key.user_name,
            access_key_id=auth.key.access_key_id,
            region=request_region(self.runtime.settings, auth.region),
            runtime=self.runtime,
        )
        if auth.service == "ec2":
            await self.runtime.prepare_account(ctx)
        result = await spec.handler(ctx, params)
        return self._serializers[protocol].serialize(operation, result, request_id)

    def _error_body(self, service: str, error: AwsError, request_id: str) -> bytes:
        protocol = _PROTOCOL_BY_SERVICE.get(service, "ec2")
        return self._serializers[protocol].serialize_error(error, request_id)

    async def healthz(self, request: web.Request) -> web.Response:
        """``GET /healthz``: 200 when the store answers, 503 when it does not."""
        try:
            await self.runtime.store.ping()
        except StoreError as exc:
            return web.json_response({"status": "unavailable", "store": str(exc)}, status=503)
        settings = self.runtime.settings
        return web.json_response(
            {"status": "ok", "region": settings.region, "zones": list(settings.zones)}
        )


async def _read_body(request: web.Request, timeout: float) -> bytes:
    """The raw body, refusing anything over :data:`MAX_BODY_BYTES` without buffering it all,
    or not complete within ``timeout`` seconds (a trickling client must not hold a request
    open forever: ``RequestTimeout``, 400, and the connection is closed)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
    except TimeoutError:
        raise AwsError(
            "RequestTimeout",
            "Your socket connection to the server was not read from or written to within "
            f"the timeout period ({timeout:.0f}s for the request body).",
        ) from None
    return b"".join(chunks)


def _too_large() -> AwsError:
    return AwsError(
        "RequestEntityTooLarge",
        f"Request body exceeds the maximum allowed size of {MAX_BODY_BYTES} bytes",
    )


def _envelope_service(request: web.Request, form: dict[str, str]) -> str:
    """Best guess of the service before auth, to pick the error envelope."""
    scoped = credential_scope_service(request.headers, request.rel_url.raw_query_string)
    if scoped in SERVICES:
        return scoped
    return SERVICE_BY_API_VERSION.get(form.get("Version", ""), "ec2")


def validate_registry() -> None:
    """Raise if a registered action is not an operation of its service's model."""
    unknown = [f"{s}:{n}" for (s, n) in REGISTRY if operation_model(s, n) is None]
    if unknown:
        raise ValueError(f"actions not in the botocore models: {', '.join(sorted(unknown))}")


def create_app(runtime: Runtime) -> web.Application:
    """The gateway application over an already-connected ``runtime``."""
    import handlers  # noqa: F401  (registers every @action)

    validate_registry()
    gateway = Gateway(runtime)
    app = web.Application(client_max_size=MAX_BODY_BYTES + 1)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", gateway.healthz)
    app.router.add_route("POST", "/{tail:.*}", gateway.handle)
    app.router.add_route("GET", "/{tail:.*}", gateway.handle)
    return app
