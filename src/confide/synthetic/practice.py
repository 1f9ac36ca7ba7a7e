"""A synthetic practice generator with a fixed seed.

Every id is opaque (``client-0007``, ``clin-003``); nothing here resembles a real person. The
practice has a home organisation with clinicians, a supervisor, a privacy officer, front-desk
staff and an administrator; outside organisations that receive consented disclosures; and the
limits of confidentiality in use (approved and pending disclosures, break-the-glass grants).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from confide.domain import (
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
    VictimKind,
)
from confide.policy import Facts

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
HOME = "practice-home"

# Outside organisations and what clients typically let them see.
_ROUTINE_CATEGORIES = (
    Category.DEMOGRAPHICS,
    Category.APPOINTMENTS,
    Category.BILLING,
    Category.ASSESSMENT,
    Category.DIAGNOSIS,
    Category.TREATMENT_PLAN,
    Category.MEDICATION,
    Category.PROGRESS_NOTE,
)
_CONSENT_PURPOSES = (Purpose.COC, Purpose.TREAT, Purpose.HPAYMT, Purpose.FAMRQT)


@dataclass
class PracticeData:
    """Everything a practice has on file, as lists; ``facts()`` indexes them."""

    organisations: list[Organisation] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    relationships: list[TreatmentRelationship] = field(default_factory=list)
    representations: list[Representation] = field(default_factory=list)
    self_consented_care: list[SelfConsentedCare] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    disclosures: list[ExceptionDisclosure] = field(default_factory=list)
    break_glass: list[BreakGlassGrant] = field(default_factory=list)
    notices: list[NoticeVersion] = field(default_factory=list)
    acknowledgments: list[NoticeAcknowledgment] = field(default_factory=list)
    heavy_client_id: str | None = None

    def facts(self) -> Facts:
        """Index everything on file."""
        return Facts.build(
            actors=self.actors,
            clients=self.clients,
            organisations=self.organisations,
            relationships=self.relationships,
            representations=self.representations,
            self_consented_care=self.self_consented_care,
            consents=self.consents,
            disclosures=self.disclosures,
            break_glass=self.break_glass,
            notices=self.notices,
            acknowledgments=self.acknowledgments,
        )

    def actors_with(self, role: Role) -> list[Actor]:
        """The actors of one role, in id order."""
        return sorted((a for a in self.actors if a.role is role), key=lambda a: a.id)

    @property
    def recipient_ids(self) -> list[str]:
        """Everyone and every organisation outside the home practice that may receive records."""
        outside = [o.id for o in self.organisations if o.id != HOME]
        people = [a.id for a in self.actors if a.organisation_id not in (None, HOME)]
        return sorted(outside + people)


def synthetic_practice(
    *,
    seed: int = 7,
    clients: int = 40,
    consents_per_client: int = 5,
    heavy_client_consents: int = 0,
) -> PracticeData:
    """A practice of ``clients`` clients with about ``consents_per_client`` consents each.

    With ``heavy_client_consents`` > 0, one more client (``heavy_client_id``) has that many.
    """
    rng = random.Random(seed)  # nosec B311  # synthetic data, seeded to be repeatable
    data = PracticeData()
    _staff_the_practice(data, clinicians=max(2, clients // 25))
    clinicians = data.actors_with(Role.CLINICIAN) + data.actors_with(Role.SUPERVISOR)
    data.notices = [
        NoticeVersion("notice-v1", EPOCH),
        NoticeVersion("notice-v2", EPOCH + timedelta(days=180)),
    ]
    for i in range(clients):
        client = Client(f"client-{i:05d}", HOME)
        _admit(data, rng, client, clinicians)
        for j in range(consents_per_client):
            data.consents.append(_random_consent(rng, data, client.id, f"consent-{i:05d}-{j:03d}"))
    if heavy_client_consents:
        heavy = Client("client-heavy", HOME)
        _admit(data, rng, heavy, clinicians)
        data.heavy_client_id = heavy.id
        for j in range(heavy_client_consents):
            data.consents.append(_random_consent(rng, data, heavy.id, f"consent-heavy-{j:05d}"))
    _limits_in_use(data, rng, clinicians)
    return data


def _staff_the_practice(data: PracticeData, clinicians: int) -> None:
    data.organisations += [
        Organisation(HOME, "Home practice"),
        Organisation("clinic-north", "North community clinic"),
        Organisation("gp-east", "East family medicine"),
        Organisation("insurer-one", "Insurer One"),
        Organisation("eap-acme", "Employer assistance programme"),
        Organisation("agency-cps", "Child protective services"),
        Organisation("agency-aps", "Adult protective services"),
        Organisation("court-county", "County court"),
        Organisation("police-city", "City police"),
    ]
    data.actors += [Actor(f"clin-{k:03d}", Role.CLINICIAN, HOME) for k in range(clinicians)]
    data.actors += [
        Actor("super-001", Role.SUPERVISOR, HOME),
        Actor("privacy-001", Role.PRIVACY_OFFICER, HOME),
        Actor("privacy-002", Role.PRIVACY_OFFICER, HOME),
        Actor("desk-001", Role.STAFF, HOME),
        Actor("billing-001", Role.STAFF, HOME),
        Actor("admin-001", Role.ADMINISTRATOR, HOME),
        Actor("ext-clin-north", Role.CLINICIAN, "clinic-north"),
        Actor("ext-gp-east", Role.CLINICIAN, "gp-east"),
        Actor("ext-insurer", Role.RECIPIENT, "insurer-one"),
        Actor("ext-eap", Role.RECIPIENT, "eap-acme"),
        Actor("ext-cps", Role.RECIPIENT, "agency-cps"),
        Actor("ext-aps", Role.RECIPIENT, "agency-aps"),
        Actor("ext-court", Role.RECIPIENT, "court-county"),
        Actor("ext-police", Role.RECIPIENT, "police-city"),
    ]


def _admit(data: PracticeData, rng: random.Random, client: Client, clinicians: list[Actor]) -> None:
    data.clients.append(client)
    data.actors.append(Actor(client.id, Role.CLIENT))
    start = EPOCH + timedelta(days=rng.randrange(0, 120))
    # One in eight relationships has ended: access must end with it.
    end = start + timedelta(days=rng.randrange(30, 200)) if rng.random() < 0.125 else None
    clinician = rng.choice(clinicians)
    data.relationships.append(
        TreatmentRelationship(f"rel-{client.id}", clinician.id, client.id, Period(start, end))
    )
    if rng.random() < 0.9:
        data.acknowledgments.append(NoticeAcknowledgment(client.id, "notice-v1", start))
    if rng.random() < 0.6:
        data.acknowledgments.append(
            NoticeAcknowledgment(client.id, "notice-v2", EPOCH + timedelta(days=200))
        )
    if rng.random() < 0.05:
        _as_minor(data, rng, client, start)


def _as_minor(data: PracticeData, rng: random.Random, client: Client, start: datetime) -> None:
    guardian = Actor(f"guardian-{client.id}", Role.REPRESENTATIVE)
    data.actors.append(guardian)
    data.representations.append(
        Representation(
            f"rep-{client.id}", guardian.id, client.id, RepresentationKind.MINOR, Period(start)
        )
    )
    if rng.random() < 0.5:
        data.self_consented_care.append(
            SelfConsentedCare(
                f"self-{client.id}",
                client.id,
                frozenset({Category.SUBSTANCE_USE, Category.PROGRESS_NOTE}),
            )
        )


def _random_consent(rng: random.Random, data: PracticeData, client_id: str, cid: str) -> Consent:
    recipients = data.recipient_ids
    recipient = rng.choice(recipients)
    start = EPOCH + timedelta(days=rng.randrange(0, 300))
    end = start + timedelta(days=rng.randrange(30, 400)) if rng.random() < 0.5 else None
    revoked = start + timedelta(days=rng.randrange(1, 200)) if rng.random() < 0.2 else None
    roll = rng.random()
    if roll < 0.08:
        # A client's refusal: "never to my employer's assistance programme".
        return Consent(
            cid,
            client_id,
            "eap-acme",
            frozenset(Category),
            frozenset(Purpose),
            Period(start),
            effect=Effect.DENY,
            revoked_at=revoked,
        )
    if roll < 0.14:
        categories = frozenset({Category.PSYCHOTHERAPY_NOTE})
    elif roll < 0.22:
        categories = frozenset({Category.SUBSTANCE_USE, Category.DIAGNOSIS})
    else:
        categories = frozenset(rng.sample(_ROUTINE_CATEGORIES, rng.randrange(1, 4)))
    purposes = frozenset(rng.sample(_CONSENT_PURPOSES, rng.randrange(1, 3)))
    return Consent(
        cid, client_id, recipient, categories, purposes, Period(start, end), revoked_at=revoked
    )


def _limits_in_use(data: PracticeData, rng: random.Random, clinicians: list[Actor]) -> None:
    """A few disclosures on each ground, some approved and some pending, and break-glass."""
    chosen = rng.sample(data.clients, min(len(data.clients), 12))
    grounds = [
        (ExceptionGround.IMMINENT_RISK_OTHERS, "police-city", None),
        (ExceptionGround.IMMINENT_RISK_SELF, "ext-gp-east", None),
        (ExceptionGround.ABUSE_NEGLECT, "agency-cps", VictimKind.CHILD),
        (ExceptionGround.COURT_ORDER, "court-county", None),
    ]
    for n, client in enumerate(chosen):
        ground, recipient, victim = grounds[n % len(grounds)]
        opened = EPOCH + timedelta(days=rng.randrange(100, 300))
        requester = rng.choice(clinicians).id
        approved = n % 3 != 2
        categories = (
            frozenset({Category.DIAGNOSIS, Category.PROGRESS_NOTE, Category.PSYCHOTHERAPY_NOTE})
            if ground is ExceptionGround.COURT_ORDER
            else frozenset({Category.DEMOGRAPHICS, Category.RISK_ASSESSMENT, Category.DIAGNOSIS})
        )
        data.disclosures.append(
            ExceptionDisclosure(
                id=f"disc-{n:03d}",
                client_id=client.id,
                ground=ground,
                recipient_id=recipient,
                categories=categories,
                window=Period(opened, opened + timedelta(days=14)),
                requested_by=requester,
                justification="Synthetic justification for a demonstration.",
                approval=Approval("privacy-001", opened) if approved else None,
                victim_kind=victim,
            )
        )
        if ground in (ExceptionGround.IMMINENT_RISK_SELF, ExceptionGround.IMMINENT_RISK_OTHERS):
            data.break_glass.append(
                BreakGlassGrant(
                    f"btg-{n:03d}",
                    rng.choice(clinicians).id,
                    client.id,
                    ground,
                    opened,
                    opened + timedelta(minutes=45),
                    "Synthetic emergency for a demonstration.",
                )
            )
