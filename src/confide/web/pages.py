"""Rendering a page: the templates, the CSRF token every form carries, and the navigation.

Templates autoescape everything. Page titles name the page, never a client or anything
clinical (a title is kept in the browser's history and shown in its tab).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from confide.api.middleware import CSRF_FORM_FIELD
from confide.api.security import CSRF_COOKIE
from confide.domain import Category, Purpose, Role
from confide.policy.authentication import SESSION_IDLE_SECONDS
from confide.services.accounts import Principal

TEMPLATES = Jinja2Templates(directory=str(files("confide.web") / "templates"))


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the navigation bar."""

    href: str
    label: str


ROLE_NAMES = {
    Role.CLIENT: "client",
    Role.CLINICIAN: "clinician",
    Role.SUPERVISOR: "supervisor",
    Role.PRIVACY_OFFICER: "privacy officer",
    Role.STAFF: "staff",
    Role.ADMINISTRATOR: "administrator",
    Role.REPRESENTATIVE: "representative",
    Role.RECIPIENT: "recipient",
}


def navigation(who: Principal | None) -> list[NavItem]:
    """The links a person's role has use for (the services still decide every page)."""
    if who is None:
        return []
    if who.role is Role.CLIENT:
        return [
            NavItem("/portal", "Overview"),
            NavItem("/portal/consents", "My consents"),
            NavItem("/portal/access", "Who saw my record"),
            NavItem("/portal/accounting", "Disclosures"),
            NavItem("/portal/notice", "Confidentiality notice"),
            NavItem("/portal/record", "My record"),
        ]
    items = []
    if who.role in (Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER):
        items.append(NavItem("/workspace", "Caseload"))
    if who.role in (Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER):
        items.append(NavItem("/office", "Disclosures"))
    if who.role in (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR):
        items.append(NavItem("/office/audit", "Audit log"))
    if who.role is Role.PRIVACY_OFFICER:
        items.append(NavItem("/office/accounts", "Accounts"))
    return items


def home_of(who: Principal) -> str:
    """Where a person lands after signing in."""
    if who.role is Role.CLIENT:
        return "/portal"
    if who.role in (Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER):
        return "/workspace"
    if who.role is Role.ADMINISTRATOR:
        return "/office/audit"
    return "/account"


def csrf_token(request: Request) -> tuple[str, bool]:
    """The CSRF token for this page's forms, and whether it is new (so must be set). A cookie
    this deployment did not sign (an older secret, or tampered with) is replaced, or every
    form on the page would be refused, sign-out included."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and request.app.state.csrf.is_ours(token):
        return token, False
    fresh: str = request.app.state.csrf.new_token()
    return fresh, True


def set_csrf_cookie(response: Response, token: str) -> None:
    """Give the browser the CSRF token (double-submit: the cookie and the form field)."""
    response.set_cookie(CSRF_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict")


def render(
    request: Request,
    template: str,
    who: Principal | None,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``who`` (None before sign-in), titled ``title``."""
    token, fresh = csrf_token(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "who": who,
            "role_name": None if who is None else ROLE_NAMES.get(who.role, who.role.value),
            "nav": navigation(who),
            "title": title,
            "csrf_field": CSRF_FORM_FIELD,
            "csrf_token": token,
            "idle_seconds": SESSION_IDLE_SECONDS,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
    if fresh:
        set_csrf_cookie(response, token)
    return response


def when(at: datetime | None) -> str:
    """A moment as people read it: 2026-11-28 14:05 UTC."""
    if at is None:
        return "—"
    return at.strftime("%Y-%m-%d %H:%M UTC")


def day(at: datetime | None) -> str:
    """A date as people read it: 2026-11-28."""
    return "—" if at is None else at.strftime("%Y-%m-%d")


def category_label(value: str | Category) -> str:
    """A category in plain words."""
    try:
        return Category(value).label
    except ValueError:
        return str(value)


def purpose_label(value: str | Purpose) -> str:
    """A purpose of use in plain words."""
    try:
        return Purpose(value).label
    except ValueError:
        return str(value)


TEMPLATES.env.filters["when"] = when
TEMPLATES.env.filters["day"] = day
TEMPLATES.env.filters["category"] = category_label
TEMPLATES.env.filters["purpose"] = purpose_label
