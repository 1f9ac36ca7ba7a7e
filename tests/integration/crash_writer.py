"""A writer process for the crash test: writes notes in a loop, printing each acknowledged id.

Run as ``python -m tests.integration.crash_writer URL KEY_FILE CLIENT CLINICIAN``. It prints a
record id only after its transaction committed, so every printed id was acknowledged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from confide.domain import Category
from confide.services import records
from confide.services.deps import Deps, SystemClock
from confide.store.engine import make_engine
from confide.vault import Vault, load_key_file


def main(url: str, key_file: str, client: str, clinician: str) -> None:
    deps = Deps(make_engine(url), Vault(load_key_file(Path(key_file))), SystemClock())
    n = 0
    while True:
        n += 1
        rid = records.write_record(
            deps,
            actor_id=clinician,
            client_id=client,
            category=Category.PROGRESS_NOTE,
            text=f"crash-test note {n}",
        )
        print(rid, flush=True)  # noqa: T201 - stdout is how the writer acknowledges


if __name__ == "__main__":
    main(*sys.argv[1:5])
