"""A client's refusal (a deny provision) overrides every consent and treatment permit, whatever
their order or age, never "latest consent wins"; it does not block a legal duty, break-the-glass
or the client's own access; revoking it lifts it."""

from __future__ import annotations

from datetime import datetime

import pytest

from confide.domain import Actor, Category, Client, Consent, Effect, Purpose, Role, RuleId
from confide.policy import decide
from tests.factories import (
    CLIN_A,
    EXT_CLIN,
    EXT_CLIN_2,
    OTHER,
    SECOND,
    T0,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    consent,
    day,
    disclosure,
    facts,
    grant,
    refusal,
    relationship,
    request,
)

DX = Category.DIAGNOSIS
RX = Category.MEDICATION


def _pair(deny: tuple[str, str, datetime], permit: tuple[str, str, datetime]) -> list[Consent]:
    """A refusal and a consent of diagnoses for coordination of care: (id, names, starts)."""
    return [
        refusal(deny[0], deny[1], [DX], [Purpose.COC], deny[2]),
        consent(permit[0], permit[1], [DX], [Purpose.COC], permit[2]),
    ]


# scenario: ((deny id, names, starts), (permit id, names, starts))
SCENARIOS = {
    "deny-older-than-permit": (("refusal-1", EXT_CLIN, day(0)), ("consent-1", EXT_CLIN, day(2))),
    "deny-newer-than-permit": (("refusal-1", EXT_CLIN, day(2)), ("consent-1", EXT_CLIN, day(0))),
    "deny-on-organisation-permit-on-person": (
        ("refusal-1", OTHER, day(0)),
        ("consent-1", EXT_CLIN, day(2)),
    ),
    "deny-on-person-permit-on-organisation": (
        ("refusal-1", EXT_CLIN, day(2)),
        ("consent-1", OTHER, day(0)),
    ),
    "deny-id-sorts-after-permit": (
        ("zz-refusal", EXT_CLIN, day(0)),
        ("aa-consent", EXT_CLIN, day(2)),
    ),
    "deny-id-sorts-before-permit": (
        ("aa-refusal", EXT_CLIN, day(2)),
        ("zz-consent", EXT_CLIN, day(0)),
    ),
}


@pytest.mark.parametrize("order", ["deny-first", "permit-first"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_refusal_overrides_a_consent_whatever_their_order_or_age(
    scenario: str, order: str
) -> None:
    deny, permit = _pair(*SCENARIOS[scenario])
    listed = [deny, permit] if order == "deny-first" else [permit, deny]
    assert deny.effect is Effect.DENY

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(5)), facts(consents=listed))

    assert_denied_outright(decision, RuleId.CONSENT_FORBIDS, deny.id)
    assert_denied(decision, DX, RuleId.CONSENT_FORBIDS, deny.id)


def test_a_consent_permits_until_a_newer_refusal_starts() -> None:
    f = facts(consents=_pair(("refusal-1", EXT_CLIN, day(4)), ("consent-1", EXT_CLIN, day(0))))

    before = decide(request(EXT_CLIN, [DX], Purpose.COC, day(4) - SECOND), f)
    at = decide(request(EXT_CLIN, [DX], Purpose.COC, day(4)), f)

    assert_permitted(before, DX, RuleId.CONSENT, "consent-1")
    assert_denied_outright(at, RuleId.CONSENT_FORBIDS, "refusal-1")


def test_a_refusal_overrides_a_treatment_relationship() -> None:
    f = facts(
        relationships=[relationship("rel-1", CLIN_A)],
        consents=[refusal("refusal-1", CLIN_A, [DX], [Purpose.TREAT])],
    )

    decision = decide(request(CLIN_A, [DX], Purpose.TREAT, day(1)), f)

    assert_denied_outright(decision, RuleId.CONSENT_FORBIDS, "refusal-1")


def test_a_refusal_of_a_clinicians_practice_overrides_their_treatment_relationship() -> None:
    f = facts(
        relationships=[relationship("rel-1", EXT_CLIN)],
        consents=[refusal("refusal-1", OTHER, [DX], [Purpose.TREAT])],
    )

    decision = decide(request(EXT_CLIN, [DX], Purpose.TREAT, day(1)), f)

    assert_denied_outright(decision, RuleId.CONSENT_FORBIDS, "refusal-1")


def test_a_refusal_withholds_only_its_categories() -> None:
    f = facts(
        relationships=[relationship("rel-1", CLIN_A)],
        consents=[refusal("refusal-1", CLIN_A, [DX], [Purpose.TREAT])],
    )

    decision = decide(request(CLIN_A, [DX, RX], Purpose.TREAT, day(1)), f)

    assert_permitted(decision, RX, RuleId.TREATING_CLINICIAN, "rel-1")
    assert_denied(decision, DX, RuleId.CONSENT_FORBIDS, "refusal-1")


def test_a_refusal_withholds_only_for_its_purposes() -> None:
    f = facts(
        consents=[
            refusal("refusal-1", EXT_CLIN, [DX], [Purpose.TREAT]),
            consent("consent-1", EXT_CLIN, [DX], [Purpose.COC, Purpose.TREAT]),
        ]
    )

    coc = decide(request(EXT_CLIN, [DX], Purpose.COC, day(1)), f)
    treat = decide(request(EXT_CLIN, [DX], Purpose.TREAT, day(1)), f)

    assert_permitted(coc, DX, RuleId.CONSENT, "consent-1")
    assert_denied_outright(treat, RuleId.CONSENT_FORBIDS, "refusal-1")


def test_a_refusal_of_a_colleague_does_not_reach_this_person() -> None:
    f = facts(
        consents=[
            refusal("refusal-1", EXT_CLIN_2, [DX], [Purpose.COC]),
            consent("consent-org", OTHER, [DX], [Purpose.COC]),
        ]
    )

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(1)), f)

    assert_permitted(decision, DX, RuleId.CONSENT, "consent-org")


def test_a_revoked_refusal_no_longer_forbids() -> None:
    f = facts(
        consents=[
            refusal("refusal-1", EXT_CLIN, [DX], [Purpose.COC], revoked_at=day(3)),
            consent("consent-1", EXT_CLIN, [DX], [Purpose.COC]),
        ]
    )

    before = decide(request(EXT_CLIN, [DX], Purpose.COC, day(3) - SECOND), f)
    at = decide(request(EXT_CLIN, [DX], Purpose.COC, day(3)), f)

    assert_denied_outright(before, RuleId.CONSENT_FORBIDS, "refusal-1")
    assert_permitted(at, DX, RuleId.CONSENT, "consent-1")


def test_an_expired_refusal_no_longer_forbids() -> None:
    f = facts(
        consents=[
            refusal("refusal-1", EXT_CLIN, [DX], [Purpose.COC], T0, end=day(3)),
            consent("consent-1", EXT_CLIN, [DX], [Purpose.COC]),
        ]
    )

    decision = decide(request(EXT_CLIN, [DX], Purpose.COC, day(3)), f)

    assert_permitted(decision, DX, RuleId.CONSENT, "consent-1")


def test_a_refusal_does_not_block_an_approved_exception_disclosure() -> None:
    risk = Category.RISK_ASSESSMENT
    f = facts(
        consents=[refusal("refusal-1", OTHER, [risk], [Purpose.THREAT])],
        disclosures=[disclosure("disc-1", recipient_id=EXT_CLIN, categories=[risk])],
    )

    decision = decide(request(EXT_CLIN, [risk], Purpose.THREAT, day(1)), f)

    assert_permitted(decision, risk, RuleId.EXCEPTION_DISCLOSURE, "disc-1")


def test_a_refusal_does_not_block_break_the_glass() -> None:
    risk = Category.RISK_ASSESSMENT
    f = facts(
        consents=[refusal("refusal-1", CLIN_A, [risk], [Purpose.BTG])],
        break_glass=[grant("btg-1", clinician_id=CLIN_A, opened_at=day(1))],
    )

    decision = decide(request(CLIN_A, [risk], Purpose.BTG, day(1)), f)

    assert_permitted(decision, risk, RuleId.BREAK_GLASS, "btg-1")


def test_a_refusal_does_not_block_the_clients_own_access() -> None:
    # A client who is also known by an organisation (say, a staff member treated at their own
    # practice) refuses that organisation: their own access is untouched.
    f = facts(
        actors=[Actor("client-4", Role.CLIENT, OTHER)],
        clients=[Client("client-4", OTHER)],
        consents=[refusal("refusal-1", OTHER, [DX], [Purpose.PATRQT], client_id="client-4")],
    )

    decision = decide(request("client-4", [DX], Purpose.PATRQT, day(1), client_id="client-4"), f)

    assert_permitted(decision, DX, RuleId.CLIENT_OWN_RECORD, "45 CFR 164.524")
