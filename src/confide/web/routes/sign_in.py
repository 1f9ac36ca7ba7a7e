"""Signing in and out, keeping a session alive, and where each person starts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    deps_of,
    set_session_cookie,
)
from confide.domain import InvalidValue
from confide.services import accounts
from confide.services.accounts import NotAuthenticated
from confide.web.pages import home_of, render, set_csrf_cookie
from confide.web.session import Viewer

router = APIRouter()

STALE_FORM = "This sign-in form had expired. Please sign in again."
REFUSED = (
    "That name, password and code did not sign you in. Check each and try again; after "
    "several failures you will need to wait before trying again."
)


@router.get("/")
def start(request: Request) -> Response:
    """The start page of whoever is signed in; the sign-in page for anyone else."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        try:
            who = accounts.authenticate_session(deps_of(request), session)
        except NotAuthenticated:
            pass
        else:
            return RedirectResponse(home_of(who), status_code=303)
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, expired: bool = False, signed_out: bool = False) -> Response:
    """The sign-in form."""
    note = None
    if expired:
        note = "Your session ended, to keep your information safe. Please sign in again."
    elif signed_out:
        note = "You are signed out."
    return render(request, "sign_in.html", None, title="Sign in", note=note)


@router.post("/sign-in")
def sign_in(  # nosec B107  # an empty form field, not a password
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Sign in with name, password and authenticator code; a new session every time.

    The form's CSRF token is checked here too (the middleware checks only requests that carry
    a session): with the Sec-Fetch-Site and Origin checks, a page elsewhere cannot sign this
    browser in as someone else, even in a browser that sends neither header."""
    if not request.app.state.csrf.matches(request.cookies.get(CSRF_COOKIE), csrf_token):
        return _again(request, STALE_FORM, name, 403)
    try:
        signed = accounts.sign_in(
            deps_of(request), name.strip(), password, code.strip() or None,
            replacing=request.cookies.get(SESSION_COOKIE),
        )  # fmt: skip
    except accounts.SignInRefused:
        return _again(request, REFUSED, name, 401)
    except accounts.SignInLocked as locked:
        minutes = max(1, round(locked.retry_after.total_seconds() / 60))
        wait = f"Too many failed attempts for this name. Try again in about {minutes} min."
        return _again(request, wait, name, 429)
    except InvalidValue:
        return _again(request, REFUSED, name, 401)
    answer = RedirectResponse(home_of(signed.principal), status_code=303)
    set_session_cookie(answer, signed.token)
    set_csrf_cookie(answer, request.app.state.csrf.new_token())  # a new token for a new session
    return answer


def _again(request: Request, problem: str, name: str, status: int) -> Response:
    # The name is given back to the person who typed it; the password never is.
    return render(
        request, "sign_in.html", None, title="Sign in", problem=problem, name=name,
        status_code=status,
    )  # fmt: skip


@router.post("/sign-out")
def sign_out(request: Request, who: Viewer) -> Response:
    """End this session and go back to the sign-in page."""
    accounts.sign_out(deps_of(request), who)
    answer = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(answer)
    return answer


@router.post("/session/keep")
def keep_session(who: Viewer) -> Response:
    """Keep the session alive (the timeout warning's button): being signed in is enough."""
    del who  # the session was checked, and so touched, by the dependency
    return Response(status_code=204)


@router.get("/account")
def account(request: Request, who: Viewer) -> Response:
    """Who you are signed in as."""
    return render(request, "account.html", who, title="Your account")
