"""A treating clinician reads and writes their own client's record for treatment, while the
relationship lasts; psychotherapy notes only their own."""

from __future__ import annotations

from datetime import datetime

import pytest

from confide.domain import Action, Category, Purpose, RuleId
from confide.policy import decide
from tests.factories import (
    CLIENT_2,
    CLIN_A,
    CLIN_B,
    SECOND,
    SUPER_A,
    T0,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    day,
    facts,
    relationship,
    request,
)

NOT_NOTES = [c for c in Category if c is not Category.PSYCHOTHERAPY_NOTE]


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("category", NOT_NOTES)
def test_a_treating_clinician_may_read_and_write_their_clients_record_for_treatment(
    category: Category, action: Action
) -> None:
    decision = decide(
        request(CLIN_A, [category], Purpose.TREAT, day(1), action=action),
        facts(relationships=[relationship("rel-1", CLIN_A)]),
    )

    assert_permitted(decision, category, RuleId.TREATING_CLINICIAN, "rel-1")
    assert decision.rule_id is RuleId.TREATING_CLINICIAN


def test_a_treating_supervisor_may_read_their_clients_record_for_treatment() -> None:
    decision = decide(
        request(SUPER_A, [Category.DIAGNOSIS], Purpose.TREAT, day(1)),
        facts(relationships=[relationship("rel-s", SUPER_A)]),
    )

    assert_permitted(decision, Category.DIAGNOSIS, RuleId.TREATING_CLINICIAN, "rel-s")


def test_a_clinician_without_a_treatment_relationship_is_denied() -> None:
    decision = decide(
        request(CLIN_B, [Category.DIAGNOSIS], Purpose.TREAT, day(1)),
        facts(relationships=[relationship("rel-1", CLIN_A)]),
    )

    assert_denied_outright(decision, RuleId.DEFAULT)


def test_a_relationship_with_another_client_does_not_reach_this_client() -> None:
    decision = decide(
        request(CLIN_A, [Category.DIAGNOSIS], Purpose.TREAT, day(1)),
        facts(relationships=[relationship("rel-2", CLIN_A, CLIENT_2)]),
    )

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize("purpose", [p for p in Purpose if p is not Purpose.TREAT])
def test_a_treatment_relationship_permits_only_the_treatment_purpose(purpose: Purpose) -> None:
    decision = decide(
        request(CLIN_A, [Category.DIAGNOSIS], purpose, day(1)),
        facts(relationships=[relationship("rel-1", CLIN_A)]),
    )

    assert decision.permitted == frozenset()
    assert all(o.rule_id is not RuleId.TREATING_CLINICIAN for o in decision.outcomes)


def test_a_relationship_still_permits_one_second_before_it_ends() -> None:
    decision = decide(
        request(CLIN_A, [Category.PROGRESS_NOTE], Purpose.TREAT, day(5) - SECOND),
        facts(relationships=[relationship("rel-1", CLIN_A, end=day(5))]),
    )

    assert_permitted(decision, Category.PROGRESS_NOTE, RuleId.TREATING_CLINICIAN, "rel-1")


@pytest.mark.parametrize("at", [day(5), day(5) + SECOND, day(50)], ids=["at-end", "after", "later"])
def test_a_relationship_denies_from_the_moment_it_ends(at: datetime) -> None:
    decision = decide(
        request(CLIN_A, [Category.PROGRESS_NOTE], Purpose.TREAT, at),
        facts(relationships=[relationship("rel-1", CLIN_A, end=day(5))]),
    )

    assert_denied_outright(decision, RuleId.RELATIONSHIP_ENDED, "rel-1")
    assert_denied(decision, Category.PROGRESS_NOTE, RuleId.RELATIONSHIP_ENDED, "rel-1")


def test_a_relationship_permits_from_the_moment_it_starts_and_not_before() -> None:
    f = facts(relationships=[relationship("rel-1", CLIN_A, start=day(2))])

    before = decide(request(CLIN_A, [Category.DIAGNOSIS], Purpose.TREAT, day(2) - SECOND), f)
    at_start = decide(request(CLIN_A, [Category.DIAGNOSIS], Purpose.TREAT, day(2)), f)

    assert_denied_outright(before, RuleId.DEFAULT)
    assert_permitted(at_start, Category.DIAGNOSIS, RuleId.TREATING_CLINICIAN, "rel-1")


@pytest.mark.parametrize("action", list(Action))
def test_a_clinician_may_read_and_write_psychotherapy_notes_they_wrote(action: Action) -> None:
    decision = decide(
        request(
            CLIN_A,
            [Category.PSYCHOTHERAPY_NOTE],
            Purpose.TREAT,
            day(1),
            action=action,
            record_author_id=CLIN_A,
        ),
        facts(relationships=[relationship("rel-1", CLIN_A)]),
    )

    o = assert_permitted(
        decision, Category.PSYCHOTHERAPY_NOTE, RuleId.PSYCHOTHERAPY_NOTE_AUTHOR, "rel-1"
    )
    assert "45 CFR 164.508(a)(2)(i)(A)" in o.cites


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("author", [CLIN_B, None], ids=["other-author", "author-unknown"])
def test_a_treating_clinician_is_denied_psychotherapy_notes_another_wrote(
    author: str | None, action: Action
) -> None:
    decision = decide(
        request(
            CLIN_A,
            [Category.PSYCHOTHERAPY_NOTE],
            Purpose.TREAT,
            day(1),
            action=action,
            record_author_id=author,
        ),
        facts(relationships=[relationship("rel-1", CLIN_A), relationship("rel-2", CLIN_B)]),
    )

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)


def test_the_author_of_psychotherapy_notes_loses_them_when_the_relationship_ends() -> None:
    decision = decide(
        request(
            CLIN_A,
            [Category.PSYCHOTHERAPY_NOTE],
            Purpose.TREAT,
            day(5),
            record_author_id=CLIN_A,
        ),
        facts(relationships=[relationship("rel-1", CLIN_A, start=T0, end=day(5))]),
    )

    assert_denied_outright(decision, RuleId.RELATIONSHIP_ENDED, "rel-1")


def test_an_ended_relationship_does_not_shadow_a_current_one() -> None:
    decision = decide(
        request(CLIN_A, [Category.DIAGNOSIS], Purpose.TREAT, day(20)),
        facts(
            relationships=[
                relationship("rel-1", CLIN_A, start=T0, end=day(5)),
                relationship("rel-2", CLIN_A, start=day(10)),
            ]
        ),
    )

    assert_permitted(decision, Category.DIAGNOSIS, RuleId.TREATING_CLINICIAN, "rel-2")
