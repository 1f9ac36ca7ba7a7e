"""Why a category was denied: the most specific fact on file, in plain words.

Only denied categories come here. This path never permits anything: it picks which denial rule
to cite and what the person can do about it. Wording that depends only on ids and codes is
memoised on the facts, like the permit path's.
"""

from __future__ import annotations

from confide.domain.access import CategoryOutcome, Obligation, ObligationKind, RuleId
from confide.domain.codes import (
    CLINICAL_ROLES,
    Category,
    Effect,
    ExceptionGround,
    Purpose,
    RepresentationKind,
    Role,
)
from confide.domain.consent import Consent, ConsentStatus
from confide.policy.context import DecisionContext
from confide.policy.minimum_necessary import GROUND_PURPOSE, MINIMUM_NECESSARY, STAFF_CATEGORIES
from confide.policy.wording import day, moment

_DENY = Effect.DENY


def _deny(
    category: Category,
    rule: RuleId,
    reason: str,
    cites: tuple[str, ...] = (),
    obligations: tuple[Obligation, ...] = (),
) -> CategoryOutcome:
    return CategoryOutcome(category, _DENY, rule, reason, cites, obligations)


def explain_denial(
    ctx: DecisionContext, category: Category, forbidding: Consent | None
) -> CategoryOutcome:
    """Pick the most specific reason a category is denied."""
    if forbidding is not None:
        return _deny(
            category,
            RuleId.CONSENT_FORBIDS,
            f"The client's consent {forbidding.id} forbids sharing {category.label} with "
            f"{forbidding.recipient_id} for {ctx.request.purpose.label}; a refusal overrides "
            "any permission.",
            (forbidding.id,),
        )
    role = ctx.actor.role
    if role is Role.STAFF and category not in STAFF_CATEGORIES:
        return _STAFF_NOT_CLINICAL[category]
    if (
        role is Role.CLIENT
        and category is Category.PSYCHOTHERAPY_NOTE
        and ctx.actor.id == ctx.request.client_id
    ):
        return _NOT_IN_RIGHT_OF_ACCESS
    if ctx.request.client_id in ctx.facts.disclosure_clients:
        outcome = _exception_limits(ctx, category)
        if outcome is not None:
            return outcome
    if role is Role.REPRESENTATIVE:
        outcome = _minor_self_consent(ctx, category)
        if outcome is not None:
            return outcome
    outcome = _near_misses(ctx, category)
    if outcome is not None:
        return outcome
    protected = _PROTECTED.get(category)
    if protected is not None:
        return protected
    return _default(ctx, category)


def _default(ctx: DecisionContext, category: Category) -> CategoryOutcome:
    purpose = ctx.request.purpose
    key = ("deny", ctx.actor.id, category, purpose)
    cache = ctx.facts.outcome_cache
    outcome: CategoryOutcome | None = cache.get(key)
    if outcome is None:
        outcome = cache[key] = _deny(
            category,
            RuleId.DEFAULT,
            f"Nothing on file lets {ctx.actor.id} see {category.label} for {purpose.label}: no "
            "treatment relationship, consent or approved disclosure covers it.",
        )
    return outcome


def _exception_limits(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    r = ctx.request
    for key in ctx.recipient_keys:
        for d in ctx.facts.disclosures.get((r.client_id, key), ()):
            if category not in d.categories or GROUND_PURPOSE[d.ground] is not r.purpose:
                continue
            if category not in MINIMUM_NECESSARY[d.ground]:
                return _deny(
                    category,
                    RuleId.BEYOND_MINIMUM_NECESSARY,
                    f"Disclosure {d.id} names {category.label}, which is more than "
                    f"{d.ground.label} allows to disclose (minimum necessary, "
                    "45 CFR 164.502(b)); it is withheld.",
                    (d.id, "45 CFR 164.502(b)"),
                )
            if d.approval is None or r.at < d.approval.approved_at:
                return _deny(
                    category,
                    RuleId.APPROVAL_PENDING,
                    f"Disclosure {d.id} is waiting for a second person's approval.",
                    (d.id,),
                    (
                        Obligation(
                            ObligationKind.REQUIRE_APPROVAL,
                            f"A second person must approve disclosure {d.id} before it is made.",
                            categories=frozenset({category}),
                            cites=d.id,
                        ),
                    ),
                )
            if (
                category is Category.SUBSTANCE_USE
                and d.ground is ExceptionGround.COURT_ORDER
                and not d.part2_court_findings
            ):
                return _deny(
                    category,
                    RuleId.PART2_COURT_FINDINGS_MISSING,
                    f"Substance-use records under court order {d.id} need the court's findings "
                    "under 42 CFR 2.64; none are recorded.",
                    (d.id, "42 CFR 2.64"),
                )
            if not d.window.contains(r.at):
                return _deny(
                    category,
                    RuleId.DEFAULT,
                    f"Disclosure {d.id} may be made only {d.window.describe()}.",
                    (d.id,),
                )
    return None


def _minor_self_consent(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    r = ctx.request
    if category not in ctx.facts.self_consented.get(r.client_id, frozenset()):
        return None
    for rep in ctx.facts.representations.get((ctx.actor.id, r.client_id), ()):
        if rep.kind is RepresentationKind.MINOR and rep.period.contains(r.at):
            return _deny(
                category,
                RuleId.MINOR_SELF_CONSENTED_CARE,
                f"The client consented to care recorded as {category.label} themself as a "
                "minor; it is kept from their representative (45 CFR 164.502(g)(3)).",
                ("45 CFR 164.502(g)(3)",),
            )
    return None


def _near_misses(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    r = ctx.request
    facts = ctx.facts
    if r.purpose is Purpose.TREAT and ctx.actor.role in CLINICAL_ROLES:
        for rel in facts.relationships.get((ctx.actor.id, r.client_id), ()):
            if rel.period.end is not None and rel.period.has_ended(r.at):
                return _deny(
                    category,
                    RuleId.RELATIONSHIP_ENDED,
                    f"The treatment relationship {rel.id} ended on {day(rel.period.end)}; "
                    "access ended with it.",
                    (rel.id,),
                )
    elif r.purpose is Purpose.BTG:
        for g in facts.break_glass.get((ctx.actor.id, r.client_id), ()):
            until = min(g.expires_at, g.opened_at + ctx.settings.break_glass_max_window)
            if until <= r.at:
                return _deny(
                    category,
                    RuleId.BREAK_GLASS_EXPIRED,
                    f"Emergency access {g.id} ended at {moment(until)}.",
                    (g.id,),
                )
            if g.opened_at <= r.at and category not in MINIMUM_NECESSARY[g.ground]:
                return _deny(
                    category,
                    RuleId.BEYOND_MINIMUM_NECESSARY,
                    f"Emergency access {g.id} reaches only what {g.ground.label} needs; "
                    f"{category.label} are beyond it (minimum necessary, 45 CFR 164.502(b)).",
                    (g.id, "45 CFR 164.502(b)"),
                )
    permits = facts.permits
    consented = facts.consented_recipients.get(r.client_id)
    if not consented:
        return None
    for key in ctx.recipient_keys:
        if key not in consented:
            continue
        # Indexed like the permit path: only consents that name this category and purpose.
        for c in permits.get((r.client_id, key, category, r.purpose), ()):
            outcome = _lapsed_consent(c, ctx, category)
            if outcome is not None:
                return outcome
    return None


def _lapsed_consent(c: Consent, ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    status = c.status_at(ctx.request.at)
    if status is ConsentStatus.REVOKED and c.revoked_at is not None:
        return _deny(
            category,
            RuleId.CONSENT_REVOKED,
            f"Consent {c.id} was revoked on {day(c.revoked_at)}; it permits nothing from then on.",
            (c.id,),
        )
    if status is ConsentStatus.EXPIRED and c.period.end is not None:
        return _deny(
            category,
            RuleId.CONSENT_EXPIRED,
            f"Consent {c.id} expired on {day(c.period.end)}.",
            (c.id,),
        )
    if status is ConsentStatus.NOT_YET_ACTIVE:
        return _deny(
            category,
            RuleId.CONSENT_NOT_YET_ACTIVE,
            f"Consent {c.id} takes effect on {day(c.period.start)}.",
            (c.id,),
        )
    return None


# Denials whose wording depends on the category alone, worded once.
_STAFF_NOT_CLINICAL = {
    c: _deny(
        c,
        RuleId.STAFF_NOT_CLINICAL,
        "Front-desk and billing staff see only contact details, appointments and billing; "
        f"{c.label} are clinical (minimum necessary, 45 CFR 164.502(b)).",
        ("45 CFR 164.502(b)",),
    )
    for c in Category
}
_NOT_IN_RIGHT_OF_ACCESS = _deny(
    Category.PSYCHOTHERAPY_NOTE,
    RuleId.PSYCHOTHERAPY_NOTE_PROTECTED,
    "Psychotherapy notes are your therapist's private notes and are not part of the record "
    "you can request (45 CFR 164.524(a)(1)(i)).",
    ("45 CFR 164.524(a)(1)(i)",),
)
_PROTECTED = {
    Category.PSYCHOTHERAPY_NOTE: _deny(
        Category.PSYCHOTHERAPY_NOTE,
        RuleId.PSYCHOTHERAPY_NOTE_PROTECTED,
        "Psychotherapy notes are released only to their author, or under an authorization that "
        "names psychotherapy notes (45 CFR 164.508(a)(2)); none covers this request.",
        ("45 CFR 164.508(a)(2)",),
    ),
    Category.SUBSTANCE_USE: _deny(
        Category.SUBSTANCE_USE,
        RuleId.SUBSTANCE_USE_PROTECTED,
        "Substance-use records are released only under a consent that names them "
        "(42 CFR 2.31) or a court order with Part 2 findings (42 CFR 2.64); none covers this "
        "request.",
        ("42 CFR 2.31",),
    ),
}
