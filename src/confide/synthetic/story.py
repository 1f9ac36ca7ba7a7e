"""The demonstration practice: one small, hand-built practice and the questions asked of it.

Each scene is one access request with what a person would expect to happen, in plain words, so
the demo reads as a walk through confide's rules. Ids are opaque and synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    NoticeAcknowledgment,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Representation,
    RepresentationKind,
    Role,
    SelfConsentedCare,
    TreatmentRelationship,
)
from confide.policy import Facts
from confide.synthetic.practice import HOME

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Scene:
    """One question asked of the practice, and who is asking in plain words."""

    title: str
    asker: str
    request: AccessRequest


def story_facts() -> Facts:
    """The demonstration practice's facts."""
    day = timedelta(days=1)
    return Facts.build(
        organisations=[
            Organisation(HOME, "Home practice"),
            Organisation("clinic-north", "North community clinic"),
            Organisation("eap-acme", "Employer assistance programme"),
            Organisation("police-city", "City police"),
            Organisation("court-county", "County court"),
        ],
        actors=[
            Actor("clin-a", Role.CLINICIAN, HOME),
            Actor("clin-b", Role.CLINICIAN, HOME),
            Actor("super-1", Role.SUPERVISOR, HOME),
            Actor("privacy-1", Role.PRIVACY_OFFICER, HOME),
            Actor("desk-1", Role.STAFF, HOME),
            Actor("admin-1", Role.ADMINISTRATOR, HOME),
            Actor("north-clin", Role.CLINICIAN, "clinic-north"),
            Actor("eap-counsellor", Role.RECIPIENT, "eap-acme"),
            Actor("police-duty", Role.RECIPIENT, "police-city"),
            Actor("court-clerk", Role.RECIPIENT, "court-county"),
            Actor("guardian-1", Role.REPRESENTATIVE),
            Actor("client-1", Role.CLIENT),
            Actor("client-2", Role.CLIENT),
        ],
        clients=[Client("client-1", HOME), Client("client-2", HOME)],
        relationships=[
            TreatmentRelationship("rel-1", "clin-a", "client-1", Period(T0 - 90 * day)),
            TreatmentRelationship("rel-2", "clin-b", "client-2", Period(T0 - 60 * day)),
        ],
        representations=[
            Representation(
                "rep-1", "guardian-1", "client-2", RepresentationKind.MINOR, Period(T0 - 60 * day)
            )
        ],
        self_consented_care=[
            SelfConsentedCare("self-1", "client-2", frozenset({Category.SUBSTANCE_USE}))
        ],
        consents=[
            Consent(
                "consent-north",
                "client-1",
                "clinic-north",
                frozenset({Category.DIAGNOSIS, Category.MEDICATION, Category.SUBSTANCE_USE}),
                frozenset({Purpose.COC}),
                Period(T0 - 30 * day, T0 + 335 * day),
                revoked_at=T0 + 10 * day,
            ),
            Consent(
                "consent-eap",
                "client-1",
                "eap-acme",
                frozenset({Category.APPOINTMENTS}),
                frozenset({Purpose.HOPERAT}),
                Period(T0 - 30 * day),
            ),
            Consent(
                "refusal-eap",
                "client-1",
                "eap-acme",
                frozenset(Category),
                frozenset(Purpose),
                Period(T0 - 20 * day),
                effect=Effect.DENY,
            ),
        ],
        disclosures=[
            ExceptionDisclosure(
                id="disc-warn-1",
                client_id="client-1",
                ground=ExceptionGround.IMMINENT_RISK_OTHERS,
                recipient_id="police-city",
                categories=frozenset(
                    {Category.RISK_ASSESSMENT, Category.DEMOGRAPHICS, Category.PSYCHOTHERAPY_NOTE}
                ),
                window=Period(T0, T0 + 2 * day),
                requested_by="clin-a",
                justification="Synthetic: a specific threat against an identifiable person.",
                approval=Approval("super-1", T0),
            ),
            ExceptionDisclosure(
                id="disc-court-1",
                client_id="client-1",
                ground=ExceptionGround.COURT_ORDER,
                recipient_id="court-county",
                categories=frozenset({Category.DIAGNOSIS, Category.TREATMENT_PLAN}),
                window=Period(T0, T0 + 30 * day),
                requested_by="privacy-1",
                justification="Synthetic: order in case 0000-DEMO.",
            ),
        ],
        break_glass=[
            BreakGlassGrant(
                "btg-1",
                "clin-b",
                "client-1",
                ExceptionGround.IMMINENT_RISK_SELF,
                T0 + 3 * day,
                T0 + 3 * day + timedelta(minutes=30),
                "Synthetic: client in crisis out of hours; treating clinician unreachable.",
            )
        ],
        notices=[NoticeVersion("notice-2026", T0 - 365 * day)],
        acknowledgments=[NoticeAcknowledgment("client-1", "notice-2026", T0 - 90 * day)],
    )


def _ask(
    actor: str,
    client: str,
    categories: set[Category],
    purpose: Purpose,
    at: datetime,
    *,
    action: Action = Action.READ,
    author: str | None = None,
) -> AccessRequest:
    return AccessRequest(
        actor, client, frozenset(categories), purpose, at, action, record_author_id=author
    )


def story_scenes() -> list[Scene]:
    """The scenes of the demonstration, in order."""
    d = timedelta(days=1)
    c = Category
    return [
        Scene(
            "A therapist writes a progress note for their own client",
            "clin-a (treating)",
            _ask("clin-a", "client-1", {c.PROGRESS_NOTE}, Purpose.TREAT, T0, action=Action.WRITE),
        ),
        Scene(
            "A colleague asks for the client's psychotherapy notes",
            "clin-b (not the author)",
            _ask("clin-b", "client-1", {c.PSYCHOTHERAPY_NOTE}, Purpose.TREAT, T0, author="clin-a"),
        ),
        Scene(
            "The front desk opens the client's file",
            "desk-1 (front desk)",
            _ask("desk-1", "client-1", {c.APPOINTMENTS, c.DIAGNOSIS}, Purpose.HOPERAT, T0),
        ),
        Scene(
            "Another clinic coordinates care under the client's consent",
            "north-clin",
            _ask(
                "north-clin",
                "client-1",
                {c.DIAGNOSIS, c.SUBSTANCE_USE, c.PROGRESS_NOTE},
                Purpose.COC,
                T0 + d,
            ),
        ),
        Scene(
            "The same clinic asks again after the client revoked consent",
            "north-clin",
            _ask("north-clin", "client-1", {c.DIAGNOSIS}, Purpose.COC, T0 + 11 * d),
        ),
        Scene(
            "The employer's assistance programme asks about appointments",
            "eap-counsellor",
            _ask("eap-counsellor", "client-1", {c.APPOINTMENTS}, Purpose.HOPERAT, T0),
        ),
        Scene(
            "Duty to warn: the police receive an approved disclosure",
            "police-duty",
            _ask(
                "police-duty",
                "client-1",
                {c.RISK_ASSESSMENT, c.DEMOGRAPHICS, c.PSYCHOTHERAPY_NOTE},
                Purpose.THREAT,
                T0 + timedelta(hours=2),
            ),
        ),
        Scene(
            "Break-the-glass: an on-call clinician in an emergency",
            "clin-b (on call)",
            _ask(
                "clin-b",
                "client-1",
                {c.RISK_ASSESSMENT, c.PROGRESS_NOTE},
                Purpose.BTG,
                T0 + 3 * d + timedelta(minutes=5),
            ),
        ),
        Scene(
            "A court order not yet approved by a second person",
            "court-clerk",
            _ask("court-clerk", "client-1", {c.DIAGNOSIS}, Purpose.HLEGAL, T0 + d),
        ),
        Scene(
            "The client reads their own record",
            "client-1 (the client)",
            _ask("client-1", "client-1", {c.DIAGNOSIS, c.PSYCHOTHERAPY_NOTE}, Purpose.PATRQT, T0),
        ),
        Scene(
            "A parent reads their teenager's record",
            "guardian-1 (parent)",
            _ask("guardian-1", "client-2", {c.APPOINTMENTS, c.SUBSTANCE_USE}, Purpose.PWATRNY, T0),
        ),
        Scene(
            "The system administrator looks up a client",
            "admin-1 (administrator)",
            _ask("admin-1", "client-1", {c.DEMOGRAPHICS}, Purpose.HOPERAT, T0),
        ),
    ]
