"""One disclosure request's page in the privacy office: what it asks, what the rules allow it,
what it needs next, and the steps the person looking may take.

The page describes; ``confide.services.disclosures`` decides every step (and audits it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from confide.domain import Category, InvalidValue
from confide.domain.disclosures import DisclosureRequest, ProcessKind, ReviewOutcome, WithholdReason
from confide.policy import disclosure_rules
from confide.policy.minimum_necessary import GROUND_CITATION, MINIMUM_NECESSARY
from confide.policy.rule_packs import Duty, RulePack
from confide.services.accounts import Principal
from confide.web.office_actions import actions_for, release_by
from confide.web.office_words import (
    FLAG_NAMES,
    OUTCOME_NAMES,
    STATE_NAMES,
    ground_name,
    role_names,
    time_left,
)

# Which form each field a service may name belongs to, and the input it points at.
FORM_FIELDS = {
    "rejection.reason": ("reject", "reject-reason"),
    "reason": ("reject", "reject-reason"),
    "review.outcome": ("review", "review-outcome"),
    "review.note": ("review", "review-note"),
    "notification.reason": ("withhold", "withhold-reason"),
    "notification.review_on": ("withhold", "withhold-review-on"),
}


def allowed_categories(r: DisclosureRequest) -> frozenset[Category]:
    """What the ground's minimum necessary (and an order's scope) let this request reach."""
    allowed = MINIMUM_NECESSARY[r.ground]
    process = r.legal_process
    if process is not None:
        allowed &= process.categories
        if process.kind is ProcessKind.SUBPOENA:
            allowed -= {Category.PSYCHOTHERAPY_NOTE, Category.SUBSTANCE_USE}
        if not process.part2_findings:
            allowed -= {Category.SUBSTANCE_USE}
    return allowed


@dataclass(frozen=True, slots=True)
class ScopeRow:
    """One category: whether the request asks for it, and whether it may be reached at all."""

    label: str
    asked: bool
    allowed: bool


def scope_rows(r: DisclosureRequest) -> list[ScopeRow]:
    """Every category asked for or allowed, least sensitive first."""
    allowed = allowed_categories(r)
    return [
        ScopeRow(c.label, c in r.categories, c in allowed)
        for c in Category
        if c in r.categories or c in allowed
    ]


def psychotherapy_notes(r: DisclosureRequest) -> str:
    """Whether psychotherapy notes can be part of this request, in one sentence."""
    process = r.legal_process
    if process is None:
        return (
            "Psychotherapy notes are never part of a disclosure on this ground: only a court "
            "order that names them can reach them."
        )
    if process.kind is ProcessKind.SUBPOENA:
        return "A subpoena no court ordered can never reach psychotherapy notes: they are excluded."
    if Category.PSYCHOTHERAPY_NOTE in process.categories:
        return "The order's scope names psychotherapy notes: they may be disclosed if asked for."
    return "The order's scope does not name psychotherapy notes: they are excluded."


@dataclass(frozen=True, slots=True)
class Problem:
    """A step refused: which form, which field (and its input), and what to change."""

    form: str
    field: str
    text: str
    input_id: str | None = None


def problem_of(form: str, error: InvalidValue) -> Problem:
    """Place a service's refusal next to its field when it belongs to ``form``."""
    placed = FORM_FIELDS.get(error.field)
    if placed is not None and placed[0] == form:
        return Problem(form, error.field, error.problem, placed[1])
    return Problem(form, error.field, error.problem)


def _rule_context(r: DisclosureRequest, pack: RulePack) -> dict[str, Any]:
    """The rule the request's ground falls under, where it comes from, and who approves."""
    rule = pack.rule(r.ground, r.victim_kind)
    return {
        "rule": rule,
        "duty": "the law requires it" if rule.duty is Duty.MANDATORY else "the law allows it",
        "approvers": role_names(rule.approvers),
        "sources": [s for s in pack.sources if s.cite in rule.cite],
        "federal": GROUND_CITATION[r.ground],
        "pack_name": pack.name,
    }


def _withhold_reasons(r: DisclosureRequest) -> list[tuple[str, str]]:
    """The reasons not to tell the client that fit this request (an order's only if it says so)."""
    process = r.legal_process
    return [
        (reason.value, reason.label)
        for reason in WithholdReason
        if reason is not WithholdReason.ORDER_FORBIDS
        or (process is not None and process.forbids_telling_client)
    ]


def request_context(
    r: DisclosureRequest,
    who: Principal,
    pack: RulePack,
    now: datetime,
    *,
    flags: Iterable[str],
    deadline: datetime | None,
) -> dict[str, Any]:
    """What the request's page shows ``who`` at ``now``, given its flags and deadline."""
    left, overdue = time_left(deadline, now)
    return {
        **_rule_context(r, pack),
        "r": r,
        "ground": ground_name(r),
        "ground_words": r.ground.label,
        "state": STATE_NAMES[r.state],
        "scope": scope_rows(r),
        "notes_rule": psychotherapy_notes(r),
        "notes_excluded": Category.PSYCHOTHERAPY_NOTE not in allowed_categories(r),
        "needs": [FLAG_NAMES.get(f, f) for f in flags],
        "deadline": deadline,
        "left": left,
        "overdue": overdue,
        "release_by": release_by(r),
        "withhold_due": disclosure_rules.is_notification_review_due(r, now),
        "actions": actions_for(r, who, pack, now),
        "outcomes": [(o.value, OUTCOME_NAMES[o]) for o in ReviewOutcome],
        "outcome_name": None if r.review_outcome is None else OUTCOME_NAMES[r.review_outcome],
        "reasons": _withhold_reasons(r),
        "earliest_review": now.date() + timedelta(days=1),
        "latest_review": (now + disclosure_rules.LONGEST_WITHHOLDING).date(),
    }
