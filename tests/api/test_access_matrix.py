"""The access-control matrix: every route under /api/v1 that takes a client, asked by every
role, about a client in every situation, gives exactly the status in ``EXPECTED``.

The table is written out by hand from the rules' text (decision 0010 for the practice's own
changes, the engine's rules for records, the services' docstrings for who may see the
summary, the consents, the notice and the access history); it is not computed from the
product. Every answer that is not the route's success is byte-identical (body and headers,
the date aside) to the answer to the same caller for an id that does not exist.

A route with a path parameter that is neither in ``EXPECTED`` nor in ``EXCLUDED`` fails
``test_every_route_that_takes_a_client_has_a_matrix_row``, so a new route needs a row.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from confide.api.errors import NOT_FOUND_BODY
from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.policy.authentication import Scope
from confide.services import consents, practice, records
from confide.store import schema as t
from tests.api.world import (
    TestClient,
    World,
    shared_world,
)

# Situations of the client asked about, from the treating clinician's side of the practice.
OWN = "own"  # world.client: treated by the clinician; consented to the outsider (progress notes)
OTHER = "other"  # world.other_client: treated by the colleague
NONE = "none"  # a client of the practice nobody treats now (a former clinician's)
REVOKED = "revoked"  # world.revoked_client: treated by the clinician; consent to outsider revoked
MISSING = "missing"  # an id nobody has
SITUATIONS = (OWN, OTHER, NONE, REVOKED, MISSING)

ROLES = (
    "clinician",
    "colleague",
    "supervisor",
    "staff",
    "admin",
    "officer",
    "outsider",
    "client",
    "other_client",
    "anonymous",
    "token_without_scope",
)

# fmt: off
# Route -> role -> status for (own, other, none, revoked, missing).
EXPECTED: dict[tuple[str, str], dict[str, tuple[int, int, int, int, int]]] = {
    # Who the client is: the client, their current clinicians, their practice's privacy officer.
    ("GET", "/api/v1/clients/{client_id}"): {
        "clinician":           (200, 404, 404, 200, 404),
        "colleague":           (404, 200, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (200, 200, 200, 200, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # The record (default purpose: treatment; the client's own request for a client): a
    # treating clinician, a recipient named by a consent in force, the client themself.
    # Administrators never; privacy officers, supervisors and staff not for treatment.
    ("GET", "/api/v1/clients/{client_id}/records"): {
        "clinician":           (200, 404, 404, 200, 404),
        "colleague":           (404, 200, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (200, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # Writing a progress note: a treating clinician only (a consent is for reading).
    ("POST", "/api/v1/clients/{client_id}/records"): {
        "clinician":           (201, 404, 404, 201, 404),
        "colleague":           (404, 201, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (404, 404, 404, 404, 404),
        "other_client":        (404, 404, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # Amending the client's progress note: a clinician treating the client now.
    ("POST", "/api/v1/records/{record_id}/versions"): {
        "clinician":           (201, 404, 404, 201, 404),
        "colleague":           (404, 201, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (404, 404, 404, 404, 404),
        "other_client":        (404, 404, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # The client's consents: the same people as the summary.
    ("GET", "/api/v1/clients/{client_id}/consents"): {
        "clinician":           (200, 404, 404, 200, 404),
        "colleague":           (404, 200, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (200, 200, 200, 200, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # Giving, revoking and narrowing a consent: the client alone.
    ("POST", "/api/v1/clients/{client_id}/consents"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (201, 404, 404, 404, 404),
        "other_client":        (404, 201, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    ("POST", "/api/v1/consents/{consent_id}/revoke"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    ("POST", "/api/v1/consents/{consent_id}/narrow"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (404, 404, 404, 404, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # The notice: the client, and anyone working at the client's practice.
    ("GET", "/api/v1/clients/{client_id}/notice"): {
        "clinician":           (200, 200, 200, 200, 404),
        "colleague":           (200, 200, 200, 200, 404),
        "supervisor":          (200, 200, 200, 200, 404),
        "staff":               (200, 200, 200, 200, 404),
        "admin":               (200, 200, 200, 200, 404),
        "officer":             (200, 200, 200, 200, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # An acknowledgment: given by the client, or recorded from a signed form by the practice.
    ("POST", "/api/v1/clients/{client_id}/notice/acknowledgment"): {
        "clinician":           (204, 204, 204, 204, 404),
        "colleague":           (204, 204, 204, 204, 404),
        "supervisor":          (204, 204, 204, 204, 404),
        "staff":               (204, 204, 204, 204, 404),
        "admin":               (204, 204, 204, 204, 404),
        "officer":             (204, 204, 204, 204, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (204, 404, 404, 404, 404),
        "other_client":        (404, 204, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # Who accessed the record, and the accounting: the client and their privacy officer.
    ("GET", "/api/v1/clients/{client_id}/access-history"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (200, 200, 200, 200, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    ("GET", "/api/v1/clients/{client_id}/accounting"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (404, 404, 404, 404, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (404, 404, 404, 404, 404),
        "officer":             (200, 200, 200, 200, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (200, 404, 404, 404, 404),
        "other_client":        (404, 200, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
    # Assigning a clinician (here: a past relationship, which opens nothing now): an
    # administrator, privacy officer or supervisor of the client's practice (decision 0010).
    ("POST", "/api/v1/clients/{client_id}/relationships"): {
        "clinician":           (404, 404, 404, 404, 404),
        "colleague":           (404, 404, 404, 404, 404),
        "supervisor":          (201, 201, 201, 201, 404),
        "staff":               (404, 404, 404, 404, 404),
        "admin":               (201, 201, 201, 201, 404),
        "officer":             (201, 201, 201, 201, 404),
        "outsider":            (404, 404, 404, 404, 404),
        "client":              (404, 404, 404, 404, 404),
        "other_client":        (404, 404, 404, 404, 404),
        "anonymous":           (401, 401, 401, 401, 401),
        "token_without_scope": (403, 403, 403, 403, 403),
    },
}
# fmt: on

# Routes that take a client (or something of a client's) and are not in the matrix, and why.
# Listed one by one so the exclusion is visible; a new route that is in neither ``EXPECTED``
# nor here fails the coverage test, and so does a listed route that no longer exists.
_DISCLOSURES = "the disclosure workflows: tests/api/test_api_disclosures.py"
_FHIR = "the FHIR facade, outside /api/v1: tests/api/test_fhir.py"
EXCLUDED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/clients/{client_id}/disclosures"): _DISCLOSURES,
    ("POST", "/api/v1/clients/{client_id}/disclosures/break-glass"): _DISCLOSURES,
    ("GET", "/api/v1/disclosures/{request_id}"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/submit"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/approve"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/reject"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/withdraw"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/release"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/review"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/client-told"): _DISCLOSURES,
    ("POST", "/api/v1/disclosures/{request_id}/notice-withheld"): _DISCLOSURES,
    ("GET", "/fhir/Patient/{patient_id}"): _FHIR,
    ("GET", "/fhir/Consent/{consent_id}"): _FHIR,
    ("PUT", "/fhir/Consent/{consent_id}"): _FHIR,
    ("GET", "/fhir/Consent"): _FHIR,  # ?patient=
    ("GET", "/fhir/AuditEvent"): _FHIR,  # ?patient=
    # Not a client's: the caller's own token, and a person's account (test_side_channels.py
    # checks that both answer alike for someone else's and for a missing one).
    ("DELETE", "/api/v1/tokens/{token_id}"): "the caller's own token, not a client",
    ("POST", "/api/v1/accounts/{actor_id}/password"): "an account, not a record; ends sessions",
    ("POST", "/api/v1/accounts/{actor_id}/enrolment"): "an account, not a record; a one-time code",
}
# A query parameter by which a route would take a client without a path parameter.
CLIENT_QUERY = frozenset({"client", "client_id", "patient", "patient_id", "subject"})
ID_PARAMS = re.compile(r"\{(\w+)\}")

SUCCESS = {200, 201, 204}
PAST_START = "2001-01-01T00:00:00Z"
PAST_END = "2001-01-02T00:00:00Z"


@dataclass
class Matrix:
    """The world, a signed-in browser (or token) per role, and the ids of each situation."""

    world: World
    tag: str
    lone: str  # the NONE situation's client
    former: str  # a clinician whose relationship with ``lone`` has ended
    bystander: str  # an organisation nobody in the matrix belongs to
    browsers: dict[str, TestClient] = field(default_factory=dict)
    tokens: dict[tuple[str, Scope], str] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)

    def client_of(self, situation: str) -> str:
        w = self.world
        return {
            OWN: w.client,
            OTHER: w.other_client,
            NONE: self.lone,
            REVOKED: w.revoked_client,
            MISSING: f"client-missing-{self.tag}",
        }[situation]

    def fresh_consent(self, situation: str) -> str:
        """A consent of the situation's client to the bystander, made for this one cell."""
        if situation == REVOKED:
            return f"consent-{self.world.revoked_client}"
        if situation == MISSING:
            return f"consent-missing-{self.tag}"
        client_id = self.client_of(situation)
        consent = Consent(
            f"consent-m-{secrets.token_hex(6)}",
            client_id,
            self.bystander,
            frozenset({Category.PROGRESS_NOTE, Category.ASSESSMENT}),
            frozenset({Purpose.TREAT}),
            Period(self.world.clock.now() - timedelta(minutes=1)),
        )
        consents.grant_consent(self.world.deps, consent, by=client_id)
        return consent.id

    def fresh_notice(self) -> str:
        """A notice version published (for later) for this one cell, so each may be acknowledged."""
        version = f"notice-m-{secrets.token_hex(6)}"
        later = self.world.clock.now() + timedelta(days=3650)
        practice.publish_notice(
            self.world.deps, NoticeVersion(version, later), by=self.world.officer
        )
        return version


@dataclass(frozen=True)
class Route:
    """How to ask a route about one situation."""

    method: str
    path: str
    scope: Scope  # what a token must carry
    token_owner: str  # whose token lacks it: someone the route would otherwise answer
    target: Callable[[Matrix, str], str]  # the path id for a situation
    body: Callable[[Matrix], dict[str, Any] | None] = lambda m: None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def _client(m: Matrix, situation: str) -> str:
    return m.client_of(situation)


def _record(m: Matrix, situation: str) -> str:
    return m.records.get(situation, f"rec-missing-{m.tag}")


def _consent(m: Matrix, situation: str) -> str:
    return m.fresh_consent(situation)


def _note(m: Matrix) -> dict[str, Any]:
    return {"category": "progress_note", "text": f"Synthetic matrix note {secrets.token_hex(4)}."}


ROUTES = [
    Route("GET", "/api/v1/clients/{client_id}", Scope.RECORDS_READ, "clinician", _client),
    Route("GET", "/api/v1/clients/{client_id}/records", Scope.RECORDS_READ, "clinician", _client),
    Route(
        "POST", "/api/v1/clients/{client_id}/records", Scope.RECORDS_WRITE, "clinician", _client,
        _note,
    ),
    Route(
        "POST", "/api/v1/records/{record_id}/versions", Scope.RECORDS_WRITE, "clinician", _record,
        lambda m: {"text": f"Synthetic matrix correction {secrets.token_hex(4)}."},
    ),
    Route(
        "GET", "/api/v1/clients/{client_id}/consents", Scope.CONSENTS_READ, "clinician", _client
    ),
    Route(
        "POST", "/api/v1/clients/{client_id}/consents", Scope.CONSENTS_WRITE, "client", _client,
        lambda m: {
            "recipient_id": m.bystander, "categories": ["progress_note"], "purposes": ["TREAT"]
        },
    ),
    Route("POST", "/api/v1/consents/{consent_id}/revoke", Scope.CONSENTS_WRITE, "client", _consent),
    Route(
        "POST", "/api/v1/consents/{consent_id}/narrow", Scope.CONSENTS_WRITE, "client", _consent,
        lambda m: {"categories": ["progress_note"]},
    ),
    Route("GET", "/api/v1/clients/{client_id}/notice", Scope.RECORDS_READ, "clinician", _client),
    Route(
        "POST", "/api/v1/clients/{client_id}/notice/acknowledgment", Scope.CONSENTS_WRITE,
        "client", _client, lambda m: {"version": m.fresh_notice()},
    ),
    Route(
        "GET", "/api/v1/clients/{client_id}/access-history", Scope.HISTORY_READ, "client", _client
    ),
    Route("GET", "/api/v1/clients/{client_id}/accounting", Scope.HISTORY_READ, "client", _client),
    Route(
        "POST", "/api/v1/clients/{client_id}/relationships", Scope.RECORDS_WRITE, "officer",
        _client,
        lambda m: {"clinician_id": m.former, "starts_at": PAST_START, "ends_at": PAST_END},
    ),
]  # fmt: skip
ROUTES_BY_KEY = {r.key: r for r in ROUTES}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """One practice per database for the whole module. Cells that change state change only
    what no other cell reads: fresh consents, notices published for later, past relationships,
    new notes and versions."""
    with shared_world(request, tmp_path_factory) as world:
        yield _prepare(world)


def _prepare(w: World) -> Matrix:
    deps = w.deps
    m = Matrix(
        world=w, tag=w.tag, lone=f"lone-{w.tag}", former=f"former-{w.tag}",
        bystander=f"bystander-{w.tag}",
    )  # fmt: skip
    practice.add_organisation(deps, Organisation(m.bystander, "Bystander org"), by=w.officer)
    practice.add_actor(deps, Actor(m.former, Role.CLINICIAN, w.home), by=w.officer)
    practice.create_client(deps, Client(m.lone, w.home), by=w.officer)
    now = w.clock.now()
    practice.add_relationship(
        deps,
        TreatmentRelationship(
            f"rel-{m.lone}",
            m.former,
            m.lone,
            Period(now - timedelta(days=2), now + timedelta(seconds=5)),
        ),
        by=w.officer,
    )
    lone_note = records.write_record(
        deps, actor_id=m.former, client_id=m.lone, category=Category.PROGRESS_NOTE,
        text=f"Synthetic lone note {secrets.token_hex(4)}.",
    )  # fmt: skip
    w.clock.advance(timedelta(minutes=1))  # the former clinician's relationship is over
    with deps.engine.connect() as c:
        for situation, client_id in (
            (OWN, w.client),
            (OTHER, w.other_client),
            (REVOKED, w.revoked_client),
        ):
            m.records[situation] = c.execute(
                select(t.records.c.id).where(
                    t.records.c.client_id == client_id, t.records.c.category == "progress_note"
                )
            ).scalar_one()
    m.records[NONE] = lone_note
    names = {
        "clinician": w.clinician, "colleague": w.colleague, "supervisor": w.supervisor,
        "staff": w.staff, "admin": w.admin, "officer": w.officer, "outsider": w.outsider,
        "client": w.client, "other_client": w.other_client,
    }  # fmt: skip
    for role, name in names.items():
        m.browsers[role] = w.sign_in(name)
    for route in ROUTES:
        key = (route.token_owner, route.scope)
        if key in m.tokens:
            continue
        scopes = sorted(s.value for s in Scope if s is not route.scope)
        answer = m.browsers[route.token_owner].post(
            "/api/v1/tokens", json={"name": "matrix", "scopes": scopes, "expires_in_days": 1}
        )
        assert answer.status_code == 201, answer.text
        m.tokens[key] = answer.json()["token"]
    return m


def _ask(m: Matrix, route: Route, role: str, situation: str) -> Any:
    path = ID_PARAMS.sub(lambda _: route.target(m, situation), route.path, count=1)
    body = route.body(m)
    headers = {}
    if role == "token_without_scope":
        headers = {"Authorization": f"Bearer {m.tokens[(route.token_owner, route.scope)]}"}
    if role in ("anonymous", "token_without_scope"):
        browser = m.world.client_for()  # no cookies: each request as from a new browser
    else:
        browser = m.browsers[role]
    return browser.request(route.method, path, json=body, headers=headers)


def _headers(answer: Any) -> list[tuple[str, str]]:
    """The answer's headers, without the date and with each cookie's value left out (a
    browser without cookies is given a fresh CSRF cookie each time)."""
    out = []
    for name, value in answer.headers.multi_items():
        if name == "date":
            continue
        out.append((name, value.split("=", 1)[0] if name == "set-cookie" else value))
    return sorted(out)


CELLS = [(route.key, role) for route in ROUTES for role in ROLES]


@pytest.mark.parametrize(
    ("key", "role"), CELLS, ids=[f"{m} {p} as {role}" for (m, p), role in CELLS]
)
def test_matrix(matrix: Matrix, key: tuple[str, str], role: str) -> None:
    route = ROUTES_BY_KEY[key]
    expected = EXPECTED[key][role]
    answers = {s: _ask(matrix, route, role, s) for s in SITUATIONS}
    got = tuple(answers[s].status_code for s in SITUATIONS)
    assert got == expected, {s: (a.status_code, a.text[:200]) for s, a in answers.items()}
    missing = answers[MISSING]
    assert missing.status_code not in SUCCESS
    if missing.status_code == 404:
        assert missing.json() == NOT_FOUND_BODY
        assert missing.content == json.dumps(NOT_FOUND_BODY, separators=(",", ":")).encode()
    for situation in SITUATIONS:
        answer = answers[situation]
        if answer.status_code in SUCCESS:
            continue
        # Refused is answered exactly like missing: same status, same bytes, same headers.
        assert answer.content == missing.content, situation
        assert _headers(answer) == _headers(missing), situation


def test_the_matrix_table_is_complete() -> None:
    assert set(EXPECTED) == set(ROUTES_BY_KEY)
    for key, rows in EXPECTED.items():
        assert tuple(rows) == ROLES, key
        # Nobody may do anything about an id nobody has; nobody anonymous, no token without
        # the scope.
        for role, statuses in rows.items():
            assert statuses[SITUATIONS.index(MISSING)] not in SUCCESS, (key, role)
        assert set(rows["anonymous"]) == {401}
        assert set(rows["token_without_scope"]) == {403}


def test_every_route_that_takes_a_client_has_a_matrix_row(matrix: Matrix) -> None:
    schema = matrix.world.app.openapi()
    taking: set[tuple[str, str]] = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            queries = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            if ID_PARAMS.search(path) or queries & CLIENT_QUERY:
                taking.add((method.upper(), path))
    uncovered = sorted(k for k in taking if k not in EXPECTED and k not in EXCLUDED)
    assert not uncovered, (
        f"routes without a matrix row (add one, or an EXCLUDED reason): {uncovered}"
    )
    gone = sorted(k for k in [*EXPECTED, *EXCLUDED] if k not in taking)
    assert not gone, f"matrix rows or exclusions for routes that no longer exist: {gone}"
    assert all(path.startswith("/api/v1/") for _, path in EXPECTED)
