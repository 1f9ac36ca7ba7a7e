"""The honesty check: every peer must permit exactly what confide permits, request by request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from confide.domain import AccessRequest, Decision


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One request on which a peer and confide permit different categories."""

    scenario: str
    engine: str
    request: AccessRequest
    decision: Decision
    peer_permitted: frozenset[str]

    def describe(self) -> str:
        """The request, both answers, and the rule confide cited for each category."""
        r = self.request
        rules = ", ".join(f"{o.category.value}={o.rule_id.value}" for o in self.decision.outcomes)
        wanted = sorted(c.value for c in self.decision.permitted)
        return (
            f"[{self.scenario}/{self.engine}] {r.request_id}: {r.actor_id} -> {r.client_id} "
            f"{r.action.value} {sorted(c.value for c in r.categories)} for {r.purpose.value} "
            f"at {r.at.isoformat()} author={r.record_author_id}\n"
            f"    confide permits {wanted}, {self.engine} permits {sorted(self.peer_permitted)}\n"
            f"    confide rules: {rules}"
        )


def disagreements(
    scenario: str,
    engine: str,
    requests: Sequence[AccessRequest],
    decisions: Sequence[Decision],
    peer_permitted: Sequence[frozenset[str]],
) -> list[Disagreement]:
    """Every request on which the peer's permitted categories differ from confide's."""
    out = []
    for request, decision, permitted in zip(requests, decisions, peer_permitted, strict=True):
        if frozenset(c.value for c in decision.permitted) != permitted:
            out.append(Disagreement(scenario, engine, request, decision, permitted))
    return out
