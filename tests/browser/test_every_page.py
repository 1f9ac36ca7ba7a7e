"""Every page, as the person it is for, in chromium: axe-core finds no serious or critical
violation, the title names the page and nothing clinical, and the session timeout warning
works. A phone-sized window is checked for the client portal (clients use phones most)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.accessibility import blocking_violations
from tests.browser.demo_server import PHONE, Demo, choose_ground

CLIENT = "client-demo-001"
RECORD = f"/workspace/clients/{CLIENT}"

PAGES: tuple[tuple[str, str], ...] = (
    ("client-demo-001", "/portal"),
    ("client-demo-001", "/portal/notice"),
    ("client-demo-001", "/portal/consents"),
    ("client-demo-001", "/portal/consents/new"),
    ("client-demo-001", "/portal/consents/consent-demo-insurer/narrow"),
    ("client-demo-001", "/portal/access"),
    ("client-demo-001", "/portal/accounting"),
    ("client-demo-001", "/portal/record"),
    ("client-demo-001", "/account"),
    ("clin-a", "/workspace"),
    ("clin-a", RECORD),
    ("clin-a", f"{RECORD}/psychotherapy-notes"),
    ("clin-a", f"{RECORD}/notes/new"),
    ("clin-a", f"{RECORD}/disclosures/new"),
    ("clin-a", f"{RECORD}/break-glass"),
    ("clin-a", "/office"),
    ("privacy-001", "/office"),
    ("privacy-001", "/office/audit"),
    ("privacy-001", "/office/rules"),
    ("privacy-001", "/office/accounts"),
    ("clin-a", "/enrol"),
    ("super-001", "/office"),
    ("admin-001", "/office/audit"),
    ("desk-001", "/account"),
    ("clin-a", "/no-such-page"),
)
CLINICAL_WORDS = ("diagnos", "substance", "psychotherapy", "risk", CLIENT)


@pytest.mark.parametrize(("person", "path"), PAGES, ids=[f"{p}:{u}" for p, u in PAGES])
def test_the_page_is_accessible_and_its_title_says_nothing_clinical(
    demo: Demo, people: dict[str, Page], person: str, path: str
) -> None:
    page = people[person]
    page.goto(f"{demo.base}{path}")
    assert page.locator("h1").count() == 1, path
    title = page.title().lower()
    assert title.endswith("· confide")
    assert not any(word in title for word in CLINICAL_WORDS), title
    assert blocking_violations(page) == [], path


GROUNDS = (
    ("clin-a", "imminent_risk_self"),
    ("clin-a", "imminent_risk_others"),
    ("clin-a", "abuse_neglect"),
    ("privacy-001", "court_order"),
)


@pytest.mark.parametrize(("person", "ground"), GROUNDS, ids=[g for _, g in GROUNDS])
def test_each_grounds_form_is_accessible_and_keeps_the_ground_out_of_the_url(
    demo: Demo, people: dict[str, Page], person: str, ground: str
) -> None:
    page = people[person]
    choose_ground(page, demo.base, CLIENT, ground)
    expect(page.get_by_role("button", name="Open the request")).to_be_visible()
    assert ground not in page.url
    assert blocking_violations(page) == []


def test_a_correction_form_is_accessible(demo: Demo, people: dict[str, Page]) -> None:
    page = people["clin-a"]
    page.goto(f"{demo.base}{RECORD}")
    page.get_by_role("link", name="Correct this entry").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert blocking_violations(page) == []


def test_a_refused_form_is_accessible(demo: Demo, people: dict[str, Page]) -> None:
    page = people["clin-a"]
    choose_ground(page, demo.base, CLIENT, "imminent_risk_others")
    page.get_by_role("button", name="Open the request").click()
    expect(page.locator(".field-problem").first).to_be_visible()
    assert blocking_violations(page) == []


@pytest.mark.parametrize("path", ["/portal", "/portal/consents", "/portal/access"])
def test_the_portal_fits_a_phone(demo: Demo, chromium: Browser, path: str) -> None:
    page = _phone_client(demo, chromium)
    page.goto(f"{demo.base}{path}")
    assert blocking_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"


_PHONE_PAGE: dict[str, Page] = {}


def _phone_client(demo: Demo, chromium: Browser) -> Page:
    if "page" not in _PHONE_PAGE:
        _PHONE_PAGE["page"] = demo.sign_in(chromium, CLIENT, viewport=PHONE)
    return _PHONE_PAGE["page"]


def test_the_session_timeout_is_announced_and_can_be_put_off(
    demo: Demo, people: dict[str, Page]
) -> None:
    page = people["clin-a"]
    page.clock.install()
    page.goto(f"{demo.base}/workspace")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_hidden()
    page.clock.run_for("13:30")  # two minutes before 15 idle minutes end the session
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("you will be signed out")
    assert blocking_violations(page) == []
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    page.clock.run_for("10:00")
    expect(dialog).to_be_hidden()  # the countdown started again
    page.goto(f"{demo.base}/workspace")
    assert page.url.endswith("/workspace")


def test_a_break_the_glass_form_is_sent_once(demo: Demo, people: dict[str, Page]) -> None:
    clinician = people["clin-a"]
    clinician.goto(f"{demo.base}{RECORD}/break-glass")
    clinician.get_by_label("Justification (required)").fill("Synthetic: an emergency, once.")
    sent = clinician.evaluate(
        """() => {
            // Count the submits the page's own script lets through; send none anywhere.
            let sent = 0;
            window.addEventListener("submit", (e) => { if (!e.defaultPrevented) sent++;
                                                       e.preventDefault(); });
            const form = document.querySelector("form[action$='/break-glass']");
            form.requestSubmit();
            form.requestSubmit();
            return sent;
        }"""
    )
    assert sent == 1
    button = clinician.get_by_role("button", name="Break the glass and release now")
    assert button.get_attribute("aria-disabled") == "true"
