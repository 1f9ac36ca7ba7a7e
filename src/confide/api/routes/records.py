"""Caseload, a client's details and their record: every read decided by the engine and
audited by the services; nothing here touches the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from confide.api.schemas import (
    Amendment,
    CaseloadEntry,
    ClientAnswer,
    NewRecord,
    RecordCreated,
    RecordEntry,
    RecordsAnswer,
    Withheld,
)
from confide.api.security import Caller, Services
from confide.domain import Category, Purpose, Role
from confide.domain.validation import require_id
from confide.policy.authentication import Scope
from confide.services import clients, records

router = APIRouter(prefix="/api/v1", tags=["records"])

# Everything but psychotherapy notes, which are asked for by name (HIPAA 164.508(a)(2)).
ROUTINE = frozenset(Category) - {Category.PSYCHOTHERAPY_NOTE}


@router.get("/clients")
def caseload(who: Caller, deps: Services) -> list[CaseloadEntry]:
    """Your clients: a clinician's current caseload, a privacy officer's practice, or a
    client's own record."""
    who.require(Scope.RECORDS_READ)
    return [
        CaseloadEntry(client_id=i.client_id, since=i.since)
        for i in clients.caseload(deps, by=who.actor_id)
    ]


@router.get(
    "/clients/{client_id}", responses={404: {"description": "not found, or you may not see it"}}
)
def client(client_id: str, who: Caller, deps: Services) -> ClientAnswer:
    """Who the client is (no clinical content), for the client, their clinicians and their
    privacy officer."""
    who.require(Scope.RECORDS_READ)
    s = clients.client_summary(deps, client_id, by=who.actor_id)
    return ClientAnswer(client_id=s.client_id, organisation_id=s.organisation_id, since=s.since)


@router.get(
    "/clients/{client_id}/records",
    responses={404: {"description": "not found, or you may not see any of it"}},
)
def read(
    client_id: str,
    who: Caller,
    deps: Services,
    category: Annotated[list[Category] | None, Query(max_length=len(Category))] = None,
    purpose: Purpose | None = None,
) -> RecordsAnswer:
    """The latest version of each record you may see, and what was withheld and why.

    Without ``category``, every category but psychotherapy notes, which are asked for by name.
    Without ``purpose``: a client's own access (PATRQT) for a client, treatment otherwise.
    """
    who.require(Scope.RECORDS_READ)
    require_id(client_id, "client_id")
    asked = ROUTINE if not category else frozenset(category)
    if purpose is None:
        purpose = Purpose.PATRQT if who.role is Role.CLIENT else Purpose.TREAT
    view = records.read_records(
        deps, actor_id=who.actor_id, client_id=client_id, categories=asked, purpose=purpose
    )
    return RecordsAnswer(
        entries=[
            RecordEntry(
                record_id=e.record_id,
                category=e.category,
                version=e.version,
                author_id=e.author_id,
                recorded_at=e.recorded_at,
                text=e.text,
            )
            for e in view.entries
        ],
        withheld=[
            Withheld(
                category=o.category, rule=o.rule_id.value, reason=o.reason, cites=list(o.cites)
            )
            for d in view.decisions
            for o in d.outcomes
            if o.category in d.denied
        ],
    )


@router.post("/clients/{client_id}/records", status_code=status.HTTP_201_CREATED)
def write(client_id: str, body: NewRecord, who: Caller, deps: Services) -> RecordCreated:
    """Write a new record (a treating clinician, in the categories they may write)."""
    who.require(Scope.RECORDS_WRITE)
    require_id(client_id, "client_id")
    record_id = records.write_record(
        deps,
        actor_id=who.actor_id,
        client_id=client_id,
        category=body.category,
        text=body.text,
        purpose=body.purpose,
    )
    return RecordCreated(record_id=record_id, version=1)


@router.post("/records/{record_id}/versions", status_code=status.HTTP_201_CREATED)
def amend(record_id: str, body: Amendment, who: Caller, deps: Services) -> RecordCreated:
    """Correct a record: a new version; every earlier one is kept (HIPAA 164.526)."""
    who.require(Scope.RECORDS_WRITE)
    require_id(record_id, "record_id")
    version = records.amend_record(deps, actor_id=who.actor_id, record_id=record_id, text=body.text)
    return RecordCreated(record_id=record_id, version=version)
