"""A client who has not acknowledged the current limits-of-confidentiality notice gets a warning
on every permit; acknowledging removes it; a newer version brings it back."""

from __future__ import annotations

from datetime import datetime

from confide.domain import (
    Category,
    Decision,
    Effect,
    NoticeAcknowledgment,
    NoticeVersion,
    ObligationKind,
    Purpose,
)
from confide.policy import Facts, decide
from tests.factories import CLIENT, CLIENT_2, EXT_CLIN, SECOND, T0, consent, day, facts, request

V1 = NoticeVersion("notice-v1", T0)
V2 = NoticeVersion("notice-v2", day(10))


def _own_read(f: Facts, at: datetime, client_id: str = CLIENT) -> Decision:
    return decide(
        request(client_id, [Category.DIAGNOSIS], Purpose.PATRQT, at, client_id=client_id), f
    )


def _warnings(decision: Decision) -> tuple[str | None, ...]:
    return tuple(
        o.cites for o in decision.obligations_of(ObligationKind.WARN_NOTICE_NOT_ACKNOWLEDGED)
    )


def test_a_permit_for_a_client_who_never_acknowledged_the_notice_carries_a_warning() -> None:
    decision = _own_read(facts(notices=[V1]), day(1))

    assert decision.effect is Effect.PERMIT
    assert _warnings(decision) == ("notice-v1",)


def test_acknowledging_the_notice_removes_the_warning() -> None:
    f = facts(notices=[V1], acknowledgments=[NoticeAcknowledgment(CLIENT, "notice-v1", day(1))])

    decision = _own_read(f, day(1))

    assert decision.effect is Effect.PERMIT
    assert _warnings(decision) == ()


def test_an_acknowledgment_counts_only_from_when_it_was_given() -> None:
    f = facts(notices=[V1], acknowledgments=[NoticeAcknowledgment(CLIENT, "notice-v1", day(1))])

    decision = _own_read(f, day(1) - SECOND)

    assert _warnings(decision) == ("notice-v1",)


def test_a_newer_notice_version_brings_the_warning_back_until_acknowledged() -> None:
    acks = [NoticeAcknowledgment(CLIENT, "notice-v1", T0)]
    f = facts(notices=[V1, V2], acknowledgments=acks)
    acked = facts(
        notices=[V1, V2],
        acknowledgments=[*acks, NoticeAcknowledgment(CLIENT, "notice-v2", day(11))],
    )

    assert _warnings(_own_read(f, day(10) - SECOND)) == ()
    assert _warnings(_own_read(f, day(10))) == ("notice-v2",)
    assert _warnings(_own_read(acked, day(11) - SECOND)) == ("notice-v2",)
    assert _warnings(_own_read(acked, day(11))) == ()


def test_one_clients_acknowledgment_does_not_count_for_another() -> None:
    f = facts(notices=[V1], acknowledgments=[NoticeAcknowledgment(CLIENT, "notice-v1", T0)])

    decision = _own_read(f, day(1), client_id=CLIENT_2)

    assert _warnings(decision) == ("notice-v1",)


def test_a_practice_without_a_notice_on_file_warns_of_nothing() -> None:
    decision = _own_read(facts(), day(1))

    assert decision.effect is Effect.PERMIT
    assert _warnings(decision) == ()


def test_a_denial_carries_no_notice_warning() -> None:
    decision = decide(
        request(CLIENT, [Category.PSYCHOTHERAPY_NOTE], Purpose.PATRQT, day(1)), facts(notices=[V1])
    )

    assert decision.effect is Effect.DENY
    assert _warnings(decision) == ()


def test_a_permit_to_someone_else_about_the_client_carries_the_warning_too() -> None:
    f = facts(
        notices=[V1], consents=[consent("consent-1", EXT_CLIN, [Category.DIAGNOSIS], [Purpose.COC])]
    )

    decision = decide(request(EXT_CLIN, [Category.DIAGNOSIS], Purpose.COC, day(1)), f)

    assert decision.effect is Effect.PERMIT
    assert _warnings(decision) == ("notice-v1",)
