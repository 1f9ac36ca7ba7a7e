"""What every use case needs, passed in: the database, the vault, the access log and a clock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine

from confide.policy import DEFAULT_SETTINGS, PolicySettings
from confide.policy.rule_packs import RulePack
from confide.services.rule_packs import DEFAULT_PACK, installed_pack
from confide.store.access_log import AccessLog, ChainedAuditLog
from confide.vault import Vault


class Clock(Protocol):
    """Tells the time; tests pass a fixed or stepping clock, never a fake database."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Deps:
    """The dependencies of the use cases."""

    engine: Engine
    vault: Vault
    clock: Clock
    access_log: AccessLog = ChainedAuditLog()  # noqa: RUF009 - stateless, shared safely
    policy: PolicySettings = DEFAULT_SETTINGS
    # The jurisdiction's rules for the limits of confidentiality (decision 0013).
    rules: RulePack = field(default_factory=lambda: installed_pack(DEFAULT_PACK))


def new_id(prefix: str) -> str:
    """A fresh opaque id: a prefix and 96 random bits, no meaning, safe in URLs and logs."""
    return f"{prefix}-{secrets.token_hex(12)}"
