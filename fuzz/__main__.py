"""Run the fuzz targets for a bounded time each: ``python -m fuzz [--seconds N] [TARGET...]``.

Each target runs as its own process (``python -m fuzz.TARGET``) under libFuzzer, starting from
its seed corpus in ``fuzz/corpus/TARGET/`` (never written to: new inputs go to a scratch
directory) and its dictionary in ``fuzz/dictionaries/``, if any. A crash, an uncaught
exception or an input slower than ``--timeout`` seconds is saved under ``fuzz/crashes/`` and
makes the run fail. One line per target reports its executions and findings; the last line is
one JSON object of the same figures.

Replay a saved input: ``python -m fuzz.TARGET fuzz/crashes/TARGET-crash-...``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fuzz import TARGETS

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"
_EXECUTED = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_DONE = re.compile(r"Done (\d+) runs")
_TAIL_LINES = 40


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one target's run found."""

    target: str
    seconds: float
    executions: int
    findings: list[str]
    exit_code: int

    @property
    def failed(self) -> bool:
        """A finding, or libFuzzer stopped for another reason."""
        return bool(self.findings) or self.exit_code != 0


def fuzz_one(target: str, seconds: int, timeout: int) -> tuple[Outcome, str]:
    """Run one target for ``seconds``; its outcome and libFuzzer's output."""
    CRASHES.mkdir(exist_ok=True)
    before = set(CRASHES.glob(f"{target}-*"))
    seeds = HERE / "corpus" / target
    dictionary = HERE / "dictionaries" / f"{target}.dict"
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target}-") as scratch:
        command = [
            sys.executable,
            "-m",
            f"fuzz.{target}",
            f"-max_total_time={seconds}",
            f"-timeout={timeout}",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
            f"-artifact_prefix={CRASHES}/{target}-",
            *([f"-dict={dictionary}"] if dictionary.exists() else []),
            scratch,
            *([str(seeds)] if seeds.is_dir() else []),
        ]
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - this interpreter, a target of this package
            command, cwd=HERE.parent, capture_output=True, text=True, errors="replace", check=False
        )
        elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    found = _EXECUTED.search(output) or _DONE.search(output)
    findings = sorted(
        str(p.relative_to(HERE.parent)) for p in set(CRASHES.glob(f"{target}-*")) - before
    )
    outcome = Outcome(
        target, round(elapsed, 1), int(found[1]) if found else 0, findings, done.returncode
    )
    return outcome, output


def main(argv: list[str] | None = None) -> int:
    """Run the chosen targets (all by default); non-zero if any found something."""
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(TARGETS))
    parser.add_argument("--seconds", type=int, default=10, help="per target (default 10)")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    outcomes = []
    for target in args.targets or TARGETS:
        outcome, output = fuzz_one(target, args.seconds, args.timeout)
        outcomes.append(outcome)
        verdict = "FAILED" if outcome.failed else "ok"
        print(
            f"{target:<16} {outcome.seconds:6.1f} s {outcome.executions:>10,} executions "
            f"{len(outcome.findings)} finding(s)  {verdict}",
            flush=True,
        )
        if outcome.failed:
            print("\n".join(output.splitlines()[-_TAIL_LINES:]), file=sys.stderr)
            for path in outcome.findings:
                print(f"  saved: {path} (replay: python -m fuzz.{target} {path})")
    print(json.dumps({"fuzz": [asdict(o) for o in outcomes]}))
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
