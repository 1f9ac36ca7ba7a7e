"""Who is looking at a page: the browser's session cookie, decided by the server alone.

Pages accept only the session cookie (never a bearer token: an integration has no business
with pages). Without a valid session, the page answers with a way back to the sign-in page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie

from confide.api.security import SESSION_COOKIE, deps_of
from confide.services.accounts import NotAuthenticated, Principal, authenticate_session

_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


def viewer(request: Request, session: Annotated[str | None, Depends(_cookie)]) -> Principal:
    """The signed-in person, from the session cookie; NotAuthenticated otherwise."""
    if not session:
        raise NotAuthenticated
    who = authenticate_session(deps_of(request), session)
    request.state.actor_id = who.actor_id
    return who


Viewer = Annotated[Principal, Depends(viewer)]
