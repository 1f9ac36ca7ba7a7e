"""The engines under test behind one shape: translate ahead of timing, decide while timed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.peers import Peer
from confide.domain import AccessRequest, Decision
from confide.policy import DEFAULT_SETTINGS, Facts, decide
from confide.synthetic import PracticeData

CONFIDE = "confide"


@dataclass(frozen=True, slots=True)
class Engine:
    """One engine: how a request reaches it, the timed call, and what it permitted."""

    name: str
    translate: Callable[[AccessRequest], Any]
    decide: Callable[[Any], Any]
    permitted: Callable[[Any], frozenset[str]]


def confide_engine(facts: Facts) -> Engine:
    """confide's ``decide``: reasons, obligations and all, on its own request type."""
    return Engine(
        CONFIDE, _same, partial(decide, facts=facts, settings=DEFAULT_SETTINGS), _permitted_codes
    )


def peer_engine(peer: Peer[Any]) -> Engine:
    """A peer: its own request form, built before timing; it answers with category codes."""
    return Engine(peer.name, peer.translate, peer.decide, _same)


def build_peer(name: str, data: PracticeData) -> Peer[Any]:
    """Build a peer's policies and data once, from the practice."""
    # Imported here so that a missing optional engine names itself instead of failing early.
    if name == "cedar":
        from bench.peers.cedar import CedarPeer

        return CedarPeer(data)
    if name == "casbin":
        from bench.peers.casbin_peer import CasbinPeer

        return CasbinPeer(data)
    if name == "rego":
        from bench.peers.rego import RegoPeer

        return RegoPeer(data)
    raise ValueError(f"no peer named {name!r}")


def _same(value: Any) -> Any:
    return value


def _permitted_codes(decision: Decision) -> frozenset[str]:
    return frozenset(c.value for c in decision.permitted)
