"""What must never be written down in the clear: a realistic mixed traffic goes through the
API while every log record is captured (the root logger at DEBUG, SQLAlchemy's statement log
included, and the uvicorn, FastAPI and Starlette loggers), then the log, the raw bytes of the
SQLite database (and its WAL), a ``pg_dump`` of the PostgreSQL database and the audit log's
table are searched for the synthetic sentences, the passwords (right, wrong and typed into
the name box), the TOTP secrets and the session and integration token values.

Every value searched for carries random hex of this run, so a match means a leak. Encrypted
fields hold only ciphertext, so the raw files may be searched whole.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from confide.api.security import CSRF_HEADER, SESSION_COOKIE
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.vault import KeyRing, LocalKek
from tests.api.world import (
    PASSWORD,
    MovableClock,
    TestClient,
    World,
    build_world,
    cheap_password_hashing,
    world_deps,
)

LOGGERS = (
    "", "confide", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "starlette",
    "httpx", "sqlalchemy", "sqlalchemy.engine",
)  # fmt: skip
_PLAIN_RECORD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class Capture(logging.Handler):
    """Every record, formatted with its arguments, exception and any extra fields."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in record.__dict__.items() if k not in _PLAIN_RECORD}
        self.lines.append(f"{self.format(record)} {extras!r} {record.args!r}")


@dataclass
class Traffic:
    """The world after the traffic, where it is stored, and what must not be found."""

    world: World
    url: str
    sqlite_file: Path | None
    log: str = ""
    needles: dict[str, str] = field(default_factory=dict)  # label -> value

    def secret(self, label: str, value: str) -> str:
        self.needles[label] = value
        return value

    def found_in(self, haystack: bytes) -> list[str]:
        """The labels of the values found, in any of the forms a careless write might use."""
        lowered = haystack.lower()
        found = []
        for label, value in self.needles.items():
            raw = value.encode()
            forms = (raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw))
            if any(f in haystack for f in forms) or raw.hex().encode() in lowered:
                found.append(label)
        return found


def _ring() -> KeyRing:
    kek = LocalKek("kek-test", secrets.token_bytes(32))
    return KeyRing({kek.kek_id: kek}, kek.kek_id)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def traffic(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Traffic]:
    capture = Capture()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(capture)
    try:
        with cheap_password_hashing():
            sqlite_file = None
            if request.param == "sqlite":
                sqlite_file = Path(tmp_path_factory.mktemp("logs")) / "confide.db"
                url = f"sqlite:///{sqlite_file}"
                migrating = make_engine(url)
                upgrade(migrating)
                migrating.dispose()
            else:
                url = str(request.getfixturevalue("postgres_url"))
            engine = make_engine(url)
            clock = MovableClock()
            world = build_world(world_deps(engine, _ring(), clock), clock)
            run = Traffic(world, url, sqlite_file)
            _mixed_traffic(run)
            run.log = "\n".join(capture.lines)
            yield run
            engine.dispose()
    finally:
        logging.getLogger().removeHandler(capture)
        for logger, level in saved:
            logger.setLevel(level)


def _session_of(browser: TestClient) -> str:
    value = browser.cookies.get(SESSION_COOKIE)
    assert value, "signed in without a session cookie"
    return str(value)


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer


def _mixed_traffic(run: Traffic) -> None:
    w = run.world
    tag = secrets.token_hex(4)
    for label, text in w.notes.items():
        run.secret(f"note {label}", text)
    run.secret("password", PASSWORD)
    for name, secret in w.secrets.items():
        if secret is not None:
            run.secret(f"totp secret of {name}", secret)

    # Signing in: right, wrong, and a password typed into the name box.
    clinician, colleague, officer = (w.sign_in(n) for n in (w.clinician, w.colleague, w.officer))
    client, outsider, other = (w.sign_in(n) for n in (w.client, w.outsider, w.other_client))
    for who, browser in (
        ("clinician", clinician), ("colleague", colleague), ("officer", officer),
        ("client", client), ("outsider", outsider), ("other client", other),
    ):  # fmt: skip
        run.secret(f"session of {who}", _session_of(browser))
    wrong = run.secret("a wrong password", f"harbor-lantern-typo-{tag}")
    _ok(
        w.client_for().post(
            "/api/v1/auth/sign-in",
            json={"name": w.clinician, "password": wrong, "code": w.code(w.clinician)},
        ),
        401,
    )
    in_the_name_box = run.secret("a password typed as a name", f"quartz-{tag}-lantern")
    _ok(
        w.client_for().post(
            "/api/v1/auth/sign-in", json={"name": in_the_name_box, "password": PASSWORD}
        ),
        401,
    )
    _ok(w.client_for().post("/api/v1/auth/password-reset", json={"name": in_the_name_box}), 202)

    # Writing, amending and reading notes.
    base = f"/api/v1/clients/{w.client}"
    written = []
    for i, category in enumerate(("progress_note", "risk_assessment", "psychotherapy_note")):
        text = run.secret(
            f"new {category}",
            f"Synthetic session {i}: the client spoke of the lighthouse keeper {tag}{i}.",
        )
        answer = _ok(
            clinician.post(f"{base}/records", json={"category": category, "text": text}), 201
        )
        written.append(answer.json()["record_id"])
    correction = run.secret(
        "a correction", f"Synthetic correction: the harbour, not the lighthouse {tag}."
    )
    _ok(clinician.post(f"/api/v1/records/{written[0]}/versions", json={"text": correction}), 201)
    refused_text = run.secret(
        "text of a refused write", f"Synthetic refused line {tag} never kept."
    )
    _ok(
        clinician.post(
            f"{base}/records",
            json={"category": "progress_note", "text": refused_text, "author_id": w.colleague},
        ),
        422,
    )
    _ok(
        colleague.post(f"{base}/records", json={"category": "progress_note", "text": refused_text}),
        404,
    )
    everything = "&".join(
        f"category={c}" for c in ("progress_note", "risk_assessment", "psychotherapy_note")
    )
    read = _ok(clinician.get(f"{base}/records?{everything}"))
    assert correction in read.text  # the reader gets the text; nothing else may keep it
    _ok(outsider.get(f"{base}/records"))
    _ok(client.get(f"{base}/records"))

    # Consents: given, narrowed, revoked.
    given = _ok(
        client.post(
            f"{base}/consents",
            json={"recipient_id": w.other, "categories": ["progress_note", "diagnosis"],
                  "purposes": ["TREAT"]},
        ),
        201,
    ).json()  # fmt: skip
    narrowed = _ok(
        client.post(f"/api/v1/consents/{given['id']}/narrow", json={"categories": ["diagnosis"]})
    ).json()
    _ok(client.post(f"/api/v1/consents/{narrowed['id']}/revoke"))
    _ok(client.get(f"{base}/consents"))

    # The notice, the access history, the accounting.
    _ok(client.get(f"{base}/notice"))
    _ok(client.get(f"{base}/access-history?limit=5"))
    _ok(officer.get(f"{base}/access-history"))
    _ok(client.get(f"{base}/accounting"))
    _ok(officer.get("/api/v1/audit/status"))

    # Refusals: no relationship, a revoked consent, another client, nobody, a short token.
    _ok(colleague.get(f"{base}/records"), 404)
    _ok(outsider.get(f"/api/v1/clients/{w.revoked_client}/records"), 404)
    _ok(other.get(f"{base}/records"), 404)
    _ok(other.get(f"{base}/access-history"), 404)
    _ok(w.client_for().get(f"{base}/records"), 401)

    # An integration token: issued, used, listed, revoked, refused.
    token = _ok(
        clinician.post("/api/v1/tokens", json={"name": "referrals", "scopes": ["records.read"]}),
        201,
    ).json()
    run.secret("an integration token", token["token"])
    run.secret("an integration token's secret", token["token"].split("_", 2)[2])
    bearer = {"Authorization": f"Bearer {token['token']}"}
    _ok(w.client_for().get(f"{base}/records", headers=bearer))
    _ok(
        w.client_for().post(
            f"{base}/records",
            headers=bearer,
            json={"category": "progress_note", "text": refused_text},
        ),
        403,
    )
    _ok(clinician.get("/api/v1/tokens"))
    _ok(clinician.delete(f"/api/v1/tokens/{token['id']}"), 204)
    _ok(w.client_for().get(f"{base}/records", headers=bearer), 401)
    forged = run.secret("a forged token", f"cft_{token['id']}_{secrets.token_urlsafe(32)}")
    _ok(w.client_for().get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)

    # A password change (a new session) and signing out.
    new_password = run.secret("a new password", f"tidewater-{tag}-compass-marigold-77")
    changed = _ok(
        client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": new_password},
        )
    )
    client.headers[CSRF_HEADER] = changed.json()["csrf_token"]  # the new session's
    run.secret("session after the password change", _session_of(client))
    _ok(client.get(f"{base}/records"))
    _ok(client.post("/api/v1/auth/sign-out"), 204)
    _ok(colleague.post("/api/v1/auth/sign-out"), 204)
    _ok(colleague.get("/api/v1/me"), 401)


# The scans ------------------------------------------------------------------------------------


def test_the_traffic_was_logged_at_debug(traffic: Traffic) -> None:
    # The capture saw the application and the database at work: an empty log proves nothing.
    assert "confide" in traffic.log or "sqlalchemy" in traffic.log
    assert "SELECT" in traffic.log or "INSERT" in traffic.log
    assert len(traffic.needles) > 20


def test_no_secret_in_any_log_record(traffic: Traffic) -> None:
    assert traffic.found_in(traffic.log.encode()) == []


def test_no_secret_in_the_sqlite_files(traffic: Traffic) -> None:
    if traffic.sqlite_file is None:
        pytest.skip("PostgreSQL: see the pg_dump test")
    files = [
        p
        for p in traffic.sqlite_file.parent.iterdir()
        if p.name.startswith(traffic.sqlite_file.name)
    ]
    assert traffic.sqlite_file in files
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert traffic.found_in(path.read_bytes()) == [], path.name


def test_no_secret_in_a_dump_of_the_postgresql_database(traffic: Traffic) -> None:
    if traffic.sqlite_file is not None:
        pytest.skip("SQLite: see the file test")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        message = "pg_dump is not on PATH: the PostgreSQL dump was not searched"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(traffic.url).set(drivername="postgresql")
    dump = subprocess.run(
        [pg_dump, "--no-owner", "--no-privileges", url.render_as_string(hide_password=False)],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert traffic.world.tag.encode() in dump  # the dump holds this run's rows
    assert traffic.found_in(dump) == []


def test_no_secret_in_the_audit_entries(traffic: Traffic) -> None:
    w = traffic.world
    with w.deps.engine.connect() as c:
        rows = c.execute(select(t.audit_entries)).all()
    mine = [r for r in rows if w.tag in repr(tuple(r))]
    assert mine
    flat = "\n".join(repr(tuple(r)) for r in rows)
    assert traffic.found_in(flat.encode()) == []
