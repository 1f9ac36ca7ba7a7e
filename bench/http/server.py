"""The app the benchmark serves: confide's API over the benchmark's database, plus one
unprotected route that returns, from memory, the very bytes the protected read returns.

Run by uvicorn in its own process (``--factory bench.http.server:build``), configured through
the environment the benchmark sets: BENCH_DATABASE_URL, BENCH_KEK (base64), BENCH_PLAIN_FILE.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from fastapi import FastAPI, Response

from confide.api.app import create_app
from confide.services.deps import Deps, SystemClock
from confide.store.engine import make_engine
from confide.vault import KeyRing, LocalKek, Vault

PLAIN_PATH = "/bench/plain"


def deps_from_environment() -> Deps:
    """The benchmark's store: its database and its key-encryption key."""
    kek = LocalKek("kek-bench", base64.b64decode(os.environ["BENCH_KEK"]))
    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    return Deps(engine, Vault(KeyRing({kek.kek_id: kek}, kek.kek_id)), SystemClock())


def build() -> FastAPI:
    """confide's app, with the unprotected baseline route added."""
    app = create_app(deps_from_environment(), csrf_secret="bench-only")  # noqa: S106 - no browser
    body = Path(os.environ["BENCH_PLAIN_FILE"]).read_bytes()

    @app.get(PLAIN_PATH, include_in_schema=False)
    def plain() -> Response:
        # The same bytes, through the same middleware, with nothing decided, read or logged.
        return Response(body, media_type="application/json")

    return app
