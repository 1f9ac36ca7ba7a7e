"""axe-core (through axe-playwright-python) on a page: no serious or critical violations."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()
BLOCKING = ("serious", "critical")


def blocking_violations(page: Page) -> list[str]:
    """The serious and critical axe violations on ``page``, one line each (rule and target)."""
    results = _AXE.run(page)
    found: list[dict[str, Any]] = results.response.get("violations", [])
    lines = []
    for violation in found:
        if violation.get("impact") in BLOCKING:
            targets = [n.get("target") for n in violation.get("nodes", [])][:3]
            lines.append(f"{violation['impact']}: {violation['id']} at {targets}")
    return lines
