"""Who someone's clients are, a client's details, and the consents a client gave.

Each answer is decided from who asks (never from an id they send about themselves) and each is
on the audit log. A client the asker may not see is answered exactly like one that does not
exist (decision 0014).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from confide.domain import Consent, Role
from confide.domain.validation import require_id
from confide.services.deps import Deps
from confide.services.events import log_event, refuse
from confide.store import schema as t
from confide.store.practice_repository import PracticeRepository


@dataclass(frozen=True, slots=True)
class CaseloadItem:
    """One client on someone's list, and since when."""

    client_id: str
    since: datetime


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """What a client's own people may see of who the client is (no clinical content)."""

    client_id: str
    organisation_id: str
    birth_date: date | None
    since: datetime


def caseload(deps: Deps, *, by: str) -> list[CaseloadItem]:
    """A clinician's current clients; a privacy officer's practice; a client themself.

    Anyone else has an empty list. The listing is on the system chain: it names no client.
    """
    require_id(by, "by")
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        actor = repo.actor(by)
        now = deps.clock.now()
        found: list[tuple[str, datetime]] = []
        if actor is None:
            pass
        elif actor.role in (Role.CLINICIAN, Role.SUPERVISOR):
            found = repo.clients_treated_by(actor.id, now)
        elif actor.role is Role.PRIVACY_OFFICER and actor.organisation_id is not None:
            found = repo.clients_of(actor.organisation_id)
        elif actor.role is Role.CLIENT:
            since = repo.client_since(actor.id)
            found = [] if since is None else [(actor.id, since)]
        rule = "caseload.listed" if actor is not None else "deny.unknown_actor"
        log_event(
            deps, c, at=now, by=by, client_id=None, action="view_caseload",
            effect="permit" if actor is not None else "deny", rule=rule,
        )  # fmt: skip
    return [CaseloadItem(client_id, since) for client_id, since in found]


def client_summary(deps: Deps, client_id: str, *, by: str) -> ClientSummary:
    """Who the client is, for the client, their current clinicians and their privacy officer."""
    with deps.engine.begin() as c:
        _authorised(deps, c, client_id, by, "view_client")
        row = c.execute(select(t.clients).where(t.clients.c.id == client_id)).one()
    return ClientSummary(row.id, row.organisation_id, None, row.created_at)


def consents_of(deps: Deps, client_id: str, *, by: str) -> list[Consent]:
    """Every consent the client gave, revoked ones too, for the same people as the summary."""
    with deps.engine.begin() as c:
        _authorised(deps, c, client_id, by, "view_consents")
        return PracticeRepository(c).consents_of(client_id)


def consent_of(deps: Deps, consent_id: str, *, by: str) -> Consent:
    """One consent, for the people who may see the client's consents; the same answer for a
    consent that does not exist as for one the asker may not see."""
    require_id(consent_id, "consent_id")
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        consent = repo.consent(consent_id)
        if consent is None:
            log_event(
                deps, c, at=deps.clock.now(), by=by, client_id=None, action="view_consents",
                effect="deny", rule="deny.unknown",
            )  # fmt: skip
            refuse(c)
        _authorised(deps, c, consent.client_id, by, "view_consents")
    return consent


def _authorised(deps: Deps, c: Connection, client_id: str, by: str, action: str) -> None:
    """Log the answer; refuse (after committing the refusal) unless the asker may see it."""
    require_id(client_id, "client_id")
    require_id(by, "by")
    repo = PracticeRepository(c)
    actor = repo.actor(by)
    client = repo.client(client_id)
    now = deps.clock.now()
    rule = "deny.no_relationship"
    if actor is None or client is None:
        rule = "deny.unknown"
    elif actor.role is Role.CLIENT and actor.id == client.id:
        rule = "client.own"
    elif actor.role in (Role.CLINICIAN, Role.SUPERVISOR) and repo.treats(actor.id, client_id, now):
        rule = "treating_relationship"
    elif actor.role is Role.PRIVACY_OFFICER and actor.organisation_id == client.organisation_id:
        rule = "privacy_officer"
    permitted = not rule.startswith("deny.")
    log_event(
        deps, c, at=now, by=by, client_id=client_id, action=action,
        effect="permit" if permitted else "deny", rule=rule,
    )  # fmt: skip
    if not permitted:
        refuse(c)
