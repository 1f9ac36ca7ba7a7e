"""Enrolment: the privacy officer issues a one-time code, and the person alone chooses their
password and authenticator secret with it (decision 0016). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest

from confide.domain import InvalidValue, Role
from confide.services import accounts
from confide.services.deps import Deps
from confide.services.enrolment import (
    complete_enrolment,
    issue_enrolment,
    start_enrolment,
)
from confide.services.errors import NotFoundOrDenied
from tests.api.world import cheap_password_hashing
from tests.integration.conftest import Practice, StepClock

PASSWORD = "synthetic-quartz-meadow-lantern-71"


@pytest.fixture(autouse=True)
def _cheap_hashing() -> Iterator[None]:
    with cheap_password_hashing():
        yield


def _code_now(secret: str, deps: Deps) -> str:
    return pyotp.TOTP(secret).at(deps.clock.now())


def _enrol(deps: Deps, who: str, code: str, password: str = PASSWORD) -> accounts.SignedIn:
    start = start_enrolment(deps, who, code)
    secret = start.totp_secret
    return complete_enrolment(
        deps, who, code, password=password, totp_secret=secret,
        totp_code=None if secret is None else _code_now(secret, deps),
    )  # fmt: skip


def test_a_clinician_chooses_both_factors_and_the_officer_sees_neither(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.clinician, by=p.officer)
    assert issued.code.startswith("enr_")
    assert not issued.resets
    assert not hasattr(issued, "totp_secret")  # the officer gets a code, never a factor
    start = start_enrolment(deps, p.clinician, issued.code)
    assert start.totp_secret is not None
    assert start.totp_uri is not None
    assert start.totp_uri.startswith("otpauth://totp/")
    signed = complete_enrolment(
        deps, p.clinician, issued.code, password=PASSWORD, totp_secret=start.totp_secret,
        totp_code=_code_now(start.totp_secret, deps),
    )  # fmt: skip
    assert signed.principal.actor_id == p.clinician
    assert accounts.authenticate_session(deps, signed.token).actor_id == p.clinician
    # Later sign-ins use the chosen password and the chosen secret's next code.
    later = pyotp.TOTP(start.totp_secret).at(deps.clock.now() + timedelta(seconds=31))
    assert accounts.sign_in(deps, p.clinician, PASSWORD, later).principal.actor_id == p.clinician


def test_a_code_works_once(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.clinician, by=p.officer)
    _enrol(deps, p.clinician, issued.code)
    with pytest.raises(accounts.SignInRefused):
        start_enrolment(deps, p.clinician, issued.code)


def test_a_newer_code_voids_the_older_one(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    older = issue_enrolment(deps, p.clinician, by=p.officer)
    newer = issue_enrolment(deps, p.clinician, by=p.officer)
    with pytest.raises(accounts.SignInRefused):
        start_enrolment(deps, p.clinician, older.code)
    assert start_enrolment(deps, p.clinician, newer.code).totp_secret


def test_an_expired_code_is_refused(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.clinician, by=p.officer)
    assert isinstance(deps.clock, StepClock)
    deps.clock.current += timedelta(hours=72)
    with pytest.raises(accounts.SignInRefused):
        start_enrolment(deps, p.clinician, issued.code)


@pytest.mark.parametrize("wrong", ["enr_not-the-code", "a-guess", "", "someone else's"])
def test_a_wrong_code_or_another_persons_code_is_refused(
    deps: Deps, small_practice: Practice, wrong: str
) -> None:
    p = small_practice
    others = issue_enrolment(deps, p.colleague, by=p.officer).code
    code = others if wrong == "someone else's" else wrong
    with pytest.raises(accounts.SignInRefused):
        start_enrolment(deps, p.clinician, code)


def test_guessing_codes_locks_the_person_with_back_off(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.clinician, by=p.officer)
    for _ in range(5):
        with pytest.raises(accounts.SignInRefused):
            start_enrolment(deps, p.clinician, "enr_guess")
    with pytest.raises(accounts.SignInLocked):
        start_enrolment(deps, p.clinician, issued.code)  # even the right code, while locked


def test_a_wrong_authenticator_code_changes_nothing_and_may_be_retried(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.clinician, by=p.officer)
    start = start_enrolment(deps, p.clinician, issued.code)
    with pytest.raises(InvalidValue) as refused:
        complete_enrolment(
            deps, p.clinician, issued.code, password=PASSWORD,
            totp_secret=start.totp_secret, totp_code="000000",
        )  # fmt: skip
    assert refused.value.field == "code"
    with pytest.raises(InvalidValue) as weak:
        complete_enrolment(
            deps, p.clinician, issued.code, password="password1",
            totp_secret=start.totp_secret, totp_code="000000",
        )  # fmt: skip
    assert weak.value.field == "password"
    assert _enrol(deps, p.clinician, issued.code).principal.actor_id == p.clinician


def test_a_reset_replaces_both_factors_and_ends_every_session_and_token(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    first = _enrol(deps, p.clinician, issue_enrolment(deps, p.clinician, by=p.officer).code)
    token = accounts.issue_token(
        deps, first.principal, "referrals", frozenset({accounts.Scope.RECORDS_READ}),
        timedelta(days=1),
    )  # fmt: skip
    reset = issue_enrolment(deps, p.clinician, by=p.officer)
    assert reset.resets
    _enrol(deps, p.clinician, reset.code, password="synthetic-other-harbor-thistle-29")
    with pytest.raises(accounts.NotAuthenticated):
        accounts.authenticate_session(deps, first.token)
    with pytest.raises(accounts.NotAuthenticated):
        accounts.authenticate_token(deps, token.text)
    with pytest.raises(accounts.SignInRefused):
        accounts.sign_in(deps, p.clinician, PASSWORD, None)


def test_a_client_enrols_without_an_authenticator(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    issued = issue_enrolment(deps, p.client, by=p.officer)
    start = start_enrolment(deps, p.client, issued.code)
    assert start.totp_secret is None
    signed = complete_enrolment(
        deps, p.client, issued.code, password=PASSWORD, totp_secret=None, totp_code=None
    )
    assert signed.principal.role is Role.CLIENT


@pytest.mark.parametrize("by", ["clinician", "self", "other practice"])
def test_only_the_persons_privacy_officer_issues_a_code(
    deps: Deps, small_practice: Practice, by: str
) -> None:
    p = small_practice
    issuer = {"clinician": p.colleague, "self": p.clinician, "other practice": p.outsider}[by]
    with pytest.raises(NotFoundOrDenied):
        issue_enrolment(deps, p.clinician, by=issuer)


def test_the_officer_cannot_issue_a_code_for_themself(deps: Deps, small_practice: Practice) -> None:
    p = small_practice
    with pytest.raises(NotFoundOrDenied):
        issue_enrolment(deps, p.officer, by=p.officer)
