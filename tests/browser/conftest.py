"""Browser fixtures: the served demo practice and Debian's chromium under Playwright.

Without chromium the tests skip and say how to install it, except under CI (CI=true), where
a missing browser fails the run: CI must run the browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.demo_server import Demo, chromium_path, served_demo


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make browser` installs it from Debian")
        pytest.skip("chromium is missing: `make browser` (or apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo practice, served on 127.0.0.1 for the whole browser test session."""
    with served_demo(tmp_path_factory.mktemp("browser")) as served:
        yield served


@pytest.fixture(scope="session")
def people(demo: Demo, chromium: Browser) -> Iterator[dict[str, Page]]:
    """One signed-in page per demonstration account, made on first use and kept (each time
    step of an authenticator code is accepted once, so signing in again costs up to 30 s)."""
    pages: dict[str, Page] = {}

    class Pages(dict[str, Page]):
        def __missing__(self, name: str) -> Page:
            page = demo.sign_in(chromium, name)
            self[name] = page
            return page

    signed = Pages()
    yield signed
    for page in list(signed.values()) + list(pages.values()):
        page.context.close()
