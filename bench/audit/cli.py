"""``python -m bench audit``: run, print the tables, end with one JSON line."""

from __future__ import annotations

import sys

from rich.console import Console

from bench.audit.config import parse_args
from bench.audit.report import json_line, print_report
from bench.audit.run import DatabaseUnavailable, run_benchmark


def main(argv: list[str]) -> int:
    """Run the benchmark; exit 1 only if a database it must use is unreachable (under CI).

    A missed target is reported, not failed: the exit code stays 0.
    """
    config = parse_args(argv)
    progress = Console(stderr=True)
    # Not a terminal (CI, a pipe): a fixed width keeps the tables' columns whole.
    console = Console() if sys.stdout.isatty() else Console(width=120, color_system=None)
    try:
        outcome = run_benchmark(config, log=lambda message: progress.log(message, highlight=False))
    except DatabaseUnavailable as error:
        print(f"error: {error} (CI is set, so PostgreSQL is required)", file=sys.stderr)
        return 1
    summary = print_report(outcome, console)
    console.file.flush()
    print(json_line(summary), flush=True)
    return 0
