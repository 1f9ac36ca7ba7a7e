"""The privacy office's pages: the queue in sections, a request's page and its steps as plain
forms (post/redirect/get), the release's one-time package, court orders' scope, the same
not-found page for what may not be seen, and the audit log's health."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from confide.audit.signing import SigningKey
from confide.domain import Actor, Category, ExceptionGround, Organisation, Role, VictimKind
from confide.domain.disclosures import DisclosureRequest, DisclosureState, RecipientKind
from confide.policy.authentication import Scope
from confide.services import audit, practice
from confide.services.accounts import Principal
from confide.services.disclosures import QueueItem
from confide.services.rule_packs import installed_pack
from confide.web.office_queue import queue_sections
from confide.web.pages import TEMPLATES
from tests.api.world import World
from tests.web.conftest import csrf_of, form_post, page_browser

JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."
ORDER: dict[str, Any] = {
    "court": "Synthetic County Court",
    "case_number": "SYN-0042",
    "issued_on": "2026-02-20",
    "issued_by": "Judge Placeholder",
    "scope": "diagnoses and treatment plan only",
    "categories": ["diagnosis", "treatment_plan"],
}
MISSING = "disc-000000000000000000000000"


@dataclass(frozen=True)
class Outside:
    """Recipients on file outside the practice."""

    police: str
    clerk: str
    ems: str


@pytest.fixture(scope="module")
def outside(web: World) -> Outside:
    tag = secrets.token_hex(3)
    o = Outside(f"police-{tag}", f"clerk-{tag}", f"ems-{tag}")
    for kind, person in (("pd", o.police), ("court", o.clerk), ("ems", o.ems)):
        org = f"org-{kind}-{tag}"
        practice.add_organisation(web.deps, Organisation(org, f"{kind} {tag}"), by=web.officer)
        practice.add_actor(web.deps, Actor(person, Role.RECIPIENT, org), by=web.officer)
    return o


def _ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _warning(web: World, o: Outside) -> str:
    """A duty-to-warn request opened and submitted by the clinician through the JSON API."""
    api = web.sign_in(web.clinician)
    body = {
        "ground": "imminent_risk_others",
        "recipient_id": o.police,
        "recipient_kind": "law_enforcement",
        "categories": ["demographics", "risk_assessment"],
        "justification": JUSTIFICATION,
    }
    opened = _ok(api.post(f"/api/v1/clients/{web.client}/disclosures", json=body), 201)
    _ok(api.post(f"/api/v1/disclosures/{opened['id']}/submit"))
    return str(opened["id"])


def _state(web: World, request_id: str) -> str:
    return str(_ok(web.sign_in(web.officer).get(f"/api/v1/disclosures/{request_id}"))["state"])


def _section(html: str, key: str) -> str:
    """The part of the queue page that is section ``key``."""
    start = html.index(f'<section id="{key}"')
    end = html.find("<section", start + 1)
    return html[start : end if end != -1 else len(html)]


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1)


def _post(browser: TestClient, request_id: str, step: str, data: dict[str, str]) -> Any:
    page = f"/office/disclosures/{request_id}"
    return form_post(browser, page, f"{page}/{step}", data)


def _data(html: str, kind: str) -> bytes:
    found = re.search(rf'href="data:{re.escape(kind)};base64,([^"]+)"', html)
    assert found is not None, kind
    return base64.b64decode(found.group(1))


def _digest(html: str, name: str) -> str:
    found = re.search(rf'<code id="{name}">([0-9a-f]{{64}})</code>', html)
    assert found is not None, name
    return found.group(1)


def test_a_submitted_warning_waits_for_the_supervisors_approval(
    web: World, outside: Outside
) -> None:
    request_id = _warning(web, outside)
    browser = page_browser(web, web.supervisor)

    page = browser.get("/office")

    assert page.status_code == 200
    waiting = _section(page.text, "approval")
    assert "Waiting for my approval" in waiting
    assert f'href="/office/disclosures/{request_id}"' in waiting
    assert "Duty to warn or protect" in waiting
    assert "none set by law" in waiting  # no statutory deadline for a warning (federal rules)
    assert request_id not in _section(page.text, "mine")
    assert _title(page.text).startswith("Disclosures")
    # The requester follows it on its page, and sees no approve button there.
    own = page_browser(web, web.clinician).get(f"/office/disclosures/{request_id}")
    assert own.status_code == 200
    assert "waiting for approval" in own.text
    assert f"/office/disclosures/{request_id}/approve" not in own.text


def test_approve_release_tell_the_client_and_the_accounting_shows_it(
    web: World, outside: Outside
) -> None:
    request_id = _warning(web, outside)
    supervisor = page_browser(web, web.supervisor)
    page = supervisor.get(f"/office/disclosures/{request_id}")
    assert JUSTIFICATION in page.text  # the words are on the page...
    assert web.client not in _title(page.text)  # ...never in the title
    assert "45 CFR 164.512(j)(1)(i)" in page.text

    approved = _post(supervisor, request_id, "approve", {})

    assert approved.status_code == 303
    assert approved.headers["location"] == f"/office/disclosures/{request_id}?done=approved"
    shown = supervisor.get(approved.headers["location"])
    assert 'role="status">Approved.' in shown.text
    assert "approved, not yet released" in shown.text
    assert _state(web, request_id) == "approved"

    clinician = page_browser(web, web.clinician)
    assert (
        f"/office/disclosures/{request_id}/release"
        in clinician.get(f"/office/disclosures/{request_id}").text
    )
    released = _post(clinician, request_id, "release", {})

    assert released.status_code == 200
    assert "<h1>Released</h1>" in released.text
    view = _ok(web.sign_in(web.officer).get(f"/api/v1/disclosures/{request_id}"))
    assert view["state"] == "disclosed"
    assert _digest(released.text, "package-sha256") == view["package_sha256"]
    pdf = _data(released.text, "application/pdf")
    assert hashlib.sha256(pdf).hexdigest() == _digest(released.text, "pdf-sha256")
    accounting = _ok(web.sign_in(web.client).get(f"/api/v1/clients/{web.client}/accounting"))
    assert any(outside.police in d["recipient"] for d in accounting["disclosures"])

    # Telling the client: a bad date is refused by its field; then withheld, then told.
    officer = page_browser(web, web.officer)
    bad = _post(officer, request_id, "notice-withheld", {"reason": "risk_to_others"})
    assert bad.status_code == 422
    assert 'id="withhold-review-on-problem"' in bad.text
    assert 'aria-describedby="withhold-review-on-problem' in bad.text
    later = (web.clock.now() + timedelta(days=30)).date().isoformat()
    withheld = _post(
        officer, request_id, "notice-withheld", {"reason": "risk_to_others", "review_on": later}
    )
    assert withheld.headers["location"].endswith("?done=withheld")
    assert f"To be decided again on {later}" in officer.get(withheld.headers["location"]).text
    told = _post(officer, request_id, "client-told", {})
    assert told.headers["location"].endswith("?done=told")
    assert _state(web, request_id) == "client_notified"


def test_rejecting_needs_a_reason(web: World, outside: Outside) -> None:
    request_id = _warning(web, outside)
    supervisor = page_browser(web, web.supervisor)

    refused = _post(supervisor, request_id, "reject", {"reason": "   "})

    assert refused.status_code == 422
    assert 'id="reject-reason-problem" role="alert">Reason:' in refused.text
    assert 'aria-describedby="reject-reason-problem reject-reason-hint"' in refused.text
    assert _state(web, request_id) == "submitted"
    reason = "Synthetic reason: the threat is not imminent."
    rejected = _post(supervisor, request_id, "reject", {"reason": reason})
    assert rejected.status_code == 303
    assert reason not in rejected.headers["location"]
    assert _state(web, request_id) == "rejected"
    own = page_browser(web, web.clinician).get(f"/office/disclosures/{request_id}")
    assert reason in own.text
    assert "Rejected by" in own.text


def test_a_court_order_that_excludes_psychotherapy_notes_says_so_and_releases_without_them(
    web: World, outside: Outside
) -> None:
    api = web.sign_in(web.officer)
    body = {
        "ground": "court_order",
        "recipient_id": outside.clerk,
        "recipient_kind": "court",
        "categories": ["diagnosis"],
        "justification": "Synthetic reason: the order was served today.",
        "legal_process": ORDER,
    }
    opened = _ok(api.post(f"/api/v1/clients/{web.client}/disclosures", json=body), 201)
    request_id = str(opened["id"])
    officer = page_browser(web, web.officer)
    submitted = _post(officer, request_id, "submit", {})
    assert submitted.headers["location"].endswith("?done=submitted")
    queue = page_browser(web, web.supervisor).get("/office")
    assert request_id in _section(queue.text, "court")
    assert request_id in _section(queue.text, "approval")
    assert request_id in _section(officer.get("/office").text, "mine")

    page = officer.get(f"/office/disclosures/{request_id}")

    assert "SYN-0042" in page.text
    assert "Synthetic County Court" in page.text
    assert "<strong>excluded by the order's scope</strong>" in page.text
    assert "does not name psychotherapy notes: they are excluded" in page.text
    assert f"/office/disclosures/{request_id}/approve" not in page.text  # never one's own
    supervisor = page_browser(web, web.supervisor)
    assert _post(supervisor, request_id, "approve", {}).status_code == 303
    released = _post(officer, request_id, "release", {})
    assert released.status_code == 200
    bundle = json.loads(_data(released.text, "application/fhir+json"))
    codes = {
        e["resource"]["type"]["coding"][0]["code"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    }
    assert codes == {"diagnosis"}
    assert web.notes["psychotherapy_note"] not in released.text
    accounting = _ok(web.sign_in(web.client).get(f"/api/v1/clients/{web.client}/accounting"))
    to_court = [d for d in accounting["disclosures"] if outside.clerk in d["recipient"]]
    assert len(to_court) == 1
    assert "psychotherapy" not in to_court[0]["what"]


def test_a_colleague_gets_the_same_not_found_page_as_for_a_made_up_request(
    web: World, outside: Outside
) -> None:
    request_id = _warning(web, outside)
    colleague = page_browser(web, web.colleague)

    denied = colleague.get(f"/office/disclosures/{request_id}")
    missing = colleague.get(f"/office/disclosures/{MISSING}")

    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content
    assert "Not found, or you may not see it." in denied.text
    token = csrf_of(colleague.get("/account").text)
    step = colleague.post(f"/office/disclosures/{request_id}/approve", data={"csrf_token": token})
    assert (step.status_code, step.content) == (404, missing.content)
    assert _state(web, request_id) == "submitted"


def test_break_glass_is_owed_a_review_in_the_officers_queue_and_reviewed_there(
    web: World, outside: Outside
) -> None:
    body = {
        "ground": "imminent_risk_self",
        "recipient_id": outside.ems,
        "recipient_kind": "emergency_services",
        "categories": ["demographics", "risk_assessment"],
        "justification": "Synthetic reason: the client described a plan for tonight.",
    }
    api = web.sign_in(web.clinician)
    url = f"/api/v1/clients/{web.client}/disclosures/break-glass"
    request_id = _ok(api.post(url, json=body), 201)["request"]["id"]
    officer = page_browser(web, web.officer)

    reviews = _section(officer.get("/office").text, "reviews")

    assert request_id in reviews
    assert "left</span>" in reviews  # the review deadline, and how long is left
    own = page_browser(web, web.clinician).get(f"/office/disclosures/{request_id}")
    assert f"/office/disclosures/{request_id}/review" not in own.text  # nobody reviews their own
    empty = _post(officer, request_id, "review", {"outcome": "upheld", "note": ""})
    assert empty.status_code == 422
    assert 'id="review-note-problem"' in empty.text
    reviewed = _post(
        officer, request_id, "review", {"outcome": "upheld", "note": "Synthetic finding: fine."}
    )
    assert reviewed.headers["location"].endswith("?done=reviewed")
    page = officer.get(reviewed.headers["location"])
    assert "Synthetic finding: fine." in page.text
    assert request_id not in _section(officer.get("/office").text, "reviews")


def test_the_audit_page_says_intact_to_the_officer_and_nothing_to_a_client(
    web: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    unchecked = page_browser(web, web.officer).get("/office/audit")
    assert '<span class="tag bad">Not intact</span>' in unchecked.text  # no key: not checked
    assert "no public key was given" in unchecked.text
    key = SigningKey.generate()
    monkeypatch.setattr(web.app.state, "verify_key", key.public_key)
    signed = audit.checkpoint(web.deps.engine, key, web.clock)
    assert signed is not None

    for name in (web.officer, web.admin):
        page = page_browser(web, name).get("/office/audit")
        assert page.status_code == 200
        assert '<span class="tag good">Intact</span>' in page.text
        assert f"{signed.size} entries, signed" in page.text
        assert "No problems found." in page.text
    refused = page_browser(web, web.client).get("/office/audit")
    assert refused.status_code == 404
    assert "Intact" not in refused.text


def test_who_may_see_the_queue(web: World) -> None:
    clinician = page_browser(web, web.clinician).get("/office")
    assert clinician.status_code == 200
    assert 'action="/office/find"' in clinician.text
    for name in (web.client, web.staff):
        assert page_browser(web, name).get("/office").status_code == 404
    found = page_browser(web, web.clinician).get(f"/office/find?reference={MISSING}")
    assert (found.status_code, found.headers["location"]) == (303, f"/office/disclosures/{MISSING}")


def test_the_rules_in_force_are_shown_in_plain_words(web: World) -> None:
    page = page_browser(web, web.clinician).get("/office/rules")
    assert page.status_code == 200
    assert "United States (federal baseline)" in page.text
    assert "Court order" in page.text
    assert '<th scope="col">Approved by</th>' in page.text


def _report(now: datetime, suspected_hours_ago: int) -> QueueItem:
    suspected = now - timedelta(hours=suspected_hours_ago)
    request = DisclosureRequest(
        id=f"disc-{secrets.token_hex(12)}",
        client_id="client-synth",
        ground=ExceptionGround.ABUSE_NEGLECT,
        recipient_id="cps-synth",
        recipient_kind=RecipientKind.CHILD_PROTECTIVE_AGENCY,
        categories=frozenset({Category.PROGRESS_NOTE}),
        justification="(sealed)",
        requested_by="clin-synth",
        opened_at=now - timedelta(hours=1),
        state=DisclosureState.SUBMITTED,
        victim_kind=VictimKind.CHILD,
        suspected_at=suspected,
        submitted_at=now - timedelta(hours=1),
    )
    pack = installed_pack("us-ca")
    deadline = suspected + timedelta(hours=36)
    flags = ("awaiting_approval", "report_overdue" if now > deadline else "report_due")
    assert pack.rule(request.ground, request.victim_kind).report_within == timedelta(hours=36)
    return QueueItem(request, flags, deadline)


def test_overdue_mandated_reports_come_first_and_are_marked_overdue() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    due, late = _report(now, 10), _report(now, 40)
    officer = Principal("officer-synth", Role.PRIVACY_OFFICER, "home-synth", frozenset(Scope))

    made = queue_sections([due, late], officer, installed_pack("us-ca"), now)
    sections = {s.key: s for s in made}

    reports = sections["reports"].rows
    assert [r.request_id for r in reports] == [late.request.id, due.request.id]
    assert (reports[0].overdue, reports[0].left) == (True, "overdue by 4 h")
    assert (reports[1].overdue, reports[1].left) == (False, "26 h left")
    assert len(sections["approval"].rows) == 2  # the privacy officer approves these reports
    html = TEMPLATES.get_template("office/queue.html").render(
        sections=list(sections.values()), rules_name="California", who=None, nav=[], title="x",
        idle_seconds=0, path="/office",
    )  # fmt: skip
    assert '<span class="tag bad">overdue by 4 h</span>' in html
    assert "Nothing is waiting" not in html
    assert "No emergency disclosure is waiting for review." in html
