"""The tables, as SQLAlchemy Core. Migrations (``store/migrations``) create them.

Clinical content is only ever stored sealed (``ciphertext``); everything else is ids, codes and
times. Psychotherapy notes live in their own tables, apart from the rest of the record (HIPAA
164.501). Nothing is updated in place or deleted: a correction is a new version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
)

ID = 64


class UtcDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware times as UTC and reads them back aware, on every engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("confide stores only timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a stored time, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
)

actors = Table(
    "actors",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("organisation_id", String(ID), ForeignKey("organisations.id"), nullable=True),
    # When and by whom the person was put on file (None for the founding privacy officer).
    Column("added_at", UtcDateTime(), nullable=True),
    Column("added_by", String(ID), nullable=True),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organisation_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

client_keys = Table(
    "client_keys",
    metadata,
    Column("client_id", String(ID), ForeignKey("clients.id"), primary_key=True),
    Column("kek_id", String(ID), nullable=False, index=True),
    Column("wrapped", LargeBinary, nullable=True),
    Column("erased_at", UtcDateTime(), nullable=True),
    Column("retain_until", UtcDateTime(), nullable=True),
)

relationships = Table(
    "relationships",
    metadata,
    Column("id", String(ID), primary_key=True),
    # Indexed for a clinician's caseload (decision 0014).
    Column("clinician_id", String(ID), ForeignKey("actors.id"), nullable=False, index=True),
    Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False, index=True),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=True),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False, index=True),
    # A person or an organisation; checked by the service against both tables.
    Column("recipient_id", String(ID), nullable=False),
    Column("effect", String(8), nullable=False),
    Column("categories", String(400), nullable=False),
    Column("purposes", String(200), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("replaces_id", String(ID), ForeignKey("consents.id"), nullable=True),
)

notice_versions = Table(
    "notice_versions",
    metadata,
    Column("version", String(ID), primary_key=True),
    Column("effective_from", UtcDateTime(), nullable=False),
    # What the client reads: the notice's plain-language text (no client data).
    Column("text", Text(), nullable=True),
)

notice_acknowledgments = Table(
    "notice_acknowledgments",
    metadata,
    Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False),
    Column("version", String(ID), ForeignKey("notice_versions.version"), nullable=False),
    Column("acknowledged_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("client_id", "version"),
)


def _record_tables(name: str) -> tuple[Table, Table]:
    head = Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False),
        Column("category", String(32), nullable=False),
        Column("author_id", String(ID), ForeignKey("actors.id"), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Index(f"ix_{name}_client_category", "client_id", "category"),
    )
    versions = Table(
        f"{name[:-1]}_versions",
        metadata,
        Column("record_id", String(ID), ForeignKey(f"{name}.id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("ciphertext", LargeBinary, nullable=False),
        Column("author_id", String(ID), ForeignKey("actors.id"), nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("record_id", "version"),
    )
    return head, versions


# The record, and psychotherapy notes kept apart from it (their own tables).
records, record_versions = _record_tables("records")
psychotherapy_notes, psychotherapy_note_versions = _record_tables("psychotherapy_notes")

# The audit log (decision 0011): append-only, enforced by triggers (SQLite) and grants
# (PostgreSQL) created in migration 0003.
AUDIT_TABLES = ("audit_entries", "audit_heads", "audit_checkpoints")

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("chain_id", String(ID), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("request_id", String(ID), nullable=False),
    Column("actor_id", String(ID), nullable=False, index=True),
    Column("actor_role", String(32), nullable=False),
    Column("client_id", String(ID), nullable=True),
    Column("action", String(32), nullable=False),
    Column("purpose", String(16), nullable=True),
    Column("categories", String(400), nullable=False),
    Column("permitted", String(400), nullable=False),
    Column("effect", String(8), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("reasons", Text(), nullable=False),
    Column("record_id", String(ID), nullable=True),
    Column("record_ids", Text(), nullable=False),
    Column("prev_hash", LargeBinary(32), nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    # Decision 0022: a page of the access history is read by keyset in this order, and the
    # accounting reads only the disclosing actions of its period.
    Index("ix_audit_entries_chain_at_seq", "chain_id", "at", "seq"),
    Index("ix_audit_entries_chain_action_at", "chain_id", "action", "at"),
)

# How far each chain was last verified from its genesis by the access history (decision 0022):
# the seq and stored hash of the last entry verified. Not part of the log: a cache of work done.
audit_verified_heads = Table(
    "audit_verified_heads",
    metadata,
    Column("chain_id", String(ID), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    Column("verified_at", UtcDateTime(), nullable=False),
)

# One Merkle leaf per chain head committed by a checkpoint, in the order they were committed.
audit_heads = Table(
    "audit_heads",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("chain_id", String(ID), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("origin", String(ID), nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("key_id", String(ID), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

# Exception disclosure requests (decision 0013). Codes, ids and times only: the justification,
# the order's details and the notes on decisions are sealed with the client's data key in
# ``sealed_details`` (bound to the request and its revision). Never deleted.
disclosure_requests = Table(
    "disclosure_requests",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False, index=True),
    Column("organisation_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("ground", String(32), nullable=False),
    Column("recipient_id", String(ID), ForeignKey("actors.id"), nullable=False),
    Column("recipient_kind", String(32), nullable=False),
    Column("categories", String(400), nullable=False),
    Column("records_from", UtcDateTime(), nullable=True),
    Column("records_until", UtcDateTime(), nullable=True),
    Column("victim_kind", String(32), nullable=True),
    Column("suspected_at", UtcDateTime(), nullable=True),
    Column("emergency", Boolean(), nullable=False),
    Column("state", String(32), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("requested_by", String(ID), ForeignKey("actors.id"), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("decided_by", String(ID), ForeignKey("actors.id"), nullable=True),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("disclosed_by", String(ID), ForeignKey("actors.id"), nullable=True),
    Column("disclosed_at", UtcDateTime(), nullable=True),
    Column("package_sha256", String(64), nullable=True),
    Column("review_due", UtcDateTime(), nullable=True),
    Column("reviewed_by", String(ID), ForeignKey("actors.id"), nullable=True),
    Column("reviewed_at", UtcDateTime(), nullable=True),
    Column("review_outcome", String(16), nullable=True),
    Column("notified_at", UtcDateTime(), nullable=True),
    Column("withheld_reason", String(32), nullable=True),
    Column("withheld_until_review", Date(), nullable=True),
    Column("process_kind", String(16), nullable=True),
    Column("process_categories", String(400), nullable=True),
    Column("part2_findings", Boolean(), nullable=False),
    Column("assurance", String(40), nullable=True),
    Column("forbids_telling_client", Boolean(), nullable=False),
    Column("sealed_details", LargeBinary, nullable=False),
    Index("ix_disclosure_requests_organisation_state", "organisation_id", "state"),
)

# An agency's or official's request to hold disclosures made to it back from a client's
# accounting for a time (HIPAA 45 CFR 164.528(a)(2)). Never deleted; it simply ends.
accounting_suspensions = Table(
    "accounting_suspensions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("client_id", String(ID), ForeignKey("clients.id"), nullable=False, index=True),
    Column("agency_id", String(ID), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("until", UtcDateTime(), nullable=False),
    Column("statement", String(8), nullable=False),
    Column("recorded_by", String(ID), ForeignKey("actors.id"), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Sign-in (decision 0014). A person's password as an argon2id hash; their TOTP secret sealed
# with a data key of their own, wrapped by the key-encryption key like a client's.
accounts = Table(
    "accounts",
    metadata,
    Column("actor_id", String(ID), ForeignKey("actors.id"), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("password_changed_at", UtcDateTime(), nullable=False),
    Column("totp_kek_id", String(ID), nullable=True, index=True),
    Column("totp_wrapped_key", LargeBinary, nullable=True),
    Column("totp_sealed", LargeBinary, nullable=True),
    # The last TOTP time step accepted: a code is accepted once (RFC 6238 §5.2).
    Column("totp_last_step", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Consecutive failed sign-ins per login name, known or not: a lockout names no account.
login_failures = Table(
    "login_failures",
    metadata,
    Column("name_hash", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("last_failure_at", UtcDateTime(), nullable=False),
)

# Browser sessions, by the SHA-256 of their token: the token itself is never stored.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("actor_id", String(ID), ForeignKey("actors.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
)

# One-time enrolment codes: a person chooses their own password and authenticator secret with
# one (decision 0016). Stored as the SHA-256 of the code; used or expired, a code opens nothing.
enrolments = Table(
    "enrolments",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("actor_id", String(ID), ForeignKey("actors.id"), nullable=False, index=True),
    Column("issued_by", String(ID), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
)

# Integration tokens: scoped, expiring, revocable, stored as the SHA-256 of their secret.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("actor_id", String(ID), ForeignKey("actors.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("scopes", String(400), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)
