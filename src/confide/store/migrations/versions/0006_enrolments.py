"""Enrolment codes (decision 0016): the privacy officer issues a one-time code, and the person
chooses their own password and authenticator secret with it. Stored by the SHA-256 of the code;
the application role may read, add and mark them used, never delete them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = 64
APP_ROLE = "confide_app"


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("actor_id", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("issued_by", sa.String(ID), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_enrolments_actor_id", "enrolments", ["actor_id"])
    if op.get_bind().dialect.name == "postgresql":
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON enrolments TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_enrolments_actor_id", "enrolments")
    op.drop_table("enrolments")
