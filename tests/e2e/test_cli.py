"""The ``confide`` command as a person runs it: version, the demo, and its decisions."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from confide import __version__


def _run(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    env.pop("CONFIDE_KEK", None)
    env["CONFIDE_DATA_DIR"] = str(data_dir or Path(tempfile.mkdtemp()) / "confide-data")
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


def test_demo_prints_each_decision_with_its_rule_and_reason(tmp_path: Path) -> None:
    result = _run("demo", data_dir=tmp_path / "data")
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


def test_demo_runs_on_the_real_store_and_can_run_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _run("demo", data_dir=data)
    assert first.returncode == 0, first.stderr
    assert "3 entries decrypted" in first.stdout
    assert "1 entry decrypted" in first.stdout
    assert "refused" in first.stdout
    assert (data / "confide.db").exists()
    again = _run("demo", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert "already in" in again.stdout


def test_init_creates_an_owner_only_key_file_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _run("init", data_dir=data)
    assert first.returncode == 0, first.stderr
    assert "new key file" in first.stdout
    key = data / "confide.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "confide.db").stat().st_mode) & 0o077 == 0
    before = key.read_bytes()
    again = _run("init", data_dir=data)
    assert again.returncode == 0
    assert "new key file" not in again.stdout
    assert key.read_bytes() == before


def test_a_missing_key_file_over_existing_data_stops_with_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run("demo", data_dir=data).returncode == 0
    (data / "confide.key").rename(tmp_path / "elsewhere.key")
    result = _run("demo", data_dir=data)
    assert result.returncode == 2
    assert "key file" in result.stderr
    assert "backup" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (data / "confide.key").exists()


def test_keys_rotate_rewraps_and_the_demo_still_reads(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run("demo", data_dir=data).returncode == 0
    rotated = _run("keys", "rotate", data_dir=data)
    assert rotated.returncode == 0, rotated.stderr
    assert re.search(r"Rotated: \d+ data keys", rotated.stdout)
    again = _run("demo", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert "3 entries decrypted" in again.stdout


def _stored(data_dir: Path) -> tuple[list[str], int, bytes]:
    with sqlite3.connect(data_dir / "confide.db") as db:
        clients = [r[0] for r in db.execute("SELECT id FROM clients ORDER BY id")]
        notes = db.execute("SELECT count(*) FROM record_versions").fetchone()[0]
        notes += db.execute("SELECT count(*) FROM psychotherapy_note_versions").fetchone()[0]
    return clients, notes, (data_dir / "confide.db").read_bytes()


def test_demo_stores_the_same_practice_for_the_same_seed_and_no_plaintext(tmp_path: Path) -> None:
    first = _run("demo", "--seed", "3", "--clients", "6", data_dir=tmp_path / "a")
    second = _run("demo", "--seed", "3", "--clients", "6", data_dir=tmp_path / "b")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    said = " ".join(first.stdout.split())
    assert "(seed 3)" in said
    assert "6 clients" in said

    clients_a, notes_a, db_a = _stored(tmp_path / "a")
    clients_b, notes_b, _ = _stored(tmp_path / "b")
    generated = re.compile(r"client-\d{5}$")  # the demo's own walk-through client aside
    synthetic = [c for c in clients_a if generated.match(c)]
    assert len(synthetic) == 6
    assert synthetic == [c for c in clients_b if generated.match(c)]
    assert notes_a == notes_b > 0
    for phrase in ("grounding exercise", "Synthetic progress note", "weekly activity"):
        assert phrase.encode() not in db_a


def test_demo_options_are_checked(tmp_path: Path) -> None:
    result = _run("demo", "--clients", "0", data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "--clients" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_verify_checkpoint_and_tamper_detection_from_the_command_line(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert _run("demo", "--clients", "3", data_dir=data).returncode == 0
    signed = _run("audit", "checkpoint", data_dir=data)
    assert signed.returncode == 0, signed.stderr
    assert "Checkpoint signed" in signed.stdout
    intact = _run("audit", "verify", data_dir=data)
    assert intact.returncode == 0, intact.stderr
    assert "Intact" in intact.stdout
    assert "kept at least 6 years" in " ".join(intact.stdout.split())

    exported = json.loads(_run("audit", "export-checkpoint", data_dir=data).stdout)
    public = _run("audit", "public-key", data_dir=data).stdout.strip()
    assert public.startswith("confide-audit-ed25519:")
    assert exported["key_id"] in public

    with sqlite3.connect(data / "confide.db") as db:  # an attacker with the file's owner rights
        db.execute("DROP TRIGGER audit_entries_no_update")
        db.execute(
            "UPDATE audit_entries SET effect = 'deny' WHERE seq = 2 AND chain_id != 'system'"
        )
    broken = _run("audit", "verify", "--public-key", public, data_dir=data)
    assert broken.returncode == 1
    assert "entry 2: changed" in " ".join(broken.stdout.split())


def test_a_missing_signing_key_stops_checkpointing_and_is_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run("demo", "--clients", "2", data_dir=data).returncode == 0
    (data / "audit-signing.key").unlink()
    result = _run("audit", "checkpoint", data_dir=data)
    assert result.returncode == 2
    assert "audit-signing.key" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(data / "confide.db") as db:
        rule = db.execute(
            "SELECT rule FROM audit_entries WHERE chain_id = 'system' ORDER BY seq DESC LIMIT 1"
        ).fetchone()[0]
    assert rule == "security.audit_signing_key_missing"


def test_history_shows_a_client_who_saw_their_record_and_writes_pdf_and_fhir(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert _run("demo", "--clients", "2", data_dir=data).returncode == 0
    with sqlite3.connect(data / "confide.db") as db:
        client = db.execute(
            # The client the demo's scenes admitted (the last), whom clin-b was refused.
            "SELECT client_id FROM relationships WHERE clinician_id = 'clin-a' "
            "ORDER BY rowid DESC LIMIT 1"
        ).fetchone()[0]
    pdf, fhir = tmp_path / "history.pdf", tmp_path / "history.json"
    shown = _run(
        "history", client, "--as", client, "--pdf", str(pdf), "--fhir", str(fhir), data_dir=data
    )
    assert shown.returncode == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    assert "clin-a (clinician" in said
    assert "refused" in said  # clin-b, who does not treat the client
    assert "Accounting of disclosures" in said
    assert pdf.read_bytes().startswith(b"%PDF")
    assert json.loads(fhir.read_text())["resourceType"] == "Bundle"

    with sqlite3.connect(data / "confide.db") as db:
        exports = db.execute(
            "SELECT action FROM audit_entries WHERE chain_id = ? AND action LIKE 'export_%'",
            (client,),
        ).fetchall()
    assert sorted(a for (a,) in exports) == ["export_fhir", "export_pdf"]

    refused = _run("history", client, "--as", "clin-b", data_dir=data)
    assert refused.returncode == 2
    assert "not found, or you may not see it" in refused.stderr


def test_a_retention_shorter_than_six_years_is_refused_naming_the_setting(tmp_path: Path) -> None:
    env_run = subprocess.run(
        [sys.executable, "-m", "confide", "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "CONFIDE_DATA_DIR": str(tmp_path / "data"),
            "CONFIDE_AUDIT_RETENTION_YEARS": "2",
        },
        check=False,
    )
    assert env_run.returncode == 2
    assert "CONFIDE_AUDIT_RETENTION_YEARS" in env_run.stderr
    assert "at least 6" in " ".join(env_run.stderr.split())
