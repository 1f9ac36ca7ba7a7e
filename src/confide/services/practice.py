"""Setting up a practice: organisations, people, clients (each with a data key), treatment
relationships, notice versions and acknowledgments.

Every change names who makes it (``by``) and is authorised by the practice administration rules
(``confide.policy.administration``, decision 0010) before anything is written; permitted or
refused, the outcome is logged. The only change without an authoriser is founding a practice:
putting its organisation and first privacy officer on file. That is an operator's act, like
creating the data directory, offered on the command line and never through the API.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from confide.domain import (
    Actor,
    Client,
    InvalidValue,
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Role,
    TreatmentRelationship,
    UnknownReference,
)
from confide.domain.validation import require_id
from confide.policy.administration import AdminAction, AdminDecision, AdminRequest, authorise
from confide.services.deps import Deps
from confide.services.errors import Conflict, conflicts_as
from confide.services.events import log_event, refuse
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository


def found_practice(deps: Deps, org: Organisation, officer: Actor) -> None:
    """Put a practice and its first privacy officer on file.

    Everyone else is then added by that officer (or the administrators they appoint).
    """
    if officer.role is not Role.PRIVACY_OFFICER or officer.organisation_id != org.id:
        raise InvalidValue(
            "officer", "the founding person must be a privacy officer of the practice"
        )
    now = deps.clock.now()
    taken = f"an organisation or person with id {org.id} or {officer.id} is already on file"
    with conflicts_as(taken), deps.engine.begin() as c:
        repo = PracticeRepository(c)
        if repo.is_recipient(org.id) or repo.is_recipient(officer.id):
            raise Conflict(taken)
        repo.add_organisation(org)
        repo.add_actor(officer)
        log_event(
            deps,
            c,
            at=now,
            by=officer.id,
            client_id=None,
            action="found_practice",
            effect="permit",
            rule="admin.founding",
        )


def add_organisation(deps: Deps, org: Organisation, *, by: str) -> None:
    """Put an organisation on file (another provider, an agency, a court)."""
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"an organisation or person with id {org.id} is already on file"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        request = AdminRequest(AdminAction.ADD_ORGANISATION, repo.actor(by))
        _authorise(deps, c, now, by, request)
        if repo.actor(org.id) is not None:
            raise Conflict(f"an organisation or person with id {org.id} is already on file")
        repo.add_organisation(org)


def add_actor(deps: Deps, actor: Actor, *, by: str) -> None:
    """Put a person on file: staff of the practice, or someone outside it."""
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"an organisation or person with id {actor.id} is already on file"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        request = AdminRequest(AdminAction.ADD_PERSON, repo.actor(by), subject=actor)
        _authorise(deps, c, now, by, request)
        if actor.organisation_id is not None and not repo.is_recipient(actor.organisation_id):
            raise UnknownReference(
                "actor.organisation_id", "no organisation with that id is on file"
            )
        if repo.is_recipient(actor.id):
            raise Conflict(f"an organisation or person with id {actor.id} is already on file")
        # Who put whom on file, and when: an approver must not be someone the requester added
        # for the purpose (decision 0013).
        repo.add_actor(actor, added_at=now, added_by=by)


def create_client(
    deps: Deps, client: Client, *, by: str, retain_until: datetime | None = None
) -> None:
    """Admit a client: their record, their own data key, and their login identity.

    ``retain_until`` is the date before which their records may not be erased.
    """
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"a client or person with id {client.id} is already on file"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        request = AdminRequest(
            AdminAction.ADMIT_CLIENT,
            repo.actor(by),
            organisation_id=client.organisation_id,
            client_id=client.id,
        )
        _authorise(deps, c, now, by, request, log_permit=False)
        repo.add_client(client, now)
        repo.add_actor(Actor(client.id, Role.CLIENT))
        KeysRepository(c).add(deps.vault.new_client_key(client.id), retain_until)
        _log_admin(deps, c, now, by, request, authorise(request))  # on the new client's chain


def add_relationship(deps: Deps, relationship: TreatmentRelationship, *, by: str) -> None:
    """Assign a clinician of the practice to a client, from a start to an optional end."""
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"a relationship with id {relationship.id} is already on file"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        client = repo.client(relationship.client_id)
        request = AdminRequest(
            AdminAction.ASSIGN_CLINICIAN,
            repo.actor(by),
            organisation_id=None if client is None else client.organisation_id,
            subject=repo.actor(relationship.clinician_id),
            client_id=relationship.client_id,
        )
        _authorise(deps, c, now, by, request)
        repo.add_relationship(relationship)


def publish_notice(deps: Deps, notice: NoticeVersion, *, by: str) -> None:
    """Publish a version of the limits-of-confidentiality notice."""
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"notice version {notice.version} is already published"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        actor = repo.actor(by)
        request = AdminRequest(
            AdminAction.PUBLISH_NOTICE,
            actor,
            organisation_id=None if actor is None else actor.organisation_id,
        )
        _authorise(deps, c, now, by, request)
        repo.add_notice_version(notice)


def acknowledge_notice(deps: Deps, client_id: str, version: str, *, by: str) -> None:
    """The client acknowledges a notice version (at intake, or after a new version).

    Staff of the practice may record an acknowledgment from a signed paper form; the log says
    who recorded it.
    """
    now = _now_checking(deps, by)
    with (
        conflicts_as(f"notice version {version} was already acknowledged"),
        deps.engine.begin() as c,
    ):
        repo = PracticeRepository(c)
        client = repo.client(client_id)
        request = AdminRequest(
            AdminAction.RECORD_ACKNOWLEDGMENT,
            repo.actor(by),
            organisation_id=None if client is None else client.organisation_id,
            client_id=client_id,
        )
        _authorise(deps, c, now, by, request)
        if client is None:
            refuse(c)
        if not repo.notice_exists(version):
            raise UnknownReference("version", "no notice with that version is published")
        repo.add_acknowledgment(NoticeAcknowledgment(client_id, version, now))


def _authorise(
    deps: Deps,
    c: Connection,
    now: datetime,
    by: str,
    request: AdminRequest,
    *,
    log_permit: bool = True,
) -> None:
    """Decide, log the outcome in this transaction, and refuse (committing the log) if denied.

    With ``log_permit=False`` a permit is logged by the caller after the change (admitting a
    client: the entry belongs on the new client's own chain, which exists only then).
    """
    decision = authorise(request)
    if decision.permitted and not log_permit:
        return
    _log_admin(deps, c, now, by, request, decision)
    if not decision.permitted:
        refuse(c)


def _log_admin(  # noqa: PLR0917 - the fields of one event
    deps: Deps,
    c: Connection,
    now: datetime,
    by: str,
    request: AdminRequest,
    decision: AdminDecision,
) -> None:
    log_event(
        deps,
        c,
        at=now,
        by=by,
        client_id=request.client_id,
        action=request.action.value,
        effect="permit" if decision.permitted else "deny",
        rule=decision.rule.value,
    )


def _now_checking(deps: Deps, by: str) -> datetime:
    require_id(by, "by")
    return deps.clock.now()
