"""Who is asking: the session cookie or the integration token, decided by the server alone.

The session cookie is HttpOnly, Secure, SameSite=Strict and ``__Host-`` prefixed (so no other
path or subdomain may set it). State-changing requests that carry it also need the CSRF
token (starlette-csrf's double-submit cookie, checked in middleware before any route runs).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from confide.policy.authentication import SESSION_ABSOLUTE_SECONDS
from confide.services.accounts import (
    NotAuthenticated,
    Principal,
    authenticate_session,
    authenticate_token,
)
from confide.services.deps import Deps

SESSION_COOKIE = "__Host-confide_session"
CSRF_COOKIE = "__Host-confide_csrf"
CSRF_HEADER = "x-csrf-token"

_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="Browser session (set by POST /api/v1/auth/sign-in)",
)
_bearer = HTTPBearer(
    auto_error=False, description="Integration token (cft_…) from POST /api/v1/tokens"
)


def deps_of(request: Request) -> Deps:
    """The services' dependencies, set on the app at start."""
    deps: Deps = request.app.state.deps
    return deps


def principal(
    request: Request,
    session: Annotated[str | None, Depends(_cookie)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The signed-in person: from a bearer token if one is sent, else from the session cookie."""
    deps = deps_of(request)
    if bearer is not None:
        who = authenticate_token(deps, bearer.credentials)
    elif session:
        who = authenticate_session(deps, session)
    else:
        raise NotAuthenticated
    request.state.actor_id = who.actor_id  # for the access log line (an opaque id)
    return who


Caller = Annotated[Principal, Depends(principal)]
Services = Annotated[Deps, Depends(deps_of)]


def set_session_cookie(response: Response, token: str) -> None:
    """Put a new session's token in its cookie (ASVS V7.1: HttpOnly, Secure, SameSite)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_ABSOLUTE_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
