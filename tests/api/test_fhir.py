"""The FHIR R4 facade: Consent, AuditEvent, Patient and the CapabilityStatement, over a real
store (SQLite and PostgreSQL), through the app and through a real FHIR client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhirpy import SyncFHIRClient

from confide.api.fhir.consent_intake import parse_consent, read_terms
from confide.domain import Category, Effect, InvalidValue, Purpose
from confide.services import history
from tests.api.world import World

FHIR_JSON = "application/fhir+json"
EXAMPLES = Path("/work/shared/testdata/fhir-r4-examples")
CATEGORY_SYSTEM = "urn:confide:fhir:CodeSystem:category"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
READ = ["consents.read"]
WRITE = ["consents.read", "consents.write"]


def bearer(world: World, name: str, scopes: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(name, scopes)}"}


def consent_body(
    client_id: str,
    recipient: str,
    *,
    categories: tuple[str, ...] = ("progress_note",),
    purposes: tuple[str, ...] = ("TREAT",),
    effect: str = "permit",
) -> dict[str, Any]:
    """A FHIR Consent as an outside system would write it."""
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{client_id}"},
        "provision": {
            "type": effect,
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                            }
                        ]
                    },
                    "reference": {"reference": f"Practitioner/{recipient}"},
                }
            ],
            "purpose": [{"system": PURPOSE_SYSTEM, "code": p} for p in purposes],
            "class": [{"system": CATEGORY_SYSTEM, "code": c} for c in categories],
        },
    }


def outcome(answer: Any) -> dict[str, Any]:
    """The single issue of an OperationOutcome answer."""
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    return dict(issue)


def actions_logged(world: World, action: str) -> int:
    h = history.access_history(world.deps, client_id=world.client, by=world.client)
    return sum(1 for e in h.entries if e.action == action)


# The CapabilityStatement -----------------------------------------------------------------------


def test_the_capability_statement_lists_exactly_what_is_served(world: World) -> None:
    answer = world.client_for().get("/fhir/metadata")  # no sign-in needed
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    statement = CapabilityStatement.model_validate(answer.json())
    assert statement.fhirVersion == "4.0.1"
    (rest,) = statement.rest
    served = {
        r.type: (sorted(i.code for i in r.interaction), sorted(p.name for p in r.searchParam or []))
        for r in rest.resource
    }
    assert served == {
        "Consent": (["create", "read", "search-type", "update"], ["_id", "patient"]),
        "AuditEvent": (["search-type"], ["date", "patient"]),
        "Patient": (["read"], []),
    }
    assert all(not r.searchInclude and not r.searchRevInclude for r in rest.resource)


# A real FHIR client ----------------------------------------------------------------------------


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free port of 127.0.0.1, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/fhir"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def test_a_fhir_client_searches_consents_and_audit_events_and_reads_the_patient(
    world: World,
) -> None:
    token = world.token(world.client, ["consents.read", "history.read"])
    today = world.clock.now().date()
    tomorrow = today + timedelta(days=1)
    with serving(world.app) as url:
        fhir = SyncFHIRClient(url, authorization=f"Bearer {token}")

        consents = fhir.resources("Consent").search(patient=f"Patient/{world.client}").fetch_all()
        assert [c.id for c in consents] == [f"consent-{world.client}"]
        (given,) = consents
        assert given["status"] == "active"
        assert given["provision"]["type"] == "permit"
        assert given.get_by_path(["provision", "actor", 0, "reference", "identifier", "value"]) == (
            world.outsider
        )
        assert [c["code"] for c in given["provision"]["class"]] == ["progress_note"]
        assert [p["code"] for p in given["provision"]["purpose"]] == ["TREAT"]

        expected = history.access_history(world.deps, client_id=world.client, by=world.client)
        events = (
            fhir.resources("AuditEvent")
            .search(patient=world.client, date=[f"ge{today - timedelta(days=1)}", f"lt{tomorrow}"])
            .limit(3)  # pages of 3: the client follows the next links
            .fetch_all()
        )
        # Every entry once, up to the first page's search: the entries read above and the
        # reading of them; the searches themselves are logged after the first page pinned them.
        assert len(events) == len(expected.entries) + 1
        assert len({e.id for e in events}) == len(events)
        subtypes = {e.get_by_path(["subtype", 0, "code"]) for e in events}
        assert {"write", "grant_consent", "view_consents"} <= subtypes
        grant = next(e for e in events if e.get_by_path(["subtype", 0, "code"]) == "grant_consent")
        assert grant["action"] == "C"
        assert grant["outcome"] == "0"
        for e in events:
            AuditEvent.model_validate(e.serialize())

        patient = fhir.reference("Patient", world.client).to_resource()
        assert patient.id == world.client
        assert patient["managingOrganization"]["reference"] == f"Organization/{world.home}"
        assert set(patient.serialize()) == {"resourceType", "id", "managingOrganization"}


# Create, read back, enforce, revoke -----------------------------------------------------------


def test_a_consent_created_through_fhir_reads_back_and_is_enforced_until_revoked(
    world: World,
) -> None:
    api = world.client_for()
    client = bearer(world, world.revoked_client, WRITE)
    outsider = world.sign_in(world.outsider)
    records = f"/api/v1/clients/{world.revoked_client}/records?purpose=TREAT"
    assert outsider.get(records).status_code == 404  # the earlier consent was revoked

    made = api.post(
        "/fhir/Consent",
        json=consent_body(world.revoked_client, world.outsider),
        headers={**client, "content-type": FHIR_JSON},
    )
    assert made.status_code == 201, made.text
    assert made.headers["content-type"].startswith(FHIR_JSON)
    created = made.json()
    assert made.headers["location"].endswith(f"/fhir/Consent/{created['id']}")

    read = api.get(f"/fhir/Consent/{created['id']}", headers=client)
    assert read.status_code == 200
    assert read.json() == created
    terms = read_terms(FhirConsent.model_validate(read.json()))
    assert terms.recipient_id == world.outsider
    assert terms.categories == {Category.PROGRESS_NOTE}
    assert terms.purposes == {Purpose.TREAT}
    assert terms.effect is Effect.PERMIT

    seen = outsider.get(records)
    assert seen.status_code == 200
    assert [e["text"] for e in seen.json()["entries"]] == [world.notes[world.revoked_client]]

    revoked = api.put(
        f"/fhir/Consent/{created['id']}", json={**created, "status": "inactive"}, headers=client
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "inactive"
    assert revoked.json()["extension"][0]["url"].endswith("consent-revoked-at")
    assert outsider.get(records).status_code == 404

    again = api.put(
        f"/fhir/Consent/{created['id']}", json={**created, "status": "inactive"}, headers=client
    )
    assert again.status_code == 200  # an update is idempotent
    found = api.get(f"/fhir/Consent?patient={world.revoked_client}", headers=client).json()
    statuses = {e["resource"]["id"]: e["resource"]["status"] for e in found["entry"]}
    assert statuses == {f"consent-{world.revoked_client}": "inactive", created["id"]: "inactive"}


def test_changing_a_consent_other_than_revoking_it_is_refused_saying_how(world: World) -> None:
    api = world.client_for()
    client = bearer(world, world.client, WRITE)
    url = f"/fhir/Consent/consent-{world.client}"
    current = api.get(url, headers=client).json()

    wider = json.loads(json.dumps(current))
    wider["provision"]["purpose"].append({"system": PURPOSE_SYSTEM, "code": "HPAYMT"})
    refused = api.put(url, json=wider, headers=client)
    assert refused.status_code == 422
    issue = outcome(refused)
    assert issue["expression"] == ["Consent.provision.purpose"]
    assert "revoke it and POST a new Consent" in issue["diagnostics"]

    drafted = api.put(url, json={**current, "status": "draft"}, headers=client)
    assert drafted.status_code == 422
    assert outcome(drafted)["expression"] == ["Consent.status"]

    other_id = api.put(url, json={**current, "id": "consent-else"}, headers=client)
    assert outcome(other_id)["expression"] == ["Consent.id"]
    assert api.get(url, headers=client).json() == current  # nothing changed


# Who may: the same answer for "missing" and "not yours" ----------------------------------------


def test_a_non_client_creating_a_consent_gets_the_not_found_outcome(world: World) -> None:
    api = world.client_for()
    for name in (world.clinician, world.officer, world.other_client):
        answer = api.post(
            "/fhir/Consent",
            json=consent_body(world.client, world.outsider),
            headers=bearer(world, name, WRITE),
        )
        assert answer.status_code == 404
        issue = outcome(answer)
        assert issue["code"] == "not-found"
    own = bearer(world, world.client, WRITE)
    answer = api.get(f"/fhir/Consent?patient={world.client}", headers=own)
    assert answer.json()["total"] == 1  # nothing was made
    given = answer.json()["entry"][0]["resource"]
    revoking = api.put(
        f"/fhir/Consent/{given['id']}",
        json={**given, "status": "inactive"},
        headers=bearer(world, world.clinician, WRITE),
    )
    assert revoking.status_code == 404
    assert outcome(revoking)["code"] == "not-found"
    assert api.get(f"/fhir/Consent/{given['id']}", headers=own).json()["status"] == "active"


def test_a_foreign_clinician_gets_the_same_bytes_as_for_a_missing_patient(world: World) -> None:
    api = world.client_for()
    for name in (world.colleague, world.outsider):
        headers = bearer(world, name, ["consents.read", "history.read"])
        for path in (
            "/fhir/Consent?patient=Patient/{}",
            "/fhir/Consent?patient={}",
            "/fhir/Patient/{}",
            "/fhir/AuditEvent?patient={}",
        ):
            denied = api.get(path.format(world.client), headers=headers)
            missing = api.get(path.format("no-such-client"), headers=headers)
            assert denied.status_code == missing.status_code == 404
            assert denied.content == missing.content
            assert denied.headers["content-type"] == missing.headers["content-type"]
        denied = api.get(f"/fhir/Consent/consent-{world.client}", headers=headers)
        missing = api.get("/fhir/Consent/consent-none", headers=headers)
        assert denied.status_code == missing.status_code == 404
        assert denied.content == missing.content


def test_the_treating_clinician_and_the_officer_see_what_the_services_allow(world: World) -> None:
    api = world.client_for()
    clinician = bearer(world, world.clinician, ["consents.read", "history.read"])
    found = api.get(f"/fhir/Consent?patient=Patient/{world.client}", headers=clinician)
    assert found.status_code == 200
    assert [e["resource"]["id"] for e in found.json()["entry"]] == [f"consent-{world.client}"]
    # The access history is the client's and their privacy officer's only.
    assert api.get(f"/fhir/AuditEvent?patient={world.client}", headers=clinician).status_code == 404
    officer = bearer(world, world.officer, ["history.read"])
    events = api.get(f"/fhir/AuditEvent?patient={world.client}&_count=5", headers=officer)
    assert events.status_code == 200
    bundle = Bundle.model_validate(events.json())
    assert bundle.type == "searchset"
    assert bundle.total is not None
    assert bundle.total > 5
    assert len(bundle.entry or []) == 5


# Parameters and scopes --------------------------------------------------------------------------


UNSUPPORTED = [
    ("_has:Consent:patient:status=active", "'_has'"),
    ("patient.name=Smith", "'patient.name'"),
    ("patient:missing=false", "'patient:missing'"),
    ("_include=Consent:patient", "'_include'"),
    ("_revinclude=AuditEvent:entity", "'_revinclude'"),
    ("status=active", "'status'"),
    ("_sort=date", "'_sort'"),
    ("_summary=count", "'_summary'"),
]


def test_unsupported_search_parameters_are_refused_by_name(world: World) -> None:
    api = world.client_for()
    headers = bearer(world, world.client, ["consents.read", "history.read"])
    before = actions_logged(world, "view_consents")
    for query, named in UNSUPPORTED:
        for resource in ("Consent", "AuditEvent"):
            answer = api.get(f"/fhir/{resource}?patient={world.client}&{query}", headers=headers)
            assert answer.status_code == 400, query
            issue = outcome(answer)
            assert named in issue["diagnostics"]
            assert issue["code"] == "invalid"
    assert actions_logged(world, "view_consents") == before  # refused before any service ran


def test_searches_need_a_patient_and_take_one_value_each(world: World) -> None:
    api = world.client_for()
    headers = bearer(world, world.client, READ)
    assert (
        "'patient' is required" in outcome(api.get("/fhir/Consent", headers=headers))["diagnostics"]
    )
    both = api.get(f"/fhir/Consent?patient={world.client},{world.other_client}", headers=headers)
    assert both.status_code == 400
    twice = api.get(
        f"/fhir/Consent?patient={world.client}&patient={world.other_client}", headers=headers
    )
    assert twice.status_code == 400
    read_with_params = api.get(f"/fhir/Patient/{world.client}?_elements=birthDate", headers=headers)
    assert read_with_params.status_code == 400


def test_each_interaction_needs_its_scope(world: World) -> None:
    api = world.client_for()
    only_history = bearer(world, world.client, ["history.read"])
    only_read = bearer(world, world.client, READ)
    refused = [
        api.get(f"/fhir/Consent?patient={world.client}", headers=only_history),
        api.get(f"/fhir/Patient/{world.client}", headers=only_history),
        api.get(f"/fhir/AuditEvent?patient={world.client}", headers=only_read),
        api.post(
            "/fhir/Consent", json=consent_body(world.client, world.outsider), headers=only_read
        ),
    ]
    for answer in refused:
        assert answer.status_code == 403
        assert outcome(answer)["code"] == "forbidden"
    unsigned = api.get(f"/fhir/Consent?patient={world.client}")
    assert unsigned.status_code == 401
    assert outcome(unsigned)["code"] == "login"


# AuditEvent dates and paging -------------------------------------------------------------------


def test_audit_events_are_searched_by_date_and_paged(world: World) -> None:
    api = world.client_for()
    headers = bearer(world, world.client, ["history.read"])
    day = world.clock.now().date()
    base = f"/fhir/AuditEvent?patient=Patient/{world.client}"

    every = api.get(f"{base}&_count=100", headers=headers).json()
    within = api.get(
        f"{base}&date=ge{day - timedelta(days=1)}&date=le{day + timedelta(days=1)}&_count=100",
        headers=headers,
    ).json()
    assert within["total"] >= every["total"] > 10
    assert api.get(f"{base}&date=lt2000-01-01", headers=headers).json()["total"] == 0
    assert api.get(f"{base}&date=gt{day + timedelta(days=3)}", headers=headers).json()["total"] == 0
    assert api.get(f"{base}&date=eq{day.year - 1}", headers=headers).json()["total"] == 0

    first = api.get(f"{base}&_count=4", headers=headers).json()
    assert len(first["entry"]) == 4
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    second = api.get(links["next"], headers=headers).json()
    ids = [e["resource"]["id"] for e in first["entry"] + second["entry"]]
    assert len(set(ids)) == 8
    assert {link["relation"] for link in second["link"]} >= {"self", "next", "previous"}

    capped = api.get(f"{base}&_count=5000", headers=headers).json()
    assert len(capped["entry"]) == min(100, capped["total"])
    assert "_count=100" in capped["link"][0]["url"]

    for bad in ("ne2026-01-01", "sa2026", "2026-02-30", "ge2026-01-01T10:00", "yesterday"):
        answer = api.get(f"{base}&date={bad}", headers=headers)
        assert answer.status_code == 400, bad
        assert "'date'" in outcome(answer)["diagnostics"]


# Incoming resources ---------------------------------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def test_an_invalid_consent_is_refused_naming_the_element(world: World) -> None:
    api = world.client_for()
    headers = bearer(world, world.client, WRITE)
    good = consent_body(world.client, world.outsider)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "provision": {**good["provision"], "bogus": 1}}, "Consent.provision.bogus"),
        (_without(good, "scope"), "Consent.scope"),
        ({**good, "resourceType": "Patient"}, "Consent.resourceType"),
        ({**good, "status": "proposed"}, "Consent.status"),
        (
            consent_body(world.client, world.outsider, categories=("dreams",)),
            "Consent.provision.class[0]",
        ),
        (
            consent_body(world.client, world.outsider, purposes=("HMARKT",)),
            "Consent.provision.purpose[0]",
        ),
        (consent_body(world.client, world.outsider, effect="maybe"), "Consent.provision.type"),
        (
            consent_body(
                world.client, world.outsider, categories=("psychotherapy_note", "progress_note")
            ),
            "Consent.provision.class",
        ),
        (consent_body(world.client, "nobody-on-file"), "Consent.provision.actor"),
        (
            {**good, "provision": {**good["provision"], "period": {"start": "2026"}}},
            "Consent.provision.period.start",
        ),
        (
            {**good, "provision": {**good["provision"], "provision": [{"type": "deny"}]}},
            "Consent.provision.provision",
        ),
        ({**good, "modifierExtension": [{"url": "urn:x"}]}, "Consent.modifierExtension"),
    ]
    for body, element in cases:
        answer = api.post("/fhir/Consent", json=body, headers=headers)
        assert answer.status_code == 422, (element, answer.text)
        assert outcome(answer)["expression"] == [element]
    found = api.get(f"/fhir/Consent?patient={world.client}", headers=headers).json()
    assert found["total"] == 1  # none of them was recorded


def test_a_consent_may_name_psychotherapy_notes_by_their_security_label(world: World) -> None:
    api = world.client_for()
    headers = bearer(world, world.client, WRITE)
    body = consent_body(world.client, world.outsider, categories=())
    body["provision"]["securityLabel"] = [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSYTHPN"}
    ]
    body["provision"]["period"] = {"start": "2026-01-01", "end": "2026-12-31"}
    made = api.post("/fhir/Consent", json=body, headers=headers)
    assert made.status_code == 201, made.text
    provision = made.json()["provision"]
    assert [c["code"] for c in provision["class"]] == ["psychotherapy_note"]
    assert [c["code"] for c in provision["securityLabel"]] == ["PSYTHPN"]
    # FHIR's end includes its last day; confide's end is the moment after it.
    assert provision["period"] == {"start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}


def test_a_class_and_a_security_label_together_are_refused_not_widened(world: World) -> None:
    # FHIR reads them as "all of"; taken as "any of" they would open every substance-use
    # record (42 CFR Part 2) to a consent meant for progress notes.
    api = world.client_for()
    headers = bearer(world, world.client, WRITE)
    before = api.get(f"/fhir/Consent?patient={world.client}", headers=headers).json()["total"]
    body = consent_body(world.client, world.outsider)
    body["provision"]["securityLabel"] = [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"}
    ]
    answer = api.post("/fhir/Consent", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert outcome(answer)["expression"] == ["Consent.provision.securityLabel"]
    two = consent_body(world.client, world.outsider, categories=())
    two["provision"]["securityLabel"] = [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"},
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSYTHPN"},
    ]
    answer = api.post("/fhir/Consent", json=two, headers=headers)
    assert answer.status_code == 422, answer.text
    after = api.get(f"/fhir/Consent?patient={world.client}", headers=headers).json()["total"]
    assert after == before


# The official FHIR R4 examples ------------------------------------------------------------------

# Each official example, read by the facade's mapping: the element it is refused at, because it
# says something a confide consent cannot keep (and dropping it could widen the consent).
OFFICIAL = {
    "consent-example-Emergency": "Consent.provision.provision",  # nested exceptions
    "consent-example-Out": "Consent.provision.actor[0].role",  # the custodian, not a recipient
    "consent-example-basic": "Consent.provision.actor",  # no recipient: to everyone
    "consent-example-grantor": "Consent.provision.actor",  # two actors
    "consent-example-notAuthor": "Consent.provision.actor[0].role",  # records by an author
    "consent-example-notOrg": "Consent.provision.action[1]",  # "correct" as well as access
    "consent-example-notThem": "Consent.provision.action[1]",
    "consent-example-notThis": "Consent.provision.data",  # one resource
    "consent-example-notTime": "Consent.provision.actor",
    "consent-example-pkb": "Consent.provision.provision",
    "consent-example-signature": "Consent.provision.provision",
    "consent-example-smartonfhir": "Consent.performer[0]",  # a practitioner agreed
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_the_official_r4_consent_examples_parse_with_the_facade_model(name: str) -> None:
    # The examples are FHIR R4 (4.0.1); the facade validates with the R4B (4.3.0) models.
    # Consent did not change between them: every example validates and dumps back unchanged.
    raw = json.loads((EXAMPLES / "consent" / f"Consent-{name}.json").read_text())
    model = parse_consent(raw)
    assert json.loads(model.model_dump_json(exclude_none=True)) == raw
    with pytest.raises(InvalidValue) as refused:
        read_terms(model)
    assert refused.value.field == OFFICIAL[name]


def test_an_official_example_trimmed_to_what_confide_keeps_maps_field_by_field() -> None:
    raw = json.loads((EXAMPLES / "consent" / "Consent-consent-example-notOrg.json").read_text())
    provision = raw["provision"]
    provision["action"] = provision["action"][:1]  # access only
    provision["purpose"] = [{"system": PURPOSE_SYSTEM, "code": "TREAT"}]
    provision["class"] = [{"system": CATEGORY_SYSTEM, "code": "diagnosis"}]
    terms = read_terms(parse_consent(raw))
    assert terms.client_id == "f001"
    assert terms.recipient_id == "f001"  # Organization/f001, a recipient with role PRCP
    assert terms.effect is Effect.DENY
    assert terms.categories == {Category.DIAGNOSIS}
    assert terms.purposes == {Purpose.TREAT}
    assert terms.start is terms.end is None
