"""The rules of each step of an exception disclosure (decision 0013). Pure: the caller gives the
time, the people and the rule pack; each function returns the next request or raises
``DisclosureRefused`` naming the field and what to do.

Who may open: the treating clinician for an imminent risk; any clinician for an abuse or neglect
report; the privacy officer for a court order (design §2). Who may approve: a second person, of a
role the rule pack names for the ground.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from confide.domain.actors import Actor
from confide.domain.codes import (
    CLINICAL_ROLES,
    EMERGENCY_GROUNDS,
    Category,
    ExceptionGround,
    Role,
)
from confide.domain.disclosures import (
    AFTER_DISCLOSURE,
    OPEN_STATES,
    DisclosureRequest,
    DisclosureState,
    ProcessKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.domain.errors import InvalidValue
from confide.domain.limits import Approval, BreakGlassGrant, ExceptionDisclosure
from confide.domain.period import Period
from confide.domain.validation import require_text
from confide.policy.minimum_necessary import MINIMUM_NECESSARY
from confide.policy.rule_packs import Duty, GroundRule, RulePack

# How long after approval the package may be produced; after that, approve again.
DISCLOSURE_WINDOW = timedelta(days=30)
# The longest a client may be left untold before the decision to withhold is reviewed.
LONGEST_WITHHOLDING = timedelta(days=366)
_SPECIALLY_PROTECTED_BY_SUBPOENA = frozenset({Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE})


class DisclosureRefused(InvalidValue):
    """A step of a disclosure was refused; ``field`` names what to change."""


@dataclass(frozen=True, slots=True)
class Requester:
    """The person asking, and whether they treat the client (decided by the caller)."""

    actor: Actor
    treats_client: bool
    same_practice: bool


def check_opening(request: DisclosureRequest, requester: Requester, pack: RulePack) -> None:
    """Everything a new request must satisfy: who opens it, its recipient and its scope."""
    _check_requester(request, requester)
    _check_recipient(request, pack, pack.rule(request.ground, request.victim_kind))
    check_scope(request)


def check_recipient_on_file(
    request: DisclosureRequest, recipient: Actor | None, practice_id: str
) -> None:
    """The recipient is a person on file as a recipient, outside the client's practice (at an
    agency, a court, the police, or a private person such as someone threatened): an exception
    disclosure leaves the practice, and never to another client or a colleague."""
    if (
        recipient is None
        or recipient.role is not Role.RECIPIENT
        or recipient.organisation_id == practice_id
    ):
        raise DisclosureRefused(
            "disclosure.recipient_id",
            "name a recipient on file: a person with the recipient role outside the practice "
            "(at an agency, a court or the police, or a private person); ask the privacy "
            "officer to add them",
        )


def check_records_period(request: DisclosureRequest, record_began: datetime, now: datetime) -> None:
    """The records period, if any, overlaps the client's record: from admission to now."""
    period = request.records_period
    if period is None:
        return
    if period.start > now or (period.end is not None and period.end <= record_began):
        raise DisclosureRefused(
            "disclosure.records_period",
            f"the client's record runs from {record_began:%Y-%m-%d} to today; give dates that "
            "overlap it, or leave the period out",
        )


def _check_recipient(request: DisclosureRequest, pack: RulePack, rule: GroundRule) -> None:
    if request.recipient_kind not in rule.recipients:
        raise DisclosureRefused(
            "disclosure.recipient_kind",
            f"{pack.name} allows a disclosure for {request.ground.label} only to "
            f"{_words(sorted(k.label for k in rule.recipients))} ({rule.cite})",
            allowed=sorted(k.value for k in rule.recipients),
        )


def _check_requester(request: DisclosureRequest, requester: Requester) -> None:
    actor = requester.actor
    if not requester.same_practice:
        raise DisclosureRefused(
            "disclosure.requested_by", "only the client's own practice can open a disclosure"
        )
    if request.ground in EMERGENCY_GROUNDS:
        if actor.role not in CLINICAL_ROLES or not requester.treats_client:
            raise DisclosureRefused(
                "disclosure.requested_by",
                "an imminent-risk disclosure is opened by the client's treating clinician",
            )
    elif request.ground is ExceptionGround.ABUSE_NEGLECT:
        if actor.role not in CLINICAL_ROLES:
            raise DisclosureRefused(
                "disclosure.requested_by", "an abuse or neglect report is opened by a clinician"
            )
    elif actor.role is not Role.PRIVACY_OFFICER:
        raise DisclosureRefused(
            "disclosure.requested_by", "a court order is answered by the privacy officer"
        )


def check_scope(request: DisclosureRequest) -> None:
    """The categories asked for fit the ground's minimum necessary, and the order's scope."""
    ground = request.ground
    if Category.PSYCHOTHERAPY_NOTE in request.categories and ground is not (
        ExceptionGround.COURT_ORDER
    ):
        # A practice choice stricter than HIPAA (design §2): 164.508(a)(2)(ii) would let a
        # serious threat reach psychotherapy notes, but what is needed to act on a risk or a
        # suspicion is in the risk assessment and the record (minimum necessary, 164.502(b)).
        raise DisclosureRefused(
            "disclosure.categories",
            f"psychotherapy notes are never part of a disclosure for {ground.label}: what is "
            "needed to act is in the rest of the record (45 CFR 164.502(b)); take them out",
        )
    beyond = request.categories - MINIMUM_NECESSARY[ground]
    if beyond:
        raise DisclosureRefused(
            "disclosure.categories",
            f"{_words(sorted(c.label for c in beyond))} go beyond the minimum necessary for "
            f"{ground.label} (45 CFR 164.502(b)); such a disclosure may hold only "
            f"{_words(sorted(c.label for c in MINIMUM_NECESSARY[ground]))}",
            allowed=sorted(c.value for c in MINIMUM_NECESSARY[ground]),
        )
    if request.legal_process is not None:
        _check_legal_process(request)


def _check_legal_process(request: DisclosureRequest) -> None:
    process = request.legal_process
    if process is None:
        return
    beyond = request.categories - process.categories
    if beyond:
        # HIPAA 164.512(e)(1)(i): only what the order expressly authorizes.
        raise DisclosureRefused(
            "disclosure.categories",
            f"{_words(sorted(c.label for c in beyond))} are not in the order's scope (45 CFR "
            "164.512(e)(1)(i)); disclose only what the order names",
            allowed=sorted(c.value for c in process.categories),
        )
    if process.kind is ProcessKind.SUBPOENA:
        protected = request.categories & _SPECIALLY_PROTECTED_BY_SUBPOENA
        if protected:
            raise DisclosureRefused(
                "disclosure.categories",
                f"a subpoena without a court order is not enough for "
                f"{_words(sorted(c.label for c in protected))} (45 CFR 164.508(a)(2); 42 CFR "
                "2.61): ask for a court order, or take them out",
            )
        if process.assurance is None:
            raise DisclosureRefused(
                "legal_process.assurance",
                "a subpoena needs a satisfactory assurance recorded (45 CFR 164.512(e)(1)(ii)): "
                "the client was notified and the time to object passed, or a qualified "
                "protective order",
            )
    if Category.SUBSTANCE_USE in request.categories and not process.part2_findings:
        raise DisclosureRefused(
            "legal_process.part2_findings",
            "substance-use records need an order with the court's findings under 42 CFR 2.64(d) "
            "and (e); record them, or take substance-use records out",
        )


def submit(request: DisclosureRequest, by: Actor, at: datetime) -> DisclosureRequest:
    """The requester sends a draft for approval."""
    _require_state(request, {DisclosureState.DRAFT}, "submit")
    if request.emergency:
        raise DisclosureRefused("disclosure.emergency", "an emergency is reviewed, not submitted")
    if by.id != request.requested_by:
        raise DisclosureRefused("disclosure.requested_by", "only the requester submits a draft")
    check_scope(request)
    return _next(request, state=DisclosureState.SUBMITTED, submitted_at=at)


@dataclass(frozen=True, slots=True)
class OnFile:
    """When and by whom a person was put on file (None when not recorded)."""

    added_at: datetime | None = None
    added_by: str | None = None


def check_approver(
    request: DisclosureRequest, approver: Actor, rule: GroundRule, on_file: OnFile = OnFile()
) -> None:
    """A second person, of a role the rule pack names for the ground, who was on file before
    the request was opened: an account made for the occasion is not a second person."""
    if on_file.added_at is not None and on_file.added_at > request.opened_at:
        raise DisclosureRefused(
            "approval.approver_id",
            "the approver was put on file after the request was opened; ask a colleague who "
            "was already on file",
        )
    if approver.id == request.requested_by:
        raise DisclosureRefused(
            "approval.approver_id",
            "the approver must be a second person, not the requester; ask a colleague",
        )
    if approver.role not in rule.approvers:
        raise DisclosureRefused(
            "approval.approver_id",
            f"a disclosure for {request.ground.label} is approved by a "
            f"{_words(sorted(r.value.replace('_', ' ') for r in rule.approvers), 'or')} "
            f"({rule.cite})",
            allowed=sorted(r.value for r in rule.approvers),
        )


def approve(
    request: DisclosureRequest,
    approver: Actor,
    at: datetime,
    pack: RulePack,
    on_file: OnFile = OnFile(),
) -> DisclosureRequest:
    """A second person approves a submitted request."""
    _require_state(request, {DisclosureState.SUBMITTED}, "approve")
    rule = pack.rule(request.ground, request.victim_kind)
    check_approver(request, approver, rule, on_file)
    check_scope(request)
    _check_recipient(request, pack, rule)
    return _next(request, state=DisclosureState.APPROVED, decided_by=approver.id, decided_at=at)


def reject(
    request: DisclosureRequest, approver: Actor, at: datetime, pack: RulePack, reason: str
) -> DisclosureRequest:
    """A second person rejects a submitted request, saying why."""
    _require_state(request, {DisclosureState.SUBMITTED}, "reject")
    check_approver(request, approver, pack.rule(request.ground, request.victim_kind))
    note = require_text(reason, "rejection.reason")
    return _next(
        request,
        state=DisclosureState.REJECTED,
        decided_by=approver.id,
        decided_at=at,
        decision_note=note,
    )


def withdraw(
    request: DisclosureRequest, by: Actor, at: datetime, pack: RulePack
) -> DisclosureRequest:
    """The requester (or the privacy officer) withdraws a request not yet decided; a mandated
    report only its reporter, whose legal duty it is."""
    _require_state(request, OPEN_STATES, "withdraw")
    if by.id != request.requested_by and by.role is not Role.PRIVACY_OFFICER:
        raise DisclosureRefused(
            "withdrawal.by", "only the requester or the privacy officer withdraws a request"
        )
    rule = pack.rule(request.ground, request.victim_kind)
    if (
        request.ground is ExceptionGround.ABUSE_NEGLECT
        and rule.duty is Duty.MANDATORY
        and by.id != request.requested_by
    ):
        raise DisclosureRefused(
            "withdrawal.by",
            f"a mandated report is its reporter's own duty ({rule.cite}); only they withdraw it",
        )
    return _next(request, state=DisclosureState.WITHDRAWN, decided_by=by.id, decided_at=at)


def disclosure_window(request: DisclosureRequest) -> Period:
    """When the package of an approved request may be produced."""
    if request.decided_at is None:
        raise DisclosureRefused("disclosure.state", "the request is not approved yet")
    return Period(request.decided_at, request.decided_at + DISCLOSURE_WINDOW)


def as_exception_disclosure(request: DisclosureRequest) -> ExceptionDisclosure:
    """The approved request as the fact the decision engine permits the recipient on."""
    _require_state(request, {DisclosureState.APPROVED}, "disclose")
    if request.decided_by is None or request.decided_at is None:
        raise DisclosureRefused("disclosure.decided_by", "an approved request names its approver")
    process = request.legal_process
    return ExceptionDisclosure(
        id=request.id,
        client_id=request.client_id,
        ground=request.ground,
        recipient_id=request.recipient_id,
        categories=request.categories,
        window=disclosure_window(request),
        requested_by=request.requested_by,
        justification=f"disclosure request {request.id}",
        approval=Approval(request.decided_by, request.decided_at),
        victim_kind=request.victim_kind,
        part2_court_findings=process is not None and process.part2_findings,
        notify_client=True,
        records_period=request.records_period,
    )


def approved_fact(request: DisclosureRequest, at: datetime) -> ExceptionDisclosure:
    """The approved request as the engine's fact, if its package can be produced now."""
    check_disclosable(request, at)
    return as_exception_disclosure(request)


def check_disclosable(request: DisclosureRequest, at: datetime) -> None:
    """The package of an approved request can be produced now."""
    _require_state(request, {DisclosureState.APPROVED}, "disclose")
    if not disclosure_window(request).contains(at):
        raise DisclosureRefused(
            "disclosure.decided_at",
            f"the approval lapsed after {DISCLOSURE_WINDOW.days} days; submit the request again",
        )


def mark_disclosed(
    request: DisclosureRequest, by: Actor, at: datetime, package_sha256: str
) -> DisclosureRequest:
    """The package was produced and handed over."""
    check_disclosable(request, at)
    return _next(
        request,
        state=DisclosureState.DISCLOSED,
        disclosed_by=by.id,
        disclosed_at=at,
        package_sha256=package_sha256,
    )


def break_the_glass(
    request: DisclosureRequest, requester: Requester, at: datetime, pack: RulePack
) -> tuple[DisclosureRequest, BreakGlassGrant]:
    """An emergency: the treating clinician discloses at once; a second person reviews it later.

    Returns the request, now an emergency owing a review, and the short grant under which the
    package is decided and produced."""
    if request.ground not in EMERGENCY_GROUNDS:
        raise DisclosureRefused(
            "disclosure.ground",
            "break-the-glass is only for an imminent risk of harm; use the approval route",
            allowed=sorted(g.value for g in EMERGENCY_GROUNDS),
        )
    _require_state(request, {DisclosureState.DRAFT}, "break the glass on")
    if request.emergency:
        raise DisclosureRefused("disclosure.emergency", "the glass is already broken")
    check_opening(request, requester, pack)
    emergency = _next(
        request,
        emergency=True,
        submitted_at=at,
        review_due=at + pack.break_glass_review_within,
    )
    return emergency, emergency_grant(emergency, pack)


def emergency_grant(request: DisclosureRequest, pack: RulePack) -> BreakGlassGrant:
    """The grant an emergency request was opened under."""
    if not request.emergency or request.submitted_at is None:
        raise DisclosureRefused("disclosure.emergency", "this request is not an emergency")
    return BreakGlassGrant(
        id=f"{request.id}.btg",
        clinician_id=request.requested_by,
        client_id=request.client_id,
        ground=request.ground,
        opened_at=request.submitted_at,
        expires_at=request.submitted_at + pack.break_glass_window,
        justification=f"disclosure request {request.id}",
    )


def check_emergency_disclosable(
    request: DisclosureRequest, by: Actor, at: datetime, pack: RulePack
) -> BreakGlassGrant:
    """The emergency package can be produced now: by its clinician, within the short window."""
    _require_state(request, {DisclosureState.DRAFT}, "disclose")
    grant = emergency_grant(request, pack)
    if by.id != request.requested_by:
        raise DisclosureRefused(
            "disclosure.requested_by", "only the clinician who broke the glass discloses"
        )
    if not grant.opened_at <= at < grant.expires_at:
        raise DisclosureRefused(
            "break_glass.expires_at",
            "the emergency window has closed; if the risk remains, open a new request",
        )
    return grant


def mark_emergency_disclosed(
    request: DisclosureRequest, by: Actor, at: datetime, pack: RulePack, package_sha256: str
) -> DisclosureRequest:
    """The emergency package was produced; the review is now owed."""
    check_emergency_disclosable(request, by, at, pack)
    return _next(
        request,
        state=DisclosureState.DISCLOSED,
        disclosed_by=by.id,
        disclosed_at=at,
        package_sha256=package_sha256,
    )


def review_emergency(
    request: DisclosureRequest,
    reviewer: Actor,
    at: datetime,
    pack: RulePack,
    *,
    outcome: ReviewOutcome,
    note: str,
    on_file: OnFile = OnFile(),
) -> DisclosureRequest:
    """A second person reviews an emergency disclosure after the fact."""
    if not request.emergency:
        raise DisclosureRefused("disclosure.emergency", "only emergency disclosures are reviewed")
    if request.reviewed_at is not None:
        raise DisclosureRefused("review", "this emergency disclosure was already reviewed")
    if request.state not in AFTER_DISCLOSURE:
        raise DisclosureRefused("disclosure.state", "nothing was disclosed yet to review")
    check_approver(request, reviewer, pack.rule(request.ground, request.victim_kind), on_file)
    return _next(
        request,
        reviewed_by=reviewer.id,
        reviewed_at=at,
        review_outcome=ReviewOutcome(outcome),
        review_note=require_text(note, "review.note"),
    )


def notify_client(request: DisclosureRequest, by: Actor, at: datetime) -> DisclosureRequest:
    """The client was told what was disclosed, to whom and why: recorded by the requester or
    a supervisor or privacy officer; after a decision to withhold, only by the latter."""
    _require_state(
        request, {DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD}, "notify on"
    )
    oversight = by.role in {Role.PRIVACY_OFFICER, Role.SUPERVISOR}
    withheld = request.state is DisclosureState.NOTIFICATION_WITHHELD
    if not oversight and (withheld or by.id != request.requested_by):
        raise DisclosureRefused(
            "notification.by",
            "the requester, a supervisor or the privacy officer records that the client was "
            "told; after a decision to withhold, a supervisor or the privacy officer",
        )
    return _next(
        request,
        state=DisclosureState.CLIENT_NOTIFIED,
        notified_at=at,
        withheld_reason=None,
        withheld_until_review=None,
    )


def withhold_notification(
    request: DisclosureRequest, by: Actor, at: datetime, reason: WithholdReason, review_on: date
) -> DisclosureRequest:
    """Not telling the client, for now: a recorded reason and a date to decide again."""
    _require_state(
        request,
        {DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD},
        "withhold notice of",
    )
    if by.role not in {Role.PRIVACY_OFFICER, Role.SUPERVISOR}:
        raise DisclosureRefused(
            "notification.by", "a supervisor or the privacy officer decides to withhold notice"
        )
    reason = WithholdReason(reason)
    process = request.legal_process
    if reason is WithholdReason.ORDER_FORBIDS and (
        process is None or not process.forbids_telling_client
    ):
        raise DisclosureRefused(
            "notification.reason", "no order on file forbids telling the client; give another"
        )
    if (
        not isinstance(review_on, date)
        or isinstance(review_on, datetime)
        or not at.date() < review_on <= (at + LONGEST_WITHHOLDING).date()
    ):
        raise DisclosureRefused(
            "notification.review_on",
            "a date after today and within a year, when the decision is looked at again",
        )
    return _next(
        request,
        state=DisclosureState.NOTIFICATION_WITHHELD,
        withheld_reason=reason,
        withheld_until_review=review_on,
    )


def report_deadline(request: DisclosureRequest, pack: RulePack) -> datetime | None:
    """When an abuse or neglect report is due: from when the suspicion was recorded."""
    if request.ground is not ExceptionGround.ABUSE_NEGLECT or request.suspected_at is None:
        return None
    within = pack.rule(request.ground, request.victim_kind).report_within
    return None if within is None else request.suspected_at + within


def is_report_overdue(request: DisclosureRequest, pack: RulePack, now: datetime) -> bool:
    """A mandated report not disclosed by its deadline."""
    deadline = report_deadline(request, pack)
    return (
        deadline is not None
        and now > deadline
        and request.state not in AFTER_DISCLOSURE
        and request.state not in {DisclosureState.REJECTED, DisclosureState.WITHDRAWN}
    )


def is_review_overdue(request: DisclosureRequest, now: datetime) -> bool:
    """An emergency disclosure whose review is late."""
    return (
        request.emergency
        and request.reviewed_at is None
        and request.review_due is not None
        and now > request.review_due
    )


def is_notification_review_due(request: DisclosureRequest, now: datetime) -> bool:
    """A decision to withhold notice whose review date has come."""
    return (
        request.state is DisclosureState.NOTIFICATION_WITHHELD
        and request.withheld_until_review is not None
        and now.date() >= request.withheld_until_review
    )


def _require_state(
    request: DisclosureRequest,
    allowed: set[DisclosureState] | frozenset[DisclosureState],
    verb: str,
) -> None:
    if request.state not in allowed:
        raise DisclosureRefused(
            "disclosure.state",
            f"cannot {verb} a request that is {request.state.value.replace('_', ' ')}",
            allowed=sorted(s.value for s in allowed),
        )


def _next(request: DisclosureRequest, **changes: object) -> DisclosureRequest:
    return replace(request, revision=request.revision + 1, **changes)  # type: ignore[arg-type]


def _words(items: list[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
