"""Faults fail closed (decision 0020): the database going away, the disk refusing writes, the key
file unreadable, the audit signing key missing.

For each fault, through the real application: the request gets a 503 naming what is
unavailable and what to do (no stack trace, no client data), a security event is recorded (on the
system chain, or as a structured server-log line when the audit store is the thing that failed),
nothing partial is stored, no read is answered without its audit entry, and once the fault ends
the next request succeeds with the same application (no restart).
"""

from __future__ import annotations

import secrets
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from confide.api.security import CSRF_HEADER
from confide.audit.entries import SYSTEM_CHAIN
from confide.cli.serve_commands import build_app
from confide.domain import Category
from confide.services.faults import unavailable_for
from confide.services.keys import rotate_keys
from confide.services.setup import initialise
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.store.settings import StoreSettings
from confide.vault import KeyRing, LocalKek
from tests.api.world import (
    BASE,
    PASSWORD,
    MovableClock,
    World,
    build_world,
    cheap_password_hashing,
    world_deps,
)
from tests.integration.conftest import ADMIN_URL, _postgres_database
from tests.resilience.faults_support import (
    LogLines,
    TcpProxy,
    can_mount,
    chain_lengths,
    entries_after,
    on_commit_after,
    on_statement,
    read_only_mount,
    row_counts,
    system_events_after,
    terminate_backends,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SERVER = "confide-server"
RECORDS = "/api/v1/clients/{}/records"


@dataclass
class Practice:
    """A world behind the app, the engine the app uses, and how to reach the database."""

    world: World
    engine: Engine


def _ring() -> KeyRing:
    kek = LocalKek("kek-test", secrets.token_bytes(32))
    return KeyRing({kek.kek_id: kek}, kek.kek_id)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A database of this module's own (its backends are terminated at will)."""
    with _postgres_database() as url:
        yield url


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A relay to the PostgreSQL server, which the test may cut and restore."""
    admin = make_url(ADMIN_URL)
    relay = TcpProxy((admin.host or "127.0.0.1", admin.port or 5432))
    yield relay
    relay.close()


@pytest.fixture
def pg_practice(pg_database: str, proxy: TcpProxy) -> Iterator[Practice]:
    """A practice on PostgreSQL, the app connecting through the proxy."""
    url = make_url(pg_database).set(host="127.0.0.1", port=proxy.port)
    engine = make_engine(url.render_as_string(hide_password=False))
    clock = MovableClock()
    with cheap_password_hashing():
        yield Practice(build_world(world_deps(engine, _ring(), clock), clock), engine)
    engine.dispose()


@pytest.fixture
def admin() -> Iterator[Engine]:
    """A second, administrative connection to the server (never through the proxy)."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _write(browser: TestClient, client_id: str, text: str) -> int:
    answer = browser.post(
        RECORDS.format(client_id), json={"category": "progress_note", "text": text}
    )
    return answer.status_code


def _assert_unavailable(answer: object, what: str, *secret: str) -> None:
    """A 503 that names what is unavailable and what to do, and shows nothing else."""
    status = answer.status_code  # type: ignore[attr-defined]
    body = answer.text  # type: ignore[attr-defined]
    assert status == 503, body
    assert what in answer.json()["detail"]  # type: ignore[attr-defined]
    assert "nothing was shown and nothing was saved in part" in body
    assert "Traceback" not in body
    assert "sqlalchemy" not in body.lower()
    assert "psycopg" not in body.lower()
    assert "sqlite" not in body.lower()
    for s in secret:
        assert s not in body


# PostgreSQL: a backend terminated with pg_terminate_backend.


def test_a_backend_terminated_between_requests_is_replaced_before_the_next_read(
    pg_practice: Practice, admin: Engine, pg_database: str
) -> None:
    w = pg_practice.world
    browser = w.sign_in(w.clinician)
    assert browser.get(RECORDS.format(w.client)).status_code == 200
    assert terminate_backends(admin, make_url(pg_database).database or "") >= 1
    before = chain_lengths(pg_practice.engine)
    answer = browser.get(RECORDS.format(w.client))
    assert answer.status_code == 200, answer.text
    assert w.notes["progress_note"] in answer.text
    after = chain_lengths(pg_practice.engine)
    assert after[w.client] == before[w.client] + 1  # the read, on record
    assert after.get(SYSTEM_CHAIN) == before.get(SYSTEM_CHAIN)  # no fault: no security event


def test_a_backend_terminated_during_a_write_stores_nothing_and_the_next_write_lands(
    pg_practice: Practice, admin: Engine, pg_database: str
) -> None:
    w, engine = pg_practice.world, pg_practice.engine
    browser = w.sign_in(w.clinician)
    rows, chains = row_counts(engine), chain_lengths(engine)
    database = make_url(pg_database).database or ""
    text = f"Synthetic fault note {secrets.token_hex(4)}."
    with on_statement(engine, "INSERT INTO records", lambda: terminate_backends(admin, database)):
        answer = browser.post(
            RECORDS.format(w.client), json={"category": "progress_note", "text": text}
        )
    _assert_unavailable(answer, "the database is unavailable", text)
    assert row_counts(engine) == rows  # no record, no version: nothing partial
    # The write's decision rolled back with it; the failure itself is on the client's chain.
    added = entries_after(engine, w.client, chains[w.client])
    assert [(e["action"], e["effect"], e["rule"]) for e in added] == [
        ("write", "error", "write.failed")
    ]
    assert system_events_after(engine, chains) == [
        (SERVER, "error", "security.database_unavailable")
    ]
    assert _write(browser, w.client, text) == 201  # the same app, a fresh connection


def test_a_read_whose_commit_fails_returns_nothing_and_is_not_left_half_logged(
    pg_practice: Practice, admin: Engine, pg_database: str
) -> None:
    w, engine = pg_practice.world, pg_practice.engine
    browser = w.sign_in(w.clinician)
    chains = chain_lengths(engine)
    database = make_url(pg_database).database or ""
    # The read's audit entry is written, then its backend dies as the transaction commits.
    with on_commit_after(
        engine, "INSERT INTO audit_entries", lambda: terminate_backends(admin, database)
    ) as fired:
        answer = browser.get(RECORDS.format(w.client))
    assert fired
    _assert_unavailable(answer, "the database is unavailable", *w.notes.values())
    assert chain_lengths(engine)[w.client] == chains[w.client]  # nothing read, nothing logged
    assert system_events_after(engine, chains) == [
        (SERVER, "error", "security.database_unavailable")
    ]
    again = browser.get(RECORDS.format(w.client))
    assert again.status_code == 200
    assert w.notes["progress_note"] in again.text
    assert entries_after(engine, w.client, chains[w.client])[0]["action"] == "read"


# PostgreSQL: the server gone and back (the proxy cut and restored).


def test_the_server_gone_between_requests_fails_closed_and_is_logged_to_the_server_log(
    pg_practice: Practice, proxy: TcpProxy
) -> None:
    w, engine = pg_practice.world, pg_practice.engine
    browser = w.sign_in(w.clinician)
    assert browser.get(RECORDS.format(w.client)).status_code == 200
    chains = chain_lengths(engine)
    proxy.cut()
    with LogLines().installed() as log:
        read = browser.get(RECORDS.format(w.client))
        write = browser.post(
            RECORDS.format(w.client), json={"category": "progress_note", "text": "Synthetic x."}
        )
    _assert_unavailable(read, "the database is unavailable", *w.notes.values())
    _assert_unavailable(write, "the database is unavailable")
    events = [x for x in log.lines if x.startswith("security_event ")]
    assert len(events) == 2
    for line in events:
        assert "rule=security.database_unavailable" in line
        assert "route=/api/v1/clients/{client_id}/records" in line
        assert "audit_log=unavailable" in line
    assert not [x for x in log.lines if w.client in x or w.clinician in x]
    proxy.restore()
    assert chain_lengths(engine) == chains  # nothing got through while it was down
    again = browser.get(RECORDS.format(w.client))
    assert again.status_code == 200
    assert w.notes["progress_note"] in again.text


def test_the_server_gone_in_the_middle_of_a_write_leaves_nothing_behind(
    pg_practice: Practice, proxy: TcpProxy
) -> None:
    w, engine = pg_practice.world, pg_practice.engine
    browser = w.sign_in(w.clinician)
    text = f"Synthetic fault note {secrets.token_hex(4)}."
    rows, chains = row_counts(engine), chain_lengths(engine)
    with on_statement(engine, "INSERT INTO record_versions", proxy.cut):
        answer = browser.post(
            RECORDS.format(w.client), json={"category": "progress_note", "text": text}
        )
    _assert_unavailable(answer, "the database is unavailable", text)
    proxy.restore()
    assert row_counts(engine) == rows
    assert chain_lengths(engine) == chains  # not even the failure: the log was down too
    assert _write(browser, w.client, text) == 201


# SQLite: the disk refusing writes (a read-only data directory).


@pytest.fixture
def sqlite_practice(tmp_path: Path) -> Iterator[tuple[Practice, Path]]:
    """A practice on SQLite in a data directory of its own."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'confide.db'}"
    upgrade(make_engine(url))
    engine = make_engine(url)
    clock = MovableClock()
    with cheap_password_hashing():
        yield Practice(build_world(world_deps(engine, _ring(), clock), clock), engine), data_dir
    engine.dispose()


@pytest.mark.skipif(not can_mount(), reason="needs CAP_SYS_ADMIN for a read-only bind mount")
def test_a_read_only_data_directory_refuses_reads_and_writes_until_it_is_writable_again(
    sqlite_practice: tuple[Practice, Path],
) -> None:
    (p, data_dir) = sqlite_practice
    w, engine = p.world, p.engine
    browser = w.sign_in(w.clinician)
    rows, chains = row_counts(engine), chain_lengths(engine)
    with read_only_mount(data_dir), LogLines().installed() as log:
        # The kernel checks write access when a file is opened: connections opened before the
        # remount keep it, so the pool starts afresh, as the disk is met from now on.
        engine.dispose()
        read = browser.get(RECORDS.format(w.client))
        write = browser.post(
            RECORDS.format(w.client), json={"category": "progress_note", "text": "Synthetic y."}
        )
        # A read whose audit entry cannot be written is not answered.
        _assert_unavailable(read, "refuses writes", *w.notes.values())
        _assert_unavailable(write, "refuses writes")
    # Counted once the directory is back, on connections of the test's own (the app's pool may
    # still hold one opened while the disk refused writes).
    counter = make_engine(str(engine.url))
    assert row_counts(counter) == rows
    assert chain_lengths(counter) == chains
    counter.dispose()
    events = [x for x in log.lines if x.startswith("security_event ")]
    assert len(events) == 2
    assert all("rule=security.storage_refused_write" in x for x in events)
    assert all("audit_log=unavailable" in x for x in events)
    # Writable again: the same app, without a restart. A pooled connection that SQLite opened
    # while its file could not be written fails once more and is then discarded (decision
    # 0020), so recovery takes at most one further refused request.
    answers = [browser.get(RECORDS.format(w.client)) for _ in range(2)]
    assert answers[-1].status_code == 200
    assert w.notes["progress_note"] in answers[-1].text
    assert all(a.status_code in {200, 503} for a in answers)
    assert _write(browser, w.client, "Synthetic z.") == 201


# The key file and the audit signing key, on a data directory served as `confide serve` does.


@pytest.fixture
def served_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, Path]]:
    """A data directory set up as `confide init` does, with a practice on file; the test builds
    the app with `confide serve`'s own factory."""
    data_dir = tmp_path / "confide-data"
    settings = StoreSettings(data_dir, f"sqlite:///{data_dir / 'confide.db'}")
    monkeypatch.setenv("CONFIDE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CONFIDE_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONFIDE_KEK", raising=False)
    opened = initialise(settings)
    clock = MovableClock()
    with cheap_password_hashing():
        yield build_world(replace(opened.deps, clock=clock), clock), data_dir
    opened.deps.engine.dispose()


def _signed_in(app: object, w: World, name: str) -> TestClient:
    """Sign in on an app that reads the machine's clock (one sign-in per name and code step)."""
    browser = TestClient(app, base_url=BASE)  # type: ignore[arg-type]
    secret = w.secrets[name]
    code = None if secret is None else pyotp.TOTP(secret).now()
    answer = browser.post(
        "/api/v1/auth/sign-in", json={"name": name, "password": PASSWORD, "code": code}
    )
    assert answer.status_code == 200, answer.text
    browser.headers[CSRF_HEADER] = answer.json()["csrf_token"]
    return browser


def test_an_unreadable_key_file_fails_reads_closed_until_it_is_restored(
    served_dir: tuple[World, Path],
) -> None:
    w, data_dir = served_dir
    key_file = data_dir / "confide.key"
    app = build_app()
    engine = app.state.deps.engine
    with cheap_password_hashing():
        browser = _signed_in(app, w, w.clinician)
    assert browser.get(RECORDS.format(w.client)).status_code == 200
    # An operator rotates the keys: the server must read the new key from the key file ...
    rotate_keys(make_engine(f"sqlite:///{data_dir / 'confide.db'}"), key_file)
    # ... which is now unreadable: replaced by a directory (root reads any file, whatever its mode).
    key_file.rename(data_dir / "confide.key.saved")
    key_file.mkdir(mode=0o700)
    rows, chains = row_counts(engine), chain_lengths(engine)
    answer = browser.get(RECORDS.format(w.client))
    _assert_unavailable(answer, "the key needed to open records is unavailable", *w.notes.values())
    assert row_counts(engine) == rows
    # The read's decisions stay on the client's chain with the fault; the server adds its event.
    added = entries_after(engine, w.client, chains[w.client])
    assert [e["effect"] for e in added][-1] == "error"
    assert added[-1]["rule"] == "security.key_unavailable"
    assert added[0]["action"] == "read"
    assert added[0]["effect"] == "permit"
    assert system_events_after(engine, chains) == [(SERVER, "error", "security.key_unavailable")]
    # Restored: the same server reads the rotated key and answers.
    key_file.rmdir()
    (data_dir / "confide.key.saved").rename(key_file)
    again = browser.get(RECORDS.format(w.client))
    assert again.status_code == 200
    assert w.notes["progress_note"] in again.text


def test_a_missing_signing_key_fails_the_audit_status_closed_until_it_is_restored(
    served_dir: tuple[World, Path],
) -> None:
    w, data_dir = served_dir
    signing_key = data_dir / "audit-signing.key"
    app = build_app()
    engine = app.state.deps.engine
    with cheap_password_hashing():
        browser = _signed_in(app, w, w.officer)
    assert browser.get("/api/v1/audit/status").status_code == 200
    shutil.move(signing_key, data_dir / "audit-signing.key.saved")
    rows, chains = row_counts(engine), chain_lengths(engine)
    answer = browser.get("/api/v1/audit/status")
    _assert_unavailable(answer, "signing key is unavailable", str(data_dir))
    assert row_counts(engine) == rows
    assert system_events_after(engine, chains) == [
        (w.officer, "permit", "audit.verified"),  # the asking, allowed
        (SERVER, "error", "security.audit_signing_key_missing"),
    ]
    shutil.move(data_dir / "audit-signing.key.saved", signing_key)
    again = browser.get("/api/v1/audit/status")
    assert again.status_code == 200
    assert again.json()["intact"] is True


def test_a_missing_signing_key_is_a_security_event_for_a_checkpoint_too(
    served_dir: tuple[World, Path],
) -> None:
    from typer.testing import CliRunner

    from confide.cli.app import app as cli

    _w, data_dir = served_dir
    (data_dir / "audit-signing.key").unlink()
    engine = make_engine(f"sqlite:///{data_dir / 'confide.db'}")
    chains = chain_lengths(engine)
    result = CliRunner().invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code != 0
    assert system_events_after(engine, chains) == [
        ("operator", "error", "security.audit_signing_key_missing")
    ]
    assert row_counts(engine)["audit_checkpoints"] == 0
    engine.dispose()


def test_a_fault_answer_names_no_path_and_no_category() -> None:
    """The words are fixed: no path, no id, no category."""
    from confide.services.faults import unavailable_for
    from confide.vault import KeyUnavailable

    found = unavailable_for(KeyUnavailable("key file /secret/place/confide.key cannot be read"))
    assert found is not None
    assert "/secret/place" not in str(found)
    assert all(c.value not in str(found) for c in Category)


def _error_of(engine: Engine, sql: str) -> Exception:
    try:
        with engine.connect() as c:
            c.exec_driver_sql(sql)
    except Exception as error:  # the error itself is what is examined
        return error
    raise AssertionError("the statement did not fail")


def test_a_bug_in_sql_stays_a_bug_and_only_a_database_that_is_gone_is_a_fault(
    tmp_path: Path,
) -> None:
    """A missing table or bad SQL must reach the unexpected-error path (500, logged as a bug),
    never pass for a retryable 503 and a security event; a server that cannot be reached is."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'bug.db'}")
    assert unavailable_for(_error_of(sqlite, "SELECT * FROM no_such_table")) is None
    assert unavailable_for(_error_of(sqlite, "SELEC 1")) is None
    sqlite.dispose()
    with _postgres_database() as url:
        postgres = make_engine(url)
        assert unavailable_for(_error_of(postgres, "SELECT * FROM no_such_table")) is None
        assert unavailable_for(_error_of(postgres, "SELEC 1")) is None
        postgres.dispose()
    unreachable = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    gone = unavailable_for(_error_of(unreachable, "SELECT 1"))
    assert gone is not None
    assert gone.rule == "security.database_unavailable"
