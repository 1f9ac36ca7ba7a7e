"""The access decision: ``decide(request, facts) -> Decision``.

Pure: no I/O, no clock (time is part of the request), deterministic. Deny by default; every
permitted category cites the fact that permits it; a client's deny provision overrides any
permit it can (never "latest consent wins"); denied categories of a partial permit are listed
and carry a redaction obligation.
"""

from __future__ import annotations

from confide.domain.access import (
    AccessRequest,
    CategoryOutcome,
    Decision,
    Obligation,
    ObligationKind,
    RuleId,
)
from confide.domain.codes import Category, Effect, Role
from confide.policy.context import DecisionContext, context_of, forbidding_consent
from confide.policy.denials import explain_denial
from confide.policy.facts import Facts
from confide.policy.grounds import APPLICABLE, NOT_OVERRIDABLE, Ground
from confide.policy.settings import DEFAULT_SETTINGS, PolicySettings
from confide.policy.wording import category_list

# 42 CFR 2.32(a)(2), as revised by the 2024 final rule (89 FR 12472; compliance from
# 16 February 2026): the short notice that accompanies each disclosure of Part 2 records.
PART2_REDISCLOSURE_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
)


def decide(
    request: AccessRequest, facts: Facts, settings: PolicySettings = DEFAULT_SETTINGS
) -> Decision:
    """Decide a well-typed request against the facts. Never raises; denies by default."""
    actor = facts.actors.get(request.actor_id)
    if actor is None:
        return _deny_all(request, RuleId.UNKNOWN_ACTOR, "The person asking is not on file.")
    client = facts.clients.get(request.client_id)
    if client is None:
        return _deny_all(request, RuleId.UNKNOWN_CLIENT, "No such client is on file.")
    if actor.role is Role.ADMINISTRATOR:
        return _deny_all(
            request,
            RuleId.ADMINISTRATOR,
            "Administrators manage accounts, keys and backups and never see client records.",
        )
    ctx = context_of(request, actor, client, facts, settings)
    grounds = APPLICABLE[(actor.role, request.purpose, request.action)]
    categories = request.categories
    if len(categories) == 1:
        outcomes: tuple[CategoryOutcome, ...] = (_decide_category(ctx, grounds, *categories),)
    else:
        ordered = sorted(categories, key=_SENSITIVITY.__getitem__)
        outcomes = tuple([_decide_category(ctx, grounds, category) for category in ordered])
    return _assemble(ctx, outcomes)


def _decide_category(
    ctx: DecisionContext, grounds: tuple[Ground, ...], category: Category
) -> CategoryOutcome:
    forbidding = forbidding_consent(ctx, category) if ctx.forbidden_keys else None
    for ground in grounds:
        outcome = ground(ctx, category)
        if outcome is None:
            continue
        if forbidding is not None and outcome.rule_id not in NOT_OVERRIDABLE:
            continue
        return outcome
    return explain_denial(ctx, category, forbidding)


def _assemble(ctx: DecisionContext, outcomes: tuple[CategoryOutcome, ...]) -> Decision:
    request = ctx.request
    permitted = frozenset([o.category for o in outcomes if o.effect is _PERMIT])
    if not permitted:
        specific = (o.rule_id for o in outcomes if o.rule_id is not RuleId.DEFAULT)
        return Decision(
            Effect.DENY,
            next(specific, RuleId.DEFAULT),
            outcomes,
            _duties(outcomes),
            permitted,
            request.categories,
            request.request_id,
        )
    denied = request.categories - permitted
    extra: list[Obligation] = []
    if denied:
        extra.append(
            Obligation(
                ObligationKind.REDACT,
                f"Withhold {category_list(denied)}: this request does not reach them.",
                categories=denied,
            )
        )
    if Category.SUBSTANCE_USE in permitted:
        # 42 CFR 2.32: every disclosure of Part 2 records carries the redisclosure notice.
        extra.append(_PART2_NOTICE)
    warning = _notice_warning(ctx)
    if warning is not None:
        extra.append(warning)
    return Decision(
        Effect.PERMIT,
        _first_permit_rule(outcomes),
        outcomes,
        _duties(outcomes, extra),
        permitted,
        denied,
        request.request_id,
    )


def _notice_warning(ctx: DecisionContext) -> Obligation | None:
    # Design §2: a client without an acknowledged notice gets a warning in every view.
    facts, request = ctx.facts, ctx.request
    notice = facts.current_notice(request.at)
    if notice is None or facts.has_acknowledged(request.client_id, notice.version, request.at):
        return None
    key = ("notice", notice.version)
    warning: Obligation | None = facts.outcome_cache.get(key)
    if warning is None:
        warning = facts.outcome_cache[key] = Obligation(
            ObligationKind.WARN_NOTICE_NOT_ACKNOWLEDGED,
            "The client has not acknowledged the limits-of-confidentiality notice "
            f"(version {notice.version}).",
            cites=notice.version,
        )
    return warning


def _duties(
    outcomes: tuple[CategoryOutcome, ...], extra: list[Obligation] | None = None
) -> tuple[Obligation, ...]:
    if not extra and not any(o.obligations for o in outcomes):
        return ()
    duties = [d for o in outcomes for d in o.obligations]
    if extra:
        duties.extend(extra)
    if len(duties) < 2:
        return tuple(duties)
    # The same duty from two categories is one duty.
    return tuple(dict.fromkeys(duties))


def _first_permit_rule(outcomes: tuple[CategoryOutcome, ...]) -> RuleId:
    for o in outcomes:
        if o.effect is _PERMIT:
            return o.rule_id
    raise AssertionError("called only when something is permitted")  # pragma: no cover


def _deny_all(request: AccessRequest, rule: RuleId, reason: str) -> Decision:
    outcomes = tuple(
        CategoryOutcome(c, Effect.DENY, rule, reason)
        for c in sorted(request.categories, key=_SENSITIVITY.__getitem__)
    )
    return Decision(
        Effect.DENY, rule, outcomes, (), frozenset(), request.categories, request.request_id
    )


_PERMIT = Effect.PERMIT
_SENSITIVITY = {c: c.sensitivity for c in Category}
_PART2_NOTICE = Obligation(
    ObligationKind.REDISCLOSURE_NOTICE,
    PART2_REDISCLOSURE_NOTICE,
    categories=frozenset({Category.SUBSTANCE_USE}),
    cites="42 CFR 2.32",
)
