"""The privacy office: approvals, break-glass reviews, court orders, reports, the audit log.

Supervisors and privacy officers work from the queue (``disclosures.work_queue``); a requesting
clinician follows their own request on its page. Every read and every step goes through
``confide.services.disclosures``, which decides who may act and audits it; the buttons a page
shows are only the ones that make sense for the request's state and the person looking.

URLs carry opaque ids alone and titles name the page only: the justification, a reason or a note
travel in form bodies and appear in page bodies, never in a path, a query or a title. After a
step the answer is a 303 to the request's page with a fixed word (``?done=approved``) that maps to
a fixed sentence. The release is the exception: the package exists only in the release's answer
(the service keeps no copy), so that answer is the confirmation page itself, with the package
offered for download once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from confide.api.security import deps_of
from confide.domain import Category, ExceptionGround, InvalidValue, Role
from confide.domain.disclosures import (
    AFTER_DISCLOSURE,
    OPEN_STATES,
    DisclosureRequest,
    DisclosureState,
    ProcessKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.domain.validation import require_id
from confide.policy import disclosure_rules
from confide.policy.authentication import Scope
from confide.policy.minimum_necessary import GROUND_CITATION, MINIMUM_NECESSARY
from confide.policy.rule_packs import GROUND_KEYS, Duty, GroundRule, RulePack, Source
from confide.services import disclosures
from confide.services.accounts import Principal
from confide.services.audit_status import audit_status
from confide.services.disclosure_package import DisclosurePackage
from confide.services.disclosures import QueueItem
from confide.web.pages import ROLE_NAMES, render
from confide.web.session import Viewer

router = APIRouter(prefix="/office")

OVERSIGHT = frozenset({Role.SUPERVISOR, Role.PRIVACY_OFFICER})
WORDS = Annotated[str, Form(max_length=2000)]
SHORT = Annotated[str, Form(max_length=40)]

# The confirmation of each step: a fixed word in the URL, a fixed sentence on the page.
DONE = {
    "submitted": "Sent for approval. A second person of the practice decides next.",
    "approved": "Approved. The requester or the privacy officer can now release it.",
    "rejected": "Rejected. Your reason is kept with the request for its requester to read.",
    "withdrawn": "Withdrawn. Nothing was disclosed.",
    "reviewed": "Your review of this emergency disclosure is recorded.",
    "told": "Recorded: the client was told what was disclosed, to whom and why.",
    "withheld": "Recorded: the client is not told for now. The queue will bring it back on the "
    "review date.",
}

GROUND_NAMES = {
    ExceptionGround.IMMINENT_RISK_SELF: "Risk of serious harm to the client",
    ExceptionGround.IMMINENT_RISK_OTHERS: "Duty to warn or protect",
    ExceptionGround.ABUSE_NEGLECT: "Report of abuse or neglect",
    ExceptionGround.COURT_ORDER: "Court order",
}
STATE_NAMES = {
    DisclosureState.DRAFT: "draft, not yet sent for approval",
    DisclosureState.SUBMITTED: "waiting for approval",
    DisclosureState.APPROVED: "approved, not yet released",
    DisclosureState.REJECTED: "rejected",
    DisclosureState.WITHDRAWN: "withdrawn",
    DisclosureState.DISCLOSED: "released",
    DisclosureState.CLIENT_NOTIFIED: "released; the client was told",
    DisclosureState.NOTIFICATION_WITHHELD: "released; the client is not told for now",
}
FLAG_NAMES = {
    "awaiting_approval": "approval",
    "approved_not_released": "release",
    "report_due": "report due",
    "report_overdue": "report overdue",
    "review_due": "review of the emergency",
    "review_overdue": "review overdue",
    "client_notice_undecided": "decide whether the client is told",
    "withholding_review_due": "look again at not telling the client",
}
OUTCOME_NAMES = {ReviewOutcome.UPHELD: "upheld", ReviewOutcome.NOT_UPHELD: "not upheld"}

# Which form each field a service may name belongs to, and the input it points at.
FORM_FIELDS = {
    "rejection.reason": ("reject", "reject-reason"),
    "reason": ("reject", "reject-reason"),
    "review.outcome": ("review", "review-outcome"),
    "review.note": ("review", "review-note"),
    "notification.reason": ("withhold", "withhold-reason"),
    "notification.review_on": ("withhold", "withhold-review-on"),
}


# Plain words for time ----------------------------------------------------------------------------


def span(delta: timedelta) -> str:
    """A length of time as people say it: 3 days, 5 h 20 min, 12 min."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def time_left(deadline: datetime | None, now: datetime) -> tuple[str | None, bool]:
    """How long is left before ``deadline`` (or how late it is), and whether it has passed."""
    if deadline is None:
        return None, False
    if now > deadline:
        return f"overdue by {span(now - deadline)}", True
    return f"{span(deadline - now)} left", False


def ground_name(r: DisclosureRequest) -> str:
    """The request's ground as a short name, with the kind of victim and an emergency."""
    name = GROUND_NAMES[r.ground]
    if r.victim_kind is not None:
        name += f" ({r.victim_kind.value.replace('_', ' ')})"
    if r.emergency:
        name += " — emergency"
    return name


def role_names(roles: Iterable[Role]) -> str:
    """Roles in plain words: supervisor or privacy officer."""
    return " or ".join(ROLE_NAMES.get(role, role.value) for role in sorted(roles))


def release_by(r: DisclosureRequest) -> datetime | None:
    """When an approved request's approval lapses (its package can no longer be produced)."""
    if r.state is not DisclosureState.APPROVED or r.decided_at is None:
        return None
    return disclosure_rules.disclosure_window(r).end


# The queue ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One request in one section of the queue."""

    request_id: str
    client_id: str
    ground: str
    state: str
    needs: str
    deadline: datetime | None
    left: str | None
    overdue: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the queue: what it is for, its rows, and what it says when empty."""

    key: str
    heading: str
    hint: str
    empty: str
    deadline_label: str
    rows: list[Row]


def may_approve(r: DisclosureRequest, who: Principal, pack: RulePack) -> bool:
    """Whether ``who`` is a second person of a role the rule pack names for the ground."""
    if r.requested_by == who.actor_id:
        return False
    return who.role in pack.rule(r.ground, r.victim_kind).approvers


def _row(item: QueueItem, now: datetime, deadline: datetime | None, note: str | None = None) -> Row:
    r = item.request
    left, overdue = time_left(deadline, now)
    needs = ", ".join(FLAG_NAMES.get(f, f.replace("_", " ")) for f in item.flags)
    return Row(
        r.id, r.client_id, ground_name(r), STATE_NAMES[r.state], needs, deadline, left,
        overdue, note,
    )  # fmt: skip


def _notice_note(r: DisclosureRequest) -> str:
    if r.state is DisclosureState.NOTIFICATION_WITHHELD and r.withheld_until_review is not None:
        return f"Withheld; to be decided again on {r.withheld_until_review.isoformat()}"
    return "No decision recorded yet"


def queue_sections(
    items: Iterable[QueueItem], who: Principal, pack: RulePack, now: datetime
) -> list[Section]:
    """The work queue split into what the person looking must act on, soonest first."""
    approval: list[Row] = []
    reviews: list[Row] = []
    court: list[Row] = []
    reports: list[Row] = []
    release: list[Row] = []
    notice: list[Row] = []
    mine: list[Row] = []
    for item in items:
        r, flags = item.request, set(item.flags)
        own = r.requested_by == who.actor_id
        if "awaiting_approval" in flags and may_approve(r, who, pack):
            approval.append(_row(item, now, item.deadline))
        if flags & {"review_due", "review_overdue"} and not own:
            reviews.append(_row(item, now, r.review_due))
        if r.ground is ExceptionGround.COURT_ORDER:
            court.append(_row(item, now, release_by(r) or item.deadline))
        if flags & {"report_due", "report_overdue"}:
            reports.append(_row(item, now, disclosure_rules.report_deadline(r, pack)))
        if "approved_not_released" in flags:
            release.append(_row(item, now, release_by(r)))
        if flags & {"client_notice_undecided", "withholding_review_due"}:
            notice.append(_row(item, now, None, _notice_note(r)))
        if own:
            mine.append(_row(item, now, item.deadline))
    reports.sort(key=lambda row: (not row.overdue, row.deadline or now))
    return [
        Section(
            "approval", "Waiting for my approval",
            "Requests a second person of your role must approve or reject. The deadline is the "
            "law's reporting deadline, where there is one.",
            "Nothing is waiting for your approval.", "Deadline", approval,
        ),
        Section(
            "reviews", "Emergency disclosures to review",
            "Break-the-glass disclosures made at once by a treating clinician; a second person "
            "reviews each one by its deadline.",
            "No emergency disclosure is waiting for review.", "Review by", reviews,
        ),
        Section(
            "court", "Court orders",
            "Orders and subpoenas the practice is answering, whatever they need now.",
            "No court order needs attention.", "Deadline", court,
        ),
        Section(
            "reports", "Mandated reports due or overdue",
            "Reports of abuse or neglect: the statutory deadline runs from when the suspicion "
            "was recorded. Act on overdue ones today.",
            "No mandated report is due or overdue.", "Due by", reports,
        ),
        Section(
            "release", "Approved, waiting to be released",
            "The requester or the privacy officer releases the package; an approval lapses "
            f"after {disclosure_rules.DISCLOSURE_WINDOW.days} days.",
            "No approved request is waiting to be released.", "Release by", release,
        ),
        Section(
            "notice", "Telling the client",
            "Releases where the client has not been told, and decisions not to tell them that "
            "are due to be looked at again.",
            "No decision about telling a client is owed.", "Deadline", notice,
        ),
        Section(
            "mine", "My own open requests",
            "Requests you opened that someone must act on. A draft appears here once sent for "
            "approval.",
            "You have no open requests waiting on anyone.", "Deadline", mine,
        ),
    ]  # fmt: skip


@router.get("")
def queue(request: Request, who: Viewer) -> Response:
    """The work queue of a supervisor or privacy officer, in sections; for a clinician, how to
    follow their own requests."""
    who.require(Scope.DISCLOSURES)
    if who.role is Role.CLINICIAN:
        # The queue is oversight's (the service refuses anyone else); a clinician follows the
        # requests they opened, each on its own page.
        return render(request, "office/clinician.html", who, title="Disclosures")
    deps = deps_of(request)
    items = disclosures.work_queue(deps, by=who.actor_id)
    now = deps.clock.now()
    return render(
        request, "office/queue.html", who, title="Disclosures",
        sections=queue_sections(items, who, deps.rules, now), now=now, rules_name=deps.rules.name,
    )  # fmt: skip


@router.get("/find")
def find(who: Viewer, reference: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Go to a request by its reference (its opaque id); whether it may be seen is decided on
    its page."""
    who.require(Scope.DISCLOSURES)
    require_id(reference.strip(), "reference")
    return RedirectResponse(f"/office/disclosures/{reference.strip()}", status_code=303)


# One request -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actions:
    """Which steps make sense now for the person looking (the services decide each anyway)."""

    submit: bool = False
    approve: bool = False
    reject: bool = False
    withdraw: bool = False
    release: bool = False
    review: bool = False
    told: bool = False
    withhold: bool = False

    @property
    def any(self) -> bool:
        """Whether there is anything to do."""
        return any(
            (self.submit, self.approve, self.reject, self.withdraw, self.release, self.review,
             self.told, self.withhold)
        )  # fmt: skip


def actions_for(r: DisclosureRequest, who: Principal, pack: RulePack, now: datetime) -> Actions:
    """The steps to offer ``who`` on ``r``, mirroring the rules of ``disclosure_rules``."""
    mine = r.requested_by == who.actor_id
    oversight = who.role in OVERSIGHT
    officer = who.role is Role.PRIVACY_OFFICER
    rule = pack.rule(r.ground, r.victim_kind)
    approver = may_approve(r, who, pack)
    deciding = r.state is DisclosureState.SUBMITTED and not r.emergency and approver
    mandated = r.ground is ExceptionGround.ABUSE_NEGLECT and rule.duty is Duty.MANDATORY
    lapse = release_by(r)
    return Actions(
        submit=r.state is DisclosureState.DRAFT and not r.emergency and mine,
        approve=deciding,
        reject=deciding,
        withdraw=(
            r.state in OPEN_STATES and not r.emergency and (mine or (officer and not mandated))
        ),
        release=lapse is not None and now < lapse and (mine or officer),
        review=(r.emergency and r.reviewed_at is None and r.state in AFTER_DISCLOSURE and approver),
        told=(r.state is DisclosureState.DISCLOSED and (mine or oversight))
        or (r.state is DisclosureState.NOTIFICATION_WITHHELD and oversight),
        withhold=r.state in {DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD}
        and oversight,
    )


def allowed_categories(r: DisclosureRequest) -> frozenset[Category]:
    """What the ground's minimum necessary (and an order's scope) let this request reach."""
    allowed = MINIMUM_NECESSARY[r.ground]
    process = r.legal_process
    if process is not None:
        allowed &= process.categories
        if process.kind is ProcessKind.SUBPOENA:
            allowed -= {Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE}
        if not process.part2_findings:
            allowed -= {Category.SUBSTANCE_USE}
    return allowed


@dataclass(frozen=True, slots=True)
class ScopeRow:
    """One category: whether the request asks for it, and whether it may be reached at all."""

    label: str
    asked: bool
    allowed: bool


def scope_rows(r: DisclosureRequest) -> list[ScopeRow]:
    """Every category asked for or allowed, least sensitive first."""
    allowed = allowed_categories(r)
    return [
        ScopeRow(c.label, c in r.categories, c in allowed)
        for c in Category
        if c in r.categories or c in allowed
    ]


def psychotherapy_notes(r: DisclosureRequest) -> str:
    """Whether psychotherapy notes can be part of this request, in one sentence."""
    process = r.legal_process
    if process is None:
        return (
            "Psychotherapy notes are never part of a disclosure on this ground: only a court "
            "order that names them can reach them."
        )
    if process.kind is ProcessKind.SUBPOENA:
        return "A subpoena no court ordered can never reach psychotherapy notes: they are excluded."
    if Category.PSYCHOTHERAPY_NOTE in process.categories:
        return "The order's scope names psychotherapy notes: they may be disclosed if asked for."
    return "The order's scope does not name psychotherapy notes: they are excluded."


@dataclass(frozen=True, slots=True)
class Problem:
    """A step refused: which form, which field (and its input), and what to change."""

    form: str
    field: str
    text: str
    input_id: str | None = None


def problem_of(form: str, error: InvalidValue) -> Problem:
    """Place a service's refusal next to its field when it belongs to ``form``."""
    placed = FORM_FIELDS.get(error.field)
    if placed is not None and placed[0] == form:
        return Problem(form, error.field, error.problem, placed[1])
    return Problem(form, error.field, error.problem)


def _sources(pack: RulePack, rule: GroundRule) -> list[Source]:
    return [s for s in pack.sources if s.cite in rule.cite]


def _request_page(
    request: Request,
    who: Principal,
    request_id: str,
    *,
    done: str | None = None,
    problem: Problem | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    deps = deps_of(request)
    r = disclosures.view_request(deps, request_id, by=who.actor_id)
    now = deps.clock.now()
    flags, deadline = disclosures.flags_of(deps, r, now)
    left, overdue = time_left(deadline, now)
    rule = deps.rules.rule(r.ground, r.victim_kind)
    process = r.legal_process
    reasons = [
        (reason.value, reason.label)
        for reason in WithholdReason
        if reason is not WithholdReason.ORDER_FORBIDS
        or (process is not None and process.forbids_telling_client)
    ]
    context: dict[str, Any] = {
        "r": r,
        "ground": ground_name(r),
        "ground_words": r.ground.label,
        "state": STATE_NAMES[r.state],
        "rule": rule,
        "duty": "the law requires it" if rule.duty is Duty.MANDATORY else "the law allows it",
        "approvers": role_names(rule.approvers),
        "sources": _sources(deps.rules, rule),
        "federal": GROUND_CITATION[r.ground],
        "pack_name": deps.rules.name,
        "scope": scope_rows(r),
        "notes_rule": psychotherapy_notes(r),
        "notes_excluded": Category.PSYCHOTHERAPY_NOTE not in allowed_categories(r),
        "needs": [FLAG_NAMES.get(f, f) for f in flags],
        "deadline": deadline,
        "left": left,
        "overdue": overdue,
        "release_by": release_by(r),
        "withhold_due": disclosure_rules.is_notification_review_due(r, now),
        "actions": actions_for(r, who, deps.rules, now),
        "outcomes": [(o.value, OUTCOME_NAMES[o]) for o in ReviewOutcome],
        "outcome_name": None if r.review_outcome is None else OUTCOME_NAMES[r.review_outcome],
        "reasons": reasons,
        "done": DONE.get(done or ""),
        "problem": problem,
        "values": values or {},
        "earliest_review": now.date() + timedelta(days=1),
        "latest_review": (now + disclosure_rules.LONGEST_WITHHOLDING).date(),
    }
    status = 200 if problem is None else 422
    return render(
        request, "office/request.html", who, title="Disclosure request", status_code=status,
        **context,
    )  # fmt: skip


@router.get("/disclosures/{request_id}")
def request_page(
    request: Request, request_id: str, who: Viewer, done: str | None = None
) -> Response:
    """One request in full, for its requester or the practice's supervisors and privacy
    officers (the read is audited); anyone else gets the not-found page."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    return _request_page(request, who, request_id, done=done)


def _step(
    request: Request,
    who: Principal,
    request_id: str,
    *,
    form: str,
    done: str,
    run: Callable[[], object],
    values: dict[str, str] | None = None,
) -> Response:
    """Run one step; a refusal re-renders the page (422) with the problem by its field."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    try:
        run()
    except InvalidValue as e:
        problem = problem_of(form, e)
        return _request_page(request, who, request_id, problem=problem, values=values)
    return RedirectResponse(f"/office/disclosures/{request_id}?done={done}", status_code=303)


@router.post("/disclosures/{request_id}/submit")
def submit(request: Request, request_id: str, who: Viewer) -> Response:
    """The requester sends a draft for a second person's approval."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="submit", done="submitted",
        run=lambda: disclosures.submit_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/approve")
def approve(request: Request, request_id: str, who: Viewer) -> Response:
    """A second person of a role the rule pack names approves."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="approve", done="approved",
        run=lambda: disclosures.approve_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/reject")
def reject(request: Request, request_id: str, who: Viewer, reason: WORDS = "") -> Response:
    """A second person rejects a submitted request, saying why."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="reject", done="rejected", values={"reason": reason},
        run=lambda: disclosures.reject_request(deps, request_id, by=who.actor_id, reason=reason),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/withdraw")
def withdraw(request: Request, request_id: str, who: Viewer) -> Response:
    """The requester or the privacy officer withdraws a request not yet decided."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="withdraw", done="withdrawn",
        run=lambda: disclosures.withdraw_request(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/release")
def release(request: Request, request_id: str, who: Viewer) -> Response:
    """Produce the package of an approved request. The answer is the confirmation itself: the
    package's digests and, once, its two parts to download (nothing keeps a copy)."""
    who.require(Scope.DISCLOSURES)
    require_id(request_id, "request_id")
    deps = deps_of(request)
    try:
        done, package = disclosures.disclose(deps, request_id, by=who.actor_id)
    except InvalidValue as e:
        return _request_page(request, who, request_id, problem=problem_of("release", e))
    return released_page(request, who, done, package, f"/office/disclosures/{done.id}")


def released_page(
    request: Request,
    who: Principal,
    done: DisclosureRequest,
    package: DisclosurePackage,
    request_href: str,
) -> Response:
    """The answer to a release (or a break-the-glass): the digests and, this once, the two
    files to download. Nothing keeps a copy of the package."""
    pdf = base64.b64encode(package.pdf).decode("ascii")
    fhir = base64.b64encode(package.fhir_json).decode("ascii")
    return render(
        request, "office/released.html", who, title="Released",
        r=done, ground=ground_name(done), package=package, request_href=request_href,
        pdf_href=f"data:application/pdf;base64,{pdf}",
        fhir_href=f"data:application/fhir+json;base64,{fhir}",
    )  # fmt: skip


@router.post("/disclosures/{request_id}/review")
def review(
    request: Request, request_id: str, who: Viewer, outcome: SHORT = "", note: WORDS = ""
) -> Response:
    """A supervisor or privacy officer (never the clinician) reviews an emergency disclosure."""
    deps = deps_of(request)

    def run() -> object:
        if not outcome:
            raise InvalidValue("review.outcome", "choose upheld or not upheld")
        return disclosures.review_emergency(
            deps, request_id, by=who.actor_id, outcome=outcome, note=note
        )

    return _step(
        request, who, request_id, form="review", done="reviewed",
        values={"outcome": outcome, "note": note}, run=run,
    )  # fmt: skip


@router.post("/disclosures/{request_id}/client-told")
def client_told(request: Request, request_id: str, who: Viewer) -> Response:
    """Record that the client was told what was disclosed, to whom and why."""
    deps = deps_of(request)
    return _step(
        request, who, request_id, form="told", done="told",
        run=lambda: disclosures.record_client_told(deps, request_id, by=who.actor_id),
    )  # fmt: skip


@router.post("/disclosures/{request_id}/notice-withheld")
def notice_withheld(
    request: Request, request_id: str, who: Viewer, reason: SHORT = "", review_on: SHORT = ""
) -> Response:
    """A supervisor or the privacy officer records why the client is not told for now, and
    when to decide again."""
    deps = deps_of(request)

    def run() -> object:
        if not reason:
            raise InvalidValue("notification.reason", "choose why the client is not told for now")
        try:
            on = date.fromisoformat(review_on.strip())
        except ValueError:
            raise InvalidValue(
                "notification.review_on", "a date like 2027-01-15: after today and within a year"
            ) from None
        return disclosures.withhold_notice(
            deps, request_id, by=who.actor_id, reason=reason, review_on=on
        )

    return _step(
        request, who, request_id, form="withhold", done="withheld",
        values={"reason": reason, "review_on": review_on}, run=run,
    )  # fmt: skip


# The audit log and the rules ---------------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, who: Viewer) -> Response:
    """Whether the audit log is intact: every chain and checkpoint verified now (privacy
    officers and administrators; the asking is itself logged)."""
    who.require(Scope.AUDIT_READ)
    status = audit_status(deps_of(request), request.app.state.verify_key, by=who.actor_id)
    report = status.report
    problems = [b.describe() for b in report.breaks] + list(report.checkpoint_problems)
    return render(
        request, "office/audit.html", who, title="Audit log",
        report=report, problems=problems, last=status.last_checkpoint,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One ground of the rule pack in plain words."""

    ground: str
    duty: str
    approvers: str
    recipients: str
    deadline: str
    cite: str
    summary: str


@router.get("/rules")
def rules(request: Request, who: Viewer) -> Response:
    """The rule pack in force, in plain words."""
    who.require(Scope.DISCLOSURES)
    pack = deps_of(request).rules
    rows = []
    for ground, kind in GROUND_KEYS:
        rule = pack.grounds[(ground, kind)]
        name = GROUND_NAMES[ground] + ("" if kind is None else f" ({kind.value.replace('_', ' ')})")
        within = rule.report_within
        rows.append(
            RuleRow(
                ground=name,
                duty="required" if rule.duty is Duty.MANDATORY else "allowed",
                approvers=role_names(rule.approvers),
                recipients=", ".join(sorted(k.label for k in rule.recipients)),
                deadline="—" if within is None else f"within {span(within)}",
                cite=rule.cite,
                summary=rule.summary,
            )
        )
    return render(
        request, "office/rules.html", who, title="Rules in force",
        pack=pack, rows=rows, window=span(pack.break_glass_window),
        review_within=span(pack.break_glass_review_within),
    )  # fmt: skip
