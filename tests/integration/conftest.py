"""Integration fixtures: every test runs on SQLite and on a real PostgreSQL.

The PostgreSQL database is created for this test run and dropped after it. Without a server,
the PostgreSQL cases skip with a message saying how to enable them; under CI (CI=true) a missing
server fails the run instead, so CI never silently skips them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from confide.domain import Actor, Client, Organisation, Period, Role, TreatmentRelationship
from confide.services import practice
from confide.services.deps import Deps
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.vault import KeyRing, LocalKek, Vault

ADMIN_URL = os.environ.get(
    "CONFIDE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class StepClock:
    """A clock that starts at T0 and moves one second each time it is read."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@contextmanager
def _postgres_database() -> Iterator[str]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"confide_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        message = (
            f"PostgreSQL is not reachable at {ADMIN_URL}; start it, or set "
            "CONFIDE_TEST_POSTGRES_URL to a server where this user may create databases"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the test run, shared by tests that touch only their own ids."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in a fresh file; PostgreSQL in the run's database, or, for tests marked
    ``whole_database`` (they act on every row, like key rotation), in one of their own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'confide.db'}"
        upgrade(make_engine(url))
        yield url
    elif request.node.get_closest_marker("whole_database"):
        with _postgres_database() as url:
            yield url
    else:
        yield str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ring() -> KeyRing:
    kek = LocalKek("kek-test", secrets.token_bytes(32))
    return KeyRing({kek.kek_id: kek}, kek.kek_id)


@pytest.fixture
def deps(database_url: str, ring: KeyRing) -> Iterator[Deps]:
    engine = make_engine(database_url)
    yield Deps(engine=engine, vault=Vault(ring), clock=StepClock())
    engine.dispose()


@dataclass(frozen=True)
class Practice:
    """Ids of a small practice, unique to one test (the PostgreSQL database is shared)."""

    home: str
    officer: str
    other: str
    clinician: str
    colleague: str
    outsider: str
    client: str


@pytest.fixture
def small_practice(deps: Deps) -> Practice:
    return seed_small_practice(deps)


def seed_small_practice(deps: Deps) -> Practice:
    """A practice with its privacy officer, two clinicians, another clinic's clinician and one
    client in treatment with the first clinician, under fresh ids."""
    tag = secrets.token_hex(3)
    p = Practice(
        f"home-{tag}",
        f"officer-{tag}",
        f"other-{tag}",
        f"clin-{tag}",
        f"colleague-{tag}",
        f"north-{tag}",
        f"client-{tag}",
    )
    practice.found_practice(
        deps, Organisation(p.home, "Home practice"), Actor(p.officer, Role.PRIVACY_OFFICER, p.home)
    )
    practice.add_organisation(deps, Organisation(p.other, "Other clinic"), by=p.officer)
    for actor in (
        Actor(p.clinician, Role.CLINICIAN, p.home),
        Actor(p.colleague, Role.CLINICIAN, p.home),
        Actor(p.outsider, Role.CLINICIAN, p.other),
    ):
        practice.add_actor(deps, actor, by=p.officer)
    practice.create_client(deps, Client(p.client, p.home), by=p.clinician)
    practice.add_relationship(
        deps,
        TreatmentRelationship(f"rel-{tag}", p.clinician, p.client, Period(T0)),
        by=p.officer,
    )
    return p


@pytest.fixture
def cast(deps: Deps, small_practice: Practice) -> object:
    """A practice with a supervisor, outside recipients and one entry per category."""
    from tests.integration.disclosure_cast import make_cast

    return make_cast(deps, small_practice)
