"""The Cedar entities: who people are, which client is whose, and the rules' code tables.

Request-independent data, derived from the practice once: actors with their role, id and
organisation (their parent), clients with their practice and self-consented care, categories
whose parents are the groups that bound them (staff work, each ground's minimum necessary),
grounds with their purpose of use, and the practice's settings.
"""

from __future__ import annotations

from typing import Any

from confide.domain import Category
from confide.policy import GROUND_PURPOSE, MINIMUM_NECESSARY, PolicySettings
from confide.policy.minimum_necessary import STAFF_CATEGORIES, STAFF_PURPOSES
from confide.synthetic import PracticeData

Entity = dict[str, Any]


def ref(kind: str, uid: str) -> dict[str, dict[str, str]]:
    """An entity reference as Cedar's JSON attribute value."""
    return {"__entity": {"type": kind, "id": uid}}


def practice_entities(
    data: PracticeData, self_consented: dict[str, set[Category]], settings: PolicySettings
) -> list[Entity]:
    """Every entity the rules look at, for the whole practice."""
    out: list[Entity] = [_settings(settings), _staff_group()]
    out += [_entity("Org", o.id) for o in data.organisations]
    out += [_entity("Ground", g.value, purpose=p.value) for g, p in GROUND_PURPOSE.items()]
    out += [_category(c) for c in Category]
    for a in data.actors:
        # actorId: the id as a string, to compare with the request's record author.
        attrs: dict[str, Any] = {"role": a.role.value, "actorId": a.id}
        parents = []
        if a.organisation_id is not None:
            attrs["org"] = ref("Org", a.organisation_id)
            parents.append({"type": "Org", "id": a.organisation_id})
        out.append({"uid": {"type": "Actor", "id": a.id}, "attrs": attrs, "parents": parents})
    for c in data.clients:
        shielded = sorted(self_consented.get(c.id, ()))
        out.append(
            _entity(
                "Client",
                c.id,
                org=ref("Org", c.organisation_id),
                selfConsented=[ref("Category", s.value) for s in shielded],
            )
        )
    return out


def _entity(kind: str, uid: str, **attrs: Any) -> Entity:
    return {"uid": {"type": kind, "id": uid}, "attrs": attrs, "parents": []}


def _settings(settings: PolicySettings) -> Entity:
    return _entity(
        "Settings",
        "practice",
        clientMayReadPsychotherapyNotes=settings.client_may_read_psychotherapy_notes,
        representativeSeesSelfConsentedCare=settings.representative_sees_self_consented_care,
        breakGlassMaxWindow=int(settings.break_glass_max_window.total_seconds()),
    )


def _staff_group() -> Entity:
    purposes = sorted(p.value for p in STAFF_PURPOSES)
    return _entity("Group", "staff", purposes=purposes)


def _category(category: Category) -> Entity:
    parents = [
        {"type": "Ground", "id": g.value} for g, cs in MINIMUM_NECESSARY.items() if category in cs
    ]
    if category in STAFF_CATEGORIES:
        parents.append({"type": "Group", "id": "staff"})
    return {"uid": {"type": "Category", "id": category.value}, "attrs": {}, "parents": parents}
