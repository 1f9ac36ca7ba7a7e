"""Who treats whom, who acts for whom, and what care a minor consented to themself."""

from __future__ import annotations

from dataclasses import dataclass

from confide.domain.codes import Category, RepresentationKind
from confide.domain.period import Period, require_period
from confide.domain.validation import parse_code, parse_codes, require_id


@dataclass(frozen=True, slots=True)
class TreatmentRelationship:
    """A clinician treats a client during ``period``; access ends when the period ends."""

    id: str
    clinician_id: str
    client_id: str
    period: Period

    def __post_init__(self) -> None:
        require_id(self.id, "relationship.id")
        require_id(self.clinician_id, "relationship.clinician_id")
        require_id(self.client_id, "relationship.client_id")
        require_period(self.period, "relationship.period")


@dataclass(frozen=True, slots=True)
class Representation:
    """A guardian or personal representative acts for a client (HIPAA 164.502(g))."""

    id: str
    representative_id: str
    client_id: str
    kind: RepresentationKind
    period: Period

    def __post_init__(self) -> None:
        require_id(self.id, "representation.id")
        require_id(self.representative_id, "representation.representative_id")
        require_id(self.client_id, "representation.client_id")
        object.__setattr__(
            self, "kind", parse_code(RepresentationKind, self.kind, "representation.kind")
        )
        require_period(self.period, "representation.period")


@dataclass(frozen=True, slots=True)
class SelfConsentedCare:
    """Care a minor lawfully consented to themself (HIPAA 164.502(g)(3)(i)).

    For these categories the parent is not the minor's personal representative, so by default
    confide keeps them from the representative. Jurisdictions differ; see ``PolicySettings``.
    """

    id: str
    client_id: str
    categories: frozenset[Category]

    def __post_init__(self) -> None:
        require_id(self.id, "self_consented_care.id")
        require_id(self.client_id, "self_consented_care.client_id")
        object.__setattr__(
            self,
            "categories",
            parse_codes(Category, self.categories, "self_consented_care.categories"),
        )
