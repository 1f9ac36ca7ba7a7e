"""``python -m bench decision``: run, print the table, end with one JSON line."""

from __future__ import annotations

import sys

from rich.console import Console

from bench.decision.config import parse_args
from bench.decision.report import json_line, print_report
from bench.decision.run import run_benchmark


def main(argv: list[str]) -> int:
    """Run the benchmark; exit 1 if any peer disagreed with confide on any request."""
    config = parse_args(argv)
    progress = Console(stderr=True)
    # Not a terminal (CI, a pipe): a fixed width keeps the table's columns whole.
    console = Console() if sys.stdout.isatty() else Console(width=120, color_system=None)
    outcome = run_benchmark(config, log=lambda message: progress.log(message, highlight=False))
    summary = print_report(outcome, console)
    console.file.flush()
    print(json_line(summary), flush=True)
    return 1 if outcome.disagreements else 0
