"""Substance-use records (42 CFR Part 2): only under a consent that names them; every release
carries the redisclosure notice (42 CFR 2.32)."""

from __future__ import annotations

import pytest

from confide.domain import (
    ALL_CATEGORIES,
    Category,
    Decision,
    ExceptionGround,
    ObligationKind,
    Purpose,
    RuleId,
)
from confide.policy import PART2_REDISCLOSURE_NOTICE, decide
from tests.factories import (
    CLIENT,
    CLIN_A,
    EXT_CLIN,
    GUARDIAN,
    RCPT,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    consent,
    day,
    disclosure,
    facts,
    relationship,
    representation,
    request,
)

SUD = Category.SUBSTANCE_USE
GENERAL = ALL_CATEGORIES - {SUD, Category.PSYCHOTHERAPY_NOTE}


def _assert_notice(decision: Decision) -> None:
    notices = decision.obligations_of(ObligationKind.REDISCLOSURE_NOTICE)
    assert len(notices) == 1
    assert notices[0].text == PART2_REDISCLOSURE_NOTICE
    assert notices[0].categories == {SUD}
    assert notices[0].cites == "42 CFR 2.32"


def test_a_general_consent_never_covers_substance_use_records() -> None:
    f = facts(consents=[consent("consent-all", EXT_CLIN, GENERAL, [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [SUD], Purpose.COC, day(1)), f)

    assert_denied_outright(decision, RuleId.SUBSTANCE_USE_PROTECTED)
    o = assert_denied(decision, SUD, RuleId.SUBSTANCE_USE_PROTECTED)
    assert "42 CFR 2.31" in o.cites


def test_a_consent_naming_substance_use_releases_it_with_the_redisclosure_notice() -> None:
    f = facts(consents=[consent("consent-sud", EXT_CLIN, [SUD], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [SUD], Purpose.COC, day(1)), f)

    assert_permitted(decision, SUD, RuleId.CONSENT, "consent-sud")
    _assert_notice(decision)


def test_a_permit_without_substance_use_carries_no_redisclosure_notice() -> None:
    f = facts(consents=[consent("consent-1", EXT_CLIN, [SUD, Category.DIAGNOSIS], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert decision.permitted == {Category.DIAGNOSIS}
    assert not decision.obligations_of(ObligationKind.REDISCLOSURE_NOTICE)


def test_a_partial_permit_that_withholds_substance_use_carries_no_redisclosure_notice() -> None:
    f = facts(consents=[consent("consent-dx", EXT_CLIN, [Category.DIAGNOSIS], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [SUD, Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert decision.denied == {SUD}
    assert not decision.obligations_of(ObligationKind.REDISCLOSURE_NOTICE)


def test_a_partial_permit_that_includes_substance_use_carries_the_notice_once() -> None:
    f = facts(consents=[consent("consent-sud", EXT_CLIN, [SUD], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [SUD, Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert decision.permitted == {SUD}
    _assert_notice(decision)


@pytest.mark.parametrize(
    ("actor", "purpose", "extra", "rule"),
    [
        (CLIN_A, Purpose.TREAT, "relationship", RuleId.TREATING_CLINICIAN),
        (CLIENT, Purpose.PATRQT, None, RuleId.CLIENT_OWN_RECORD),
        (GUARDIAN, Purpose.PWATRNY, "representation", RuleId.REPRESENTATIVE),
        (RCPT, Purpose.HLEGAL, "court_order", RuleId.EXCEPTION_DISCLOSURE),
    ],
    ids=["treating", "own-record", "representative", "court-order"],
)
def test_every_ground_that_releases_substance_use_adds_the_redisclosure_notice(
    actor: str, purpose: Purpose, extra: str | None, rule: RuleId
) -> None:
    f = facts(
        relationships=[relationship()] if extra == "relationship" else [],
        representations=[representation()] if extra == "representation" else [],
        disclosures=[
            disclosure(
                ground=ExceptionGround.COURT_ORDER,
                categories=[SUD],
                part2_court_findings=True,
            )
        ]
        if extra == "court_order"
        else [],
    )

    decision = decide(request(actor, [SUD], purpose, day(1)), f)

    assert decision.permitted == {SUD}
    assert decision.rule_id is rule
    _assert_notice(decision)
