"""Enrolling through the pages: the officer issues a code, the person sets both factors."""

from __future__ import annotations

import re

import pyotp

from tests.api.world import World
from tests.web.conftest import csrf_of, page_browser

STRONG = "synthetic-willow-canal-orchid-83"


def _issue(web: World, actor_id: str) -> str:
    officer = page_browser(web, web.officer)
    page = officer.get("/office/accounts")
    assert page.status_code == 200
    issued = officer.post(
        "/office/accounts", data={"actor_id": actor_id, "csrf_token": csrf_of(page.text)}
    )
    assert issued.status_code == 200, issued.text
    found = re.search(r'id="enrolment-code">(enr_[\w-]+)<', issued.text)
    assert found is not None
    return found.group(1)


def _start(web: World, actor_id: str, code: str) -> tuple[object, str]:
    person = web.client_for()
    page = person.get("/enrol")
    started = person.post(
        "/enrol/start", data={"name": actor_id, "code": code, "csrf_token": csrf_of(page.text)}
    )
    return person, started.text if started.status_code == 200 else f"{started.status_code}"


def test_a_clinician_enrols_with_the_code_and_lands_signed_in(web: World) -> None:
    code = _issue(web, web.colleague)
    person, text = _start(web, web.colleague, code)
    secret = re.search(r'name="totp_secret" value="([A-Z2-7]+)"', text)
    assert secret is not None
    assert "otpauth://totp/" in text
    wrong = person.post(  # type: ignore[attr-defined]
        "/enrol/finish",
        data={"name": web.colleague, "code": code, "totp_secret": secret.group(1),
              "password": STRONG, "totp_code": "000000", "csrf_token": csrf_of(text)},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="code-problem"' in wrong.text
    person.follow_redirects = False  # type: ignore[attr-defined]
    done = person.post(  # type: ignore[attr-defined]
        "/enrol/finish",
        data={"name": web.colleague, "code": code, "totp_secret": secret.group(1),
              "password": STRONG, "csrf_token": csrf_of(text),
              "totp_code": pyotp.TOTP(secret.group(1)).at(web.clock.now())},
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == "/workspace"
    assert person.get("/workspace").status_code == 200  # type: ignore[attr-defined]


def test_a_wrong_code_is_refused_in_plain_words(web: World) -> None:
    _person, text = _start(web, web.colleague, "enr_not-a-code")
    assert text == "401"


def test_a_client_enrols_without_an_authenticator(web: World) -> None:
    code = _issue(web, web.other_client)
    person, text = _start(web, web.other_client, code)
    assert 'name="totp_secret"' not in text
    person.follow_redirects = False  # type: ignore[attr-defined]
    done = person.post(  # type: ignore[attr-defined]
        "/enrol/finish",
        data={"name": web.other_client, "code": code, "password": STRONG,
              "csrf_token": csrf_of(text)},
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == "/portal"


def test_only_the_privacy_officer_issues_codes(web: World) -> None:
    clinician = page_browser(web, web.clinician)
    page = clinician.get("/office/accounts")
    refused = clinician.post(
        "/office/accounts", data={"actor_id": web.colleague, "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    assert "enr_" not in refused.text


def test_an_altered_secret_and_a_weak_password_come_back_as_a_form_not_an_error(
    web: World,
) -> None:
    code = _issue(web, web.supervisor)
    person, text = _start(web, web.supervisor, code)
    refused = person.post(  # type: ignore[attr-defined]
        "/enrol/finish",
        data={"name": web.supervisor, "code": code, "totp_secret": "not-base32!",
              "password": "weak", "totp_code": "123456", "csrf_token": csrf_of(text)},
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'id="password-problem"' in refused.text
