"""The limits of confidentiality as use cases (decision 0013): open, submit, approve or reject,
withdraw, disclose, break the glass, review, and tell the client or record why not.

Each use case runs in one transaction: the request's next state and its audit entry commit
together. A refused step (a rule of ``policy.disclosure_rules`` or a bad value) is audited and
committed, then raised with the field and the fix; someone outside the client's practice gets
the same answer as for a request that does not exist. The package is decided by the engine as
the recipient (or, in an emergency, as the clinician under a break-the-glass grant), so nothing
beyond the ground's minimum necessary and the order's scope can leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from confide.domain import (
    Category,
    ExceptionGround,
    InvalidValue,
    Period,
    Role,
    VictimKind,
)
from confide.domain.disclosures import (
    AFTER_DISCLOSURE,
    DisclosureRequest,
    DisclosureState,
    LegalProcess,
    RecipientKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.domain.validation import require_id
from confide.policy import disclosure_rules as rules
from confide.services.deps import Deps, new_id
from confide.services.disclosure_package import DisclosurePackage
from confide.services.disclosure_release import release_approved, release_emergency
from confide.services.disclosure_steps import (
    OVERSIGHT_ROLES,
    begin_acting,
    load_request,
    run_step,
)
from confide.services.events import log_event, refuse
from confide.store.disclosures_repository import DisclosuresRepository, request_codes_of
from confide.store.practice_repository import PracticeRepository

E = TypeVar("E", ReviewOutcome, WithholdReason)


@dataclass(frozen=True, slots=True)
class DisclosureAsk:
    """What a clinician or privacy officer asks to disclose, as they give it; codes may be
    strings, which the domain parses and refuses by field."""

    client_id: str
    ground: ExceptionGround | str
    recipient_id: str
    recipient_kind: RecipientKind | str
    categories: frozenset[Category] | frozenset[str]
    justification: str
    records_period: Period | None = None
    victim_kind: VictimKind | str | None = None
    suspected_at: datetime | None = None
    legal_process: LegalProcess | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A request that needs someone's attention, why, and by when."""

    request: DisclosureRequest
    flags: tuple[str, ...]
    deadline: datetime | None


def open_request(deps: Deps, ask: DisclosureAsk, *, by: str) -> DisclosureRequest:
    """Open a draft request; its scope and recipient are checked now, not only at approval."""
    with deps.engine.begin() as c:
        acting = begin_acting(deps, c, ask.client_id, by, "disclosure_open")
        request = acting.refused(lambda: _new(ask, by, acting.now))
        requester = acting.requester()
        acting.refused(lambda: rules.check_opening(request, requester, deps.rules), request)
        acting.check_recipient(request)
        acting.check_records_period(request)
        acting.add(request)
        acting.log_step(request)
    return request


def break_the_glass(
    deps: Deps, ask: DisclosureAsk, *, by: str
) -> tuple[DisclosureRequest, DisclosurePackage]:
    """An emergency: the treating clinician discloses the minimum necessary at once; a
    supervisor or privacy officer must review it within the rule pack's deadline."""
    with deps.engine.begin() as c:
        acting = begin_acting(deps, c, ask.client_id, by, "disclosure_break_glass")
        draft = acting.refused(lambda: _new(ask, by, acting.now))
        acting.check_recipient(draft)
        acting.check_records_period(draft)
        requester = acting.requester()
        emergency, grant = acting.refused(
            lambda: rules.break_the_glass(draft, requester, acting.now, deps.rules), draft
        )
        released = release_emergency(acting, emergency, grant)
        final = rules.mark_emergency_disclosed(
            emergency, acting.actor, acting.now, deps.rules, released.package.sha256
        )
        acting.add(final)
        acting.log_step(final)
    return final, released.package


def submit_request(deps: Deps, request_id: str, *, by: str) -> DisclosureRequest:
    """Send a draft for a second person's approval."""
    return run_step(
        deps, request_id, by, "disclosure_submit", lambda r, a: rules.submit(r, a.actor, a.now)
    )


def approve_request(deps: Deps, request_id: str, *, by: str) -> DisclosureRequest:
    """A second person, of a role the rule pack names, approves."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_approve",
        lambda r, a: rules.approve(r, a.actor, a.now, deps.rules, a.on_file()),
    )


def reject_request(deps: Deps, request_id: str, *, by: str, reason: str) -> DisclosureRequest:
    """A second person rejects, saying why."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_reject",
        lambda r, a: rules.reject(r, a.actor, a.now, deps.rules, reason),
    )


def withdraw_request(deps: Deps, request_id: str, *, by: str) -> DisclosureRequest:
    """The requester or the privacy officer withdraws a request not yet decided."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_withdraw",
        lambda r, a: rules.withdraw(r, a.actor, a.now, deps.rules),
    )


def review_emergency(
    deps: Deps, request_id: str, *, by: str, outcome: ReviewOutcome | str, note: str
) -> DisclosureRequest:
    """A supervisor or privacy officer reviews an emergency disclosure after the fact."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_review",
        lambda r, a: rules.review_emergency(
            r,
            a.actor,
            a.now,
            deps.rules,
            outcome=_code(ReviewOutcome, outcome, "review.outcome"),
            note=note,
            on_file=a.on_file(),
        ),
    )


def record_client_told(deps: Deps, request_id: str, *, by: str) -> DisclosureRequest:
    """The client was told what was disclosed, to whom and why."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_client_told",
        lambda r, a: rules.notify_client(r, a.actor, a.now),
    )


def withhold_notice(
    deps: Deps, request_id: str, *, by: str, reason: WithholdReason | str, review_on: date
) -> DisclosureRequest:
    """Not telling the client for now: a recorded reason and a date to decide again."""
    return run_step(
        deps,
        request_id,
        by,
        "disclosure_notice_withheld",
        lambda r, a: rules.withhold_notification(
            r, a.actor, a.now, _code(WithholdReason, reason, "notification.reason"), review_on
        ),
    )


def disclose(
    deps: Deps, request_id: str, *, by: str
) -> tuple[DisclosureRequest, DisclosurePackage]:
    """Produce the package of an approved request: exactly what the engine permits the
    recipient, within the records period; its digests go into the audit entry."""
    with deps.engine.begin() as c:
        acting, stored, request = load_request(deps, c, request_id, by, "disclosure_disclose")
        actor = acting.actor
        if actor.id != request.requested_by and actor.role is not Role.PRIVACY_OFFICER:
            acting.refuse(
                rules.DisclosureRefused(
                    "disclosure.disclosed_by", "the requester or the privacy officer discloses"
                ),
                request,
            )
        fact = acting.refused(lambda: rules.approved_fact(request, acting.now), request)
        released = release_approved(acting, request, fact)
        final = rules.mark_disclosed(request, actor, acting.now, released.package.sha256)
        acting.save(final, stored)
        acting.log_step(final)
    return final, released.package


def view_request(deps: Deps, request_id: str, *, by: str) -> DisclosureRequest:
    """One request, for its requester or the practice's supervisors and privacy officers."""
    with deps.engine.begin() as c:
        acting, _stored, request = load_request(deps, c, request_id, by, "disclosure_view")
        acting.log_step(request)
    return request


def work_queue(deps: Deps, *, by: str) -> list[QueueItem]:
    """What the practice's supervisors and privacy officer must act on: approvals, reports and
    their deadlines, emergency reviews, and clients not yet told. Items carry codes, ids and
    times; the sealed words read "(sealed)" (``view_request`` opens one, logged)."""
    require_id(by, "by")
    with deps.engine.begin() as c:
        actor = PracticeRepository(c).actor(by)
        now = deps.clock.now()
        allowed = actor is not None and actor.role in OVERSIGHT_ROLES
        log_event(
            deps,
            c,
            at=now,
            by=by,
            client_id=None,
            action="disclosure_queue",
            effect="permit" if allowed else "deny",
            rule="disclosure.queue" if allowed else "deny.disclosure.not_oversight",
        )
        if actor is None or not allowed or actor.organisation_id is None:
            refuse(c)
        items = []
        # Codes, ids and times only: the queue opens no sealed words, so it reads nothing of
        # any client's record (and works for a client whose key was erased).
        for stored in DisclosuresRepository(c).of_practice(actor.organisation_id):
            request = request_codes_of(stored)
            flags, deadline = flags_of(deps, request, now)
            if flags:
                items.append(QueueItem(request, flags, deadline))
    return sorted(items, key=lambda i: (i.deadline is None, i.deadline or now, i.request.id))


def flags_of(
    deps: Deps, request: DisclosureRequest, now: datetime
) -> tuple[tuple[str, ...], datetime | None]:
    """Why a request needs attention, and its nearest deadline."""
    flags = []
    deadline = rules.report_deadline(request, deps.rules)
    live = request.state not in AFTER_DISCLOSURE and request.state not in {
        DisclosureState.REJECTED,
        DisclosureState.WITHDRAWN,
    }
    if request.state is DisclosureState.SUBMITTED:
        flags.append("awaiting_approval")
    if request.state is DisclosureState.APPROVED:
        flags.append("approved_not_released")
    if rules.is_report_overdue(request, deps.rules, now):
        flags.append("report_overdue")
    elif deadline is not None and live:
        flags.append("report_due")
    if request.emergency and request.reviewed_at is None and request.state in AFTER_DISCLOSURE:
        flags.append("review_overdue" if rules.is_review_overdue(request, now) else "review_due")
        deadline = request.review_due
    if request.state is DisclosureState.DISCLOSED:
        flags.append("client_notice_undecided")
    if rules.is_notification_review_due(request, now):
        flags.append("withholding_review_due")
    return tuple(flags), deadline


def _new(ask: DisclosureAsk, by: str, now: datetime) -> DisclosureRequest:
    return DisclosureRequest(
        id=new_id("disc"),
        client_id=ask.client_id,
        ground=ask.ground,  # type: ignore[arg-type]  # parsed by the domain, naming the field
        recipient_id=ask.recipient_id,
        recipient_kind=ask.recipient_kind,  # type: ignore[arg-type]
        categories=ask.categories,  # type: ignore[arg-type]
        justification=ask.justification,
        requested_by=by,
        opened_at=now,
        records_period=ask.records_period,
        victim_kind=ask.victim_kind,  # type: ignore[arg-type]
        suspected_at=ask.suspected_at,
        legal_process=ask.legal_process,
    )


def _code(enum: type[E], value: object, field: str) -> E:
    try:
        return enum(str(value))
    except ValueError:
        raise InvalidValue(field, "unknown code", [e.value for e in enum]) from None
