"""Factories for unit tests: a small synthetic practice and short builders for its facts.

Every id is synthetic ("client-1", "clin-a"); no names of people appear anywhere. Times are
offsets from ``T0`` so a table reads as "day 3", "day 10 minus one second".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from confide.domain import (
    AccessRequest,
    Action,
    Actor,
    Approval,
    BreakGlassGrant,
    Category,
    CategoryOutcome,
    Client,
    Consent,
    Decision,
    Effect,
    ExceptionDisclosure,
    ExceptionGround,
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Representation,
    RepresentationKind,
    Role,
    RuleId,
    SelfConsentedCare,
    TreatmentRelationship,
    VictimKind,
)
from confide.policy import Facts

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# Organisations
HOME = "org-home"
OTHER = "org-other"
AGENCY = "org-agency"

# Clients
CLIENT = "client-1"
CLIENT_2 = "client-2"
CLIENT_OTHER_ORG = "client-3"

# Actors
CLIN_A = "clin-a"
CLIN_B = "clin-b"
SUPER_A = "super-a"
PRIVACY_A = "privacy-a"
STAFF_HOME = "staff-home"
STAFF_OTHER = "staff-other"
ADMIN = "admin-a"
EXT_CLIN = "ext-clin"
EXT_CLIN_2 = "ext-clin-2"
RCPT = "rcpt-a"
GUARDIAN = "guardian-a"

ROSTER: tuple[Actor, ...] = (
    Actor(CLIN_A, Role.CLINICIAN, HOME),
    Actor(CLIN_B, Role.CLINICIAN, HOME),
    Actor(SUPER_A, Role.SUPERVISOR, HOME),
    Actor(PRIVACY_A, Role.PRIVACY_OFFICER, HOME),
    Actor(STAFF_HOME, Role.STAFF, HOME),
    Actor(STAFF_OTHER, Role.STAFF, OTHER),
    Actor(ADMIN, Role.ADMINISTRATOR, HOME),
    Actor(EXT_CLIN, Role.CLINICIAN, OTHER),
    Actor(EXT_CLIN_2, Role.CLINICIAN, OTHER),
    Actor(RCPT, Role.RECIPIENT, AGENCY),
    Actor(GUARDIAN, Role.REPRESENTATIVE),
    Actor(CLIENT, Role.CLIENT),
    Actor(CLIENT_2, Role.CLIENT),
    Actor(CLIENT_OTHER_ORG, Role.CLIENT),
)
CLIENTS: tuple[Client, ...] = (
    Client(CLIENT, HOME),
    Client(CLIENT_2, HOME),
    Client(CLIENT_OTHER_ORG, OTHER),
)
ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(HOME, "synthetic org home"),
    Organisation(OTHER, "synthetic org other"),
    Organisation(AGENCY, "synthetic org agency"),
)

CLINICAL_CATEGORIES: frozenset[Category] = frozenset(Category) - {
    Category.DEMOGRAPHICS,
    Category.APPOINTMENTS,
    Category.BILLING,
}


def day(n: float) -> datetime:
    """``T0`` plus ``n`` days."""
    return T0 + timedelta(days=n)


def cats(*categories: Category) -> frozenset[Category]:
    """A frozenset of categories."""
    return frozenset(categories)


def facts(
    *,
    actors: Iterable[Actor] = (),
    clients: Iterable[Client] = (),
    organisations: Iterable[Organisation] = (),
    relationships: Iterable[TreatmentRelationship] = (),
    representations: Iterable[Representation] = (),
    self_consented_care: Iterable[SelfConsentedCare] = (),
    consents: Iterable[Consent] = (),
    disclosures: Iterable[ExceptionDisclosure] = (),
    break_glass: Iterable[BreakGlassGrant] = (),
    notices: Iterable[NoticeVersion] = (),
    acknowledgments: Iterable[NoticeAcknowledgment] = (),
) -> Facts:
    """The synthetic practice (``ROSTER``, ``CLIENTS``, ``ORGANISATIONS``) plus the given facts."""
    return Facts.build(
        actors=(*ROSTER, *actors),
        clients=(*CLIENTS, *clients),
        organisations=(*ORGANISATIONS, *organisations),
        relationships=relationships,
        representations=representations,
        self_consented_care=self_consented_care,
        consents=consents,
        disclosures=disclosures,
        break_glass=break_glass,
        notices=notices,
        acknowledgments=acknowledgments,
    )


def request(
    actor_id: str,
    categories: Iterable[Category],
    purpose: Purpose,
    at: datetime,
    *,
    client_id: str = CLIENT,
    action: Action = Action.READ,
    record_author_id: str | None = None,
) -> AccessRequest:
    """An access request of ``actor_id`` for ``client_id`` (client-1 by default)."""
    return AccessRequest(
        actor_id=actor_id,
        client_id=client_id,
        categories=frozenset(categories),
        purpose=purpose,
        at=at,
        action=action,
        record_author_id=record_author_id,
    )


def relationship(
    rel_id: str = "rel-1",
    clinician_id: str = CLIN_A,
    client_id: str = CLIENT,
    start: datetime = T0,
    end: datetime | None = None,
) -> TreatmentRelationship:
    """A treatment relationship from ``start`` until ``end`` (open if None)."""
    return TreatmentRelationship(rel_id, clinician_id, client_id, Period(start, end))


def consent(
    consent_id: str,
    recipient_id: str,
    categories: Iterable[Category],
    purposes: Iterable[Purpose],
    start: datetime = T0,
    *,
    end: datetime | None = None,
    effect: Effect = Effect.PERMIT,
    revoked_at: datetime | None = None,
    note: str | None = None,
    client_id: str = CLIENT,
) -> Consent:
    """A consent provision (permit by default) of ``client_id`` toward ``recipient_id``."""
    return Consent(
        id=consent_id,
        client_id=client_id,
        recipient_id=recipient_id,
        categories=frozenset(categories),
        purposes=frozenset(purposes),
        period=Period(start, end, name="consent.period"),
        effect=effect,
        revoked_at=revoked_at,
        note=note,
    )


def refusal(
    consent_id: str,
    recipient_id: str,
    categories: Iterable[Category],
    purposes: Iterable[Purpose],
    start: datetime = T0,
    *,
    end: datetime | None = None,
    revoked_at: datetime | None = None,
    client_id: str = CLIENT,
) -> Consent:
    """A deny provision: the client forbids ``recipient_id`` these categories and purposes."""
    return consent(
        consent_id,
        recipient_id,
        categories,
        purposes,
        start,
        end=end,
        effect=Effect.DENY,
        revoked_at=revoked_at,
        client_id=client_id,
    )


def disclosure(
    disclosure_id: str = "disc-1",
    *,
    ground: ExceptionGround = ExceptionGround.IMMINENT_RISK_OTHERS,
    recipient_id: str = RCPT,
    categories: Iterable[Category] = (Category.RISK_ASSESSMENT,),
    start: datetime = T0,
    end: datetime | None = None,
    requested_by: str = CLIN_A,
    approver_id: str | None = PRIVACY_A,
    approved_at: datetime = T0,
    victim_kind: VictimKind | None = None,
    part2_court_findings: bool = False,
    notify_client: bool = True,
    records_period: Period | None = None,
    justification: str = "synthetic justification",
    client_id: str = CLIENT,
) -> ExceptionDisclosure:
    """An exception disclosure, approved by ``approver_id`` unless that is None."""
    if victim_kind is None and ground is ExceptionGround.ABUSE_NEGLECT:
        victim_kind = VictimKind.CHILD
    return ExceptionDisclosure(
        id=disclosure_id,
        client_id=client_id,
        ground=ground,
        recipient_id=recipient_id,
        categories=frozenset(categories),
        window=Period(start, day(10) if end is None else end, name="disclosure.window"),
        requested_by=requested_by,
        justification=justification,
        approval=None if approver_id is None else Approval(approver_id, approved_at),
        victim_kind=victim_kind,
        part2_court_findings=part2_court_findings,
        notify_client=notify_client,
        records_period=records_period,
    )


def grant(
    grant_id: str = "btg-1",
    *,
    clinician_id: str = CLIN_B,
    ground: ExceptionGround = ExceptionGround.IMMINENT_RISK_SELF,
    opened_at: datetime = T0,
    expires_at: datetime | None = None,
    justification: str = "synthetic justification",
    client_id: str = CLIENT,
) -> BreakGlassGrant:
    """A break-the-glass grant, by default open for 30 minutes from ``opened_at``."""
    return BreakGlassGrant(
        id=grant_id,
        clinician_id=clinician_id,
        client_id=client_id,
        ground=ground,
        opened_at=opened_at,
        expires_at=opened_at + timedelta(minutes=30) if expires_at is None else expires_at,
        justification=justification,
    )


def representation(
    rep_id: str = "rep-1",
    kind: RepresentationKind = RepresentationKind.MINOR,
    *,
    representative_id: str = GUARDIAN,
    client_id: str = CLIENT,
    start: datetime = T0,
    end: datetime | None = None,
) -> Representation:
    """A personal representative's standing for a client."""
    return Representation(rep_id, representative_id, client_id, kind, Period(start, end))


# --- reading decisions --------------------------------------------------------------------


def outcome(decision: Decision, category: Category) -> CategoryOutcome:
    """The one outcome of ``decision`` for ``category``."""
    found = [o for o in decision.outcomes if o.category is category]
    assert len(found) == 1, f"{category} has {len(found)} outcomes"
    return found[0]


def assert_permitted(
    decision: Decision,
    category: Category,
    rule: RuleId,
    fact_id: str,
    *,
    cited_in_reason: bool = True,
) -> CategoryOutcome:
    """``category`` is permitted by ``rule``, which cites ``fact_id`` (and says so in words)."""
    o = outcome(decision, category)
    assert o.effect is Effect.PERMIT, o.reason
    assert o.rule_id is rule, (o.rule_id, o.reason)
    assert category in decision.permitted
    assert category not in decision.denied
    assert decision.effect is Effect.PERMIT
    assert fact_id in o.cites, o.cites
    if cited_in_reason:
        assert fact_id in o.reason, o.reason
    return o


def assert_denied(
    decision: Decision,
    category: Category,
    rule: RuleId,
    fact_id: str | None = None,
) -> CategoryOutcome:
    """``category`` is denied by ``rule``; when given, ``fact_id`` is cited and named."""
    o = outcome(decision, category)
    assert o.effect is Effect.DENY, o.reason
    assert o.rule_id is rule, (o.rule_id, o.reason)
    assert category in decision.denied
    assert category not in decision.permitted
    if fact_id is not None:
        assert fact_id in o.cites, o.cites
        assert fact_id in o.reason, o.reason
    return o


def assert_denied_outright(decision: Decision, rule: RuleId, fact_id: str | None = None) -> None:
    """Every requested category is denied and the decision names ``rule``."""
    assert decision.effect is Effect.DENY, decision.reasons
    assert decision.rule_id is rule, (decision.rule_id, decision.reasons)
    assert not decision.permitted
    if fact_id is not None:
        assert any(fact_id in r for r in decision.reasons), decision.reasons


# --- a busy practice, for checks over every request ---------------------------------------

# Free text that must never leave the facts it was written in.
PRIVATE_NOTE = "zz-note-text-client-mentioned-a-private-matter"
PRIVATE_JUSTIFICATION = "zz-justification-text-about-the-session"


def busy_facts() -> Facts:
    """Every kind of fact at once, in every state (active, lapsed, pending, forbidding)."""
    return facts(
        relationships=[
            relationship("rel-1", CLIN_A, CLIENT),
            relationship("rel-2", CLIN_B, CLIENT, T0, day(8)),
            relationship("rel-3", SUPER_A, CLIENT_2),
        ],
        consents=[
            consent(
                "consent-coc",
                EXT_CLIN,
                cats(Category.DIAGNOSIS, Category.TREATMENT_PLAN, Category.MEDICATION),
                [Purpose.COC],
                day(1),
                end=day(15),
                note=PRIVATE_NOTE,
            ),
            consent(
                "consent-org",
                OTHER,
                cats(Category.ASSESSMENT, Category.PROGRESS_NOTE, Category.APPOINTMENTS),
                [Purpose.COC, Purpose.TREAT],
                note=PRIVATE_NOTE,
            ),
            consent(
                "consent-pn",
                EXT_CLIN,
                cats(Category.PSYCHOTHERAPY_NOTE),
                [Purpose.TREAT],
                note=PRIVATE_NOTE,
            ),
            consent(
                "consent-sud",
                RCPT,
                cats(Category.SUBSTANCE_USE, Category.DIAGNOSIS),
                [Purpose.COC, Purpose.HLEGAL],
                day(2),
                revoked_at=day(12),
                note=PRIVATE_NOTE,
            ),
            consent(
                "consent-late",
                GUARDIAN,
                cats(Category.MEDICATION),
                [Purpose.FAMRQT],
                day(30),
                note=PRIVATE_NOTE,
            ),
            consent(
                "consent-c2",
                STAFF_OTHER,
                cats(Category.BILLING),
                [Purpose.HPAYMT],
                client_id=CLIENT_2,
                note=PRIVATE_NOTE,
            ),
            refusal("refusal-1", EXT_CLIN_2, cats(Category.ASSESSMENT), [Purpose.COC], day(3)),
            refusal("refusal-2", CLIN_A, cats(Category.MEDICATION), [Purpose.TREAT], day(9)),
        ],
        disclosures=[
            disclosure(
                "disc-risk",
                categories=cats(Category.RISK_ASSESSMENT, Category.DEMOGRAPHICS),
                justification=PRIVATE_JUSTIFICATION,
            ),
            disclosure(
                "disc-abuse",
                ground=ExceptionGround.ABUSE_NEGLECT,
                recipient_id=AGENCY,
                categories=cats(Category.PROGRESS_NOTE, Category.PSYCHOTHERAPY_NOTE),
                approver_id=None,
                justification=PRIVATE_JUSTIFICATION,
            ),
            disclosure(
                "disc-court",
                ground=ExceptionGround.COURT_ORDER,
                recipient_id=OTHER,
                categories=cats(Category.SUBSTANCE_USE, Category.PSYCHOTHERAPY_NOTE),
                records_period=Period(T0, day(5), name="disclosure.records_period"),
                justification=PRIVATE_JUSTIFICATION,
            ),
        ],
        break_glass=[
            grant(
                "btg-1",
                opened_at=day(5),
                expires_at=day(5) + timedelta(hours=2),
                justification=PRIVATE_JUSTIFICATION,
            )
        ],
        representations=[
            representation("rep-1", RepresentationKind.MINOR, client_id=CLIENT_2),
            representation("rep-2", RepresentationKind.INCAPACITATED_ADULT, client_id=CLIENT),
        ],
        self_consented_care=[
            SelfConsentedCare("self-1", CLIENT_2, cats(Category.SUBSTANCE_USE, Category.ASSESSMENT))
        ],
        notices=[NoticeVersion("notice-v1", T0), NoticeVersion("notice-v2", day(10))],
        acknowledgments=[NoticeAcknowledgment(CLIENT, "notice-v1", T0)],
    )


def every_request() -> list[AccessRequest]:
    """Every actor (and one unknown) x client x purpose x action x category set x time."""
    actor_ids = [a.id for a in ROSTER] + ["nobody-1"]
    client_ids = [CLIENT, CLIENT_2, "client-9"]
    category_sets = [frozenset({c}) for c in Category] + [
        frozenset(Category),
        cats(Category.DEMOGRAPHICS, Category.SUBSTANCE_USE, Category.PSYCHOTHERAPY_NOTE),
    ]
    times = [T0, day(5) + timedelta(minutes=20), day(5) + timedelta(hours=3), day(9), day(12)]
    return [
        request(actor_id, categories, purpose, at, client_id=client_id, action=action)
        for actor_id in actor_ids
        for client_id in client_ids
        for purpose in Purpose
        for action in Action
        for categories in category_sets
        for at in times
    ]
