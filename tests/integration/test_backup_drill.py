"""The restore drill: a backup taken while writers run restores every acknowledged record.

On SQLite and PostgreSQL: writers keep writing notes while the backup is taken; the backup is
restored into a new place; every record acknowledged before the backup began decrypts there,
the rows match the backup's header, the audit log verifies, and the backup file holds none of
the sentences written. A damaged file, a wrong key and a non-empty target are refused before
anything is written.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from confide.audit.signing import SigningKey, create_signing_key_file
from confide.domain import Category, InvalidValue
from confide.services import records
from confide.services.audit import checkpoint, verify_log
from confide.services.backup import (
    MAGIC,
    SIGNATURE_CONTEXT,
    BackupHeader,
    RestoreReport,
    RestoreTarget,
    check_backup,
    create_backup,
    restore_backup,
)
from confide.services.deps import Deps
from confide.services.setup import open_existing
from confide.store import schema as t
from confide.store.backup import BackupRefused, RestoreTargetNotEmpty, table_counts
from confide.store.engine import make_engine
from confide.store.settings import StoreSettings
from confide.vault import KeyRing, LocalKek, create_key_file, load_key_file, save_key_file
from tests.integration.conftest import ADMIN_URL, Practice, StepClock

pytestmark = pytest.mark.whole_database  # PostgreSQL: a database of its own, dumped whole

WRITERS = 3


def _sentence(worker: int, n: int) -> str:
    return f"Synthetic drill note {worker}-{n}: the client described a walk by a quiet canal."


@dataclass(frozen=True)
class Keys:
    """The keys an operator keeps apart from the backups."""

    key_file: Path
    signing_file: Path
    signing_key: SigningKey


@pytest.fixture
def keys(deps: Deps, tmp_path: Path) -> Keys:
    folder = tmp_path / "kept-apart"
    folder.mkdir(mode=0o700)
    save_key_file(folder / "confide.key", deps.vault.ring)
    signing = create_signing_key_file(folder / "audit-signing.key")
    return Keys(folder / "confide.key", folder / "audit-signing.key", signing)


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[RestoreTarget]:
    """A new data directory and, on PostgreSQL, a new empty database dropped afterwards."""
    data_dir = tmp_path / "restored"
    if make_url(database_url).get_backend_name() == "sqlite":
        yield RestoreTarget(data_dir)
        return
    if shutil.which("pg_dump") is None and not os.environ.get("CI"):
        pytest.skip("pg_dump is not installed")
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"confide_restore_{secrets.token_hex(4)}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield RestoreTarget(data_dir, ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _write(deps: Deps, p: Practice, worker: int, n: int) -> tuple[str, str]:
    sentence = _sentence(worker, n)
    category = Category.PSYCHOTHERAPY_NOTE if n % 4 == 3 else Category.PROGRESS_NOTE
    rid = records.write_record(
        deps, actor_id=p.clinician, client_id=p.client, category=category, text=sentence
    )
    return rid, sentence


class Writers:
    """Threads writing notes until stopped; each note is listed once its write returned."""

    def __init__(self, deps: Deps, p: Practice) -> None:
        self.acknowledged: list[tuple[str, str]] = []
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(deps, p, w), daemon=True)
            for w in range(WRITERS)
        ]

    def _run(self, deps: Deps, p: Practice, worker: int) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                written = _write(deps, p, worker, n)
            except BaseException as error:  # surfaced by the test, never swallowed
                self.failures.append(error)
                return
            with self._lock:
                self.acknowledged.append(written)
            n += 1

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def wait_for(self, total: int) -> None:
        deadline = time.monotonic() + 30
        while self.count() < total and not self.failures:
            assert time.monotonic() < deadline, "the writers stalled"
            time.sleep(0.01)

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def _back_up(deps: Deps, keys: Keys, to: Path) -> BackupHeader:
    return create_backup(deps.engine, deps.vault.ring, keys.signing_key, to, deps.clock)


def _restore(
    path: Path, target: RestoreTarget, keys: Keys, ring: KeyRing | None = None
) -> RestoreReport:
    return restore_backup(
        path,
        target,
        ring=ring if ring is not None else _ring_of(keys),
        signing_key_file=keys.signing_file,
        key_file=keys.key_file,
        clock=StepClock(),
    )


def _ring_of(keys: Keys) -> KeyRing:
    return load_key_file(keys.key_file)


def test_a_backup_taken_under_load_restores_every_acknowledged_record(
    deps: Deps,
    small_practice: Practice,
    keys: Keys,
    empty_target: RestoreTarget,
    tmp_path: Path,
) -> None:
    p = small_practice
    for n in range(4):
        _write(deps, p, 99, n)
    assert checkpoint(deps.engine, keys.signing_key, deps.clock) is not None
    backup = tmp_path / "drill.confide-backup"
    with Writers(deps, p) as writers:
        writers.wait_for(3 * WRITERS)
        before = list(writers.acknowledged)  # acknowledged before the backup began
        header = _back_up(deps, keys, backup)
        during = writers.count()
        writers.wait_for(during + WRITERS)  # still writing after it: nobody was paused
    assert not writers.failures, writers.failures
    written = [_sentence(99, n) for n in range(4)] + [s for _rid, s in writers.acknowledged]
    stored = header.counts["records"] + header.counts["psychotherapy_notes"]
    assert 4 + len(before) <= stored <= len(written)

    report = restore_backup(
        backup,
        empty_target,
        ring=_ring_of(keys),
        signing_key_file=keys.signing_file,
        key_file=keys.key_file,
        clock=StepClock(),
    )

    assert report.counts == dict(header.counts)
    assert report.audit.intact
    assert report.audit.checkpoints == 1
    assert report.data_keys == 1
    settings = StoreSettings(
        empty_target.data_dir,
        empty_target.database_url or f"sqlite:///{empty_target.data_dir / 'confide.db'}",
    )
    restored = open_existing(settings).deps  # the restored directory is a working data dir
    try:
        with restored.engine.connect() as c:
            assert table_counts(c)["records"] == header.counts["records"]
        for rid, sentence in before:
            client_id, entry = records.read_record(restored, actor_id=p.clinician, record_id=rid)
            assert (client_id, entry.text) == (p.client, sentence)
        assert verify_log(restored.engine, keys.signing_key.public_key).intact
    finally:
        restored.engine.dispose()
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"
    assert oct(settings.audit_key_file.stat().st_mode & 0o777) == "0o600"

    stored_bytes = backup.read_bytes()
    assert p.client.encode() not in stored_bytes  # not even the ids are in the clear
    for sentence in written:
        for fragment in (sentence, sentence[22:60]):
            assert fragment.encode() not in stored_bytes, fragment


@pytest.fixture
def backup_file(deps: Deps, small_practice: Practice, keys: Keys, tmp_path: Path) -> Path:
    for n in range(3):
        _write(deps, small_practice, 0, n)
    checkpoint(deps.engine, keys.signing_key, deps.clock)
    path = tmp_path / "one.confide-backup"
    _back_up(deps, keys, path)
    return path


def _nothing_written(target: RestoreTarget) -> None:
    assert not target.data_dir.exists()
    assert not list(target.data_dir.parent.glob(".confide-restore-*"))
    if target.database_url is not None:
        engine = make_engine(target.database_url)
        try:
            with engine.connect() as c:
                tables = c.execute(
                    text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                ).scalar_one()
            assert tables == 0
        finally:
            engine.dispose()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (-100, "does not match its signed digest"),  # a byte of the encrypted payload
        (40, "the signature does not verify"),  # a byte of the signed header
        (None, "cut short"),  # the file truncated inside its header
    ],
)
def test_a_damaged_backup_is_refused_naming_the_damage_and_nothing_is_written(
    backup_file: Path, keys: Keys, empty_target: RestoreTarget, where: int | None, message: str
) -> None:
    data = bytearray(backup_file.read_bytes())
    if where is None:
        data = data[:60]
    else:
        data[where] ^= 0x01
    backup_file.write_bytes(bytes(data))
    with pytest.raises(BackupRefused, match=message):
        _restore(backup_file, empty_target, keys)
    _nothing_written(empty_target)


def test_the_signing_key_alone_cannot_forge_a_backup(
    backup_file: Path, keys: Keys, empty_target: RestoreTarget
) -> None:
    checked = check_backup(backup_file, keys.signing_key.public_key)
    data = bytearray(backup_file.read_bytes())
    data[checked.offset + 5] ^= 0x01  # a payload byte, then the digest and signature redone
    ciphertext = bytes(data[checked.offset :])
    header = replace(checked.header, ciphertext_sha256=hashlib.sha256(ciphertext).hexdigest())
    raw = header.encode()
    signature = keys.signing_key.sign(SIGNATURE_CONTEXT + raw)
    backup_file.write_bytes(MAGIC + len(raw).to_bytes(4, "big") + raw + signature + ciphertext)
    with pytest.raises(BackupRefused, match="chunk 0 of the backup failed its integrity check"):
        _restore(backup_file, empty_target, keys)
    _nothing_written(empty_target)


def test_a_wrong_key_encryption_key_is_refused_and_nothing_is_written(
    backup_file: Path, keys: Keys, empty_target: RestoreTarget, tmp_path: Path
) -> None:
    other = create_key_file(tmp_path / "other.key")
    with pytest.raises(BackupRefused, match="which the key given does not hold"):
        _restore(backup_file, empty_target, keys, ring=other)
    active = _ring_of(keys).active_id
    impostor = LocalKek(active, secrets.token_bytes(32))  # the same id, another key
    with pytest.raises(BackupRefused, match="does not open this backup's key"):
        _restore(backup_file, empty_target, keys, ring=KeyRing({active: impostor}, active))
    _nothing_written(empty_target)


def test_another_installations_signing_key_is_refused(
    backup_file: Path, keys: Keys, empty_target: RestoreTarget, tmp_path: Path
) -> None:
    create_signing_key_file(tmp_path / "stranger.key")
    stranger = Keys(keys.key_file, tmp_path / "stranger.key", keys.signing_key)
    with pytest.raises(BackupRefused, match="the header names key audit-"):
        _restore(backup_file, empty_target, stranger)
    _nothing_written(empty_target)


def test_a_restore_over_a_non_empty_target_is_refused(
    backup_file: Path, keys: Keys, empty_target: RestoreTarget, database_url: str
) -> None:
    empty_target.data_dir.mkdir()
    (empty_target.data_dir / "confide.db").write_bytes(b"someone's store")
    with pytest.raises(RestoreTargetNotEmpty, match=r"--data-dir: .* is not empty"):
        _restore(backup_file, empty_target, keys)
    assert (empty_target.data_dir / "confide.db").read_bytes() == b"someone's store"
    if empty_target.database_url is not None:
        fresh = RestoreTarget(empty_target.data_dir.parent / "fresh", database_url)
        with pytest.raises(RestoreTargetNotEmpty, match=r"already holds \d+ tables"):
            _restore(backup_file, fresh, keys)
        assert not fresh.data_dir.exists()


def test_a_backup_never_replaces_an_existing_file(
    backup_file: Path, deps: Deps, keys: Keys
) -> None:
    before = backup_file.read_bytes()
    with pytest.raises(InvalidValue, match=r"--to: .* already exists"):
        _back_up(deps, keys, backup_file)
    assert backup_file.read_bytes() == before


def test_a_restore_ends_every_session_and_revokes_every_token_the_backup_held(
    deps: Deps, small_practice: Practice, keys: Keys, empty_target: RestoreTarget, tmp_path: Path
) -> None:
    """A token revoked after the backup was made must not work again in the restored store."""
    now = deps.clock.now()
    with deps.engine.begin() as c:
        c.execute(
            insert(t.sessions).values(
                token_hash="a" * 64, actor_id=small_practice.clinician, created_at=now,
                last_seen_at=now, ended_at=None,
            )
        )  # fmt: skip
        c.execute(
            insert(t.api_tokens).values(
                id=f"tok-{secrets.token_hex(3)}", actor_id=small_practice.clinician,
                name="referral system", scopes="records.read", secret_hash="b" * 64,
                created_at=now, expires_at=now + timedelta(days=30), revoked_at=None,
            )
        )  # fmt: skip
    path = tmp_path / "with-sessions.confide-backup"
    _back_up(deps, keys, path)
    report = _restore(path, empty_target, keys)
    assert (report.sessions_ended, report.tokens_revoked) == (1, 1)
    url = empty_target.database_url or f"sqlite:///{empty_target.data_dir / 'confide.db'}"
    restored = make_engine(url)
    with restored.connect() as c:
        live_sessions = c.execute(
            select(func.count()).select_from(t.sessions).where(t.sessions.c.ended_at.is_(None))
        ).scalar_one()
        live_tokens = c.execute(
            select(func.count())
            .select_from(t.api_tokens)
            .where(t.api_tokens.c.revoked_at.is_(None))
        ).scalar_one()
    restored.dispose()
    assert (live_sessions, live_tokens) == (0, 0)
