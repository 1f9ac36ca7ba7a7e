"""Screenshots of the main pages of the demo practice, for the README: ``make screenshots``.

Serves a fresh demo practice, signs in as the demonstration accounts in Debian's chromium and
saves one PNG per page into the directory given (``docs/screenshots``). Only synthetic data
appears in them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.demo_server import (
    DESK,
    PHONE,
    Demo,
    choose_ground,
    chromium_path,
    served_demo,
)

CLIENT = "client-demo-001"
RECORD = f"/workspace/clients/{CLIENT}"

# (file name, account, path, viewport)
SHOTS: tuple[tuple[str, str, str, dict[str, int]], ...] = (
    ("sign-in", "", "/sign-in", DESK),
    ("portal-overview", CLIENT, "/portal", PHONE),
    ("portal-consents", CLIENT, "/portal/consents", DESK),
    ("portal-new-consent", CLIENT, "/portal/consents/new", DESK),
    ("portal-access-history", CLIENT, "/portal/access", DESK),
    ("portal-accounting", CLIENT, "/portal/accounting", DESK),
    ("workspace-caseload", "clin-a", "/workspace", DESK),
    ("workspace-record", "clin-a", RECORD, DESK),
    ("workspace-psychotherapy-notes", "clin-a", f"{RECORD}/psychotherapy-notes", DESK),
    ("workspace-warn", "clin-a", "", DESK),  # the duty-to-warn form, chosen on the way
    ("workspace-request", "clin-a", "", DESK),  # the request the warning form opened
    ("office-approval", "super-001", "/office", DESK),
    ("office-request", "super-001", "", DESK),  # the request, as its approver sees it
    ("office-queue", "privacy-001", "/office", DESK),
    ("office-audit", "privacy-001", "/office/audit", DESK),
)  # fmt: skip


def take(demo: Demo, out: Path) -> list[Path]:
    """Sign in once per account and save every shot; returns the files written."""
    path = chromium_path()
    if path is None:
        raise SystemExit("chromium is missing: run `make browser` first")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        pages: dict[tuple[str, int], Page] = {}
        for name, account, url, viewport in SHOTS:
            key = (account, viewport["width"])
            if key not in pages:
                if account:
                    pages[key] = demo.sign_in(browser, account, viewport=viewport)
                else:
                    pages[key] = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
            page = pages[key]
            if name == "workspace-warn":
                choose_ground(page, demo.base, CLIENT, "imminent_risk_others")
            elif name == "workspace-request":
                _open_duty_to_warn(page)
            elif name == "office-request":
                page.locator("a[href^='/office/disclosures/']").first.click()
            else:
                page.goto(f"{demo.base}{url}")
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def _open_duty_to_warn(page: Page) -> None:
    """Fill in the duty-to-warn form the page shows and send it for approval."""
    page.get_by_label("Recipient", exact=True).fill("ext-police")
    page.locator("#kind-law_enforcement").check()
    page.locator("#cat-risk_assessment").check()
    page.get_by_label("Justification").fill(
        "Synthetic reason: a stated intent toward a named neighbour this week."
    )
    page.get_by_role("button", name="Open the request").click()


def main(argv: list[str]) -> None:
    """Take the screenshots into ``argv[0]`` (default docs/screenshots)."""
    out = Path(argv[0] if argv else "docs/screenshots")
    with tempfile.TemporaryDirectory() as root, served_demo(Path(root)) as demo:
        for written in take(demo, out):
            print(written)  # noqa: T201 - the script's output is the list of files


if __name__ == "__main__":
    main(sys.argv[1:])
