"""Sign-in (decision 0014): accounts with argon2id password hashes and sealed TOTP secrets,
failed sign-ins per login name, browser sessions and integration tokens, each stored by the
SHA-256 of its token. The application role may read and change these rows; it never deletes
them (a session or a token ends by a time, not by removal). Relationships gain an index by
clinician, for the caseload.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = 64
APP_ROLE = "confide_app"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("actor_id", sa.String(ID), sa.ForeignKey("actors.id"), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("password_changed_at", UtcDateTime(), nullable=False),
        sa.Column("totp_kek_id", sa.String(ID), nullable=True),
        sa.Column("totp_wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_accounts_totp_kek_id", "accounts", ["totp_kek_id"])
    op.create_table(
        "login_failures",
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("last_failure_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("actor_id", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_sessions_actor_id", "sessions", ["actor_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("actor_id", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.String(400), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_actor_id", "api_tokens", ["actor_id"])
    # A clinician's caseload is found by clinician.
    op.create_index("ix_relationships_clinician_id", "relationships", ["clinician_id"])
    if op.get_bind().dialect.name == "postgresql":
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON accounts TO {APP_ROLE}")
        # A successful sign-in clears its name's failures: the one delete the role may make.
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON login_failures TO {APP_ROLE}")
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON sessions TO {APP_ROLE}")
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON api_tokens TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_relationships_clinician_id", "relationships")
    op.drop_index("ix_api_tokens_actor_id", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_sessions_actor_id", "sessions")
    op.drop_table("sessions")
    op.drop_table("login_failures")
    op.drop_index("ix_accounts_totp_kek_id", "accounts")
    op.drop_table("accounts")
