"""``python -m bench crash [--kills N] [--database sqlite|postgresql|both] [--writers 4]
[--seed S] [--spawn]``: the crash harness (``tests.resilience.harness``) on each database,
progress as it goes, a table per database, and one JSON line at the end.

Exit status 0 when every database came through whole (nothing lost, nothing orphaned, every
chain and checkpoint verified), 1 otherwise or when PostgreSQL was asked for and is unreachable.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.resilience.harness import (
    DatabaseResult,
    PostgresUnavailable,
    postgres_database,
    run_crash,
)

TOTALS = (
    "kills",
    "acknowledged_writes",
    "lost_writes",
    "orphan_audit_entries",
    "orphan_records",
    "chains_verified",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command's options."""
    parser = argparse.ArgumentParser(prog="python -m bench crash", description=__doc__)
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs per database")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--writers", type=int, default=4, help="writer processes (at least 4)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--spawn",
        action="store_true",
        help="start each writer life as a fresh interpreter instead of forking it",
    )
    args = parser.parse_args(argv)
    if args.writers < 4 or args.kills < 1:
        parser.error("--writers must be at least 4 and --kills at least 1")
    return args


def _log(message: str) -> None:
    print(message, flush=True)


def _one(database: str, args: argparse.Namespace) -> DatabaseResult:
    with tempfile.TemporaryDirectory(prefix=f"confide-crash-{database}-") as workdir:
        options: dict[str, Any] = {
            "database": database,
            "kills": args.kills,
            "writers": args.writers,
            "seed": args.seed,
            "fork": not args.spawn,
            "progress": lambda m: _log(f"  {database}: {m}"),
        }
        if database == "sqlite":
            return run_crash(f"sqlite:///{workdir}/confide.db", Path(workdir), **options)
        with postgres_database() as url:
            return run_crash(url, Path(workdir), **options)


def _table(r: DatabaseResult) -> None:
    f = r.findings
    rows = [
        ("kills (inside a use case)", f"{r.kills} ({r.kills_inside_a_use_case})"),
        ("kills by writer", ", ".join(f"{k} {v}" for k, v in r.kills_by_role.items())),
        ("acknowledged writes", str(r.acknowledged_writes)),
        ("  by kind", ", ".join(f"{k} {v}" for k, v in sorted(r.acknowledged_by_kind.items()))),
        (
            "  disclosure steps",
            ", ".join(f"{k} {v}" for k, v in r.disclosure_steps_by_state.items()),
        ),
        ("lost writes", str(f.lost_writes)),
        ("committed, killed before acknowledging", str(f.committed_unacknowledged)),
        ("orphan records / audit entries", f"{f.orphan_records} / {f.orphan_audit_entries}"),
        ("chains verified (breaks)", f"{f.chains_verified} ({f.chain_breaks})"),
        ("checkpoints verified (problems)", f"{f.checkpoints_verified} ({f.checkpoint_problems})"),
        ("SQLite integrity_check", f.sqlite_integrity),
        ("migrations at head", str(f.migrations_at_head)),
        (
            "writer start-up median / p90",
            f"{r.writer_start_up_median_s} s / {r.writer_start_up_p90_s} s",
        ),
        ("writers that exited by themselves", str(r.unexpected_exits)),
        ("use cases refused as busy (not acknowledged)", str(r.busy_refusals)),
        (
            "duration (setup, kills, check)",
            f"{r.duration_s} s ({r.setup_s}, {r.kills_s}, {r.check_s})",
        ),
        ("whole", "yes" if r.whole else "NO"),
    ]
    _log(f"\n{r.database}")
    for name, value in rows:
        _log(f"  {name:<46} {value}")
    for error, count in r.writer_errors.items():
        _log(f"  writer error ({count}x): {error}")
    for problem in f.problems[:20]:
        _log(f"  problem: {problem}")


def main(argv: list[str]) -> int:
    """Run the harness on each database asked for; print the tables and the JSON line."""
    args = parse_args(argv)
    databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    started = time.monotonic()
    results: list[DatabaseResult] = []
    for database in databases:
        _log(f"{database}: {args.kills} kills, {args.writers} writers, seed {args.seed}")
        try:
            results.append(_one(database, args))
        except PostgresUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        _table(results[-1])
    summary: dict[str, Any] = {"bench": "crash"}
    for key in TOTALS:
        summary[key] = sum(r.figures()[key] for r in results)
    summary["whole"] = all(r.whole for r in results)
    summary["duration_s"] = round(time.monotonic() - started, 1)
    summary["seed"], summary["writers"] = args.seed, args.writers
    summary["databases"] = {r.database: r.figures() for r in results}
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 0 if summary["whole"] else 1
