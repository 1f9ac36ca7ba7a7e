"""Records and their versions, stored sealed. Psychotherapy notes go to their own tables.

A correction is a new version; no row is ever updated or deleted (HIPAA 164.526: an amendment
is appended, the original kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, func, insert, select

from confide.domain import Category
from confide.store import schema as t


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One sealed version of a record, as read from the store."""

    record_id: str
    client_id: str
    category: Category
    record_author_id: str
    version: int
    version_author_id: str
    recorded_at: datetime
    ciphertext: bytes
    created_at: datetime | None = None  # when the record was first written (its date)


def _tables(category: Category) -> tuple[Table, Table]:
    if category is Category.PSYCHOTHERAPY_NOTE:
        return t.psychotherapy_notes, t.psychotherapy_note_versions
    return t.records, t.record_versions


class RecordsRepository:
    """Sealed records on one connection (the caller owns the transaction)."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection

    def add(
        self,
        *,
        record_id: str,
        client_id: str,
        category: Category,
        author_id: str,
        at: datetime,
        ciphertext: bytes,
    ) -> None:
        """A new record with its first version."""
        head, _ = _tables(category)
        self.c.execute(
            insert(head).values(
                id=record_id,
                client_id=client_id,
                category=category.value,
                author_id=author_id,
                created_at=at,
            )
        )
        self.add_version(
            category=category,
            record_id=record_id,
            version=1,
            author_id=author_id,
            at=at,
            ciphertext=ciphertext,
        )

    def add_version(
        self,
        *,
        category: Category,
        record_id: str,
        version: int,
        author_id: str,
        at: datetime,
        ciphertext: bytes,
    ) -> None:
        """Append a version; a duplicate version number fails (the primary key)."""
        _, versions = _tables(category)
        self.c.execute(
            insert(versions).values(
                record_id=record_id,
                version=version,
                ciphertext=ciphertext,
                author_id=author_id,
                recorded_at=at,
            )
        )

    def head(self, record_id: str) -> tuple[str, Category, str, int] | None:
        """(client id, category, author id, latest version) of a record, in either table."""
        for head, versions in (_tables(Category.DIAGNOSIS), _tables(Category.PSYCHOTHERAPY_NOTE)):
            row = self.c.execute(
                select(
                    head.c.client_id,
                    head.c.category,
                    head.c.author_id,
                    func.max(versions.c.version).label("latest"),
                )
                .join(versions, versions.c.record_id == head.c.id)
                .where(head.c.id == record_id)
                .group_by(head.c.client_id, head.c.category, head.c.author_id)
            ).first()
            if row is not None:
                return row.client_id, Category(row.category), row.author_id, int(row.latest)
        return None

    def latest(
        self, client_id: str, categories: frozenset[Category], author_id: str | None = None
    ) -> list[StoredVersion]:
        """The latest version of each of a client's records in these categories."""
        out: list[StoredVersion] = []
        routine = categories - {Category.PSYCHOTHERAPY_NOTE}
        if routine:
            out += self._latest(t.records, t.record_versions, client_id, routine, None)
        if Category.PSYCHOTHERAPY_NOTE in categories:
            out += self._latest(
                t.psychotherapy_notes,
                t.psychotherapy_note_versions,
                client_id,
                frozenset({Category.PSYCHOTHERAPY_NOTE}),
                author_id,
            )
        return sorted(out, key=lambda v: (v.recorded_at, v.record_id))

    def _latest(
        self,
        head: Table,
        versions: Table,
        client_id: str,
        categories: frozenset[Category],
        author_id: str | None,
    ) -> list[StoredVersion]:
        # The newest version of each of this client's records: a version with no later one.
        # A probe of the (record_id, version) key per record, so a read costs what the client's
        # own records cost, however many other records the store holds.
        later = versions.alias("later")
        newer_exists = (
            select(later.c.version)
            .where(later.c.record_id == versions.c.record_id, later.c.version > versions.c.version)
            .exists()
        )
        query = (
            select(
                head,
                versions.c.version,
                versions.c.ciphertext,
                versions.c.author_id.label("version_author"),
                versions.c.recorded_at,
            )
            .join(versions, versions.c.record_id == head.c.id)
            .where(
                head.c.client_id == client_id,
                head.c.category.in_([c.value for c in categories]),
                ~newer_exists,
            )
        )
        if author_id is not None:
            query = query.where(head.c.author_id == author_id)
        return [_stored(r) for r in self.c.execute(query)]


def _stored(row: object) -> StoredVersion:
    r = row  # a Row with the head's columns and the version's
    return StoredVersion(
        record_id=r.id,  # type: ignore[attr-defined]
        client_id=r.client_id,  # type: ignore[attr-defined]
        category=Category(r.category),  # type: ignore[attr-defined]
        record_author_id=r.author_id,  # type: ignore[attr-defined]
        version=r.version,  # type: ignore[attr-defined]
        version_author_id=r.version_author,  # type: ignore[attr-defined]
        recorded_at=r.recorded_at,  # type: ignore[attr-defined]
        ciphertext=r.ciphertext,  # type: ignore[attr-defined]
        created_at=getattr(r, "created_at", None),
    )
