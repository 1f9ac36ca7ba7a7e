"""Cedar (cedarpy): one parsed ``PolicySet`` per client and one parsed ``Entities``, reused.

cedarpy exposes ``PolicySet.from_str`` and ``Entities.from_json_str``, opaque handles that
``is_authorized_batch`` accepts in place of text, so nothing is parsed per call. The base
(the administrators' forbid, which names no client) is parsed once and each client's set
extends it with ``PolicySet.with_added_str``, which parses only the client's own policies. A
request asks Cedar one question per category, all in one batch call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cedarpy

from bench.peers.base import Peer, epoch, facts_by_client
from bench.peers.cedar_entities import practice_entities
from bench.peers.cedar_policies import base_policies, client_policies
from confide.domain import AccessRequest
from confide.policy import DEFAULT_SETTINGS, PolicySettings
from confide.synthetic import PracticeData


@dataclass(frozen=True, slots=True)
class CedarRequest:
    """One Cedar request per requested category, and the policy set of the client asked about."""

    categories: tuple[str, ...]
    requests: list[dict[str, Any]]
    policies: cedarpy.PolicySet


class CedarPeer(Peer[CedarRequest]):
    """confide's rules in Cedar, decided by cedarpy."""

    name = "cedar"
    notes = (
        "cedar: cedarpy can reuse parsed handles: PolicySet parsed once per client (a base set "
        "parsed once, the client's policies added with PolicySet.with_added_str) and Entities "
        "parsed once; is_authorized_batch per request, one Cedar request per category. The "
        "deny-provision override is a forbid whose unless clause restates the client's "
        "own-access, disclosure and break-glass permits (a forbid cannot see other policies).",
    )

    def __init__(self, data: PracticeData, settings: PolicySettings = DEFAULT_SETTINGS) -> None:
        facts = facts_by_client(data)
        self_consented = {cid: f.self_consented for cid, f in facts.items()}
        people = frozenset(a.id for a in data.actors)
        self._entities = cedarpy.Entities.from_json_str(
            json.dumps(practice_entities(data, self_consented, settings))
        )
        self._base = cedarpy.PolicySet.from_str(base_policies())
        self._sets = {
            cid: self._base.with_added_str(client_policies(f, people)) for cid, f in facts.items()
        }

    def translate(self, request: AccessRequest) -> CedarRequest:
        """Principal, action, one resource per category; the context as JSON text."""
        # The client is named by the policy set chosen below, not in the context.
        context: dict[str, Any] = {"at": epoch(request.at), "purpose": request.purpose.value}
        if request.record_author_id is not None:
            context["author"] = request.record_author_id
        # cedarpy passes a string context through as is; a dict would be re-encoded per call.
        text = json.dumps(context)
        categories = tuple(sorted(c.value for c in request.categories))
        principal = {"type": "Actor", "id": request.actor_id}
        action = {"type": "Action", "id": request.action.value}
        requests = [
            {
                "principal": principal,
                "action": action,
                "resource": {"type": "Category", "id": c},
                "context": text,
            }
            for c in categories
        ]
        # A client not on file has only the base rules, which permit nothing about it.
        return CedarRequest(categories, requests, self._sets.get(request.client_id, self._base))

    def decide(self, native: CedarRequest) -> frozenset[str]:
        """Ask Cedar about every category in one batch; keep the ones it allows."""
        results = cedarpy.is_authorized_batch(native.requests, native.policies, self._entities)
        return frozenset(c for c, r in zip(native.categories, results, strict=True) if r.allowed)
