"""Running the practice: organisations, people, clients, treatment relationships and the
notice. Each change is authorised and audited by the practice service (decision 0010)."""

from __future__ import annotations

from fastapi import APIRouter, status

from confide.api.practice_schemas import (
    Admitted,
    ClientAdmission,
    NewNotice,
    NewOrganisation,
    NewPerson,
    NewRelationship,
    RelationshipAnswer,
)
from confide.api.security import Caller, Services
from confide.domain import Actor, Client, NoticeVersion, Organisation, Period, TreatmentRelationship
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import practice
from confide.services.deps import new_id

router = APIRouter(prefix="/api/v1", tags=["practice"])


@router.post("/organisations", status_code=status.HTTP_204_NO_CONTENT)
def add_organisation(body: NewOrganisation, who: Caller, deps: Services) -> None:
    """Put an outside organisation on file (a recipient of consents and disclosures)."""
    who.require(Scope.RECORDS_WRITE)
    practice.add_organisation(deps, Organisation(body.id, body.name), by=who.actor_id)


@router.post("/people", status_code=status.HTTP_204_NO_CONTENT)
def add_person(body: NewPerson, who: Caller, deps: Services) -> None:
    """Put a person on file: staff of the practice, or a recipient at an outside organisation."""
    who.require(Scope.RECORDS_WRITE)
    practice.add_actor(deps, Actor(body.id, body.role, body.organisation_id), by=who.actor_id)


@router.post("/clients", status_code=status.HTTP_201_CREATED)
def admit(body: ClientAdmission, who: Caller, deps: Services) -> Admitted:
    """Admit a client to a practice: their record and their own data key. Admitting gives no
    access to the record: a treatment relationship does."""
    who.require(Scope.RECORDS_WRITE)
    practice.create_client(
        deps, Client(body.id, body.organisation_id, body.birth_date), by=who.actor_id
    )
    return Admitted(client_id=body.id, organisation_id=body.organisation_id)


@router.post("/clients/{client_id}/relationships", status_code=status.HTTP_201_CREATED)
def add_relationship(
    client_id: str, body: NewRelationship, who: Caller, deps: Services
) -> RelationshipAnswer:
    """Assign a clinician to a client from a start to an optional end (nobody assigns
    themselves)."""
    who.require(Scope.RECORDS_WRITE)
    require_id(client_id, "client_id")
    start = body.starts_at or deps.clock.now()
    relationship = TreatmentRelationship(
        new_id("rel"), body.clinician_id, client_id, Period(start, body.ends_at, name="period")
    )
    practice.add_relationship(deps, relationship, by=who.actor_id)
    return RelationshipAnswer(
        id=relationship.id,
        clinician_id=relationship.clinician_id,
        client_id=client_id,
        starts_at=start,
        ends_at=body.ends_at,
    )


@router.post("/notices", status_code=status.HTTP_204_NO_CONTENT)
def publish_notice(body: NewNotice, who: Caller, deps: Services) -> None:
    """Publish a new version of the limits-of-confidentiality notice (privacy officer)."""
    who.require(Scope.RECORDS_WRITE)
    start = body.effective_from or deps.clock.now()
    practice.publish_notice(deps, NoticeVersion(body.version, start, body.text), by=who.actor_id)
