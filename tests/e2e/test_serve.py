"""What the README promises a new user: after the demo, ``confide serve`` answers on
127.0.0.1, the printed demonstration clinician signs in with the code ``confide demo-code``
prints and reads a note, and a FHIR client finds the demo client's consents and audit events."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fhirpy import SyncFHIRClient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _confide(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "confide", *args],
        capture_output=True, text=True, timeout=300, env=env, check=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("serve") / "confide-data"
    env = {**os.environ, "CONFIDE_DATA_DIR": str(data_dir), "COLUMNS": "120", "NO_COLOR": "1"}
    env.pop("CONFIDE_KEK", None)
    _confide("demo", "--clients", "5", "--notes-per-client", "1", env=env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "confide", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/fhir/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("confide serve did not answer within 60 s")
        yield base, env
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
        # Nothing the server printed may hold a note's words.
        assert "Synthetic progress note" not in out


def _login(env: dict[str, str], name: str) -> dict[str, str]:
    logins = json.loads((Path(env["CONFIDE_DATA_DIR"]) / "demo-logins.json").read_text())
    password = next(x["password"] for x in logins if x["name"] == name)
    code = _confide("demo-code", name, env=env).stdout.strip()
    return {"name": name, "password": password, "code": code}


def test_the_demo_clinician_signs_in_and_reads_a_note(served: tuple[str, dict[str, str]]) -> None:
    base, env = served
    # The cookies are Secure; a browser keeps them for http://127.0.0.1, httpx needs telling.
    with httpx.Client(base_url=base) as browser:
        answer = browser.post("/api/v1/auth/sign-in", json=_login(env, "clin-a"))
        assert answer.status_code == 200, answer.text
        session = answer.cookies["__Host-confide_session"]
        read = browser.get(
            "/api/v1/clients/client-demo-001/records",
            headers={"cookie": f"__Host-confide_session={session}"},
        )
    assert read.status_code == 200
    texts = [e["text"] for e in read.json()["entries"]]
    assert any(t.startswith("Synthetic progress note") for t in texts)
    assert all("process note" not in t for t in texts)  # psychotherapy notes: asked by name


def test_the_api_docs_are_served_from_the_package(served: tuple[str, dict[str, str]]) -> None:
    base, _ = served
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200
    assert "/static-offline-docs/swagger-ui-bundle.js" in page.text
    assert httpx.get(f"{base}/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_a_fhir_client_finds_the_demo_clients_consents_and_audit_events(
    served: tuple[str, dict[str, str]],
) -> None:
    base, env = served
    with httpx.Client(base_url=base) as browser:
        signed = browser.post("/api/v1/auth/sign-in", json=_login(env, "privacy-001"))
        assert signed.status_code == 200, signed.text
        made = browser.post(
            "/api/v1/tokens",
            json={"name": "referrals", "scopes": ["consents.read", "history.read"]},
            headers={
                "x-csrf-token": signed.json()["csrf_token"],
                "cookie": "; ".join(f"{k}={v}" for k, v in signed.cookies.items()),
            },
        )
        assert made.status_code == 201, made.text
    fhir = SyncFHIRClient(f"{base}/fhir", authorization=f"Bearer {made.json()['token']}")
    consents = fhir.resources("Consent").search(patient="client-demo-001").fetch_all()
    assert sorted(c["provision"]["type"] for c in consents) == ["deny", "permit", "permit"]
    events = fhir.resources("AuditEvent").search(patient="client-demo-001").fetch_all()
    assert len(events) >= 6  # the walk-through's writes, at least


def test_the_operator_issues_an_enrolment_code_from_the_command_line(
    served: tuple[str, dict[str, str]],
) -> None:
    _base, env = served
    out = _confide("accounts", "enrol", "clin-b", env=env).stdout
    assert "Enrolment code for clin-b" in out
    assert re.search(r"\benr_[\w-]{20,}", out)
    missing = subprocess.run(
        [sys.executable, "-m", "confide", "accounts", "enrol", "nobody-on-file"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "No one with the id" in missing.stderr
