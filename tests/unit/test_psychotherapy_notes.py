"""Psychotherapy notes: only to their author, or under an authorization that names them alone
(HIPAA 164.508(a)(2), (b)(3)(ii)); a general consent never covers them."""

from __future__ import annotations

import pytest

from confide.domain import ALL_CATEGORIES, Category, Effect, InvalidValue, Period, Purpose, RuleId
from confide.domain import Consent as ConsentValue
from confide.policy import decide
from tests.factories import (
    CLIENT,
    EXT_CLIN,
    T0,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    consent,
    day,
    facts,
    refusal,
    request,
)

PN = Category.PSYCHOTHERAPY_NOTE
EVERYTHING_ELSE = ALL_CATEGORIES - {PN}


def test_a_general_consent_never_covers_psychotherapy_notes() -> None:
    f = facts(consents=[consent("consent-all", EXT_CLIN, EVERYTHING_ELSE, [Purpose.TREAT])])

    decision = decide(request(EXT_CLIN, [PN], Purpose.TREAT, day(1)), f)

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)
    o = assert_denied(decision, PN, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)
    assert "45 CFR 164.508(a)(2)" in o.cites


def test_an_authorization_naming_psychotherapy_notes_releases_them() -> None:
    f = facts(consents=[consent("auth-pn", EXT_CLIN, [PN], [Purpose.TREAT])])

    decision = decide(request(EXT_CLIN, [PN], Purpose.TREAT, day(1)), f)

    assert_permitted(decision, PN, RuleId.CONSENT, "auth-pn")


def test_an_authorization_for_psychotherapy_notes_releases_only_its_purpose() -> None:
    f = facts(consents=[consent("auth-pn", EXT_CLIN, [PN], [Purpose.TREAT])])

    decision = decide(request(EXT_CLIN, [PN], Purpose.HLEGAL, day(1)), f)

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)


@pytest.mark.parametrize("other", sorted(EVERYTHING_ELSE))
def test_a_permit_combining_psychotherapy_notes_with_another_category_is_refused(
    other: Category,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        ConsentValue(
            id="consent-1",
            client_id=CLIENT,
            recipient_id=EXT_CLIN,
            categories=frozenset({PN, other}),
            purposes=frozenset({Purpose.TREAT}),
            period=Period(T0),
        )

    assert refused.value.field == "consent.categories"
    assert "164.508(b)(3)(ii)" in str(refused.value)


def test_a_refusal_may_combine_psychotherapy_notes_with_other_categories() -> None:
    provision = refusal("refusal-1", EXT_CLIN, [PN, Category.DIAGNOSIS], [Purpose.TREAT])

    assert provision.effect is Effect.DENY
    assert provision.categories == {PN, Category.DIAGNOSIS}


def test_an_authorization_for_psychotherapy_notes_alone_is_accepted() -> None:
    provision = consent("auth-pn", EXT_CLIN, [PN], [Purpose.TREAT])

    assert provision.categories == {PN}
    assert provision.effect is Effect.PERMIT


def test_a_general_consent_still_releases_its_categories_when_notes_are_asked_too() -> None:
    f = facts(consents=[consent("consent-dx", EXT_CLIN, [Category.DIAGNOSIS], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [PN, Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert_permitted(decision, Category.DIAGNOSIS, RuleId.CONSENT, "consent-dx")
    assert_denied(decision, PN, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)
