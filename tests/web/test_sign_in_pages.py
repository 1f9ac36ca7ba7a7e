"""The sign-in page, sign-out, the start page by role, and errors as pages."""

from __future__ import annotations

from confide.api.security import SESSION_COOKIE
from tests.api.world import World
from tests.web.conftest import csrf_of, page_browser


def test_each_role_lands_on_its_start_page(web: World) -> None:
    for name, home in (
        (web.client, "/portal"),
        (web.clinician, "/workspace"),
        (web.supervisor, "/workspace"),
        (web.officer, "/workspace"),
        (web.admin, "/office/audit"),
        (web.staff, "/account"),
    ):
        browser = page_browser(web, name)
        assert browser.get("/").headers["location"] == home


def test_wrong_code_is_refused_with_the_same_words_as_a_wrong_password(web: World) -> None:
    browser = web.client_for()
    token = csrf_of(browser.get("/sign-in").text)
    wrong_code = browser.post(
        "/sign-in",
        data={"name": web.clinician, "password": "synthetic-harbor-lantern-quartz-42",
              "code": "000000", "csrf_token": token},
    )  # fmt: skip
    wrong_password = browser.post(
        "/sign-in",
        data={"name": "nobody-here", "password": "x", "code": "", "csrf_token": token},
    )
    assert wrong_code.status_code == wrong_password.status_code == 401
    assert "did not sign you in" in wrong_code.text
    assert wrong_code.text.replace(web.clinician, "") == wrong_password.text.replace(
        "nobody-here", ""
    )
    assert SESSION_COOKIE not in browser.cookies


def test_pages_without_a_session_lead_to_sign_in(web: World) -> None:
    browser = web.client_for()
    browser.follow_redirects = False
    for path in ("/account", "/portal", "/workspace", "/office"):
        answer = browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/sign-in?expired=1"


def test_sign_out_ends_the_session(web: World) -> None:
    browser = page_browser(web, web.clinician)
    page = browser.get("/account")
    assert page.status_code == 200
    session = browser.cookies.get(SESSION_COOKIE)
    out = browser.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    browser.cookies.set(SESSION_COOKIE, session or "", domain="testserver.local")
    assert browser.get("/account").status_code == 303


def test_a_form_without_its_csrf_token_is_refused_as_a_page(web: World) -> None:
    browser = page_browser(web, web.clinician)
    answer = browser.post("/sign-out", data={})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "CSRF" in answer.text
    assert browser.get("/account").status_code == 200  # still signed in


def test_an_unknown_page_answers_not_found_as_a_page(web: World) -> None:
    browser = page_browser(web, web.clinician)
    answer = browser.get("/no-such-page")
    assert answer.status_code == 404
    assert "Not found, or you may not see it." in answer.text


def test_a_sign_in_without_the_forms_csrf_token_is_refused(web: World) -> None:
    browser = web.client_for()
    browser.follow_redirects = False
    browser.get("/sign-in")  # sets the CSRF cookie, as a browser would have it
    answer = browser.post(
        "/sign-in",
        data={"name": web.client, "password": "synthetic-harbor-lantern-quartz-42", "code": ""},
    )
    assert answer.status_code == 403
    assert "had expired" in answer.text
    assert SESSION_COOKIE not in browser.cookies


def test_a_csrf_cookie_this_deployment_did_not_sign_is_replaced(web: World) -> None:
    browser = page_browser(web, web.clinician)
    forged = 'stale.token"from-elsewhere'
    browser.cookies.set("__Host-confide_csrf", forged, domain="testserver.local")
    page = browser.get("/account")
    assert forged not in page.text
    fresh = csrf_of(page.text)
    assert fresh != forged
    assert f'"x-csrf-token": "{fresh}"' in page.text.replace("&#34;", '"')
    assert "__Host-confide_csrf=" in page.headers["set-cookie"]
    browser.cookies.set("__Host-confide_csrf", fresh, domain="testserver.local")
    assert browser.post("/sign-out", data={"csrf_token": fresh}).status_code == 303


def test_a_page_opened_without_a_session_cookie_leaves_the_browsers_cookie_alone(
    web: World,
) -> None:
    browser = web.client_for()
    browser.follow_redirects = False
    answer = browser.get("/workspace")  # as a link followed from another site arrives
    assert answer.status_code == 303
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_signed_in_page_signs_out_without_script_when_idle(web: World) -> None:
    page = page_browser(web, web.clinician).get("/account").text
    assert '<noscript><meta http-equiv="refresh" content="900;url=/sign-in?expired=1">' in page


def test_signing_in_on_the_page_ends_the_session_the_browser_held(web: World) -> None:
    browser = page_browser(web, web.client)
    held = browser.cookies.get(SESSION_COOKIE)
    page = browser.get("/sign-in")
    answer = browser.post(
        "/sign-in",
        data={"name": web.clinician, "password": "synthetic-harbor-lantern-quartz-42",
              "code": web.code(web.clinician) or "", "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert answer.status_code == 303
    assert browser.cookies.get(SESSION_COOKIE) != held
    stale = web.client_for()
    stale.follow_redirects = False
    stale.cookies.set(SESSION_COOKIE, held or "", domain="testserver.local")
    assert stale.get("/account").status_code == 303  # to sign-in: that session has ended
