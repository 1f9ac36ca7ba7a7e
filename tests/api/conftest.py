"""API fixtures: a practice behind the HTTP API on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from confide.store.engine import make_engine
from confide.vault import KeyRing
from tests.api.world import (
    MovableClock,
    World,
    build_world,
    cheap_password_hashing,
    world_deps,
)
from tests.integration.conftest import database_url, postgres_url, ring

__all__ = ["database_url", "postgres_url", "ring"]


@pytest.fixture
def world(database_url: str, ring: KeyRing, request: pytest.FixtureRequest) -> Iterator[World]:
    """A fresh practice (its own ids) behind a fresh app, on each database.

    Passwords are hashed with a cheap argon2 profile, except in tests marked
    ``full_cost_hashing`` (the timing of sign-in is what they measure)."""
    engine = make_engine(database_url)
    clock = MovableClock()
    hashing = (
        nullcontext()
        if request.node.get_closest_marker("full_cost_hashing")
        else cheap_password_hashing()
    )
    with hashing:
        yield build_world(world_deps(engine, ring, clock), clock)
    engine.dispose()
