"""The grounds that permit a category: each returns a permitting outcome or None.

Every permit names its rule, says in plain words which fact decided it, and carries its
obligations. ``APPLICABLE`` lists only the grounds that can apply to a role, purpose and
action, so a decision never runs a rule that cannot permit.
"""

from __future__ import annotations

from collections.abc import Callable

from confide.domain.access import CategoryOutcome, Obligation, ObligationKind, RuleId
from confide.domain.codes import (
    CLINICAL_ROLES,
    Action,
    Category,
    Effect,
    ExceptionGround,
    Purpose,
    RepresentationKind,
    Role,
)
from confide.domain.consent import Consent
from confide.policy.context import DecisionContext
from confide.policy.minimum_necessary import (
    GROUND_CITATION,
    GROUND_PURPOSE,
    MINIMUM_NECESSARY,
    STAFF_CATEGORIES,
    STAFF_PURPOSES,
)
from confide.policy.wording import day, moment, verb

Ground = Callable[[DecisionContext, Category], CategoryOutcome | None]

_PERMIT = Effect.PERMIT

_OWN_ACCESS_PURPOSES = frozenset({Purpose.PATRQT, Purpose.PWATRNY})


def client_own_record(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """The client reads their own record (HIPAA 164.524), psychotherapy notes aside."""
    r = ctx.request
    if not (ctx.actor.role is Role.CLIENT and ctx.actor.id == r.client_id):
        return None
    if r.purpose is not Purpose.PATRQT or r.action is not Action.READ:
        return None
    # HIPAA 164.524(a)(1)(i): psychotherapy notes are outside the right of access.
    if _psychotherapy_notes_closed_to_client(ctx, category):
        return None
    return CategoryOutcome(
        category,
        _PERMIT,
        RuleId.CLIENT_OWN_RECORD,
        f"You may see your own {category.label} (right of access, 45 CFR 164.524).",
        ("45 CFR 164.524",),
    )


def personal_representative(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """A guardian or personal representative acts for the client (HIPAA 164.502(g))."""
    r = ctx.request
    if ctx.actor.role is not Role.REPRESENTATIVE or r.purpose not in _OWN_ACCESS_PURPOSES:
        return None
    if r.action is not Action.READ:
        return None
    # Psychotherapy notes stay with their author: a representative never receives them,
    # whatever the practice allows the client (decision 0005).
    if category is Category.PSYCHOTHERAPY_NOTE:
        return None
    for rep in ctx.facts.representations.get((ctx.actor.id, r.client_id), ()):
        if not rep.period.contains(r.at):
            continue
        if (
            rep.kind is RepresentationKind.MINOR
            and not ctx.settings.representative_sees_self_consented_care
            and category in ctx.facts.self_consented.get(r.client_id, frozenset())
        ):
            continue  # this standing does not reach the minor's own care; another may
        return CategoryOutcome(
            category,
            _PERMIT,
            RuleId.REPRESENTATIVE,
            f"{ctx.actor.id} acts for the client as personal representative "
            f"({rep.id}, {rep.kind.value.replace('_', ' ')}, {rep.period.describe()}) and may see "
            f"their {category.label} (45 CFR 164.502(g)).",
            (rep.id, "45 CFR 164.502(g)"),
        )
    return None


def treating_clinician(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """A treating clinician reads and writes their client's record for treatment."""
    r = ctx.request
    if ctx.actor.role not in CLINICAL_ROLES or r.purpose is not Purpose.TREAT:
        return None
    relationship = None
    for rel in ctx.facts.relationships.get((ctx.actor.id, r.client_id), ()):
        if rel.period.contains(r.at):
            relationship = rel
            break
    if relationship is None:
        return None
    if category is Category.PSYCHOTHERAPY_NOTE:
        # HIPAA 164.508(a)(2)(i)(A): only the originator may use psychotherapy notes for
        # treatment without an authorization; other authors' notes stay closed.
        if r.record_author_id != ctx.actor.id:
            return None
        return CategoryOutcome(
            category,
            _PERMIT,
            RuleId.PSYCHOTHERAPY_NOTE_AUTHOR,
            f"{ctx.actor.id} wrote this psychotherapy note and treats the client "
            f"(relationship {relationship.id}); its author may {verb(r.action)} it for "
            "treatment (45 CFR 164.508(a)(2)(i)(A)).",
            (relationship.id, "45 CFR 164.508(a)(2)(i)(A)"),
        )
    cache = ctx.facts.outcome_cache
    key = ("treating", relationship.id, ctx.actor.id, category, r.action)
    outcome: CategoryOutcome | None = cache.get(key)
    if outcome is None:
        outcome = cache[key] = CategoryOutcome(
            category,
            _PERMIT,
            RuleId.TREATING_CLINICIAN,
            f"{ctx.actor.id} treats the client (relationship {relationship.id}, "
            f"{relationship.period.describe()}) and may {verb(r.action)} their "
            f"{category.label} for treatment.",
            (relationship.id,),
        )
    return outcome


def staff_operations(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """Front desk and billing staff of the client's practice: appointments, billing, contact."""
    r = ctx.request
    if ctx.actor.role is not Role.STAFF or ctx.actor.organisation_id != ctx.client.organisation_id:
        return None
    # HIPAA 164.502(b), 164.514(d)(2): staff access limited to what their job needs.
    if category not in STAFF_CATEGORIES or r.purpose not in STAFF_PURPOSES:
        return None
    return CategoryOutcome(
        category,
        _PERMIT,
        RuleId.STAFF_OPERATIONS,
        f"{ctx.actor.id} works at the client's practice and may {verb(r.action)} "
        f"{category.label} for {r.purpose.label} (minimum necessary, 45 CFR 164.502(b)).",
        (ctx.client.organisation_id, "45 CFR 164.502(b)"),
    )


def exception_disclosure(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """An approved disclosure on a legal ground, within its window and minimum necessary."""
    r = ctx.request
    if r.action is not Action.READ:
        return None
    disclosures = ctx.facts.disclosures
    for key in ctx.recipient_keys:
        if ctx.staff_limited and not _reaches(ctx, key, category):
            continue
        for d in disclosures.get((r.client_id, key), ()):
            if (
                d.approval is None
                or r.at < d.approval.approved_at
                or GROUND_PURPOSE[d.ground] is not r.purpose
                or not d.window.contains(r.at)
                or category not in d.categories
                or category not in MINIMUM_NECESSARY[d.ground]
            ):
                continue
            if (
                category is Category.SUBSTANCE_USE
                and d.ground is ExceptionGround.COURT_ORDER
                and not d.part2_court_findings
            ):
                continue
            citation = GROUND_CITATION[d.ground]
            obligations: list[Obligation] = []
            if d.notify_client:
                obligations.append(
                    Obligation(
                        ObligationKind.NOTIFY_CLIENT,
                        f"Tell the client about disclosure {d.id} unless a recorded reason "
                        "says telling them would put someone at risk.",
                        cites=d.id,
                    )
                )
            if d.records_period is not None:
                obligations.append(
                    Obligation(
                        ObligationKind.LIMIT_RECORD_DATES,
                        f"Disclose only entries dated {d.records_period.describe()}.",
                        period=d.records_period,
                        cites=d.id,
                    )
                )
            return CategoryOutcome(
                category,
                _PERMIT,
                RuleId.EXCEPTION_DISCLOSURE,
                f"Disclosure {d.id} on the ground of {d.ground.label} ({citation}), approved by "
                f"{d.approval.approver_id} on {day(d.approval.approved_at)}, lets {key} receive "
                f"{category.label} {d.window.describe()}.",
                (d.id, citation),
                tuple(obligations),
            )
    return None


def break_the_glass(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """Emergency access for a named clinician, for a short window, reviewed afterwards."""
    r = ctx.request
    if ctx.actor.role not in CLINICAL_ROLES or r.purpose is not Purpose.BTG:
        return None
    if r.action is not Action.READ:
        return None
    settings = ctx.settings
    for g in ctx.facts.break_glass.get((ctx.actor.id, r.client_id), ()):
        until = min(g.expires_at, g.opened_at + settings.break_glass_max_window)
        if not (g.opened_at <= r.at < until) or category not in MINIMUM_NECESSARY[g.ground]:
            continue
        deadline = g.opened_at + settings.break_glass_review_within
        return CategoryOutcome(
            category,
            _PERMIT,
            RuleId.BREAK_GLASS,
            f"Emergency access {g.id} ({g.ground.label}, 45 CFR 164.512(j)) lets {ctx.actor.id} "
            f"see {category.label} until {moment(until)}; a second person must review it by "
            f"{moment(deadline)}.",
            (g.id, "45 CFR 164.512(j)"),
            (
                Obligation(
                    ObligationKind.REVIEW_BY,
                    f"A supervisor or privacy officer must review emergency access {g.id} by "
                    f"{moment(deadline)}.",
                    deadline=deadline,
                    cites=g.id,
                ),
            ),
        )
    return None


def consent(ctx: DecisionContext, category: Category) -> CategoryOutcome | None:
    """A client's consent naming this recipient, category, purpose, in force now."""
    r = ctx.request
    if r.action is not Action.READ:
        return None
    permits = ctx.facts.permits
    at = r.at
    for key in ctx.recipient_keys:
        # Indexed by client, recipient, category and purpose: a general consent that does not
        # name psychotherapy notes or substance-use records can never be found for them.
        if ctx.staff_limited and not _reaches(ctx, key, category):
            continue
        for c in permits.get((r.client_id, key, category, r.purpose), ()):
            # Consent.in_force_at, inlined: this is the hottest loop of a decision.
            period, revoked = c.period, c.revoked_at
            if (
                period.start <= at
                and (period.end is None or at < period.end)
                and (revoked is None or at < revoked)
            ):
                return _consent_outcome(ctx, c, key, category, r.purpose)
    return None


def _consent_outcome(
    ctx: DecisionContext, c: Consent, key: str, category: Category, purpose: Purpose
) -> CategoryOutcome:
    cache = ctx.facts.outcome_cache
    cache_key = ("consent", c.id, key, category, purpose)
    outcome: CategoryOutcome | None = cache.get(cache_key)
    if outcome is None:
        outcome = cache[cache_key] = CategoryOutcome(
            category,
            _PERMIT,
            RuleId.CONSENT,
            f"Consent {c.id} lets {key} see {category.label} for {purpose.label} "
            f"{c.period.describe()}.",
            (c.id,),
        )
    return outcome


def _reaches(ctx: DecisionContext, key: str, category: Category) -> bool:
    # A grant to an organisation reaches its members, but not clinical content for its
    # front-desk and billing staff: minimum necessary holds inside the recipient too
    # (45 CFR 164.502(b), 164.514(d)(2)).
    return key == ctx.actor.id or ctx.actor.role is not Role.STAFF or category in STAFF_CATEGORIES


def _psychotherapy_notes_closed_to_client(ctx: DecisionContext, category: Category) -> bool:
    # HIPAA 164.524(a)(1)(i): psychotherapy notes are outside the right of access.
    return (
        category is Category.PSYCHOTHERAPY_NOTE
        and not ctx.settings.client_may_read_psychotherapy_notes
    )


# Checked in this order; the first that permits decides the rule a category cites.
PERMIT_GROUNDS: tuple[Ground, ...] = (
    client_own_record,
    personal_representative,
    treating_clinician,
    staff_operations,
    exception_disclosure,
    break_the_glass,
    consent,
)

_GROUND_PURPOSES = frozenset(GROUND_PURPOSE.values())
_OWN_READ = frozenset({(Role.CLIENT, Purpose.PATRQT)})


def _can_apply(ground: Ground, role: Role, purpose: Purpose, action: Action) -> bool:
    read = action is Action.READ
    clinical = role in CLINICAL_ROLES
    applies: dict[Ground, bool] = {
        client_own_record: read and (role, purpose) in _OWN_READ,
        personal_representative: read
        and role is Role.REPRESENTATIVE
        and purpose in _OWN_ACCESS_PURPOSES,
        treating_clinician: clinical and purpose is Purpose.TREAT,
        staff_operations: role is Role.STAFF and purpose in STAFF_PURPOSES,
        exception_disclosure: read and purpose in _GROUND_PURPOSES,
        break_the_glass: read and clinical and purpose is Purpose.BTG,
        consent: read and role is not Role.CLIENT,
    }
    return applies[ground]


APPLICABLE: dict[tuple[Role, Purpose, Action], tuple[Ground, ...]] = {
    (role, purpose, action): tuple(
        g for g in PERMIT_GROUNDS if _can_apply(g, role, purpose, action)
    )
    for role in Role
    for purpose in Purpose
    for action in Action
}


# A client may refuse a recipient, but not a legal duty: disclosures under HIPAA 164.512 need no
# authorization, and the client's own access is theirs. A deny provision overrides the rest.
NOT_OVERRIDABLE: frozenset[RuleId] = frozenset(
    {RuleId.CLIENT_OWN_RECORD, RuleId.EXCEPTION_DISCLOSURE, RuleId.BREAK_GLASS}
)
