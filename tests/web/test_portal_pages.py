"""The client portal: the notice, consents (give, narrow, revoke, preview), who saw my record,
the accounting of disclosures and the own-record download, each through the pages as a client
would use them, and never another client's."""

from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta
from typing import Any

from pypdf import PdfReader

from confide.domain import (
    Actor,
    Category,
    Consent,
    NoticeVersion,
    Organisation,
    Period,
    Purpose,
    Role,
)
from confide.services import clients, consents, history, practice
from confide.web.notice_text import notice_blocks
from tests.api.world import TestClient, World
from tests.web.conftest import csrf_of, page_browser

Form = dict[str, str | list[str]]


def _post(browser: TestClient, page_path: str, action: str, data: Form) -> Any:
    """Open ``page_path``, then post ``data`` (lists for checkboxes) with its CSRF token."""
    page = browser.get(page_path)
    assert page.status_code == 200, page.text
    return browser.post(action, data={**data, "csrf_token": csrf_of(page.text)})


def _day(world: World, days: int) -> str:
    return (world.clock.now() + timedelta(days=days)).date().isoformat()


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _consent(
    world: World, recipient: str, categories: set[Category], purposes: set[Purpose]
) -> str:
    """A consent of ``world.client`` to ``recipient``, given through the service."""
    consent = Consent(
        f"consent-{secrets.token_hex(6)}", world.client, recipient, frozenset(categories),
        frozenset(purposes), Period(world.clock.now() - timedelta(minutes=1)),
    )  # fmt: skip
    return consents.grant_consent(world.deps, consent, by=world.client).id


def test_the_overview_asks_for_the_notice_until_it_is_acknowledged(web: World) -> None:
    browser = page_browser(web, web.client)
    version = f"v-{secrets.token_hex(3)}"
    practice.publish_notice(
        web.deps, NoticeVersion(version, web.clock.now() - timedelta(minutes=1)), by=web.officer
    )
    overview = browser.get("/portal")
    assert overview.status_code == 200
    assert "Please read the confidentiality notice" in overview.text
    assert 'href="/portal/notice"' in overview.text
    now = web.clock.now()
    active = [
        c for c in clients.consents_of(web.deps, web.client, by=web.client)
        if c.in_force_at(now)
    ]  # fmt: skip
    counted = "1 consent of yours is in force." if len(active) == 1 else f"{len(active)} consents"
    assert counted in overview.text
    notice = browser.get("/portal/notice")
    assert "I have read and understood this notice" in notice.text
    assert "<h2>What stays private, and when it cannot</h2>" in notice.text
    assert "<strong>If a court orders it.</strong>" in notice.text

    answer = _post(browser, "/portal/notice", "/portal/notice", {"version": version})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/notice?done=acknowledged"
    shown = browser.get(answer.headers["location"]).text
    assert "Your acknowledgment of the notice is recorded" in shown
    assert "I have read and understood this notice" not in shown
    assert "Please read the confidentiality notice" not in browser.get("/portal").text
    assert "You have acknowledged this version" in browser.get("/portal/notice").text


def test_the_notice_is_rendered_from_its_text_without_raw_html() -> None:
    blocks = notice_blocks("# Title\n\nOne <b>line</b>\ncontinued.\n\n1. **First** item\n   more\n")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "ordered"]
    assert blocks[1].spans[0][0].text == "One <b>line</b> continued."
    first = blocks[2].spans[0]
    assert (first[0].text, first[0].strong, first[1].text) == ("First", True, " item more")


def test_my_consents_says_in_plain_words_who_may_see_what(web: World) -> None:
    page = page_browser(web, web.client).get("/portal/consents")
    assert page.status_code == 200
    assert "<title>My consents · confide</title>" in page.text
    start = (web.clock.now() - timedelta(days=1)).date().isoformat()
    sentence = f"Lets {web.outsider} see your progress notes for treatment from {start}"
    assert f"{sentence} until you revoke it." in page.text
    assert f"/portal/consents/consent-{web.client}/revoke" in page.text
    assert "Are you sure?" in page.text


def test_a_client_without_consents_is_told_so(web: World) -> None:
    page = page_browser(web, web.other_client).get("/portal/consents")
    assert "You have not given any consents." in page.text
    assert web.client not in page.text.replace(web.other_client, "")


def test_giving_a_consent_through_the_form(web: World) -> None:
    browser = page_browser(web, web.client)
    form: Form = {
        "recipient": web.other, "effect": "permit", "categories": ["appointments", "billing"],
        "purposes": ["HPAYMT"], "starts_on": "", "ends_on": _day(web, 90),
    }  # fmt: skip

    answer = _post(browser, "/portal/consents/new", "/portal/consents/new", form)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal/consents?done=given"
    page = browser.get(answer.headers["location"]).text
    assert "Your consent is recorded" in page
    assert f"Lets {web.other} see your appointments and billing for payment from" in page
    assert f"until the end of {_day(web, 90)}." in page
    given = [
        c for c in clients.consents_of(web.deps, web.client, by=web.client)
        if c.recipient_id == web.other and c.purposes == {Purpose.HPAYMT}
    ]  # fmt: skip
    assert len(given) == 1
    assert given[0].categories == {Category.APPOINTMENTS, Category.BILLING}


def test_a_refusal_reads_as_a_refusal(web: World) -> None:
    browser = page_browser(web, web.client)
    form: Form = {
        "recipient": web.colleague, "effect": "deny", "categories": ["substance_use"],
        "purposes": ["TREAT"],
    }  # fmt: skip
    answer = _post(browser, "/portal/consents/new", "/portal/consents/new", form)
    assert answer.status_code == 303, answer.text
    page = browser.get("/portal/consents").text
    assert f"Refuses to let {web.colleague} see your substance-use records for treatment" in page


def test_bad_consent_input_names_the_field_and_stores_nothing(web: World) -> None:
    browser = page_browser(web, web.client)
    before = len(clients.consents_of(web.deps, web.client, by=web.client))
    good: Form = {
        "recipient": web.other, "effect": "permit", "categories": ["diagnosis"],
        "purposes": ["COC"], "starts_on": _day(web, 10), "ends_on": _day(web, 20),
    }  # fmt: skip
    cases: list[tuple[Form, str]] = [
        ({**good, "ends_on": _day(web, 5)}, "ends_on"),
        ({**good, "categories": []}, "categories"),
        ({**good, "purposes": []}, "purposes"),
        ({**good, "recipient": "nobody-on-file-here"}, "recipient"),
        ({**good, "categories": ["diagnosis", "psychotherapy_note"]}, "categories"),
        ({**good, "starts_on": "2001-01-01"}, "starts_on"),
    ]
    for form, field in cases:
        answer = _post(browser, "/portal/consents/new", "/portal/consents/new", form)
        assert answer.status_code == 422, (field, answer.text)
        assert f'<p class="field-problem" id="{field}-problem">' in answer.text, field
        assert f'aria-describedby="{field}-problem"' in answer.text or (
            f'{field}-hint {field}-problem"' in answer.text
        ), field
        assert 'role="alert"' in answer.text
        assert f'value="{form["recipient"]}"' in answer.text  # what was typed stays in its field
        assert "<title>Give a consent · confide</title>" in answer.text
    assert len(clients.consents_of(web.deps, web.client, by=web.client)) == before


def test_the_preview_says_exactly_who_may_see_what_until_when(web: World) -> None:
    browser = page_browser(web, web.client)
    form: Form = {
        "recipient": web.other, "effect": "permit", "categories": ["diagnosis", "appointments"],
        "purposes": ["COC"], "ends_on": _day(web, 30),
    }  # fmt: skip

    answer = _post(browser, "/portal/consents/new", "/portal/consents/preview", form)

    assert answer.status_code == 200
    assert "<html" not in answer.text  # a fragment for the preview box
    assert (
        f"<strong>{web.other}</strong> will be able to see your appointments and diagnoses, "
        f"for coordination of care only, from now until the end of {_day(web, 30)}."
    ) in answer.text
    refusal = _post(
        browser, "/portal/consents/new", "/portal/consents/preview",
        {**form, "effect": "deny", "ends_on": ""},
    )  # fmt: skip
    assert "will not be able to see your appointments and diagnoses" in refusal.text
    assert "until you revoke it" in refusal.text
    mixed = _post(
        browser, "/portal/consents/new", "/portal/consents/preview",
        {**form, "categories": ["diagnosis", "psychotherapy_note"]},
    )  # fmt: skip
    assert "will be able to see" not in mixed.text
    assert "please complete: Which parts of your record." in mixed.text
    missing = _post(browser, "/portal/consents/new", "/portal/consents/preview", {"recipient": ""})
    assert "please complete: Who, Which parts of your record, For what" in missing.text
    page = browser.get("/portal/consents/new").text
    assert 'hx-post="/portal/consents/preview"' in page
    assert 'hx-target="#consent-preview"' in page
    assert "42 CFR Part 2" in page
    assert "164.508(a)(2)" in page


def test_narrowing_a_consent_replaces_it_with_a_narrower_one(web: World) -> None:
    browser = page_browser(web, web.client)
    consent_id = _consent(
        web, web.other, {Category.DIAGNOSIS, Category.MEDICATION}, {Purpose.TREAT, Purpose.COC}
    )
    page = f"/portal/consents/{consent_id}/narrow"
    assert browser.get(page).status_code == 200
    form: Form = {"categories": ["medication"], "purposes": ["COC"], "ends_on": _day(web, 60)}

    answer = _post(browser, page, page, form)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal/consents?done=narrowed"
    shown = browser.get("/portal/consents").text
    assert f"Lets {web.other} see your medication for coordination of care from" in shown
    assert f"until the end of {_day(web, 60)}." in shown
    assert "Replaced by a narrower consent on" in shown
    old = clients.consent_of(web.deps, consent_id, by=web.client)
    assert old.revoked_at is not None


def test_narrowing_refuses_what_is_not_narrower(web: World) -> None:
    browser = page_browser(web, web.client)
    consent_id = _consent(web, web.other, {Category.ASSESSMENT}, {Purpose.TREAT})
    page = f"/portal/consents/{consent_id}/narrow"
    for form, field in (
        ({"categories": [], "purposes": ["TREAT"]}, "categories"),
        ({"categories": ["assessment", "diagnosis"], "purposes": ["TREAT"]}, "categories"),
        ({"categories": ["assessment"], "purposes": ["TREAT"], "ends_on": "2001-01-01"}, "ends_on"),
    ):
        answer = _post(browser, page, page, form)
        assert answer.status_code == 422, field
        assert f'id="{field}-problem"' in answer.text, field
    unchanged = _post(browser, page, page, {"categories": ["assessment"], "purposes": ["TREAT"]})
    assert unchanged.status_code == 422
    assert "Nothing was changed" in unchanged.text
    assert clients.consent_of(web.deps, consent_id, by=web.client).revoked_at is None


def test_another_client_cannot_see_or_change_my_consents(web: World) -> None:
    other = page_browser(web, web.other_client)
    mine = f"consent-{web.client}"
    theirs = other.get(f"/portal/consents/{mine}/narrow")
    nothing = other.get("/portal/consents/consent-no-such-one/narrow")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.text == nothing.text
    token = csrf_of(other.get("/portal/consents").text)
    revoked = other.post(f"/portal/consents/{mine}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 404
    narrowed = other.post(
        f"/portal/consents/{mine}/narrow",
        data={"categories": "progress_note", "purposes": "TREAT", "csrf_token": token},
    )
    assert narrowed.status_code == 404
    assert mine not in other.get("/portal/consents").text
    assert clients.consent_of(web.deps, mine, by=web.client).revoked_at is None


def test_the_portal_is_for_clients_only(web: World) -> None:
    clinician = page_browser(web, web.clinician)
    for path in ("/portal", "/portal/consents", "/portal/access", "/portal/record.pdf"):
        assert clinician.get(path).status_code == 404, path


def test_who_saw_my_record_lists_accesses_and_filters_by_outcome(web: World) -> None:
    colleague = web.sign_in(web.colleague)  # no relationship with the client: refused
    refused = colleague.get(f"/api/v1/clients/{web.client}/records")
    assert refused.status_code == 404
    browser = page_browser(web, web.client)

    page = browser.get("/portal/access")

    assert page.status_code == 200
    assert '<th scope="col">When</th>' in page.text
    assert "checks out" in page.text
    assert f"{web.colleague} (" in page.text
    assert '<span class="tag bad">Refused</span>' in page.text
    assert '<span class="tag good">Allowed</span>' in page.text
    only_refused = browser.get("/portal/access?outcome=refused").text
    assert '<span class="tag bad">Refused</span>' in only_refused
    assert "tag good" not in only_refused
    only_allowed = browser.get("/portal/access?outcome=allowed").text
    assert "tag bad" not in only_allowed
    tomorrow = _day(web, 1)
    assert "matches these filters" in browser.get(f"/portal/access?from={tomorrow}").text
    bad = browser.get("/portal/access?from=yesterday")
    assert bad.status_code == 422
    assert 'id="from-problem"' in bad.text


def test_who_saw_my_record_pages_fifty_at_a_time(web: World) -> None:
    browser = page_browser(web, web.client)
    for _ in range(55):
        clients.consents_of(web.deps, web.client, by=web.client)
    expected = len(history.access_history(web.deps, client_id=web.client, by=web.client).entries)
    expected += 1  # that look at the history is itself on the log

    seen = 0
    path: str | None = "/portal/access"
    pages = 0
    while path is not None:
        page = browser.get(path)
        assert page.status_code == 200
        rows = page.text.count('<th scope="row">')
        assert rows <= 50
        seen += rows
        pages += 1
        older = re.search(r'<a href="([^"]+)" rel="next">Older</a>', page.text)
        path = None if older is None else older.group(1).replace("&amp;", "&")
        assert path is None or rows == 50
    assert pages >= 2
    assert seen == expected
    assert browser.get("/portal/access?cursor=bm90LWEtY3Vyc29y").status_code == 422


def test_my_accounting_of_disclosures_and_its_pdf(web: World) -> None:
    tag = secrets.token_hex(3)
    ems_org, ems = f"org-ems-{tag}", f"ems-{tag}"
    practice.add_organisation(web.deps, Organisation(ems_org, f"ems {tag}"), by=web.officer)
    practice.add_actor(web.deps, Actor(ems, Role.RECIPIENT, ems_org), by=web.officer)
    clinician = web.sign_in(web.clinician)
    emergency = {
        "ground": "imminent_risk_self", "recipient_id": ems,
        "recipient_kind": "emergency_services", "categories": ["demographics", "risk_assessment"],
        "justification": "Synthetic reason: a stated intent this evening.",
    }  # fmt: skip
    released = clinician.post(
        f"/api/v1/clients/{web.client}/disclosures/break-glass", json=emergency
    )
    assert released.status_code == 201, released.text
    browser = page_browser(web, web.client)

    page = browser.get("/portal/accounting")

    assert page.status_code == 200
    assert '<th scope="col">Disclosed to</th>' in page.text
    assert f"{ems} (" in page.text
    assert "break-the-glass" in page.text
    assert "164.528(a)(1)" in page.text
    pdf = browser.get("/portal/accounting.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition == 'attachment; filename="accounting-of-disclosures.pdf"'
    assert web.client not in disposition
    assert ems in _pdf_text(pdf.content)


def test_no_disclosures_is_said_in_plain_words(web: World) -> None:
    page = page_browser(web, web.other_client).get("/portal/accounting")
    assert "There are no disclosures of your record to account for" in page.text


def test_my_own_record_pdf_holds_my_record_but_not_psychotherapy_notes(web: World) -> None:
    browser = page_browser(web, web.client)
    page = browser.get("/portal/record")
    assert "164.524(a)(1)(i)" in page.text
    assert 'href="/portal/record.pdf"' in page.text
    assert 'href="/portal/record"' in page.text  # in the navigation

    pdf = browser.get("/portal/record.pdf")

    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="my-record.pdf"'
    text = _pdf_text(pdf.content)
    assert web.notes["progress_note"] in text
    assert web.notes["diagnosis"] in text
    assert web.notes["psychotherapy_note"] not in text
    assert text.count("CONFIDENTIAL") >= 2
    seen = history.access_history(web.deps, client_id=web.client, by=web.client).entries
    assert any(e.action == "read" and e.actor_id == web.client for e in seen)


def test_revoking_takes_effect_at_once(web: World) -> None:
    outsider = web.sign_in(web.outsider)
    records = f"/api/v1/clients/{web.client}/records?category=progress_note"
    assert outsider.get(records).status_code == 200
    browser = page_browser(web, web.client)
    consent_id = f"consent-{web.client}"

    answer = _post(browser, "/portal/consents", f"/portal/consents/{consent_id}/revoke", {})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/consents?done=revoked"
    page = browser.get(answer.headers["location"]).text
    assert "Your consent is revoked" in page
    ended = page.split('id="ended"', 1)[1]
    assert f"Let {web.outsider} see your progress notes for treatment" in ended
    assert "Revoked on" in ended
    assert f"/portal/consents/{consent_id}/revoke" not in page
    assert outsider.get(records).status_code == 404


def test_a_consent_for_every_purpose_says_any_purpose() -> None:
    from confide.domain import Purpose
    from confide.web.consent_words import purpose_words

    assert purpose_words(frozenset(Purpose)) == "any purpose"
    assert purpose_words(frozenset({Purpose.COC})) == "coordination of care"


def test_the_consent_form_offers_the_recipients_on_file_and_no_client(web: World) -> None:
    page = page_browser(web, web.client).get("/portal/consents/new").text
    assert f'<option value="{web.other}">' in page  # an organisation on file
    assert f'value="{web.other_client}"' not in page  # another client is never offered
    assert f'value="{web.clinician}"' not in page  # nor the practice's own people
