"""Errors as pages: the same answers the API gives (decision 0014), in words and HTML.

"Not found" and "you may not see it" are one page, byte for byte. A page never shows a stack
trace or echoes what was sent. Without a valid session, the answer leads back to sign-in.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from confide.api.security import SESSION_COOKIE
from confide.web.pages import TEMPLATES

SIGN_IN = "/sign-in"

_HEADINGS = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "That was refused",
    404: "Not found",
    405: "That page cannot do that",
    409: "That clashes with what is already there",
    413: "That was too large",
    422: "Something needs correcting",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Not available just now",
}
_NOT_FOUND = "Not found, or you may not see it."


def error_page(request: Request, status: int, body: dict[str, Any]) -> Response:
    """The page for an error the services or the framework raised on a web path."""
    if status == 401:
        if request.headers.get("hx-request"):
            # htmx follows this header with a full page load.
            answer: Response = Response(status_code=200, headers={"HX-Redirect": SIGN_IN})
        else:
            answer = RedirectResponse(f"{SIGN_IN}?expired=1", status_code=303)
        if SESSION_COOKIE in request.cookies:
            # Only a cookie that was sent and refused is removed: a request that came without
            # one (a link followed from another site, under SameSite=Strict) must not sign out
            # the session the browser holds.
            answer.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
        return answer
    detail = _NOT_FOUND if status == 404 else str(body.get("detail", ""))
    return refusal_page(status, detail, field=body.get("field"))


def refusal_page(status: int, detail: str, *, field: str | None = None) -> HTMLResponse:
    """A plain page saying what went wrong and what to do next (no navigation: the error may
    come before anyone is known)."""
    template = TEMPLATES.get_template("error.html")
    html = template.render(
        who=None,
        nav=[],
        title=_HEADINGS.get(status, "That did not work"),
        heading=_HEADINGS.get(status, "That did not work"),
        detail=detail,
        field=field,
        status=status,
        idle_seconds=0,
    )
    return HTMLResponse(html, status_code=status)
