"""The three walk-throughs, in Debian's chromium against ``confide serve`` over the demo:

1. a client revokes a consent, and the clinician of another practice then finds the record
   hidden, with the reason;
2. a clinician opens a duty-to-warn disclosure, a supervisor approves it, the clinician releases
   it, and the client finds it in their accounting of disclosures;
3. a privacy officer answers a court order whose scope leaves out psychotherapy notes; a second
   privacy officer approves; the package leaves them out.

Each page on the way is checked with axe-core (no serious or critical violation).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.accessibility import blocking_violations
from tests.browser.demo_server import Demo, choose_ground

CLIENT = "client-demo-001"
PROGRESS_NOTE = "Synthetic progress note: discussed the week and a walking plan."
CONTACT = "Synthetic contact details: reachable through the practice only."
PROCESS_NOTE = "Synthetic process note, kept apart"


def _accessible(page: Page) -> None:
    assert blocking_violations(page) == [], page.url


def _open_request_from(page: Page) -> str:
    """The request id from the request page the browser is on."""
    found = re.search(r"/disclosures/([^/?#]+)", page.url)
    assert found is not None, page.url
    return found.group(1)


def test_a_revoked_consent_hides_the_record_from_the_other_practice(
    demo: Demo, people: dict[str, Page]
) -> None:
    north = people["north-clin"]
    record = f"{demo.base}/workspace/clients/{CLIENT}?purpose=COC"
    north.goto(record)
    expect(north.get_by_text(PROGRESS_NOTE)).to_be_visible()
    _accessible(north)

    client = people[CLIENT]
    client.goto(f"{demo.base}/portal/consents")
    _accessible(client)
    consent = (
        client.get_by_role("article")
        .filter(has_text="progress notes")
        .filter(has_text="clinic-north")
    )
    consent.get_by_text("Revoke this consent").click()
    consent.get_by_role("button", name="Yes, revoke it now").click()
    expect(client.get_by_role("status")).to_contain_text("revoked")
    _accessible(client)

    # The contact details' own consent stands; the rest is hidden, saying why.
    north.goto(record)
    expect(north.get_by_text(CONTACT)).to_be_visible()
    expect(north.get_by_text(PROGRESS_NOTE)).to_have_count(0)
    hidden = north.locator("section").filter(has_text="Progress notes").locator(".withheld")
    expect(hidden).to_contain_text("Hidden from you")
    expect(hidden).to_contain_text("revoked")
    _accessible(north)


def test_a_duty_to_warn_is_approved_released_and_accounted_to_the_client(
    demo: Demo, people: dict[str, Page]
) -> None:
    clinician = people["clin-a"]
    clinician.goto(f"{demo.base}/workspace")
    _accessible(clinician)
    clinician.get_by_role("link", name=CLIENT).click()
    _accessible(clinician)
    clinician.get_by_role("link", name="Start an exception disclosure").click()
    _accessible(clinician)
    clinician.locator("#ground-imminent_risk_others").check()
    clinician.get_by_role("button", name="Continue").click()
    _accessible(clinician)
    clinician.get_by_label("Recipient", exact=True).fill("ext-police")
    clinician.locator("#kind-law_enforcement").check()
    clinician.locator("#cat-risk_assessment").check()
    clinician.get_by_label("Justification").fill(
        "Synthetic reason: a stated intent toward a named neighbour this week."
    )
    clinician.get_by_role("button", name="Open the request").click()
    expect(clinician.get_by_role("status")).to_contain_text("sent for approval")
    _accessible(clinician)
    request_id = _open_request_from(clinician)

    supervisor = people["super-001"]
    supervisor.goto(f"{demo.base}/office")
    _accessible(supervisor)
    supervisor.locator(f"a[href='/office/disclosures/{request_id}']").first.click()
    _accessible(supervisor)
    supervisor.get_by_role("button", name="Approve").click()
    expect(supervisor.get_by_role("status")).to_contain_text("Approved")

    clinician.goto(f"{demo.base}/workspace/disclosures/{request_id}")
    clinician.get_by_role("link", name="Go to the release").click()
    clinician.get_by_role("button", name="Release the package").click()
    expect(clinician.get_by_role("heading", name="Released")).to_be_visible()
    _accessible(clinician)
    with clinician.expect_download() as download:
        clinician.get_by_role("link", name=re.compile("Download the PDF")).click()
    assert download.value.suggested_filename == f"{request_id}.pdf"

    client = people[CLIENT]
    client.goto(f"{demo.base}/portal/accounting")
    _accessible(client)
    expect(client.locator("table")).to_contain_text("ext-police")


def test_a_court_order_that_leaves_out_psychotherapy_notes_is_answered(
    demo: Demo, people: dict[str, Page]
) -> None:
    officer = people["privacy-001"]
    choose_ground(officer, demo.base, CLIENT, "court_order")
    _accessible(officer)
    officer.get_by_label("Court or tribunal").fill("County court (synthetic)")
    officer.get_by_label("Case number").fill("SYN-1")
    officer.get_by_label("Issued by (the judge or officer)").fill("Judge Synthetic")
    officer.get_by_label("Issued on").fill("2026-11-20")
    officer.get_by_label("What the order says may be disclosed, in its own words").fill(
        "Diagnoses and progress notes; not psychotherapy notes."
    )
    officer.locator("#ordercat-diagnosis").check()
    officer.locator("#ordercat-progress_note").check()
    officer.get_by_label("Recipient", exact=True).fill("ext-court")
    officer.locator("#kind-court").check()
    officer.locator("#cat-diagnosis").check()
    officer.get_by_label("Justification").fill("Synthetic: order served on the practice.")
    officer.get_by_role("button", name="Open the request").click()
    expect(officer.get_by_role("status")).to_contain_text("sent for approval")
    request_id = _open_request_from(officer)

    second = people["privacy-002"]
    second.goto(f"{demo.base}/office/disclosures/{request_id}")
    expect(second.get_by_text("excluded by the order's scope")).to_be_visible()
    _accessible(second)
    second.get_by_role("button", name="Approve").click()
    expect(second.get_by_role("status")).to_contain_text("Approved")

    officer.goto(f"{demo.base}/office/disclosures/{request_id}")
    officer.get_by_role("button", name="Release the package").click()
    expect(officer.get_by_role("heading", name="Released")).to_be_visible()
    with officer.expect_download() as download:
        officer.get_by_role("link", name=re.compile("Download the PDF")).click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    assert PROCESS_NOTE.encode() not in pdf
