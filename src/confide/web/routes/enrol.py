"""Enrolling: a person sets their own password and authenticator with a one-time code the
privacy officer handed them (decision 0016); the privacy officer issues those codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import SESSION_COOKIE, deps_of, set_session_cookie
from confide.domain import InvalidValue
from confide.domain.validation import require_id
from confide.services import accounts
from confide.services.enrolment import complete_enrolment, issue_enrolment, start_enrolment
from confide.web.pages import home_of, render, set_csrf_cookie
from confide.web.session import Viewer

router = APIRouter()

REFUSED = (
    "That name and code did not match a live enrolment code. Codes work once and for 72 "
    "hours; ask your practice's privacy officer for a new one."
)
Name = Annotated[str, Form(max_length=200)]
Code = Annotated[str, Form(max_length=200)]


@router.get("/enrol")
def enrol_page(request: Request) -> Response:
    """Step one: your name and the code the privacy officer gave you."""
    return render(request, "enrol/start.html", None, title="Set up your account")


@router.post("/enrol/start")
def enrol_start(request: Request, name: Name = "", code: Code = "") -> Response:
    """Step two, once the code is accepted: the authenticator secret to add, and a form to
    choose a password and prove the authenticator with its first code."""
    name, code = name.strip(), code.strip()
    try:
        start = start_enrolment(deps_of(request), name, code)
    except (accounts.SignInRefused, InvalidValue):
        return _again(request, REFUSED, name, 401)
    except accounts.SignInLocked as locked:
        minutes = max(1, round(locked.retry_after.total_seconds() / 60))
        return _again(
            request, f"Too many wrong codes. Try again in about {minutes} min.", name, 429
        )
    return _second_step(request, name, code, start.totp_secret, start.totp_uri)


@router.post("/enrol/finish")
def enrol_finish(  # noqa: PLR0917  # nosec B107  # the form's fields; '' is no password
    request: Request,
    name: Name = "",
    code: Code = "",
    totp_secret: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    totp_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Set the password and the authenticator, then sign in."""
    secret = totp_secret or None
    try:
        signed = complete_enrolment(
            deps_of(request), name, code, password=password, totp_secret=secret,
            totp_code=totp_code.strip() or None, replacing=request.cookies.get(SESSION_COOKIE),
        )  # fmt: skip
    except InvalidValue as e:
        problems = {e.field: e.problem}
        try:  # a secret altered in the form is not base32: show it without a link
            uri = None if secret is None else accounts.totp_uri(name, secret)
        except ValueError:
            uri = None
        return _second_step(request, name, code, secret, uri, problems=problems)
    except (accounts.SignInRefused, accounts.SignInLocked):
        return _again(request, REFUSED, name, 401)
    answer = RedirectResponse(home_of(signed.principal), status_code=303)
    set_session_cookie(answer, signed.token)
    set_csrf_cookie(answer, request.app.state.csrf.new_token())
    return answer


def _again(request: Request, problem: str, name: str, status: int) -> Response:
    return render(
        request, "enrol/start.html", None, title="Set up your account", problem=problem,
        name=name, status_code=status,
    )  # fmt: skip


def _second_step(
    request: Request,
    name: str,
    code: str,
    secret: str | None,
    uri: str | None,
    *,
    problems: dict[str, str] | None = None,
) -> Response:
    grouped = None
    if secret is not None:  # in fours, as an authenticator app asks for it to be typed
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request, "enrol/finish.html", None, title="Set up your account", name=name, code=code,
        secret=secret, grouped=grouped, uri=uri, problems=problems or {},
        status_code=422 if problems else 200,
    )  # fmt: skip


@router.get("/office/accounts")
def accounts_page(request: Request, who: Viewer) -> Response:
    """The privacy officer's page for enrolment codes."""
    return render(request, "enrol/issue.html", who, title="Accounts")


@router.post("/office/accounts")
def issue(
    request: Request, who: Viewer, actor_id: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """Issue a code for a person on file; the answer shows it once (nothing else keeps it)."""
    accounts.require_session(who, "issue enrolment codes")
    actor_id = actor_id.strip()
    try:
        require_id(actor_id, "actor_id")
    except InvalidValue as e:
        return render(
            request, "enrol/issue.html", who, title="Accounts", actor_id=actor_id,
            problem=e.problem, status_code=422,
        )  # fmt: skip
    issued = issue_enrolment(deps_of(request), actor_id, by=who.actor_id)
    return render(request, "enrol/issued.html", who, title="Enrolment code", issued=issued)
