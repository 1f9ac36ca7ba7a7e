"""The limits-of-confidentiality notice: its plain text, and a newer version asking the client
to acknowledge again; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from confide.domain import NoticeVersion
from confide.services import practice
from confide.services.deps import Deps
from confide.services.errors import NotFoundOrDenied
from confide.services.notice import default_notice_text, notice_status
from tests.integration.conftest import T0, Practice


def test_the_default_notice_names_the_three_limits_in_plain_words() -> None:
    text = " ".join(default_notice_text().split())
    for limit in ("harming yourself or someone else", "abused or neglected", "court orders it"):
        assert limit in text


def test_a_newer_notice_asks_the_client_to_acknowledge_again(
    deps: Deps, small_practice: Practice
) -> None:
    p = small_practice
    tag = p.client.removeprefix("client-")
    v1, v2 = f"notice-a-{tag}", f"notice-b-{tag}"
    practice.publish_notice(deps, NoticeVersion(v1, T0), by=p.officer)
    practice.acknowledge_notice(deps, p.client, v1, by=p.client)
    assert not notice_status(deps, p.client, by=p.client).needs_acknowledgment

    in_force = deps.clock.now()  # a moment after the first acknowledgment
    practice.publish_notice(
        deps, NoticeVersion(v2, in_force, "Synthetic notice text v2."), by=p.officer
    )

    status = notice_status(deps, p.client, by=p.clinician)
    assert status.current is not None
    assert status.current.version == v2
    assert status.text == "Synthetic notice text v2."
    assert status.needs_acknowledgment
    practice.acknowledge_notice(deps, p.client, v2, by=p.client)
    assert not notice_status(deps, p.client, by=p.client).needs_acknowledgment


def test_only_the_client_and_their_practice_see_the_notice_status(
    deps: Deps, small_practice: Practice
) -> None:
    with pytest.raises(NotFoundOrDenied):
        notice_status(deps, small_practice.client, by=small_practice.outsider)
    with pytest.raises(NotFoundOrDenied):
        notice_status(deps, "client-nobody", by=small_practice.officer)
