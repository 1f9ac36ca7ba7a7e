"""The facts a decision rests on, indexed so a decision never scans.

Every index is keyed by client and by the one actor (or organisation) asking, so the cost of a
decision grows with what that client shared with that recipient, not with the practice.
``Facts.build`` also checks that every fact names actors, clients and organisations on file.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from confide.domain.actors import Actor, Client, Organisation
from confide.domain.codes import CLINICAL_ROLES, Category, Effect, Purpose, Role
from confide.domain.consent import Consent
from confide.domain.errors import InvalidValue, UnknownReference
from confide.domain.limits import BreakGlassGrant, ExceptionDisclosure
from confide.domain.notice import NoticeAcknowledgment, NoticeVersion
from confide.domain.relationships import (
    Representation,
    SelfConsentedCare,
    TreatmentRelationship,
)

# The second person who may approve an exception disclosure (design table).
APPROVER_ROLES = frozenset({Role.SUPERVISOR, Role.PRIVACY_OFFICER})
PairKey = tuple[str, str]
ProvisionKey = tuple[str, str, Category, Purpose]
T = TypeVar("T")
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Facts:
    """Indexed, read-only facts. Build with :meth:`Facts.build`."""

    actors: Mapping[str, Actor]
    clients: Mapping[str, Client]
    organisations: Mapping[str, Organisation]
    relationships: Mapping[PairKey, tuple[TreatmentRelationship, ...]]
    representations: Mapping[PairKey, tuple[Representation, ...]]
    self_consented: Mapping[str, frozenset[Category]]
    permits: Mapping[ProvisionKey, tuple[Consent, ...]]
    forbids: Mapping[ProvisionKey, tuple[Consent, ...]]
    disclosures: Mapping[PairKey, tuple[ExceptionDisclosure, ...]]
    break_glass: Mapping[PairKey, tuple[BreakGlassGrant, ...]]
    notices: tuple[NoticeVersion, ...]
    acknowledged: Mapping[str, Mapping[str, datetime]]
    notice_times: tuple[datetime, ...] = ()
    # Per client: who the client's deny provisions name, and whether any disclosure names them.
    forbidden_recipients: Mapping[str, frozenset[str]] = field(default_factory=dict)
    consented_recipients: Mapping[str, frozenset[str]] = field(default_factory=dict)
    disclosure_clients: frozenset[str] = frozenset()
    # Outcomes are pure functions of the facts they cite; each is worded once and reused.
    # Only decisions write here, always the same value for the same key. Every key starts
    # with its kind ("consent", "treating", "deny", "notice"), so ids of different kinds
    # can never collide.
    outcome_cache: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False)

    @classmethod
    def build(
        cls,
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
        """Index the facts, refusing any that name an unknown actor, client or organisation."""
        actor_map = _unique(actors, "actor.id", lambda a: a.id)
        client_map = _unique(clients, "client.id", lambda c: c.id)
        org_map = _unique(organisations, "organisation.id", lambda o: o.id)
        clash = sorted(set(actor_map) & set(org_map))
        if clash:
            # A consent names a person or an organisation by id; one id must never be both.
            raise InvalidValue("organisation.id", f"{clash[0]!r} is already a person's id")
        refs = _References(actor_map, client_map, org_map)
        notice_list = sorted(notices, key=lambda n: (n.effective_from, n.version))
        versions = {n.version for n in notice_list}
        if len(versions) != len(notice_list):
            raise InvalidValue("notice.version", "each notice version must be unique")

        rel_index: defaultdict[PairKey, list[TreatmentRelationship]] = defaultdict(list)
        for r in _unique(relationships, "relationship.id", lambda r: r.id).values():
            refs.clinician(r.clinician_id, "relationship.clinician_id")
            refs.client(r.client_id, "relationship.client_id")
            rel_index[(r.clinician_id, r.client_id)].append(r)

        rep_index: defaultdict[PairKey, list[Representation]] = defaultdict(list)
        for p in _unique(representations, "representation.id", lambda p: p.id).values():
            refs.actor(p.representative_id, "representation.representative_id", Role.REPRESENTATIVE)
            refs.client(p.client_id, "representation.client_id")
            rep_index[(p.representative_id, p.client_id)].append(p)

        shielded: defaultdict[str, set[Category]] = defaultdict(set)
        for s in _unique(self_consented_care, "self_consented_care.id", lambda s: s.id).values():
            refs.client(s.client_id, "self_consented_care.client_id")
            shielded[s.client_id].update(s.categories)

        permits, forbids = _index_consents(consents, refs)

        disc_index: defaultdict[PairKey, list[ExceptionDisclosure]] = defaultdict(list)
        for d in _unique(disclosures, "disclosure.id", lambda d: d.id).values():
            refs.client(d.client_id, "disclosure.client_id")
            refs.recipient(d.recipient_id, "disclosure.recipient_id")
            refs.actor(d.requested_by, "disclosure.requested_by")
            if d.approval is not None:
                refs.approver(d.approval.approver_id, d.recipient_id)
            disc_index[(d.client_id, d.recipient_id)].append(d)

        bg_index: defaultdict[PairKey, list[BreakGlassGrant]] = defaultdict(list)
        for g in _unique(break_glass, "break_glass.id", lambda g: g.id).values():
            refs.clinician(g.clinician_id, "break_glass.clinician_id")
            refs.client(g.client_id, "break_glass.client_id")
            bg_index[(g.clinician_id, g.client_id)].append(g)

        acks = _index_acknowledgments(acknowledgments, versions, refs)

        return cls(
            actors=actor_map,
            clients=client_map,
            organisations=org_map,
            relationships=_frozen(rel_index, key=lambda r: r.id),
            representations=_frozen(rep_index, key=lambda p: p.id),
            self_consented={k: frozenset(v) for k, v in shielded.items()},
            permits=_frozen(permits, key=lambda c: c.id),
            forbids=_frozen(forbids, key=lambda c: c.id),
            disclosures=_frozen(disc_index, key=lambda d: d.id),
            break_glass=_frozen(bg_index, key=lambda g: g.id),
            notices=tuple(notice_list),
            acknowledged=acks,
            notice_times=tuple(n.effective_from for n in notice_list),
            forbidden_recipients=_recipients_named(forbids),
            consented_recipients=_recipients_named(permits),
            disclosure_clients=frozenset(client for client, _ in disc_index),
        )

    def current_notice(self, at: datetime) -> NoticeVersion | None:
        """The notice version in effect at ``at`` (the latest that took effect), if any."""
        i = bisect_right(self.notice_times, at)
        return self.notices[i - 1] if i else None

    def has_acknowledged(self, client_id: str, version: str, at: datetime) -> bool:
        """True if the client acknowledged ``version`` at or before ``at``."""
        when = self.acknowledged.get(client_id, {}).get(version)
        return when is not None and when <= at


class _References:
    """Checks that a fact's references name something on file, with the field in the error."""

    def __init__(
        self,
        actors: Mapping[str, Actor],
        clients: Mapping[str, Client],
        organisations: Mapping[str, Organisation],
    ) -> None:
        self._actors = actors
        self._clients = clients
        self._organisations = organisations

    def client(self, client_id: str, field: str) -> None:
        if client_id not in self._clients:
            raise UnknownReference(field, f"no client {client_id!r} is on file; create it first")

    def actor(self, actor_id: str, field: str, role: Role | None = None) -> None:
        actor = self._actors.get(actor_id)
        if actor is None:
            raise UnknownReference(field, f"no actor {actor_id!r} is on file; create it first")
        if role is not None and actor.role is not role:
            raise InvalidValue(field, f"actor {actor_id!r} must have the role {role.value}")

    def clinician(self, actor_id: str, field: str) -> None:
        actor = self._actors.get(actor_id)
        if actor is None:
            raise UnknownReference(field, f"no actor {actor_id!r} is on file; create it first")
        if actor.role not in CLINICAL_ROLES:
            raise InvalidValue(
                field,
                f"actor {actor_id!r} must be a clinician or supervisor",
                allowed=sorted(r.value for r in CLINICAL_ROLES),
            )

    def approver(self, approver_id: str, recipient_id: str) -> None:
        # The second person is a supervisor or privacy officer, never on the receiving side.
        field = "disclosure.approval.approver_id"
        actor = self._actors.get(approver_id)
        if actor is None:
            raise UnknownReference(field, f"no actor {approver_id!r} is on file")
        if actor.role not in APPROVER_ROLES:
            raise InvalidValue(
                field,
                f"actor {approver_id!r} may not approve a disclosure",
                allowed=sorted(r.value for r in APPROVER_ROLES),
            )
        if recipient_id in (actor.id, actor.organisation_id):
            raise InvalidValue(field, "the approver may not be, or work for, the recipient")

    def recipient(self, recipient_id: str, field: str) -> None:
        if recipient_id not in self._actors and recipient_id not in self._organisations:
            raise UnknownReference(
                field,
                f"no person or organisation {recipient_id!r} is on file; add the recipient first",
            )


def _unique(items: Iterable[T], field: str, key: Callable[[T], str]) -> dict[str, T]:
    out: dict[str, T] = {}
    for item in items:
        k = key(item)
        if k in out:
            raise InvalidValue(field, f"{k!r} appears twice; ids must be unique")
        out[k] = item
    return out


def _frozen(index: Mapping[K, list[T]], key: Callable[[T], str]) -> dict[K, tuple[T, ...]]:
    # Sorted by id so every decision that walks a list walks it in the same order.
    return {k: tuple(sorted(v, key=key)) for k, v in index.items()}


def _index_consents(
    consents: Iterable[Consent], refs: _References
) -> tuple[dict[ProvisionKey, list[Consent]], dict[ProvisionKey, list[Consent]]]:
    permits: defaultdict[ProvisionKey, list[Consent]] = defaultdict(list)
    forbids: defaultdict[ProvisionKey, list[Consent]] = defaultdict(list)
    for c in _unique(consents, "consent.id", lambda c: c.id).values():
        refs.client(c.client_id, "consent.client_id")
        refs.recipient(c.recipient_id, "consent.recipient_id")
        target = permits if c.effect is Effect.PERMIT else forbids
        for category in c.categories:
            for purpose in c.purposes:
                target[(c.client_id, c.recipient_id, category, purpose)].append(c)
    return permits, forbids


def _index_acknowledgments(
    acknowledgments: Iterable[NoticeAcknowledgment], versions: set[str], refs: _References
) -> dict[str, dict[str, datetime]]:
    # The earliest acknowledgment of each version counts.
    acks: defaultdict[str, dict[str, datetime]] = defaultdict(dict)
    for a in acknowledgments:
        refs.client(a.client_id, "acknowledgment.client_id")
        if a.version not in versions:
            raise UnknownReference(
                "acknowledgment.version", f"no notice version {a.version!r} is on file"
            )
        earlier = acks[a.client_id].get(a.version)
        if earlier is None or a.acknowledged_at < earlier:
            acks[a.client_id][a.version] = a.acknowledged_at
    return dict(acks)


def _recipients_named(
    provisions: Mapping[ProvisionKey, list[Consent]],
) -> dict[str, frozenset[str]]:
    named: defaultdict[str, set[str]] = defaultdict(set)
    for client_id, recipient_id, _, _ in provisions:
        named[client_id].add(recipient_id)
    return {k: frozenset(v) for k, v in named.items()}
