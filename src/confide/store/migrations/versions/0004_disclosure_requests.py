"""Exception disclosure requests (decision 0013): one row per request, its state and times;
the justification and the order's details sealed. The application role may read, add and
update requests, never delete them. Notice versions gain their plain-language text, and
people on file when and by whom they were added. Agencies' suspensions of a client's
accounting of disclosures are stored (45 CFR 164.528(a)(2)).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = 64
APP_ROLE = "confide_app"


def upgrade() -> None:
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("client_id", sa.String(ID), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column(
            "organisation_id", sa.String(ID), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("recipient_id", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("recipient_kind", sa.String(32), nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("records_from", UtcDateTime(), nullable=True),
        sa.Column("records_until", UtcDateTime(), nullable=True),
        sa.Column("victim_kind", sa.String(32), nullable=True),
        sa.Column("suspected_at", UtcDateTime(), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(ID), sa.ForeignKey("actors.id"), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("disclosed_by", sa.String(ID), sa.ForeignKey("actors.id"), nullable=True),
        sa.Column("disclosed_at", UtcDateTime(), nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.Column("review_due", UtcDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(ID), sa.ForeignKey("actors.id"), nullable=True),
        sa.Column("reviewed_at", UtcDateTime(), nullable=True),
        sa.Column("review_outcome", sa.String(16), nullable=True),
        sa.Column("notified_at", UtcDateTime(), nullable=True),
        sa.Column("withheld_reason", sa.String(32), nullable=True),
        sa.Column("withheld_until_review", sa.Date(), nullable=True),
        sa.Column("process_kind", sa.String(16), nullable=True),
        sa.Column("process_categories", sa.String(400), nullable=True),
        sa.Column("part2_findings", sa.Boolean(), nullable=False),
        sa.Column("assurance", sa.String(40), nullable=True),
        sa.Column("forbids_telling_client", sa.Boolean(), nullable=False),
        sa.Column("sealed_details", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_disclosure_requests_client_id", "disclosure_requests", ["client_id"])
    op.create_index(
        "ix_disclosure_requests_organisation_state",
        "disclosure_requests",
        ["organisation_id", "state"],
    )
    if op.get_bind().dialect.name == "postgresql":
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON disclosure_requests TO {APP_ROLE}")
    with op.batch_alter_table("notice_versions") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    with op.batch_alter_table("actors") as batch:
        batch.add_column(sa.Column("added_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("added_by", sa.String(ID), nullable=True))
    op.create_table(
        "accounting_suspensions",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("client_id", sa.String(ID), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("agency_id", sa.String(ID), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.Column("statement", sa.String(8), nullable=False),
        sa.Column("recorded_by", sa.String(ID), sa.ForeignKey("actors.id"), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_accounting_suspensions_client_id", "accounting_suspensions", ["client_id"])
    if op.get_bind().dialect.name == "postgresql":
        # nosemgrep: confide.raw-sql-from-strings - DDL: constant names; none can be bound
        op.execute(f"GRANT SELECT, INSERT ON accounting_suspensions TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_accounting_suspensions_client_id", "accounting_suspensions")
    op.drop_table("accounting_suspensions")
    with op.batch_alter_table("actors") as batch:
        batch.drop_column("added_by")
        batch.drop_column("added_at")
    with op.batch_alter_table("notice_versions") as batch:
        batch.drop_column("text")
    op.drop_index("ix_disclosure_requests_organisation_state", "disclosure_requests")
    op.drop_index("ix_disclosure_requests_client_id", "disclosure_requests")
    op.drop_table("disclosure_requests")
