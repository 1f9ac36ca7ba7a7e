"""Schemathesis generates requests from the OpenAPI schema and sends them, signed in, to the
app over a real store: no answer may be a server error, and every answer must match the
schema (its status documented, its body of the documented shape).

At least 1,000 generated requests in CI (the count is checked). Sign-out and password change
are left out here, as they end the session the run signs in with; tests/api/test_auth.py
covers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from confide.api.app import create_app
from confide.api.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from confide.services.deps import Deps
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.vault import KeyRing, LocalKek
from tests.api.world import BASE, MovableClock, World, build_world, world_deps

ENDS_THE_SESSION = ("/api/v1/auth/sign-out", "/api/v1/auth/password")
MIN_REQUESTS = 1000
# No server error, and every answer as documented: its status, content type, headers and
# body. (Schemathesis' other checks judge API design choices: e.g. a generated id for a client
# the caller may not see is rightly answered 404, which its "positive data acceptance" counts
# as a rejected valid request.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
sent: list[str] = []


@pytest.fixture(scope="module")
def signed_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'confide.db'}"
    engine = make_engine(url)
    upgrade(engine)
    kek = LocalKek("kek-test", b"\x07" * 32)
    world = build_world(
        world_deps(engine, KeyRing({kek.kek_id: kek}, kek.kek_id), MovableClock()), MovableClock()
    )
    yield world
    engine.dispose()


@pytest.fixture(scope="module")
def session_headers(signed_world: World) -> dict[str, str]:
    browser = signed_world.sign_in(signed_world.officer)
    session = browser.cookies.get(SESSION_COOKIE)
    csrf = browser.cookies.get(CSRF_COOKIE)
    APP.state.deps = signed_world.deps
    return {
        "cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}",
        CSRF_HEADER: str(csrf),
    }


# The schema is read from an app made at import; each run gives it the world's store. (The
# routes and their schema do not depend on the store.)
APP = create_app(cast(Deps, None))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path=list(ENDS_THE_SESSION))


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
def test_no_server_error_and_every_answer_matches_the_schema(
    case: schemathesis.Case, session_headers: dict[str, str]
) -> None:
    sent.append(case.operation.label)
    case.call_and_validate(base_url=BASE, headers=session_headers, checks=CHECKS)


def test_schemathesis_sent_enough_requests() -> None:
    # Runs after the generated tests of this module (pytest keeps file order).
    assert len(sent) >= MIN_REQUESTS, f"only {len(sent)} generated requests were sent"
    assert len(set(sent)) >= 30, sorted(set(sent))
