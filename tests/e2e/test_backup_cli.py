"""``confide backup`` and ``confide restore`` as an operator runs them, on the demo practice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from confide.synthetic.seed import WALKTHROUGH_ENTRIES


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "CONFIDE_DATA_DIR": str(data)}
    env.pop("CONFIDE_KEK", None)
    env.pop("CONFIDE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "confide", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backup") / "data"
    seeded = _run(folder, "demo", "--clients", "3", "--notes-per-client", "2")
    assert seeded.returncode == 0, seeded.stderr
    assert _run(folder, "audit", "checkpoint").returncode == 0
    return folder


@pytest.fixture(scope="module")
def backup(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "practice.confide-backup"
    made = _run(source, "backup", "--to", str(path))
    assert made.returncode == 0, made.stderr
    assert "Backup backup-" in made.stdout
    assert "keep them apart from the backups" in " ".join(made.stdout.split())
    return path


def _restore(source: Path, backup: Path, target: Path, *extra: str) -> list[str]:
    return [
        "restore", str(backup), "--data-dir", str(target),
        "--signing-key", str(source / "audit-signing.key"), *extra,
    ]  # fmt: skip


def test_a_backup_restores_into_a_new_data_directory_that_verifies(
    source: Path, backup: Path, tmp_path: Path
) -> None:
    assert backup.stat().st_mode & 0o077 == 0
    stored = backup.read_bytes()
    for sentence in WALKTHROUGH_ENTRIES.values():
        assert sentence.encode() not in stored, sentence
    target = tmp_path / "restored"
    restored = _run(
        source, *_restore(source, backup, target, "--key-file", str(source / "confide.key"))
    )
    assert restored.returncode == 0, restored.stderr
    out = " ".join(restored.stdout.split())
    assert "Verified:" in out
    assert "1 signed checkpoints hold" in out
    assert (target / "confide.key").read_bytes() == (source / "confide.key").read_bytes()
    assert not (target / "csrf.secret").exists()
    verified = _run(target, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Intact" in verified.stdout


def test_a_tampered_backup_is_refused_without_a_traceback_and_nothing_is_written(
    source: Path, backup: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.confide-backup"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x80
    damaged.write_bytes(bytes(data))
    target = tmp_path / "restored"
    refused = _run(
        source, *_restore(source, damaged, target, "--key-file", str(source / "confide.key"))
    )
    assert refused.returncode == 2
    message = " ".join(refused.stderr.split())
    assert "does not match its signed digest" in message
    assert "nothing was restored" in message
    assert "Traceback" not in refused.stdout + refused.stderr
    assert not target.exists()


def test_a_restore_without_the_key_encryption_key_names_the_option(
    source: Path, backup: Path, tmp_path: Path
) -> None:
    refused = _run(source, *_restore(source, backup, tmp_path / "restored"))
    assert refused.returncode == 2
    assert "--key-file" in refused.stderr
    assert not (tmp_path / "restored").exists()


def test_a_restore_over_an_existing_store_is_refused(source: Path, backup: Path) -> None:
    refused = _run(
        source, *_restore(source, backup, source, "--key-file", str(source / "confide.key"))
    )
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr
    assert (source / "confide.db").exists()
