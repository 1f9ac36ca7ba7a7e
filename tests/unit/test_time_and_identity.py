"""Times are compared as instants, ids name one kind of thing, and approvals come from the right
people: rules that a local clock, a reused id or a wrong approver must not bend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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
    Organisation,
    Period,
    Purpose,
    Role,
    RuleId,
)
from confide.policy import decide
from confide.policy.facts import Facts

NEW_YORK = ZoneInfo("America/New_York")
# 2026-11-01 01:30 happens twice in New York; fold=1 is the second, an hour later in UTC.
FIRST_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _facts(**extra: object) -> Facts:
    return Facts.build(
        actors=[
            Actor("clin-x", Role.CLINICIAN, "org-a"),
            Actor("staff-x", Role.STAFF, "org-a"),
            Actor("privacy-x", Role.PRIVACY_OFFICER, "org-a"),
            Actor("police-x", Role.RECIPIENT, "org-police"),
            Actor("privacy-police", Role.PRIVACY_OFFICER, "org-police"),
        ],
        clients=[Client("client-x", "org-a")],
        organisations=[Organisation("org-a", "A"), Organisation("org-police", "Police")],
        **extra,  # type: ignore[arg-type]
    )


def test_every_time_is_held_in_utc() -> None:
    assert AccessRequest("clin-x", "client-x", {"diagnosis"}, "TREAT", FIRST_0130).at.tzinfo is UTC


def test_a_revocation_holds_across_a_daylight_saving_fold() -> None:
    consent = Consent(
        "c-1", "client-x", "clin-x", {"diagnosis"}, {"COC"}, Period(T0), revoked_at=FIRST_0130
    )
    later_local = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NEW_YORK)  # 40 min after, in UTC
    decision = decide(
        AccessRequest("clin-x", "client-x", {"diagnosis"}, "COC", later_local),
        _facts(consents=[consent]),
    )
    assert decision.rule_id is RuleId.CONSENT_REVOKED


def test_break_the_glass_lasts_at_most_its_window_in_real_time_across_a_fold() -> None:
    grant = BreakGlassGrant(
        "btg-1",
        "clin-x",
        "client-x",
        ExceptionGround.IMMINENT_RISK_SELF,
        FIRST_0130,
        FIRST_0130 + timedelta(hours=6),
        "synthetic",
    )
    real_hour_and_three_quarters = FIRST_0130.astimezone(UTC) + timedelta(minutes=105)
    decision = decide(
        AccessRequest(
            "clin-x", "client-x", {"risk_assessment"}, "BTG", real_hour_and_three_quarters
        ),
        _facts(break_glass=[grant]),
    )
    assert decision.rule_id is RuleId.BREAK_GLASS_EXPIRED


def test_an_id_cannot_be_both_a_person_and_an_organisation() -> None:
    with pytest.raises(InvalidValue) as caught:
        Facts.build(
            actors=[Actor("north", Role.CLINICIAN, "org-a")],
            organisations=[Organisation("org-a", "A"), Organisation("north", "North")],
        )
    assert caught.value.field == "organisation.id"


def _disclosure(approver: str) -> ExceptionDisclosure:
    return ExceptionDisclosure(
        id="d-1",
        client_id="client-x",
        ground=ExceptionGround.IMMINENT_RISK_OTHERS,
        recipient_id="org-police",
        categories=frozenset({Category.RISK_ASSESSMENT}),
        window=Period(T0, T0 + timedelta(days=2)),
        requested_by="clin-x",
        justification="synthetic",
        approval=Approval(approver, T0),
    )


@pytest.mark.parametrize("approver", ["staff-x", "police-x", "privacy-police"])
def test_only_a_supervisor_or_privacy_officer_off_the_receiving_side_may_approve(
    approver: str,
) -> None:
    with pytest.raises(InvalidValue) as caught:
        _facts(disclosures=[_disclosure(approver)])
    assert caught.value.field == "disclosure.approval.approver_id"


def test_a_privacy_officer_of_the_practice_may_approve() -> None:
    decision = decide(
        AccessRequest(
            "police-x", "client-x", {"risk_assessment"}, Purpose.THREAT, T0 + timedelta(hours=1)
        ),
        _facts(disclosures=[_disclosure("privacy-x")]),
    )
    assert decision.rule_id is RuleId.EXCEPTION_DISCLOSURE
