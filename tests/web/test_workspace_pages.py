"""The clinician workspace: the caseload, a client's record by category with what is hidden and
why, psychotherapy notes apart, writing and correcting notes, exception disclosures and
break-the-glass, each through its form as a person would use it."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

import pytest
from httpx import Response

from confide.domain import Actor, Category, Organisation, Purpose, Role
from confide.services import history, practice, records
from tests.api.world import TestClient, World
from tests.web.conftest import csrf_of, form_post, page_browser

JUSTIFICATION = "Synthetic reason: a stated intent toward a named person this week."


@dataclass(frozen=True)
class Outside:
    """Recipients on file outside the practice."""

    police: str
    ems: str


@pytest.fixture(scope="module")
def outside(web: World) -> Outside:
    tag = secrets.token_hex(3)
    o = Outside(f"police-{tag}", f"ems-{tag}")
    for kind, person in (("pd", o.police), ("ems", o.ems)):
        org = f"org-{kind}-{tag}"
        practice.add_organisation(web.deps, Organisation(org, f"{kind} {tag}"), by=web.officer)
        practice.add_actor(web.deps, Actor(person, Role.RECIPIENT, org), by=web.officer)
    return o


def _entries(web: World, client_id: str) -> int:
    """How many entries the treating clinician sees in the whole record."""
    view = records.read_records(
        web.deps,
        actor_id=web.clinician,
        client_id=client_id,
        categories=frozenset(Category),
        purpose=Purpose.TREAT,
    )
    return len(view.entries)


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html)
    assert found is not None
    return found.group(1)


# The caseload and the record -------------------------------------------------------------------


def test_the_caseload_lists_a_clinicians_own_clients_only(web: World) -> None:
    mine = page_browser(web, web.clinician).get("/workspace")
    assert mine.status_code == 200
    assert f'href="/workspace/clients/{web.client}"' in mine.text
    assert '<th scope="col">Client</th>' in mine.text
    theirs = page_browser(web, web.colleague).get("/workspace").text
    assert f'href="/workspace/clients/{web.client}"' not in theirs
    assert f'href="/workspace/clients/{web.other_client}"' in theirs
    nobody = page_browser(web, web.outsider).get("/workspace").text
    assert "No clients are on your caseload" in nobody


def test_the_record_shows_routine_notes_and_not_psychotherapy_notes(web: World) -> None:
    page = page_browser(web, web.clinician).get(f"/workspace/clients/{web.client}")
    assert page.status_code == 200
    for category in Category:
        if category is not Category.PSYCHOTHERAPY_NOTE:
            assert web.notes[category.value] in page.text, category
    assert web.notes["psychotherapy_note"] not in page.text
    assert f'href="/workspace/clients/{web.client}/psychotherapy-notes"' in page.text
    assert "164.508(a)(2)" in page.text
    assert _title(page.text) == "Client record · confide"  # no client id in the title
    assert page.text.count("<h1>") == 1
    for link in ("/notes/new", "/disclosures/new", "/break-glass"):
        assert f"/workspace/clients/{web.client}{link}" in page.text


def test_psychotherapy_notes_are_shown_apart_on_their_own_page(web: World) -> None:
    page = page_browser(web, web.clinician).get(
        f"/workspace/clients/{web.client}/psychotherapy-notes"
    )
    assert page.status_code == 200
    assert web.notes["psychotherapy_note"] in page.text
    assert web.notes["progress_note"] not in page.text
    assert 'class="card record-entry private"' in page.text
    assert 'class="tag private"' in page.text
    assert "kept apart" in page.text
    assert "164.501" in page.text


def test_a_colleague_gets_the_same_not_found_page_as_for_a_made_up_client(web: World) -> None:
    colleague = page_browser(web, web.colleague)
    theirs = colleague.get(f"/workspace/clients/{web.client}")
    made_up = colleague.get("/workspace/clients/client-nobody-here")
    assert theirs.status_code == made_up.status_code == 404
    assert theirs.content == made_up.content
    assert web.notes["progress_note"] not in theirs.text
    apart = colleague.get(f"/workspace/clients/{web.client}/psychotherapy-notes")
    assert apart.content == made_up.content


def test_an_outside_clinician_sees_what_the_consent_names_and_why_the_rest_is_hidden(
    web: World,
) -> None:
    page = page_browser(web, web.outsider).get(f"/workspace/clients/{web.client}")
    assert page.status_code == 200
    assert web.notes["progress_note"] in page.text
    assert web.notes["diagnosis"] not in page.text
    assert web.notes["substance_use"] not in page.text
    assert 'class="card withheld"' in page.text
    assert "Hidden from you." in page.text
    assert f"Nothing on file lets {web.outsider} see diagnoses" in page.text
    assert "deny.substance_use_protected" in page.text
    assert "42 CFR 2.31" in page.text
    assert "/notes/new" not in page.text  # not theirs to write
    assert "/amend" not in page.text


def test_an_outside_clinician_cannot_write_into_the_record(web: World) -> None:
    browser = page_browser(web, web.outsider)
    path = f"/workspace/clients/{web.client}/notes/new"
    assert browser.get(path).status_code == 404
    token = csrf_of(browser.get("/workspace").text)
    before = _entries(web, web.client)
    answer = browser.post(
        path, data={"category": "progress_note", "text": "Synthetic.", "csrf_token": token}
    )
    assert answer.status_code == 404
    assert _entries(web, web.client) == before


# Writing and correcting --------------------------------------------------------------------------


def test_a_note_written_through_the_form_is_shown_with_a_confirmation(web: World) -> None:
    browser = page_browser(web, web.clinician)
    text = f"Synthetic session summary {secrets.token_hex(4)}."
    answer = form_post(
        browser,
        f"/workspace/clients/{web.client}/notes/new",
        f"/workspace/clients/{web.client}/notes/new",
        {"category": "progress_note", "text": text},
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert location == f"/workspace/clients/{web.client}?done=written"
    shown = browser.get(location)
    assert text in shown.text
    assert 'role="status">Your note was saved.' in shown.text


def test_a_psychotherapy_note_goes_to_the_page_apart_not_the_record(web: World) -> None:
    browser = page_browser(web, web.clinician)
    text = f"Synthetic process impression {secrets.token_hex(4)}."
    answer = form_post(
        browser,
        f"/workspace/clients/{web.client}/notes/new",
        f"/workspace/clients/{web.client}/notes/new",
        {"category": "psychotherapy_note", "text": text},
    )
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert location == f"/workspace/clients/{web.client}/psychotherapy-notes?done=written"
    apart = browser.get(location).text
    assert text in apart
    assert text not in browser.get(f"/workspace/clients/{web.client}").text
    # Correcting it leads back to the page apart, not the record.
    links = re.findall(r'href="(/workspace/records/[^"]+/amend\?client=[^"]+)"', apart)
    assert links
    form = browser.get(links[-1].replace("&amp;", "&")).text
    assert 'name="back" value="apart"' in form


def test_a_correction_is_a_new_version_and_says_the_old_one_is_kept(web: World) -> None:
    first = f"Synthetic first wording {secrets.token_hex(4)}."
    record_id = records.write_record(
        web.deps,
        actor_id=web.clinician,
        client_id=web.client,
        category=Category.TREATMENT_PLAN,
        text=first,
    )
    browser = page_browser(web, web.clinician)
    page_path = f"/workspace/records/{record_id}/amend?client={web.client}"
    form = browser.get(page_path)
    assert form.status_code == 200
    assert first in form.text
    assert "164.526" in form.text
    corrected = f"Synthetic corrected wording {secrets.token_hex(4)}."
    answer = browser.post(
        f"/workspace/records/{record_id}/amend",
        data={"client": web.client, "text": corrected, "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/workspace/clients/{web.client}?done=amended"
    shown = browser.get(answer.headers["location"]).text
    assert corrected in shown
    assert first not in shown  # the latest version is what the record shows
    assert "Version 2" in shown
    assert "The earlier version is kept." in shown


def test_opening_one_entry_to_correct_it_reads_that_entry_alone(web: World) -> None:
    record_id = records.write_record(
        web.deps, actor_id=web.clinician, client_id=web.client,
        category=Category.TREATMENT_PLAN, text="Synthetic plan for the minimum-necessary test.",
    )  # fmt: skip
    browser = page_browser(web, web.clinician)
    before = history.access_history(web.deps, client_id=web.client, by=web.client).entries
    assert browser.get(f"/workspace/records/{record_id}/amend?client={web.client}").is_success
    after = history.access_history(web.deps, client_id=web.client, by=web.client).entries
    new = [e for e in after if e not in before and e.actor_id == web.clinician]
    assert len(new) == 1, [e.what for e in new]
    assert new[0].what == "read: treatment plan", new[0].what
    # The page names the client the record belongs to, or answers not found.
    other = browser.get(f"/workspace/records/{record_id}/amend?client={web.other_client}")
    assert other.status_code == 404


def test_bad_input_comes_back_naming_the_field_and_nothing_is_stored(web: World) -> None:
    browser = page_browser(web, web.clinician)
    before = _entries(web, web.client)
    path = f"/workspace/clients/{web.client}/notes/new"
    empty = form_post(browser, path, path, {"category": "progress_note", "text": "   "})
    assert empty.status_code == 422  # type: ignore[attr-defined]
    html = empty.text  # type: ignore[attr-defined]
    assert 'id="text-problem"' in html
    assert 'aria-describedby="text-problem"' in html
    assert 'role="alert"' in html
    typed = f"Synthetic kept text {secrets.token_hex(4)}."
    unknown = form_post(browser, path, path, {"category": "dreams", "text": typed})
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert 'id="category-problem"' in unknown.text  # type: ignore[attr-defined]
    assert typed in unknown.text  # type: ignore[attr-defined]  # what was typed, kept
    assert _entries(web, web.client) == before


# Exception disclosures ---------------------------------------------------------------------------


def _ground_form(browser: TestClient, client_id: str, ground: str) -> Response:
    """The form for ``ground``, as the choice page's Continue button posts for it."""
    choice = browser.get(f"/workspace/clients/{client_id}/disclosures/new")
    return browser.post(
        f"/workspace/clients/{client_id}/disclosures/choose",
        data={"ground": ground, "csrf_token": csrf_of(choice.text)},
    )


def test_a_duty_to_warn_opened_through_the_form_reaches_the_supervisors_queue(
    web: World, outside: Outside
) -> None:
    browser = page_browser(web, web.clinician)
    choice = browser.get(f"/workspace/clients/{web.client}/disclosures/new")
    assert choice.status_code == 200
    for ground in ("imminent_risk_self", "imminent_risk_others", "abuse_neglect", "court_order"):
        assert f'value="{ground}"' in choice.text
    page = f"/workspace/clients/{web.client}/disclosures/new"
    form = _ground_form(browser, web.client, "imminent_risk_others")
    assert "ground=" not in str(form.url)  # the ground never reaches a URL (browser history)
    assert 'value="potential_victim"' in form.text
    assert 'value="progress_note"' not in form.text  # beyond the minimum necessary: not offered
    answer = form_post(
        browser,
        page,
        f"/workspace/clients/{web.client}/disclosures/new",
        {
            "ground": "imminent_risk_others",
            "recipient_id": outside.police,
            "recipient_kind": "law_enforcement",
            "categories": ["demographics", "risk_assessment"],  # type: ignore[dict-item]
            "justification": JUSTIFICATION,
            "next": "submit",
        },
    )
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    location = answer.headers["location"]  # type: ignore[attr-defined]
    found = re.fullmatch(r"/workspace/disclosures/([\w.:-]+)\?done=submitted", location)
    assert found is not None, location
    request_id = found.group(1)
    shown = browser.get(location)
    assert shown.status_code == 200
    assert "Waiting for approval" in shown.text
    assert "never the person who opened it" in shown.text
    assert JUSTIFICATION in shown.text

    queue = web.sign_in(web.supervisor).get("/api/v1/disclosures/queue").json()
    flags = [i["flags"] for i in queue["items"] if i["request_id"] == request_id]
    assert flags == [["awaiting_approval"]]


def test_each_ground_has_the_form_it_needs(web: World, outside: Outside) -> None:
    browser = page_browser(web, web.clinician)
    base = f"/workspace/clients/{web.client}/disclosures/new"
    abuse = _ground_form(browser, web.client, "abuse_neglect").text
    assert 'name="victim_kind"' in abuse
    assert 'name="suspected_at"' in abuse
    assert 'name="court"' not in abuse
    order = _ground_form(browser, web.client, "court_order").text
    for field in ("court", "case_number", "issued_on", "issued_by", "scope", "order_categories"):
        assert f'name="{field}"' in order, field
    assert 'name="victim_kind"' not in order
    unknown = _ground_form(browser, web.client, "no_such_ground")
    assert unknown.status_code == 422
    assert "Choose one of the grounds listed." in unknown.text
    # A court order is the privacy officer's: a clinician's is refused as a whole.
    refused = form_post(
        browser,
        base,
        base,
        {
            "ground": "court_order",
            "recipient_id": outside.police,
            "recipient_kind": "court",
            "categories": ["diagnosis"],  # type: ignore[dict-item]
            "justification": JUSTIFICATION,
            "court": "Synthetic County Court",
            "case_number": "SYN-0001",
            "issued_on": "2026-02-20",
            "issued_by": "Judge Placeholder",
            "scope": "diagnoses only",
            "order_categories": ["diagnosis"],  # type: ignore[dict-item]
        },
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "answered by the privacy officer" in refused.text  # type: ignore[attr-defined]


def test_a_disclosure_beyond_the_minimum_necessary_is_refused_by_field(
    web: World, outside: Outside
) -> None:
    browser = page_browser(web, web.clinician)
    page = f"/workspace/clients/{web.client}/disclosures/new"
    answer = form_post(
        browser,
        page,
        f"/workspace/clients/{web.client}/disclosures/new",
        {
            "ground": "imminent_risk_others",
            "recipient_id": outside.police,
            "recipient_kind": "law_enforcement",
            "categories": ["progress_note"],  # type: ignore[dict-item]
            "justification": JUSTIFICATION,
        },
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert 'id="categories-problem"' in html
    assert "minimum necessary" in html
    assert JUSTIFICATION in html  # what was typed, kept


def test_break_the_glass_needs_a_justification_then_shows_the_review_owed(
    web: World, outside: Outside
) -> None:
    browser = page_browser(web, web.clinician)
    path = f"/workspace/clients/{web.client}/break-glass"
    form = browser.get(path)
    assert "emergency only" in form.text.lower()
    data = {
        "ground": "imminent_risk_self",
        "recipient_id": outside.ems,
        "recipient_kind": "emergency_services",
        "categories": ["risk_assessment"],
    }
    refused = browser.post(path, data={**data, "csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422
    assert 'id="justification-problem"' in refused.text

    answer = browser.post(
        path, data={**data, "justification": JUSTIFICATION, "csrf_token": csrf_of(form.text)}
    )
    # The package exists only in this answer: the page hands it over, with its digests.
    assert answer.status_code == 200, answer.text
    assert "data:application/pdf;base64," in answer.text
    pdf = base64.b64decode(answer.text.split("data:application/pdf;base64,")[1].split('"')[0])
    assert pdf.startswith(b"%PDF")
    digest = answer.text.split('id="pdf-sha256">')[1].split("<")[0]
    assert hashlib.sha256(pdf).hexdigest() == digest
    location = answer.text.split("\">the request's page")[0].rsplit('href="', 1)[1]
    assert location.startswith("/workspace/disclosures/")
    shown = browser.get(location).text
    assert "A review is owed" in shown
    assert "emergency access open until" in shown
    assert "risk assessments" in shown
