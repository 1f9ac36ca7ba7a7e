"""Signing in and staying signed in: passwords, the second factor, sessions, lockout.

Passwords are argon2id hashes (argon2-cffi; RFC 9106). The TOTP secret (RFC 6238, pyotp) is
sealed with a data key of the person's own. A sign-in asks for the name, the password and, for
every clinical, privacy and administrative role, the current code, all in one request: there
is no half-signed-in state to attack. An unknown name and a wrong password take the same path
(a hash is verified either way), give the same answer and count towards the same lockout, so
neither the answer, its timing nor a lockout tells which names exist (decision 0014).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, text
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from confide.domain import InvalidValue, Role
from confide.domain.actors import Actor
from confide.domain.errors import ConfideError
from confide.domain.validation import require_id
from confide.policy.authentication import (
    ALL_SCOPES,
    MAX_PASSWORD_LENGTH,
    MAX_TOKEN_LIFETIME,
    MIN_PASSWORD_LENGTH,
    MIN_PASSWORD_SCORE,
    LockoutPolicy,
    Scope,
    SessionPolicy,
    SessionState,
    needs_second_factor,
)
from confide.services.deps import Deps
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.events import log_event
from confide.store.accounts_repository import AccountsRepository, StoredToken, account_key_owner
from confide.store.practice_repository import PracticeRepository
from confide.vault import RecordBinding

OPERATOR = "operator"  # whoever holds the data directory, acting from the command line
TOTP_STEP_SECONDS = 30
SESSION_POLICY = SessionPolicy()
LOCKOUT_POLICY = LockoutPolicy()
_HASHER = PasswordHasher()  # argon2id, RFC 9106's second recommended profile (64 MiB, t=3)
# Verified for an unknown name, so it costs what a known name's check costs.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(24))
UNKNOWN_ACTOR = "unknown"


class NotAuthenticated(ConfideError):
    """No valid session or token came with the request."""

    def __init__(self) -> None:
        super().__init__("sign in first: no valid session or token came with this request")


class SignInRefused(ConfideError):
    """The name, password or code was not accepted; never says which."""

    def __init__(self) -> None:
        super().__init__("sign-in refused: the name, password or code was not accepted")


class SignInLocked(ConfideError):
    """Too many failed sign-ins for this name; try again later."""

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        seconds = max(1, int(retry_after.total_seconds()))
        super().__init__(f"too many failed sign-ins for this name; try again in {seconds} s")


class ScopeMissing(ConfideError):
    """The token does not carry the scope this request needs."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        super().__init__(f"this token lacks the scope {scope.value!r} that this request needs")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, as the server decided from the session or token, never from the request."""

    actor_id: str
    role: Role
    organisation_id: str | None
    scopes: frozenset[Scope]
    session_hash: str | None = None
    token_id: str | None = None

    def require(self, scope: Scope) -> None:
        """Refuse if a token without ``scope`` is in use (sessions carry every scope)."""
        if scope not in self.scopes:
            raise ScopeMissing(scope)


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account just made: the TOTP secret is shown once, to be put in an authenticator."""

    actor_id: str
    totp_secret: str | None
    totp_uri: str | None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: its token goes into a cookie and nowhere else."""

    token: str
    principal: Principal


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new integration token; its text is shown once and stored only as a hash."""

    id: str
    text: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An integration token as its owner may list it (never the secret)."""

    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


# Accounts -------------------------------------------------------------------------------------


def check_password_strength(
    password: str, *, user_inputs: tuple[str, ...] = (), field: str = "password"
) -> None:
    """Refuse a short, long or guessable password, saying what to do instead (ASVS V6.2).

    ``field`` is the request's name for the password, so the answer names what to change."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(field, f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(field, f"use at most {MAX_PASSWORD_LENGTH} characters")
    # zxcvbn looks at the first 100 characters; longer passphrases are strong by length.
    result = zxcvbn(password[:100], user_inputs=list(user_inputs))
    if result["score"] < MIN_PASSWORD_SCORE:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        raise InvalidValue(
            field, f"choose a harder password ({hint}); a few unrelated words work well"
        )


def create_account(
    deps: Deps,
    actor_id: str,
    password: str,
    *,
    by: str,
    second_factor: bool | None = None,
    as_operator: bool = False,
) -> NewAccount:
    """Give a person on file a password (and a TOTP secret when their role needs one).

    Made by the privacy officer of the person's practice, never for themself; or, with
    ``as_operator``, by whoever holds the data directory (the command line, the demo).
    ``second_factor`` defaults to what the role requires.
    """
    require_id(actor_id, "actor_id")
    check_password_strength(password, user_inputs=(actor_id,))
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(actor_id)
        _check_account_admin(
            deps, c, actor, by=by, action="create_account", as_operator=as_operator
        )
        assert actor is not None  # noqa: S101  # nosec B101  # refused above otherwise
        accounts = AccountsRepository(c)
        if accounts.get(actor_id) is not None:
            raise Conflict(f"{actor_id} already has an account; reset its password instead")
        now = deps.clock.now()
        wants_totp = needs_second_factor(actor.role) if second_factor is None else second_factor
        if needs_second_factor(actor.role) and not wants_totp:
            raise InvalidValue("second_factor", f"a {actor.role.value} must use a second factor")
        secret = key = sealed = None
        if wants_totp:
            secret = pyotp.random_base32()
            key = deps.vault.new_client_key(account_key_owner(actor_id))
            sealed = deps.vault.seal(key, secret.encode(), _totp_binding(actor_id))
        accounts.add(actor_id, _HASHER.hash(password), now, key, sealed)
        log_event(
            deps, c, at=now, by=by, client_id=None, action="create_account", effect="permit",
            rule="auth.account_created", record_id=actor_id,
        )  # fmt: skip
    uri = None
    if secret is not None:
        uri = totp_uri(actor_id, secret)
    return NewAccount(actor_id, secret, uri)


def totp_uri(actor_id: str, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads the secret from."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=actor_id, issuer_name="confide"))


def reset_password(deps: Deps, actor_id: str, new_password: str, *, by: str) -> None:
    """Set a person's password for them (after they asked for a reset); ends their sessions."""
    require_id(actor_id, "actor_id")
    check_password_strength(new_password, user_inputs=(actor_id,), field="new_password")
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(actor_id)
        _check_account_admin(deps, c, actor, by=by, action="reset_password")
        accounts = AccountsRepository(c)
        if accounts.get(actor_id) is None:
            raise NotFoundOrDenied
        now = deps.clock.now()
        accounts.set_password(actor_id, _HASHER.hash(new_password), now)
        # A reset is for a person who may have been impersonated: nothing made before it works.
        accounts.end_sessions_of(actor_id, now)
        accounts.revoke_tokens_of(actor_id, now)
        log_event(
            deps, c, at=now, by=by, client_id=None, action="reset_password", effect="permit",
            rule="auth.password_reset", record_id=actor_id,
        )  # fmt: skip


def _check_account_admin(
    deps: Deps,
    c: Connection,
    actor: Actor | None,
    *,
    by: str,
    action: str,
    as_operator: bool = False,
) -> None:
    # The operator is a call from the command line, never an id a request could carry.
    if as_operator and actor is not None:
        return
    admin = PracticeRepository(c).actor(by)
    # Only the privacy officer of the person's practice, and never for themself (HIPAA
    # 164.308(a)(4): access is granted by the official who answers for it, not by whoever
    # administers the system; decision 0014).
    if (
        actor is not None
        and admin is not None
        and admin.id != actor.id
        and admin.role is Role.PRIVACY_OFFICER
        and admin.organisation_id is not None
        and admin.organisation_id in (actor.organisation_id, _client_org(c, actor))
    ):
        return
    log_event(
        deps, c, at=deps.clock.now(), by=by, client_id=None, action=action, effect="deny",
        rule="deny.not_account_admin",
    )  # fmt: skip
    c.commit()
    raise NotFoundOrDenied


def _client_org(c: Connection, actor: Actor) -> str | None:
    if actor.role is not Role.CLIENT:
        return None
    client = PracticeRepository(c).client(actor.id)
    return None if client is None else client.organisation_id


# Signing in -----------------------------------------------------------------------------------


def sign_in(
    deps: Deps, name: str, password: str, code: str | None, *, replacing: str | None = None
) -> SignedIn:
    """A new session for the right name, password and (where required) code; the session the
    browser held before (``replacing``, its token), whoever's it was, ends with it (ASVS
    V7.2.4: a new session at authentication, the current one terminated).

    Raises SignInRefused for any mistake and SignInLocked while the name is locked out; both
    are audited on the system chain.
    """
    name_hash = _name_hash(name)
    with deps.engine.begin() as c:
        _lock_name(c, name_hash)
        accounts = AccountsRepository(c)
        now = deps.clock.now()
        failures, locked_until = accounts.failures(name_hash)
        if locked_until is not None and now < locked_until:
            _log_auth(deps, c, now, UNKNOWN_ACTOR, "sign_in", "deny", "auth.sign_in_locked")
            c.commit()  # the refusal is on record, though the error rolls the rest back
            raise SignInLocked(locked_until - now)
        actor = PracticeRepository(c).actor(name) if _is_id(name) else None
        account = accounts.get(name) if actor is not None else None
        stored_hash = _DUMMY_HASH if account is None else account.password_hash
        password_ok = _verify_password(stored_hash, password) and account is not None
        code_ok = password_ok and actor is not None and _second_factor_ok(deps, c, actor, code)
        if not code_ok or actor is None:
            failures += 1
            lock = LOCKOUT_POLICY.locked_for(failures)
            accounts.record_failure(name_hash, failures, now + lock if lock else None, now)
            who = UNKNOWN_ACTOR if actor is None else actor.id
            rule = "auth.locked_out" if lock else "auth.sign_in_refused"
            _log_auth(deps, c, now, who, "sign_in", "deny", rule)
            c.commit()
            raise SignInRefused
        accounts.clear_failures(name_hash)
        if _HASHER.check_needs_rehash(stored_hash):
            accounts.set_password(actor.id, _HASHER.hash(password), account.password_changed_at)  # type: ignore[union-attr]
        if replacing:
            accounts.end_session(token_hash(replacing), now)
        token = secrets.token_urlsafe(32)  # 256 bits (ASVS V7.2.3 asks for at least 128)
        accounts.add_session(token_hash(token), actor.id, now)
        _log_auth(deps, c, now, actor.id, "sign_in", "permit", "auth.signed_in")
    principal = Principal(
        actor.id, actor.role, actor.organisation_id, ALL_SCOPES, session_hash=token_hash(token)
    )
    return SignedIn(token, principal)


def _verify_password(stored_hash: str, password: str) -> bool:
    # Checked exactly as sent, never cut short (ASVS V6.2.8): no stored password is longer than
    # the limit, so a longer one is checked (for equal time) as one that cannot match.
    candidate = password if len(password) <= MAX_PASSWORD_LENGTH else ""
    try:
        return _HASHER.verify(stored_hash, candidate) and candidate != ""
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _second_factor_ok(deps: Deps, c: Connection, actor: Actor, code: str | None) -> bool:
    account = AccountsRepository(c).get(actor.id)
    if account is None:
        return False
    if account.totp_key is None or account.totp_sealed is None:
        # Only roles that need no second factor may be without one.
        return not needs_second_factor(actor.role)
    if code is None or not code.isdigit() or len(code) != 6:
        return False
    secret = deps.vault.open(account.totp_key, account.totp_sealed, _totp_binding(actor.id))
    totp = pyotp.TOTP(secret.decode())
    now = deps.clock.now()
    step = int(now.timestamp()) // TOTP_STEP_SECONDS
    # RFC 6238 §5.2: accept one step either side for clock drift; each step only once.
    for candidate in (step - 1, step, step + 1):
        expected = totp.at(candidate * TOTP_STEP_SECONDS)
        if hmac.compare_digest(expected, code):
            return AccountsRepository(c).accept_totp_step(actor.id, candidate)
    return False


def request_password_reset(deps: Deps, name: str) -> None:
    """Ask the practice to reset a password. Says and does the same whether or not the name
    exists: the request is put on the audit log for the privacy officer to act on."""
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(name) if _is_id(name) else None
        who = UNKNOWN_ACTOR if actor is None else actor.id
        _log_auth(deps, c, deps.clock.now(), who, "request_reset", "permit", "auth.reset_requested")


def change_password(deps: Deps, who: Principal, current: str, new: str) -> SignedIn:
    """Change one's own password: every session of the person ends, and a new one begins."""
    if who.session_hash is None:
        raise NotAuthenticated
    check_password_strength(new, user_inputs=(who.actor_id,), field="new_password")
    # A wrong current password counts towards the name's lockout, as at sign-in: otherwise a
    # borrowed or stolen session could guess the password here without limit.
    name_hash = _name_hash(who.actor_id)
    with deps.engine.begin() as c:
        _lock_name(c, name_hash)
        accounts = AccountsRepository(c)
        account = accounts.get(who.actor_id)
        now = deps.clock.now()
        failures, locked_until = accounts.failures(name_hash)
        if locked_until is not None and now < locked_until:
            _log_auth(deps, c, now, who.actor_id, "change_password", "deny", "auth.sign_in_locked")
            c.commit()
            raise SignInLocked(locked_until - now)
        if account is None or not _verify_password(account.password_hash, current):
            failures += 1
            lock = LOCKOUT_POLICY.locked_for(failures)
            accounts.record_failure(name_hash, failures, now + lock if lock else None, now)
            rule = "auth.locked_out" if lock else "auth.password_change_refused"
            _log_auth(deps, c, now, who.actor_id, "change_password", "deny", rule)
            c.commit()
            raise InvalidValue("current_password", "the current password is not right")
        accounts.clear_failures(name_hash)
        accounts.set_password(who.actor_id, _HASHER.hash(new), now)
        accounts.end_sessions_of(who.actor_id, now)
        accounts.revoke_tokens_of(who.actor_id, now)
        token = secrets.token_urlsafe(32)
        accounts.add_session(token_hash(token), who.actor_id, now)
        _log_auth(deps, c, now, who.actor_id, "change_password", "permit", "auth.password_changed")
    principal = Principal(
        who.actor_id, who.role, who.organisation_id, ALL_SCOPES, session_hash=token_hash(token)
    )
    return SignedIn(token, principal)


def sign_out(deps: Deps, who: Principal) -> None:
    """End this session."""
    if who.session_hash is None:
        return
    with deps.engine.begin() as c:
        now = deps.clock.now()
        AccountsRepository(c).end_session(who.session_hash, now)
        _log_auth(deps, c, now, who.actor_id, "sign_out", "permit", "auth.signed_out")


def authenticate_session(deps: Deps, token: str) -> Principal:
    """The person a session token belongs to, if the session is still active.

    A session that is idle, expired or ended is refused and left as it is: a refused request
    never extends it.
    """
    h = token_hash(token)
    with deps.engine.begin() as c:
        accounts = AccountsRepository(c)
        stored = accounts.session(h)
        if stored is None:
            raise NotAuthenticated
        now = deps.clock.now()
        state = SESSION_POLICY.state(
            created_at=stored.created_at,
            last_seen_at=stored.last_seen_at,
            ended=stored.ended_at is not None,
            now=now,
        )
        actor = PracticeRepository(c).actor(stored.actor_id)
        if state is not SessionState.ACTIVE or actor is None:
            raise NotAuthenticated
        if SESSION_POLICY.needs_touch(stored.last_seen_at, now):
            accounts.touch_session(h, now)
    return Principal(actor.id, actor.role, actor.organisation_id, ALL_SCOPES, session_hash=h)


# Integration tokens ---------------------------------------------------------------------------

TOKEN_PREFIX = "cft_"  # noqa: S105  # nosec B105  # a public prefix, not a secret


def issue_token(
    deps: Deps, who: Principal, name: str, scopes: frozenset[Scope], lifetime: timedelta
) -> IssuedToken:
    """A token for an integration, acting as ``who`` within ``scopes``, until it expires."""
    require_session(who, "make tokens")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise InvalidValue("name", "give the token a name of 1 to 100 characters")
    if not scopes:
        raise InvalidValue("scopes", "name at least one scope")
    if not timedelta(minutes=5) <= lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidValue("expires_in_days", "a token lasts from 5 minutes to 365 days")
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with deps.engine.begin() as c:
        now = deps.clock.now()
        stored = StoredToken(
            token_id,
            who.actor_id,
            name.strip(),
            " ".join(sorted(s.value for s in scopes)),
            _sha256(secret),
            now,
            now + lifetime,
            None,
        )
        AccountsRepository(c).add_token(stored)
        _log_auth(deps, c, now, who.actor_id, "issue_token", "permit", "auth.token_issued")
    return IssuedToken(
        token_id,
        f"{TOKEN_PREFIX}{token_id}_{secret}",
        stored.name,
        scopes,
        stored.created_at,
        stored.expires_at,
    )


def list_tokens(deps: Deps, who: Principal) -> list[TokenInfo]:
    """The person's own integration tokens, newest last."""
    with deps.engine.connect() as c:
        stored = AccountsRepository(c).tokens_of(who.actor_id)
    return [
        TokenInfo(
            s.id,
            s.name,
            frozenset(Scope(w) for w in s.scopes.split()),
            s.created_at,
            s.expires_at,
            s.revoked_at,
        )
        for s in stored
    ]


def revoke_token(deps: Deps, who: Principal, token_id: str) -> None:
    """Revoke one of the person's own tokens from now on (from a session, not with a token)."""
    require_session(who, "revoke tokens")
    with deps.engine.begin() as c:
        now = deps.clock.now()
        if not AccountsRepository(c).revoke_token(token_id, who.actor_id, now):
            # Refused like every other access: on record before the answer (another person's
            # token and one that does not exist alike).
            _log_auth(deps, c, now, who.actor_id, "revoke_token", "deny", "deny.token_not_own")
            c.commit()
            raise NotFoundOrDenied
        _log_auth(deps, c, now, who.actor_id, "revoke_token", "permit", "auth.token_revoked")


def authenticate_token(deps: Deps, text: str) -> Principal:
    """The person and scopes of an integration token, if it is known, unexpired and unrevoked."""
    if not text.startswith(TOKEN_PREFIX) or text.count("_") < 2:
        raise NotAuthenticated
    token_id, _, secret = text[len(TOKEN_PREFIX) :].partition("_")
    with deps.engine.connect() as c:
        stored = AccountsRepository(c).token(token_id) if _is_id(token_id) else None
        actor = None if stored is None else PracticeRepository(c).actor(stored.actor_id)
    now = deps.clock.now()
    if (
        stored is None
        or actor is None
        or not hmac.compare_digest(stored.secret_hash, _sha256(secret))
        or stored.revoked_at is not None
        or now >= stored.expires_at
    ):
        raise NotAuthenticated
    scopes = frozenset(Scope(w) for w in stored.scopes.split())
    return Principal(actor.id, actor.role, actor.organisation_id, scopes, token_id=stored.id)


# Shared ---------------------------------------------------------------------------------------


def require_session(who: Principal, doing: str) -> None:
    """Refuse an integration token: managing tokens and accounts needs a signed-in person.

    A token acts within its scopes, and no scope covers minting or revoking tokens or setting
    someone's password; without this, a read-only token of a privacy officer could reset a
    client's password and sign in as them."""
    if who.session_hash is None:
        raise InvalidValue("token", f"sign in with a password to {doing}; a token cannot")


def _lock_name(c: Connection, name_hash: str) -> None:
    """Serialise sign-in attempts for one name until the transaction ends.

    The failure count is read, then written: without the lock, attempts sent at once on
    PostgreSQL each read the same count and the lockout counts them as one. (SQLite
    transactions take the write lock when they begin, so they are serialised already.)"""
    if c.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(b"confide-login:" + name_hash.encode()).digest()[:8])
        c.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key - (1 << 63)})


def token_hash(token: str) -> str:
    """How a session token is stored and looked up."""
    return _sha256(token)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _name_hash(name: str) -> str:
    # Names are compared as typed; the hash keeps typed names (which may be a password typed
    # into the wrong box) out of the database.
    return _sha256("login-name\x00" + name[:MAX_PASSWORD_LENGTH])


def _is_id(name: str) -> bool:
    try:
        require_id(name, "name")
    except InvalidValue:
        return False
    return True


def _totp_binding(actor_id: str) -> RecordBinding:
    return RecordBinding(account_key_owner(actor_id), "totp", "totp", 1)


def _log_auth(  # noqa: PLR0917 - the fields of one event
    deps: Deps, c: Connection, at: datetime, who: str, action: str, effect: str, rule: str
) -> None:
    """An authentication event on the system chain, in the caller's transaction."""
    log_event(deps, c, at=at, by=who, client_id=None, action=action, effect=effect, rule=rule)
