"""``python -m bench scale``: bulk-load synthetic practices of growing size into PostgreSQL and
time, over HTTP, five requests about one client whose own record is the same at every size (a
note read, a page of its access history, its accounting of disclosures, its clinician's
caseload, a consent change); prints a table, writes the curve as an image, and ends with one
JSON line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.http.run import median_ms
from bench.scale.loader import PracticeSize
from bench.scale.plot import write_plot
from bench.scale.run import PROBES, SizeFigures, measure
from bench.store.databases import in_ci, postgres_unreachable

TARGET_RATIO = 1.5
REFERENCE = 10_000
LARGEST_GOAL = 1_000_000
DEFAULT_PLOT = Path(__file__).resolve().parents[2] / "docs" / "performance-scale.svg"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="notes per practice, comma-separated (10 audit entries per note)",
    )
    parser.add_argument("--requests", type=int, default=200, help="timed rounds per size")
    parser.add_argument(
        "--plot",
        type=Path,
        default=None,
        help=f"where to write the curve (default {DEFAULT_PLOT}; "
        "the suffix becomes .png when matplotlib is installed)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI size: 1,000 and 10,000 notes, 20 rounds, a small probe client",
    )
    parser.add_argument(
        "--probe-entries",
        type=int,
        default=None,
        help="audit entries in the probe client's own chain (default 2,000; 300 with --quick)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    args.probe = {}
    if args.quick:
        args.sizes, args.requests = "1000,10000", min(args.requests, 20)
        args.probe = {"probe_entries": 300, "probe_notes": 5, "probe_disclosures": 5}
    if args.probe_entries is not None:
        if args.probe_entries < 100:
            parser.error("--probe-entries: at least 100")
        args.probe["probe_entries"] = args.probe_entries
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not args.size_list or min(args.size_list) < 100:
        parser.error("--sizes: give notes per practice, each at least 100")
    if args.plot is None and not args.quick:
        args.plot = DEFAULT_PLOT
    return args


def _ratio(figures: list[SizeFigures], size: int) -> dict[str, float] | None:
    """Per request, p99 at ``size`` notes over p99 at 10,000; None unless both were run."""
    by_size = {f.size.notes: f for f in figures}
    if REFERENCE not in by_size or size not in by_size:
        return None
    ref, at = by_size[REFERENCE], by_size[size]
    return {p.name: round(at.p(p.name, 99) / ref.p(p.name, 99), 2) for p in PROBES}


def summarise(figures: list[SizeFigures], args: argparse.Namespace) -> dict[str, Any]:
    largest = max(args.size_list)
    per_largest = _ratio(figures, largest)
    per_1m = _ratio(figures, LARGEST_GOAL)
    sizes = []
    for f in figures:
        entry: dict[str, Any] = {
            "notes": f.size.notes, "clients": f.size.clients, "clinicians": f.size.clinicians,
            "audit_entries": f.size.audit_entries, "rows": f.load.total_rows,
            "load_s": round(f.load.total_seconds, 2),
            "rows_per_s": round(f.load.rows_per_second), "errors": f.errors,
        }  # fmt: skip
        for p in PROBES:
            entry[f"{p.name}_p50_ms"] = round(median_ms(f.latencies.get(p.name, [])), 3)
            entry[f"{p.name}_p99_ms"] = round(f.p(p.name, 99), 3) if p.name in f.latencies else None
        sizes.append(entry)
    worst_largest = max(per_largest.values()) if per_largest else None
    worst_1m = max(per_1m.values()) if per_1m else None
    return {
        "bench": "scale",
        "sizes": sizes,
        "requests": args.requests,
        "errors": sum(f.errors for f in figures),
        "p99_largest_over_p99_10k": worst_largest,
        "p99_largest_over_p99_10k_by_request": per_largest,
        "p99_1m_over_p99_10k": worst_1m,
        "target_ratio": TARGET_RATIO,
        "met": None if worst_1m is None else worst_1m <= TARGET_RATIO,
    }


def report(summary: dict[str, Any], console: Console) -> None:
    load = Table(title="Bulk load into PostgreSQL (COPY)")
    for column in ("notes", "clients", "clinicians", "audit entries", "rows", "seconds", "rows/s"):
        load.add_column(column, justify="right")
    for s in summary["sizes"]:
        counts = (f"{s[k]:,}" for k in ("notes", "clients", "clinicians", "audit_entries", "rows"))
        load.add_row(*counts, f"{s['load_s']:.1f}", f"{s['rows_per_s']:,}")
    console.print(load)
    table = Table(title="p50 / p99 ms over HTTP, one connection, the same client at every size")
    table.add_column("request")
    for s in summary["sizes"]:
        table.add_column(f"{s['notes']:,} notes", justify="right")
    table.add_column("p99 ÷ p99 at 10k", justify="right")
    ratios = summary["p99_largest_over_p99_10k_by_request"] or {}
    for p in PROBES:
        cells = [f"{s[f'{p.name}_p50_ms']:.2f} / {s[f'{p.name}_p99_ms']:.2f}"
                 for s in summary["sizes"]]  # fmt: skip
        ratio = ratios.get(p.name)
        table.add_row(p.name, *cells, "–" if ratio is None else f"{ratio:.2f}×")
    console.print(table)
    worst = summary["p99_largest_over_p99_10k"]
    verdict = "no 1,000,000-note size in this run"
    if summary["met"] is not None:
        verdict = "met" if summary["met"] else "MISSED"
    console.print(
        f"Worst p99 at the largest size over p99 at 10,000 notes: "
        f"{'–' if worst is None else f'{worst:.2f}×'}. Target at 1,000,000 notes ≤ "
        f"{TARGET_RATIO}×: {verdict}. Errors: {summary['errors']}."
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    progress = Console(stderr=True)
    console = Console() if sys.stdout.isatty() else Console(width=140, color_system=None)
    if reason := postgres_unreachable():
        print(f"error: {reason}", file=sys.stderr)
        return 1 if in_ci() else 0
    sizes = [PracticeSize.for_notes(n, **args.probe) for n in args.size_list]
    figures = measure(sizes, args.requests, lambda m: progress.log(m, highlight=False))
    summary = summarise(figures, args)
    if args.plot is not None:
        series = {p.name: [f.p(p.name, 99) for f in figures] for p in PROBES}
        written = write_plot(args.plot, args.size_list, series,
                             "p99 per request as the practice grows")  # fmt: skip
        summary["plot"] = str(written)
    report(summary, console)
    console.file.flush()
    clean = json.loads(json.dumps(summary, default=str), parse_constant=lambda _: None)
    print(json.dumps(clean, separators=(", ", ": "), allow_nan=False), flush=True)
    return 0 if summary["errors"] == 0 else 1
