"""``confide backup`` and ``confide restore`` (decision 0018, docs/backups.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from confide.audit.signing import load_signing_key_file
from confide.domain import InvalidValue
from confide.services.backup import RestoreTarget, create_backup, restore_backup
from confide.services.deps import SystemClock
from confide.services.setup import open_existing
from confide.store.settings import StoreSettings
from confide.vault import KeyRing, load_from_environment, load_key_file

# The tables a person asks about first; the header counts every table.
_SHOWN = (
    ("clients", "clients"),
    ("records", "records"),
    ("psychotherapy_notes", "psychotherapy notes"),
    ("audit_entries", "audit entries"),
    ("audit_checkpoints", "signed checkpoints"),
)


def backup_command(
    to: Annotated[
        Path, typer.Option("--to", help="The backup file to write (a new file; never replaced).")
    ],
) -> None:
    """Write an encrypted, signed backup of the database while the practice keeps working.

    The backup holds wrapped data keys but never the key-encryption key or the signing key:
    keep those apart from it, or the backup cannot be restored.
    """
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)
    signing_key = load_signing_key_file(settings.audit_key_file)
    started = time.monotonic()
    header = create_backup(
        opened.deps.engine, opened.deps.vault.ring, signing_key, to, SystemClock()
    )
    seconds = time.monotonic() - started
    console = Console()
    console.print(
        f"Backup {header.backup_id} written to {to.absolute()} "
        f"({to.stat().st_size:,} bytes, {seconds:.1f} s) from "
        f"{'SQLite' if header.source_backend == 'sqlite' else 'PostgreSQL'}, "
        f"schema {header.schema_revision}.",
        highlight=False,
    )
    console.print(_counts_line(header.counts), highlight=False)
    console.print(
        f"Encrypted under a new key wrapped by key-encryption key {header.kek_id}; signed by "
        f"audit key {header.signer_key_id}. Restoring needs the key file (or CONFIDE_KEK) and "
        f"{settings.audit_key_file.name}: keep them apart from the backups.",
        highlight=False,
    )


def restore_command(
    backup: Annotated[Path, typer.Argument(help="The backup file.")],
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir", help="The new data directory to create (it must not hold anything)."
        ),
    ],
    signing_key: Annotated[
        Path,
        typer.Option(
            "--signing-key",
            help="The audit signing key file kept apart (audit-signing.key of the source).",
        ),
    ],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="The key file kept apart (confide.key of the source); copied into the new data "
            "directory. Leave out to use CONFIDE_KEK.",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="PostgreSQL backups: the URL of a new, empty database to restore into.",
        ),
    ] = None,
) -> None:
    """Restore a backup into a new data directory (and an empty PostgreSQL database), then
    verify it: data keys, row counts, the audit log."""
    ring = _restore_ring(key_file)
    if database_url is not None and not database_url.startswith("postgresql"):
        raise InvalidValue("--database-url", "must be a postgresql+psycopg:// URL")
    started = time.monotonic()
    report = restore_backup(
        backup,
        RestoreTarget(data_dir, database_url),
        ring=ring,
        signing_key_file=signing_key,
        key_file=key_file,
        clock=SystemClock(),
    )
    seconds = time.monotonic() - started
    console = Console()
    console.print(
        f"Restored backup {report.header.backup_id} (made "
        f"{report.header.created_at:%Y-%m-%d %H:%M:%S} UTC) into {report.data_dir} in "
        f"{seconds:.1f} s.",
        highlight=False,
    )
    console.print(_counts_line(report.counts), highlight=False)
    console.print(
        f"Verified: {report.data_keys} data keys unwrap; every table's rows match the backup; "
        f"{report.audit.entries} audit entries in {report.audit.chains} chains and "
        f"{report.audit.checkpoints} signed checkpoints hold.",
        highlight=False,
    )
    where = f"CONFIDE_DATA_DIR={report.data_dir}"
    if database_url is not None:
        where += " CONFIDE_DATABASE_URL=<the URL given>"
    console.print(
        f"Ended {report.sessions_ended} sessions and revoked {report.tokens_revoked} integration "
        "tokens from before the backup: everyone signs in again, and integrations need new "
        f"tokens. Next: {where} confide audit checkpoint (sign the restored heads), then serve.",
        highlight=False,
    )


def _restore_ring(key_file: Path | None) -> KeyRing:
    from_env = load_from_environment(os.environ)
    if key_file is not None:
        return load_key_file(key_file)
    if from_env is not None:
        return from_env
    raise InvalidValue(
        "--key-file",
        "give the key file kept apart from the backups (or set CONFIDE_KEK): a backup cannot be "
        "opened without its key-encryption key",
    )


def _counts_line(counts: Mapping[str, int]) -> str:
    return "Holds " + ", ".join(f"{counts.get(name, 0):,} {words}" for name, words in _SHOWN) + "."
