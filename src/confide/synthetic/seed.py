"""Seeding a store with the demonstration practice, and the store-backed demo's scenes.

Each run of the demo admits a new synthetic client, so its output reads the same every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.services import consents, practice, records
from confide.services.deps import Deps, new_id
from confide.services.errors import NotFoundOrDenied
from confide.store import schema as t
from confide.synthetic.practice import HOME

OFFICER = "privacy-officer"

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


def seed_practice(deps: Deps) -> bool:
    """Put the demonstration practice on file; False if it was already there."""
    with deps.engine.connect() as c:
        if c.execute(select(t.organisations.c.id).where(t.organisations.c.id == HOME)).first():
            return False
    practice.found_practice(
        deps, Organisation(HOME, "Home practice"), Actor(OFFICER, Role.PRIVACY_OFFICER, HOME)
    )
    practice.add_organisation(
        deps, Organisation("clinic-north", "North community clinic"), by=OFFICER
    )
    for actor in (
        Actor("clin-a", Role.CLINICIAN, HOME),
        Actor("clin-b", Role.CLINICIAN, HOME),
        Actor("north-clin", Role.CLINICIAN, "clinic-north"),
    ):
        practice.add_actor(deps, actor, by=OFFICER)
    year_ago = deps.clock.now() - timedelta(days=365)
    practice.publish_notice(deps, NoticeVersion("notice-2026", year_ago), by=OFFICER)
    return True


def admit_demo_client(deps: Deps) -> str:
    """A new synthetic client of clin-a, with their data key, notice and relationship.

    clin-a admits the client; the privacy officer assigns clin-a (nobody assigns themselves).
    """
    client_id = new_id("client")[:17]
    practice.create_client(deps, Client(client_id, HOME), by="clin-a")
    practice.acknowledge_notice(deps, client_id, "notice-2026", by=client_id)
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
            select(t.access_events.c.effect, func.count())
            .where(t.access_events.c.client_id == client)
            .group_by(t.access_events.c.effect)
        ).all()
    counts: dict[str, int] = {str(effect): int(n) for effect, n in rows}
    return StoreScene(
        "the access log",
        "holds every access to this client, allowed or refused",
        "logged",
        f"{counts.get('permit', 0)} permitted, {counts.get('deny', 0)} refused; ids and codes "
        "only, never content",
    )
