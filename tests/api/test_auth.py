"""Signing in over HTTP: passwords, codes, lockout, sessions, CSRF, tokens and cookies.

Every test runs on SQLite and on PostgreSQL through the real app and store; only the clock is
the test's own (``world.clock.advance``).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select

from confide.api.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from confide.audit.entries import SYSTEM_CHAIN
from confide.services import accounts
from confide.store import schema as t
from tests.api.world import PASSWORD, World

SIGN_IN = "/api/v1/auth/sign-in"
WRONG = "wrong-harbor-lantern-quartz-43"
NEW_PASSWORD = "violet-compass-meadow-tundra-88"
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")


# Helpers ---------------------------------------------------------------------------------------


def _sign_in(
    world: World,
    name: str,
    password: str = PASSWORD,
    code: str | None = None,
    *,
    browser: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One sign-in request, from ``browser`` or a fresh one."""
    browser = browser or world.client_for()
    body = {"name": name, "password": password, "code": code}
    answer: httpx.Response = browser.post(SIGN_IN, json=body, headers=headers or {})
    return answer


def _code_now(world: World, name: str, steps: int = 0) -> str:
    """The code for the current time step (``steps`` away), without moving the clock."""
    secret = world.secrets[name]
    assert secret is not None
    return pyotp.TOTP(secret).at(world.clock.now() + timedelta(seconds=30 * steps))


def _wrong_code(world: World, name: str) -> str:
    """A well-formed code that no step near now would accept."""
    near = {_code_now(world, name, k) for k in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in near)


def _session_token(browser: Any) -> str:
    token = browser.cookies.get(SESSION_COOKIE)
    assert token, "no session cookie"
    return str(token)


def _browser_with(world: World, token: str) -> Any:
    """A fresh browser holding only the session cookie ``token`` (as if copied)."""
    browser = world.client_for()
    browser.cookies.set(SESSION_COOKIE, token)
    return browser


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _session_row(world: World, token: str) -> Any:
    with world.deps.engine.connect() as c:
        row = c.execute(select(t.sessions).where(t.sessions.c.token_hash == _sha256(token))).one()
    return row


def _system_seq(world: World) -> int:
    """The last sequence number on the audit log's system chain."""
    with world.deps.engine.connect() as c:
        seq = c.execute(
            select(func.max(t.audit_entries.c.seq)).where(
                t.audit_entries.c.chain_id == SYSTEM_CHAIN
            )
        ).scalar_one()
    return int(seq or 0)


def _system_events_after(world: World, seq: int) -> list[Any]:
    """Entries on the system chain after ``seq``, oldest first."""
    e = t.audit_entries.c
    with world.deps.engine.connect() as c:
        return list(
            c.execute(
                select(t.audit_entries)
                .where(e.chain_id == SYSTEM_CHAIN, e.seq > seq)
                .order_by(e.seq)
            )
        )


def _without_seconds(body: bytes) -> bytes:
    """A lockout answer with its countdown blanked (the real clock ticks between requests)."""
    return re.sub(rb"\d+ s\b", b"N s", body)


def _headers_but_cookies(answer: httpx.Response) -> dict[str, str]:
    """The answer's headers, except Set-Cookie (the CSRF cookie is random each time)."""
    return {k: v for k, v in answer.headers.items() if k.lower() != "set-cookie"}


def _cookie_names(answer: httpx.Response) -> list[str]:
    return sorted(c.split("=", 1)[0] for c in answer.headers.get_list("set-cookie"))


# Passwords and codes ---------------------------------------------------------------------------


def test_a_wrong_password_is_refused_with_401_and_no_session(world: World) -> None:
    answer = _sign_in(world, world.clinician, WRONG, world.code(world.clinician))
    assert answer.status_code == 401
    assert answer.json() == {
        "detail": "sign-in refused: the name, password or code was not accepted"
    }
    assert SESSION_COOKIE not in _cookie_names(answer)


def test_a_wrong_totp_code_is_refused_although_the_password_is_right(world: World) -> None:
    answer = _sign_in(world, world.clinician, PASSWORD, _wrong_code(world, world.clinician))
    assert answer.status_code == 401
    assert SESSION_COOKIE not in _cookie_names(answer)


def test_a_totp_code_used_once_is_refused_the_second_time_in_the_same_step(
    world: World,
) -> None:
    code = world.code(world.clinician)
    assert _sign_in(world, world.clinician, PASSWORD, code).status_code == 200
    replayed = _sign_in(world, world.clinician, PASSWORD, code)
    assert replayed.status_code == 401
    assert SESSION_COOKIE not in _cookie_names(replayed)


def test_an_older_code_within_the_drift_window_is_refused_once_a_newer_one_was_used(
    world: World,
) -> None:
    newer = world.code(world.clinician)
    older = _code_now(world, world.clinician, -1)  # one step back: inside the drift window
    assert _sign_in(world, world.clinician, PASSWORD, newer).status_code == 200
    assert _sign_in(world, world.clinician, PASSWORD, older).status_code == 401


def test_a_code_from_the_next_step_is_accepted_for_clock_drift(world: World) -> None:
    world.clock.advance(timedelta(seconds=30))
    ahead = _code_now(world, world.clinician, 1)
    assert _sign_in(world, world.clinician, PASSWORD, ahead).status_code == 200


def test_every_practice_role_is_refused_without_a_code(world: World) -> None:
    for name in (world.officer, world.clinician, world.supervisor, world.staff, world.admin):
        assert world.secrets[name] is not None, name
        assert _sign_in(world, name, PASSWORD, None).status_code == 401, name
        # The password was right: the same sign-in with a code succeeds.
        assert _sign_in(world, name, PASSWORD, world.code(name)).status_code == 200, name


def test_a_client_signs_in_without_a_code(world: World) -> None:
    assert world.secrets[world.client] is None
    answer = _sign_in(world, world.client, PASSWORD, None)
    assert answer.status_code == 200
    assert answer.json()["actor_id"] == world.client
    assert answer.json()["role"] == "client"
    assert SESSION_COOKIE in _cookie_names(answer)


# Lockout ---------------------------------------------------------------------------------------


def test_five_failures_lock_the_name_with_429_and_retry_after_even_for_the_right_password(
    world: World,
) -> None:
    for _ in range(5):
        assert _sign_in(world, world.client, WRONG).status_code == 401
    locked = _sign_in(world, world.client, PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    assert "too many failed sign-ins" in locked.json()["detail"]
    assert SESSION_COOKIE not in _cookie_names(locked)
    # Once the lock has run out, the right password signs in.
    world.clock.advance(timedelta(seconds=31))
    assert _sign_in(world, world.client, PASSWORD).status_code == 200


def test_each_further_failure_doubles_the_lock(world: World) -> None:
    for _ in range(5):
        assert _sign_in(world, world.client, WRONG).status_code == 401
    for longest in (60, 120):
        world.clock.advance(timedelta(seconds=longest // 2 + 1))  # the previous lock is over
        assert _sign_in(world, world.client, WRONG).status_code == 401
        locked = _sign_in(world, world.client, WRONG)
        assert locked.status_code == 429
        assert longest // 2 < int(locked.headers["retry-after"]) <= longest


def test_a_success_clears_the_failure_count(world: World) -> None:
    for _ in range(4):
        assert _sign_in(world, world.client, WRONG).status_code == 401
    assert _sign_in(world, world.client, PASSWORD).status_code == 200
    for _ in range(4):
        assert _sign_in(world, world.client, WRONG).status_code == 401
    assert _sign_in(world, world.client, PASSWORD).status_code == 200


def test_an_unknown_name_locks_exactly_like_a_known_one(world: World) -> None:
    known, unknown = world.client, f"ghost-{world.tag}"
    for _ in range(5):
        a = _sign_in(world, known, WRONG)
        b = _sign_in(world, unknown, WRONG)
        assert a.status_code == b.status_code == 401
        assert a.content == b.content
        assert _headers_but_cookies(a) == _headers_but_cookies(b)
    a = _sign_in(world, known, WRONG)
    b = _sign_in(world, unknown, WRONG)
    assert a.status_code == b.status_code == 429
    # The countdown is the real clock's: the two may straddle a second, never more.
    assert abs(int(a.headers["retry-after"]) - int(b.headers["retry-after"])) <= 1
    assert _without_seconds(a.content) == _without_seconds(b.content)
    assert set(_headers_but_cookies(a)) == set(_headers_but_cookies(b))


def test_wrong_passwords_sent_at_once_each_count_towards_the_lockout(world: World) -> None:
    """Eight guesses in parallel: five are checked and refused, the rest meet the lock."""
    attempts = 8
    start = threading.Barrier(attempts)
    statuses: list[int] = []

    def guess() -> None:
        browser = world.client_for()
        start.wait()
        statuses.append(_sign_in(world, world.clinician, WRONG, browser=browser).status_code)

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {401: 5, 429: 3}
    right = _sign_in(world, world.clinician, PASSWORD, _code_now(world, world.clinician))
    assert right.status_code == 429


def test_refusals_lockouts_and_sign_ins_are_on_the_system_audit_chain(world: World) -> None:
    unknown = f"ghost-{world.tag}"
    before = _system_seq(world)
    for name in (world.client, unknown):
        for _ in range(5):
            assert _sign_in(world, name, WRONG).status_code == 401
        assert _sign_in(world, name, WRONG).status_code == 429
    world.clock.advance(timedelta(seconds=31))
    assert _sign_in(world, world.client, PASSWORD).status_code == 200
    events = _system_events_after(world, before)
    refusals = [("sign_in", "deny", "auth.sign_in_refused")] * 4 + [
        ("sign_in", "deny", "auth.locked_out"),
        ("sign_in", "deny", "auth.sign_in_locked"),
    ]
    assert [(e.action, e.effect, e.rule) for e in events] == [
        *refusals,
        *refusals,
        ("sign_in", "permit", "auth.signed_in"),
    ]
    assert [e.actor_id for e in events[:5]] == [world.client] * 5
    assert events[-1].actor_id == world.client
    # A name that is not on file is logged as "unknown", never as typed (it may be a password
    # typed into the wrong box).
    assert {e.actor_id for e in events[6:12]} == {"unknown"}
    for e in events:
        assert unknown not in repr(tuple(e))


# Sessions --------------------------------------------------------------------------------------


def test_an_idle_session_is_refused_and_the_refusal_does_not_extend_it(world: World) -> None:
    browser = world.sign_in(world.client)
    token = _session_token(browser)
    assert browser.get("/api/v1/me").status_code == 200
    seen = _session_row(world, token).last_seen_at
    world.clock.advance(timedelta(minutes=15, seconds=1))
    assert browser.get("/api/v1/me").status_code == 401
    # Had the refused request written its time as the session's last use, this one (at the
    # same time) would be let in; and the stored last use is untouched.
    assert browser.get(f"/api/v1/clients/{world.client}/records").status_code == 401
    assert _session_row(world, token).last_seen_at == seen
    world.clock.advance(timedelta(minutes=1))
    assert browser.get("/api/v1/me").status_code == 401
    row = _session_row(world, token)
    assert row.last_seen_at == seen
    assert row.ended_at is None


def test_a_session_in_use_outlives_the_idle_timeout(world: World) -> None:
    browser = world.sign_in(world.client)
    for _ in range(6):
        world.clock.advance(timedelta(minutes=10))
        assert browser.get("/api/v1/me").status_code == 200


def test_a_use_is_written_as_the_last_use_at_most_every_30_seconds(world: World) -> None:
    browser = world.sign_in(world.client)
    token = _session_token(browser)
    first = _session_row(world, token).last_seen_at
    world.clock.advance(timedelta(seconds=20))
    assert browser.get("/api/v1/me").status_code == 200
    assert _session_row(world, token).last_seen_at == first
    world.clock.advance(timedelta(seconds=15))
    assert browser.get("/api/v1/me").status_code == 200
    assert _session_row(world, token).last_seen_at - first >= timedelta(seconds=35)


def test_a_session_in_constant_use_ends_after_eight_hours(world: World) -> None:
    browser = world.sign_in(world.client)
    token = _session_token(browser)
    for _ in range(47):  # 7 h 50 min, a request every 10 minutes
        world.clock.advance(timedelta(minutes=10))
        assert browser.get("/api/v1/me").status_code == 200
    seen = _session_row(world, token).last_seen_at
    world.clock.advance(timedelta(minutes=11))  # 8 h 1 min: used 11 minutes ago, not idle
    assert browser.get("/api/v1/me").status_code == 401
    assert _session_row(world, token).last_seen_at == seen


def test_sign_out_ends_the_session_and_its_cookie_cannot_be_reused(world: World) -> None:
    browser = world.sign_in(world.client)
    token = _session_token(browser)
    copy = _browser_with(world, token)
    assert copy.get("/api/v1/me").status_code == 200
    out = browser.post("/api/v1/auth/sign-out")
    assert out.status_code == 204
    assert SESSION_COOKIE not in browser.cookies
    assert browser.get("/api/v1/me").status_code == 401
    assert copy.get("/api/v1/me").status_code == 401
    assert _session_row(world, token).ended_at is not None


def test_a_password_change_ends_every_session_of_that_person_at_once(world: World) -> None:
    first = world.sign_in(world.clinician)
    second = world.sign_in(world.clinician)
    other_person = world.sign_in(world.colleague)
    old_first, old_second = _session_token(first), _session_token(second)
    answer = first.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    # The changing browser holds a new session; every earlier one has ended, at one instant.
    new_token = _session_token(first)
    assert new_token not in (old_first, old_second)
    assert first.get("/api/v1/me").status_code == 200
    assert second.get("/api/v1/me").status_code == 401
    assert _browser_with(world, old_first).get("/api/v1/me").status_code == 401
    ended = {_session_row(world, tok).ended_at for tok in (old_first, old_second)}
    assert len(ended) == 1
    assert None not in ended
    # Someone else's session is untouched.
    assert other_person.get("/api/v1/me").status_code == 200
    # Only the new password signs in now.
    assert _sign_in(world, world.clinician, PASSWORD, world.code(world.clinician)).status_code == (
        401
    )
    signed = _sign_in(world, world.clinician, NEW_PASSWORD, world.code(world.clinician))
    assert signed.status_code == 200


@pytest.mark.parametrize("weak", ["short-pw", "password1234", "aaaaaaaaaaaaaaaa", "qwertyuiopasdf"])
def test_a_new_password_must_pass_the_strength_check(world: World, weak: str) -> None:
    browser = world.sign_in(world.clinician)
    answer = browser.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": weak}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "new_password"
    assert weak not in answer.text  # the answer never echoes a password
    # Nothing changed: the session lives on and the old password still signs in.
    assert browser.get("/api/v1/me").status_code == 200
    assert _sign_in(world, world.clinician, PASSWORD, world.code(world.clinician)).status_code == (
        200
    )


def test_a_new_password_made_of_ones_own_name_is_too_weak(world: World) -> None:
    browser = world.sign_in(world.clinician)
    weak = f"{world.clinician}{world.clinician}"
    answer = browser.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": weak}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "new_password"


def test_a_wrong_current_password_changes_nothing(world: World) -> None:
    browser = world.sign_in(world.client)
    answer = browser.post(
        "/api/v1/auth/password", json={"current_password": WRONG, "new_password": NEW_PASSWORD}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "current_password"
    assert browser.get("/api/v1/me").status_code == 200
    assert _sign_in(world, world.client, PASSWORD).status_code == 200
    assert _sign_in(world, world.client, NEW_PASSWORD).status_code == 401


def test_guessing_the_current_password_counts_towards_the_lockout(world: World) -> None:
    browser = world.sign_in(world.client)
    for _ in range(5):
        guess = browser.post(
            "/api/v1/auth/password",
            json={"current_password": WRONG, "new_password": NEW_PASSWORD},
        )
        assert guess.status_code == 422
    locked = browser.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    assert _sign_in(world, world.client, PASSWORD).status_code == 429
    world.clock.advance(timedelta(seconds=31))
    assert _sign_in(world, world.client, PASSWORD).status_code == 200


# CSRF and cross-site requests ------------------------------------------------------------------


def test_a_state_changing_cookie_request_without_the_csrf_header_is_refused(world: World) -> None:
    browser = world.sign_in(world.clinician)
    del browser.headers[CSRF_HEADER]
    made = browser.post("/api/v1/tokens", json={"name": "sneaky", "scopes": ["records.read"]})
    assert made.status_code == 403
    assert made.json()["field"] == CSRF_HEADER
    assert browser.get("/api/v1/tokens").json() == []
    assert browser.post("/api/v1/auth/sign-out").status_code == 403
    assert browser.get("/api/v1/me").status_code == 200


def test_a_wrong_csrf_header_is_refused(world: World) -> None:
    browser = world.sign_in(world.clinician)
    someone_else = world.sign_in(world.colleague)
    for wrong in ("not-a-token", someone_else.headers[CSRF_HEADER]):
        browser.headers[CSRF_HEADER] = wrong
        made = browser.post("/api/v1/tokens", json={"name": "sneaky", "scopes": ["records.read"]})
        assert made.status_code == 403
        assert made.json()["field"] == CSRF_HEADER
    assert browser.get("/api/v1/tokens").json() == []


def test_the_csrf_header_must_match_this_browsers_own_cookie(world: World) -> None:
    browser = world.sign_in(world.clinician)
    assert browser.headers[CSRF_HEADER] == browser.cookies.get(CSRF_COOKIE)
    made = browser.post("/api/v1/tokens", json={"name": "real", "scopes": ["records.read"]})
    assert made.status_code == 201


def test_a_bearer_token_request_needs_no_csrf_header(world: World) -> None:
    token = world.token(world.clinician, ["records.write"])
    integration = world.client_for()
    assert CSRF_HEADER not in integration.headers
    written = integration.post(
        f"/api/v1/clients/{world.client}/records",
        json={"category": "progress_note", "text": "Synthetic note from an integration."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert written.status_code == 201, written.text


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
        {"origin": "https://testserver.evil.example"},
        {"origin": "null"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example", "sec-fetch-site": "same-origin"},
    ],
    ids=[
        "cross-site",
        "same-site",
        "foreign-origin",
        "lookalike-origin",
        "null-origin",
        "null-origin-cross-site",
        "foreign-origin-claiming-same-origin",
    ],
)
def test_a_sign_in_from_another_site_is_refused(world: World, headers: dict[str, str]) -> None:
    before = _system_seq(world)
    answer = _sign_in(world, world.client, PASSWORD, headers=headers)
    assert answer.status_code == 403
    assert answer.json()["field"] == CSRF_HEADER
    assert SESSION_COOKIE not in _cookie_names(answer)
    assert _system_events_after(world, before) == []  # the request never reached sign-in


@pytest.mark.parametrize(
    "origin",
    # A browser sends "Origin: null" for its own forms under Referrer-Policy: no-referrer.
    ["https://testserver", "null"],
)
def test_a_sign_in_from_this_site_is_accepted(world: World, origin: str) -> None:
    headers = {"sec-fetch-site": "same-origin", "origin": origin}
    assert _sign_in(world, world.client, PASSWORD, headers=headers).status_code == 200


# Integration tokens ----------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_expired_token_is_refused(world: World) -> None:
    token = world.token(world.client, ["records.read"], days=1)
    integration = world.client_for()
    assert integration.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    world.clock.advance(timedelta(days=1))
    answer = integration.get("/api/v1/me", headers=_bearer(token))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(world: World) -> None:
    token = world.token(world.client, ["records.read"])
    integration = world.client_for()
    assert integration.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    owner = world.sign_in(world.client)
    [listed] = owner.get("/api/v1/tokens").json()
    assert owner.delete(f"/api/v1/tokens/{listed['id']}").status_code == 204
    assert integration.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_a_token_with_a_wrong_secret_is_refused(world: World) -> None:
    token = world.token(world.client, ["records.read"])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert world.client_for().get("/api/v1/me", headers=_bearer(forged)).status_code == 401


def test_a_token_outside_its_scope_is_refused_naming_the_scope(world: World) -> None:
    token = world.token(world.client, ["records.read"])
    integration = world.client_for()
    within = integration.get(f"/api/v1/clients/{world.client}/records", headers=_bearer(token))
    assert within.status_code == 200
    outside = integration.get(f"/api/v1/clients/{world.client}/consents", headers=_bearer(token))
    assert outside.status_code == 403
    assert "'consents.read'" in outside.json()["detail"]
    writing = integration.post(
        f"/api/v1/clients/{world.client}/consents",
        json={"recipient_id": world.outsider, "categories": ["progress_note"],
              "purposes": ["TREAT"]},
        headers=_bearer(token),
    )  # fmt: skip
    assert writing.status_code == 403
    assert "'consents.write'" in writing.json()["detail"]


def test_a_token_cannot_mint_tokens(world: World) -> None:
    token = world.token(world.clinician, ["records.read", "records.write"])
    minted = world.client_for().post(
        "/api/v1/tokens",
        json={"name": "child", "scopes": ["records.read"]},
        headers=_bearer(token),
    )
    assert minted.status_code == 422
    assert minted.json()["field"] == "token"
    assert "cft_" not in minted.text
    assert len(world.sign_in(world.clinician).get("/api/v1/tokens").json()) == 1


def test_a_token_cannot_set_passwords_make_accounts_or_revoke_tokens(world: World) -> None:
    """Even a privacy officer's token with every scope manages no accounts and no tokens."""
    every_scope = [
        "records.read", "records.write", "consents.read", "consents.write",
        "history.read", "disclosures", "audit.read",
    ]  # fmt: skip
    token = world.token(world.officer, every_scope)
    integration = world.client_for()
    reset = integration.post(
        f"/api/v1/accounts/{world.client}/password",
        json={"new_password": NEW_PASSWORD},
        headers=_bearer(token),
    )
    assert reset.status_code == 422
    assert reset.json()["field"] == "token"
    assert _sign_in(world, world.client, NEW_PASSWORD).status_code == 401
    assert _sign_in(world, world.client, PASSWORD).status_code == 200
    made = integration.post(
        "/api/v1/accounts",
        json={"actor_id": world.revoked_client, "password": NEW_PASSWORD},
        headers=_bearer(token),
    )
    assert made.status_code == 422
    assert made.json()["field"] == "token"
    [listed] = world.sign_in(world.officer).get("/api/v1/tokens").json()
    revoked = integration.delete(f"/api/v1/tokens/{listed['id']}", headers=_bearer(token))
    assert revoked.status_code == 422
    assert integration.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_the_privacy_officer_resets_a_password_from_a_session(world: World) -> None:
    client_browser = world.sign_in(world.client)
    officer = world.sign_in(world.officer)
    reset = officer.post(
        f"/api/v1/accounts/{world.client}/password", json={"new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text
    assert client_browser.get("/api/v1/me").status_code == 401  # their sessions ended
    assert _sign_in(world, world.client, NEW_PASSWORD).status_code == 200
    weak = officer.post(
        f"/api/v1/accounts/{world.client}/password", json={"new_password": "password1234"}
    )
    assert weak.status_code == 422
    assert weak.json()["field"] == "new_password"


# Session tokens --------------------------------------------------------------------------------


def test_session_tokens_carry_at_least_128_bits_and_are_all_distinct(world: World) -> None:
    tokens = []
    for _ in range(50):
        answer = _sign_in(world, world.client)
        assert answer.status_code == 200
        tokens.append(answer.cookies[SESSION_COOKIE])
    assert len(set(tokens)) == 50
    for token in tokens:
        assert URLSAFE.match(token), token
    # The alphabet in use, measured over every token; each character carries log2 of its size.
    alphabet = set("".join(tokens))
    assert len(alphabet) > 60  # URL-safe base64 (64 symbols), not hex or digits
    assert min(len(tok) for tok in tokens) * math.log2(len(alphabet)) >= 128
    # No shared structure (a counter or a timestamp would give common prefixes).
    prefixes = {tok[:6] for tok in tokens}
    assert len(prefixes) == 50


def test_the_database_stores_only_the_hash_of_a_session_token(world: World) -> None:
    tokens = [_sign_in(world, world.client).cookies[SESSION_COOKIE] for _ in range(3)]
    with world.deps.engine.connect() as c:
        sessions = list(c.execute(select(t.sessions)))
        audit = list(
            c.execute(select(t.audit_entries).where(t.audit_entries.c.actor_id == world.client))
        )
    stored = {row.token_hash for row in sessions}
    for token in tokens:
        assert _sha256(token) in stored
        for row in [*sessions, *audit]:
            assert token not in repr(tuple(row))


def test_signing_in_again_gives_a_new_token_and_ends_the_old_session(
    world: World,
) -> None:
    browser = world.sign_in(world.client)
    old = _session_token(browser)
    old_created = _session_row(world, old).created_at
    world.clock.advance(timedelta(minutes=5))
    # The same browser, still holding the client's cookie, signs in as the clinician.
    again = _sign_in(world, world.clinician, PASSWORD, world.code(world.clinician), browser=browser)
    assert again.status_code == 200
    new = _session_token(browser)
    assert new != old
    assert again.cookies[SESSION_COOKIE] == new
    # The old session ended with the new sign-in (ASVS V7.2.4): it did not become the
    # clinician's, and a copy of its cookie kept elsewhere opens nothing any more.
    stale = _browser_with(world, old)
    assert stale.get("/api/v1/me").status_code == 401
    assert browser.get("/api/v1/me").json()["actor_id"] == world.clinician
    assert _session_row(world, old).created_at == old_created
    assert _session_row(world, old).ended_at is not None
    assert _session_row(world, new).actor_id == world.clinician


def test_a_failed_sign_in_leaves_the_browsers_session_as_it_was(world: World) -> None:
    browser = world.sign_in(world.client)
    held = _session_token(browser)
    refused = _sign_in(world, world.clinician, "not-the-password", None, browser=browser)
    assert refused.status_code == 401
    assert _browser_with(world, held).get("/api/v1/me").json()["actor_id"] == world.client


def test_a_password_longer_than_the_limit_is_refused_not_cut_short(world: World) -> None:
    # Were it cut to the limit, the real password followed by anything would sign in.
    from confide.policy.authentication import MAX_PASSWORD_LENGTH

    longer = PASSWORD + "x" * (MAX_PASSWORD_LENGTH - len(PASSWORD) + 1)
    assert longer[:MAX_PASSWORD_LENGTH].startswith(PASSWORD)
    assert _sign_in(world, world.client, longer, None).status_code == 422  # the API's own limit
    # The service itself (the web form allows longer text) compares it whole.
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(world.deps, world.client, longer, None)
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(world.deps, world.client, PASSWORD + "x", None)
    assert accounts.sign_in(world.deps, world.client, PASSWORD, None).token


# Password reset --------------------------------------------------------------------------------


def test_a_password_reset_request_answers_the_same_for_known_and_unknown_names(
    world: World,
) -> None:
    before = _system_seq(world)
    answers = [
        world.client_for().post("/api/v1/auth/password-reset", json={"name": name})
        for name in (world.clinician, f"ghost-{world.tag}", "not a name at all", world.client)
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.content for a in answers}) == 1
    assert len({tuple(sorted(_headers_but_cookies(a).items())) for a in answers}) == 1
    assert len({tuple(_cookie_names(a)) for a in answers}) == 1
    events = _system_events_after(world, before)
    assert [(e.actor_id, e.rule) for e in events] == [
        (world.clinician, "auth.reset_requested"),
        ("unknown", "auth.reset_requested"),
        ("unknown", "auth.reset_requested"),
        (world.client, "auth.reset_requested"),
    ]
    # Asking for a reset changes nothing by itself.
    assert _sign_in(world, world.client, PASSWORD).status_code == 200


# Cookies ---------------------------------------------------------------------------------------


def test_the_session_cookie_is_host_only_httponly_secure_strict_and_for_the_whole_site(
    world: World,
) -> None:
    answer = _sign_in(world, world.client)
    assert answer.status_code == 200
    jar: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    session = jar[SESSION_COOKIE]
    assert SESSION_COOKIE.startswith("__Host-")
    assert session["httponly"] is True
    assert session["secure"] is True
    assert session["samesite"].lower() == "strict"
    assert session["path"] == "/"
    assert session["domain"] == ""  # __Host- cookies may not name a domain
    assert 0 < int(session["max-age"]) <= 8 * 3600
    # The CSRF cookie is as tight: no script reads it (the token comes in the answer's body).
    csrf = jar[CSRF_COOKIE]
    assert CSRF_COOKIE.startswith("__Host-")
    assert csrf["secure"] is True
    assert csrf["samesite"].lower() == "strict"
    assert csrf["path"] == "/"
    assert csrf["domain"] == ""
    assert csrf["httponly"] is True
    assert answer.json()["csrf_token"] == csrf.value


def test_sign_out_clears_the_session_cookie_with_the_same_attributes(world: World) -> None:
    browser = world.sign_in(world.client)
    out = browser.post("/api/v1/auth/sign-out")
    assert out.status_code == 204
    jar: SimpleCookie = SimpleCookie()
    for header in out.headers.get_list("set-cookie"):
        jar.load(header)
    cleared = jar[SESSION_COOKIE]
    assert cleared.value in ("", '""')
    assert cleared["max-age"] == "0"
    assert cleared["path"] == "/"
    assert cleared["secure"] is True
