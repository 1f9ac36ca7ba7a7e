"""The README's main command in miniature, for the browser tests and the screenshots: a demo
practice in a fresh data directory, served by ``confide serve`` on 127.0.0.1, and Debian's
chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp
from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
# A phone-sized and a desk-sized window: the pages must work on both.
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    """Debian's chromium, if installed (``make browser`` installs it)."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    """A served demo practice: its address, data directory and demonstration accounts."""

    base: str
    data_dir: Path
    logins: dict[str, dict[str, str | None]]
    server: subprocess.Popen[str]
    last_step: dict[str, int] = field(default_factory=dict)

    def code(self, name: str) -> str:
        """The authenticator's code for ``name``, waiting for a fresh time step if this one was
        already used (each step is accepted once)."""
        secret = self.logins[name]["totp_secret"]
        if secret is None:
            return ""
        totp = pyotp.TOTP(secret)
        step = int(time.time()) // 30
        if self.last_step.get(name) == step:
            time.sleep(30 - time.time() % 30 + 0.5)
            step = int(time.time()) // 30
        self.last_step[name] = step
        return totp.now()

    def sign_in(self, browser: Browser, name: str, viewport: dict[str, int] = DESK) -> Page:
        """A new browser context signed in as ``name`` through the sign-in page."""
        context: BrowserContext = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(f"{self.base}/sign-in")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(str(self.logins[name]["password"]))
        page.get_by_label("Authenticator code").fill(self.code(name))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert "/sign-in" not in page.url, f"{name} was not signed in: {page.url}"
        return page


def choose_ground(page: Page, base: str, client_id: str, ground: str) -> None:
    """Open the exception-disclosure form for ``ground`` as a person does: the choice page,
    the ground's radio button, Continue (a post: the ground never reaches a URL)."""
    page.goto(f"{base}/workspace/clients/{client_id}/disclosures/new")
    page.locator(f"#ground-{ground}").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def _run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "confide", *args],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip


@contextmanager
def served_demo(root: Path) -> Iterator[Demo]:
    """``confide demo`` then ``confide serve`` over ``root``/confide-data; stopped after."""
    data_dir = root / "confide-data"
    env = {**os.environ, "CONFIDE_DATA_DIR": str(data_dir), "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("CONFIDE_KEK", None)
    _run(["demo", "--clients", "5", "--notes-per-client", "2"], env)
    logins = {
        x["name"]: x
        for x in json.loads((data_dir / "demo-logins.json").read_text(encoding="utf-8"))
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "confide", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/sign-in", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("confide serve did not answer within 60 s")
            time.sleep(0.2)
        yield Demo(base, data_dir, logins, server)
    finally:
        server.terminate()
        server.communicate(timeout=30)
