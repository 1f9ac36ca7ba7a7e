"""Enrolment: a person chooses their own password and authenticator secret (decision 0016).

The privacy officer of the person's practice issues a one-time code (or the operator, from the
command line) and hands it over in person; it works once, for 72 hours, and a newer code voids
older ones. With it the person, and only they, sets a password and puts a new authenticator
secret in their app, proving it with a code. The officer never knows either factor (HIPAA
164.308(a)(5)(ii)(D), password management; ASVS V6.4: no factor is chosen or seen by someone
else). The same code resets an account that exists: its sessions end and its tokens are
revoked, since its owner may have been impersonated.

Wrong codes count towards a lockout of their own per person, with the sign-in back-off, and
every attempt, accepted or refused, is on the system chain.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import Connection

from confide.domain import InvalidValue, Role
from confide.domain.validation import require_id
from confide.policy.authentication import ALL_SCOPES, needs_second_factor
from confide.services import accounts
from confide.services.deps import Deps
from confide.store.accounts_repository import (
    AccountsRepository,
    StoredEnrolment,
    account_key_owner,
)
from confide.store.practice_repository import PracticeRepository

ENROLMENT_LIFETIME = timedelta(hours=72)
CODE_PREFIX = "enr_"
# A secret the person's authenticator holds: base32, at least 160 bits (RFC 4226 section 4).
_SECRET = re.compile(r"[A-Z2-7]{32,64}")


@dataclass(frozen=True, slots=True)
class IssuedEnrolment:
    """A new code: shown once, to be handed to the person; stored only as a hash."""

    actor_id: str
    code: str
    expires_at: datetime
    resets: bool  # the person has an account already: using the code replaces both factors


@dataclass(frozen=True, slots=True)
class EnrolmentStart:
    """What the person sees once the code is accepted: the authenticator secret to add (for
    roles that need one), which their browser sends back with the first code it shows."""

    actor_id: str
    totp_secret: str | None
    totp_uri: str | None


def issue_enrolment(
    deps: Deps, actor_id: str, *, by: str, as_operator: bool = False
) -> IssuedEnrolment:
    """A one-time code for a person on file, issued by their practice's privacy officer (never
    for themself) or, with ``as_operator``, from the command line."""
    require_id(actor_id, "actor_id")
    code = CODE_PREFIX + secrets.token_urlsafe(24)  # 192 bits
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(actor_id)
        accounts._check_account_admin(
            deps, c, actor, by=by, action="issue_enrolment", as_operator=as_operator
        )
        repo = AccountsRepository(c)
        now = deps.clock.now()
        resets = repo.get(actor_id) is not None
        expires = now + ENROLMENT_LIFETIME
        repo.add_enrolment(StoredEnrolment(_hash(code), actor_id, by, now, expires, None))
        accounts._log_auth(deps, c, now, by, "issue_enrolment", "permit", "auth.enrolment_issued")
    return IssuedEnrolment(actor_id, code, expires, resets)


def start_enrolment(deps: Deps, actor_id: str, code: str) -> EnrolmentStart:
    """Check the code (SignInRefused or SignInLocked, like a sign-in) and make the
    authenticator secret the person will add, for roles that need one. Nothing is stored."""
    with deps.engine.begin() as c:
        actor_role = _accepted(deps, c, actor_id, code)
    if not needs_second_factor(actor_role):
        return EnrolmentStart(actor_id, None, None)
    secret = pyotp.random_base32(32)
    return EnrolmentStart(actor_id, secret, accounts.totp_uri(actor_id, secret))


def complete_enrolment(
    deps: Deps,
    actor_id: str,
    code: str,
    *,
    password: str,
    totp_secret: str | None,
    totp_code: str | None,
    replacing: str | None = None,
) -> accounts.SignedIn:
    """Set the person's own password and authenticator secret, use up the code, and sign them
    in (ending the session the browser held, ``replacing``, as a sign-in does). A reset ends
    every session and revokes every token of theirs first."""
    accounts.check_password_strength(password, user_inputs=(actor_id,))
    with deps.engine.begin() as c:
        role = _accepted(deps, c, actor_id, code)
        now = deps.clock.now()
        key = sealed = None
        step = None
        if needs_second_factor(role):
            secret = _checked_secret(totp_secret)
            step = _proven_step(secret, totp_code, now)
            key = deps.vault.new_client_key(account_key_owner(actor_id))
            sealed = deps.vault.seal(key, secret.encode(), accounts._totp_binding(actor_id))
        repo = AccountsRepository(c)
        if not repo.use_enrolment(_hash(code), now):
            raise accounts.SignInRefused  # the same code, used a moment ago in another tab
        password_hash = accounts._HASHER.hash(password)
        if repo.get(actor_id) is None:
            repo.add(actor_id, password_hash, now, key, sealed)
        else:
            repo.set_password(actor_id, password_hash, now)
            repo.set_totp(actor_id, key, sealed)
            repo.end_sessions_of(actor_id, now)
            repo.revoke_tokens_of(actor_id, now)
        if step is not None:
            repo.accept_totp_step(actor_id, step)  # the code just shown signs nobody in again
        if replacing:
            repo.end_session(accounts.token_hash(replacing), now)
        token = secrets.token_urlsafe(32)
        repo.add_session(accounts.token_hash(token), actor_id, now)
        accounts._log_auth(deps, c, now, actor_id, "enrol", "permit", "auth.enrolled")
        actor = PracticeRepository(c).actor(actor_id)
    assert actor is not None  # noqa: S101  # nosec B101  # accepted above
    principal = accounts.Principal(
        actor.id, actor.role, actor.organisation_id, ALL_SCOPES,
        session_hash=accounts.token_hash(token),
    )  # fmt: skip
    return accounts.SignedIn(token, principal)


def _accepted(deps: Deps, c: Connection, actor_id: str, code: str) -> Role:
    """The person's role if ``code`` is their live code; else the failure is counted (and
    committed) and SignInRefused raised, or SignInLocked while locked."""
    name_hash = accounts._name_hash("enrol\x00" + actor_id)
    accounts._lock_name(c, name_hash)
    repo = AccountsRepository(c)
    now = deps.clock.now()
    failures, locked_until = repo.failures(name_hash)
    if locked_until is not None and now < locked_until:
        accounts._log_auth(deps, c, now, accounts.UNKNOWN_ACTOR, "enrol", "deny", "auth.locked")
        c.commit()
        raise accounts.SignInLocked(locked_until - now)
    stored = repo.enrolment(_hash(code)) if code.startswith(CODE_PREFIX) else None
    actor = PracticeRepository(c).actor(actor_id) if accounts._is_id(actor_id) else None
    if (
        stored is None
        or actor is None
        or not hmac.compare_digest(stored.actor_id, actor_id)
        or stored.used_at is not None
        or now >= stored.expires_at
    ):
        failures += 1
        lock = accounts.LOCKOUT_POLICY.locked_for(failures)
        repo.record_failure(name_hash, failures, now + lock if lock else None, now)
        accounts._log_auth(
            deps, c, now, accounts.UNKNOWN_ACTOR, "enrol", "deny", "auth.enrolment_refused"
        )
        c.commit()
        raise accounts.SignInRefused
    repo.clear_failures(name_hash)
    return actor.role


def _checked_secret(secret: str | None) -> str:
    if secret is None or not _SECRET.fullmatch(secret):
        raise InvalidValue("totp_secret", "start again from the code: the secret was changed")
    return secret


def _proven_step(secret: str, code: str | None, now: datetime) -> int:
    """The time step of the code the authenticator showed (one step either side for drift)."""
    if code is None or not code.isdigit() or len(code) != 6:
        raise InvalidValue("code", "type the six digits your authenticator shows now")
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // accounts.TOTP_STEP_SECONDS
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.at(candidate * accounts.TOTP_STEP_SECONDS), code):
            return int(candidate)
    raise InvalidValue(
        "code", "that is not the code your authenticator shows; check that its clock is right"
    )


def _hash(code: str) -> str:
    return accounts.token_hash("enrolment\x00" + code)
