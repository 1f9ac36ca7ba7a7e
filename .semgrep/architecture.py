# Examples for confide.shell-imports-store (semgrep --test); never imported or run.
# ruleid: confide.shell-imports-store
from confide.store.records_repository import RecordsRepository
# ruleid: confide.shell-imports-store
import confide.store.engine
# ruleid: confide.shell-imports-store
from confide.store import schema
# ruleid: confide.shell-imports-store
from confide import services, store
# ruleid: confide.shell-imports-store
from confide import (
    services,
    store,
)
# ruleid: confide.shell-imports-store
from sqlalchemy import select
# ruleid: confide.shell-imports-store
import sqlalchemy
# ruleid: confide.shell-imports-store
from sqlalchemy.engine import Connection
# ruleid: confide.shell-imports-store
import psycopg
# ruleid: confide.shell-imports-store
from ..store import schema
# ruleid: confide.shell-imports-store
engine = importlib.import_module("confide.store.engine")
# ruleid: confide.shell-imports-store
from .. import store
# ruleid: confide.shell-imports-store
import os, sqlalchemy
# ruleid: confide.shell-imports-store
rows = request.app.state.deps.engine.connect()
# ok: confide.shell-imports-store
from confide.services import records
# ok: confide.shell-imports-store
from confide.services.errors import NotFoundOrDenied
# ok: confide.shell-imports-store
from confide.storefront import page
# ok: confide.shell-imports-store
import confide.domain
# ok: confide.shell-imports-store
from confide.policy.rule_packs import RulePack
