"""Setting up a practice: organisations, people, clients (each with a data key),
treatment relationships, notice versions and acknowledgments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from confide.domain import (
    CLINICAL_ROLES,
    Actor,
    Client,
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Role,
    TreatmentRelationship,
    UnknownReference,
)
from confide.services.deps import Deps
from confide.services.events import log_event
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository


def add_organisation(deps: Deps, org: Organisation) -> None:
    """Put an organisation on file."""
    with deps.engine.begin() as c:
        PracticeRepository(c).add_organisation(org)


def add_actor(deps: Deps, actor: Actor) -> None:
    """Put a person on file."""
    with deps.engine.begin() as c:
        PracticeRepository(c).add_actor(actor)


def create_client(
    deps: Deps, client: Client, *, by: str, retain_until: datetime | None = None
) -> None:
    """Admit a client: their record, their own data key, and their login identity."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        repo.add_client(client, now)
        repo.add_actor(Actor(client.id, Role.CLIENT))
        KeysRepository(c).add(deps.vault.new_client_key(client.id), retain_until)
        _log(deps, c, now, by=by, client_id=client.id, action="create_client")


def add_relationship(deps: Deps, relationship: TreatmentRelationship, *, by: str) -> None:
    """Record that a clinician treats a client, from a start to an optional end."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        if repo.client(relationship.client_id) is None:
            raise UnknownReference("relationship.client_id", "no such client is on file")
        clinician = repo.actor(relationship.clinician_id)
        if clinician is None or clinician.role not in CLINICAL_ROLES:
            raise UnknownReference(
                "relationship.clinician_id", "no clinician or supervisor with that id is on file"
            )
        repo.add_relationship(relationship)
        _log(deps, c, now, by=by, client_id=relationship.client_id, action="add_relationship")


def publish_notice(deps: Deps, notice: NoticeVersion) -> None:
    """Publish a version of the limits-of-confidentiality notice."""
    with deps.engine.begin() as c:
        PracticeRepository(c).add_notice_version(notice)


def acknowledge_notice(deps: Deps, client_id: str, version: str, *, by: str) -> None:
    """The client acknowledges a notice version (at intake, or after a new version)."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        PracticeRepository(c).add_acknowledgment(NoticeAcknowledgment(client_id, version, now))
        _log(deps, c, now, by=by, client_id=client_id, action="acknowledge_notice")


def _log(deps: Deps, c: Connection, now: datetime, *, by: str, client_id: str, action: str) -> None:
    log_event(
        deps,
        c,
        at=now,
        by=by,
        client_id=client_id,
        action=action,
        effect="permit",
        rule="write.practice",
    )
