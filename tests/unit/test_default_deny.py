"""Deny by default: nothing on file, an unknown person or an unknown client gets nothing."""

from __future__ import annotations

import pytest

from confide.domain import SPECIALLY_PROTECTED, Category, Effect, Purpose, RuleId
from confide.policy import decide
from tests.factories import (
    CLIENT,
    CLIN_A,
    EXT_CLIN,
    assert_denied,
    assert_denied_outright,
    day,
    facts,
    relationship,
    request,
)

ORDINARY = [c for c in Category if c not in SPECIALLY_PROTECTED]


@pytest.mark.parametrize("category", ORDINARY)
@pytest.mark.parametrize("purpose", [Purpose.TREAT, Purpose.COC, Purpose.HLEGAL])
def test_a_request_nothing_on_file_covers_is_denied_by_default(
    category: Category, purpose: Purpose
) -> None:
    decision = decide(request(EXT_CLIN, [category], purpose, day(1)), facts())

    assert_denied_outright(decision, RuleId.DEFAULT)
    o = assert_denied(decision, category, RuleId.DEFAULT)
    assert not o.cites


@pytest.mark.parametrize(
    ("category", "rule", "law"),
    [
        (Category.PSYCHOTHERAPY_NOTE, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED, "45 CFR 164.508(a)(2)"),
        (Category.SUBSTANCE_USE, RuleId.SUBSTANCE_USE_PROTECTED, "42 CFR 2.31"),
    ],
)
def test_a_specially_protected_category_nothing_covers_is_denied_citing_its_law(
    category: Category, rule: RuleId, law: str
) -> None:
    decision = decide(request(EXT_CLIN, [category], Purpose.COC, day(1)), facts())

    assert_denied_outright(decision, rule)
    o = assert_denied(decision, category, rule)
    assert o.cites == (law,)


def test_an_unknown_actor_is_denied_and_not_raised() -> None:
    decision = decide(
        request("nobody-1", [Category.DIAGNOSIS, Category.BILLING], Purpose.TREAT, day(1)),
        facts(relationships=[relationship()]),
    )

    assert_denied_outright(decision, RuleId.UNKNOWN_ACTOR)
    assert {o.rule_id for o in decision.outcomes} == {RuleId.UNKNOWN_ACTOR}
    assert decision.denied == {Category.DIAGNOSIS, Category.BILLING}


def test_an_unknown_client_is_denied_and_not_raised() -> None:
    decision = decide(
        request(CLIN_A, [Category.DIAGNOSIS], Purpose.TREAT, day(1), client_id="client-9"),
        facts(relationships=[relationship()]),
    )

    assert_denied_outright(decision, RuleId.UNKNOWN_CLIENT)
    assert_denied(decision, Category.DIAGNOSIS, RuleId.UNKNOWN_CLIENT)


def test_a_known_actor_with_a_known_client_is_not_reported_unknown() -> None:
    decision = decide(request(EXT_CLIN, [Category.DIAGNOSIS], Purpose.TREAT, day(1)), facts())

    assert decision.rule_id not in {RuleId.UNKNOWN_ACTOR, RuleId.UNKNOWN_CLIENT}
    assert decision.effect is Effect.DENY
    assert decision.outcomes[0].category is Category.DIAGNOSIS
    assert CLIENT not in decision.outcomes[0].cites
