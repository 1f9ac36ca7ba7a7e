"""``confide disclose`` as a privacy officer and a clinician run it, on the demo practice."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from confide.domain import Category
from confide.synthetic.seed import WALKTHROUGH_CLIENT, WALKTHROUGH_ENTRIES

CLIENT = WALKTHROUGH_CLIENT


def _run(
    data: Path, *args: str, stdin: str | None = None, pack: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "CONFIDE_DATA_DIR": str(data)}
    env.pop("CONFIDE_KEK", None)
    if pack is not None:
        env["CONFIDE_RULE_PACK"] = pack
    return subprocess.run(
        [sys.executable, "-m", "confide", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("disclose") / "data"
    seeded = _run(folder, "demo", "--clients", "2", "--notes-per-client", "1")
    assert seeded.returncode == 0, seeded.stderr
    return folder


def _request_id(out: str) -> str:
    found = re.search(r"disc-[0-9a-f]{24}", out)
    assert found, out
    return found.group(0)


def _pdf_text(path: Path) -> str:
    return " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(path.read_bytes())).pages
    )


def test_a_duty_to_warn_from_opening_to_the_clients_accounting(data: Path, tmp_path: Path) -> None:
    opened = _run(
        data, "disclose", "open", CLIENT, "--as", "clin-a", "--ground", "imminent_risk_others",
        "--to", "ext-police", "--recipient-kind", "law_enforcement",
        "-c", "demographics", "-c", "risk_assessment", "--justification-file", "-",
        stdin="Synthetic justification: a stated threat toward a neighbour.",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    request = _request_id(opened.stdout)
    assert _run(data, "disclose", "submit", request, "--as", "clin-a").returncode == 0
    own = _run(data, "disclose", "approve", request, "--as", "clin-a")
    assert own.returncode == 2
    assert "second person" in own.stderr
    assert "Traceback" not in own.stderr
    assert _run(data, "disclose", "approve", request, "--as", "super-001").returncode == 0
    queued = _run(data, "disclose", "queue", "--as", "privacy-001")
    assert "approved not released" in queued.stdout

    released = _run(data, "disclose", "release", request, "--as", "clin-a", "--out", str(tmp_path))

    assert released.returncode == 0, released.stderr
    text = _pdf_text(tmp_path / f"{request}.pdf")
    assert WALKTHROUGH_ENTRIES[Category.RISK_ASSESSMENT] in text
    assert WALKTHROUGH_ENTRIES[Category.DEMOGRAPHICS] in text
    for category in (Category.PROGRESS_NOTE, Category.PSYCHOTHERAPY_NOTE, Category.DIAGNOSIS):
        assert WALKTHROUGH_ENTRIES[category] not in text
    assert "Synthetic justification" not in text
    assert (tmp_path / f"{request}.fhir.json").stat().st_mode & 0o077 == 0
    told = _run(data, "disclose", "told", request, "--as", "privacy-001")
    assert "client notified" in told.stdout
    history = _run(data, "history", CLIENT, "--as", CLIENT)
    assert "ext-police" in history.stdout
    assert "164.512(j)" in " ".join(history.stdout.split())


def test_a_court_order_that_excludes_psychotherapy_notes(data: Path, tmp_path: Path) -> None:
    order = [
        "disclose", "open", CLIENT, "--as", "privacy-001", "--ground", "court_order",
        "--to", "ext-court", "--recipient-kind", "court", "--justification", "Synthetic order.",
        "--court", "Synthetic County Court", "--case-number", "SYN-1", "--issued-on", "2026-02-01",
        "--issued-by", "Judge Placeholder", "--order-scope", "diagnoses", "--order-category",
        "diagnosis",
    ]  # fmt: skip
    wide = _run(data, *order, "-c", "diagnosis", "-c", "psychotherapy_note")
    assert wide.returncode == 2
    assert "not in the order's scope" in wide.stderr
    opened = _run(data, *order, "-c", "diagnosis")
    request = _request_id(opened.stdout)
    _run(data, "disclose", "submit", request, "--as", "privacy-001")
    assert _run(data, "disclose", "approve", request, "--as", "privacy-002").returncode == 0
    released = _run(
        data, "disclose", "release", request, "--as", "privacy-001", "--out", str(tmp_path)
    )
    assert released.returncode == 0, released.stderr
    text = _pdf_text(tmp_path / f"{request}.pdf")
    assert WALKTHROUGH_ENTRIES[Category.DIAGNOSIS] in text
    assert WALKTHROUGH_ENTRIES[Category.PSYCHOTHERAPY_NOTE] not in text


def test_an_abuse_report_shows_its_california_deadline_in_the_queue(data: Path) -> None:
    opened = _run(
        data, "disclose", "open", CLIENT, "--as", "clin-b", "--ground", "abuse_neglect",
        "--victim-kind", "child", "--suspected-at", "2026-01-05T09:00+00:00",
        "--to", "ext-cps", "--recipient-kind", "child_protective_agency",
        "-c", "progress_note", "--justification", "Synthetic facts.",
        pack="us-ca",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    queue = _run(data, "disclose", "queue", "--as", "privacy-001", pack="us-ca")
    row = next(
        line for line in queue.stdout.splitlines() if _request_id(opened.stdout)[:20] in line
    )
    assert "report overdue" in row
    assert "2026-01-06 21:00" in row  # 36 hours after the suspicion (Cal. Penal Code 11166)


def test_texas_refuses_a_warning_straight_to_the_person_threatened(data: Path) -> None:
    refused = _run(
        data, "disclose", "open", CLIENT, "--as", "clin-a", "--ground", "imminent_risk_others",
        "--to", "ext-police", "--recipient-kind", "potential_victim",
        "-c", "risk_assessment", "--justification", "Synthetic.",
        pack="us-tx",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "611.004" in refused.stderr
    rules = _run(data, "disclose", "rules", pack="us-tx")
    assert "Texas" in rules.stdout


def test_break_the_glass_discloses_at_once_and_the_review_is_queued(
    data: Path, tmp_path: Path
) -> None:
    done = _run(
        data, "disclose", "break-glass", CLIENT, "--as", "clin-a", "--ground",
        "imminent_risk_self", "--to", "ext-police", "--recipient-kind", "law_enforcement",
        "-c", "risk_assessment", "--justification", "Synthetic emergency.", "--out",
        str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "emergency review: owed" in done.stdout
    request = _request_id(done.stdout)
    assert "review due" in _run(data, "disclose", "queue", "--as", "privacy-001").stdout
    reviewed = _run(
        data, "disclose", "review", request, "--as", "super-001", "--outcome", "upheld",
        "--note", "Synthetic: the risk was real.",
    )  # fmt: skip
    assert reviewed.returncode == 0, reviewed.stderr
    assert "by super-001" in reviewed.stdout


def test_an_unknown_ground_names_the_field(data: Path) -> None:
    bad = _run(
        data, "disclose", "open", CLIENT, "--as", "clin-a", "--ground", "curiosity",
        "--to", "ext-police", "--recipient-kind", "law_enforcement", "-c", "diagnosis",
        "--justification", "Synthetic.",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "disclosure.ground" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_new_notice_version_asks_the_client_to_acknowledge_again(data: Path) -> None:
    shown = _run(data, "notice", "show", CLIENT, "--as", CLIENT)
    assert shown.returncode == 0, shown.stderr
    assert "three situations" in shown.stdout
    assert f"{CLIENT} acknowledged" in shown.stdout
    published = _run(data, "notice", "publish", "notice-v9", "--as", "privacy-001")
    assert published.returncode == 0, published.stderr
    again = " ".join(_run(data, "notice", "show", CLIENT, "--as", "clin-a").stdout.split())
    assert f"{CLIENT} has not acknowledged notice-v9" in again
    assert _run(data, "notice", "acknowledge", CLIENT, "--as", CLIENT).returncode == 0
    assert "acknowledged notice-v9" in _run(data, "notice", "show", CLIENT, "--as", CLIENT).stdout
    stranger = _run(data, "notice", "show", CLIENT, "--as", "ext-police")
    assert stranger.returncode == 2
    assert "not found, or you may not see it" in stranger.stderr


def test_an_agency_suspension_is_recorded_by_the_privacy_officer_only(data: Path) -> None:
    args = ["suspend-accounting", CLIENT, "--agency", "ext-police", "--until", "2027-01-01"]
    refused = _run(data, *args, "--as", "clin-a")
    assert refused.returncode == 2
    assert "not found, or you may not see it" in refused.stderr
    done = _run(data, *args, "--as", "privacy-001")
    assert done.returncode == 0, done.stderr
    assert "held back" in done.stdout
