"""Reasons and error messages carry ids and codes, never what someone wrote: a consent's note,
a disclosure's or emergency's justification, an organisation's name."""

from __future__ import annotations

from datetime import datetime

import pytest

from confide.domain import (
    Action,
    Category,
    Consent,
    Decision,
    Effect,
    InvalidValue,
    Purpose,
    UnknownReference,
)
from confide.policy import decide
from tests.factories import (
    CLIN_B,
    EXT_CLIN,
    PRIVATE_JUSTIFICATION,
    PRIVATE_NOTE,
    RCPT,
    SECOND,
    consent,
    day,
    disclosure,
    facts,
    grant,
    request,
)

DX = Category.DIAGNOSIS


def _texts(decision: Decision) -> list[str]:
    return [*decision.reasons, *(o.text for o in decision.obligations)]


def _noted(*, effect: Effect = Effect.PERMIT, revoked_at: datetime | None = None) -> Consent:
    return consent(
        "consent-1",
        EXT_CLIN,
        [DX],
        [Purpose.COC],
        day(1),
        end=day(8),
        effect=effect,
        revoked_at=revoked_at,
        note=PRIVATE_NOTE,
    )


# Each case: the consent, when it is asked, how; the decision cites consent-1 in every case.
NOTE_CASES = {
    "permitted": (_noted(), day(2), Action.READ),
    "not-yet-active": (_noted(), day(1) - SECOND, Action.READ),
    "revoked": (_noted(revoked_at=day(3)), day(4), Action.READ),
    "expired": (_noted(), day(8), Action.READ),
    "forbidding": (_noted(effect=Effect.DENY), day(2), Action.READ),
}


@pytest.mark.parametrize(("provision", "at", "action"), NOTE_CASES.values(), ids=list(NOTE_CASES))
def test_a_consents_note_never_appears_in_a_decisions_reasons(
    provision: Consent, at: datetime, action: Action
) -> None:
    decision = decide(
        request(EXT_CLIN, [DX], Purpose.COC, at, action=action), facts(consents=[provision])
    )

    assert any("consent-1" in r for r in decision.reasons), decision.reasons
    for text in _texts(decision):
        assert PRIVATE_NOTE not in text


def test_a_consents_note_never_appears_when_a_write_is_denied() -> None:
    decision = decide(
        request(EXT_CLIN, [DX], Purpose.COC, day(2), action=Action.WRITE),
        facts(consents=[_noted()]),
    )

    assert decision.reasons
    assert all(PRIVATE_NOTE not in text for text in _texts(decision))


@pytest.mark.parametrize("approver", ["privacy-a", None], ids=["approved", "pending"])
def test_a_disclosures_justification_never_appears_in_a_decisions_reasons(
    approver: str | None,
) -> None:
    f = facts(
        disclosures=[
            disclosure("disc-1", approver_id=approver, justification=PRIVATE_JUSTIFICATION)
        ]
    )

    decision = decide(request(RCPT, [Category.RISK_ASSESSMENT], Purpose.THREAT, day(1)), f)

    assert any("disc-1" in r for r in decision.reasons)
    assert all(PRIVATE_JUSTIFICATION not in text for text in _texts(decision))


@pytest.mark.parametrize("minutes", [5, 90], ids=["open", "expired"])
def test_a_break_the_glass_justification_never_appears_in_a_decisions_reasons(
    minutes: int,
) -> None:
    f = facts(break_glass=[grant("btg-1", opened_at=day(1), justification=PRIVATE_JUSTIFICATION)])
    at = day(1) + minutes * 60 * SECOND

    decision = decide(request(CLIN_B, [Category.RISK_ASSESSMENT], Purpose.BTG, at), f)

    assert any("btg-1" in r for r in decision.reasons)
    assert all(PRIVATE_JUSTIFICATION not in text for text in _texts(decision))


def test_an_organisations_name_never_appears_in_a_decisions_reasons() -> None:
    f = facts(consents=[consent("consent-org", "org-other", [DX], [Purpose.COC])])

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(1)), f)

    assert any("org-other" in r for r in decision.reasons)
    assert all("synthetic org" not in text for text in _texts(decision))


def test_an_error_about_a_consent_never_quotes_its_note() -> None:
    provision = consent("consent-1", "stranger-1", [DX], [Purpose.COC], note=PRIVATE_NOTE)

    with pytest.raises(UnknownReference) as refused:
        facts(consents=[provision])

    assert "stranger-1" in str(refused.value)
    assert PRIVATE_NOTE not in str(refused.value)


def test_an_error_about_an_unknown_code_never_quotes_the_text_it_was_given() -> None:
    with pytest.raises(InvalidValue) as refused:
        request(EXT_CLIN, [PRIVATE_NOTE], Purpose.COC, day(1))  # type: ignore[list-item]

    assert refused.value.field == "request.categories"
    if PRIVATE_NOTE in str(refused.value):
        pytest.fail("the rejected text is quoted in the error message")
