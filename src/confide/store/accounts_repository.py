"""Accounts, failed sign-ins, sessions and integration tokens (decision 0014)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from confide.store import schema as t
from confide.vault import WrappedDataKey


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """A person's sign-in details as stored."""

    actor_id: str
    password_hash: str
    password_changed_at: datetime
    totp_key: WrappedDataKey | None
    totp_sealed: bytes | None
    totp_last_step: int | None


@dataclass(frozen=True, slots=True)
class StoredEnrolment:
    """An enrolment code as stored (by the hash of the code)."""

    code_hash: str
    actor_id: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A browser session as stored (by the hash of its token)."""

    token_hash: str
    actor_id: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredToken:
    """An integration token as stored (by the hash of its secret)."""

    id: str
    actor_id: str
    name: str
    scopes: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def account_key_owner(actor_id: str) -> str:
    """The owner named in an account's data key and sealed secret (never a client id)."""
    return "account." + hashlib.sha256(actor_id.encode()).hexdigest()[:32]


class AccountsRepository:
    """Reads and writes sign-in rows in the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    # Accounts ---------------------------------------------------------------------------------

    def add(
        self,
        actor_id: str,
        password_hash: str,
        at: datetime,
        totp_key: WrappedDataKey | None,
        totp_sealed: bytes | None,
    ) -> None:
        self._c.execute(
            insert(t.accounts).values(
                actor_id=actor_id,
                password_hash=password_hash,
                password_changed_at=at,
                totp_kek_id=None if totp_key is None else totp_key.kek_id,
                totp_wrapped_key=None if totp_key is None else totp_key.wrapped,
                totp_sealed=totp_sealed,
                totp_last_step=None,
                created_at=at,
            )
        )

    def get(self, actor_id: str) -> StoredAccount | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.actor_id == actor_id)).first()
        if row is None:
            return None
        key = None
        if row.totp_kek_id is not None:
            key = WrappedDataKey(account_key_owner(actor_id), row.totp_kek_id, row.totp_wrapped_key)
        return StoredAccount(
            row.actor_id,
            row.password_hash,
            row.password_changed_at,
            key,
            row.totp_sealed,
            row.totp_last_step,
        )

    def set_password(self, actor_id: str, password_hash: str, at: datetime) -> None:
        self._c.execute(
            update(t.accounts)
            .where(t.accounts.c.actor_id == actor_id)
            .values(password_hash=password_hash, password_changed_at=at)
        )

    def set_totp(self, actor_id: str, key: WrappedDataKey | None, sealed: bytes | None) -> None:
        """A new authenticator secret (sealed), its steps counted afresh."""
        self._c.execute(
            update(t.accounts)
            .where(t.accounts.c.actor_id == actor_id)
            .values(
                totp_kek_id=None if key is None else key.kek_id,
                totp_wrapped_key=None if key is None else key.wrapped,
                totp_sealed=sealed,
                totp_last_step=None,
            )
        )

    # Enrolment codes ---------------------------------------------------------------------------

    def add_enrolment(self, e: StoredEnrolment) -> None:
        """A new code; every earlier unused code of the same person stops working."""
        self._c.execute(
            update(t.enrolments)
            .where(t.enrolments.c.actor_id == e.actor_id, t.enrolments.c.used_at.is_(None))
            .values(used_at=e.issued_at)
        )
        self._c.execute(
            insert(t.enrolments).values(
                code_hash=e.code_hash,
                actor_id=e.actor_id,
                issued_by=e.issued_by,
                issued_at=e.issued_at,
                expires_at=e.expires_at,
                used_at=None,
            )
        )

    def enrolment(self, code_hash: str) -> StoredEnrolment | None:
        row = self._c.execute(
            select(t.enrolments).where(t.enrolments.c.code_hash == code_hash)
        ).first()
        if row is None:
            return None
        return StoredEnrolment(
            row.code_hash, row.actor_id, row.issued_by, row.issued_at, row.expires_at, row.used_at
        )

    def use_enrolment(self, code_hash: str, at: datetime) -> bool:
        """Mark a code used; False if it was used already (two tabs racing)."""
        done = self._c.execute(
            update(t.enrolments)
            .where(t.enrolments.c.code_hash == code_hash, t.enrolments.c.used_at.is_(None))
            .values(used_at=at)
        )
        return done.rowcount == 1

    def accept_totp_step(self, actor_id: str, step: int) -> bool:
        """Record ``step`` as used; False if it (or a later one) was used already."""
        a = t.accounts.c
        done = self._c.execute(
            update(t.accounts)
            .where(
                a.actor_id == actor_id,
                (a.totp_last_step.is_(None)) | (a.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return done.rowcount == 1

    def keys_not_wrapped_by(self, kek_id: str, limit: int) -> list[tuple[WrappedDataKey, str]]:
        """Accounts' TOTP keys still wrapped by another key, with their actor ids."""
        a = t.accounts.c
        rows = self._c.execute(
            select(a.actor_id, a.totp_kek_id, a.totp_wrapped_key)
            .where(a.totp_kek_id.is_not(None), a.totp_kek_id != kek_id)
            .order_by(a.actor_id)
            .limit(limit)
        )
        return [
            (
                WrappedDataKey(account_key_owner(r.actor_id), r.totp_kek_id, r.totp_wrapped_key),
                r.actor_id,
            )
            for r in rows
        ]

    def replace_key(self, actor_id: str, old: WrappedDataKey, new: WrappedDataKey) -> bool:
        a = t.accounts.c
        done = self._c.execute(
            update(t.accounts)
            .where(a.actor_id == actor_id, a.totp_kek_id == old.kek_id)
            .values(totp_kek_id=new.kek_id, totp_wrapped_key=new.wrapped)
        )
        return done.rowcount == 1

    # Failed sign-ins --------------------------------------------------------------------------

    def failures(self, name_hash: str) -> tuple[int, datetime | None]:
        f = t.login_failures.c
        row = self._c.execute(
            select(f.failures, f.locked_until).where(f.name_hash == name_hash)
        ).first()
        return (0, None) if row is None else (row.failures, row.locked_until)

    def record_failure(
        self, name_hash: str, failures: int, locked_until: datetime | None, at: datetime
    ) -> None:
        f = t.login_failures.c
        values = {"failures": failures, "locked_until": locked_until, "last_failure_at": at}
        done = self._c.execute(
            update(t.login_failures).where(f.name_hash == name_hash).values(**values)
        )
        if done.rowcount == 0:
            self._c.execute(insert(t.login_failures).values(name_hash=name_hash, **values))

    def clear_failures(self, name_hash: str) -> None:
        self._c.execute(delete(t.login_failures).where(t.login_failures.c.name_hash == name_hash))

    # Sessions ---------------------------------------------------------------------------------

    def add_session(self, token_hash: str, actor_id: str, at: datetime) -> None:
        self._c.execute(
            insert(t.sessions).values(
                token_hash=token_hash, actor_id=actor_id, created_at=at, last_seen_at=at
            )
        )

    def session(self, token_hash: str) -> StoredSession | None:
        row = self._c.execute(
            select(t.sessions).where(t.sessions.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return StoredSession(
            row.token_hash, row.actor_id, row.created_at, row.last_seen_at, row.ended_at
        )

    def touch_session(self, token_hash: str, at: datetime) -> None:
        s = t.sessions.c
        self._c.execute(
            update(t.sessions)
            .where(s.token_hash == token_hash, s.ended_at.is_(None), s.last_seen_at < at)
            .values(last_seen_at=at)
        )

    def end_session(self, token_hash: str, at: datetime) -> None:
        s = t.sessions.c
        self._c.execute(
            update(t.sessions)
            .where(s.token_hash == token_hash, s.ended_at.is_(None))
            .values(ended_at=at)
        )

    def end_sessions_of(self, actor_id: str, at: datetime) -> int:
        s = t.sessions.c
        done = self._c.execute(
            update(t.sessions)
            .where(s.actor_id == actor_id, s.ended_at.is_(None))
            .values(ended_at=at)
        )
        return done.rowcount

    # Integration tokens -----------------------------------------------------------------------

    def add_token(self, token: StoredToken) -> None:
        self._c.execute(
            insert(t.api_tokens).values(
                id=token.id,
                actor_id=token.actor_id,
                name=token.name,
                scopes=token.scopes,
                secret_hash=token.secret_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=None,
            )
        )

    def token(self, token_id: str) -> StoredToken | None:
        row = self._c.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
        return None if row is None else _token(row)

    def tokens_of(self, actor_id: str) -> list[StoredToken]:
        k = t.api_tokens.c
        rows = self._c.execute(
            select(t.api_tokens).where(k.actor_id == actor_id).order_by(k.created_at, k.id)
        )
        return [_token(r) for r in rows]

    def revoke_tokens_of(self, actor_id: str, at: datetime) -> int:
        k = t.api_tokens.c
        done = self._c.execute(
            update(t.api_tokens)
            .where(k.actor_id == actor_id, k.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount

    def revoke_token(self, token_id: str, actor_id: str, at: datetime) -> bool:
        k = t.api_tokens.c
        done = self._c.execute(
            update(t.api_tokens)
            .where(k.id == token_id, k.actor_id == actor_id, k.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount == 1


def _token(row: object) -> StoredToken:
    r = row._mapping  # type: ignore[attr-defined]
    return StoredToken(
        r["id"],
        r["actor_id"],
        r["name"],
        r["scopes"],
        r["secret_hash"],
        r["created_at"],
        r["expires_at"],
        r["revoked_at"],
    )
