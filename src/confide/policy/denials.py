"""Why a category was denied: the most specific fact on file, in plain words.

Only denied categories come here, so this path may look wider than the permit path. It never
permits anything: it picks which denial rule to cite and what the person can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from confide.domain.access import Obligation, ObligationKind, RuleId
from confide.domain.codes import (
    CLINICAL_ROLES,
    Category,
    ExceptionGround,
    Purpose,
    RepresentationKind,
    Role,
)
from confide.domain.consent import Consent, ConsentStatus
from confide.policy.context import DecisionContext
from confide.policy.minimum_necessary import GROUND_PURPOSE, MINIMUM_NECESSARY, STAFF_CATEGORIES
from confide.policy.wording import day, moment


@dataclass(frozen=True, slots=True)
class Denial:
    """The rule that denied one category, why, and any advice as obligations."""

    rule_id: RuleId
    reason: str
    cites: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()


def explain_denial(ctx: DecisionContext, category: Category, forbidding: Consent | None) -> Denial:
    """Pick the most specific reason a category is denied."""
    if forbidding is not None:
        return Denial(
            RuleId.CONSENT_FORBIDS,
            f"The client's consent {forbidding.id} forbids sharing {category.label} with "
            f"{forbidding.recipient_id} for {ctx.request.purpose.label}; a refusal overrides "
            "any permission.",
            (forbidding.id,),
        )
    for check in (_role_limits, _exception_limits, _minor_self_consent, _near_misses):
        denial = check(ctx, category)
        if denial is not None:
            return denial
    if category is Category.PSYCHOTHERAPY_NOTE:
        return Denial(
            RuleId.PSYCHOTHERAPY_NOTE_PROTECTED,
            "Psychotherapy notes are released only to their author, or under an authorization "
            "that names psychotherapy notes (45 CFR 164.508(a)(2)); none covers this request.",
            ("45 CFR 164.508(a)(2)",),
        )
    if category is Category.SUBSTANCE_USE:
        return Denial(
            RuleId.SUBSTANCE_USE_PROTECTED,
            "Substance-use records are released only under a consent that names them "
            "(42 CFR 2.31) or a court order with Part 2 findings (42 CFR 2.64); none covers "
            "this request.",
            ("42 CFR 2.31",),
        )
    return Denial(
        RuleId.DEFAULT,
        f"Nothing on file lets {ctx.actor.id} see {category.label} for "
        f"{ctx.request.purpose.label}: no treatment relationship, consent or approved "
        "disclosure covers it.",
    )


def _role_limits(ctx: DecisionContext, category: Category) -> Denial | None:
    role = ctx.actor.role
    if role is Role.STAFF and category not in STAFF_CATEGORIES:
        return Denial(
            RuleId.STAFF_NOT_CLINICAL,
            f"Front-desk and billing staff see only contact details, appointments and billing; "
            f"{category.label} are clinical (minimum necessary, 45 CFR 164.502(b)).",
            ("45 CFR 164.502(b)",),
        )
    if (
        role is Role.CLIENT
        and ctx.actor.id == ctx.request.client_id
        and category is Category.PSYCHOTHERAPY_NOTE
    ):
        return Denial(
            RuleId.PSYCHOTHERAPY_NOTE_PROTECTED,
            "Psychotherapy notes are your therapist's private notes and are not part of the "
            "record you can request (45 CFR 164.524(a)(1)(i)).",
            ("45 CFR 164.524(a)(1)(i)",),
        )
    return None


def _exception_limits(ctx: DecisionContext, category: Category) -> Denial | None:
    r = ctx.request
    for key in ctx.recipient_keys:
        for d in ctx.facts.disclosures.get((r.client_id, key), ()):
            if category not in d.categories or GROUND_PURPOSE[d.ground] is not r.purpose:
                continue
            if category not in MINIMUM_NECESSARY[d.ground]:
                return Denial(
                    RuleId.BEYOND_MINIMUM_NECESSARY,
                    f"Disclosure {d.id} names {category.label}, which is more than "
                    f"{d.ground.label} allows to disclose (minimum necessary, "
                    "45 CFR 164.502(b)); it is withheld.",
                    (d.id, "45 CFR 164.502(b)"),
                )
            if d.approval is None:
                return Denial(
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
                return Denial(
                    RuleId.PART2_COURT_FINDINGS_MISSING,
                    f"Substance-use records under court order {d.id} need the court's findings "
                    "under 42 CFR 2.64; none are recorded.",
                    (d.id, "42 CFR 2.64"),
                )
            if not d.window.contains(r.at):
                return Denial(
                    RuleId.DEFAULT,
                    f"Disclosure {d.id} may be made only {d.window.describe()}.",
                    (d.id,),
                )
    return None


def _minor_self_consent(ctx: DecisionContext, category: Category) -> Denial | None:
    r = ctx.request
    if ctx.actor.role is not Role.REPRESENTATIVE:
        return None
    if category not in ctx.facts.self_consented.get(r.client_id, frozenset()):
        return None
    for rep in ctx.facts.representations.get((ctx.actor.id, r.client_id), ()):
        if rep.kind is RepresentationKind.MINOR and rep.period.contains(r.at):
            return Denial(
                RuleId.MINOR_SELF_CONSENTED_CARE,
                f"The client consented to care recorded as {category.label} themself as a "
                "minor; it is kept from their representative (45 CFR 164.502(g)(3)).",
                ("45 CFR 164.502(g)(3)",),
            )
    return None


def _near_misses(ctx: DecisionContext, category: Category) -> Denial | None:
    r = ctx.request
    facts = ctx.facts
    if ctx.actor.role in CLINICAL_ROLES and r.purpose is Purpose.TREAT:
        for rel in facts.relationships.get((ctx.actor.id, r.client_id), ()):
            if rel.period.end is not None and rel.period.has_ended(r.at):
                return Denial(
                    RuleId.RELATIONSHIP_ENDED,
                    f"The treatment relationship {rel.id} ended on {day(rel.period.end)}; "
                    "access ended with it.",
                    (rel.id,),
                )
    if r.purpose is Purpose.BTG:
        for g in facts.break_glass.get((ctx.actor.id, r.client_id), ()):
            until = min(g.expires_at, g.opened_at + ctx.settings.break_glass_max_window)
            if until <= r.at:
                return Denial(
                    RuleId.BREAK_GLASS_EXPIRED,
                    f"Emergency access {g.id} ended at {moment(until)}.",
                    (g.id,),
                )
    for key in ctx.recipient_keys:
        # Indexed like the permit path: only consents that name this category and purpose.
        for c in facts.permits.get((r.client_id, key, category, r.purpose), ()):
            denial = _lapsed_consent(c, ctx)
            if denial is not None:
                return denial
    return None


def _lapsed_consent(c: Consent, ctx: DecisionContext) -> Denial | None:
    status = c.status_at(ctx.request.at)
    if status is ConsentStatus.REVOKED and c.revoked_at is not None:
        return Denial(
            RuleId.CONSENT_REVOKED,
            f"Consent {c.id} was revoked on {day(c.revoked_at)}; it permits nothing from then on.",
            (c.id,),
        )
    if status is ConsentStatus.EXPIRED and c.period.end is not None:
        return Denial(
            RuleId.CONSENT_EXPIRED, f"Consent {c.id} expired on {day(c.period.end)}.", (c.id,)
        )
    if status is ConsentStatus.NOT_YET_ACTIVE:
        return Denial(
            RuleId.CONSENT_NOT_YET_ACTIVE,
            f"Consent {c.id} takes effect on {day(c.period.start)}.",
            (c.id,),
        )
    return None
