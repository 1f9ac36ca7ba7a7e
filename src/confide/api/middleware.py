"""What wraps every request: security headers, a body size limit, and CSRF protection."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_csrf.middleware import CSRFMiddleware

from confide.api.errors import API_PREFIXES, FHIR_PREFIX
from confide.api.fhir.outcome import operation_outcome
from confide.api.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

MAX_BODY_BYTES = 1024 * 1024  # a note is at most 256 KiB; JSON escaping can double it

# OWASP ASVS 5.0 V3.4: a strict policy, no framing, no referrer, HTTPS only.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The interactive API docs (Swagger UI, ReDoc, served from this app) start with an inline script.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; font-src 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Nothing here may be kept by a shared cache or the browser's back button.
    "cache-control": "no-store",
}


class SecurityHeaders:
    """Adds the security headers to every answer, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = str(scope.get("path", "")).startswith(DOCS_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers["content-security-policy"] = _DOCS_CSP if is_docs else _CSP
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses a body over the limit, whether it says its length or streams it.

    A streamed (chunked) body is read here, up to the limit, before the application sees it:
    counting it as the application reads it would not do, since FastAPI turns any failure
    while reading a body into its own 400 answer (and a route without a body never reads it).
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before it finished sending
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        body: Message | None = {"type": "http.request", "body": whole, "more_body": False}

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {"detail": f"the body is larger than {self.limit} bytes; send less", "field": "body"}
        await _refusal(str(scope.get("path", "")), 413, body)(scope, receive, send)


CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The web pages' forms post the CSRF token as a field of this name (they work without script).
CSRF_FORM_FIELD = "csrf_token"
_FORM_TOKEN = "confide.csrf_form_token"  # noqa: S105  # nosec B105  # a scope key, not a secret
_FORM_TYPE = b"application/x-www-form-urlencoded"


class CsrfProtection(CSRFMiddleware):
    """starlette-csrf's double-submit check, for requests that carry the session cookie.

    Requests with a bearer token and no session cookie carry no ambient credential and are not
    checked. A web page's form may send the token as its ``csrf_token`` field instead of the
    header (so forms work without script). Every state-changing request a browser marks as
    coming from another site (``Sec-Fetch-Site``) or another origin (``Origin``) is refused,
    sign-in included, so a page elsewhere cannot sign a browser in as someone else (login CSRF).
    """

    def __init__(self, app: ASGIApp, secret: str) -> None:
        super().__init__(
            app,
            secret,
            sensitive_cookies={SESSION_COOKIE},
            cookie_name=CSRF_COOKIE,
            cookie_path="/",
            cookie_secure=True,
            cookie_httponly=True,  # no script reads it: sign-in's answer and each form carry it
            cookie_samesite="strict",
            header_name=CSRF_HEADER,
        )

    def new_token(self) -> str:
        """A fresh CSRF token, for the sign-in answer to set and return."""
        return self._generate_csrf_token()

    def is_ours(self, token: str) -> bool:
        """Whether ``token`` was signed with this deployment's secret (a cookie left from an
        older secret is not, and would make every form fail)."""
        return self._csrf_tokens_match(token, token)

    def matches(self, cookie: str | None, submitted: str | None) -> bool:
        """The double-submit check itself: both present, both ours, the same token."""
        return bool(cookie and submitted and self._csrf_tokens_match(cookie, submitted))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in CHANGING_METHODS:
            # No route answers another method: the router says 405 Method Not Allowed.
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            headers = dict(scope.get("headers", []))
            site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
            origin = headers.get(b"origin")
            host = headers.get(b"host", b"").decode("latin-1")
            if site in ("cross-site", "same-site") or _foreign_origin(origin, host, site):
                await self._get_error_response(Request(scope))(scope, receive, send)
                return
            if headers.get(b"content-type", b"").split(b";")[0].strip() == _FORM_TYPE:
                receive = await _read_form_token(scope, receive)
        await super().__call__(scope, receive, send)

    async def _get_submitted_csrf_token(self, request: Request) -> str | None:
        header: str | None = request.headers.get(self.header_name)
        form: str | None = request.scope.get(_FORM_TOKEN)
        return header or form

    async def send(self, message: Message, send: Send, scope: Scope) -> None:
        # The sign-in answer sets its own token (and returns it); do not add a second one.
        if message["type"] == "http.response.start":
            cookies = MutableHeaders(scope=message).getlist("set-cookie")
            if any(c.startswith(CSRF_COOKIE + "=") for c in cookies):
                await send(message)
                return
        await super().send(message, send, scope)

    def _get_error_response(self, request: Request) -> Response:
        body = {
            "detail": (
                f"the CSRF check failed: send the {CSRF_COOKIE} cookie's value (also given by "
                f"sign-in as csrf_token) in the {CSRF_HEADER} header, from this site"
            ),
            "field": CSRF_HEADER,
        }
        return _refusal(request.url.path, 403, body)


async def _read_form_token(scope: Scope, receive: Receive) -> Receive:
    """Read a form's body (BodyLimit has already bounded it), keep its CSRF field in the scope,
    and give back a ``receive`` that replays the body for the route."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    try:
        values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(CSRF_FORM_FIELD)
    except ValueError:  # more fields than any form of ours: no token, so the check refuses it
        values = None
    if values:
        scope[_FORM_TOKEN] = values[0]
    replayed: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def replay() -> Message:
        nonlocal replayed
        if replayed is not None:
            message, replayed = replayed, None
            return message
        return await receive()

    return replay


def _refusal(path: str, status: int, body: dict[str, str]) -> Response:
    """A refusal made before any route runs: an OperationOutcome under /fhir, a page for the
    web pages, else JSON."""
    if path.startswith(FHIR_PREFIX):
        return operation_outcome(status, body, {})
    if not path.startswith(API_PREFIXES):
        from confide.web.errors import refusal_page  # noqa: PLC0415 - the web shell is optional

        return refusal_page(status, body["detail"])
    return JSONResponse(body, status_code=status)


def _foreign_origin(origin: bytes | None, host: str, site: str) -> bool:
    """Whether ``Origin`` names another origin than this host.

    Under ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null`` even for its own
    forms (Fetch, "serializing a request origin"); an opaque origin (a sandboxed frame, a data:
    page) sends it too. So ``null`` passes only when the browser also says ``same-origin``.
    """
    if origin is None:
        return False
    if origin == b"null":
        return site != "same-origin"
    return _host_of(origin.decode("latin-1")) != host


def _host_of(origin: str) -> str:
    return origin.split("://", 1)[-1].rstrip("/")
