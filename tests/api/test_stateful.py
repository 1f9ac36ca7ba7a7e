"""A stateful test of the whole API: two practices, their clinicians, staff and clients doing
random grants, revocations, writes, amendments and reads over HTTP, on a real store.

After every step the answer is checked against a model written from the rules' text (not
from the engine): a read returns exactly the records the rules in force at that moment permit
that person — nothing more (confidentiality), nothing less (the record is usable) — and a
write or amendment succeeds exactly when the writer treats the client. The model is small and
explicit on purpose; see ``permitted``.

CI runs at least 10,000 steps on SQLite and 1,000 on PostgreSQL; CONFIDE_STATEFUL_STEPS
raises the SQLite count (e.g. 100000 for a long run).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from confide.domain import (
    Actor,
    Category,
    Client,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.policy.authentication import ALL_SCOPES
from confide.services import accounts, practice
from confide.services.accounts import Principal
from confide.store.engine import make_engine
from confide.vault import KeyRing
from tests.api.world import MovableClock, world_deps

# The rules, as the law states them (written here, not imported from the engine):
# front-desk and billing staff see contact, appointments and billing, for payment and
# operations (HIPAA 164.502(b), 164.514(d)); clients see their own record for their own
# request, psychotherapy notes aside (164.524(a)(1)(i)); a treating clinician sees the record
# for treatment, and psychotherapy notes only their own (164.508(a)(2)(i)(A)); anyone else
# needs the client's consent naming them or their organisation, the category and the purpose,
# in force now, and no refusal by the client for the same.
STAFF_SEES = frozenset({Category.DEMOGRAPHICS, Category.APPOINTMENTS, Category.BILLING})
STAFF_PURPOSES = frozenset({Purpose.HPAYMT, Purpose.HOPERAT})
CLINICAL = (Role.CLINICIAN, Role.SUPERVISOR)
PSY = Category.PSYCHOTHERAPY_NOTE


@dataclass
class Note:
    client: str
    category: Category
    author: str
    text: str
    record_id: str


@dataclass
class ModelConsent:
    id: str
    client: str
    recipient: str
    categories: frozenset[Category]
    purposes: frozenset[Purpose]
    permit: bool
    revoked: bool = False


@dataclass
class Model:
    roles: dict[str, Role] = field(default_factory=dict)
    org_of: dict[str, str] = field(default_factory=dict)
    treats: set[tuple[str, str]] = field(default_factory=set)  # (clinician, client)
    notes: dict[str, Note] = field(default_factory=dict)  # by record id
    consents: dict[str, ModelConsent] = field(default_factory=dict)

    def _live(
        self, keys: set[str], client: str, category: Category, purpose: Purpose
    ) -> list[ModelConsent]:
        return [
            c
            for c in self.consents.values()
            if c.client == client
            and not c.revoked
            and c.recipient in keys
            and category in c.categories
            and purpose in c.purposes
        ]

    def _keys(self, actor: str) -> set[str]:
        return {actor, self.org_of.get(actor, "")}

    def refused(self, actor: str, client: str, category: Category, purpose: Purpose) -> bool:
        """The client refused this person (or their organisation) this use: a refusal in force
        outweighs every permission but the client's own access (decision 0002)."""
        return any(not c.permit for c in self._live(self._keys(actor), client, category, purpose))

    def consent_says(
        self, keys: set[str], client: str, category: Category, purpose: Purpose
    ) -> bool:
        return any(c.permit for c in self._live(keys, client, category, purpose))

    def may_write(self, actor: str, client: str, category: Category, author: str) -> bool:
        """Treating clinicians write and correct for treatment; psychotherapy notes only
        their own; never against the client's refusal."""
        return (
            self.roles[actor] in CLINICAL
            and (actor, client) in self.treats
            and (category is not PSY or author == actor)
            and not self.refused(actor, client, category, Purpose.TREAT)
        )

    def permitted(self, actor: str, note: Note, purpose: Purpose) -> bool:
        role = self.roles[actor]
        if role is Role.CLIENT:
            return actor == note.client and purpose is Purpose.PATRQT and note.category is not PSY
        if self.refused(actor, note.client, note.category, purpose):
            return False
        if role in CLINICAL and (actor, note.client) in self.treats and purpose is Purpose.TREAT:
            return note.category is not PSY or note.author == actor
        said = (note.client, note.category, purpose)
        if role is Role.STAFF:
            own_practice = self.org_of[actor] == self.org_of[note.client]
            if own_practice and note.category in STAFF_SEES and purpose in STAFF_PURPOSES:
                return True
            # An authorization naming the person reaches what it names (minimum necessary does
            # not limit it, 164.502(b)(2)(iii)); one naming their organisation reaches its
            # front desk only for contact, appointments and billing (164.514(d)).
            if self.consent_says({actor}, *said):
                return True
            return note.category in STAFF_SEES and self.consent_says({self.org_of[actor]}, *said)
        return self.consent_says(self._keys(actor), *said)


STEPS = {"sqlite": int(os.environ.get("CONFIDE_STATEFUL_STEPS", "10000")), "postgresql": 1000}


class PracticeMachine(RuleBasedStateMachine):
    """Two practices behind one app; tokens for everyone; a model of what is on file."""

    steps_run = 0
    reads_with_content = 0
    reads_refused = 0
    database_url = ""
    ring: KeyRing

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.people: list[str] = []
        self.clients: list[str] = []
        self.tokens: dict[str, str] = {}
        self.orgs: list[str] = []

    @initialize()
    def found_two_practices(self) -> None:
        from fastapi.testclient import TestClient

        from confide.api.app import create_app

        engine = make_engine(type(self).database_url)
        self.engine = engine
        clock = MovableClock()
        deps = world_deps(engine, type(self).ring, clock)
        # Entered once: one event loop for the example's requests, not one per request.
        self.http = TestClient(create_app(deps), base_url="https://testserver").__enter__()
        tag = secrets.token_hex(3)
        m = self.model
        for p in ("a", "b"):
            org, officer = f"org{p}-{tag}", f"po{p}-{tag}"
            practice.found_practice(
                deps, Organisation(org, "Practice"), Actor(officer, Role.PRIVACY_OFFICER, org)
            )
            staff = [
                Actor(f"cl{p}1-{tag}", Role.CLINICIAN, org),
                Actor(f"cl{p}2-{tag}", Role.CLINICIAN, org),
                Actor(f"sup{p}-{tag}", Role.SUPERVISOR, org),
                Actor(f"desk{p}-{tag}", Role.STAFF, org),
            ]
            for a in staff:
                practice.add_actor(deps, a, by=officer)
            for k in (1, 2):
                client = f"c{p}{k}-{tag}"
                practice.create_client(deps, Client(client, org), by=officer)
                clinician = staff[k - 1].id
                rel = TreatmentRelationship(
                    f"rel-{client}", clinician, client, Period(clock.now() - timedelta(days=1))
                )
                practice.add_relationship(deps, rel, by=officer)
                m.treats.add((clinician, client))
                m.roles[client], m.org_of[client] = Role.CLIENT, org
                self.clients.append(client)
            for a in staff:
                m.roles[a.id], m.org_of[a.id] = a.role, org
                self.people.append(a.id)
        # An outside organisation that consents may name; nobody in it reads here.
        practice.add_organisation(deps, Organisation(f"orgx-{tag}", "Outside"), by=f"poa-{tag}")
        self.orgs = [f"orga-{tag}", f"orgb-{tag}", f"orgx-{tag}"]
        for person in [*self.people, *self.clients]:
            who = Principal(person, m.roles[person], m.org_of.get(person), ALL_SCOPES, "setup")
            issued = accounts.issue_token(deps, who, "machine", ALL_SCOPES, timedelta(days=1))
            self.tokens[person] = issued.text
        for client in self.clients:  # one note per category, by the treating clinician
            (clinician,) = [c for c, k in m.treats if k == client]
            for category in Category:
                self._write(clinician, client, category, expect=True)

    def teardown(self) -> None:
        if self.tokens:  # nothing the machine did may sign anyone out or break a token
            for person in self.tokens:
                assert self.http.get("/api/v1/me", headers=self._as(person)).status_code == 200
        if hasattr(self, "http"):
            self.http.__exit__(None, None, None)
        if hasattr(self, "engine"):
            self.engine.dispose()

    def _as(self, person: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[person]}"}

    def _step(self) -> None:
        type(self).steps_run += 1

    # Writes -----------------------------------------------------------------------------------

    def _write(self, writer: str, client: str, category: Category, *, expect: bool) -> None:
        text = f"Synthetic line {secrets.token_hex(6)}"
        answer = self.http.post(
            f"/api/v1/clients/{client}/records",
            json={"category": category.value, "text": text},
            headers=self._as(writer),
        )
        assert answer.status_code == (201 if expect else 404), (writer, client, answer.text)
        if expect:
            rid = answer.json()["record_id"]
            self.model.notes[rid] = Note(client, category, writer, text, rid)

    def _treating(self, client: str) -> list[str]:
        return sorted(c for c, k in self.model.treats if k == client)

    @precondition(lambda self: bool(self.clients))
    @rule(data=st.data(), category=st.sampled_from(list(Category)), relevant=st.booleans())
    def write(self, data: st.DataObject, category: Category, relevant: bool) -> None:
        self._step()
        client = data.draw(st.sampled_from(self.clients), label="client")
        pool = self._treating(client) if relevant else self.people
        writer = data.draw(st.sampled_from(pool), label="writer")
        self._write(
            writer, client, category, expect=self.model.may_write(writer, client, category, writer)
        )

    @precondition(lambda self: bool(self.model.notes))
    @rule(data=st.data())
    def amend(self, data: st.DataObject) -> None:
        self._step()
        note = self.model.notes[data.draw(st.sampled_from(sorted(self.model.notes)), label="rec")]
        writer = data.draw(st.sampled_from(self.people), label="amender")
        text = f"Synthetic amendment {secrets.token_hex(6)}"
        answer = self.http.post(
            f"/api/v1/records/{note.record_id}/versions",
            json={"text": text},
            headers=self._as(writer),
        )
        may = self.model.may_write(writer, note.client, note.category, note.author)
        assert answer.status_code == (201 if may else 404), (writer, note, answer.text)
        if may:
            note.text = text

    # Consents ---------------------------------------------------------------------------------

    @precondition(lambda self: bool(self.clients))
    @rule(
        data=st.data(),
        categories=st.frozensets(st.sampled_from(list(Category)), min_size=1, max_size=3),
        purposes=st.frozensets(st.sampled_from(list(Purpose)), min_size=1, max_size=2),
        permit=st.booleans(),
    )
    def grant(
        self,
        data: st.DataObject,
        categories: frozenset[Category],
        purposes: frozenset[Purpose],
        permit: bool,
    ) -> None:
        self._step()
        client = data.draw(st.sampled_from(self.clients), label="consenter")
        recipients = [*self.people, *self.orgs]
        recipient = data.draw(st.sampled_from(recipients), label="recipient")
        body = {
            "recipient_id": recipient,
            "categories": sorted(c.value for c in categories),
            "purposes": sorted(p.value for p in purposes),
            "effect": "permit" if permit else "deny",
        }
        answer = self.http.post(
            f"/api/v1/clients/{client}/consents", json=body, headers=self._as(client)
        )
        if answer.status_code == 422:
            # The domain refuses some combinations (psychotherapy notes with anything else,
            # HIPAA 164.508(b)(3)(ii)); nothing was stored.
            assert PSY in categories, answer.text
            assert len(categories) > 1, answer.text
            return
        assert answer.status_code == 201, answer.text
        cid = answer.json()["id"]
        self.model.consents[cid] = ModelConsent(
            cid, client, recipient, categories, purposes, permit
        )

    @precondition(lambda self: any(not c.revoked for c in self.model.consents.values()))
    @rule(data=st.data(), by_client=st.booleans())
    def revoke(self, data: st.DataObject, by_client: bool) -> None:
        self._step()
        live = sorted(c for c, v in self.model.consents.items() if not v.revoked)
        consent = self.model.consents[data.draw(st.sampled_from(live), label="consent")]
        who = consent.client if by_client else data.draw(st.sampled_from(self.people))
        answer = self.http.post(f"/api/v1/consents/{consent.id}/revoke", headers=self._as(who))
        # Only the client changes their consent; anyone else gets the not-found answer.
        assert answer.status_code == (200 if by_client else 404), answer.text
        if by_client:
            consent.revoked = True

    # Reads ------------------------------------------------------------------------------------

    def _relevant_reader(self, data: st.DataObject, client: str) -> tuple[str, Purpose]:
        """Someone with a standing toward the client, and the purpose it is for."""
        m = self.model
        options = [(client, Purpose.PATRQT)] + [(c, Purpose.TREAT) for c in self._treating(client)]
        for consent in m.consents.values():
            if consent.client != client or consent.revoked:
                continue
            readers = [p for p in self.people if consent.recipient in (p, m.org_of[p])]
            options += [(r, p) for r in readers for p in sorted(consent.purposes)]
        return data.draw(st.sampled_from(options), label="reader and purpose")

    @precondition(lambda self: bool(self.clients))
    @rule(
        data=st.data(),
        categories=st.frozensets(st.sampled_from(list(Category)), min_size=1, max_size=4),
        relevant=st.booleans(),
    )
    def read(self, data: st.DataObject, categories: frozenset[Category], relevant: bool) -> None:
        self._step()
        client = data.draw(st.sampled_from(self.clients), label="client")
        if relevant:
            reader, purpose = self._relevant_reader(data, client)
        else:
            reader = data.draw(st.sampled_from([*self.people, *self.clients]), label="reader")
            purpose = data.draw(st.sampled_from(list(Purpose)), label="purpose")
        query = [("purpose", purpose.value)] + [("category", c.value) for c in sorted(categories)]
        answer = self.http.get(
            f"/api/v1/clients/{client}/records", params=query, headers=self._as(reader)
        )
        expected = {
            n.record_id: n.text
            for n in self.model.notes.values()
            if n.client == client
            and n.category in categories
            and self.model.permitted(reader, n, purpose)
        }
        if answer.status_code == 404:
            assert not expected, (reader, client, purpose, expected)
            type(self).reads_refused += 1
            return
        assert answer.status_code == 200, answer.text
        got = {e["record_id"]: e["text"] for e in answer.json()["entries"]}
        leaked = set(got) - set(expected)
        assert not leaked, f"{reader} received {leaked} of {client} for {purpose}"
        assert got == expected, (reader, client, purpose, sorted(categories))
        type(self).reads_with_content += bool(got)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_one_ever_receives_what_the_rules_in_force_do_not_permit(
    database: str, request: pytest.FixtureRequest, tmp_path: object, ring: KeyRing
) -> None:
    if database == "sqlite":
        from confide.store.migrate import upgrade

        url = f"sqlite:///{tmp_path}/machine.db"
        upgrade(make_engine(url))
    else:
        url = str(request.getfixturevalue("postgres_url"))
    PracticeMachine.database_url = url
    PracticeMachine.ring = ring
    PracticeMachine.steps_run = 0
    PracticeMachine.reads_with_content = PracticeMachine.reads_refused = 0
    target = STEPS[database]
    while PracticeMachine.steps_run < target:
        run_state_machine_as_test(
            PracticeMachine,
            settings=settings(
                max_examples=10,
                stateful_step_count=100,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    assert PracticeMachine.steps_run >= target
    # The run must have exercised both sides: content given, and content refused.
    assert PracticeMachine.reads_with_content > target // 100
    assert PracticeMachine.reads_refused > target // 100
    print(  # noqa: T201 - the run's figures, shown with pytest -s
        f"{database}: {PracticeMachine.steps_run} steps, "
        f"{PracticeMachine.reads_with_content} reads with content, "
        f"{PracticeMachine.reads_refused} refused"
    )
