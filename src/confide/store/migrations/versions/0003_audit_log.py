"""The tamper-evident audit log: hash-chained entries, checkpoint leaves and signed checkpoints,
append-only in the database itself. Replaces the plain access-event table.

On SQLite, triggers refuse UPDATE and DELETE on the audit tables. On PostgreSQL, the role
``confide_app`` is created (if absent) with every right the application needs on the other
tables and only SELECT and INSERT on the audit tables; run the application as a login role that
is a member of ``confide_app`` (or set CONFIDE_DATABASE_ROLE=confide_app), and migrations as the
owner.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = 64
AUDIT_TABLES = ("audit_entries", "audit_heads", "audit_checkpoints")
APP_ROLE = "confide_app"


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("chain_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("request_id", sa.String(ID), nullable=False),
        sa.Column("actor_id", sa.String(ID), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(ID), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=True),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("permitted", sa.String(400), nullable=False),
        sa.Column("effect", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("record_id", sa.String(ID), nullable=True),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "seq", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_index("ix_audit_entries_actor_id", "audit_entries", ["actor_id"])
    op.create_table(
        "audit_heads",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_audit_heads"),
    )
    op.create_index("ix_audit_heads_chain_id", "audit_heads", ["chain_id"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(ID), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("key_id", sa.String(ID), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name="pk_audit_checkpoints"),
    )
    op.drop_index("ix_access_events_client_id", "access_events")
    op.drop_table("access_events")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_append_only()
    elif op.get_bind().dialect.name == "postgresql":
        _postgresql_app_role()


def _sqlite_append_only() -> None:
    for table in AUDIT_TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _postgresql_app_role() -> None:
    op.execute(
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
        f"THEN CREATE ROLE {APP_ROLE} NOLOGIN; END IF; END $$"  # nosec B608  # constant name
    )
    # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    for table in AUDIT_TABLES:
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in AUDIT_TABLES:
            for verb in ("update", "delete"):
                # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    for table in reversed(AUDIT_TABLES):
        op.drop_table(table)
    op.create_table(
        "access_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("request_id", sa.String(ID), nullable=False),
        sa.Column("actor_id", sa.String(ID), nullable=False),
        sa.Column("client_id", sa.String(ID), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=True),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("effect", sa.String(8), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(ID), nullable=True),
        sa.Column("permitted", sa.String(400), nullable=False, server_default=""),
        sa.Column("record_ids", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_access_events"),
    )
    op.create_index("ix_access_events_client_id", "access_events", ["client_id"])
