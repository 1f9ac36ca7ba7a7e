"""Break-the-glass: only the named clinician, for BTG, within min(expires_at, opened_at + max
window), only the ground's minimum necessary, always with a review deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from confide.domain import (
    Action,
    BreakGlassGrant,
    Category,
    Effect,
    ExceptionGround,
    InvalidValue,
    ObligationKind,
    Purpose,
    RuleId,
)
from confide.policy import MINIMUM_NECESSARY, PolicySettings, decide
from tests.factories import (
    CLIENT,
    CLIENT_2,
    CLIN_A,
    CLIN_B,
    SECOND,
    T0,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    day,
    facts,
    grant,
    refusal,
    request,
)

OPENED = day(3)
RISK = Category.RISK_ASSESSMENT
EMERGENCY = [ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS]


@pytest.mark.parametrize("ground", EMERGENCY)
@pytest.mark.parametrize("category", [Category.DEMOGRAPHICS, RISK])
def test_break_the_glass_permits_the_named_clinician_the_minimum_necessary(
    category: Category, ground: ExceptionGround
) -> None:
    f = facts(break_glass=[grant("btg-1", clinician_id=CLIN_B, ground=ground, opened_at=OPENED)])

    decision = decide(request(CLIN_B, [category], Purpose.BTG, OPENED), f)

    assert_permitted(decision, category, RuleId.BREAK_GLASS, "btg-1")
    assert decision.rule_id is RuleId.BREAK_GLASS


def test_break_the_glass_carries_a_review_deadline_a_day_after_it_opened() -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED + timedelta(minutes=5)), f)

    reviews = decision.obligations_of(ObligationKind.REVIEW_BY)
    assert len(reviews) == 1
    assert reviews[0].deadline == OPENED + timedelta(hours=24)
    assert reviews[0].cites == "btg-1"


def test_the_review_deadline_follows_the_practice_setting() -> None:
    settings = PolicySettings(break_glass_review_within=timedelta(hours=2))
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED), f, settings)

    (review,) = decision.obligations_of(ObligationKind.REVIEW_BY)
    assert review.deadline == OPENED + timedelta(hours=2)


@pytest.mark.parametrize("clinician", [CLIN_A, "super-a"])
def test_break_the_glass_permits_no_other_clinician(clinician: str) -> None:
    f = facts(break_glass=[grant("btg-1", clinician_id=CLIN_B, opened_at=OPENED)])

    decision = decide(request(clinician, [RISK], Purpose.BTG, OPENED), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


def test_break_the_glass_permits_nothing_of_another_client() -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED, client_id=CLIENT_2), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize("purpose", [p for p in Purpose if p is not Purpose.BTG])
def test_break_the_glass_permits_only_the_btg_purpose(purpose: Purpose) -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], purpose, OPENED), f)

    assert not decision.permitted


def test_break_the_glass_never_permits_writing() -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED, action=Action.WRITE), f)

    assert not decision.permitted


@pytest.mark.parametrize(
    "category",
    [c for c in Category if c not in MINIMUM_NECESSARY[ExceptionGround.IMMINENT_RISK_SELF]],
)
def test_break_the_glass_never_reaches_beyond_the_minimum_necessary(category: Category) -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [category], Purpose.BTG, OPENED), f)

    assert_denied_outright(decision, RuleId.BEYOND_MINIMUM_NECESSARY, "btg-1")
    assert_denied(decision, category, RuleId.BEYOND_MINIMUM_NECESSARY, "btg-1")


# Window cases: (expires after opening, request after opening, expected effect).
# The default max window is one hour; the earlier of the two ends closes the glass.
WINDOW = [
    (timedelta(minutes=20), timedelta(minutes=20) - SECOND, Effect.PERMIT),
    (timedelta(minutes=20), timedelta(minutes=20), Effect.DENY),
    (timedelta(hours=6), timedelta(hours=1) - SECOND, Effect.PERMIT),
    (timedelta(hours=6), timedelta(hours=1), Effect.DENY),
    (timedelta(hours=6), timedelta(hours=5), Effect.DENY),
]


@pytest.mark.parametrize(
    ("expires_after", "asked_after", "expected"),
    WINDOW,
    ids=[
        "short-grant-last-second",
        "short-grant-at-expiry",
        "long-grant-last-second-of-max",
        "long-grant-at-max",
        "long-grant-before-its-expiry",
    ],
)
def test_break_the_glass_lasts_until_the_earlier_of_expiry_and_the_max_window(
    expires_after: timedelta, asked_after: timedelta, expected: Effect
) -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED, expires_at=OPENED + expires_after)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED + asked_after), f)

    assert decision.effect is expected
    if expected is Effect.DENY:
        assert_denied_outright(decision, RuleId.BREAK_GLASS_EXPIRED, "btg-1")
        assert_denied(decision, RISK, RuleId.BREAK_GLASS_EXPIRED, "btg-1")


def test_the_max_window_follows_the_practice_setting() -> None:
    settings = PolicySettings(break_glass_max_window=timedelta(minutes=10))
    f = facts(
        break_glass=[grant("btg-1", opened_at=OPENED, expires_at=OPENED + timedelta(hours=1))]
    )

    inside = decide(
        request(CLIN_B, [RISK], Purpose.BTG, OPENED + timedelta(minutes=10) - SECOND), f, settings
    )
    after = decide(
        request(CLIN_B, [RISK], Purpose.BTG, OPENED + timedelta(minutes=10)), f, settings
    )

    assert inside.effect is Effect.PERMIT
    assert_denied_outright(after, RuleId.BREAK_GLASS_EXPIRED, "btg-1")


def test_break_the_glass_permits_nothing_before_it_opens() -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=OPENED)])

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED - SECOND), f)

    assert not decision.permitted


def test_a_refusal_does_not_block_break_the_glass() -> None:
    f = facts(
        consents=[refusal("refusal-1", CLIN_B, [RISK], [Purpose.BTG])],
        break_glass=[grant("btg-1", opened_at=OPENED)],
    )

    decision = decide(request(CLIN_B, [RISK], Purpose.BTG, OPENED), f)

    assert_permitted(decision, RISK, RuleId.BREAK_GLASS, "btg-1")


@pytest.mark.parametrize(
    "ground", [ExceptionGround.ABUSE_NEGLECT, ExceptionGround.COURT_ORDER], ids=str
)
def test_break_the_glass_is_refused_for_a_ground_that_is_not_an_emergency(
    ground: ExceptionGround,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        BreakGlassGrant(
            "btg-1", CLIN_B, CLIENT, ground, T0, T0 + timedelta(minutes=30), "synthetic"
        )

    assert refused.value.field == "break_glass.ground"
    assert set(refused.value.allowed) == {g.value for g in EMERGENCY}


@pytest.mark.parametrize("expires_at", [T0, T0 - SECOND], ids=["at-opening", "before-opening"])
def test_break_the_glass_must_expire_after_it_opens(expires_at: datetime) -> None:
    with pytest.raises(InvalidValue) as refused:
        BreakGlassGrant(
            "btg-1", CLIN_B, CLIENT, ExceptionGround.IMMINENT_RISK_SELF, T0, expires_at, "synthetic"
        )

    assert refused.value.field == "break_glass.expires_at"
