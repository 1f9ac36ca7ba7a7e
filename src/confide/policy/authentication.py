"""Who must prove what, for how long a sign-in lasts, and when repeated failures lock a name.

Pure rules over times and counts (decision 0014); the accounts service applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from confide.domain.codes import Role

# HIPAA 164.312(d) (person or entity authentication) and 164.312(a)(2)(iii) (automatic
# logoff): everyone who can reach clinical, privacy or administrative functions proves a
# second factor; a session ends after idle time and after an absolute lifetime.
SECOND_FACTOR_ROLES: frozenset[Role] = frozenset(
    {
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PRIVACY_OFFICER,
        Role.STAFF,
        Role.ADMINISTRATOR,
    }
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash attacks".
MIN_PASSWORD_SCORE = 3


class Scope(StrEnum):
    """What an integration token may do; a browser session may do everything its role may."""

    RECORDS_READ = "records.read"
    RECORDS_WRITE = "records.write"
    CONSENTS_READ = "consents.read"
    CONSENTS_WRITE = "consents.write"
    HISTORY_READ = "history.read"
    DISCLOSURES = "disclosures"
    AUDIT_READ = "audit.read"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)
MAX_TOKEN_LIFETIME = timedelta(days=365)


class SessionState(StrEnum):
    """Whether a session may still be used."""

    ACTIVE = "active"
    IDLE = "idle"  # no request for longer than the idle timeout
    EXPIRED = "expired"  # past its absolute lifetime
    ENDED = "ended"  # logged out, or ended by a password change


SESSION_IDLE_SECONDS = 15 * 60
SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a browser session lasts."""

    idle: timedelta = timedelta(seconds=SESSION_IDLE_SECONDS)
    absolute: timedelta = timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    # A session's last use is written at most this often, so a busy reader does not write a
    # row per request; the idle timeout is therefore exact to within this much.
    touch_every: timedelta = timedelta(seconds=30)

    def state(
        self, *, created_at: datetime, last_seen_at: datetime, ended: bool, now: datetime
    ) -> SessionState:
        """The session's state at ``now``. Only an ACTIVE session may be used (or touched)."""
        if ended:
            return SessionState.ENDED
        if now >= created_at + self.absolute:
            return SessionState.EXPIRED
        if now >= last_seen_at + self.idle:
            return SessionState.IDLE
        return SessionState.ACTIVE

    def needs_touch(self, last_seen_at: datetime, now: datetime) -> bool:
        """Whether this use should be written as the session's last use."""
        return now - last_seen_at >= self.touch_every


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """Back-off after repeated failed sign-ins for one login name, known or not.

    The count is kept per name whether or not an account has it, so a lockout says nothing
    about which names exist (OWASP ASVS 5.0 V6.3, V6.1.1).
    """

    free_failures: int = 5
    first_lock: timedelta = timedelta(seconds=30)
    longest_lock: timedelta = timedelta(hours=1)

    def locked_for(self, failures: int) -> timedelta:
        """How long the name is locked after ``failures`` consecutive failures."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 16)
        lock: timedelta = self.first_lock * (2**doublings)
        return min(lock, self.longest_lock)


def needs_second_factor(role: Role) -> bool:
    """Whether a person in this role must prove a second factor to sign in."""
    return role in SECOND_FACTOR_ROLES


def parse_scopes(text: str, field: str = "scopes") -> frozenset[Scope]:
    """Space-separated scope names; names the unknown one."""
    from confide.domain.errors import InvalidValue  # noqa: PLC0415 - keeps the import local

    scopes: set[Scope] = set()
    for word in text.split():
        try:
            scopes.add(Scope(word))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise InvalidValue(field, f"unknown scope {word!r}; use some of: {known}") from None
    if not scopes:
        raise InvalidValue(field, "name at least one scope")
    return frozenset(scopes)
