"""A practice behind the HTTP API, for the API tests: people in every role with accounts,
a client of each kind of relationship, and a clock the tests may move.

The store is real (SQLite or PostgreSQL); only time is the test's own.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note on httpx's successor
    from fastapi.testclient import TestClient

from confide.api.app import create_app
from confide.api.security import CSRF_HEADER
from confide.domain import (
    Actor,
    Category,
    Client,
    Consent,
    Organisation,
    Period,
    Purpose,
    Role,
    TreatmentRelationship,
)
from confide.services import accounts, consents, practice, records
from confide.services.deps import Deps
from confide.vault import KeyRing, LocalKek, Vault

# Full-cost argon2 is under test in test_auth.py and test_no_user_enumeration.py; elsewhere a
# cheap profile keeps a world quick to build (its accounts' hashing is not what is tested).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords cheaply for the block's duration (tests of other things than hashing)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_HASHER", CHEAP_HASHER)
        mp.setattr(accounts, "_DUMMY_HASH", CHEAP_HASHER.hash("synthetic-dummy-password"))
        yield


BASE = "https://testserver"  # the cookies are Secure: the test client speaks as over HTTPS
PASSWORD = "synthetic-harbor-lantern-quartz-42"


class MovableClock:
    """The real time plus an offset the test moves; TOTP codes follow it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


@dataclass
class World:
    """One practice (and a second one) with an account for each role."""

    deps: Deps
    clock: MovableClock
    app: FastAPI
    tag: str
    home: str
    other: str
    officer: str
    clinician: str  # treats ``client``
    colleague: str  # same practice, no relationship with ``client``
    supervisor: str
    staff: str
    admin: str
    outsider: str  # a clinician of the other practice, named by ``client``'s consent
    client: str  # treated by ``clinician``, one note per category
    other_client: str  # treated by ``colleague``
    revoked_client: str  # consented to ``outsider``, then revoked
    secrets: dict[str, str | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def code(self, name: str) -> str | None:
        """A fresh code for the account: the clock moves to the next time step first, so a
        code is never refused as already used."""
        secret = self.secrets.get(name)
        if secret is None:
            return None
        self.clock.advance(timedelta(seconds=30))
        return pyotp.TOTP(secret).at(self.clock.now())

    def client_for(self) -> TestClient:
        """A fresh browser with no cookies."""
        return TestClient(self.app, base_url=BASE)

    def sign_in(self, name: str) -> TestClient:
        """A browser signed in as ``name``; its CSRF token is sent with every request."""
        browser = self.client_for()
        answer = browser.post(
            "/api/v1/auth/sign-in",
            json={"name": name, "password": PASSWORD, "code": self.code(name)},
        )
        assert answer.status_code == 200, answer.text
        browser.headers[CSRF_HEADER] = answer.json()["csrf_token"]
        return browser

    def token(self, name: str, scopes: list[str], days: int = 30) -> str:
        """An integration token of ``name`` with ``scopes``."""
        answer = self.sign_in(name).post(
            "/api/v1/tokens", json={"name": "test", "scopes": scopes, "expires_in_days": days}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])


def build_world(deps: Deps, clock: MovableClock) -> World:
    """Put the practice on file through the services and make every account."""
    tag = secrets.token_hex(3)
    w = World(
        deps=deps, clock=clock, app=create_app(deps), tag=tag,
        home=f"home-{tag}", other=f"other-{tag}", officer=f"officer-{tag}",
        clinician=f"clin-{tag}", colleague=f"colleague-{tag}", supervisor=f"sup-{tag}",
        staff=f"desk-{tag}", admin=f"admin-{tag}", outsider=f"north-{tag}",
        client=f"client-{tag}", other_client=f"oclient-{tag}", revoked_client=f"rclient-{tag}",
    )  # fmt: skip
    practice.found_practice(
        deps, Organisation(w.home, "Home practice"), Actor(w.officer, Role.PRIVACY_OFFICER, w.home)
    )
    practice.add_organisation(deps, Organisation(w.other, "Other clinic"), by=w.officer)
    people = [
        Actor(w.clinician, Role.CLINICIAN, w.home),
        Actor(w.colleague, Role.CLINICIAN, w.home),
        Actor(w.supervisor, Role.SUPERVISOR, w.home),
        Actor(w.staff, Role.STAFF, w.home),
        Actor(w.admin, Role.ADMINISTRATOR, w.home),
        Actor(w.outsider, Role.CLINICIAN, w.other),
    ]
    for actor in people:
        practice.add_actor(deps, actor, by=w.officer)
    start = clock.now() - timedelta(days=1)
    for client_id, clinician in (
        (w.client, w.clinician),
        (w.other_client, w.colleague),
        (w.revoked_client, w.clinician),
    ):
        practice.create_client(deps, Client(client_id, w.home), by=w.officer)
        practice.add_relationship(
            deps,
            TreatmentRelationship(f"rel-{client_id}", clinician, client_id, Period(start)),
            by=w.officer,
        )
    for category in Category:
        text = f"Synthetic {category.value} line {secrets.token_hex(4)} for {tag}."
        w.notes[category.value] = text
        records.write_record(
            deps, actor_id=w.clinician, client_id=w.client, category=category, text=text
        )
    for client_id in (w.other_client, w.revoked_client):
        text = f"Synthetic progress line {secrets.token_hex(4)} for {client_id}."
        w.notes[client_id] = text
        author = w.colleague if client_id == w.other_client else w.clinician
        records.write_record(
            deps, actor_id=author, client_id=client_id, category=Category.PROGRESS_NOTE, text=text
        )
    for client_id in (w.client, w.revoked_client):
        consent = Consent(
            f"consent-{client_id}", client_id, w.outsider,
            frozenset({Category.PROGRESS_NOTE}), frozenset({Purpose.TREAT}), Period(start),
        )  # fmt: skip
        consents.grant_consent(deps, consent, by=client_id)
    consents.revoke_consent(deps, f"consent-{w.revoked_client}", by=w.revoked_client)
    for name in [a.id for a in people] + [w.officer, w.client, w.other_client, w.revoked_client]:
        made = accounts.create_account(deps, name, PASSWORD, by=accounts.OPERATOR, as_operator=True)
        w.secrets[name] = made.totp_secret
    return w


@contextmanager
def shared_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world for a whole test module, on the database the fixture's param names
    ("sqlite": a fresh file; "postgresql": the run's database), with cheap password hashing."""
    from confide.store.engine import make_engine
    from confide.store.migrate import upgrade

    with cheap_password_hashing():
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('world') / 'confide.db'}"
            migrating = make_engine(url)
            upgrade(migrating)
            migrating.dispose()
        else:
            url = str(request.getfixturevalue("postgres_url"))
        engine = make_engine(url)
        clock = MovableClock()
        kek = LocalKek("kek-test", secrets.token_bytes(32))
        try:
            yield build_world(
                world_deps(engine, KeyRing({kek.kek_id: kek}, kek.kek_id), clock), clock
            )
        finally:
            engine.dispose()


def world_deps(engine: object, ring: object, clock: MovableClock) -> Deps:
    """The services' dependencies over a real engine and key ring, with the test's clock."""
    return Deps(engine=engine, vault=Vault(ring), clock=clock)  # type: ignore[arg-type]
