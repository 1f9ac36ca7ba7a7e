"""What every target shares: instrumenting confide's code and handing a target to atheris."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

import atheris

# A fixed "now": the parsers take the time as a parameter, and a finding must replay.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(test_one_input: Callable[[bytes], None]) -> None:
    """Fuzz ``test_one_input`` with libFuzzer's command-line flags from ``sys.argv``."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
