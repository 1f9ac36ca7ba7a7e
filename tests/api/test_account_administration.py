"""Who may make and reset accounts, and what a reset ends; found by a hostile review."""

from __future__ import annotations

import re

import pyotp

from confide.domain import Actor, Client, Organisation, Role
from confide.services import accounts, practice
from tests.api.world import PASSWORD, World

NEW_PASSWORD = "synthetic-copper-meadow-orchid-57"
NOT_FOUND = {"detail": "not found, or you may not see it"}


def test_an_administrator_may_neither_make_nor_reset_accounts(world: World) -> None:
    admin = world.sign_in(world.admin)
    reset = admin.post(
        f"/api/v1/accounts/{world.client}/password", json={"new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 404
    assert reset.json() == NOT_FOUND
    newcomer = f"temp-{world.tag}"
    practice.add_actor(world.deps, Actor(newcomer, Role.STAFF, world.home), by=world.officer)
    made = admin.post("/api/v1/accounts", json={"actor_id": newcomer, "password": NEW_PASSWORD})
    assert made.status_code == 404
    # The client's password still works: nothing was changed.
    assert (
        world.client_for()
        .post("/api/v1/auth/sign-in", json={"name": world.client, "password": PASSWORD})
        .status_code
        == 200
    )


def test_the_privacy_officer_may_not_reset_their_own_password_without_the_current_one(
    world: World,
) -> None:
    officer = world.sign_in(world.officer)
    reset = officer.post(
        f"/api/v1/accounts/{world.officer}/password", json={"new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 404


def test_a_person_whose_id_is_operator_gains_nothing_from_it(world: World) -> None:
    other, other_officer, victim = f"far-{world.tag}", f"farpo-{world.tag}", f"farc-{world.tag}"
    practice.add_organisation(world.deps, Organisation(other, "Far practice"), by=world.officer)
    practice.found_practice(
        world.deps,
        Organisation(f"{other}x", "Far"),
        Actor(other_officer, Role.PRIVACY_OFFICER, f"{other}x"),
    )
    practice.create_client(world.deps, Client(victim, f"{other}x"), by=other_officer)
    accounts.create_account(world.deps, victim, PASSWORD, by=other_officer)
    practice.add_actor(
        world.deps, Actor("operator", Role.PRIVACY_OFFICER, world.home), by=world.officer
    )
    made = accounts.create_account(world.deps, "operator", PASSWORD, by=world.officer)
    world.secrets["operator"] = made.totp_secret
    impostor = world.sign_in("operator")
    reset = impostor.post(
        f"/api/v1/accounts/{victim}/password", json={"new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 404
    assert (
        world.client_for()
        .post("/api/v1/auth/sign-in", json={"name": victim, "password": PASSWORD})
        .status_code
        == 200
    )


def test_a_reset_revokes_every_token_of_the_person(world: World) -> None:
    token = world.token(world.clinician, ["records.read"], days=365)
    bearer = {"authorization": f"Bearer {token}"}
    assert world.client_for().get("/api/v1/clients", headers=bearer).status_code == 200
    officer = world.sign_in(world.officer)
    reset = officer.post(
        f"/api/v1/accounts/{world.clinician}/password", json={"new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text
    assert world.client_for().get("/api/v1/clients", headers=bearer).status_code == 401


def test_a_password_change_revokes_the_persons_tokens(world: World) -> None:
    token = world.token(world.clinician, ["records.read"])
    browser = world.sign_in(world.clinician)
    changed = browser.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    bearer = {"authorization": f"Bearer {token}"}
    assert world.client_for().get("/api/v1/clients", headers=bearer).status_code == 401


def test_times_beyond_the_calendar_s_ends_are_refused_naming_the_field(world: World) -> None:
    client = world.sign_in(world.client)
    far = client.post(
        f"/api/v1/clients/{world.client}/consents",
        json={
            "recipient_id": world.other,
            "categories": ["progress_note"],
            "purposes": ["TREAT"],
            "starts_at": "0001-01-01T00:00:00+01:00",
        },
    )
    assert far.status_code == 422, far.text
    officer = world.sign_in(world.officer)
    for date in ("9999-12-31", "9999-12-31T23:59Z", "0001-01-01T00:00+01:00"):
        answer = officer.get(f"/fhir/AuditEvent?patient={world.client}&date={date}")
        assert answer.status_code == 400, (date, answer.text)
        assert answer.json()["resourceType"] == "OperationOutcome"


def test_the_officer_issues_an_enrolment_code_and_the_person_enrols_at_the_page(
    world: World,
) -> None:
    from tests.web.conftest import csrf_of

    officer = world.sign_in(world.officer)
    issued = officer.post(f"/api/v1/accounts/{world.colleague}/enrolment")
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert set(body) == {"actor_id", "code", "expires_at", "resets"}  # no factor of theirs
    assert body["resets"] is True  # the colleague has an account: the code resets it
    # Not with a token, not for oneself, not by someone who is not the officer.
    token = world.token(world.officer, ["records.read"])
    by_token = world.client_for().post(
        f"/api/v1/accounts/{world.colleague}/enrolment",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert by_token.status_code == 422
    assert officer.post(f"/api/v1/accounts/{world.officer}/enrolment").status_code == 404
    assert (
        world.sign_in(world.clinician)
        .post(f"/api/v1/accounts/{world.colleague}/enrolment")
        .status_code
        == 404
    )

    person = world.client_for()
    page = person.get("/enrol")
    started = person.post(
        "/enrol/start",
        data={"name": world.colleague, "code": body["code"], "csrf_token": csrf_of(page.text)},
    )
    assert started.status_code == 200, started.text
    secret = re.search(r'name="totp_secret" value="([A-Z2-7]+)"', started.text)
    assert secret is not None
    person.follow_redirects = False
    now_code = pyotp.TOTP(secret.group(1)).at(world.clock.now())
    done = person.post(
        "/enrol/finish",
        data={
            "name": world.colleague, "code": body["code"], "totp_secret": secret.group(1),
            "password": NEW_PASSWORD, "totp_code": now_code,
            "csrf_token": csrf_of(started.text),
        },
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert person.get("/api/v1/me").json()["actor_id"] == world.colleague
