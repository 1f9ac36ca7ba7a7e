"""The limits of confidentiality: an approved exception disclosure permits only its recipient,
categories and window, for its ground's purpose, never beyond the ground's minimum necessary."""

from __future__ import annotations

from datetime import datetime

import pytest

from confide.domain import (
    Approval,
    Category,
    Effect,
    ExceptionDisclosure,
    ExceptionGround,
    InvalidValue,
    ObligationKind,
    Period,
    Purpose,
    RuleId,
    VictimKind,
)
from confide.policy import GROUND_PURPOSE, MINIMUM_NECESSARY, decide
from tests.factories import (
    AGENCY,
    CLIENT,
    CLIN_A,
    EXT_CLIN,
    PRIVACY_A,
    RCPT,
    SECOND,
    T0,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    day,
    disclosure,
    facts,
    refusal,
    request,
)

RISK = Category.RISK_ASSESSMENT
PN = Category.PSYCHOTHERAPY_NOTE
SUD = Category.SUBSTANCE_USE
ABUSE = ExceptionGround.ABUSE_NEGLECT
COURT = ExceptionGround.COURT_ORDER
RISK_SELF = ExceptionGround.IMMINENT_RISK_SELF
RISK_OTHERS = ExceptionGround.IMMINENT_RISK_OTHERS

# The specification's table, written out so a change to the engine's table fails here.
EXPECTED_PURPOSE = {
    RISK_SELF: Purpose.THREAT,
    RISK_OTHERS: Purpose.THREAT,
    ABUSE: Purpose.PUBHLTH,
    COURT: Purpose.HLEGAL,
}


def test_the_ground_purposes_are_those_of_the_specification() -> None:
    assert dict(GROUND_PURPOSE) == EXPECTED_PURPOSE


@pytest.mark.parametrize("ground", [RISK_SELF, RISK_OTHERS, ABUSE])
def test_psychotherapy_notes_are_never_within_a_risk_or_abuse_minimum_necessary(
    ground: ExceptionGround,
) -> None:
    assert PN not in MINIMUM_NECESSARY[ground]


@pytest.mark.parametrize("ground", list(ExceptionGround))
def test_an_approved_disclosure_permits_its_recipient_for_its_grounds_purpose(
    ground: ExceptionGround,
) -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=ground, categories=[RISK])])

    decision = decide(request(RCPT, [RISK], EXPECTED_PURPOSE[ground], day(1)), f)

    o = assert_permitted(decision, RISK, RuleId.EXCEPTION_DISCLOSURE, "disc-1")
    assert decision.rule_id is RuleId.EXCEPTION_DISCLOSURE
    assert len(o.cites) == 2  # the disclosure and its legal ground


@pytest.mark.parametrize("ground", list(ExceptionGround))
def test_an_approved_disclosure_permits_nothing_for_another_purpose(
    ground: ExceptionGround,
) -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=ground, categories=[RISK])])

    for purpose in Purpose:
        if purpose is EXPECTED_PURPOSE[ground]:
            continue
        decision = decide(request(RCPT, [RISK], purpose, day(1)), f)
        assert not decision.permitted, purpose


def test_a_disclosure_to_an_organisation_reaches_its_members() -> None:
    f = facts(disclosures=[disclosure("disc-1", recipient_id=AGENCY)])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert_permitted(decision, RISK, RuleId.EXCEPTION_DISCLOSURE, "disc-1")


@pytest.mark.parametrize("asker", [EXT_CLIN, CLIN_A])
def test_a_disclosure_permits_no_one_but_its_recipient(asker: str) -> None:
    f = facts(disclosures=[disclosure("disc-1", recipient_id=RCPT)])

    decision = decide(request(asker, [RISK], Purpose.THREAT, day(1)), f)

    assert not decision.permitted


def test_a_disclosure_permits_no_category_it_does_not_name() -> None:
    f = facts(disclosures=[disclosure("disc-1", categories=[RISK])])

    decision = decide(request(RCPT, [Category.DEMOGRAPHICS], Purpose.THREAT, day(1)), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (day(2) - SECOND, Effect.DENY),
        (day(2), Effect.PERMIT),
        (day(6) - SECOND, Effect.PERMIT),
        (day(6), Effect.DENY),
    ],
    ids=["before-window", "window-start", "second-before-end", "window-end"],
)
def test_a_disclosure_permits_only_within_its_window(at: datetime, expected: Effect) -> None:
    f = facts(disclosures=[disclosure("disc-1", start=day(2), end=day(6))])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, at), f)

    assert decision.effect is expected
    if expected is Effect.DENY:
        assert_denied(decision, RISK, RuleId.DEFAULT, "disc-1")


BEYOND = [
    (ground, category)
    for ground in (RISK_SELF, RISK_OTHERS, ABUSE)
    for category in Category
    if category not in MINIMUM_NECESSARY[ground]
]


@pytest.mark.parametrize(("ground", "category"), BEYOND, ids=str)
def test_a_disclosure_never_releases_more_than_its_grounds_minimum_necessary(
    ground: ExceptionGround, category: Category
) -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=ground, categories=[category])])

    decision = decide(request(RCPT, [category], EXPECTED_PURPOSE[ground], day(1)), f)

    assert_denied_outright(decision, RuleId.BEYOND_MINIMUM_NECESSARY, "disc-1")
    assert_denied(decision, category, RuleId.BEYOND_MINIMUM_NECESSARY, "disc-1")


@pytest.mark.parametrize(
    ("ground", "category"),
    [
        (RISK_SELF, Category.DEMOGRAPHICS),
        (RISK_OTHERS, RISK),
        (ABUSE, Category.PROGRESS_NOTE),
        (ABUSE, Category.DEMOGRAPHICS),
    ],
    ids=str,
)
def test_a_disclosure_releases_what_its_grounds_minimum_necessary_allows(
    ground: ExceptionGround, category: Category
) -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=ground, categories=[category])])

    decision = decide(request(RCPT, [category], EXPECTED_PURPOSE[ground], day(1)), f)

    assert_permitted(decision, category, RuleId.EXCEPTION_DISCLOSURE, "disc-1")


def test_a_risk_disclosure_withholds_psychotherapy_notes_but_releases_the_rest() -> None:
    f = facts(disclosures=[disclosure("disc-1", categories=[RISK, PN])])

    decision = decide(request(RCPT, [RISK, PN], Purpose.THREAT, day(1)), f)

    assert_permitted(decision, RISK, RuleId.EXCEPTION_DISCLOSURE, "disc-1")
    assert_denied(decision, PN, RuleId.BEYOND_MINIMUM_NECESSARY, "disc-1")


def test_a_court_order_naming_psychotherapy_notes_releases_them() -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=COURT, categories=[PN])])

    decision = decide(request(RCPT, [PN], Purpose.HLEGAL, day(1)), f)

    assert_permitted(decision, PN, RuleId.EXCEPTION_DISCLOSURE, "disc-1")


def test_a_court_order_not_naming_psychotherapy_notes_does_not_release_them() -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=COURT, categories=[Category.DIAGNOSIS])])

    decision = decide(request(RCPT, [PN], Purpose.HLEGAL, day(1)), f)

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)


def test_a_court_order_releases_substance_use_only_with_part2_findings() -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=COURT, categories=[SUD])])

    decision = decide(request(RCPT, [SUD], Purpose.HLEGAL, day(1)), f)

    assert_denied_outright(decision, RuleId.PART2_COURT_FINDINGS_MISSING, "disc-1")
    o = assert_denied(decision, SUD, RuleId.PART2_COURT_FINDINGS_MISSING, "disc-1")
    assert "42 CFR 2.64" in o.cites


def test_a_court_order_with_part2_findings_releases_substance_use_with_the_notice() -> None:
    f = facts(
        disclosures=[
            disclosure("disc-1", ground=COURT, categories=[SUD], part2_court_findings=True)
        ]
    )

    decision = decide(request(RCPT, [SUD], Purpose.HLEGAL, day(1)), f)

    assert_permitted(decision, SUD, RuleId.EXCEPTION_DISCLOSURE, "disc-1")
    assert decision.obligations_of(ObligationKind.REDISCLOSURE_NOTICE)


@pytest.mark.parametrize("ground", list(ExceptionGround))
def test_an_unapproved_disclosure_denies_pending_approval(ground: ExceptionGround) -> None:
    f = facts(disclosures=[disclosure("disc-1", ground=ground, approver_id=None)])

    decision = decide(request(RCPT, [RISK], EXPECTED_PURPOSE[ground], day(1)), f)

    assert_denied_outright(decision, RuleId.APPROVAL_PENDING, "disc-1")
    assert_denied(decision, RISK, RuleId.APPROVAL_PENDING, "disc-1")
    duties = decision.obligations_of(ObligationKind.REQUIRE_APPROVAL)
    assert len(duties) == 1
    assert duties[0].cites == "disc-1"
    assert duties[0].categories == {RISK}


def test_an_approved_disclosure_carries_no_approval_duty() -> None:
    f = facts(disclosures=[disclosure("disc-1")])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert decision.effect is Effect.PERMIT
    assert not decision.obligations_of(ObligationKind.REQUIRE_APPROVAL)


def test_a_disclosure_counts_only_from_the_moment_it_was_approved() -> None:
    f = facts(disclosures=[disclosure("disc-1", approved_at=day(5))])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert_denied_outright(decision, RuleId.APPROVAL_PENDING, "disc-1")


def test_the_requester_may_not_approve_their_own_disclosure() -> None:
    with pytest.raises(InvalidValue) as refused:
        ExceptionDisclosure(
            id="disc-1",
            client_id=CLIENT,
            ground=RISK_OTHERS,
            recipient_id=RCPT,
            categories=frozenset({RISK}),
            window=Period(T0, day(10)),
            requested_by=CLIN_A,
            justification="synthetic justification",
            approval=Approval(CLIN_A, T0),
        )

    assert refused.value.field == "disclosure.approval.approver_id"


def test_a_second_person_may_approve_a_disclosure() -> None:
    made = disclosure("disc-1", requested_by=CLIN_A, approver_id=PRIVACY_A)

    assert made.is_approved


def test_a_disclosure_to_notify_the_client_carries_the_notify_duty() -> None:
    f = facts(disclosures=[disclosure("disc-1", notify_client=True)])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    duties = decision.obligations_of(ObligationKind.NOTIFY_CLIENT)
    assert len(duties) == 1
    assert duties[0].cites == "disc-1"


def test_a_disclosure_not_to_notify_the_client_carries_no_notify_duty() -> None:
    f = facts(disclosures=[disclosure("disc-1", notify_client=False)])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert decision.effect is Effect.PERMIT
    assert not decision.obligations_of(ObligationKind.NOTIFY_CLIENT)


def test_a_disclosure_limited_to_record_dates_carries_that_limit() -> None:
    records = Period(day(-30), day(-1), name="disclosure.records_period")
    f = facts(disclosures=[disclosure("disc-1", records_period=records)])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    duties = decision.obligations_of(ObligationKind.LIMIT_RECORD_DATES)
    assert len(duties) == 1
    assert duties[0].period == records
    assert duties[0].cites == "disc-1"


def test_a_disclosure_without_record_dates_carries_no_date_limit() -> None:
    f = facts(disclosures=[disclosure("disc-1", records_period=None)])

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert decision.effect is Effect.PERMIT
    assert not decision.obligations_of(ObligationKind.LIMIT_RECORD_DATES)


def test_a_refusal_does_not_block_an_approved_disclosure() -> None:
    f = facts(
        consents=[refusal("refusal-1", RCPT, [RISK], [Purpose.THREAT])],
        disclosures=[disclosure("disc-1")],
    )

    decision = decide(request(RCPT, [RISK], Purpose.THREAT, day(1)), f)

    assert_permitted(decision, RISK, RuleId.EXCEPTION_DISCLOSURE, "disc-1")


def test_an_abuse_report_must_say_who_is_thought_to_be_harmed() -> None:
    with pytest.raises(InvalidValue) as refused:
        ExceptionDisclosure(
            id="disc-1",
            client_id=CLIENT,
            ground=ABUSE,
            recipient_id=AGENCY,
            categories=frozenset({RISK}),
            window=Period(T0, day(10)),
            requested_by=CLIN_A,
            justification="synthetic justification",
        )

    assert refused.value.field == "disclosure.victim_kind"
    assert set(refused.value.allowed) == {v.value for v in VictimKind}
    for kind in VictimKind:
        assert kind.value in str(refused.value)
