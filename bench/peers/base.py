"""What every peer engine offers the benchmark, and the practice facts grouped per client."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Generic, TypeVar

from confide.domain import (
    AccessRequest,
    BreakGlassGrant,
    Category,
    Client,
    Consent,
    ExceptionDisclosure,
    Representation,
    TreatmentRelationship,
)
from confide.synthetic import PracticeData

N = TypeVar("N")

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


class Peer(ABC, Generic[N]):
    """A policy engine deciding confide's rules: permit or deny per requested category."""

    name: ClassVar[str]
    # Printed under the results table: how the peer was set up and what it had to work around.
    notes: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def translate(self, request: AccessRequest) -> N:
        """The request in the engine's own form; done before timing, like confide's own input."""

    @abstractmethod
    def decide(self, native: N) -> frozenset[str]:
        """The requested categories the engine permits (category codes)."""


def epoch(at: datetime) -> int:
    """Whole seconds since 1970 (synthetic practices keep every time to the minute)."""
    return (at - _UNIX_EPOCH) // _SECOND


@dataclass
class ClientFacts:
    """Everything on file about one client, as the peers' per-client policies need it."""

    client: Client
    relationships: list[TreatmentRelationship] = field(default_factory=list)
    representations: list[Representation] = field(default_factory=list)
    self_consented: set[Category] = field(default_factory=set)
    consents: list[Consent] = field(default_factory=list)
    disclosures: list[ExceptionDisclosure] = field(default_factory=list)
    break_glass: list[BreakGlassGrant] = field(default_factory=list)


def facts_by_client(data: PracticeData) -> dict[str, ClientFacts]:
    """Group the practice's facts by the client they are about, each list in id order."""
    out = {c.id: ClientFacts(c) for c in data.clients}
    for rel in data.relationships:
        out[rel.client_id].relationships.append(rel)
    for rep in data.representations:
        out[rep.client_id].representations.append(rep)
    for care in data.self_consented_care:
        out[care.client_id].self_consented.update(care.categories)
    for consent in data.consents:
        out[consent.client_id].consents.append(consent)
    for disclosure in data.disclosures:
        out[disclosure.client_id].disclosures.append(disclosure)
    for grant in data.break_glass:
        out[grant.client_id].break_glass.append(grant)
    for facts in out.values():
        # confide walks every list in id order; where order matters the peers see the same.
        facts.relationships.sort(key=lambda r: r.id)
        facts.representations.sort(key=lambda r: r.id)
        facts.consents.sort(key=lambda c: c.id)
        facts.disclosures.sort(key=lambda d: d.id)
        facts.break_glass.sort(key=lambda g: g.id)
    return out
