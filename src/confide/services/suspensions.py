"""Suspending a client's accounting of disclosures at an agency's request (HIPAA 45 CFR
164.528(a)(2)): a health oversight agency or law enforcement official may ask, in writing (or
orally, for at most 30 days), that the disclosures made to it be held back from the client's
accounting for a stated time, because telling the client would likely impede its work.

Only the privacy officer of the client's practice records one; the record and the refusals are
on the client's audit chain, and the client's own view of their history leaves the record out
while the suspension is in force (it would itself tell them).
"""

from __future__ import annotations

from sqlalchemy import insert

from confide.domain import Role
from confide.domain.validation import require_id
from confide.services.deps import Deps, new_id
from confide.services.events import log_event, refuse
from confide.services.history import Suspension
from confide.store import schema as t
from confide.store.practice_repository import PracticeRepository

SUSPEND_ACTION = "suspend_accounting"


def record_suspension(deps: Deps, client_id: str, suspension: Suspension, *, by: str) -> str:
    """Store an agency's suspension of the client's accounting; returns its id."""
    require_id(client_id, "client_id")
    require_id(by, "by")
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        actor = repo.actor(by)
        client = repo.client(client_id)
        now = deps.clock.now()
        allowed = (
            actor is not None
            and client is not None
            and actor.role is Role.PRIVACY_OFFICER
            and actor.organisation_id == client.organisation_id
            and repo.is_recipient(suspension.agency)
        )
        log_event(
            deps,
            c,
            at=now,
            by=by,
            client_id=client_id,
            action=SUSPEND_ACTION,
            effect="permit" if allowed else "deny",
            rule="accounting.suspension" if allowed else "deny.accounting.suspension",
        )
        if not allowed:
            refuse(c)
        suspension_id = new_id("susp")
        c.execute(
            insert(t.accounting_suspensions).values(
                id=suspension_id,
                client_id=client_id,
                agency_id=suspension.agency,
                requested_at=suspension.requested_at,
                until=suspension.until,
                statement=suspension.statement.value,
                recorded_by=by,
                recorded_at=now,
            )
        )
    return suspension_id
