"""Run every measurement on each database, creating and dropping its databases around them."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bench.audit.append import AppendResult, measure_appends
from bench.audit.concurrent import ConcurrencyResult, measure_concurrency
from bench.audit.config import Config
from bench.audit.verify import LargeResult, VerifyResult, measure_large, measure_verification
from bench.store.databases import in_ci, postgres_database, postgres_unreachable, sqlite_database


class DatabaseUnavailable(Exception):
    """A database the run needs cannot be reached, and skipping it is not allowed (CI)."""


@dataclass(frozen=True, slots=True)
class DatabaseResult:
    """Every measurement on one database."""

    database: str
    appends: AppendResult
    verification: VerifyResult
    large: LargeResult


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every database's results, the concurrency runs (PostgreSQL), and what was skipped."""

    config: Config
    results: list[DatabaseResult]
    concurrency: ConcurrencyResult | None
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_benchmark(config: Config, log: Callable[[str], None] = lambda _: None) -> Outcome:
    """Measure appends and verification on each database asked for, and concurrency on
    PostgreSQL; skip an unreachable PostgreSQL.

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
    names = [name for name in config.databases if name not in skipped]
    results = [_measure(name, config, log) for name in names]
    concurrency = None
    if "postgresql" in names:
        log("postgresql: concurrent appends")
        with postgres_database() as engine:
            concurrency = measure_concurrency(engine, config, log)
    elapsed = time.perf_counter() - started
    log(f"done in {elapsed:.0f} s")
    return Outcome(config, results, concurrency, skipped, elapsed)


def _measure(name: str, config: Config, log: Callable[[str], None]) -> DatabaseResult:
    def open_database() -> AbstractContextManager[Engine]:
        return sqlite_database() if name == "sqlite" else postgres_database()

    c = config
    with open_database() as engine:
        log(f"{name}: appends, chained and plain")
        appends = measure_appends(engine, c, log)
    with open_database() as engine:
        log(f"{name}: verification of {c.verify_entries:,} entries against the raw hash limit")
        verification = measure_verification(
            engine,
            entries=c.verify_entries,
            chains=c.verify_chains,
            repeats=c.verify_repeats,
            seed=c.seed,
            log=log,
        )
    with open_database() as engine:
        log(f"{name}: verification of {c.large_entries:,} entries")
        large = measure_large(engine, c.large_entries, c.large_chains, c.seed, log)
    return DatabaseResult(name, appends, verification, large)
