"""Opening a data directory: its key file, its database, its schema.

A missing key file over existing data is refused, never replaced: a new key would make every
record unreadable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, select

from confide.audit.signing import create_signing_key_file
from confide.services.deps import Deps, SystemClock
from confide.services.rule_packs import load_rule_pack
from confide.store import schema as t
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.store.settings import StoreSettings
from confide.vault import (
    KeyRing,
    KeyUnavailable,
    Vault,
    create_key_file,
    load_from_environment,
    load_key_file,
)


@dataclass(frozen=True, slots=True)
class Opened:
    """An opened data directory."""

    deps: Deps
    settings: StoreSettings
    created_key: bool


def initialise(settings: StoreSettings) -> Opened:
    """Create the data directory and key file if new, and bring the schema up to date."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The database and its WAL files name clients: only the service's own user may read them.
    settings.data_dir.chmod(0o700)
    os.umask(0o077)
    engine = make_engine(settings.database_url)
    ring, created = _key_ring(settings, engine, may_create=True)
    upgrade(engine)
    _audit_signing_key(settings, engine)
    engine = _app_engine(settings, engine)
    deps = Deps(
        engine, _vault(settings, ring), SystemClock(), rules=load_rule_pack(settings.rule_pack)
    )
    return Opened(deps, settings, created)


def open_existing(settings: StoreSettings) -> Opened:
    """Open an initialised data directory; refuses to start without its key."""
    engine = make_engine(settings.database_url)
    ring, _ = _key_ring(settings, engine, may_create=False)
    upgrade(engine)
    engine = _app_engine(settings, engine)
    deps = Deps(
        engine, _vault(settings, ring), SystemClock(), rules=load_rule_pack(settings.rule_pack)
    )
    return Opened(deps, settings, False)


def _app_engine(settings: StoreSettings, migrated: Engine) -> Engine:
    """Migrations ran as the login user; the application acts as CONFIDE_DATABASE_ROLE."""
    if settings.database_role is None or settings.is_sqlite:
        return migrated
    migrated.dispose()
    return make_engine(settings.database_url, role=settings.database_role)


def _vault(settings: StoreSettings, ring: KeyRing) -> Vault:
    """A vault that picks up a rotation's new key from the key file (not from CONFIDE_KEK,
    which a running process cannot see change)."""
    if load_from_environment(os.environ) is not None:
        return Vault(ring)
    return Vault(ring, reload=lambda: load_key_file(settings.key_file))


def _key_ring(settings: StoreSettings, engine: Engine, *, may_create: bool) -> tuple[KeyRing, bool]:
    from_env = load_from_environment(os.environ)
    if from_env is not None:
        return from_env, False
    if settings.key_file.exists():
        return load_key_file(settings.key_file), False
    if _holds_data(engine):
        raise KeyUnavailable(
            f"the database holds client data but the key file {settings.key_file} is missing. "
            "Restore the key file from your key backup (or set CONFIDE_KEK); confide will not "
            "create a new key over existing data."
        )
    if not may_create:
        return load_key_file(settings.key_file), False  # raises with what to do
    return create_key_file(settings.key_file), True


def _holds_data(engine: Engine) -> bool:
    if not inspect(engine).has_table(t.client_keys.name):
        return False
    with engine.connect() as c:
        return c.execute(select(t.client_keys.c.client_id).limit(1)).first() is not None


def _audit_signing_key(settings: StoreSettings, engine: Engine) -> None:
    """Create the audit signing key for a log with no checkpoint yet; never replace one that
    signed checkpoints (they would no longer verify with the published public key)."""
    if settings.audit_key_file.exists():
        return
    with engine.connect() as c:
        signed = c.execute(select(t.audit_checkpoints.c.tree_size).limit(1)).first()
    if signed is None:
        create_signing_key_file(settings.audit_key_file)
