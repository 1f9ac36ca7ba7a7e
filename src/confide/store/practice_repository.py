"""Reading and writing the practice: organisations, actors, clients, relationships, consents,
notices; and loading the facts one decision needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Row, Table, insert, select, update

from confide.domain import (
    Actor,
    BreakGlassGrant,
    Client,
    Consent,
    ExceptionDisclosure,
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Period,
    Role,
    TreatmentRelationship,
)
from confide.policy import Facts
from confide.store import schema as t
from confide.store.codes_column import join_codes, split_codes


class PracticeRepository:
    """The practice's facts, on one connection (the caller owns the transaction)."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection

    # Writes -----------------------------------------------------------------------------
    def add_organisation(self, org: Organisation) -> None:
        self.c.execute(insert(t.organisations).values(id=org.id, name=org.name))

    def add_actor(
        self, actor: Actor, *, added_at: datetime | None = None, added_by: str | None = None
    ) -> None:
        self.c.execute(
            insert(t.actors).values(
                id=actor.id,
                role=actor.role.value,
                organisation_id=actor.organisation_id,
                added_at=added_at,
                added_by=added_by,
            )
        )

    def added(self, actor_id: str) -> tuple[datetime | None, str | None]:
        """When a person was put on file, and by whom (None for the founding officer and for
        people on file before this was recorded)."""
        row = self.c.execute(
            select(t.actors.c.added_at, t.actors.c.added_by).where(t.actors.c.id == actor_id)
        ).first()
        return (None, None) if row is None else (row.added_at, row.added_by)

    def add_client(self, client: Client, created_at: datetime) -> None:
        self.c.execute(
            insert(t.clients).values(
                id=client.id, organisation_id=client.organisation_id, created_at=created_at
            )
        )

    def add_relationship(self, rel: TreatmentRelationship) -> None:
        self.c.execute(
            insert(t.relationships).values(
                id=rel.id,
                clinician_id=rel.clinician_id,
                client_id=rel.client_id,
                starts_at=rel.period.start,
                ends_at=rel.period.end,
            )
        )

    def add_consent(self, consent: Consent, recorded_at: datetime, replaces: str | None) -> None:
        self.c.execute(
            insert(t.consents).values(
                id=consent.id,
                client_id=consent.client_id,
                recipient_id=consent.recipient_id,
                effect=consent.effect.value,
                categories=join_codes(consent.categories),
                purposes=join_codes(consent.purposes),
                starts_at=consent.period.start,
                ends_at=consent.period.end,
                revoked_at=consent.revoked_at,
                recorded_at=recorded_at,
                replaces_id=replaces,
            )
        )

    def revoke_consent(self, consent_id: str, at: datetime) -> bool:
        """Mark a consent revoked from ``at``; False if it was already revoked."""
        result = self.c.execute(
            update(t.consents)
            .where(t.consents.c.id == consent_id, t.consents.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return result.rowcount == 1

    def add_notice_version(self, notice: NoticeVersion) -> None:
        self.c.execute(
            insert(t.notice_versions).values(
                version=notice.version, effective_from=notice.effective_from, text=notice.text
            )
        )

    def add_acknowledgment(self, ack: NoticeAcknowledgment) -> None:
        self.c.execute(
            insert(t.notice_acknowledgments).values(
                client_id=ack.client_id, version=ack.version, acknowledged_at=ack.acknowledged_at
            )
        )

    # Reads ------------------------------------------------------------------------------
    def actor(self, actor_id: str) -> Actor | None:
        row = self.c.execute(select(t.actors).where(t.actors.c.id == actor_id)).first()
        return None if row is None else _actor(row)

    def client(self, client_id: str) -> Client | None:
        row = self.c.execute(select(t.clients).where(t.clients.c.id == client_id)).first()
        return None if row is None else Client(row.id, row.organisation_id)

    def client_since(self, client_id: str) -> datetime | None:
        """When the client's record began (their admission)."""
        found = select(t.clients.c.created_at).where(t.clients.c.id == client_id)
        return self.c.execute(found).scalar_one_or_none()

    def treats(self, clinician_id: str, client_id: str, at: datetime) -> bool:
        """True while the clinician has a treatment relationship with the client."""
        return any(
            r.clinician_id == clinician_id and r.period.contains(at)
            for r in map(_relationship, self._rows(t.relationships, client_id))
        )

    def consents_of(self, client_id: str) -> list[Consent]:
        """Every consent the client gave, revoked and replaced ones too, oldest first."""
        c = t.consents.c
        rows = self.c.execute(
            select(t.consents).where(c.client_id == client_id).order_by(c.recorded_at, c.id)
        )
        return [_consent(r) for r in rows]

    def clients_treated_by(self, clinician_id: str, at: datetime) -> list[tuple[str, datetime]]:
        """The clients the clinician treats at ``at``, with when each relationship began."""
        r = t.relationships.c
        rows = self.c.execute(
            select(r.client_id, r.starts_at)
            .where(
                r.clinician_id == clinician_id,
                r.starts_at <= at,
                (r.ends_at.is_(None)) | (r.ends_at > at),
            )
            .order_by(r.client_id)
        )
        return [(row.client_id, row.starts_at) for row in rows]

    def clients_of(self, organisation_id: str) -> list[tuple[str, datetime]]:
        """The practice's clients, with when each record began."""
        k = t.clients.c
        rows = self.c.execute(
            select(k.id, k.created_at).where(k.organisation_id == organisation_id).order_by(k.id)
        )
        return [(row.id, row.created_at) for row in rows]

    def consent(self, consent_id: str) -> Consent | None:
        row = self.c.execute(select(t.consents).where(t.consents.c.id == consent_id)).first()
        return None if row is None else _consent(row)

    def is_recipient(self, recipient_id: str) -> bool:
        """True for an organisation or a person on file who is not a client.

        Clients are never recipients, so a consent form cannot be used to learn who else is a
        client of the practice: a client's id is answered like an unknown one.
        """
        org = select(t.organisations.c.id).where(t.organisations.c.id == recipient_id)
        if self.c.execute(org).first():
            return True
        person = select(t.actors.c.role).where(t.actors.c.id == recipient_id)
        role = self.c.execute(person).scalar_one_or_none()
        return role is not None and role != Role.CLIENT.value

    def recipients(self) -> list[tuple[str, str, str]]:
        """Everyone a consent or a disclosure may name, as (id, organisation name, kind): each
        organisation, and each person on file with the recipient role (never a client, never
        the practice's own people), sorted by id."""
        out: list[tuple[str, str, str]] = [
            (row.id, row.name, "organisation")
            for row in self.c.execute(select(t.organisations.c.id, t.organisations.c.name))
        ]
        people = (
            select(t.actors.c.id, t.organisations.c.name)
            .join(t.organisations, t.organisations.c.id == t.actors.c.organisation_id, isouter=True)
            .where(t.actors.c.role == Role.RECIPIENT.value)
        )
        out += [(row.id, row.name or "", "person") for row in self.c.execute(people)]
        return sorted(out)

    def notice_exists(self, version: str) -> bool:
        found = select(t.notice_versions.c.version).where(t.notice_versions.c.version == version)
        return self.c.execute(found).first() is not None

    def facts_for(
        self,
        client_id: str,
        actor_id: str,
        *,
        disclosures: Iterable[ExceptionDisclosure] = (),
        break_glass: Iterable[BreakGlassGrant] = (),
    ) -> Facts:
        """Everything a decision about this client, asked by this actor, can rest on; an
        exception disclosure or emergency grant being acted on is passed in by its use case."""
        rels = [_relationship(r) for r in self._rows(t.relationships, client_id)]
        consents = [_consent(r) for r in self._rows(t.consents, client_id)]
        acks = [
            NoticeAcknowledgment(r.client_id, r.version, r.acknowledged_at)
            for r in self._rows(t.notice_acknowledgments, client_id)
        ]
        notices = [
            NoticeVersion(r.version, r.effective_from, r.text)
            for r in self.c.execute(select(t.notice_versions))
        ]
        client = self.client(client_id)
        disclosures = tuple(disclosures)
        break_glass = tuple(break_glass)
        person_ids = (
            {actor_id}
            | {r.clinician_id for r in rels}
            | {c.recipient_id for c in consents}
            | {d.recipient_id for d in disclosures}
            | {d.requested_by for d in disclosures}
            | {d.approval.approver_id for d in disclosures if d.approval is not None}
            | {g.clinician_id for g in break_glass}
        )
        actors = [
            _actor(r) for r in self.c.execute(select(t.actors).where(t.actors.c.id.in_(person_ids)))
        ]
        org_ids = {a.organisation_id for a in actors if a.organisation_id} | {
            c.recipient_id for c in consents
        }
        if client is not None:
            org_ids.add(client.organisation_id)
        orgs = [
            Organisation(r.id, r.name)
            for r in self.c.execute(
                select(t.organisations).where(t.organisations.c.id.in_(org_ids))
            )
        ]
        return Facts.build(
            actors=actors,
            clients=[] if client is None else [client],
            organisations=orgs,
            relationships=rels,
            consents=consents,
            disclosures=disclosures,
            break_glass=break_glass,
            notices=notices,
            acknowledgments=acks,
        )

    def _rows(self, table: Table, client_id: str) -> Iterable[Row[tuple[object, ...]]]:
        return self.c.execute(select(table).where(table.c.client_id == client_id))


def _actor(row: Row[tuple[object, ...]]) -> Actor:
    return Actor(row.id, row.role, row.organisation_id)


def _relationship(row: Row[tuple[object, ...]]) -> TreatmentRelationship:
    return TreatmentRelationship(
        row.id, row.clinician_id, row.client_id, Period(row.starts_at, row.ends_at)
    )


def _consent(row: Row[tuple[object, ...]]) -> Consent:
    return Consent(
        id=row.id,
        client_id=row.client_id,
        recipient_id=row.recipient_id,
        categories=frozenset(split_codes(row.categories)),  # type: ignore[arg-type]
        purposes=frozenset(split_codes(row.purposes)),  # type: ignore[arg-type]
        period=Period(row.starts_at, row.ends_at),
        effect=row.effect,
        revoked_at=row.revoked_at,
    )


__all__ = ["PracticeRepository"]
