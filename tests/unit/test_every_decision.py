"""Rules every decision keeps, checked over every request against a practice in every state.

The practice (``busy_facts``) holds active, expired, revoked and not-yet-active consents, a
refusal, ended and open relationships, approved and pending disclosures, a break-the-glass
grant, representatives and a notice the client has not acknowledged in its newest version.
"""

from __future__ import annotations

import pytest

from confide.domain import (
    AccessRequest,
    Action,
    Category,
    Decision,
    Effect,
    ObligationKind,
    RuleId,
)
from confide.policy import decide
from tests.factories import PRIVATE_JUSTIFICATION, PRIVATE_NOTE, busy_facts, every_request

Case = tuple[AccessRequest, Decision]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    facts = busy_facts()
    return [(r, decide(r, facts)) for r in every_request()]


def test_the_engine_never_raises_on_a_well_typed_request() -> None:
    facts = busy_facts()
    requests = every_request()
    decisions = [decide(r, facts) for r in requests]
    assert len(decisions) == len(requests)
    assert all(isinstance(d, Decision) for d in decisions)


def test_a_decision_never_widens_a_request(cases: list[Case]) -> None:
    for r, d in cases:
        assert d.permitted <= r.categories, r


def test_every_requested_category_is_either_permitted_or_denied(cases: list[Case]) -> None:
    for r, d in cases:
        assert d.permitted | d.denied == r.categories, r
        assert not d.permitted & d.denied, r
        assert sorted(o.category for o in d.outcomes) == sorted(r.categories), r


def test_a_decision_permits_exactly_when_some_category_is_permitted(cases: list[Case]) -> None:
    for r, d in cases:
        assert (d.effect is Effect.PERMIT) == bool(d.permitted), r
        assert d.permitted == {o.category for o in d.outcomes if o.effect is Effect.PERMIT}, r


def test_every_permitted_category_cites_its_ground(cases: list[Case]) -> None:
    permits = 0
    for r, d in cases:
        for o in d.outcomes:
            if o.effect is Effect.PERMIT:
                permits += 1
                assert o.cites, (r, o)
                assert o.rule_id.value.startswith("permit."), (r, o)
    assert permits > 0


def test_every_denied_category_names_a_denial_rule(cases: list[Case]) -> None:
    for r, d in cases:
        for o in d.outcomes:
            if o.effect is Effect.DENY:
                assert o.rule_id.value.startswith("deny."), (r, o)
                assert o.reason, (r, o)


def test_no_consent_ever_permits_a_write(cases: list[Case]) -> None:
    writes = [(r, d) for r, d in cases if r.action is Action.WRITE]
    assert writes
    for r, d in writes:
        assert all(o.rule_id is not RuleId.CONSENT for o in d.outcomes), r


def test_every_permit_of_substance_use_carries_the_redisclosure_notice(cases: list[Case]) -> None:
    seen = 0
    for r, d in cases:
        if Category.SUBSTANCE_USE in d.permitted:
            seen += 1
            assert d.obligations_of(ObligationKind.REDISCLOSURE_NOTICE), r
    assert seen > 0


def test_only_a_permit_of_substance_use_carries_the_redisclosure_notice(
    cases: list[Case],
) -> None:
    for r, d in cases:
        if Category.SUBSTANCE_USE not in d.permitted:
            assert not d.obligations_of(ObligationKind.REDISCLOSURE_NOTICE), r


def test_every_partial_permit_redacts_exactly_the_denied_categories(cases: list[Case]) -> None:
    partial = 0
    for r, d in cases:
        redactions = d.obligations_of(ObligationKind.REDACT)
        if d.permitted and d.denied:
            partial += 1
            assert len(redactions) == 1, r
            assert redactions[0].categories == d.denied, r
        else:
            assert not redactions, r
    assert partial > 0


def test_no_free_text_from_the_facts_appears_in_any_reason_or_duty(cases: list[Case]) -> None:
    for r, d in cases:
        words = [*d.reasons, *(o.text for o in d.obligations)]
        for text in words:
            assert PRIVATE_NOTE not in text, r
            assert PRIVATE_JUSTIFICATION not in text, r
            assert "synthetic org" not in text, r
