"""OPA Rego (regopy, the rego-cpp interpreter): module and data loaded and compiled once.

Two rego-cpp costs shape the set-up. ``Interpreter.query`` compiles its query afresh on
every call (about a millisecond), so module, data and query are compiled once into a bundle
with ``Interpreter.build`` and a request only sets the input and runs ``query_bundle``. And
looking a key up in a data object scans the object's keys (about 0.5 µs a key), so the data
holds one document per client (one lookup finds all of a client's facts) and the actor's role
and organisation, entity data fixed per actor, travel in the input instead of a second
practice-wide lookup. (One bundle per client was tried: 1,000 compiled bundles cost more in
memory and cache misses than the scan they save.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from regopy import Input, Interpreter

from bench.peers.base import ClientFacts, Peer, epoch, facts_by_client
from confide.domain import AccessRequest, Actor, Effect
from confide.domain.period import Period
from confide.policy import DEFAULT_SETTINGS, GROUND_PURPOSE, MINIMUM_NECESSARY, PolicySettings
from confide.policy.minimum_necessary import STAFF_CATEGORIES, STAFF_PURPOSES
from confide.synthetic import PracticeData

RULES = Path(__file__).with_name("rego_rules.rego")
QUERY = "permitted = data.confide.permitted"
Document = dict[str, Any]


class RegoPeer(Peer[Input]):
    """confide's rules in Rego, decided by regopy."""

    name = "rego"
    notes = (
        "rego: module, data (one document per client) and query compiled once into a bundle "
        "(Interpreter.build); per request set_input and query_bundle. Interpreter.query "
        "recompiles on every call (~1 ms), so it is not used; the actor's role and "
        "organisation travel in the input (rego-cpp scans an object's keys on lookup).",
    )

    def __init__(self, data: PracticeData, settings: PolicySettings = DEFAULT_SETTINGS) -> None:
        self._actors = {a.id: _actor(a) for a in data.actors}
        clients = {cid: client_document(f) for cid, f in facts_by_client(data).items()}
        self._rego = Interpreter()
        self._rego.add_module("confide", RULES.read_text())
        self._rego.add_data({**code_tables(settings), "clients": clients})
        self._bundle = self._rego.build(QUERY)
        if not self._bundle.ok():
            raise RuntimeError("the Rego rules did not compile")

    def translate(self, request: AccessRequest) -> Input:
        """The request as a Rego input, converted to the interpreter's terms up front."""
        value: Document = {
            "actor": self._actors.get(request.actor_id, {"id": request.actor_id}),
            "client": request.client_id,
            "categories": sorted(c.value for c in request.categories),
            "purpose": request.purpose.value,
            "action": request.action.value,
            "at": epoch(request.at),
        }
        if request.record_author_id is not None:
            value["author"] = request.record_author_id
        return Input(value)

    def decide(self, native: Input) -> frozenset[str]:
        """Set the input and run the compiled query."""
        self._rego.set_input(native)
        output = self._rego.query_bundle(self._bundle)
        if not output.ok():
            raise RuntimeError(f"Rego failed: {output}")
        return frozenset(output[0]["permitted"]) if len(output) else frozenset()


def code_tables(settings: PolicySettings) -> Document:
    """The tables the rules read: settings, staff limits, grounds' purposes and minimum."""
    return {
        "settings": {
            "client_may_read_psychotherapy_notes": settings.client_may_read_psychotherapy_notes,
            "representative_sees_self_consented_care": (
                settings.representative_sees_self_consented_care
            ),
            "break_glass_max_window": int(settings.break_glass_max_window.total_seconds()),
        },
        "staff_categories": sorted(STAFF_CATEGORIES),
        "staff_purposes": sorted(STAFF_PURPOSES),
        "ground_purpose": {str(g): str(p) for g, p in GROUND_PURPOSE.items()},
        "minimum_necessary": {str(g): sorted(cs) for g, cs in MINIMUM_NECESSARY.items()},
    }


def client_document(f: ClientFacts) -> Document:
    """One client and their facts, each list keyed by the actor or organisation it names."""
    doc: Document = {
        "id": f.client.id,
        "org": f.client.organisation_id,
        "self_consented": sorted(f.self_consented),
        "relationships": {},
        "representations": {},
        "disclosures": {},
        "break_glass": {},
        "consents": {},
    }
    for r in f.relationships:
        _add(doc["relationships"], r.clinician_id, _period(r.period))
    for p in f.representations:
        _add(
            doc["representations"], p.representative_id, {"kind": str(p.kind), **_period(p.period)}
        )
    for d in f.disclosures:
        row = {
            "ground": str(d.ground),
            "approved": d.approval is not None,
            "categories": sorted(d.categories),
            "part2_court_findings": d.part2_court_findings,
            **_period(d.window),
        }
        _add(doc["disclosures"], d.recipient_id, row)
    for g in f.break_glass:
        row = {
            "ground": str(g.ground),
            "opened_at": epoch(g.opened_at),
            "expires_at": epoch(g.expires_at),
        }
        _add(doc["break_glass"], g.clinician_id, row)
    for c in f.consents:
        row = {
            "effect": "permit" if c.effect is Effect.PERMIT else "deny",
            "categories": sorted(c.categories),
            "purposes": sorted(c.purposes),
            **_period(c.period),
        }
        if c.revoked_at is not None:
            row["revoked_at"] = epoch(c.revoked_at)
        _add(doc["consents"], c.recipient_id, row)
    return doc


def _actor(a: Actor) -> dict[str, str]:
    out = {"id": a.id, "role": str(a.role)}
    if a.organisation_id is not None:
        out["org"] = a.organisation_id
    return out


def _add(index: dict[str, list[Document]], key: str, row: Document) -> None:
    index.setdefault(key, []).append(row)


def _period(period: Period) -> dict[str, int]:
    # An open end is left out: the rules read a missing end as "not ended".
    out = {"start": epoch(period.start)}
    if period.end is not None:
        out["end"] = epoch(period.end)
    return out
