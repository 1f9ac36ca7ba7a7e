"""API fixtures: a practice behind the HTTP API on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from confide.store.engine import make_engine
from confide.vault import KeyRing
from tests.api.world import MovableClock, World, build_world, world_deps
from tests.integration.conftest import database_url, postgres_url, ring

__all__ = ["database_url", "postgres_url", "ring"]


@pytest.fixture
def world(database_url: str, ring: KeyRing) -> Iterator[World]:
    """A fresh practice (its own ids) behind a fresh app, on each database."""
    engine = make_engine(database_url)
    clock = MovableClock()
    yield build_world(world_deps(engine, ring, clock), clock)
    engine.dispose()
