"""Seeding a store with the demonstration practice, and the store-backed demo's scenes.

Each run of the demo admits a new synthetic client, so its output reads the same every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    Effect,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.services import consents, practice, records
from confide.services.deps import Deps, new_id
from confide.services.errors import NotFoundOrDenied
from confide.store import schema as t
from confide.synthetic.practice import HOME, PracticeData, synthetic_practice

OFFICER = "privacy-001"  # the practice's privacy officer in the synthetic practice
FRONT_DESK = "desk-001"
LATEST_NOTICE = "notice-v2"

NOTES = {
    Category.PROGRESS_NOTE: "Synthetic progress note: attended, engaged, practised grounding.",
    Category.DIAGNOSIS: "Synthetic diagnosis entry for demonstration only.",
    Category.PSYCHOTHERAPY_NOTE: "Synthetic process note, kept apart: the therapist's own "
    "reflections.",
}


@dataclass(frozen=True, slots=True)
class StoreScene:
    """One thing done against the store, and what came of it."""

    who: str
    did: str
    outcome: str
    detail: str


@dataclass(frozen=True, slots=True)
class Seeded:
    """What seeding put on file (all zero when the practice was already there)."""

    clients: int = 0
    consents: int = 0
    notes: int = 0
    refused_notes: int = 0


def seed_practice(
    deps: Deps, *, seed: int = 7, clients: int = 40, notes_per_client: int = 3
) -> Seeded | None:
    """Put the demonstration practice on file through the use cases; None if already there.

    The practice comes from ``synthetic_practice(seed=…, clients=…)``: its organisations,
    people, clients, treatment relationships, notice acknowledgments and consents (revoked ones
    are granted, then revoked). Each client with a current relationship gets
    ``notes_per_client`` synthetic notes written by their clinician; the same seed gives the
    same practice and the same notes. Representatives, exception disclosures and
    break-the-glass grants are not stored yet.
    """
    with deps.engine.connect() as c:
        if c.execute(select(t.organisations.c.id).where(t.organisations.c.id == HOME)).first():
            return None
    data = synthetic_practice(seed=seed, clients=clients, consents_per_client=5)
    home = next(o for o in data.organisations if o.id == HOME)
    practice.found_practice(deps, home, Actor(OFFICER, Role.PRIVACY_OFFICER, HOME))
    for org in data.organisations:
        if org.id != HOME:
            practice.add_organisation(deps, org, by=OFFICER)
    cast = [
        Actor("clin-a", Role.CLINICIAN, HOME),
        Actor("clin-b", Role.CLINICIAN, HOME),
        Actor("north-clin", Role.CLINICIAN, "clinic-north"),
    ]
    for actor in [*data.actors, *cast]:
        if actor.role is not Role.CLIENT and actor.id != OFFICER:
            practice.add_actor(deps, actor, by=OFFICER)
    for notice in data.notices:
        practice.publish_notice(deps, notice, by=OFFICER)
    rng = random.Random(seed)  # nosec B311  # synthetic data, seeded to be repeatable
    seeded = _admit_clients(deps, data, rng, notes_per_client)
    _admit_walkthrough_client(deps)
    return seeded


# A client with a fixed id and one synthetic entry in each category, so the limits of
# confidentiality can be walked through by hand (docs/privacy-officer-guide.md).
WALKTHROUGH_CLIENT = "client-demo-001"
WALKTHROUGH_ENTRIES = {
    Category.DEMOGRAPHICS: "Synthetic contact details: reachable through the practice only.",
    Category.DIAGNOSIS: "Synthetic diagnosis entry for the walk-through.",
    Category.PROGRESS_NOTE: "Synthetic progress note: discussed the week and a walking plan.",
    Category.RISK_ASSESSMENT: "Synthetic risk assessment: a stated threat toward a named "
    "neighbour; safety plan agreed.",
    Category.SUBSTANCE_USE: "Synthetic substance-use entry: weekly programme attendance.",
    Category.PSYCHOTHERAPY_NOTE: "Synthetic process note, kept apart: the therapist's own "
    "reflections on the session.",
}


def _admit_walkthrough_client(deps: Deps) -> None:
    practice.create_client(deps, Client(WALKTHROUGH_CLIENT, HOME), by="clin-a")
    practice.acknowledge_notice(deps, WALKTHROUGH_CLIENT, LATEST_NOTICE, by=WALKTHROUGH_CLIENT)
    relationship = TreatmentRelationship(
        "rel-demo-001", "clin-a", WALKTHROUGH_CLIENT, Period(deps.clock.now())
    )
    practice.add_relationship(deps, relationship, by=OFFICER)
    for category, text in WALKTHROUGH_ENTRIES.items():
        records.write_record(
            deps, actor_id="clin-a", client_id=WALKTHROUGH_CLIENT, category=category, text=text
        )
    # The client's own choices: the north clinic may see progress notes and the diagnosis for
    # coordinating care, and (a consent of its own) how to reach the client; the insurer may
    # see nothing of the diagnosis. Revoking the first leaves the second, so the north clinic
    # still reaches the record and is told why the rest is hidden.
    for consent in (
        Consent(
            "consent-demo-north", WALKTHROUGH_CLIENT, "clinic-north",
            frozenset({Category.PROGRESS_NOTE, Category.DIAGNOSIS}), frozenset({Purpose.COC}),
            Period(deps.clock.now()),
        ),
        Consent(
            "consent-demo-north-contact", WALKTHROUGH_CLIENT, "clinic-north",
            frozenset({Category.DEMOGRAPHICS}), frozenset({Purpose.COC}),
            Period(deps.clock.now()),
        ),
        Consent(
            "consent-demo-insurer", WALKTHROUGH_CLIENT, "insurer-one",
            frozenset({Category.DIAGNOSIS}), frozenset(Purpose), Period(deps.clock.now()),
            effect=Effect.DENY,
        ),
    ):  # fmt: skip
        consents.grant_consent(deps, consent, by=WALKTHROUGH_CLIENT)


def _admit_clients(
    deps: Deps, data: PracticeData, rng: random.Random, notes_per_client: int
) -> Seeded:
    now = deps.clock.now()
    notes = refused = consents_stored = 0
    for client in data.clients:
        practice.create_client(deps, client, by=FRONT_DESK)
    for ack in data.acknowledgments:
        practice.acknowledge_notice(deps, ack.client_id, ack.version, by=ack.client_id)
    home_clinicians = {a.id for a in data.actors if a.organisation_id == HOME}
    for rel in data.relationships:
        if rel.clinician_id not in home_clinicians:
            continue  # the generator also draws outside clinicians; a practice assigns its own
        practice.add_relationship(deps, rel, by=OFFICER)
        if not rel.period.contains(now):
            continue
        for _ in range(notes_per_client):
            category = rng.choice(NOTE_CATEGORIES)
            try:
                records.write_record(
                    deps,
                    actor_id=rel.clinician_id,
                    client_id=rel.client_id,
                    category=category,
                    text=synthetic_note(rng, category),
                )
                notes += 1
            except NotFoundOrDenied:
                refused += 1
    for consent in data.consents:
        consents.grant_consent(deps, replace(consent, revoked_at=None), by=consent.client_id)
        if consent.revoked_at is not None:
            consents.revoke_consent(deps, consent.id, by=consent.client_id)
        consents_stored += 1
    return Seeded(len(data.clients), consents_stored, notes, refused)


NOTE_CATEGORIES = (
    Category.PROGRESS_NOTE,
    Category.PROGRESS_NOTE,
    Category.ASSESSMENT,
    Category.DIAGNOSIS,
    Category.TREATMENT_PLAN,
    Category.SUBSTANCE_USE,
    Category.PSYCHOTHERAPY_NOTE,
)
_OPENINGS = (
    "Session focused on",
    "Client described",
    "Reviewed progress with",
    "Discussed",
    "Worked on",
)
_TOPICS = (
    "sleep routine and evening wind-down",
    "a grounding exercise for stressful commutes",
    "goals for the next four weeks",
    "handling conflict at work with a structured script",
    "weekly activity scheduling",
    "noticing early signs of low mood",
)
_CLOSINGS = (
    "Plan: continue weekly sessions.",
    "Homework: practise twice daily and keep a short log.",
    "Will review the plan at the next session.",
    "No safety concerns raised today.",
)


def synthetic_note(rng: random.Random, category: Category) -> str:
    """A short made-up note; every sentence is marked synthetic."""
    return (
        f"Synthetic {category.label}: {rng.choice(_OPENINGS)} {rng.choice(_TOPICS)}. "
        f"{rng.choice(_CLOSINGS)}"
    )


def admit_demo_client(deps: Deps) -> str:
    """A new synthetic client of clin-a, with their data key, notice and relationship.

    clin-a admits the client; the privacy officer assigns clin-a (nobody assigns themselves).
    """
    client_id = new_id("client")[:17]
    practice.create_client(deps, Client(client_id, HOME), by="clin-a")
    practice.acknowledge_notice(deps, client_id, LATEST_NOTICE, by=client_id)
    relationship = TreatmentRelationship(
        new_id("rel"), "clin-a", client_id, Period(deps.clock.now())
    )
    practice.add_relationship(deps, relationship, by=OFFICER)
    return client_id


def run_store_scenes(deps: Deps) -> list[StoreScene]:
    """Write, read, consent, revoke and refuse on the stored practice; say what happened."""
    client = admit_demo_client(deps)
    out = [
        StoreScene(
            "clin-a",
            f"admits {client}",
            "client created",
            "own data key; notice acknowledged; treatment relationship",
        )
    ]
    for category, text in NOTES.items():
        records.write_record(
            deps, actor_id="clin-a", client_id=client, category=category, text=text
        )
    out.append(
        StoreScene(
            "clin-a (treating)",
            "writes 3 notes",
            "stored sealed",
            "progress note, diagnosis, psychotherapy note (in its own table)",
        )
    )
    out.append(_read(deps, client, "clin-a (treating)", "clin-a", set(NOTES), Purpose.TREAT))
    consent = consents.grant_consent(
        deps,
        Consent(
            new_id("consent"),
            client,
            "clinic-north",
            frozenset({Category.DIAGNOSIS}),
            frozenset({Purpose.COC}),
            Period(deps.clock.now()),
        ),
        by=client,
    )
    out.append(
        StoreScene(
            "the client",
            "lets clinic-north see diagnoses for coordination",
            "consent recorded",
            consent.id,
        )
    )
    ask = {Category.DIAGNOSIS, Category.PROGRESS_NOTE}
    out.append(_read(deps, client, "north-clin (other clinic)", "north-clin", ask, Purpose.COC))
    consents.revoke_consent(deps, consent.id, by=client)
    out.append(StoreScene("the client", "revokes that consent", "revoked at once", consent.id))
    out.append(_read(deps, client, "north-clin (other clinic)", "north-clin", ask, Purpose.COC))
    out.append(
        _read(
            deps, client, "clin-b (no relationship)", "clin-b", {Category.DIAGNOSIS}, Purpose.TREAT
        )
    )
    out.append(_access_log_summary(deps, client))
    return out


def _read(  # noqa: PLR0917 - a scene reads best as one line of arguments
    deps: Deps,
    client: str,
    who: str,
    actor_id: str,
    categories: set[Category],
    purpose: Purpose,
) -> StoreScene:
    asked = ", ".join(sorted(c.value for c in categories))
    try:
        view = records.read_records(
            deps,
            actor_id=actor_id,
            client_id=client,
            categories=frozenset(categories),
            purpose=purpose,
        )
    except NotFoundOrDenied as refused:
        return StoreScene(who, f"reads {asked}", "refused", f"answer: {refused}")
    count = len(view.entries)
    kinds = ", ".join(sorted({e.category.value for e in view.entries})) or "none"
    withheld = ", ".join(sorted(c.value for c in view.withheld)) or "nothing"
    noun = "entry" if count == 1 else "entries"
    return StoreScene(
        who, f"reads {asked}", f"{count} {noun} decrypted", f"got {kinds}; withheld: {withheld}"
    )


def _access_log_summary(deps: Deps, client: str) -> StoreScene:
    with deps.engine.connect() as c:
        rows = c.execute(
            select(t.audit_entries.c.effect, func.count())
            .where(t.audit_entries.c.client_id == client)
            .group_by(t.audit_entries.c.effect)
        ).all()
    counts: dict[str, int] = {str(effect): int(n) for effect, n in rows}
    return StoreScene(
        "the access log",
        "holds every access to this client, allowed or refused",
        "logged",
        f"{counts.get('permit', 0)} permitted, {counts.get('deny', 0)} refused; ids and codes "
        "only, never content",
    )
