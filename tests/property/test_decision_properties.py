"""Confidentiality properties of the decision engine over generated practices."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from confide.domain import (
    ALL_CATEGORIES,
    AccessRequest,
    Category,
    Consent,
    Effect,
    ObligationKind,
    Period,
    Purpose,
    RuleId,
)
from confide.policy import decide
from tests.property.oracle import NOT_OVERRIDABLE, forbidden, grants
from tests.property.practices import BASE, CLINICAL, Practice, scenarios


@given(scenarios())
def test_no_permit_without_a_fact_that_grants_it(case: tuple[Practice, AccessRequest]) -> None:
    """Every permitted category cites a relationship, consent, the client, or an exception
    that really grants it, read from the law's text by an independent check."""
    p, r = case
    for outcome in decide(r, p.facts).outcomes:
        if outcome.effect is Effect.PERMIT:
            cited = outcome.cites[0] if outcome.cites else ""
            assert grants(p, r, outcome.category, outcome.rule_id, cited), outcome


@given(scenarios())
def test_a_refusal_overrides_every_permit_a_client_can_refuse(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    for outcome in decide(r, p.facts).outcomes:
        if outcome.effect is Effect.PERMIT and forbidden(p, r, outcome.category):
            assert outcome.rule_id in NOT_OVERRIDABLE, outcome


@given(scenarios())
def test_no_consent_permits_after_its_revocation(case: tuple[Practice, AccessRequest]) -> None:
    p, r = case
    revoked = [
        dataclasses.replace(c, revoked_at=min(r.at, c.revoked_at or r.at)) for c in p.consents
    ]
    after = dataclasses.replace(p, consents=revoked)
    decision = decide(r, after.facts)
    assert all(o.rule_id is not RuleId.CONSENT for o in decision.outcomes)


@given(scenarios())
def test_revoking_a_permission_never_widens_access(case: tuple[Practice, AccessRequest]) -> None:
    # (Revoking a refusal may widen access, as it should: that is the refusal lifted.)
    p, r = case
    before = decide(r, p.facts).permitted
    for i, c in enumerate(p.consents):
        if c.effect is Effect.DENY:
            continue
        consents = list(p.consents)
        consents[i] = dataclasses.replace(c, revoked_at=BASE)
        assert decide(r, dataclasses.replace(p, consents=consents).facts).permitted <= before


@given(scenarios())
def test_no_general_consent_releases_psychotherapy_notes_or_substance_use(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    general = [
        c
        for c in p.consents
        if not c.categories & {Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE}
    ]
    only_general = dataclasses.replace(
        p,
        consents=general,
        relationships=[],
        disclosures=[],
        break_glass=[],
        representations=[],
    )
    for outcome in decide(r, only_general.facts).outcomes:
        if outcome.category in (Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE):
            assert outcome.effect is Effect.DENY or outcome.rule_id is RuleId.CLIENT_OWN_RECORD


@given(scenarios())
def test_a_refusal_naming_the_asker_leaves_only_legal_duties_and_own_access(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    if r.actor_id == r.client_id:
        return
    refusal = Consent(
        "refusal-x",
        r.client_id,
        r.actor_id,
        ALL_CATEGORIES,
        frozenset(Purpose),
        Period(BASE),
        effect=Effect.DENY,
    )
    before = decide(r, p.facts).permitted
    after = decide(r, dataclasses.replace(p, consents=[*p.consents, refusal]).facts)
    assert after.permitted <= before
    assert all(o.rule_id in NOT_OVERRIDABLE for o in after.outcomes if o.effect is Effect.PERMIT)


@given(scenarios(), st.sampled_from(CLINICAL))
def test_a_clinician_never_reads_another_authors_psychotherapy_notes(
    case: tuple[Practice, AccessRequest], author: str
) -> None:
    p, r = case
    if author == r.actor_id:
        return
    ask = dataclasses.replace(
        r,
        categories=frozenset({Category.PSYCHOTHERAPY_NOTE}),
        purpose=Purpose.TREAT,
        record_author_id=author,
    )
    for outcome in decide(ask, p.facts).outcomes:
        if outcome.effect is Effect.PERMIT:
            # Only an authorization naming psychotherapy notes may open them (164.508(a)(2)).
            assert outcome.rule_id is RuleId.CONSENT, outcome


@given(scenarios())
def test_the_same_inputs_always_give_the_same_decision(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    first = decide(r, p.facts)
    assert decide(r, p.facts) == first
    assert decide(r, p.build(reverse=True)) == first


@given(scenarios())
def test_every_decision_gives_reasons_and_accounts_for_every_category(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    d = decide(r, p.facts)
    assert d.reasons
    assert all(o.reason.strip() for o in d.outcomes)
    assert {o.category for o in d.outcomes} == r.categories
    assert d.permitted | d.denied == r.categories
    assert not d.permitted & d.denied
    assert d.is_permit == bool(d.permitted)
    redactions = d.obligations_of(ObligationKind.REDACT)
    if d.is_permit and d.denied:
        assert [o.categories for o in redactions] == [d.denied]
    else:
        assert not redactions


@given(scenarios())
def test_every_substance_use_permit_carries_the_redisclosure_notice(
    case: tuple[Practice, AccessRequest],
) -> None:
    p, r = case
    d = decide(r, p.facts)
    notices = d.obligations_of(ObligationKind.REDISCLOSURE_NOTICE)
    assert bool(notices) == (Category.SUBSTANCE_USE in d.permitted)
