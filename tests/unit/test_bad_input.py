"""Bad input is refused at construction with InvalidValue naming the field, and listing the
allowed values where there is a closed set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from confide.domain import (
    AccessRequest,
    Actor,
    Approval,
    BreakGlassGrant,
    Category,
    Client,
    Consent,
    ExceptionDisclosure,
    ExceptionGround,
    InvalidValue,
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Representation,
    RepresentationKind,
    Role,
    SelfConsentedCare,
    TreatmentRelationship,
    UnknownReference,
    VictimKind,
)
from tests.factories import (
    CLIENT,
    CLIENT_2,
    CLIN_A,
    CLIN_B,
    EXT_CLIN,
    GUARDIAN,
    HOME,
    PRIVACY_A,
    RCPT,
    SECOND,
    T0,
    consent,
    day,
    disclosure,
    facts,
    grant,
    relationship,
    representation,
)

NAIVE = datetime(2026, 1, 1, 9, 0)  # no timezone
CATEGORY_CODES = {c.value for c in Category}
PURPOSE_CODES = {p.value for p in Purpose}


def _request(**changes: object) -> AccessRequest:
    fields: dict[str, object] = {
        "actor_id": CLIN_A,
        "client_id": CLIENT,
        "categories": frozenset({Category.DIAGNOSIS}),
        "purpose": Purpose.TREAT,
        "at": T0,
    }
    fields.update(changes)
    return AccessRequest(**fields)  # type: ignore[arg-type]


def _consent(**changes: object) -> Consent:
    fields: dict[str, object] = {
        "id": "consent-1",
        "client_id": CLIENT,
        "recipient_id": EXT_CLIN,
        "categories": frozenset({Category.DIAGNOSIS}),
        "purposes": frozenset({Purpose.COC}),
        "period": Period(T0),
    }
    fields.update(changes)
    return Consent(**fields)  # type: ignore[arg-type]


def _refused(build: Callable[[], object]) -> InvalidValue:
    with pytest.raises(InvalidValue) as refused:
        build()
    return refused.value


# --- unknown codes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: _request(categories=["diagnosis", "dreams"]), "request.categories"),
        (lambda: _consent(categories=["dreams"]), "consent.categories"),
        (
            lambda: SelfConsentedCare("self-1", CLIENT, frozenset({"dreams"})),  # type: ignore[arg-type]
            "self_consented_care.categories",
        ),
        (lambda: disclosure(categories=["dreams"]), "disclosure.categories"),  # type: ignore[list-item]
    ],
    ids=["request", "consent", "self-consented-care", "disclosure"],
)
def test_an_unknown_category_code_is_refused_listing_every_category(
    build: Callable[[], object], field: str
) -> None:
    error = _refused(build)

    assert error.field == field
    assert set(error.allowed) == CATEGORY_CODES
    for code in CATEGORY_CODES:
        assert code in str(error)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: _request(purpose="CURIOSITY"), "request.purpose"),
        (lambda: _request(purpose="treat"), "request.purpose"),
        (lambda: _consent(purposes=["COC", "CURIOSITY"]), "consent.purposes"),
    ],
    ids=["request", "request-wrong-case", "consent"],
)
def test_an_unknown_purpose_code_is_refused_listing_every_purpose(
    build: Callable[[], object], field: str
) -> None:
    error = _refused(build)

    assert error.field == field
    assert set(error.allowed) == PURPOSE_CODES
    for code in PURPOSE_CODES:
        assert code in str(error)


@pytest.mark.parametrize(
    ("build", "field", "allowed"),
    [
        (lambda: _request(action="delete"), "request.action", {"read", "write"}),
        (lambda: _consent(effect="maybe"), "consent.effect", {"permit", "deny"}),
        (lambda: Actor("x-1", "owner"), "actor.role", {r.value for r in Role}),  # type: ignore[arg-type]
        (
            lambda: disclosure(ground="curiosity"),  # type: ignore[arg-type]
            "disclosure.ground",
            {g.value for g in ExceptionGround},
        ),
        (
            lambda: Representation("rep-1", GUARDIAN, CLIENT, "friend", Period(T0)),  # type: ignore[arg-type]
            "representation.kind",
            {k.value for k in RepresentationKind},
        ),
    ],
    ids=["action", "effect", "role", "ground", "representation-kind"],
)
def test_an_unknown_code_of_any_closed_set_is_refused_listing_the_set(
    build: Callable[[], object], field: str, allowed: set[str]
) -> None:
    error = _refused(build)

    assert error.field == field
    assert set(error.allowed) == allowed


# --- periods and times ---------------------------------------------------------------------


@pytest.mark.parametrize("end", [T0 - SECOND, T0], ids=["before-start", "at-start"])
def test_a_period_that_ends_at_or_before_it_starts_is_refused(end: datetime) -> None:
    error = _refused(lambda: Period(T0, end, name="consent.period"))

    assert error.field == "consent.period.end"


def test_a_period_that_ends_after_it_starts_is_accepted() -> None:
    assert Period(T0, T0 + SECOND).contains(T0)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: _request(at=NAIVE), "request.at"),
        (lambda: Period(NAIVE, name="consent.period"), "consent.period.start"),
        (
            lambda: Period(T0, NAIVE + timedelta(days=1), name="consent.period"),
            "consent.period.end",
        ),
        (lambda: _consent(revoked_at=NAIVE), "consent.revoked_at"),
        (lambda: Approval(CLIN_A, NAIVE), "approval.approved_at"),
        (
            lambda: BreakGlassGrant(
                "btg-1", CLIN_A, CLIENT, ExceptionGround.IMMINENT_RISK_SELF, NAIVE, T0, "synthetic"
            ),
            "break_glass.opened_at",
        ),
        (lambda: NoticeVersion("notice-v1", NAIVE), "notice.effective_from"),
        (
            lambda: NoticeAcknowledgment(CLIENT, "notice-v1", NAIVE),
            "acknowledgment.acknowledged_at",
        ),
    ],
    ids=[
        "request-at",
        "period-start",
        "period-end",
        "revoked-at",
        "approved-at",
        "break-glass-opened-at",
        "notice-effective-from",
        "acknowledged-at",
    ],
)
def test_a_naive_datetime_is_refused(build: Callable[[], object], field: str) -> None:
    error = _refused(build)

    assert error.field == field
    assert "timezone" in str(error)


# --- empty, missing and unknown references --------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: _request(categories=frozenset()), "request.categories"),
        (lambda: _consent(categories=frozenset()), "consent.categories"),
        (lambda: _consent(purposes=frozenset()), "consent.purposes"),
    ],
    ids=["request-categories", "consent-categories", "consent-purposes"],
)
def test_an_empty_set_of_codes_is_refused(build: Callable[[], object], field: str) -> None:
    error = _refused(build)

    assert error.field == field
    assert error.allowed


def test_a_consent_to_a_recipient_not_on_file_is_refused_at_build() -> None:
    with pytest.raises(UnknownReference) as refused:
        facts(consents=[consent("consent-1", "stranger-1", [Category.DIAGNOSIS], [Purpose.COC])])

    assert refused.value.field == "consent.recipient_id"
    assert "stranger-1" in str(refused.value)


def test_a_disclosure_to_a_recipient_not_on_file_is_refused_at_build() -> None:
    with pytest.raises(UnknownReference) as refused:
        facts(disclosures=[disclosure(recipient_id="stranger-1")])

    assert refused.value.field == "disclosure.recipient_id"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {
                "consents": [
                    consent(
                        "c-1", EXT_CLIN, [Category.DIAGNOSIS], [Purpose.COC], client_id="client-9"
                    )
                ]
            },
            "consent.client_id",
        ),
        ({"relationships": [relationship(clinician_id="clin-9")]}, "relationship.clinician_id"),
        ({"relationships": [relationship(client_id="client-9")]}, "relationship.client_id"),
        ({"break_glass": [grant(clinician_id="clin-9")]}, "break_glass.clinician_id"),
        ({"disclosures": [disclosure(requested_by="clin-9")]}, "disclosure.requested_by"),
        (
            {"acknowledgments": [NoticeAcknowledgment(CLIENT, "notice-v9", T0)]},
            "acknowledgment.version",
        ),
    ],
    ids=["consent-client", "clinician", "client", "break-glass", "requester", "notice-version"],
)
def test_a_fact_naming_something_not_on_file_is_refused_at_build(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(UnknownReference) as refused:
        facts(**kwargs)  # type: ignore[arg-type]

    assert refused.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"relationships": [relationship(clinician_id=RCPT)]}, "relationship.clinician_id"),
        (
            {"representations": [representation(representative_id=CLIN_A)]},
            "representation.representative_id",
        ),
    ],
    ids=["relationship-non-clinician", "representation-non-representative"],
)
def test_a_fact_naming_someone_in_the_wrong_role_is_refused_at_build(
    kwargs: dict[str, object], field: str
) -> None:
    error = _refused(lambda: facts(**kwargs))  # type: ignore[arg-type]

    assert error.field == field


def test_a_consent_naming_the_client_as_recipient_is_refused() -> None:
    error = _refused(lambda: _consent(recipient_id=CLIENT))

    assert error.field == "consent.recipient_id"


@pytest.mark.parametrize("bad_id", ["", "has space", "-leading-dash", "x" * 65, "a/b"])
def test_an_id_that_is_not_opaque_is_refused(bad_id: str) -> None:
    error = _refused(lambda: _request(actor_id=bad_id))

    assert error.field == "request.actor_id"


def test_a_clinician_without_an_organisation_is_refused() -> None:
    error = _refused(lambda: Actor("clin-9", Role.CLINICIAN))

    assert error.field == "actor.organisation_id"


# --- duplicate ids --------------------------------------------------------------------------

DUPLICATES = {
    "actor": ({"actors": [Actor(CLIN_A, Role.CLINICIAN, HOME)]}, "actor.id"),
    "client": ({"clients": [Client(CLIENT, HOME)]}, "client.id"),
    "organisation": (
        {"organisations": [Organisation(HOME, "synthetic org again")]},
        "organisation.id",
    ),
    "consent": (
        {
            "consents": [
                consent("consent-1", EXT_CLIN, [Category.DIAGNOSIS], [Purpose.COC]),
                consent("consent-1", RCPT, [Category.BILLING], [Purpose.COC]),
            ]
        },
        "consent.id",
    ),
    "disclosure": ({"disclosures": [disclosure("disc-1"), disclosure("disc-1")]}, "disclosure.id"),
    "break-glass": (
        {"break_glass": [grant("btg-1"), grant("btg-1", opened_at=day(2))]},
        "break_glass.id",
    ),
    "notice-version": (
        {"notices": [NoticeVersion("notice-v1", T0), NoticeVersion("notice-v1", day(3))]},
        "notice.version",
    ),
}


@pytest.mark.parametrize(("kwargs", "field"), list(DUPLICATES.values()), ids=list(DUPLICATES))
def test_a_duplicate_id_is_refused_at_build(kwargs: dict[str, object], field: str) -> None:
    error = _refused(lambda: facts(**kwargs))  # type: ignore[arg-type]

    assert error.field == field


UNCHECKED_DUPLICATES = {
    "relationship": (
        {
            "relationships": [
                relationship("rel-1", CLIN_A, CLIENT),
                relationship("rel-1", CLIN_B, CLIENT),
            ]
        },
        "relationship.id",
    ),
    "representation": (
        {
            "representations": [
                representation("rep-1", client_id=CLIENT),
                representation("rep-1", client_id=CLIENT_2),
            ]
        },
        "representation.id",
    ),
    "self-consented-care": (
        {
            "self_consented_care": [
                SelfConsentedCare("self-1", CLIENT, frozenset({Category.SUBSTANCE_USE})),
                SelfConsentedCare("self-1", CLIENT_2, frozenset({Category.DIAGNOSIS})),
            ]
        },
        "self_consented_care.id",
    ),
}


@pytest.mark.parametrize(
    ("kwargs", "field"), list(UNCHECKED_DUPLICATES.values()), ids=list(UNCHECKED_DUPLICATES)
)
def test_a_duplicate_id_of_a_relationship_fact_is_refused_at_build(
    kwargs: dict[str, object], field: str
) -> None:
    error = _refused(lambda: facts(**kwargs))  # type: ignore[arg-type]

    assert error.field == field


# --- exception disclosures ------------------------------------------------------------------


def test_part2_court_findings_are_refused_on_a_ground_other_than_a_court_order() -> None:
    error = _refused(lambda: disclosure(part2_court_findings=True))

    assert error.field == "disclosure.part2_court_findings"


def test_a_victim_kind_is_refused_on_a_ground_other_than_abuse_or_neglect() -> None:
    error = _refused(lambda: disclosure(victim_kind=VictimKind.ELDER))

    assert error.field == "disclosure.victim_kind"


def test_an_exception_disclosure_names_a_second_person_as_approver() -> None:
    made = disclosure("disc-1", requested_by=CLIN_A, approver_id=PRIVACY_A)

    assert made.approval is not None
    assert made.approval.approver_id != made.requested_by


def test_an_exception_disclosure_window_must_end() -> None:
    error = _refused(
        lambda: ExceptionDisclosure(
            id="disc-1",
            client_id=CLIENT,
            ground=ExceptionGround.COURT_ORDER,
            recipient_id=RCPT,
            categories=frozenset({Category.DIAGNOSIS}),
            window=Period(T0),
            requested_by=CLIN_A,
            justification="synthetic justification",
        )
    )

    assert error.field == "disclosure.window.end"


# --- fields that must be a Period ----------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (
            lambda: TreatmentRelationship("rel-1", CLIN_A, CLIENT, "2026-01-01"),  # type: ignore[arg-type]
            "relationship.period",
        ),
        (
            lambda: Representation("rep-1", GUARDIAN, CLIENT, RepresentationKind.MINOR, None),  # type: ignore[arg-type]
            "representation.period",
        ),
        (
            lambda: disclosure(records_period="2025"),  # type: ignore[arg-type]
            "disclosure.records_period",
        ),
        (
            lambda: ExceptionDisclosure(
                id="disc-1",
                client_id=CLIENT,
                ground=ExceptionGround.COURT_ORDER,
                recipient_id=RCPT,
                categories=frozenset({Category.DIAGNOSIS}),
                window=Period(T0, day(1)),
                requested_by=CLIN_A,
                justification="synthetic justification",
                approval=PRIVACY_A,  # type: ignore[arg-type]
            ),
            "disclosure.approval",
        ),
    ],
    ids=["relationship", "representation", "records-period", "approval"],
)
def test_a_value_that_is_not_a_period_or_approval_is_refused(
    build: Callable[[], object], field: str
) -> None:
    error = _refused(build)

    assert error.field == field
