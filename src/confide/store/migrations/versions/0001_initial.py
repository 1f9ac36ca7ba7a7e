"""The first schema: practice, consents, notices, records kept apart from psychotherapy notes,
and the access events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 64


def _record_tables(name: str, versions: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("author_id", sa.String(ID), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=f"fk_{name}_client_id"),
        sa.ForeignKeyConstraint(["author_id"], ["actors.id"], name=f"fk_{name}_author_id"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_client_category", name, ["client_id", "category"])
    op.create_table(
        versions,
        sa.Column("record_id", sa.String(ID), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("author_id", sa.String(ID), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], [f"{name}.id"], name=f"fk_{versions}_record_id"),
        sa.ForeignKeyConstraint(["author_id"], ["actors.id"], name=f"fk_{versions}_author_id"),
        sa.PrimaryKeyConstraint("record_id", "version", name=f"pk_{versions}"),
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )
    op.create_table(
        "actors",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("organisation_id", sa.String(ID), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_actors_organisation_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_actors"),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("organisation_id", sa.String(ID), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_clients_organisation_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_clients"),
    )
    op.create_table(
        "client_keys",
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("kek_id", sa.String(ID), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.Column("retain_until", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_client_keys_client_id"),
        sa.PrimaryKeyConstraint("client_id", name="pk_client_keys"),
    )
    op.create_index("ix_client_keys_kek_id", "client_keys", ["kek_id"])
    op.create_table(
        "relationships",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("clinician_id", sa.String(ID), nullable=False),
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinician_id"], ["actors.id"], name="fk_relationships_clinician_id"
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_relationships_client_id"),
        sa.PrimaryKeyConstraint("id", name="pk_relationships"),
    )
    op.create_index("ix_relationships_client_id", "relationships", ["client_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("recipient_id", sa.String(ID), nullable=False),
        sa.Column("effect", sa.String(8), nullable=False),
        sa.Column("categories", sa.String(400), nullable=False),
        sa.Column("purposes", sa.String(200), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("replaces_id", sa.String(ID), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_consents_client_id"),
        sa.ForeignKeyConstraint(["replaces_id"], ["consents.id"], name="fk_consents_replaces_id"),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_client_id", "consents", ["client_id"])
    op.create_table(
        "notice_versions",
        sa.Column("version", sa.String(ID), nullable=False),
        sa.Column("effective_from", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_notice_versions"),
    )
    op.create_table(
        "notice_acknowledgments",
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("version", sa.String(ID), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_notice_acknowledgments_client_id"
        ),
        sa.ForeignKeyConstraint(
            ["version"], ["notice_versions.version"], name="fk_notice_acknowledgments_version"
        ),
        sa.PrimaryKeyConstraint("client_id", "version", name="pk_notice_acknowledgments"),
    )
    _record_tables("records", "record_versions")
    _record_tables("psychotherapy_notes", "psychotherapy_note_versions")
    op.create_table(
        "access_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name="pk_access_events"),
    )
    op.create_index("ix_access_events_client_id", "access_events", ["client_id"])


def downgrade() -> None:
    for table in (
        "access_events",
        "psychotherapy_note_versions",
        "psychotherapy_notes",
        "record_versions",
        "records",
        "notice_acknowledgments",
        "notice_versions",
        "consents",
        "relationships",
        "client_keys",
        "clients",
        "actors",
        "organisations",
    ):
        op.drop_table(table)
