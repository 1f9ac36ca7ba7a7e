"""Every answer carries the security headers: every GET route of the application (pages, API,
FHIR, docs, static files), signed in and not, found or refused, and a refused form post."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.routing import Mount

from confide.api.middleware import SECURITY_HEADERS
from tests.api.world import World
from tests.web.conftest import page_browser

_PARAM = re.compile(r"\{[^}]+\}")


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(full path, route) of every route, routers included (FastAPI keeps an included router
    as one entry holding the router)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + str(getattr(route, "path", "")), route


def _get_paths(world: World) -> list[str]:
    """Every GET route, its path parameters filled with an id (a real client's, so some
    answers are found and others refused), and a file under each mount."""
    paths: list[str] = []
    for path, route in _routes(world.app.routes):
        if isinstance(route, Mount):
            paths.append(f"{path}/confide.css")
        elif "GET" in (getattr(route, "methods", None) or set()):
            paths.append(_PARAM.sub(world.client, path))
    return sorted(set(paths))


def _check(answer_headers: dict[str, str], path: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer_headers.get(name) == value, (path, name)
    assert "frame-ancestors 'none'" in answer_headers.get("content-security-policy", ""), path


def test_every_get_route_answers_with_the_security_headers(web: World) -> None:
    paths = _get_paths(web)
    assert len(paths) > 45  # pages, API, FHIR, docs and static files
    signed_in = page_browser(web, web.client)
    stranger = web.client_for()
    stranger.follow_redirects = False
    for path in paths:
        for browser in (signed_in, stranger):
            answer = browser.get(path)
            assert answer.status_code < 500, (path, answer.status_code)
            _check(dict(answer.headers), path)


def test_a_refused_form_post_answers_with_the_security_headers(web: World) -> None:
    answer = page_browser(web, web.clinician).post("/sign-out", data={})  # no CSRF token
    assert answer.status_code == 403
    _check(dict(answer.headers), "/sign-out")


def _other_routes(world: World) -> list[tuple[str, str]]:
    """(method, path) of every route that is not a GET, its parameters filled with a real id."""
    found: set[tuple[str, str]] = set()
    for path, route in _routes(world.app.routes):
        for method in (getattr(route, "methods", None) or set()) - {"GET", "HEAD"}:
            found.add((method, _PARAM.sub(world.client, path)))
    return sorted(found)


def test_every_other_route_answers_with_the_security_headers_whoever_asks(web: World) -> None:
    """Posts, puts and deletes with an empty body: refused or sent to sign in (no session, no
    CSRF token, or a malformed body), never done, and every answer still carries the headers."""
    routes = _other_routes(web)
    assert len(routes) > 40  # pages' forms, API and FHIR writes
    signed_in = page_browser(web, web.clinician)
    stranger = web.client_for()
    stranger.follow_redirects = False
    for method, path in routes:
        for browser in (signed_in, stranger):
            answer = browser.request(method, path)
            assert 300 <= answer.status_code < 500, (method, path, answer.status_code)
            _check(dict(answer.headers), f"{method} {path}")
