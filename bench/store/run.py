"""Run every measurement on each database, creating and dropping its databases around them."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bench.store.config import Config
from bench.store.databases import in_ci, postgres_database, postgres_unreachable, sqlite_database
from bench.store.notes import (
    CryptoCost,
    Latencies,
    NotesResult,
    measure_crowded_reads,
    measure_crypto,
    measure_notes,
)
from bench.store.rotation import WITH_NOTES, RotationRun, rotation_databases, time_rotations
from confide.vault import Vault, load_key_file


class DatabaseUnavailable(Exception):
    """A database the run needs cannot be reached, and skipping it is not allowed (CI)."""


@dataclass(frozen=True, slots=True)
class DatabaseResult:
    """Every measurement on one database."""

    database: str
    notes: NotesResult
    rotation: list[RotationRun]
    crowded_reads: Latencies

    def run(self, scenario: str) -> RotationRun:
        """The rotation scenario by name."""
        return next(r for r in self.rotation if r.scenario == scenario)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every database's results, the cipher's own cost, and what was skipped and why."""

    config: Config
    results: list[DatabaseResult]
    crypto: CryptoCost
    skipped: dict[str, str] = field(default_factory=dict)


def run_benchmark(config: Config, log: Callable[[str], None] = lambda _: None) -> Outcome:
    """Measure notes and rotation on each database asked for; skip an unreachable PostgreSQL.

    Raises :class:`DatabaseUnavailable` instead of skipping when running under CI.
    """
    started = time.perf_counter()
    skipped: dict[str, str] = {}
    if "postgresql" in config.databases:
        reason = postgres_unreachable()
        if reason is not None:
            if in_ci():
                raise DatabaseUnavailable(reason)
            log(f"skipping postgresql: {reason}")
            skipped["postgresql"] = reason
    results = [_measure(name, config, log) for name in config.databases if name not in skipped]
    crypto = measure_crypto(config)
    log(f"done in {time.perf_counter() - started:.0f} s")
    return Outcome(config, results, crypto, skipped)


def _measure(name: str, config: Config, log: Callable[[str], None]) -> DatabaseResult:
    def open_database() -> AbstractContextManager[Engine]:
        return sqlite_database() if name == "sqlite" else postgres_database()

    with open_database() as engine:
        log(f"{name}: notes, sealed and unsealed")
        notes = measure_notes(engine, config, log)
    log(f"{name}: key rotation")
    with rotation_databases(open_database, config, log) as databases:
        rotation = time_rotations(databases, config.repeats, log)
        crowded = next(d for d in databases if d.scenario == WITH_NOTES)
        vault = Vault(load_key_file(crowded.key_file))
        crowded_reads = measure_crowded_reads(crowded.engine, vault, config, log)
    return DatabaseResult(name, notes, rotation, crowded_reads)
