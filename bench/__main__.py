"""``python -m bench NAME [options]``: run one benchmark by name."""

from __future__ import annotations

import sys
from collections.abc import Callable


def _decision(argv: list[str]) -> int:
    from bench.decision.cli import main

    return main(argv)


def _store(argv: list[str]) -> int:
    from bench.store.cli import main

    return main(argv)


def _audit(argv: list[str]) -> int:
    from bench.audit.cli import main

    return main(argv)


def _http(argv: list[str]) -> int:
    from bench.http.cli import main

    return main(argv)


def _scale(argv: list[str]) -> int:
    from bench.scale.cli import main

    return main(argv)


def _crash(argv: list[str]) -> int:
    from bench.crash.cli import main

    return main(argv)


# Imported lazily so that one benchmark's optional peers never break another's command line.
BENCHMARKS: dict[str, Callable[[list[str]], int]] = {
    "decision": _decision,
    "store": _store,
    "audit": _audit,
    "http": _http,
    "crash": _crash,
    "scale": _scale,
}


def main(argv: list[str]) -> int:
    """Dispatch to the named benchmark; print the choices when the name is missing or unknown."""
    if not argv or argv[0] not in BENCHMARKS:
        names = ", ".join(sorted(BENCHMARKS))
        print(f"usage: python -m bench NAME [options]   (NAME is one of: {names})", file=sys.stderr)
        return 2
    return BENCHMARKS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
