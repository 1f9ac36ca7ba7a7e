"""Every error the services raise, mapped once to an HTTP answer (decision 0014).

Answers carry the problem and the field, never a stack trace, never the value that was sent
(it may be clinical text). "Not found" and "may not see it" are one answer, byte for byte.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from confide.domain.errors import ConfideError, InvalidValue
from confide.services.accounts import NotAuthenticated, ScopeMissing, SignInLocked, SignInRefused
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.faults import FAULT_TYPES, record_fault, unavailable_for
from confide.vault import VaultError

log = logging.getLogger("confide.api")

NOT_FOUND_BODY = {"detail": "not found, or you may not see it"}
# What FastAPI raises (as a 400) when a body cannot be decoded before it is parsed as JSON.
UNREADABLE_BODY = "There was an error parsing the body"
FHIR_PREFIX = "/fhir"
# Everything under these is the API (JSON or FHIR); every other path is a web page.
API_PREFIXES = ("/api/", FHIR_PREFIX, "/docs", "/redoc", "/openapi.json")


def problem(status: int, detail: str, *, field: str | None = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    body: dict[str, Any] = {"detail": detail}
    if field is not None:
        body["field"] = field
    return body


Responder = Callable[[Request, int, dict[str, Any], dict[str, str]], Response]


def _json(request: Request, status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    """The answer in the caller's language: OperationOutcome under /fhir, JSON under the API,
    a page (or a way back to sign-in) for the web pages."""
    path = request.url.path
    if path.startswith(FHIR_PREFIX):
        from confide.api.fhir.outcome import operation_outcome  # noqa: PLC0415 - avoids a cycle

        return operation_outcome(status, body, headers)
    if not path.startswith(API_PREFIXES):
        from confide.web.errors import error_page  # noqa: PLC0415 - the web shell is optional

        return error_page(request, status, body)
    return JSONResponse(body, status_code=status, headers=headers)


def answer_for(error: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and headers for a service error."""
    if isinstance(error, NotFoundOrDenied):
        return 404, dict(NOT_FOUND_BODY), {}
    if isinstance(error, NotAuthenticated):
        return 401, problem(401, str(error)), {"WWW-Authenticate": 'Bearer realm="confide"'}
    if isinstance(error, SignInRefused):
        return 401, problem(401, str(error)), {}
    if isinstance(error, SignInLocked):
        seconds = max(1, int(error.retry_after.total_seconds()))
        return 429, problem(429, str(error)), {"Retry-After": str(seconds)}
    if isinstance(error, ScopeMissing):
        return 403, problem(403, str(error)), {}
    if isinstance(error, InvalidValue):
        return 422, problem(422, error.problem, field=error.field), {}
    if isinstance(error, Conflict):
        return 409, problem(409, str(error)), {}
    if isinstance(error, VaultError):
        # A key or integrity failure is a security event the service has already logged.
        return (
            503,
            problem(503, "the record could not be opened safely; the practice has been alerted"),
            {},
        )
    return 400, problem(400, str(error)), {}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def confide_error(request: Request, error: Exception) -> Response:
        status, body, headers = answer_for(error)
        return _json(request, status, body, headers)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)  # noqa: S101  # nosec B101  # its handler
        problems = [{"field": _field(e), "problem": _plain(e)} for e in error.errors()]
        first = problems[0] if problems else {"field": "body", "problem": "not understood"}
        body = {
            "detail": f"{first['field']}: {first['problem']}",
            "field": first["field"],
            "problems": problems,
        }
        return _json(request, 422, body, {})

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)  # noqa: S101  # nosec B101  # its handler
        if error.status_code == 404:
            return _json(request, 404, dict(NOT_FOUND_BODY), {})
        if error.status_code == 400 and error.detail == UNREADABLE_BODY:
            # FastAPI's answer to a body that is not even text (not UTF-8): say it like any
            # other body that is not JSON, naming the field.
            problems = [{"field": "body", "problem": "the body is not valid JSON"}]
            body = {"detail": "body: the body is not valid JSON", "field": "body"}
            return _json(request, 422, {**body, "problems": problems}, {})
        headers = dict(error.headers or {})
        return _json(
            request, error.status_code, problem(error.status_code, str(error.detail)), headers
        )

    async def unexpected(request: Request, error: Exception) -> Response:
        # Only the type is logged: a message could carry a value from the request.
        log.error(
            "unexpected error %s on %s %s", type(error).__name__, request.method, _route(request)
        )
        return _json(request, 500, problem(500, "something went wrong; nothing was changed"), {})

    async def fault(request: Request, error: Exception) -> Response:
        # The database, the disk or a key is unavailable: the transaction rolled back, so fail
        # closed with a security event and say what is missing (decision 0020).
        found = unavailable_for(error)
        if found is None:
            return await unexpected(request, error)
        deps = request.app.state.deps
        await run_in_threadpool(
            record_fault, deps, found, method=request.method, route=_route(request)
        )
        return _json(request, 503, problem(503, str(found)), {"Retry-After": "5"})

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        ConfideError: confide_error,
        RequestValidationError: validation_error,
        StarletteHTTPException: http_error,
        Exception: unexpected,
    }
    handlers.update(dict.fromkeys(FAULT_TYPES, fault))
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


def _route(request: Request) -> str:
    """The route's template (``/api/v1/clients/{client_id}``), never the path with its ids."""
    return str(getattr(request.scope.get("route"), "path", "?"))


def _field(e: Any) -> str:
    if e.get("type") == "json_invalid":
        return "body"
    return ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"


def _plain(e: Any) -> str:
    kind = str(e.get("type", ""))
    if kind == "extra_forbidden":
        return "is not a field of this request; remove it"
    if kind == "missing":
        return "is required"
    if kind == "json_invalid":
        return "the body is not valid JSON"
    # Pydantic's message says what was expected; it never echoes the value (we drop "input").
    return str(e.get("msg", "is not valid"))
