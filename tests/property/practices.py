"""Hypothesis strategies for whole synthetic practices and requests against them.

Times come from a small grid of days so that requests often fall on either side of a consent's
start, end or revocation, and on a relationship's end: where the rules are easiest to break.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from confide.domain import (
    AccessRequest,
    Action,
    Actor,
    Approval,
    BreakGlassGrant,
    Category,
    Client,
    Consent,
    Effect,
    ExceptionDisclosure,
    ExceptionGround,
    Organisation,
    Period,
    Purpose,
    Representation,
    RepresentationKind,
    Role,
    SelfConsentedCare,
    TreatmentRelationship,
    VictimKind,
)
from confide.policy import Facts

BASE = datetime(2026, 1, 1, tzinfo=UTC)
HOME = "org-home"
ORGS = (HOME, "org-other", "org-agency")
CLIENTS = ("client-1", "client-2")
# A fixed roster: every role, inside and outside the home practice.
ROSTER = (
    Actor("clin-1", Role.CLINICIAN, HOME),
    Actor("clin-2", Role.CLINICIAN, HOME),
    Actor("super-1", Role.SUPERVISOR, HOME),
    Actor("privacy-1", Role.PRIVACY_OFFICER, HOME),
    Actor("staff-1", Role.STAFF, HOME),
    Actor("admin-1", Role.ADMINISTRATOR, HOME),
    Actor("ext-clin", Role.CLINICIAN, "org-other"),
    Actor("ext-rcpt", Role.RECIPIENT, "org-agency"),
    Actor("guardian-1", Role.REPRESENTATIVE),
    Actor("client-1", Role.CLIENT),
    Actor("client-2", Role.CLIENT),
)
ACTOR_IDS = tuple(a.id for a in ROSTER)
RECIPIENTS = ("clin-2", "ext-clin", "ext-rcpt", "org-other", "org-agency", "guardian-1")
CLINICAL = ("clin-1", "clin-2", "super-1")


def day(n: int) -> datetime:
    """The n-th day of the grid."""
    return BASE + timedelta(days=n)


times = st.integers(0, 20).map(day)
categories = st.frozensets(st.sampled_from(list(Category)), min_size=1, max_size=4)
purposes = st.frozensets(st.sampled_from(list(Purpose)), min_size=1, max_size=3)


@st.composite
def periods(draw: st.DrawFn, *, open_end: bool = True) -> Period:
    start = draw(st.integers(0, 15))
    if open_end and draw(st.booleans()):
        return Period(day(start))
    return Period(day(start), day(start + draw(st.integers(1, 10))))


@st.composite
def consents(draw: st.DrawFn, cid: str) -> Consent:
    effect = draw(st.sampled_from([Effect.PERMIT, Effect.PERMIT, Effect.PERMIT, Effect.DENY]))
    cats = draw(categories)
    if effect is Effect.PERMIT and Category.PSYCHOTHERAPY_NOTE in cats:
        cats = frozenset({Category.PSYCHOTHERAPY_NOTE})  # HIPAA 164.508(b)(3)(ii)
    period = draw(periods())
    revoked = draw(st.none() | times)
    return Consent(
        cid,
        draw(st.sampled_from(CLIENTS)),
        draw(st.sampled_from(RECIPIENTS)),
        cats,
        draw(purposes),
        period,
        effect=effect,
        revoked_at=revoked,
    )


@st.composite
def disclosures(draw: st.DrawFn, did: str) -> ExceptionDisclosure:
    ground = draw(st.sampled_from(list(ExceptionGround)))
    requester = draw(st.sampled_from(CLINICAL))
    approver = draw(
        st.none() | st.sampled_from(["privacy-1", "super-1"]).filter(lambda a: a != requester)
    )
    return ExceptionDisclosure(
        id=did,
        client_id=draw(st.sampled_from(CLIENTS)),
        ground=ground,
        recipient_id=draw(st.sampled_from(("ext-rcpt", "org-agency", "ext-clin"))),
        categories=draw(categories),
        window=draw(periods(open_end=False)),
        requested_by=requester,
        justification="synthetic",
        approval=None if approver is None else Approval(approver, day(0)),
        victim_kind=VictimKind.CHILD if ground is ExceptionGround.ABUSE_NEGLECT else None,
        part2_court_findings=ground is ExceptionGround.COURT_ORDER and draw(st.booleans()),
    )


@dataclass
class Practice:
    """The raw facts of a generated practice, and their index."""

    consents: list[Consent]
    relationships: list[TreatmentRelationship]
    disclosures: list[ExceptionDisclosure]
    break_glass: list[BreakGlassGrant]
    representations: list[Representation]
    self_consented: list[SelfConsentedCare]
    facts: Facts = field(init=False)

    def __post_init__(self) -> None:
        self.facts = self.build()

    def build(self, reverse: bool = False) -> Facts:
        """Index the facts; ``reverse`` feeds every list in the opposite order."""

        def order(items: list[Any]) -> list[Any]:
            return items[::-1] if reverse else items

        return Facts.build(
            actors=order(list(ROSTER)),
            clients=[Client(c, HOME) for c in CLIENTS],
            organisations=[Organisation(o, o) for o in ORGS],
            relationships=order(self.relationships),
            representations=order(self.representations),
            self_consented_care=order(self.self_consented),
            consents=order(self.consents),
            disclosures=order(self.disclosures),
            break_glass=order(self.break_glass),
        )


@st.composite
def practices(draw: st.DrawFn) -> Practice:
    n_consents = draw(st.integers(0, 8))
    rels = [
        TreatmentRelationship(f"rel-{i}", draw(st.sampled_from(CLINICAL)), client, draw(periods()))
        for i, client in enumerate(draw(st.lists(st.sampled_from(CLIENTS), max_size=3)))
    ]
    grants = []
    for i in range(draw(st.integers(0, 2))):
        opened = draw(st.integers(0, 18))
        grants.append(
            BreakGlassGrant(
                f"btg-{i}",
                draw(st.sampled_from(CLINICAL)),
                draw(st.sampled_from(CLIENTS)),
                draw(
                    st.sampled_from(
                        [ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS]
                    )
                ),
                day(opened),
                day(opened) + timedelta(hours=draw(st.integers(1, 30))),
                "synthetic",
            )
        )
    reps = []
    if draw(st.booleans()):
        kind = draw(st.sampled_from(list(RepresentationKind)))
        reps.append(Representation("rep-1", "guardian-1", "client-2", kind, draw(periods())))
    shielded = []
    if draw(st.booleans()):
        shielded.append(SelfConsentedCare("self-1", "client-2", draw(categories)))
    return Practice(
        consents=[draw(consents(f"consent-{i}")) for i in range(n_consents)],
        relationships=rels,
        disclosures=[draw(disclosures(f"disc-{i}")) for i in range(draw(st.integers(0, 2)))],
        break_glass=grants,
        representations=reps,
        self_consented=shielded,
    )


@st.composite
def requests(draw: st.DrawFn) -> AccessRequest:
    actor = draw(st.sampled_from(ACTOR_IDS))
    return AccessRequest(
        actor_id=actor,
        client_id=draw(st.sampled_from(CLIENTS)),
        categories=draw(categories),
        purpose=draw(st.sampled_from(list(Purpose))),
        at=draw(times) + timedelta(hours=draw(st.integers(0, 23))),
        action=draw(st.sampled_from(list(Action))),
        record_author_id=draw(st.none() | st.just(actor) | st.sampled_from(CLINICAL)),
    )


_GROUND_PURPOSE = {
    ExceptionGround.IMMINENT_RISK_SELF: Purpose.THREAT,
    ExceptionGround.IMMINENT_RISK_OTHERS: Purpose.THREAT,
    ExceptionGround.ABUSE_NEGLECT: Purpose.PUBHLTH,
    ExceptionGround.COURT_ORDER: Purpose.HLEGAL,
}
_MEMBERS = {org: [a.id for a in ROSTER if a.organisation_id == org] for org in ORGS}


def _as_actor(recipient: str) -> list[str]:
    return _MEMBERS.get(recipient) or [recipient]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Practice, AccessRequest]:
    """A practice and a request, most often aimed at one of the practice's own facts."""
    p = draw(practices())
    r = draw(requests())
    # (actor, client, purpose, start, step, categories the fact names)
    aims: list[tuple[str, str, Purpose, datetime, timedelta, frozenset[Category]]] = []
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    for c in p.consents:
        for purpose in c.purposes:
            aims += [
                (a, c.client_id, purpose, c.period.start, hour, c.categories)
                for a in _as_actor(c.recipient_id)
            ]
    aims += [
        (x.clinician_id, x.client_id, Purpose.TREAT, x.period.start, hour, r.categories)
        for x in p.relationships
    ]
    for d in p.disclosures:
        aims += [
            (a, d.client_id, _GROUND_PURPOSE[d.ground], d.window.start, hour, d.categories)
            for a in _as_actor(d.recipient_id)
        ]
    aims += [
        (
            g.clinician_id,
            g.client_id,
            Purpose.BTG,
            g.opened_at,
            minute,
            frozenset({Category.RISK_ASSESSMENT, Category.DEMOGRAPHICS, Category.DIAGNOSIS}),
        )
        for g in p.break_glass
    ]
    aims += [
        (x.representative_id, x.client_id, Purpose.PWATRNY, x.period.start, hour, r.categories)
        for x in p.representations
    ]
    if aims and draw(st.integers(0, 9)) < 8:
        actor, client, purpose, start, step, named = draw(st.sampled_from(aims))
        at = start + step * draw(st.integers(-24, 24 * 12))
        cats = r.categories
        if draw(st.booleans()):
            cats = draw(st.frozensets(st.sampled_from(sorted(named)), min_size=1)) | (
                cats if draw(st.booleans()) else frozenset()
            )
        r = AccessRequest(
            actor, client, cats, purpose, at, r.action, record_author_id=r.record_author_id
        )
    return p, r
