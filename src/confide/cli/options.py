"""What several commands read from the command line alike: who acts, dates and times, and the
opened data directory."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import typer

from confide.domain import InvalidValue
from confide.services.deps import Deps
from confide.services.setup import open_existing
from confide.store.settings import StoreSettings

AS = typer.Option("--as", help="Who acts (their id).")


def opened_deps() -> Deps:
    """The use cases' dependencies for the data directory of CONFIDE_DATA_DIR."""
    return open_existing(StoreSettings.from_environment(os.environ)).deps


def moment(text: str, option: str, problem: str) -> datetime:
    """An ISO 8601 date or date and time given for ``option``; UTC when it names no zone.
    ``problem`` says what is wanted, for the error naming the option."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(option, problem) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
