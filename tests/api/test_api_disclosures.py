"""The limits of confidentiality over HTTP (decision 0013), on SQLite and PostgreSQL: every step
of the workflow through the API, the package holding only the minimum necessary, second-person
approval, the not-found answer, court orders, break-the-glass, notice to the client, and
requests refused by name before anything is stored."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from confide.domain import Actor, Organisation, Role
from confide.services import practice
from confide.store import schema as t
from tests.api.world import World
from tests.integration.disclosure_cast import pdf_text

JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."
SYNTHETIC_ORDER: dict[str, Any] = {
    "court": "Synthetic County Court",
    "case_number": "SYN-0001",
    "issued_on": "2026-02-20",
    "issued_by": "Judge Placeholder",
    "scope": "diagnoses and treatment plan only",
    "categories": ["diagnosis", "treatment_plan"],
}


@dataclass(frozen=True)
class Outside:
    """Recipients on file outside the practice: police, a court clerk, emergency services."""

    police: str
    clerk: str
    ems: str


@pytest.fixture
def outside(world: World) -> Outside:
    tag = secrets.token_hex(3)
    o = Outside(f"police-{tag}", f"clerk-{tag}", f"ems-{tag}")
    for kind, person in (("pd", o.police), ("court", o.clerk), ("ems", o.ems)):
        org = f"org-{kind}-{tag}"
        practice.add_organisation(world.deps, Organisation(org, f"{kind} {tag}"), by=world.officer)
        practice.add_actor(world.deps, Actor(person, Role.RECIPIENT, org), by=world.officer)
    return o


def _warning(o: Outside, **changes: Any) -> dict[str, Any]:
    """A duty-to-warn request to the police for contact details and the risk assessment."""
    body: dict[str, Any] = {
        "ground": "imminent_risk_others",
        "recipient_id": o.police,
        "recipient_kind": "law_enforcement",
        "categories": ["demographics", "risk_assessment"],
        "justification": JUSTIFICATION,
    }
    return body | changes


def _ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _open(browser: TestClient, world: World, body: dict[str, Any]) -> dict[str, Any]:
    """Open a request for ``world.client``; its answer."""
    return _ok(browser.post(f"/api/v1/clients/{world.client}/disclosures", json=body), 201)


def _approved_warning(world: World, o: Outside) -> tuple[TestClient, str]:
    """A duty-to-warn request opened and submitted by the clinician, approved by the
    supervisor; the clinician's browser and the request's id."""
    clinician = world.sign_in(world.clinician)
    opened = _open(clinician, world, _warning(o))
    _ok(clinician.post(f"/api/v1/disclosures/{opened['id']}/submit"))
    _ok(world.sign_in(world.supervisor).post(f"/api/v1/disclosures/{opened['id']}/approve"))
    return clinician, str(opened["id"])


def _documents(fhir_json: str) -> dict[str, str]:
    """The FHIR Bundle's records: category code to text."""
    bundle = json.loads(fhir_json)
    out = {}
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "DocumentReference":
            code = r["type"]["coding"][0]["code"]
            out[code] = base64.b64decode(r["content"][0]["attachment"]["data"]).decode()
    return out


def _stored_requests(world: World) -> int:
    with world.deps.engine.connect() as c:
        count = c.execute(
            select(func.count())
            .select_from(t.disclosure_requests)
            .where(t.disclosure_requests.c.client_id == world.client)
        ).scalar_one()
    return int(count)


def test_supervisor_approval_then_release_reaches_the_accounting(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    opened = _open(clinician, world, _warning(outside))
    assert (opened["state"], opened["requested_by"]) == ("draft", world.clinician)
    assert "justification" not in opened  # the words only in the audited view
    request_id = opened["id"]
    assert _ok(clinician.post(f"/api/v1/disclosures/{request_id}/submit"))["state"] == "submitted"
    supervisor = world.sign_in(world.supervisor)
    queue = _ok(supervisor.get("/api/v1/disclosures/queue"))
    assert ["awaiting_approval"] in [
        i["flags"] for i in queue["items"] if i["request_id"] == request_id
    ]
    approved = _ok(supervisor.post(f"/api/v1/disclosures/{request_id}/approve"))
    assert (approved["state"], approved["decided_by"]) == ("approved", world.supervisor)

    released = _ok(clinician.post(f"/api/v1/disclosures/{request_id}/release"))

    request, package = released["request"], released["package"]
    assert request["state"] == "disclosed"
    assert request["package_sha256"] == package["sha256"]
    pdf = base64.b64decode(package["pdf_base64"])
    assert hashlib.sha256(pdf).hexdigest() == package["pdf_sha256"]
    assert hashlib.sha256(package["fhir_json"].encode()).hexdigest() == package["fhir_sha256"]
    accounting = _ok(world.sign_in(world.client).get(f"/api/v1/clients/{world.client}/accounting"))
    shown = [d for d in accounting["disclosures"] if outside.police in d["recipient"]]
    assert len(shown) == 1
    assert "risk assessments" in shown[0]["what"]
    assert "psychotherapy" not in shown[0]["what"]


def test_the_package_holds_only_the_minimum_necessary_and_never_psychotherapy_notes(
    world: World, outside: Outside
) -> None:
    clinician, request_id = _approved_warning(world, outside)
    package = _ok(clinician.post(f"/api/v1/disclosures/{request_id}/release"))["package"]

    documents = _documents(package["fhir_json"])
    assert set(documents) == {"demographics", "risk_assessment"}
    assert documents["risk_assessment"] == world.notes["risk_assessment"]
    text = pdf_text(base64.b64decode(package["pdf_base64"]))
    assert world.notes["risk_assessment"] in text
    for absent in ("psychotherapy_note", "progress_note", "diagnosis", "substance_use"):
        assert world.notes[absent] not in text
        assert world.notes[absent] not in package["fhir_json"]
    assert JUSTIFICATION not in text


def test_psychotherapy_notes_or_more_than_the_minimum_are_refused_at_opening(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    for extra in ("psychotherapy_note", "progress_note"):
        body = _warning(outside, categories=["demographics", "risk_assessment", extra])
        refused = clinician.post(f"/api/v1/clients/{world.client}/disclosures", json=body)
        assert refused.status_code == 422
        assert refused.json()["field"] == "disclosure.categories"
    assert _stored_requests(world) == 0


def test_the_requester_may_not_approve_their_own_request(world: World, outside: Outside) -> None:
    officer = world.sign_in(world.officer)
    body = {
        "ground": "court_order",
        "recipient_id": outside.clerk,
        "recipient_kind": "court",
        "categories": ["diagnosis"],
        "justification": "Synthetic reason: the order was served today.",
        "legal_process": SYNTHETIC_ORDER,
    }
    opened = _open(officer, world, body)
    _ok(officer.post(f"/api/v1/disclosures/{opened['id']}/submit"))

    refused = officer.post(f"/api/v1/disclosures/{opened['id']}/approve")

    assert refused.status_code == 422
    assert refused.json()["field"] == "approval.approver_id"
    assert "second person" in refused.json()["detail"]
    assert _ok(officer.get(f"/api/v1/disclosures/{opened['id']}"))["state"] == "submitted"


def test_a_colleague_without_a_relationship_gets_the_same_404_as_a_missing_request(
    world: World, outside: Outside
) -> None:
    _clinician, request_id = _approved_warning(world, outside)
    colleague = world.sign_in(world.colleague)
    denied = colleague.get(f"/api/v1/disclosures/{request_id}")
    missing = colleague.get("/api/v1/disclosures/disc-000000000000000000000000")
    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content
    # Someone of another practice gets it for every step too.
    outsider = world.sign_in(world.outsider)
    foreign = outsider.post(f"/api/v1/disclosures/{request_id}/release")
    assert foreign.status_code == 404
    assert foreign.content == missing.content


def test_a_court_order_whose_scope_excludes_psychotherapy_notes_releases_only_its_scope(
    world: World, outside: Outside
) -> None:
    officer = world.sign_in(world.officer)
    body = {
        "ground": "court_order",
        "recipient_id": outside.clerk,
        "recipient_kind": "court",
        "categories": ["diagnosis", "psychotherapy_note"],
        "justification": "Synthetic reason: the order was served today.",
        "legal_process": SYNTHETIC_ORDER,
    }
    beyond = officer.post(f"/api/v1/clients/{world.client}/disclosures", json=body)
    assert beyond.status_code == 422
    assert beyond.json()["field"] == "disclosure.categories"
    body["categories"] = ["diagnosis"]
    opened = _open(officer, world, body)
    _ok(officer.post(f"/api/v1/disclosures/{opened['id']}/submit"))
    _ok(world.sign_in(world.supervisor).post(f"/api/v1/disclosures/{opened['id']}/approve"))

    package = _ok(officer.post(f"/api/v1/disclosures/{opened['id']}/release"))["package"]

    assert set(_documents(package["fhir_json"])) == {"diagnosis"}
    text = pdf_text(base64.b64decode(package["pdf_base64"]))
    assert world.notes["diagnosis"] in text
    assert world.notes["psychotherapy_note"] not in text
    view = _ok(officer.get(f"/api/v1/disclosures/{opened['id']}"))
    assert view["legal_process"]["case_number"] == "SYN-0001"
    assert view["legal_process"]["categories"] == ["diagnosis", "treatment_plan"]


def test_break_the_glass_discloses_at_once_then_a_supervisor_reviews_it(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    body = _warning(outside, ground="imminent_risk_self", recipient_id=outside.ems)
    body["recipient_kind"] = "emergency_services"
    released = _ok(
        clinician.post(f"/api/v1/clients/{world.client}/disclosures/break-glass", json=body), 201
    )
    request = released["request"]
    assert (request["state"], request["emergency"]) == ("disclosed", True)
    assert request["review_due"] is not None
    pdf = base64.b64decode(released["package"]["pdf_base64"])
    assert world.notes["risk_assessment"] in pdf_text(pdf)
    supervisor = world.sign_in(world.supervisor)
    queued = [
        i for i in _ok(supervisor.get("/api/v1/disclosures/queue"))["items"]
        if i["request_id"] == request["id"]
    ]  # fmt: skip
    assert "review_due" in queued[0]["flags"]
    assert queued[0]["deadline"] is not None
    review = {"outcome": "upheld", "note": "Synthetic finding: warranted."}
    own = clinician.post(f"/api/v1/disclosures/{request['id']}/review", json=review)
    assert own.status_code == 422
    assert own.json()["field"] == "approval.approver_id"

    reviewed = _ok(supervisor.post(f"/api/v1/disclosures/{request['id']}/review", json=review))

    assert (reviewed["reviewed_by"], reviewed["review_outcome"]) == (world.supervisor, "upheld")
    view = _ok(supervisor.get(f"/api/v1/disclosures/{request['id']}"))
    assert view["review_note"] == review["note"]
    assert "review_due" not in view["flags"]


def test_withholding_notice_needs_a_reason_and_a_review_date(
    world: World, outside: Outside
) -> None:
    clinician, request_id = _approved_warning(world, outside)
    _ok(clinician.post(f"/api/v1/disclosures/{request_id}/release"))
    officer = world.sign_in(world.officer)
    url = f"/api/v1/disclosures/{request_id}/notice-withheld"
    later = (world.clock.now() + timedelta(days=30)).date().isoformat()
    for body, field in (
        ({"review_on": later}, "reason"),
        ({"reason": "risk_to_others"}, "review_on"),
        ({"reason": "because", "review_on": later}, "reason"),
        ({"reason": "risk_to_others", "review_on": "2020-01-01"}, "notification.review_on"),
    ):
        refused = officer.post(url, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["field"] == field
    not_oversight = clinician.post(url, json={"reason": "risk_to_others", "review_on": later})
    assert (not_oversight.status_code, not_oversight.json()["field"]) == (422, "notification.by")

    withheld = _ok(officer.post(url, json={"reason": "risk_to_others", "review_on": later}))

    assert (withheld["state"], withheld["withheld_reason"]) == (
        "notification_withheld",
        "risk_to_others",
    )
    assert withheld["withheld_until_review"] == later
    told = _ok(officer.post(f"/api/v1/disclosures/{request_id}/client-told"))
    assert (told["state"], told["withheld_reason"]) == ("client_notified", None)


def test_the_requester_records_that_the_client_was_told(world: World, outside: Outside) -> None:
    clinician, request_id = _approved_warning(world, outside)
    _ok(clinician.post(f"/api/v1/disclosures/{request_id}/release"))
    queue = _ok(world.sign_in(world.officer).get("/api/v1/disclosures/queue"))
    flags = [i["flags"] for i in queue["items"] if i["request_id"] == request_id]
    assert flags == [["client_notice_undecided"]]

    told = _ok(clinician.post(f"/api/v1/disclosures/{request_id}/client-told"))

    assert told["state"] == "client_notified"
    assert told["notified_at"] is not None


def test_a_rejection_needs_a_reason_and_only_an_undecided_request_is_withdrawn(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    opened = _open(clinician, world, _warning(outside))
    _ok(clinician.post(f"/api/v1/disclosures/{opened['id']}/submit"))
    supervisor = world.sign_in(world.supervisor)
    url = f"/api/v1/disclosures/{opened['id']}/reject"
    for body in ({}, {"reason": ""}, {"reason": "x" * 2001}):
        refused = supervisor.post(url, json=body)
        assert (refused.status_code, refused.json()["field"]) == (422, "reason")

    rejected = _ok(supervisor.post(url, json={"reason": "Synthetic reason: not imminent."}))

    assert (rejected["state"], rejected["decided_by"]) == ("rejected", world.supervisor)
    view = _ok(clinician.get(f"/api/v1/disclosures/{opened['id']}"))
    assert view["decision_note"] == "Synthetic reason: not imminent."
    assert view["justification"] == JUSTIFICATION
    decided = clinician.post(f"/api/v1/disclosures/{opened['id']}/withdraw")
    assert (decided.status_code, decided.json()["field"]) == (422, "disclosure.state")
    draft = _open(clinician, world, _warning(outside))
    withdrawn = _ok(clinician.post(f"/api/v1/disclosures/{draft['id']}/withdraw"))
    assert withdrawn["state"] == "withdrawn"


def test_an_abuse_report_needs_the_kind_of_victim_and_when_it_was_suspected(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    url = f"/api/v1/clients/{world.client}/disclosures"
    body = _warning(outside, ground="abuse_neglect", categories=["progress_note"])
    missing = clinician.post(url, json=body)
    assert (missing.status_code, missing.json()["field"]) == (422, "disclosure.victim_kind")
    suspected = (world.clock.now() - timedelta(hours=2)).isoformat()
    body |= {"victim_kind": "child", "suspected_at": suspected}

    opened = _ok(clinician.post(url, json=body), 201)

    assert (opened["victim_kind"], opened["state"]) == ("child", "draft")
    assert opened["suspected_at"] is not None


def test_unknown_fields_and_wrong_types_name_the_field_and_store_nothing(
    world: World, outside: Outside
) -> None:
    clinician = world.sign_in(world.clinician)
    url = f"/api/v1/clients/{world.client}/disclosures"
    cases: list[tuple[dict[str, Any], str]] = [
        (_warning(outside, note="Synthetic extra words."), "note"),
        (_warning(outside, categories="risk_assessment"), "categories"),
        (_warning(outside, categories=[]), "categories"),
        (_warning(outside, categories=["risk"]), "categories.0"),
        (_warning(outside, ground="bogus"), "ground"),
        (_warning(outside, justification=7), "justification"),
        (_warning(outside, justification="x" * 2001), "justification"),
        (_warning(outside, recipient_id="not an id"), "recipient_id"),
        (_warning(outside, suspected_at="2026-03-01T09:00:00"), "suspected_at"),
        (_warning(outside, records_period={"start": "soon"}), "records_period.start"),
        (
            _warning(outside, legal_process=SYNTHETIC_ORDER | {"part2_findings": "yes"}),
            "legal_process.part2_findings",
        ),
        (_warning(outside, legal_process=SYNTHETIC_ORDER | {"judge": "x"}), "legal_process.judge"),
    ]
    for body, field in cases:
        refused = clinician.post(url, json=body)
        assert refused.status_code == 422, field
        assert refused.json()["field"] == field
        assert JUSTIFICATION not in refused.text
    assert _stored_requests(world) == 0
    review = clinician.post(
        "/api/v1/disclosures/disc-0/review", json={"outcome": "fine", "note": "x"}
    )
    assert (review.status_code, review.json()["field"]) == (422, "outcome")


def test_the_justification_is_never_logged(
    world: World, outside: Outside, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        clinician, request_id = _approved_warning(world, outside)
        _ok(clinician.post(f"/api/v1/disclosures/{request_id}/release"))
        _ok(clinician.get(f"/api/v1/disclosures/{request_id}"))
    assert caplog.records  # something was logged, and none of it the words
    assert all(JUSTIFICATION not in r.getMessage() for r in caplog.records)


def test_a_token_without_the_disclosures_scope_is_refused(world: World, outside: Outside) -> None:
    token = world.token(world.clinician, ["records.read"])
    browser = world.client_for()
    browser.headers["authorization"] = f"Bearer {token}"

    refused = browser.post(f"/api/v1/clients/{world.client}/disclosures", json=_warning(outside))

    assert refused.status_code == 403
    assert _stored_requests(world) == 0


def test_the_rules_in_force_are_summarised(world: World) -> None:
    rules = _ok(world.sign_in(world.clinician).get("/api/v1/disclosures/rules"))

    assert rules["id"] == "us-federal"
    grounds = {(g["ground"], g["victim_kind"]) for g in rules["grounds"]}
    assert ("court_order", None) in grounds
    assert ("abuse_neglect", "child") in grounds
    assert rules["break_glass_window_minutes"] == 60
    assert all(g["cite"] for g in rules["grounds"])


def test_only_oversight_sees_the_queue(world: World) -> None:
    denied = world.sign_in(world.clinician).get("/api/v1/disclosures/queue")
    missing = world.sign_in(world.clinician).get("/api/v1/disclosures/disc-000000000000")
    assert denied.status_code == 404
    assert denied.content == missing.content
    assert _ok(world.sign_in(world.officer).get("/api/v1/disclosures/queue"))["rules"]
