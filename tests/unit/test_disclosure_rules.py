"""The steps of an exception disclosure (decision 0013): each transition the workflow allows,
each refusal with the field it names, the deadlines, and the shape of the request itself."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from confide.domain import (
    Actor,
    Category,
    ExceptionGround,
    InvalidValue,
    Period,
    Role,
    VictimKind,
)
from confide.domain.disclosures import (
    AFTER_DISCLOSURE,
    OPEN_STATES,
    Assurance,
    DisclosureRequest,
    DisclosureState,
    LegalProcess,
    ProcessKind,
    RecipientKind,
    ReviewOutcome,
    WithholdReason,
)
from confide.policy import MINIMUM_NECESSARY
from confide.policy.disclosure_rules import (
    DISCLOSURE_WINDOW,
    DisclosureRefused,
    OnFile,
    Requester,
    approve,
    approved_fact,
    as_exception_disclosure,
    break_the_glass,
    check_disclosable,
    check_emergency_disclosable,
    check_opening,
    check_recipient_on_file,
    check_scope,
    emergency_grant,
    is_notification_review_due,
    is_report_overdue,
    is_review_overdue,
    mark_disclosed,
    mark_emergency_disclosed,
    notify_client,
    reject,
    report_deadline,
    review_emergency,
    submit,
    withdraw,
    withhold_notification,
)
from confide.policy.rule_packs import RulePack
from confide.services.rule_packs import installed_pack
from tests.factories import (
    CLIENT,
    CLIN_A,
    CLIN_B,
    HOME,
    PRIVACY_A,
    RCPT,
    SECOND,
    STAFF_HOME,
    SUPER_A,
    T0,
    cats,
)

FEDERAL = installed_pack("us-federal")
CALIFORNIA = installed_pack("us-ca")
TEXAS = installed_pack("us-tx")

RISK_SELF = ExceptionGround.IMMINENT_RISK_SELF
RISK_OTHERS = ExceptionGround.IMMINENT_RISK_OTHERS
ABUSE = ExceptionGround.ABUSE_NEGLECT
COURT = ExceptionGround.COURT_ORDER
DEMO = Category.DEMOGRAPHICS
RISK = Category.RISK_ASSESSMENT
PROGRESS = Category.PROGRESS_NOTE
DIAGNOSIS = Category.DIAGNOSIS
PN = Category.PSYCHOTHERAPY_NOTE
SUD = Category.SUBSTANCE_USE

CLINICIAN = Actor(CLIN_A, Role.CLINICIAN, HOME)
OTHER_CLINICIAN = Actor(CLIN_B, Role.CLINICIAN, HOME)
SUPERVISOR = Actor(SUPER_A, Role.SUPERVISOR, HOME)
PRIVACY = Actor(PRIVACY_A, Role.PRIVACY_OFFICER, HOME)
PRIVACY_2 = Actor("privacy-b", Role.PRIVACY_OFFICER, HOME)
STAFF = Actor(STAFF_HOME, Role.STAFF, HOME)
ACTORS = {a.id: a for a in (CLINICIAN, OTHER_CLINICIAN, SUPERVISOR, PRIVACY, PRIVACY_2, STAFF)}

OPENED = T0 + timedelta(days=3)
SUSPECTED = OPENED - timedelta(hours=2)
SUBMITTED = OPENED + timedelta(hours=1)
DECIDED = OPENED + timedelta(hours=2)
DISCLOSED = OPENED + timedelta(hours=3)
NOTIFIED = OPENED + timedelta(days=1)
SHA = "ab" * 32

DEFAULT_REQUESTER = {RISK_SELF: CLIN_A, RISK_OTHERS: CLIN_A, ABUSE: CLIN_A, COURT: PRIVACY_A}
DEFAULT_RECIPIENT = {
    RISK_SELF: RecipientKind.EMERGENCY_SERVICES,
    RISK_OTHERS: RecipientKind.LAW_ENFORCEMENT,
    ABUSE: RecipientKind.CHILD_PROTECTIVE_AGENCY,
    COURT: RecipientKind.COURT,
}
DEFAULT_CATEGORIES = {
    RISK_SELF: cats(DEMO, RISK),
    RISK_OTHERS: cats(DEMO, RISK),
    ABUSE: cats(DEMO, PROGRESS),
    COURT: cats(DIAGNOSIS),
}


def order(**changes: Any) -> LegalProcess:
    """A court order naming diagnoses and treatment plans, as served."""
    fields: dict[str, Any] = {
        "kind": ProcessKind.COURT_ORDER,
        "court": "synthetic court",
        "case_number": "case-1",
        "issued_on": date(2025, 12, 20),
        "issued_by": "synthetic judge",
        "scope": "synthetic scope",
        "categories": cats(DIAGNOSIS, Category.TREATMENT_PLAN),
    }
    fields.update(changes)
    return LegalProcess(**fields)


def subpoena(**changes: Any) -> LegalProcess:
    """A subpoena no court ordered, with a qualified protective order by default."""
    return order(
        **{
            "kind": ProcessKind.SUBPOENA,
            "assurance": Assurance.QUALIFIED_PROTECTIVE_ORDER,
            **changes,
        }
    )


def draft(ground: ExceptionGround = RISK_OTHERS, /, **changes: Any) -> DisclosureRequest:
    """A valid draft for ``ground``, opened by the usual requester to the usual recipient."""
    fields: dict[str, Any] = {
        "id": "dr-1",
        "client_id": CLIENT,
        "ground": ground,
        "recipient_id": RCPT,
        "recipient_kind": DEFAULT_RECIPIENT[ground],
        "categories": DEFAULT_CATEGORIES[ground],
        "justification": "synthetic justification",
        "requested_by": DEFAULT_REQUESTER[ground],
        "opened_at": OPENED,
    }
    if ground is ABUSE:
        fields.update(victim_kind=VictimKind.CHILD, suspected_at=SUSPECTED)
    if ground is COURT:
        fields.update(legal_process=order())
    fields.update(changes)
    return DisclosureRequest(**fields)


def in_state(state: DisclosureState, ground: ExceptionGround = RISK_OTHERS) -> DisclosureRequest:
    """A request of ``ground`` in ``state`` (only the state changed, for checks of state)."""
    return dataclasses.replace(draft(ground), state=state)


def submitted(request: DisclosureRequest | None = None) -> DisclosureRequest:
    request = draft() if request is None else request
    return submit(request, ACTORS[request.requested_by], SUBMITTED)


def approved(
    request: DisclosureRequest | None = None,
    approver: Actor | None = None,
    pack: RulePack = FEDERAL,
) -> DisclosureRequest:
    """Submitted and approved by a privacy officer who is not the requester."""
    request = submitted(request)
    if approver is None:
        approver = PRIVACY_2 if request.requested_by == PRIVACY_A else PRIVACY
    return approve(request, approver, DECIDED, pack)


def disclosed(request: DisclosureRequest | None = None) -> DisclosureRequest:
    return mark_disclosed(approved(request), PRIVACY, DISCLOSED, SHA)


def treating(actor: Actor = CLINICIAN) -> Requester:
    return Requester(actor, treats_client=True, same_practice=True)


def emergency(ground: ExceptionGround = RISK_OTHERS) -> DisclosureRequest:
    """A request disclosed under break-the-glass, owing its review."""
    opened, _ = break_the_glass(draft(ground), treating(), OPENED, FEDERAL)
    return mark_emergency_disclosed(opened, CLINICIAN, OPENED + timedelta(minutes=5), FEDERAL, SHA)


def refusal(call: Any, *args: Any, **kwargs: Any) -> DisclosureRefused:
    with pytest.raises(DisclosureRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def invalid(**changes: Any) -> InvalidValue:
    ground = changes.pop("ground_for_defaults", RISK_OTHERS)
    with pytest.raises(InvalidValue) as caught:
        draft(ground, **changes)
    return caught.value


# --- the life of a request ----------------------------------------------------------------


def test_a_new_request_is_a_draft_at_revision_one() -> None:
    request = draft()

    assert request.state is DisclosureState.DRAFT
    assert request.revision == 1
    assert not request.emergency


def test_the_requester_submits_a_draft() -> None:
    request = submit(draft(), CLINICIAN, SUBMITTED)

    assert request.state is DisclosureState.SUBMITTED
    assert request.submitted_at == SUBMITTED
    assert request.revision == 2


def test_a_second_person_of_the_packs_role_approves_a_submitted_request() -> None:
    request = approve(submitted(), SUPERVISOR, DECIDED, FEDERAL)

    assert request.state is DisclosureState.APPROVED
    assert request.decided_by == SUPER_A
    assert request.decided_at == DECIDED
    assert request.revision == 3


def test_an_approved_request_is_disclosed_within_its_window() -> None:
    request = mark_disclosed(approved(), PRIVACY, DISCLOSED, SHA)

    assert request.state is DisclosureState.DISCLOSED
    assert request.disclosed_by == PRIVACY_A
    assert request.disclosed_at == DISCLOSED
    assert request.package_sha256 == SHA
    assert request.revision == 4


def test_the_client_is_told_of_a_disclosure() -> None:
    request = notify_client(disclosed(), PRIVACY, NOTIFIED)

    assert request.state is DisclosureState.CLIENT_NOTIFIED
    assert request.notified_at == NOTIFIED
    assert request.revision == 5


def test_a_submitted_request_is_rejected_with_a_reason() -> None:
    request = reject(submitted(), PRIVACY, DECIDED, FEDERAL, "synthetic reason")

    assert request.state is DisclosureState.REJECTED
    assert request.decided_by == PRIVACY_A
    assert request.decided_at == DECIDED
    assert request.decision_note == "synthetic reason"
    assert request.revision == 3


@pytest.mark.parametrize("state", [DisclosureState.DRAFT, DisclosureState.SUBMITTED])
def test_the_requester_withdraws_a_request_not_yet_decided(state: DisclosureState) -> None:
    before = draft() if state is DisclosureState.DRAFT else submitted()

    request = withdraw(before, CLINICIAN, DECIDED, FEDERAL)

    assert request.state is DisclosureState.WITHDRAWN
    assert request.decided_by == CLIN_A
    assert request.revision == before.revision + 1


def test_the_privacy_officer_withdraws_another_persons_request() -> None:
    request = withdraw(submitted(), PRIVACY, DECIDED, FEDERAL)

    assert request.state is DisclosureState.WITHDRAWN
    assert request.decided_by == PRIVACY_A


def test_notice_may_be_withheld_for_a_while_and_the_client_told_later() -> None:
    review_on = (DISCLOSED + timedelta(days=90)).date()

    withheld = withhold_notification(
        disclosed(), SUPERVISOR, DISCLOSED, WithholdReason.RISK_TO_CLIENT, review_on
    )
    told = notify_client(withheld, PRIVACY, NOTIFIED)

    assert withheld.state is DisclosureState.NOTIFICATION_WITHHELD
    assert withheld.withheld_reason is WithholdReason.RISK_TO_CLIENT
    assert withheld.withheld_until_review == review_on
    assert withheld.revision == 5
    assert told.state is DisclosureState.CLIENT_NOTIFIED
    assert told.withheld_reason is None
    assert told.withheld_until_review is None
    assert told.revision == 6


def test_a_decision_to_withhold_may_be_renewed_at_its_review() -> None:
    first = withhold_notification(
        disclosed(), PRIVACY, DISCLOSED, WithholdReason.RISK_TO_OTHERS, date(2026, 2, 1)
    )
    at = datetime.combine(date(2026, 2, 1), datetime.min.time(), OPENED.tzinfo)

    second = withhold_notification(
        first, PRIVACY, at, WithholdReason.RISK_TO_CLIENT, date(2026, 5, 1)
    )

    assert second.state is DisclosureState.NOTIFICATION_WITHHELD
    assert second.withheld_until_review == date(2026, 5, 1)
    assert second.revision == first.revision + 1


def test_break_the_glass_opens_an_emergency_that_owes_a_review() -> None:
    request, grant = break_the_glass(draft(RISK_SELF), treating(), OPENED, FEDERAL)

    assert request.emergency
    assert request.state is DisclosureState.DRAFT
    assert request.submitted_at == OPENED
    assert request.review_due == OPENED + FEDERAL.break_glass_review_within
    assert request.revision == 2
    assert grant.clinician_id == CLIN_A
    assert grant.client_id == CLIENT
    assert grant.ground is RISK_SELF
    assert grant.opened_at == OPENED
    assert grant.expires_at == OPENED + FEDERAL.break_glass_window
    assert emergency_grant(request, FEDERAL) == grant


def test_an_emergency_is_disclosed_at_once_by_its_clinician_and_reviewed_after() -> None:
    opened, grant = break_the_glass(draft(), treating(), OPENED, FEDERAL)
    at = OPENED + timedelta(minutes=5)

    assert check_emergency_disclosable(opened, CLINICIAN, at, FEDERAL) == grant
    request = mark_emergency_disclosed(opened, CLINICIAN, at, FEDERAL, SHA)
    reviewed = review_emergency(
        request,
        SUPERVISOR,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert request.state is DisclosureState.DISCLOSED
    assert request.disclosed_by == CLIN_A
    assert request.disclosed_at == at
    assert request.package_sha256 == SHA
    assert request.revision == 3
    assert reviewed.state is DisclosureState.DISCLOSED
    assert reviewed.reviewed_by == SUPER_A
    assert reviewed.reviewed_at == NOTIFIED
    assert reviewed.review_outcome is ReviewOutcome.UPHELD
    assert reviewed.review_note == "synthetic note"
    assert reviewed.revision == 4
    assert notify_client(reviewed, PRIVACY, NOTIFIED).state is DisclosureState.CLIENT_NOTIFIED


def test_every_transition_increments_the_revision_by_one() -> None:
    steps = [draft()]
    steps.append(submit(steps[-1], CLINICIAN, SUBMITTED))
    steps.append(approve(steps[-1], PRIVACY, DECIDED, FEDERAL))
    steps.append(mark_disclosed(steps[-1], PRIVACY, DISCLOSED, SHA))
    steps.append(
        withhold_notification(
            steps[-1], PRIVACY, DISCLOSED, WithholdReason.RISK_TO_CLIENT, date(2026, 3, 1)
        )
    )
    steps.append(notify_client(steps[-1], PRIVACY, NOTIFIED))

    assert [s.revision for s in steps] == [1, 2, 3, 4, 5, 6]


# --- refused in the wrong state -----------------------------------------------------------

ALL_STATES = list(DisclosureState)


def _others(*allowed: DisclosureState) -> list[DisclosureState]:
    return [s for s in ALL_STATES if s not in allowed]


@pytest.mark.parametrize("state", _others(DisclosureState.DRAFT))
def test_only_a_draft_is_submitted(state: DisclosureState) -> None:
    error = refusal(submit, in_state(state), CLINICIAN, SUBMITTED)

    assert error.field == "disclosure.state"
    assert error.allowed == ("draft",)


@pytest.mark.parametrize("state", _others(DisclosureState.SUBMITTED))
def test_only_a_submitted_request_is_approved(state: DisclosureState) -> None:
    error = refusal(approve, in_state(state), PRIVACY, DECIDED, FEDERAL)

    assert error.field == "disclosure.state"
    assert error.allowed == ("submitted",)


@pytest.mark.parametrize("state", _others(DisclosureState.SUBMITTED))
def test_only_a_submitted_request_is_rejected(state: DisclosureState) -> None:
    error = refusal(reject, in_state(state), PRIVACY, DECIDED, FEDERAL, "synthetic reason")

    assert error.field == "disclosure.state"


@pytest.mark.parametrize("state", _others(*OPEN_STATES))
def test_a_decided_request_cannot_be_withdrawn(state: DisclosureState) -> None:
    error = refusal(withdraw, in_state(state), CLINICIAN, DECIDED, FEDERAL)

    assert error.field == "disclosure.state"
    assert set(error.allowed) == {"draft", "submitted"}


@pytest.mark.parametrize("state", _others(DisclosureState.APPROVED))
def test_only_an_approved_request_is_disclosed(state: DisclosureState) -> None:
    request = dataclasses.replace(approved(), state=state)

    assert refusal(mark_disclosed, request, PRIVACY, DISCLOSED, SHA).field == "disclosure.state"
    assert refusal(as_exception_disclosure, request).field == "disclosure.state"


@pytest.mark.parametrize(
    "state", _others(DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD)
)
def test_the_client_is_told_only_of_a_disclosure_made(state: DisclosureState) -> None:
    assert refusal(notify_client, in_state(state), PRIVACY, NOTIFIED).field == "disclosure.state"


@pytest.mark.parametrize(
    "state", _others(DisclosureState.DISCLOSED, DisclosureState.NOTIFICATION_WITHHELD)
)
def test_notice_is_withheld_only_of_a_disclosure_made(state: DisclosureState) -> None:
    error = refusal(
        withhold_notification,
        in_state(state),
        PRIVACY,
        DISCLOSED,
        WithholdReason.RISK_TO_CLIENT,
        date(2026, 3, 1),
    )

    assert error.field == "disclosure.state"


@pytest.mark.parametrize("state", _others(DisclosureState.DRAFT))
def test_the_glass_is_broken_only_on_a_draft(state: DisclosureState) -> None:
    error = refusal(break_the_glass, in_state(state), treating(), OPENED, FEDERAL)

    assert error.field == "disclosure.state"


@pytest.mark.parametrize("state", _others(DisclosureState.DRAFT))
def test_an_emergency_package_is_produced_only_once(state: DisclosureState) -> None:
    opened, _ = break_the_glass(draft(), treating(), OPENED, FEDERAL)
    request = dataclasses.replace(opened, state=state)

    error = refusal(check_emergency_disclosable, request, CLINICIAN, OPENED, FEDERAL)

    assert error.field == "disclosure.state"


def test_an_emergency_not_yet_disclosed_is_not_reviewed() -> None:
    opened, _ = break_the_glass(draft(), treating(), OPENED, FEDERAL)

    error = refusal(
        review_emergency,
        opened,
        SUPERVISOR,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert error.field == "disclosure.state"


def test_a_request_that_is_not_an_emergency_is_not_reviewed() -> None:
    error = refusal(
        review_emergency,
        disclosed(),
        SUPERVISOR,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert error.field == "disclosure.emergency"


def test_an_emergency_is_reviewed_once() -> None:
    once = review_emergency(
        emergency(),
        SUPERVISOR,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.NOT_UPHELD,
        note="synthetic note",
    )

    error = refusal(
        review_emergency,
        once,
        PRIVACY,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert error.field == "review"


# --- who submits, approves, rejects, withdraws, reviews -----------------------------------


def test_only_the_requester_submits_a_draft() -> None:
    assert refusal(submit, draft(), OTHER_CLINICIAN, SUBMITTED).field == "disclosure.requested_by"


def test_an_approver_cannot_approve_their_own_request() -> None:
    # A supervisor treating the client opens a risk disclosure, then tries to approve it.
    request = submitted(draft(requested_by=SUPER_A))

    error = refusal(approve, request, SUPERVISOR, DECIDED, FEDERAL)

    assert error.field == "approval.approver_id"
    assert "second person" in error.problem


def test_the_privacy_officer_cannot_approve_their_own_court_order_request() -> None:
    request = submitted(draft(COURT))

    assert refusal(approve, request, PRIVACY, DECIDED, FEDERAL).field == "approval.approver_id"
    assert approve(request, PRIVACY_2, DECIDED, FEDERAL).decided_by == "privacy-b"


def test_a_clinician_cannot_approve_a_disclosure() -> None:
    error = refusal(approve, submitted(), OTHER_CLINICIAN, DECIDED, FEDERAL)

    assert error.field == "approval.approver_id"
    assert error.allowed == ("privacy_officer", "supervisor")
    assert "45 CFR 164.512(j)(1)(i)" in error.problem


def test_a_supervisor_cannot_approve_an_abuse_report_under_the_federal_pack() -> None:
    error = refusal(approve, submitted(draft(ABUSE)), SUPERVISOR, DECIDED, FEDERAL)

    assert error.field == "approval.approver_id"
    assert error.allowed == ("privacy_officer",)
    assert "privacy officer" in error.problem


def test_the_privacy_officer_approves_an_abuse_report() -> None:
    request = approve(submitted(draft(ABUSE)), PRIVACY, DECIDED, FEDERAL)

    assert request.state is DisclosureState.APPROVED


def test_the_requester_cannot_reject_their_own_request() -> None:
    request = submitted(draft(requested_by=SUPER_A))

    error = refusal(reject, request, SUPERVISOR, DECIDED, FEDERAL, "synthetic reason")

    assert error.field == "approval.approver_id"


def test_a_clinician_cannot_reject_a_disclosure() -> None:
    error = refusal(reject, submitted(), OTHER_CLINICIAN, DECIDED, FEDERAL, "synthetic reason")

    assert error.field == "approval.approver_id"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        reject(submitted(), PRIVACY, DECIDED, FEDERAL, reason)

    assert caught.value.field == "rejection.reason"


@pytest.mark.parametrize("by", [OTHER_CLINICIAN, SUPERVISOR, STAFF])
def test_only_the_requester_or_the_privacy_officer_withdraws(by: Actor) -> None:
    assert refusal(withdraw, submitted(), by, DECIDED, FEDERAL).field == "withdrawal.by"


def test_the_clinician_who_broke_the_glass_cannot_review_it() -> None:
    opened, _ = break_the_glass(draft(requested_by=SUPER_A), treating(SUPERVISOR), OPENED, FEDERAL)
    request = mark_emergency_disclosed(opened, SUPERVISOR, OPENED, FEDERAL, SHA)

    error = refusal(
        review_emergency,
        request,
        SUPERVISOR,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert error.field == "approval.approver_id"


def test_a_clinician_cannot_review_an_emergency() -> None:
    error = refusal(
        review_emergency,
        emergency(),
        OTHER_CLINICIAN,
        NOTIFIED,
        FEDERAL,
        outcome=ReviewOutcome.UPHELD,
        note="synthetic note",
    )

    assert error.field == "approval.approver_id"


# --- scope: minimum necessary, psychotherapy notes, the order ------------------------------


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_a_scope_beyond_the_minimum_necessary_is_refused_naming_the_extra_categories(
    ground: ExceptionGround,
) -> None:
    request = draft(ground, categories=cats(DEMO, DIAGNOSIS, Category.MEDICATION))

    error = refusal(check_scope, request)

    assert error.field == "disclosure.categories"
    assert "diagnoses and medication go beyond the minimum necessary" in error.problem
    assert "164.502(b)" in error.problem
    assert error.allowed == tuple(sorted(c.value for c in MINIMUM_NECESSARY[ground]))


def test_a_scope_beyond_the_minimum_necessary_is_refused_on_opening() -> None:
    request = draft(categories=cats(RISK, Category.BILLING))

    error = refusal(check_opening, request, treating(), FEDERAL)

    assert error.field == "disclosure.categories"
    assert "billing" in error.problem


def test_a_scope_beyond_the_minimum_necessary_is_refused_on_submitting() -> None:
    request = draft(categories=cats(RISK, Category.BILLING))

    assert refusal(submit, request, CLINICIAN, SUBMITTED).field == "disclosure.categories"


def test_a_scope_beyond_the_minimum_necessary_is_refused_on_approving() -> None:
    request = dataclasses.replace(
        draft(), state=DisclosureState.SUBMITTED, categories=cats(RISK, Category.BILLING)
    )

    assert refusal(approve, request, PRIVACY, DECIDED, FEDERAL).field == "disclosure.categories"


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_psychotherapy_notes_are_never_part_of_a_risk_or_abuse_request(
    ground: ExceptionGround,
) -> None:
    error = refusal(check_scope, draft(ground, categories=cats(RISK, PN)))

    assert error.field == "disclosure.categories"
    assert "psychotherapy notes" in error.problem
    assert "164.502(b)" in error.problem


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_the_minimum_necessary_of_each_ground_is_accepted(ground: ExceptionGround) -> None:
    request = draft(ground, categories=MINIMUM_NECESSARY[ground])

    check_scope(request)
    check_opening(request, treating(), FEDERAL)


def test_a_court_order_request_is_refused_beyond_the_orders_categories() -> None:
    request = draft(COURT, categories=cats(DIAGNOSIS, Category.MEDICATION))

    error = refusal(check_scope, request)

    assert error.field == "disclosure.categories"
    assert "medication are not in the order's scope" in error.problem
    assert "164.512(e)(1)(i)" in error.problem
    assert error.allowed == ("diagnosis", "treatment_plan")


def test_a_court_order_request_reaches_psychotherapy_notes_only_when_the_order_names_them() -> None:
    named = draft(COURT, categories=cats(PN), legal_process=order(categories=cats(PN, DIAGNOSIS)))
    unnamed = draft(COURT, categories=cats(PN))

    check_scope(named)
    assert refusal(check_scope, unnamed).field == "disclosure.categories"


@pytest.mark.parametrize("category", [PN, SUD])
def test_a_subpoena_is_never_enough_for_psychotherapy_notes_or_substance_use_records(
    category: Category,
) -> None:
    process = subpoena(categories=cats(category, DIAGNOSIS), part2_findings=True)
    request = draft(COURT, categories=cats(category), legal_process=process)

    error = refusal(check_scope, request)

    assert error.field == "disclosure.categories"
    assert "a subpoena without a court order is not enough" in error.problem


def test_a_subpoena_without_a_satisfactory_assurance_is_refused() -> None:
    request = draft(COURT, legal_process=subpoena(assurance=None))

    error = refusal(check_scope, request)

    assert error.field == "legal_process.assurance"
    assert "164.512(e)(1)(ii)" in error.problem


@pytest.mark.parametrize("assurance", list(Assurance))
def test_a_subpoena_with_a_satisfactory_assurance_is_accepted(assurance: Assurance) -> None:
    check_scope(draft(COURT, legal_process=subpoena(assurance=assurance)))


def test_substance_use_records_need_the_courts_part2_findings() -> None:
    process = order(categories=cats(SUD, DIAGNOSIS))
    request = draft(COURT, categories=cats(SUD), legal_process=process)

    error = refusal(check_scope, request)

    assert error.field == "legal_process.part2_findings"
    assert "42 CFR 2.64(d)" in error.problem


def test_substance_use_records_with_the_part2_findings_are_accepted() -> None:
    process = order(categories=cats(SUD, DIAGNOSIS), part2_findings=True)

    check_scope(draft(COURT, categories=cats(SUD), legal_process=process))


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_substance_use_records_are_beyond_a_risk_or_abuse_request(
    ground: ExceptionGround,
) -> None:
    error = refusal(check_scope, draft(ground, categories=cats(SUD)))

    assert error.field == "disclosure.categories"
    assert "substance-use records go beyond the minimum necessary" in error.problem


# --- recipients, by rule pack -------------------------------------------------------------


def test_texas_refuses_a_warning_to_the_person_threatened_citing_its_statute() -> None:
    request = draft(RISK_OTHERS, recipient_kind=RecipientKind.POTENTIAL_VICTIM)

    error = refusal(check_opening, request, treating(), TEXAS)

    assert error.field == "disclosure.recipient_kind"
    assert "Tex. Health & Safety Code § 611.004(a)(2)" in error.problem
    assert "Texas" in error.problem
    assert error.allowed == ("emergency_services", "law_enforcement")


@pytest.mark.parametrize("pack", [CALIFORNIA, FEDERAL])
def test_california_and_the_federal_baseline_let_the_person_threatened_be_warned(
    pack: RulePack,
) -> None:
    request = draft(RISK_OTHERS, recipient_kind=RecipientKind.POTENTIAL_VICTIM)

    check_opening(request, treating(), pack)


def test_texas_refuses_telling_the_family_of_a_risk_to_the_client() -> None:
    request = draft(RISK_SELF, recipient_kind=RecipientKind.FAMILY_OR_GUARDIAN)

    error = refusal(check_opening, request, treating(), TEXAS)

    assert error.field == "disclosure.recipient_kind"
    check_opening(request, treating(), FEDERAL)


def test_an_abuse_report_about_a_child_is_not_sent_to_the_adult_protective_agency() -> None:
    request = draft(ABUSE, recipient_kind=RecipientKind.ADULT_PROTECTIVE_AGENCY)

    error = refusal(check_opening, request, treating(), FEDERAL)

    assert error.field == "disclosure.recipient_kind"
    assert "45 CFR 164.512(b)(1)(ii)" in error.problem


# --- who may open a request ---------------------------------------------------------------


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS])
def test_an_imminent_risk_request_is_opened_by_the_treating_clinician(
    ground: ExceptionGround,
) -> None:
    request = draft(ground)

    check_opening(request, treating(CLINICIAN), FEDERAL)
    check_opening(request, treating(SUPERVISOR), FEDERAL)


@pytest.mark.parametrize(
    "requester",
    [
        Requester(CLINICIAN, treats_client=False, same_practice=True),
        Requester(PRIVACY, treats_client=True, same_practice=True),
        Requester(STAFF, treats_client=True, same_practice=True),
    ],
    ids=["clinician-not-treating", "privacy-officer", "staff"],
)
def test_an_imminent_risk_request_is_refused_to_anyone_but_a_treating_clinician(
    requester: Requester,
) -> None:
    error = refusal(check_opening, draft(RISK_OTHERS), requester, FEDERAL)

    assert error.field == "disclosure.requested_by"
    assert "treating clinician" in error.problem


@pytest.mark.parametrize("actor", [CLINICIAN, SUPERVISOR])
def test_any_clinician_opens_an_abuse_report(actor: Actor) -> None:
    check_opening(draft(ABUSE), Requester(actor, treats_client=False, same_practice=True), FEDERAL)


@pytest.mark.parametrize("actor", [PRIVACY, STAFF])
def test_an_abuse_report_is_refused_to_someone_who_is_not_a_clinician(actor: Actor) -> None:
    error = refusal(check_opening, draft(ABUSE), treating(actor), FEDERAL)

    assert error.field == "disclosure.requested_by"


def test_a_court_order_is_answered_by_the_privacy_officer() -> None:
    check_opening(draft(COURT), Requester(PRIVACY, False, True), FEDERAL)


@pytest.mark.parametrize("actor", [CLINICIAN, SUPERVISOR, STAFF])
def test_a_court_order_is_refused_to_anyone_but_the_privacy_officer(actor: Actor) -> None:
    error = refusal(check_opening, draft(COURT), treating(actor), FEDERAL)

    assert error.field == "disclosure.requested_by"
    assert "privacy officer" in error.problem


@pytest.mark.parametrize("ground", list(ExceptionGround))
def test_another_practice_cannot_open_a_disclosure(ground: ExceptionGround) -> None:
    actor = PRIVACY if ground is COURT else CLINICIAN
    requester = Requester(actor, treats_client=True, same_practice=False)

    error = refusal(check_opening, draft(ground), requester, FEDERAL)

    assert error.field == "disclosure.requested_by"
    assert "own practice" in error.problem


# --- break-the-glass ----------------------------------------------------------------------


@pytest.mark.parametrize("ground", [ABUSE, COURT])
def test_the_glass_is_broken_only_for_an_imminent_risk(ground: ExceptionGround) -> None:
    error = refusal(break_the_glass, draft(ground), treating(), OPENED, FEDERAL)

    assert error.field == "disclosure.ground"
    assert set(error.allowed) == {"imminent_risk_others", "imminent_risk_self"}


def test_only_the_treating_clinician_breaks_the_glass() -> None:
    requester = Requester(OTHER_CLINICIAN, treats_client=False, same_practice=True)

    error = refusal(break_the_glass, draft(requested_by=CLIN_B), requester, OPENED, FEDERAL)

    assert error.field == "disclosure.requested_by"


def test_the_glass_is_not_broken_for_a_recipient_the_pack_forbids() -> None:
    request = draft(RISK_OTHERS, recipient_kind=RecipientKind.POTENTIAL_VICTIM)

    error = refusal(break_the_glass, request, treating(), OPENED, TEXAS)

    assert error.field == "disclosure.recipient_kind"


def test_the_glass_is_not_broken_beyond_the_minimum_necessary() -> None:
    request = draft(RISK_SELF, categories=cats(RISK, PROGRESS))

    error = refusal(break_the_glass, request, treating(), OPENED, FEDERAL)

    assert error.field == "disclosure.categories"


def test_an_emergency_package_is_produced_until_the_window_closes() -> None:
    opened, grant = break_the_glass(draft(), treating(), OPENED, FEDERAL)
    closes = OPENED + FEDERAL.break_glass_window

    assert check_emergency_disclosable(opened, CLINICIAN, closes - SECOND, FEDERAL) == grant
    error = refusal(check_emergency_disclosable, opened, CLINICIAN, closes, FEDERAL)
    assert error.field == "break_glass.expires_at"
    error = refusal(mark_emergency_disclosed, opened, CLINICIAN, closes, FEDERAL, SHA)
    assert error.field == "break_glass.expires_at"


def test_an_emergency_package_is_not_produced_before_the_glass_was_broken() -> None:
    opened, _ = break_the_glass(draft(), treating(), OPENED, FEDERAL)

    error = refusal(check_emergency_disclosable, opened, CLINICIAN, OPENED - SECOND, FEDERAL)

    assert error.field == "break_glass.expires_at"


def test_only_the_clinician_who_broke_the_glass_produces_the_package() -> None:
    opened, _ = break_the_glass(draft(), treating(), OPENED, FEDERAL)

    error = refusal(check_emergency_disclosable, opened, OTHER_CLINICIAN, OPENED, FEDERAL)

    assert error.field == "disclosure.requested_by"


def test_a_request_that_is_not_an_emergency_has_no_emergency_package() -> None:
    assert refusal(emergency_grant, draft(), FEDERAL).field == "disclosure.emergency"
    error = refusal(check_emergency_disclosable, draft(), CLINICIAN, OPENED, FEDERAL)
    assert error.field == "disclosure.emergency"


def test_an_emergency_review_is_overdue_only_after_its_deadline_and_until_done() -> None:
    request = emergency()
    due = OPENED + FEDERAL.break_glass_review_within
    reviewed = review_emergency(
        request, PRIVACY, due + SECOND, FEDERAL, outcome=ReviewOutcome.UPHELD, note="synthetic"
    )

    assert request.review_due == due
    assert not is_review_overdue(request, due)
    assert is_review_overdue(request, due + SECOND)
    assert not is_review_overdue(reviewed, due + timedelta(days=5))
    assert not is_review_overdue(disclosed(), due + timedelta(days=5))


# --- the approval's window and the engine's fact ------------------------------------------


def test_an_approval_lapses_after_the_disclosure_window() -> None:
    request = approved()
    lapses = DECIDED + DISCLOSURE_WINDOW

    check_disclosable(request, lapses - SECOND)
    error = refusal(check_disclosable, request, lapses)
    assert error.field == "disclosure.decided_at"
    assert refusal(mark_disclosed, request, PRIVACY, lapses, SHA).field == "disclosure.decided_at"
    assert refusal(approved_fact, request, lapses).field == "disclosure.decided_at"


def test_a_package_is_not_produced_before_the_approval() -> None:
    error = refusal(check_disclosable, approved(), DECIDED - SECOND)

    assert error.field == "disclosure.decided_at"


def test_an_approved_request_becomes_the_engines_fact_for_its_window() -> None:
    request = approved(
        draft(
            COURT,
            categories=cats(SUD, DIAGNOSIS),
            legal_process=order(categories=cats(SUD, DIAGNOSIS), part2_findings=True),
            records_period=Period(T0, OPENED, name="disclosure.records_period"),
        ),
        approver=PRIVACY_2,
    )

    fact = approved_fact(request, DISCLOSED)

    assert fact == as_exception_disclosure(request)
    assert fact.id == request.id
    assert fact.ground is COURT
    assert fact.recipient_id == RCPT
    assert fact.categories == cats(SUD, DIAGNOSIS)
    assert fact.window == Period(DECIDED, DECIDED + DISCLOSURE_WINDOW)
    assert fact.approval is not None
    assert fact.approval.approver_id == "privacy-b"
    assert fact.approval.approved_at == DECIDED
    assert fact.part2_court_findings
    assert fact.notify_client
    assert fact.records_period == request.records_period
    assert fact.requested_by == PRIVACY_A


def test_an_approved_abuse_report_carries_its_victim_kind_to_the_engine() -> None:
    fact = as_exception_disclosure(approved(draft(ABUSE)))

    assert fact.victim_kind is VictimKind.CHILD
    assert not fact.part2_court_findings


# --- reporting deadlines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pack", "kind", "hours"),
    [
        (CALIFORNIA, VictimKind.CHILD, 36),
        (TEXAS, VictimKind.CHILD, 48),
        (CALIFORNIA, VictimKind.ELDER, 48),
        (TEXAS, VictimKind.ELDER, 1),
        (TEXAS, VictimKind.DEPENDENT_ADULT, 1),
    ],
    ids=["ca-child", "tx-child", "ca-elder", "tx-elder", "tx-dependent-adult"],
)
def test_a_report_is_due_the_packs_hours_after_the_suspicion_was_recorded(
    pack: RulePack, kind: VictimKind, hours: int
) -> None:
    recipient = (
        RecipientKind.CHILD_PROTECTIVE_AGENCY
        if kind is VictimKind.CHILD
        else RecipientKind.ADULT_PROTECTIVE_AGENCY
    )
    request = draft(ABUSE, victim_kind=kind, recipient_kind=recipient)

    assert report_deadline(request, pack) == SUSPECTED + timedelta(hours=hours)


@pytest.mark.parametrize("kind", list(VictimKind))
def test_the_federal_baseline_sets_no_reporting_deadline(kind: VictimKind) -> None:
    request = draft(ABUSE, victim_kind=kind)

    assert report_deadline(request, FEDERAL) is None
    assert not is_report_overdue(request, FEDERAL, SUSPECTED + timedelta(days=365))


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, COURT])
def test_only_an_abuse_report_has_a_reporting_deadline(ground: ExceptionGround) -> None:
    assert report_deadline(draft(ground), CALIFORNIA) is None


@pytest.mark.parametrize(
    "request_",
    [
        draft(ABUSE),
        submitted(draft(ABUSE)),
        approved(draft(ABUSE)),
    ],
    ids=["draft", "submitted", "approved"],
)
def test_a_report_not_disclosed_is_overdue_just_after_its_deadline(
    request_: DisclosureRequest,
) -> None:
    deadline = SUSPECTED + timedelta(hours=36)

    assert not is_report_overdue(request_, CALIFORNIA, deadline - SECOND)
    assert not is_report_overdue(request_, CALIFORNIA, deadline)
    assert is_report_overdue(request_, CALIFORNIA, deadline + SECOND)


@pytest.mark.parametrize(
    "state",
    [*sorted(AFTER_DISCLOSURE), DisclosureState.REJECTED, DisclosureState.WITHDRAWN],
)
def test_a_report_disclosed_rejected_or_withdrawn_is_never_overdue(state: DisclosureState) -> None:
    request = in_state(state, ABUSE)

    assert not is_report_overdue(request, CALIFORNIA, SUSPECTED + timedelta(days=30))


def test_texas_counts_48_hours_for_a_child_where_california_counts_36() -> None:
    request = draft(ABUSE)
    at = SUSPECTED + timedelta(hours=40)

    assert is_report_overdue(request, CALIFORNIA, at)
    assert not is_report_overdue(request, TEXAS, at)


# --- telling the client, or not -----------------------------------------------------------


@pytest.mark.parametrize("by", [CLINICIAN, STAFF])
def test_withholding_notice_needs_a_supervisor_or_the_privacy_officer(by: Actor) -> None:
    error = refusal(
        withhold_notification,
        disclosed(),
        by,
        DISCLOSED,
        WithholdReason.RISK_TO_CLIENT,
        date(2026, 3, 1),
    )

    assert error.field == "notification.by"


def test_an_order_forbidding_notice_is_a_reason_only_with_such_an_order() -> None:
    silent = disclosed(draft(COURT, legal_process=order(forbids_telling_client=True)))

    withheld = withhold_notification(
        silent, PRIVACY, DISCLOSED, WithholdReason.ORDER_FORBIDS, date(2026, 3, 1)
    )

    assert withheld.withheld_reason is WithholdReason.ORDER_FORBIDS


@pytest.mark.parametrize(
    "request_",
    [draft(), draft(COURT)],
    ids=["no-order", "order-that-allows-telling"],
)
def test_an_order_forbidding_notice_is_refused_without_such_an_order(
    request_: DisclosureRequest,
) -> None:
    error = refusal(
        withhold_notification,
        disclosed(request_),
        PRIVACY,
        DISCLOSED,
        WithholdReason.ORDER_FORBIDS,
        date(2026, 3, 1),
    )

    assert error.field == "notification.reason"


@pytest.mark.parametrize(
    ("days", "accepted"),
    [(-1, False), (0, False), (1, True), (366, True), (367, False)],
)
def test_the_review_of_a_withholding_is_after_today_and_within_a_year(
    days: int, accepted: bool
) -> None:
    review_on = DISCLOSED.date() + timedelta(days=days)

    def call() -> DisclosureRequest:
        return withhold_notification(
            disclosed(), PRIVACY, DISCLOSED, WithholdReason.RISK_TO_OTHERS, review_on
        )

    if accepted:
        assert call().withheld_until_review == review_on
    else:
        assert refusal(call).field == "notification.review_on"


def test_a_review_date_given_as_a_date_and_time_is_refused_naming_the_field() -> None:
    review_on: Any = DISCLOSED + timedelta(days=30)

    error = refusal(
        withhold_notification,
        disclosed(),
        PRIVACY,
        DISCLOSED,
        WithholdReason.RISK_TO_OTHERS,
        review_on,
    )

    assert error.field == "notification.review_on"


def test_a_withholding_is_due_for_review_on_its_date() -> None:
    review_on = date(2026, 3, 1)
    withheld = withhold_notification(
        disclosed(), PRIVACY, DISCLOSED, WithholdReason.RISK_TO_CLIENT, review_on
    )
    day_before = datetime(2026, 2, 28, 23, 59, 59, tzinfo=OPENED.tzinfo)
    on_the_day = datetime(2026, 3, 1, tzinfo=OPENED.tzinfo)

    assert not is_notification_review_due(withheld, day_before)
    assert is_notification_review_due(withheld, on_the_day)
    assert is_notification_review_due(withheld, on_the_day + timedelta(days=3))
    assert not is_notification_review_due(notify_client(withheld, PRIVACY, on_the_day), on_the_day)
    assert not is_notification_review_due(disclosed(), on_the_day)


# --- the shape of a request ---------------------------------------------------------------


@pytest.mark.parametrize("justification", ["", "   ", None])
def test_a_request_needs_a_justification(justification: str | None) -> None:
    assert invalid(justification=justification).field == "disclosure.justification"


def test_a_request_needs_a_known_ground() -> None:
    assert invalid(ground="duty_to_warn").field == "disclosure.ground"


def test_a_request_needs_a_known_recipient_kind() -> None:
    assert invalid(recipient_kind="journalist").field == "disclosure.recipient_kind"


@pytest.mark.parametrize("categories", [frozenset(), frozenset({"gossip"})], ids=["none", "bad"])
def test_a_request_needs_known_categories(categories: frozenset[str]) -> None:
    assert invalid(categories=categories).field == "disclosure.categories"


def test_an_abuse_report_needs_the_kind_of_victim() -> None:
    error = invalid(ground_for_defaults=ABUSE, victim_kind=None)

    assert error.field == "disclosure.victim_kind"


def test_an_abuse_report_needs_a_known_kind_of_victim() -> None:
    error = invalid(ground_for_defaults=ABUSE, victim_kind="adolescent")

    assert error.field == "disclosure.victim_kind"


def test_an_abuse_report_needs_when_the_suspicion_was_recorded() -> None:
    error = invalid(ground_for_defaults=ABUSE, suspected_at=None)

    assert error.field == "disclosure.suspected_at"


def test_a_suspicion_cannot_be_recorded_after_the_report_was_opened() -> None:
    error = invalid(ground_for_defaults=ABUSE, suspected_at=OPENED + SECOND)

    assert error.field == "disclosure.suspected_at"


def test_a_suspicion_recorded_when_the_report_was_opened_is_accepted() -> None:
    assert draft(ABUSE, suspected_at=OPENED).suspected_at == OPENED


def test_a_victim_kind_is_for_abuse_reports_only() -> None:
    assert invalid(victim_kind=VictimKind.CHILD).field == "disclosure.victim_kind"


def test_a_suspicion_time_is_for_abuse_reports_only_naming_the_field() -> None:
    assert invalid(suspected_at=SUSPECTED).field == "disclosure.suspected_at"


def test_a_suspicion_time_on_another_ground_is_refused() -> None:
    with pytest.raises(InvalidValue):
        draft(suspected_at=SUSPECTED)


def test_a_court_order_request_needs_the_orders_details() -> None:
    assert invalid(ground_for_defaults=COURT, legal_process=None).field == (
        "disclosure.legal_process"
    )


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_a_request_on_another_ground_takes_no_legal_process(ground: ExceptionGround) -> None:
    error = invalid(ground_for_defaults=ground, legal_process=order())

    assert error.field == "disclosure.legal_process"


def test_a_naive_opening_time_is_refused() -> None:
    assert invalid(opened_at=OPENED.replace(tzinfo=None)).field == "disclosure.opened_at"


def test_a_naive_suspicion_time_is_refused() -> None:
    error = invalid(ground_for_defaults=ABUSE, suspected_at=SUSPECTED.replace(tzinfo=None))

    assert error.field == "disclosure.suspected_at"


@pytest.mark.parametrize(
    "name",
    ["submitted_at", "decided_at", "disclosed_at", "review_due", "reviewed_at", "notified_at"],
)
def test_a_naive_time_of_any_step_is_refused(name: str) -> None:
    assert invalid(**{name: OPENED.replace(tzinfo=None)}).field == f"disclosure.{name}"


def test_a_times_offset_is_normalised_to_utc() -> None:
    local = OPENED.astimezone(timezone(timedelta(hours=-5)))

    assert draft(opened_at=local).opened_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("revision", [0, -1])
def test_a_revision_counts_from_one(revision: int) -> None:
    assert invalid(revision=revision).field == "disclosure.revision"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"court": ""}, "legal_process.court"),
        ({"case_number": "  "}, "legal_process.case_number"),
        ({"issued_by": ""}, "legal_process.issued_by"),
        ({"scope": "s" * 501}, "legal_process.scope"),
        ({"issued_on": datetime(2025, 12, 20, tzinfo=OPENED.tzinfo)}, "legal_process.issued_on"),
        ({"issued_on": "2025-12-20"}, "legal_process.issued_on"),
        ({"categories": frozenset()}, "legal_process.categories"),
        ({"categories": frozenset({"gossip"})}, "legal_process.categories"),
        ({"kind": "warrant"}, "legal_process.kind"),
        ({"assurance": "promise"}, "legal_process.assurance"),
    ],
    ids=[
        "court",
        "case-number",
        "issued-by",
        "scope-too-long",
        "issued-on-datetime",
        "issued-on-text",
        "no-categories",
        "unknown-category",
        "unknown-kind",
        "unknown-assurance",
    ],
)
def test_a_legal_process_refuses_a_malformed_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        order(**changes)

    assert caught.value.field == field


def test_the_glass_cannot_be_broken_twice_to_stretch_the_window() -> None:
    first, _ = break_the_glass(draft(RISK_SELF), treating(), OPENED, FEDERAL)
    with pytest.raises(DisclosureRefused) as error:
        break_the_glass(first, treating(), OPENED + timedelta(minutes=55), FEDERAL)
    assert error.value.field == "disclosure.emergency"


def test_an_emergency_is_reviewed_not_submitted() -> None:
    first, _ = break_the_glass(draft(RISK_SELF), treating(), OPENED, FEDERAL)
    with pytest.raises(DisclosureRefused) as error:
        submit(first, CLINICIAN, SUBMITTED)
    assert error.value.field == "disclosure.emergency"


def test_approval_checks_the_recipient_against_the_rules_in_force_then() -> None:
    warning = submitted(draft(RISK_OTHERS, recipient_kind=RecipientKind.POTENTIAL_VICTIM))
    assert approve(warning, SUPERVISOR, DECIDED, CALIFORNIA).state is DisclosureState.APPROVED
    with pytest.raises(DisclosureRefused) as error:
        approve(warning, SUPERVISOR, DECIDED, TEXAS)
    assert error.value.field == "disclosure.recipient_kind"


def test_only_the_reporter_withdraws_a_mandated_report() -> None:
    report = submitted(draft(ABUSE))
    error = refusal(withdraw, report, PRIVACY, DECIDED, CALIFORNIA)
    assert error.field == "withdrawal.by"
    assert "11166" in error.problem
    assert withdraw(report, PRIVACY, DECIDED, FEDERAL).state is DisclosureState.WITHDRAWN
    assert withdraw(report, CLINICIAN, DECIDED, CALIFORNIA).state is DisclosureState.WITHDRAWN


def test_an_uninvolved_clinician_cannot_record_the_client_told() -> None:
    assert refusal(notify_client, disclosed(), OTHER_CLINICIAN, NOTIFIED).field == (
        "notification.by"
    )
    withheld = withhold_notification(
        disclosed(), PRIVACY, NOTIFIED, WithholdReason.RISK_TO_OTHERS, date(2026, 4, 1)
    )
    assert refusal(notify_client, withheld, CLINICIAN, NOTIFIED).field == "notification.by"


def test_an_account_put_on_file_after_the_request_cannot_approve_it() -> None:
    fresh = OnFile(added_at=OPENED + timedelta(minutes=5), added_by=PRIVACY_A)
    error = refusal(approve, submitted(), SUPERVISOR, DECIDED, FEDERAL, fresh)
    assert error.field == "approval.approver_id"
    earlier = OnFile(added_at=OPENED - timedelta(days=30), added_by=PRIVACY_A)
    assert approve(submitted(), SUPERVISOR, DECIDED, FEDERAL, earlier).state is (
        DisclosureState.APPROVED
    )


def test_a_recipient_must_be_on_file_as_one_outside_the_practice() -> None:
    request = draft()
    for recipient in (None, CLINICIAN, Actor("rcpt-inside", Role.RECIPIENT, HOME)):
        error = refusal(check_recipient_on_file, request, recipient, HOME)
        assert error.field == "disclosure.recipient_id"
    check_recipient_on_file(request, Actor("rcpt-police", Role.RECIPIENT, "police-org"), HOME)
    check_recipient_on_file(request, Actor("rcpt-person", Role.RECIPIENT), HOME)
