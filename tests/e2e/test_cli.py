"""The ``confide`` command as a person runs it: version, the demo, and its decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from confide import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "confide", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_version_prints_the_package_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"confide {__version__}"


def test_demo_prints_each_decision_with_its_rule_and_reason() -> None:
    result = _run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1. A therapist writes a progress note" in out
    assert "rule permit.treating_clinician" in out
    assert "rule deny.consent_revoked" in out
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in out
    assert "Traceback" not in out + result.stderr


@pytest.fixture(scope="module")
def demo_decisions() -> dict[str, dict[str, object]]:
    result = _run("demo", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["scene"]: row for row in rows}


@pytest.mark.parametrize(
    ("scene", "rule", "permitted"),
    [
        (
            "A therapist writes a progress note for their own client",
            "permit.treating_clinician",
            ["progress_note"],
        ),
        (
            "A colleague asks for the client's psychotherapy notes",
            "deny.psychotherapy_note_protected",
            [],
        ),
        ("The front desk opens the client's file", "permit.staff_operations", ["appointments"]),
        (
            "Another clinic coordinates care under the client's consent",
            "permit.consent",
            ["diagnosis", "substance_use"],
        ),
        ("The same clinic asks again after the client revoked consent", "deny.consent_revoked", []),
        ("The employer's assistance programme asks about appointments", "deny.consent_forbids", []),
        (
            "Duty to warn: the police receive an approved disclosure",
            "permit.exception_disclosure",
            ["demographics", "risk_assessment"],
        ),
        (
            "Break-the-glass: an on-call clinician in an emergency",
            "permit.break_glass",
            ["risk_assessment"],
        ),
        ("A court order not yet approved by a second person", "deny.approval_pending", []),
        ("The client reads their own record", "permit.client_own_record", ["diagnosis"]),
        (
            "A parent reads their teenager's record",
            "permit.personal_representative",
            ["appointments"],
        ),
        ("The system administrator looks up a client", "deny.administrator_no_client_content", []),
    ],
)
def test_demo_scene_decides_as_the_rules_say(
    demo_decisions: dict[str, dict[str, object]], scene: str, rule: str, permitted: list[str]
) -> None:
    row = demo_decisions[scene]
    assert row["rule"] == rule
    assert row["permitted"] == permitted


def test_an_unknown_command_is_a_clear_error_not_a_traceback() -> None:
    result = _run("no-such-command")
    assert result.returncode != 0
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr
