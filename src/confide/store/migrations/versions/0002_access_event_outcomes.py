"""Access events say what was permitted and which records were returned, not only what was
asked for.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_events") as batch:
        batch.add_column(sa.Column("permitted", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("record_ids", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("access_events") as batch:
        batch.drop_column("record_ids")
        batch.drop_column("permitted")
