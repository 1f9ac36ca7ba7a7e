"""Web page fixtures: one practice per test module (SQLite), and browsers signed in through
the sign-in page itself (form post with its CSRF field), as a person would."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from confide.api.security import CSRF_COOKIE
from tests.api.world import PASSWORD, TestClient, World, shared_world

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite"])
def web(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A practice (see tests/api/world.py for who is who) behind the app, for a module."""
    with shared_world(request, tmp_path_factory) as world:
        yield world


def csrf_of(page_html: str) -> str:
    """The CSRF token a page put in its forms."""
    found = _CSRF_FIELD.search(page_html)
    assert found is not None, "the page has no form with a CSRF field"
    return found.group(1)


def page_browser(world: World, name: str) -> TestClient:
    """A browser signed in as ``name`` through the sign-in form; redirects are not followed
    automatically (tests look at where a form sends them)."""
    browser = world.client_for()
    browser.follow_redirects = False
    page = browser.get("/sign-in")
    answer = browser.post(
        "/sign-in",
        data={
            "name": name,
            "password": PASSWORD,
            "code": world.code(name) or "",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert answer.status_code == 303, answer.text
    assert browser.cookies.get(CSRF_COOKIE)
    return browser


def form_post(browser: TestClient, page_path: str, action: str, data: dict[str, str]) -> object:
    """Open ``page_path``, then post ``data`` to ``action`` with that page's CSRF token."""
    page = browser.get(page_path)
    assert page.status_code == 200, page.text
    return browser.post(action, data={**data, "csrf_token": csrf_of(page.text)})
