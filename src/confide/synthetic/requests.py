"""A reproducible mix of access requests against a synthetic practice.

Requests are drawn by scenario, so every rule is exercised: the treating clinician, consent
recipients (named person or their organisation), deny provisions, staff, the client and their
representative, exception recipients, break-the-glass, and people with no ground at all.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from confide.domain import AccessRequest, Action, Actor, Category, Purpose, Role
from confide.policy import GROUND_PURPOSE
from confide.synthetic.practice import EPOCH, PracticeData

_SCENARIOS = (
    ("treating", 25),
    ("consent", 30),
    ("other_clinician", 8),
    ("staff", 8),
    ("client", 10),
    ("representative", 3),
    ("exception", 6),
    ("break_glass", 5),
    ("admin", 2),
    ("privacy", 3),
)


class _Index:
    def __init__(self, data: PracticeData) -> None:
        self.data = data
        self.actors = {a.id: a for a in data.actors}
        self.by_org: defaultdict[str, list[Actor]] = defaultdict(list)
        for a in sorted(data.actors, key=lambda a: a.id):
            if a.organisation_id:
                self.by_org[a.organisation_id].append(a)
        self.treating = {r.client_id: r for r in data.relationships}
        self.consents = defaultdict(list)
        for c in data.consents:
            self.consents[c.client_id].append(c)
        self.reps = {p.client_id: p for p in data.representations}
        self.clinicians = data.actors_with(Role.CLINICIAN)
        self.staff = data.actors_with(Role.STAFF)


def synthetic_requests(
    data: PracticeData, count: int, *, seed: int = 11, client_id: str | None = None
) -> list[AccessRequest]:
    """``count`` requests across every scenario; all about ``client_id`` if it is given."""
    rng = random.Random(seed)  # nosec B311  # synthetic requests, seeded to be repeatable
    index = _Index(data)
    names = [s for s, _ in _SCENARIOS]
    weights = [w for _, w in _SCENARIOS]
    clients = [c.id for c in data.clients]
    out: list[AccessRequest] = []
    for n in range(count):
        client = client_id or rng.choice(clients)
        scenario = rng.choices(names, weights)[0]
        actor, purpose, at, client = _pick(scenario, rng, index, client, pinned=client_id)
        write = actor.role in (Role.CLINICIAN, Role.STAFF) and rng.random() < 0.15
        out.append(
            AccessRequest(
                actor_id=actor.id,
                client_id=client,
                categories=frozenset(rng.sample(list(Category), rng.randrange(1, 4))),
                purpose=purpose,
                at=at,
                action=Action.WRITE if write else Action.READ,
                record_author_id=actor.id if rng.random() < 0.5 else None,
                request_id=f"req-{n:07d}",
            )
        )
    return out


def _some_time(rng: random.Random) -> datetime:
    return EPOCH + timedelta(days=rng.randrange(0, 500), minutes=rng.randrange(0, 1440))


def _pick(
    scenario: str, rng: random.Random, ix: _Index, client: str, *, pinned: str | None
) -> tuple[Actor, Purpose, datetime, str]:
    # Exceptions and break-glass are about the client they name, unless the client is pinned.
    if scenario == "exception" and ix.data.disclosures:
        d = rng.choice(ix.data.disclosures)
        members = ix.by_org.get(d.recipient_id)
        actor = rng.choice(members) if members else ix.actors[d.recipient_id]
        purpose = GROUND_PURPOSE[d.ground]
        at = d.window.start + timedelta(hours=rng.randrange(0, 400))
        return actor, purpose, at, pinned or d.client_id
    if scenario == "break_glass" and ix.data.break_glass:
        g = rng.choice(ix.data.break_glass)
        at = g.opened_at + timedelta(minutes=rng.randrange(0, 120))
        return ix.actors[g.clinician_id], Purpose.BTG, at, pinned or g.client_id
    actor, purpose, at = _pick_for_client(scenario, rng, ix, client)
    return actor, purpose, at, client


def _pick_for_client(
    scenario: str, rng: random.Random, ix: _Index, client: str
) -> tuple[Actor, Purpose, datetime]:
    at = _some_time(rng)
    if scenario == "treating" and client in ix.treating:
        rel = ix.treating[client]
        return ix.actors[rel.clinician_id], Purpose.TREAT, at
    if scenario == "consent" and ix.consents[client]:
        c = rng.choice(ix.consents[client])
        members = ix.by_org.get(c.recipient_id)
        actor = rng.choice(members) if members else ix.actors[c.recipient_id]
        purpose = rng.choice(sorted(c.purposes))
        return actor, purpose, c.period.start + timedelta(days=rng.randrange(-20, 200))
    if scenario == "staff":
        return rng.choice(ix.staff), rng.choice((Purpose.HOPERAT, Purpose.HPAYMT)), at
    if scenario == "client":
        return ix.actors[client], Purpose.PATRQT, at
    if scenario == "representative" and client in ix.reps:
        rep = ix.reps[client]
        return ix.actors[rep.representative_id], Purpose.PWATRNY, at
    if scenario == "admin":
        return ix.data.actors_with(Role.ADMINISTRATOR)[0], Purpose.HOPERAT, at
    if scenario == "privacy":
        return ix.data.actors_with(Role.PRIVACY_OFFICER)[0], Purpose.HOPERAT, at
    return rng.choice(ix.clinicians), rng.choice((Purpose.TREAT, Purpose.COC)), at
