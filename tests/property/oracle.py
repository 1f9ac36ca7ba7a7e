"""An independent, naive statement of when a fact grants a category: scans raw lists, no index.

Written from the rules' text, not from the engine, so the properties compare two readings of
the same law. Used only to check the engine's permits (soundness), never to decide.
"""

from __future__ import annotations

from datetime import timedelta

from confide.domain import (
    AccessRequest,
    Action,
    Category,
    Effect,
    ExceptionGround,
    Purpose,
    RepresentationKind,
    RuleId,
)
from tests.property.practices import ROSTER, Practice

_ORG = {a.id: a.organisation_id for a in ROSTER}
_ROLE = {a.id: a.role.value for a in ROSTER}
_STAFF_CATEGORIES = {Category.DEMOGRAPHICS, Category.APPOINTMENTS, Category.BILLING}
_GROUND_PURPOSE = {
    ExceptionGround.IMMINENT_RISK_SELF: Purpose.THREAT,
    ExceptionGround.IMMINENT_RISK_OTHERS: Purpose.THREAT,
    ExceptionGround.ABUSE_NEGLECT: Purpose.PUBHLTH,
    ExceptionGround.COURT_ORDER: Purpose.HLEGAL,
}
_RISK = {Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT}
_ABUSE = {Category.DEMOGRAPHICS, Category.PROGRESS_NOTE, Category.RISK_ASSESSMENT}
NOT_OVERRIDABLE = {RuleId.CLIENT_OWN_RECORD, RuleId.EXCEPTION_DISCLOSURE, RuleId.BREAK_GLASS}


def keys(actor_id: str) -> set[str]:
    """The ids a consent may name an actor by: their own and their organisation's."""
    org = _ORG.get(actor_id)
    return {actor_id} if org is None else {actor_id, org}


def _within(start: object, end: object, at: object) -> bool:
    return start <= at and (end is None or at < end)  # type: ignore[operator]


def _ground_allows(ground: ExceptionGround, category: Category, findings: bool) -> bool:
    if ground is ExceptionGround.COURT_ORDER:
        return category is not Category.SUBSTANCE_USE or findings
    if ground is ExceptionGround.ABUSE_NEGLECT:
        return category in _ABUSE
    return category in _RISK


def forbidden(p: Practice, r: AccessRequest, category: Category) -> bool:
    """A deny provision in force names this actor (or their organisation), category, purpose."""
    return any(
        c.effect is Effect.DENY
        and c.client_id == r.client_id
        and c.recipient_id in keys(r.actor_id)
        and category in c.categories
        and r.purpose in c.purposes
        and _within(c.period.start, c.period.end, r.at)
        and (c.revoked_at is None or r.at < c.revoked_at)
        for c in p.consents
    )


def grants(p: Practice, r: AccessRequest, category: Category, rule: RuleId, cited: str) -> bool:
    """True if the cited fact, read naively from the law's text, grants this category."""
    read = r.action is Action.READ
    psy = category is Category.PSYCHOTHERAPY_NOTE
    if rule is RuleId.CLIENT_OWN_RECORD:
        return r.actor_id == r.client_id and r.purpose is Purpose.PATRQT and read and not psy
    if rule is RuleId.STAFF_OPERATIONS:
        return (
            _ROLE[r.actor_id] == "staff"
            and category in _STAFF_CATEGORIES
            and r.purpose in (Purpose.HPAYMT, Purpose.HOPERAT)
        )
    if rule in (RuleId.TREATING_CLINICIAN, RuleId.PSYCHOTHERAPY_NOTE_AUTHOR):
        author_ok = (r.record_author_id == r.actor_id) if psy else True
        return (
            r.purpose is Purpose.TREAT
            and author_ok
            and (rule is RuleId.PSYCHOTHERAPY_NOTE_AUTHOR) == psy
            and any(
                x.id == cited
                and x.clinician_id == r.actor_id
                and x.client_id == r.client_id
                and _within(x.period.start, x.period.end, r.at)
                for x in p.relationships
            )
        )
    if rule is RuleId.CONSENT:
        return read and any(
            c.id == cited
            and c.effect is Effect.PERMIT
            and c.client_id == r.client_id
            and c.recipient_id in keys(r.actor_id)
            and category in c.categories
            and r.purpose in c.purposes
            and _within(c.period.start, c.period.end, r.at)
            and (c.revoked_at is None or r.at < c.revoked_at)
            for c in p.consents
        )
    if rule is RuleId.EXCEPTION_DISCLOSURE:
        return read and any(
            d.id == cited
            and d.approval is not None
            and d.client_id == r.client_id
            and d.recipient_id in keys(r.actor_id)
            and _GROUND_PURPOSE[d.ground] is r.purpose
            and category in d.categories
            and not (psy and d.ground is not ExceptionGround.COURT_ORDER)
            and _ground_allows(d.ground, category, d.part2_court_findings)
            and _within(d.window.start, d.window.end, r.at)
            for d in p.disclosures
        )
    if rule is RuleId.BREAK_GLASS:
        return (
            read
            and r.purpose is Purpose.BTG
            and category in _RISK
            and any(
                g.id == cited
                and g.clinician_id == r.actor_id
                and g.client_id == r.client_id
                and g.opened_at <= r.at < min(g.expires_at, g.opened_at + timedelta(hours=1))
                for g in p.break_glass
            )
        )
    if rule is RuleId.REPRESENTATIVE:
        shielded = any(
            s.client_id == r.client_id and category in s.categories for s in p.self_consented
        )
        return (
            read
            and not psy
            and r.purpose in (Purpose.PATRQT, Purpose.PWATRNY)
            and any(
                x.id == cited
                and x.representative_id == r.actor_id
                and x.client_id == r.client_id
                and _within(x.period.start, x.period.end, r.at)
                and not (x.kind is RepresentationKind.MINOR and shielded)
                for x in p.representations
            )
        )
    return False
