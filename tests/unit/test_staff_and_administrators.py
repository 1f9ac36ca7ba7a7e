"""Staff see only appointments, billing and contact details of their own practice's clients, for
payment or operations; administrators see nothing of a client's record."""

from __future__ import annotations

import pytest

from confide.domain import Action, Category, Purpose, RuleId
from confide.policy import decide
from tests.factories import (
    ADMIN,
    CLIENT_OTHER_ORG,
    CLINICAL_CATEGORIES,
    EXT_CLIN,
    HOME,
    OTHER,
    STAFF_HOME,
    STAFF_OTHER,
    assert_denied,
    assert_denied_outright,
    assert_permitted,
    consent,
    day,
    facts,
    relationship,
    request,
)

STAFF_CATEGORIES = [Category.DEMOGRAPHICS, Category.APPOINTMENTS, Category.BILLING]
STAFF_PURPOSES = [Purpose.HPAYMT, Purpose.HOPERAT]


@pytest.mark.parametrize("purpose", STAFF_PURPOSES)
@pytest.mark.parametrize("category", STAFF_CATEGORIES)
def test_staff_see_appointments_billing_and_demographics_of_their_practices_clients(
    category: Category, purpose: Purpose
) -> None:
    decision = decide(request(STAFF_HOME, [category], purpose, day(1)), facts())

    # The ground is the client's practice, which the staff member works at.
    o = assert_permitted(decision, category, RuleId.STAFF_OPERATIONS, HOME, cited_in_reason=False)
    assert "45 CFR 164.502(b)" in o.cites


@pytest.mark.parametrize("category", sorted(CLINICAL_CATEGORIES))
def test_staff_never_see_clinical_categories(category: Category) -> None:
    decision = decide(request(STAFF_HOME, [category], Purpose.HOPERAT, day(1)), facts())

    assert_denied_outright(decision, RuleId.STAFF_NOT_CLINICAL)
    assert_denied(decision, category, RuleId.STAFF_NOT_CLINICAL)


@pytest.mark.parametrize("purpose", [p for p in Purpose if p not in STAFF_PURPOSES])
def test_staff_see_nothing_for_a_purpose_other_than_payment_or_operations(
    purpose: Purpose,
) -> None:
    decision = decide(request(STAFF_HOME, [Category.APPOINTMENTS], purpose, day(1)), facts())

    assert not decision.permitted
    assert decision.rule_id is not RuleId.STAFF_OPERATIONS


@pytest.mark.parametrize("category", STAFF_CATEGORIES)
def test_staff_see_nothing_of_another_practices_clients(category: Category) -> None:
    own = decide(
        request(STAFF_OTHER, [category], Purpose.HPAYMT, day(1), client_id=CLIENT_OTHER_ORG),
        facts(),
    )
    foreign = decide(request(STAFF_OTHER, [category], Purpose.HPAYMT, day(1)), facts())

    assert own.permitted == {category}
    assert_denied_outright(foreign, RuleId.DEFAULT)


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize("category", list(Category))
def test_an_administrator_sees_no_client_content(category: Category, purpose: Purpose) -> None:
    decision = decide(request(ADMIN, [category], purpose, day(1)), facts())

    assert_denied_outright(decision, RuleId.ADMINISTRATOR)


@pytest.mark.parametrize("recipient", [ADMIN, HOME], ids=["names-admin", "names-admin-org"])
def test_an_administrator_sees_nothing_even_when_a_consent_names_them(recipient: str) -> None:
    f = facts(consents=[consent("consent-1", recipient, [Category.DIAGNOSIS], [Purpose.COC])])

    decision = decide(request(ADMIN, [Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert_denied_outright(decision, RuleId.ADMINISTRATOR)


def test_an_administrator_with_a_treatment_relationship_still_sees_nothing() -> None:
    # Facts.build refuses a relationship naming a non-clinician, so the administrator can only
    # ever ask; the engine denies before looking at any relationship.
    decision = decide(
        request(ADMIN, [Category.DIAGNOSIS], Purpose.TREAT, day(1), action=Action.WRITE),
        facts(relationships=[relationship()]),
    )

    assert_denied_outright(decision, RuleId.ADMINISTRATOR)


def test_a_consent_to_an_organisation_gives_its_staff_no_clinical_content() -> None:
    # Minimum necessary holds inside the recipient too (45 CFR 164.502(b), 164.514(d)(2)).
    f = facts(
        consents=[
            consent("consent-org", OTHER, [Category.DIAGNOSIS, Category.BILLING], [Purpose.COC])
        ]
    )
    ask = [Category.DIAGNOSIS, Category.BILLING]
    staff = decide(request(STAFF_OTHER, ask, Purpose.COC, day(1)), f)
    assert_denied(staff, Category.DIAGNOSIS, RuleId.STAFF_NOT_CLINICAL)
    assert_permitted(staff, Category.BILLING, RuleId.CONSENT, "consent-org")
    clinician = decide(request(EXT_CLIN, ask, Purpose.COC, day(1)), f)
    assert clinician.permitted == frozenset(ask)


def test_a_consent_naming_a_staff_member_in_person_reaches_them() -> None:
    f = facts(
        consents=[consent("consent-person", STAFF_OTHER, [Category.DIAGNOSIS], [Purpose.COC])]
    )
    decision = decide(request(STAFF_OTHER, [Category.DIAGNOSIS], Purpose.COC, day(1)), f)
    assert_permitted(decision, Category.DIAGNOSIS, RuleId.CONSENT, "consent-person")
