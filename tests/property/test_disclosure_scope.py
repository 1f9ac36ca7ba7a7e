"""The scope of an exception disclosure request, over generated requests (decision 0013).

Whatever the ground, the categories, the order or subpoena and the rule pack, a request is
accepted only within the ground's minimum necessary, never with psychotherapy notes unless a
court (not a subpoena) names them, never beyond the order's scope, and never with substance-use
records without the court's Part 2 findings; and every request beyond those limits is refused.
The oracle below restates those limits from the law's text, independently of the code."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import example, given, settings
from hypothesis import strategies as st

from confide.domain import Actor, Category, ExceptionGround, Role, VictimKind
from confide.domain.disclosures import (
    Assurance,
    DisclosureRequest,
    DisclosureState,
    LegalProcess,
    ProcessKind,
)
from confide.policy import MINIMUM_NECESSARY
from confide.policy.disclosure_rules import (
    DisclosureRefused,
    Requester,
    approve,
    as_exception_disclosure,
    check_opening,
    check_scope,
    submit,
)
from confide.policy.rule_packs import RulePack
from confide.services.rule_packs import installed_pack

OPENED = datetime(2026, 1, 4, tzinfo=UTC)
COURT = ExceptionGround.COURT_ORDER
ABUSE = ExceptionGround.ABUSE_NEGLECT
PN = Category.PSYCHOTHERAPY_NOTE
SUD = Category.SUBSTANCE_USE
HOME = "org-home"
T = TypeVar("T")
PACKS = tuple(installed_pack(p) for p in ("us-federal", "us-ca", "us-tx"))
# Every role that might try to approve, two of each that can, so a colleague is always there.
ROSTER = (
    Actor("clin-1", Role.CLINICIAN, HOME),
    Actor("clin-2", Role.CLINICIAN, HOME),
    Actor("super-1", Role.SUPERVISOR, HOME),
    Actor("super-2", Role.SUPERVISOR, HOME),
    Actor("privacy-1", Role.PRIVACY_OFFICER, HOME),
    Actor("privacy-2", Role.PRIVACY_OFFICER, HOME),
    Actor("staff-1", Role.STAFF, HOME),
    Actor("admin-1", Role.ADMINISTRATOR, HOME),
    Actor("rcpt-1", Role.RECIPIENT, "org-agency"),
)
BY_ID = {a.id: a for a in ROSTER}
# Who may open each ground (design §2): a treating clinician, any clinician, the privacy officer.
OPENERS = {
    ExceptionGround.IMMINENT_RISK_SELF: ("clin-1", "super-1"),
    ExceptionGround.IMMINENT_RISK_OTHERS: ("clin-1", "super-1"),
    ABUSE: ("clin-1", "clin-2", "super-1"),
    COURT: ("privacy-1", "privacy-2"),
}

# Each example costs a few milliseconds on a shared 2-core machine: 500 a property keeps the
# file under 20 s; the edge cases the law names are pinned with @example below. A smaller
# profile (HYPOTHESIS_PROFILE=dev) is kept smaller.
PROPERTY = settings(max_examples=min(settings().max_examples, 500), deadline=None)

packs = st.sampled_from(PACKS)
grounds = st.sampled_from(list(ExceptionGround))
# Lists, not sets: drawing a set rejects duplicates, which costs time and invalid examples.
any_categories = st.lists(st.sampled_from(list(Category)), min_size=1, max_size=5).map(frozenset)


def categories_within(allowed: frozenset[Category]) -> st.SearchStrategy[frozenset[Category]]:
    """Sometimes a subset of what is allowed, sometimes anything: both sides of the limit."""
    inside = st.lists(st.sampled_from(sorted(allowed)), min_size=1, max_size=4).map(frozenset)
    return st.one_of(inside, any_categories)


@st.composite
def legal_processes(draw: st.DrawFn) -> LegalProcess:
    return LegalProcess(
        kind=draw(st.sampled_from(list(ProcessKind))),
        court="synthetic court",
        case_number="case-1",
        issued_on=date(2025, 12, 20),
        issued_by="synthetic judge",
        scope="synthetic scope",
        categories=draw(any_categories),
        part2_findings=draw(st.booleans()),
        assurance=draw(st.none() | st.sampled_from(list(Assurance))),
        forbids_telling_client=draw(st.booleans()),
    )


@st.composite
def requests(draw: st.DrawFn) -> tuple[DisclosureRequest, RulePack]:
    """A draft of any ground, to a recipient its pack allows, opened by someone who may."""
    pack = draw(packs)
    ground = draw(grounds)
    victim = draw(st.sampled_from(list(VictimKind))) if ground is ABUSE else None
    process = draw(legal_processes()) if ground is COURT else None
    allowed = MINIMUM_NECESSARY[ground] if process is None else process.categories
    rule = pack.rule(ground, victim)
    request = DisclosureRequest(
        id="dr-1",
        client_id="client-1",
        ground=ground,
        recipient_id="rcpt-1",
        recipient_kind=draw(st.sampled_from(sorted(rule.recipients))),
        categories=draw(categories_within(allowed)),
        justification="synthetic justification",
        requested_by=draw(st.sampled_from(OPENERS[ground])),
        opened_at=OPENED,
        victim_kind=victim,
        suspected_at=None if victim is None else OPENED - timedelta(hours=1),
        legal_process=process,
    )
    return request, pack


def within_limits(request: DisclosureRequest) -> bool:
    """The oracle: the limits of decision 0013, read from the law rather than from the code."""
    asked = request.categories
    process = request.legal_process
    # HIPAA 164.502(b): never beyond the ground's minimum necessary.
    if not asked <= MINIMUM_NECESSARY[request.ground]:
        return False
    # HIPAA 164.508(a)(2): psychotherapy notes only under a court's order that names them.
    if PN in asked and not (
        request.ground is COURT
        and process is not None
        and process.kind is ProcessKind.COURT_ORDER
        and PN in process.categories
    ):
        return False
    if process is not None:
        # HIPAA 164.512(e)(1)(i): only what the order expressly authorizes.
        if not asked <= process.categories:
            return False
        # HIPAA 164.512(e)(1)(ii); 42 CFR 2.61: a bare subpoena needs an assurance and never
        # reaches psychotherapy notes or substance-use records.
        if process.kind is ProcessKind.SUBPOENA and (asked & {PN, SUD} or not process.assurance):
            return False
    # 42 CFR 2.64(d)-(e): substance-use records need the court's findings.
    return SUD not in asked or (process is not None and process.part2_findings)


def _court_request(categories: frozenset[Category], **process: Any) -> DisclosureRequest:
    fields: dict[str, Any] = {
        "kind": ProcessKind.COURT_ORDER,
        "court": "synthetic court",
        "case_number": "case-1",
        "issued_on": date(2025, 12, 20),
        "issued_by": "synthetic judge",
        "scope": "synthetic scope",
        "categories": categories,
        **process,
    }
    return DisclosureRequest(
        id="dr-1",
        client_id="client-1",
        ground=COURT,
        recipient_id="rcpt-1",
        recipient_kind="court",
        categories=categories,
        justification="synthetic justification",
        requested_by="privacy-1",
        opened_at=OPENED,
        legal_process=LegalProcess(**fields),
    )


def _request(ground: ExceptionGround, categories: frozenset[Category]) -> DisclosureRequest:
    abuse = ground is ABUSE
    return DisclosureRequest(
        id="dr-1",
        client_id="client-1",
        ground=ground,
        recipient_id="rcpt-1",
        recipient_kind="law_enforcement",
        categories=categories,
        justification="synthetic justification",
        requested_by="clin-1",
        opened_at=OPENED,
        victim_kind=VictimKind.CHILD if abuse else None,
        suspected_at=OPENED if abuse else None,
    )


QPO = Assurance.QUALIFIED_PROTECTIVE_ORDER
RISK = Category.RISK_ASSESSMENT
# The edge cases the law names, so every run tries them whatever it generates.
EDGES = (
    # One category past each ground's minimum necessary, psychotherapy notes, substance use.
    *(
        _request(ground, MINIMUM_NECESSARY[ground] | {extra})
        for ground in (ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS)
        for extra in (Category.PROGRESS_NOTE, PN, SUD)
    ),
    *(_request(ABUSE, frozenset({RISK, extra})) for extra in (Category.DIAGNOSIS, PN, SUD)),
    _request(ABUSE, MINIMUM_NECESSARY[ABUSE]),  # exactly the minimum necessary: accepted
    _court_request(frozenset({PN})),  # a court order naming psychotherapy notes: accepted
    _court_request(frozenset({PN}), kind=ProcessKind.SUBPOENA, assurance=QPO),  # refused
    _court_request(frozenset({SUD}), part2_findings=True),  # accepted
    _court_request(frozenset({SUD})),  # no Part 2 findings: refused
    _court_request(frozenset({SUD}), kind=ProcessKind.SUBPOENA, assurance=QPO, part2_findings=True),
    _court_request(frozenset({Category.DIAGNOSIS}), kind=ProcessKind.SUBPOENA),  # no assurance
    _court_request(frozenset({Category.DIAGNOSIS}), kind=ProcessKind.SUBPOENA, assurance=QPO),
)


def with_edges(*approvers: Actor) -> Callable[[T], T]:
    """The property, also run on each edge case under each pack (and by each approver)."""

    def add(test: T) -> T:
        for request in EDGES:
            for pack in PACKS:
                for approver in approvers or (None,):
                    args = ((request, pack),) if approver is None else ((request, pack), approver)
                    test = example(*args)(test)
        return test

    return add


def _refused(check: Callable[..., object], *args: object) -> DisclosureRefused | None:
    try:
        check(*args)
    except DisclosureRefused as e:
        return e
    return None


@PROPERTY
@with_edges()
@given(requests())
def test_an_accepted_request_stays_within_every_limit(
    case: tuple[DisclosureRequest, RulePack],
) -> None:
    request, pack = case
    requester = Requester(BY_ID[request.requested_by], treats_client=True, same_practice=True)
    if _refused(check_scope, request) or _refused(check_opening, request, requester, pack):
        return
    asked = request.categories
    process = request.legal_process

    assert asked <= MINIMUM_NECESSARY[request.ground]
    if PN in asked:
        assert request.ground is COURT
        assert process is not None
        assert process.kind is ProcessKind.COURT_ORDER
        assert PN in process.categories
    if process is not None:
        assert asked <= process.categories
    if SUD in asked:
        assert process is not None
        assert process.part2_findings
    assert within_limits(request)


@PROPERTY
@with_edges()
@given(requests())
def test_a_request_beyond_any_limit_is_refused_on_opening_and_submitting(
    case: tuple[DisclosureRequest, RulePack],
) -> None:
    request, pack = case
    requester = Requester(BY_ID[request.requested_by], treats_client=True, same_practice=True)
    if within_limits(request):
        # The converse: a request within the limits, from a valid requester, is accepted.
        check_scope(request)
        check_opening(request, requester, pack)
        return

    for error in (
        _refused(check_scope, request),
        _refused(check_opening, request, requester, pack),
        _refused(submit, request, requester.actor, OPENED),
    ):
        assert error is not None
        assert error.field in {
            "disclosure.categories",
            "legal_process.assurance",
            "legal_process.part2_findings",
        }, error


@PROPERTY
@with_edges()
@given(requests())
def test_approval_never_carries_categories_beyond_the_minimum_necessary(
    case: tuple[DisclosureRequest, RulePack],
) -> None:
    # Submitted as it stands, whatever its scope, to someone who may approve it: approval
    # checks the scope again, so only the scope can stop it.
    request, pack = case
    asked = dataclasses.replace(request, state=DisclosureState.SUBMITTED)
    approvers = pack.rule(request.ground, request.victim_kind).approvers
    approver = next(a for a in ROSTER if a.role in approvers and a.id != request.requested_by)
    try:
        decided = approve(asked, approver, OPENED + timedelta(hours=1), pack)
    except DisclosureRefused:
        assert not within_limits(request)
        return

    fact = as_exception_disclosure(decided)

    assert fact.categories == request.categories
    assert fact.categories <= MINIMUM_NECESSARY[request.ground]
    assert within_limits(decided)


@PROPERTY
@with_edges(BY_ID["privacy-1"], BY_ID["privacy-2"], BY_ID["super-1"])
@given(requests(), st.sampled_from(ROSTER))
def test_approval_is_given_only_by_a_second_person_of_a_role_the_pack_names(
    case: tuple[DisclosureRequest, RulePack], approver: Actor
) -> None:
    request, pack = case
    asked = dataclasses.replace(request, state=DisclosureState.SUBMITTED)
    approvers = pack.rule(request.ground, request.victim_kind).approvers
    may_approve = approver.id != request.requested_by and approver.role in approvers

    error = _refused(approve, asked, approver, OPENED + timedelta(hours=1), pack)

    if not may_approve:
        assert error is not None
        assert error.field == "approval.approver_id"
    elif within_limits(request):
        assert error is None, error
    else:
        assert error is not None
        assert error.field != "approval.approver_id"
