"""A consent permits exactly its recipient, categories, purposes and period; revocation is
immediate; consents never permit writing."""

from __future__ import annotations

from datetime import datetime

import pytest

from confide.domain import Action, Category, Effect, Purpose, RuleId
from confide.policy import decide
from tests.factories import (
    CLIENT_2,
    CLIN_A,
    EXT_CLIN,
    EXT_CLIN_2,
    OTHER,
    RCPT,
    SECOND,
    STAFF_OTHER,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    cats,
    consent,
    day,
    facts,
    request,
)

DX = Category.DIAGNOSIS


def test_a_consent_permits_its_recipient_its_category_for_its_purpose() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], day(1))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2)), f)

    assert_permitted(decision, DX, RuleId.CONSENT, "consent-1")
    assert decision.rule_id is RuleId.CONSENT
    assert any("consent-1" in r for r in decision.reasons)


def test_a_consent_naming_a_person_does_not_reach_a_colleague_of_theirs() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN_2, [DX], Purpose.COC, day(2)), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize("member", [EXT_CLIN, EXT_CLIN_2, STAFF_OTHER])
def test_a_consent_naming_an_organisation_permits_every_member(member: str) -> None:
    f = facts(consents=[consent("consent-org", OTHER, [Category.BILLING], [Purpose.COC])])

    decision = decide(request(member, [Category.BILLING], Purpose.COC, day(2)), f)

    assert_permitted(decision, Category.BILLING, RuleId.CONSENT, "consent-org")


@pytest.mark.parametrize("outsider", [RCPT, CLIN_A])
def test_a_consent_naming_an_organisation_does_not_reach_outsiders(outsider: str) -> None:
    f = facts(consents=[consent("consent-org", OTHER, [DX], [Purpose.COC])])

    decision = decide(request(outsider, [DX], Purpose.COC, day(2)), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize("category", [c for c in Category if c is not DX])
def test_a_consent_permits_no_category_it_does_not_name(category: Category) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [category], Purpose.COC, day(2)), f)

    assert not decision.permitted
    assert decision.rule_id is not RuleId.CONSENT


@pytest.mark.parametrize("purpose", [p for p in Purpose if p is not Purpose.COC])
def test_a_consent_permits_no_purpose_it_does_not_name(purpose: Purpose) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX], purpose, day(2)), f)

    assert not decision.permitted


def test_a_consent_permits_only_its_own_clients_record() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2), client_id=CLIENT_2), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (day(3), Effect.PERMIT),
        (day(3) - SECOND, Effect.DENY),
        (day(9) - SECOND, Effect.PERMIT),
        (day(9), Effect.DENY),
    ],
    ids=["at-start", "second-before-start", "second-before-end", "at-end"],
)
def test_a_consent_permits_from_its_start_until_just_before_its_end(
    at: datetime, expected: Effect
) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], day(3), end=day(9))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, at), f)

    assert decision.effect is expected


@pytest.mark.parametrize("at", [day(9), day(9) + SECOND, day(100)])
def test_an_expired_consent_denies(at: datetime) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], day(3), end=day(9))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, at), f)

    assert_denied_outright(decision, RuleId.CONSENT_EXPIRED, "consent-1")
    assert_denied(decision, DX, RuleId.CONSENT_EXPIRED, "consent-1")


@pytest.mark.parametrize("at", [day(0), day(3) - SECOND])
def test_a_consent_that_has_not_started_denies(at: datetime) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], day(3), end=day(9))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, at), f)

    assert_denied_outright(decision, RuleId.CONSENT_NOT_YET_ACTIVE, "consent-1")


def test_a_consent_permits_one_second_before_its_revocation() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], revoked_at=day(4))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(4) - SECOND), f)

    assert_permitted(decision, DX, RuleId.CONSENT, "consent-1")


@pytest.mark.parametrize("at", [day(4), day(4) + SECOND, day(400)], ids=["at", "after", "later"])
def test_a_revoked_consent_denies_from_the_moment_of_revocation(at: datetime) -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], revoked_at=day(4))])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, at), f)

    assert_denied_outright(decision, RuleId.CONSENT_REVOKED, "consent-1")
    assert_denied(decision, DX, RuleId.CONSENT_REVOKED, "consent-1")


def test_revocation_denies_every_category_and_purpose_of_the_consent_at_once() -> None:
    categories = cats(DX, Category.MEDICATION, Category.TREATMENT_PLAN)
    f = facts(
        consents=[
            consent(
                "consent-1",
                OTHER,
                categories,
                [Purpose.COC, Purpose.TREAT],
                revoked_at=day(4),
            )
        ]
    )

    for purpose in (Purpose.COC, Purpose.TREAT):
        for member in (EXT_CLIN, EXT_CLIN_2):
            decision = decide(request(member, categories, purpose, day(4)), f)
            assert_denied_outright(decision, RuleId.CONSENT_REVOKED, "consent-1")
            assert decision.denied == categories


def test_a_revoked_consent_does_not_hide_another_consent_in_force() -> None:
    f = facts(
        consents=[
            consent("consent-1", EXT_CLIN, [DX], [Purpose.COC], revoked_at=day(4)),
            consent("consent-2", OTHER, [DX], [Purpose.COC], day(3)),
        ]
    )

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(5)), f)

    assert_permitted(decision, DX, RuleId.CONSENT, "consent-2")


def test_a_consent_never_permits_writing() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2), action=Action.WRITE), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


def test_a_consent_never_permits_writing_even_after_the_same_read_was_permitted() -> None:
    f = facts(consents=[consent("deny", EXT_CLIN, [DX], [Purpose.COC])])
    read = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2)), f)

    write = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2), action=Action.WRITE), f)

    assert read.effect is Effect.PERMIT
    assert write.effect is Effect.DENY


def test_a_consent_permits_a_read_even_after_a_write_was_denied() -> None:
    f = facts(consents=[consent("deny", EXT_CLIN, [DX], [Purpose.COC])])
    decide(request(EXT_CLIN, [DX], Purpose.COC, day(2), action=Action.WRITE), f)

    read = decide(request(EXT_CLIN, [DX], Purpose.COC, day(2)), f)

    assert_permitted(read, DX, RuleId.CONSENT, "deny")
