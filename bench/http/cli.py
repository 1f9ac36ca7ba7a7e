"""``python -m bench http``: a protected record read (authenticate, decide, decrypt, audit,
respond) against an unprotected route returning the same bytes from the same app, served by
uvicorn on 127.0.0.1; prints a table and ends with one JSON line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.http.run import Figures, measure, median_ms, percentile
from bench.store.databases import in_ci, postgres_database, postgres_unreachable, sqlite_database

TARGET_RATIO = 1.5
TARGET_PER_SECOND = 1000


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run, for CI")
    parser.add_argument("--seconds", type=float, default=20.0, help="per measurement")
    parser.add_argument("--connections", type=int, default=16, help="for throughput")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--clients", type=int, default=50, help="clients whose records the load reads in turn"
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 2.0
        args.clients = min(args.clients, 5)
    return args


def summarise(figures: Figures, args: argparse.Namespace) -> dict[str, Any]:
    pl, bl = figures.protected_latency.latencies, figures.plain_latency.latencies
    summary: dict[str, Any] = {
        "bench": "http",
        "database": args.database,
        "workers": args.workers,
        "connections": args.connections,
        "clients": args.clients,
        "body_bytes": figures.body_bytes,
        "p50_protected_ms": round(median_ms(pl), 3),
        "p50_plain_ms": round(median_ms(bl), 3),
        "p99_protected_ms": round(percentile(pl, 99), 3),
        "p99_plain_ms": round(percentile(bl, 99), 3),
        "protected_per_s": round(figures.protected_throughput.per_second, 1),
        "plain_per_s": round(figures.plain_throughput.per_second, 1),
        "audited_reads": figures.audited_reads,
        "served_reads": figures.served_reads,
        "errors": sum(
            sum(r.bad.values()) for r in (figures.protected_latency, figures.protected_throughput)
        ),
    }
    summary["p50_ratio"] = round(summary["p50_protected_ms"] / summary["p50_plain_ms"], 2)
    summary["p99_ratio"] = round(summary["p99_protected_ms"] / summary["p99_plain_ms"], 2)
    summary["target_p50_ratio"] = TARGET_RATIO
    summary["target_protected_per_s"] = TARGET_PER_SECOND
    summary["met_p50_ratio"] = summary["p50_ratio"] <= TARGET_RATIO
    summary["met_throughput"] = summary["protected_per_s"] >= TARGET_PER_SECOND
    return summary


def report(summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"HTTP on 127.0.0.1 ({summary['database']}, {summary['workers']} workers)")
    for column in ("", "protected read", "plain (same bytes)", "ratio"):
        table.add_column(column, justify="right")
    table.add_row(
        "p50 latency, 1 connection (ms)",
        f"{summary['p50_protected_ms']:.2f}",
        f"{summary['p50_plain_ms']:.2f}",
        f"{summary['p50_ratio']:.2f}×",
    )
    table.add_row(
        "p99 latency, 1 connection (ms)",
        f"{summary['p99_protected_ms']:.2f}",
        f"{summary['p99_plain_ms']:.2f}",
        f"{summary['p99_ratio']:.2f}×",
    )
    table.add_row(f"answers/s, {summary['connections']} conns, {summary['clients']} clients",
                  f"{summary['protected_per_s']:,.0f}", f"{summary['plain_per_s']:,.0f}",
                  f"{summary['protected_per_s'] / summary['plain_per_s']:.2f}×")  # fmt: skip
    console.print(table)
    ratio = "met" if summary["met_p50_ratio"] else "MISSED"
    rate = "met" if summary["met_throughput"] else "MISSED"
    console.print(
        f"Target p50 ratio ≤ {TARGET_RATIO}: {ratio}. Target ≥ {TARGET_PER_SECOND:,} protected "
        f"reads/s: {rate}. Audit entries written for the run: {summary['audited_reads']:,} "
        f"for {summary['served_reads']:,} reads served; errors: {summary['errors']}."
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    progress = Console(stderr=True)
    console = Console() if sys.stdout.isatty() else Console(width=120, color_system=None)
    if args.database == "postgresql" and (reason := postgres_unreachable()):
        print(f"error: {reason}", file=sys.stderr)
        return 1 if in_ci() else 0
    databases = postgres_database if args.database == "postgresql" else sqlite_database
    with databases() as engine:
        url = engine.url.render_as_string(hide_password=False)
        figures = measure(
            engine, url, seconds=args.seconds, connections=args.connections,
            workers=args.workers, clients=args.clients,
            log=lambda m: progress.log(m, highlight=False),
        )  # fmt: skip
    summary = summarise(figures, args)
    report(summary, console)
    console.file.flush()
    print(json.dumps(summary, separators=(", ", ": "), allow_nan=False), flush=True)
    return 0
