"""The client reads their own record (45 CFR 164.524), psychotherapy notes aside unless the
practice chooses to share them."""

from __future__ import annotations

import pytest

from confide.domain import Action, Category, Purpose, RuleId
from confide.policy import PolicySettings, decide
from tests.factories import (
    CLIENT,
    CLIENT_2,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    day,
    facts,
    request,
)

PN = Category.PSYCHOTHERAPY_NOTE
RIGHT_OF_ACCESS = "45 CFR 164.524"


@pytest.mark.parametrize("category", [c for c in Category if c is not PN])
def test_a_client_may_read_their_own_record(category: Category) -> None:
    decision = decide(request(CLIENT, [category], Purpose.PATRQT, day(1)), facts())

    assert_permitted(decision, category, RuleId.CLIENT_OWN_RECORD, RIGHT_OF_ACCESS)


def test_a_client_may_not_read_their_psychotherapy_notes_by_default() -> None:
    decision = decide(request(CLIENT, [PN], Purpose.PATRQT, day(1)), facts())

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)
    o = assert_denied(decision, PN, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)
    assert "45 CFR 164.524(a)(1)(i)" in o.cites


def test_a_client_may_read_their_psychotherapy_notes_when_the_practice_allows_it() -> None:
    settings = PolicySettings(client_may_read_psychotherapy_notes=True)

    decision = decide(request(CLIENT, [PN], Purpose.PATRQT, day(1)), facts(), settings)

    assert_permitted(decision, PN, RuleId.CLIENT_OWN_RECORD, RIGHT_OF_ACCESS)


def test_a_client_reading_everything_gets_all_but_psychotherapy_notes() -> None:
    decision = decide(request(CLIENT, list(Category), Purpose.PATRQT, day(1)), facts())

    assert decision.denied == {PN}
    assert decision.permitted == frozenset(Category) - {PN}


@pytest.mark.parametrize("purpose", [p for p in Purpose if p is not Purpose.PATRQT])
def test_a_client_reads_their_record_only_for_their_own_request(purpose: Purpose) -> None:
    decision = decide(request(CLIENT, [Category.DIAGNOSIS], purpose, day(1)), facts())

    assert not decision.permitted


def test_a_client_may_not_write_their_record() -> None:
    decision = decide(
        request(CLIENT, [Category.DIAGNOSIS], Purpose.PATRQT, day(1), action=Action.WRITE),
        facts(),
    )

    assert_denied_outright(decision, RuleId.DEFAULT)


def test_a_client_may_not_read_another_clients_record() -> None:
    decision = decide(
        request(CLIENT, [Category.DIAGNOSIS], Purpose.PATRQT, day(1), client_id=CLIENT_2),
        facts(),
    )

    assert_denied_outright(decision, RuleId.DEFAULT)
