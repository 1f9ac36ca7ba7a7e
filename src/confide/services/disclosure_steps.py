"""The machinery every disclosure use case shares (decision 0013): who may act, loading and
sealing a request, saving its next revision, and auditing each step or refusal.

A person outside the client's practice gets the same refusal as for a request or client that
does not exist. A refusal of the rules is audited with the field it names (never the message,
which may quote what someone typed), committed, then raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, TypeVar

from sqlalchemy import Connection

from confide.domain import Actor, Client, InvalidValue, Role
from confide.domain.disclosures import DisclosureRequest
from confide.domain.validation import require_id
from confide.policy import disclosure_rules as rules
from confide.policy.minimum_necessary import GROUND_PURPOSE
from confide.services.deps import Deps, new_id
from confide.services.errors import Conflict
from confide.services.events import log_event, refuse
from confide.store.access_log import AccessEvent
from confide.store.disclosures_repository import (
    DETAILS_CATEGORY,
    DisclosuresRepository,
    StoredRequest,
    TamperedRequest,
    details_of,
    request_of,
)
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository
from confide.vault import IntegrityError, RecordBinding, WrappedDataKey

T = TypeVar("T")
security_log = logging.getLogger("confide.security")
PRACTICE_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER})
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.PRIVACY_OFFICER})


@dataclass(frozen=True, slots=True)
class Acting:
    """One use case in progress: its transaction, who acts, on whose record, and when."""

    deps: Deps
    c: Connection
    actor: Actor
    client: Client
    now: datetime
    action: str

    def refused(self, make: Callable[[], T], request: DisclosureRequest | None = None) -> T:
        """``make()``; a refusal of the rules or a bad value is audited, committed, raised."""
        try:
            return make()
        except InvalidValue as e:
            self.refuse(e, request)

    def refuse(self, error: InvalidValue, request: DisclosureRequest | None = None) -> NoReturn:
        """Audit the refusal (by the field it names), commit it, raise it."""
        field = "".join(ch if ch.isalnum() or ch in "._" else "_" for ch in error.field)[:40]
        log_event(
            self.deps,
            self.c,
            at=self.deps.clock.now(),
            by=self.actor.id,
            client_id=self.client.id,
            action=self.action,
            effect="deny",
            rule=f"deny.disclosure.{field}",
            categories=frozenset() if request is None else request.categories,
        )
        self.c.commit()
        raise error

    def requester(self) -> rules.Requester:
        """The actor as the rules see a requester."""
        treats = PracticeRepository(self.c).treats(self.actor.id, self.client.id, self.now)
        same = self.actor.organisation_id == self.client.organisation_id
        return rules.Requester(self.actor, treats, same)

    def on_file(self) -> rules.OnFile:
        """When and by whom the actor was put on file."""
        added_at, added_by = PracticeRepository(self.c).added(self.actor.id)
        return rules.OnFile(added_at, added_by)

    def check_recipient(self, request: DisclosureRequest) -> None:
        """Refuse (audited) a recipient who is not on file as one, outside the practice."""
        recipient = PracticeRepository(self.c).actor(request.recipient_id)
        self.refused(
            lambda: rules.check_recipient_on_file(request, recipient, self.client.organisation_id),
            request,
        )

    def check_records_period(self, request: DisclosureRequest) -> None:
        """Refuse (audited) a records period outside the client's record."""
        began = PracticeRepository(self.c).client_since(self.client.id) or self.now
        self.refused(lambda: rules.check_records_period(request, began, self.now), request)

    def log_step(self, request: DisclosureRequest) -> None:
        """The step on the client's chain: who, which request, its new state (codes only)."""
        self.deps.access_log.append(
            self.c,
            AccessEvent(
                self.now,
                new_id("req"),
                self.actor.id,
                request.client_id,
                self.action,
                GROUND_PURPOSE[request.ground],
                request.categories,
                "permit",
                f"disclosure.{request.state.value}",
                record_id=request.id,
                reasons=(f"ground={request.ground.value}", f"revision={request.revision}"),
            ),
        )

    def add(self, request: DisclosureRequest) -> None:
        """Store a new request, its words sealed."""
        repo = DisclosuresRepository(self.c)
        repo.add(request, self.client.organisation_id, self.sealed(request))

    def save(self, request: DisclosureRequest, stored: StoredRequest) -> None:
        """Store the request's next revision, unless someone changed it meanwhile."""
        repo = DisclosuresRepository(self.c)
        if not repo.update(request, self.sealed(request), stored.revision):
            raise Conflict(f"disclosure {request.id} was changed by someone else; look again")

    def sealed(self, request: DisclosureRequest) -> bytes:
        """The request's words sealed with the client's key, bound to its revision."""
        key = client_key(self.c, request.client_id)
        binding = _binding(request.id, request.client_id, request.revision)
        return self.deps.vault.seal(key, details_of(request), binding)


def begin_acting(deps: Deps, c: Connection, client_id: str, by: str, action: str) -> Acting:
    """The actor works in the client's practice, in a role that acts on disclosures; otherwise
    the same refusal as for a client that does not exist, audited."""
    # Ids first: only an id may go into the append-only log, never words typed by mistake.
    require_id(client_id, "client_id")
    require_id(by, "by")
    practice = PracticeRepository(c)
    actor = practice.actor(by)
    client = practice.client(client_id)
    now = deps.clock.now()
    if (
        actor is None
        or client is None
        or actor.role not in PRACTICE_ROLES
        or actor.organisation_id != client.organisation_id
    ):
        _log_refusal(deps, c, by, client_id, action, "deny.disclosure.not_in_practice")
        refuse(c)
    return Acting(deps, c, actor, client, now, action)


def load_request(
    deps: Deps, c: Connection, request_id: str, by: str, action: str
) -> tuple[Acting, StoredRequest, DisclosureRequest]:
    """A stored request, for its requester or the practice's oversight; opened."""
    require_id(request_id, "request_id")
    require_id(by, "by")
    stored = DisclosuresRepository(c).get(request_id)
    if stored is None:
        _log_refusal(deps, c, by, None, action, "deny.disclosure.unknown_request")
        refuse(c)
    acting = begin_acting(deps, c, stored.client_id, by, action)
    key = KeysRepository(c).get(stored.client_id)
    if key is None or key.is_erased:
        _log_refusal(deps, c, by, stored.client_id, action, "vault.key_erased")
        c.commit()
        raise Conflict("this client's data key was erased; nothing of their record can be used")
    try:
        request = request_of(stored, open_details(deps, key, stored))
        recorded = DisclosuresRepository(c).last_step_revision(stored.client_id, request_id)
        if recorded != stored.revision:
            raise TamperedRequest(f"disclosure {request_id}: not the revision the log recorded")
    except (TamperedRequest, IntegrityError):
        # A security event: the row was changed or restored behind confide's back.
        security_log.error("disclosure request %s failed its integrity check", request_id)
        _log_refusal(deps, c, by, stored.client_id, action, "security.disclosure_integrity")
        c.commit()
        raise IntegrityError(f"disclosure {request_id}") from None
    if acting.actor.id != request.requested_by and acting.actor.role not in OVERSIGHT_ROLES:
        # Only its requester and the practice's supervisors and privacy officers act on a
        # request; to anyone else it is answered like a request that does not exist, so no
        # answer (a state, a rule) tells a colleague it is there.
        _log_refusal(deps, c, by, stored.client_id, action, "deny.disclosure.not_involved")
        refuse(c)
    return acting, stored, request


def _log_refusal(  # noqa: PLR0917 - the ids and codes of one event
    deps: Deps, c: Connection, by: str, client_id: str | None, action: str, rule: str
) -> None:
    log_event(
        deps,
        c,
        at=deps.clock.now(),
        by=by,
        client_id=client_id,
        action=action,
        effect="deny",
        rule=rule,
    )


def run_step(
    deps: Deps,
    request_id: str,
    by: str,
    action: str,
    step: Callable[[DisclosureRequest, Acting], DisclosureRequest],
) -> DisclosureRequest:
    """Load, apply one rule of the workflow, save and audit, in one transaction."""
    with deps.engine.begin() as c:
        acting, stored, request = load_request(deps, c, request_id, by, action)
        new = acting.refused(lambda: step(request, acting), request)
        acting.save(new, stored)
        acting.log_step(new)
    return new


def client_key(c: Connection, client_id: str) -> WrappedDataKey:
    """The client's data key; an erased client's requests can no longer be used."""
    key = KeysRepository(c).get(client_id)
    if key is None or key.is_erased:
        raise Conflict("this client's data key was erased; nothing of their record can be used")
    return key


def open_details(deps: Deps, key: WrappedDataKey, stored: StoredRequest) -> bytes:
    """A stored request's words, opened."""
    binding = _binding(str(stored.row.id), stored.client_id, stored.revision)
    return deps.vault.open(key, stored.sealed, binding)


def _binding(request_id: str, client_id: str, revision: int) -> RecordBinding:
    return RecordBinding(client_id, request_id, DETAILS_CATEGORY, revision)
