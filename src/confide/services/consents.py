"""Granting, narrowing and revoking consent. Each change and its access event commit together.

Revocation is prospective and immediate (HIPAA 164.508(b)(5); 42 CFR 2.31(a)(6)): it takes
effect at the moment it is recorded. Narrowing revokes the old consent and records the new,
narrower one in the same transaction, so there is no moment when neither or both apply.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from confide.domain import (
    Category,
    Consent,
    InvalidValue,
    Period,
    Purpose,
    Role,
    UnknownReference,
)
from confide.services.deps import Deps, new_id
from confide.services.errors import Conflict, NotFoundOrDenied
from confide.services.events import log_event, refuse
from confide.store.practice_repository import PracticeRepository


def grant_consent(deps: Deps, consent: Consent, *, by: str) -> Consent:
    """Record a consent (a permission or a refusal) the client gave."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        _check_consenter(deps, c, repo, consent.client_id, by=by, action="grant_consent")
        if consent.note is not None:
            raise InvalidValue("consent.note", "notes on consents are not stored yet; leave it out")
        if not repo.is_recipient(consent.recipient_id):
            raise UnknownReference(
                "consent.recipient_id",
                "no organisation or person who may receive records has that id; ask the practice "
                "to add the recipient first",
            )
        repo.add_consent(consent, now, replaces=None)
        _log(deps, c, now, by=by, consent=consent, action="grant_consent")
    return consent


def revoke_consent(deps: Deps, consent_id: str, *, by: str) -> Consent:
    """Revoke a consent from now on."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        consent = repo.consent(consent_id)
        client_id = None if consent is None else consent.client_id
        _check_consenter(deps, c, repo, client_id, by=by, action="revoke_consent")
        if consent is None:  # refused and logged above; this keeps the type checker informed
            raise NotFoundOrDenied
        if not repo.revoke_consent(consent_id, now):
            raise Conflict(f"consent {consent_id} was already revoked")
        _log(deps, c, now, by=by, consent=consent, action="revoke_consent")
    return replace(consent, revoked_at=now)


def narrow_consent(
    deps: Deps,
    consent_id: str,
    *,
    by: str,
    categories: frozenset[Category] | None = None,
    purposes: frozenset[Purpose] | None = None,
    end: datetime | None = None,
) -> Consent:
    """Replace a consent with a narrower one: fewer categories or purposes, or an earlier end."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        repo = PracticeRepository(c)
        old = repo.consent(consent_id)
        client_id = None if old is None else old.client_id
        _check_consenter(deps, c, repo, client_id, by=by, action="narrow_consent")
        if old is None:  # refused and logged above; this keeps the type checker informed
            raise NotFoundOrDenied
        new = _narrowed(old, categories, purposes, end, now)
        if not repo.revoke_consent(consent_id, now):
            raise Conflict(f"consent {consent_id} was already revoked")
        repo.add_consent(new, now, replaces=old.id)
        _log(deps, c, now, by=by, consent=new, action="narrow_consent")
    return new


def _narrowed(
    old: Consent,
    categories: frozenset[Category] | None,
    purposes: frozenset[Purpose] | None,
    end: datetime | None,
    now: datetime,
) -> Consent:
    categories = old.categories if categories is None else frozenset(categories)
    purposes = old.purposes if purposes is None else frozenset(purposes)
    if not categories <= old.categories:
        raise Conflict("narrowing may only remove categories; grant a new consent to add some")
    if not purposes <= old.purposes:
        raise Conflict("narrowing may only remove purposes; grant a new consent to add some")
    new_end = old.period.end if end is None else end
    if old.period.end is not None and new_end is not None and new_end > old.period.end:
        raise Conflict("narrowing may only bring the end earlier")
    start = max(old.period.start, now)
    return Consent(
        new_id("consent"),
        old.client_id,
        old.recipient_id,
        categories,
        purposes,
        Period(start, new_end, name="consent.period"),
        effect=old.effect,
    )


def _check_consenter(
    deps: Deps,
    c: Connection,
    repo: PracticeRepository,
    client_id: str | None,
    *,
    by: str,
    action: str,
) -> None:
    # Only the client gives or changes their consent (representatives are not yet stored).
    # A refusal is logged and committed before it is raised, like every refused access.
    actor = repo.actor(by)
    if (
        client_id is not None
        and actor is not None
        and actor.role is Role.CLIENT
        and (actor.id == client_id)
    ):
        return
    log_event(
        deps,
        c,
        at=deps.clock.now(),
        by=by,
        client_id=client_id,
        action=action,
        effect="deny",
        rule="deny.not_the_consenter",
    )
    refuse(c)


def _log(
    deps: Deps, c: Connection, now: datetime, *, by: str, consent: Consent, action: str
) -> None:
    log_event(
        deps,
        c,
        at=now,
        by=by,
        client_id=consent.client_id,
        action=action,
        effect="permit",
        rule=f"write.{action}",
        categories=consent.categories,
    )
