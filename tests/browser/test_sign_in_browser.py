"""Signing in and out in a real browser, on a desk and on a phone."""

from __future__ import annotations

import pyotp
from playwright.sync_api import Browser, Page

from tests.browser.accessibility import blocking_violations
from tests.browser.demo_server import PHONE, Demo


def test_the_sign_in_page_is_accessible(demo: Demo, chromium: Browser) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{demo.base}/sign-in")
    assert page.title() == "Sign in · confide"
    assert blocking_violations(page) == []
    context.close()


def test_a_wrong_password_is_refused_in_plain_words(demo: Demo, chromium: Browser) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{demo.base}/sign-in")
    page.get_by_label("Name").fill("clin-b")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_label("Authenticator code").fill("123456")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That name, password and code")
    assert [c["name"] for c in context.cookies()] == ["__Host-confide_csrf"]
    context.close()


def test_a_client_signs_in_on_a_phone_and_out_again(demo: Demo, chromium: Browser) -> None:
    page: Page = demo.sign_in(chromium, "client-demo-001", viewport=PHONE)
    assert page.url.endswith("/portal")
    assert blocking_violations(page) == []
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/sign-in?signed_out=1")
    assert page.get_by_role("status").inner_text() == "You are signed out."
    page.goto(f"{demo.base}/portal")
    assert "/sign-in" in page.url  # the session is over on the server too
    page.context.close()


def _luminance(rgb: str) -> float:
    """WCAG relative luminance of a CSS ``rgb(r, g, b)`` colour."""
    channels = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_headers_sign_out_and_name_can_be_read(demo: Demo, people: dict[str, Page]) -> None:
    # axe leaves text over a coloured header "to be reviewed"; this checks it (WCAG 1.4.3).
    page = people["clin-a"]
    page.goto(f"{demo.base}/workspace")
    header = page.evaluate("getComputedStyle(document.querySelector('.top')).backgroundColor")
    for selector in (".top .link-button", ".me-name", ".top nav a"):
        colour = page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).color")
        lighter, darker = sorted((_luminance(colour), _luminance(header)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, selector


def test_a_new_clinician_enrols_with_a_code_from_the_privacy_officer(
    demo: Demo, chromium: Browser, people: dict[str, Page]
) -> None:
    officer = people["privacy-001"]
    officer.goto(f"{demo.base}/office/accounts")
    officer.get_by_label("The person's id").fill("clin-b")
    officer.get_by_role("button", name="Issue an enrolment code").click()
    code = officer.locator("#enrolment-code").inner_text()
    assert code.startswith("enr_")
    assert blocking_violations(officer) == []

    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{demo.base}/sign-in")
    page.get_by_role("link", name="Set up your account").click()
    page.get_by_label("Name").fill("clin-b")
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name="Continue").click()
    secret = page.locator("input[name=totp_secret]").get_attribute("value")
    assert secret
    assert blocking_violations(page) == []
    page.get_by_label("2. The six digits your app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_label("3. Choose a password").fill("synthetic-amber-grove-falcon-64")
    page.get_by_role("button", name="Set up and sign in").click()
    page.wait_for_url("**/workspace")
    assert page.get_by_role("heading", level=1).inner_text() == "Caseload"
    context.close()
