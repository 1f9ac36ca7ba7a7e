"""A request partly allowed is a permit of what is allowed, with the rest listed as denied and a
redaction duty naming exactly the rest; a decision never widens a request."""

from __future__ import annotations

from confide.domain import Category, Effect, ObligationKind, Purpose, RuleId
from confide.policy import decide
from tests.factories import (
    CLIENT,
    EXT_CLIN,
    STAFF_HOME,
    assert_permitted,
    cats,
    consent,
    day,
    facts,
    request,
)

DX = Category.DIAGNOSIS
RX = Category.MEDICATION
PLAN = Category.TREATMENT_PLAN


def test_a_partly_allowed_request_is_a_permit_listing_the_rest_as_denied() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX, RX, PLAN], Purpose.COC, day(1)), f)

    assert decision.effect is Effect.PERMIT
    assert decision.rule_id is RuleId.CONSENT
    assert decision.permitted == {DX}
    assert decision.denied == {RX, PLAN}


def test_a_partly_allowed_request_carries_a_redaction_of_exactly_the_denied_categories() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX, RX, PLAN], Purpose.COC, day(1)), f)

    (redaction,) = decision.obligations_of(ObligationKind.REDACT)
    assert redaction.categories == {RX, PLAN}


def test_staff_asking_for_everything_get_only_their_three_categories_and_a_redaction() -> None:
    decision = decide(request(STAFF_HOME, list(Category), Purpose.HOPERAT, day(1)), facts())

    staff = cats(Category.DEMOGRAPHICS, Category.APPOINTMENTS, Category.BILLING)
    assert decision.permitted == staff
    assert decision.denied == frozenset(Category) - staff
    (redaction,) = decision.obligations_of(ObligationKind.REDACT)
    assert redaction.categories == decision.denied


def test_a_fully_allowed_request_carries_no_redaction() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX, RX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX, RX], Purpose.COC, day(1)), f)

    assert decision.permitted == {DX, RX}
    assert decision.denied == frozenset()
    assert not decision.obligations_of(ObligationKind.REDACT)


def test_a_fully_denied_request_is_a_deny_of_every_category_without_redaction() -> None:
    decision = decide(request(EXT_CLIN, [DX, RX], Purpose.COC, day(1)), facts())

    assert decision.effect is Effect.DENY
    assert decision.denied == {DX, RX}
    assert not decision.obligations_of(ObligationKind.REDACT)


def test_a_consent_wider_than_the_request_never_widens_the_decision() -> None:
    f = facts(
        consents=[
            consent(
                "consent-1",
                EXT_CLIN,
                frozenset(Category) - {Category.PSYCHOTHERAPY_NOTE},
                [Purpose.COC],
            )
        ]
    )

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(1)), f)

    assert decision.permitted == {DX}
    assert [o.category for o in decision.outcomes] == [DX]
    assert_permitted(decision, DX, RuleId.CONSENT, "consent-1")


def test_the_clients_own_full_access_never_widens_a_single_category_request() -> None:
    decision = decide(request(CLIENT, [RX], Purpose.PATRQT, day(1)), facts())

    assert decision.permitted == {RX}
    assert decision.denied == frozenset()
