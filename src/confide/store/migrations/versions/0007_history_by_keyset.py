"""A page of the access history by keyset, the accounting by action, and how far each chain was
last verified (decision 0022).

The index on (chain_id, at, seq) serves the history's newest-first order (time, then seq); the
one on (chain_id, action, at) lets the accounting read only the disclosing entries of its
period. ``audit_verified_heads`` remembers the seq and hash of the last entry of each chain that
the history verified, so a request verifies only the entries after it. The application role
may read, add and move it forward; it is not part of the append-only log.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = 64
APP_ROLE = "confide_app"


def upgrade() -> None:
    op.create_index("ix_audit_entries_chain_at_seq", "audit_entries", ["chain_id", "at", "seq"])
    op.create_index(
        "ix_audit_entries_chain_action_at", "audit_entries", ["chain_id", "action", "at"]
    )
    op.create_table(
        "audit_verified_heads",
        sa.Column("chain_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("verified_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name="pk_audit_verified_heads"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_verified_heads TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("audit_verified_heads")
    op.drop_index("ix_audit_entries_chain_action_at", "audit_entries")
    op.drop_index("ix_audit_entries_chain_at_seq", "audit_entries")
