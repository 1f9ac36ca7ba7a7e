"""A personal representative acts for a minor or an incapacitated adult; what a minor consented
to themself stays hidden from the representative unless the practice's jurisdiction says not."""

from __future__ import annotations

import pytest

from confide.domain import (
    Action,
    Category,
    Purpose,
    RepresentationKind,
    RuleId,
    SelfConsentedCare,
)
from confide.policy import PolicySettings, decide
from tests.factories import (
    CLIENT,
    CLIENT_2,
    GUARDIAN,
    SECOND,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    cats,
    day,
    facts,
    representation,
    request,
)

DX = Category.DIAGNOSIS
SUD = Category.SUBSTANCE_USE
MINOR = RepresentationKind.MINOR
INCAPACITATED = RepresentationKind.INCAPACITATED_ADULT
SHIELDED = SelfConsentedCare("self-1", CLIENT, cats(SUD, Category.PROGRESS_NOTE))
SEES_SELF_CONSENTED = PolicySettings(representative_sees_self_consented_care=True)


@pytest.mark.parametrize("kind", list(RepresentationKind))
@pytest.mark.parametrize("purpose", [Purpose.PATRQT, Purpose.PWATRNY])
def test_a_representative_reads_the_record_of_the_client_they_act_for(
    purpose: Purpose, kind: RepresentationKind
) -> None:
    f = facts(representations=[representation("rep-1", kind)])

    decision = decide(request(GUARDIAN, [DX], purpose, day(1)), f)

    assert_permitted(decision, DX, RuleId.REPRESENTATIVE, "rep-1")
    assert decision.rule_id is RuleId.REPRESENTATIVE


def test_a_representative_without_a_representation_is_denied() -> None:
    decision = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(1)), facts())

    assert_denied_outright(decision, RuleId.DEFAULT)


def test_a_representation_reaches_only_its_own_client() -> None:
    f = facts(representations=[representation("rep-1", client_id=CLIENT_2)])

    decision = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(1)), f)

    assert_denied_outright(decision, RuleId.DEFAULT)


@pytest.mark.parametrize(
    "purpose", [p for p in Purpose if p not in (Purpose.PATRQT, Purpose.PWATRNY)]
)
def test_a_representative_reads_only_for_the_clients_own_purposes(purpose: Purpose) -> None:
    f = facts(representations=[representation("rep-1")])

    decision = decide(request(GUARDIAN, [DX], purpose, day(1)), f)

    assert not decision.permitted


def test_a_representative_may_not_write_the_record() -> None:
    f = facts(representations=[representation("rep-1")])

    decision = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(1), action=Action.WRITE), f)

    assert not decision.permitted


def test_a_representation_lasts_only_for_its_period() -> None:
    f = facts(representations=[representation("rep-1", start=day(1), end=day(5))])

    inside = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(5) - SECOND), f)
    after = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(5)), f)
    before = decide(request(GUARDIAN, [DX], Purpose.PWATRNY, day(1) - SECOND), f)

    assert_permitted(inside, DX, RuleId.REPRESENTATIVE, "rep-1")
    assert not after.permitted
    assert not before.permitted


def test_care_a_minor_consented_to_themself_is_hidden_from_their_representative() -> None:
    f = facts(representations=[representation("rep-1", MINOR)], self_consented_care=[SHIELDED])

    decision = decide(request(GUARDIAN, [SUD], Purpose.PWATRNY, day(1)), f)

    assert_denied_outright(decision, RuleId.MINOR_SELF_CONSENTED_CARE)
    o = assert_denied(decision, SUD, RuleId.MINOR_SELF_CONSENTED_CARE)
    assert "45 CFR 164.502(g)(3)" in o.cites


def test_a_minors_representative_still_sees_the_care_they_did_not_self_consent() -> None:
    f = facts(representations=[representation("rep-1", MINOR)], self_consented_care=[SHIELDED])

    decision = decide(request(GUARDIAN, [SUD, DX], Purpose.PATRQT, day(1)), f)

    assert_permitted(decision, DX, RuleId.REPRESENTATIVE, "rep-1")
    assert_denied(decision, SUD, RuleId.MINOR_SELF_CONSENTED_CARE)


def test_a_representative_sees_self_consented_care_where_the_practice_allows_it() -> None:
    f = facts(representations=[representation("rep-1", MINOR)], self_consented_care=[SHIELDED])

    decision = decide(request(GUARDIAN, [SUD], Purpose.PWATRNY, day(1)), f, SEES_SELF_CONSENTED)

    assert_permitted(decision, SUD, RuleId.REPRESENTATIVE, "rep-1")


def test_an_incapacitated_adults_representative_is_not_shielded_from_any_care() -> None:
    f = facts(
        representations=[representation("rep-1", INCAPACITATED)],
        self_consented_care=[SHIELDED],
    )

    decision = decide(request(GUARDIAN, [SUD, Category.PROGRESS_NOTE], Purpose.PWATRNY, day(1)), f)

    assert_permitted(decision, SUD, RuleId.REPRESENTATIVE, "rep-1")
    assert_permitted(decision, Category.PROGRESS_NOTE, RuleId.REPRESENTATIVE, "rep-1")


def test_a_representative_does_not_see_psychotherapy_notes_by_default() -> None:
    f = facts(representations=[representation("rep-1", INCAPACITATED)])

    decision = decide(request(GUARDIAN, [Category.PSYCHOTHERAPY_NOTE], Purpose.PWATRNY, day(1)), f)

    assert_denied_outright(decision, RuleId.PSYCHOTHERAPY_NOTE_PROTECTED)


def test_a_representative_never_receives_psychotherapy_notes_even_when_the_client_may() -> None:
    f = facts(representations=[representation()])
    open_to_client = PolicySettings(client_may_read_psychotherapy_notes=True)
    decision = decide(
        request(GUARDIAN, [Category.PSYCHOTHERAPY_NOTE], Purpose.PWATRNY, day(1)), f, open_to_client
    )
    assert not decision.is_permit


def test_any_standing_of_the_representative_may_permit() -> None:
    # A guardian of a minor whose shielded care is withheld may also, under another standing
    # (an incapacitated adult's representative), see it: each standing is tried.
    f = facts(
        representations=[
            representation("rep-a-minor"),
            representation("rep-b-adult", RepresentationKind.INCAPACITATED_ADULT),
        ],
        self_consented_care=[SHIELDED],
    )
    decision = decide(request(GUARDIAN, [SUD], Purpose.PWATRNY, day(1)), f)
    assert decision.permitted == {SUD}
