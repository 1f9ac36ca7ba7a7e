"""A client's consent: who may see which categories, for which purposes, for how long.

A consent provision either permits or forbids. Revocation is prospective and immediate: from
``revoked_at`` on, the provision no longer applies (HIPAA 164.508(b)(5); 42 CFR 2.31(a)(6)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from confide.domain.codes import Category, Effect, Purpose
from confide.domain.errors import InvalidValue
from confide.domain.period import Period, require_period
from confide.domain.validation import (
    parse_code,
    parse_codes,
    require_id,
    require_optional_aware,
    require_text,
)


class ConsentStatus(StrEnum):
    """Where a consent stands at a given moment; derived, never stored."""

    NOT_YET_ACTIVE = "not_yet_active"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Consent:
    """A provision of the client's consent toward one recipient (a person or an organisation)."""

    id: str
    client_id: str
    recipient_id: str
    categories: frozenset[Category]
    purposes: frozenset[Purpose]
    period: Period
    effect: Effect = Effect.PERMIT
    revoked_at: datetime | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "consent.id")
        require_id(self.client_id, "consent.client_id")
        require_id(self.recipient_id, "consent.recipient_id")
        if self.recipient_id == self.client_id:
            raise InvalidValue(
                "consent.recipient_id",
                "names the client; a client needs no consent to see their own record",
            )
        object.__setattr__(
            self, "categories", parse_codes(Category, self.categories, "consent.categories")
        )
        object.__setattr__(
            self, "purposes", parse_codes(Purpose, self.purposes, "consent.purposes")
        )
        object.__setattr__(self, "effect", parse_code(Effect, self.effect, "consent.effect"))
        require_period(self.period, "consent.period")
        object.__setattr__(
            self, "revoked_at", require_optional_aware(self.revoked_at, "consent.revoked_at")
        )
        if self.note is not None:
            require_text(self.note, "consent.note", max_length=500)
        if (
            self.effect is Effect.PERMIT
            and Category.PSYCHOTHERAPY_NOTE in self.categories
            and len(self.categories) > 1
        ):
            # HIPAA 164.508(b)(3)(ii): an authorization for psychotherapy notes may be combined
            # only with another authorization for psychotherapy notes.
            raise InvalidValue(
                "consent.categories",
                "an authorization for psychotherapy notes must cover psychotherapy notes only "
                "(HIPAA 164.508(b)(3)(ii)); grant the other categories in a separate consent",
            )

    def status_at(self, at: datetime) -> ConsentStatus:
        """The consent's status at ``at``: revoked wins over expired, expired over active."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return ConsentStatus.REVOKED
        if self.period.has_ended(at):
            return ConsentStatus.EXPIRED
        if at < self.period.start:
            return ConsentStatus.NOT_YET_ACTIVE
        return ConsentStatus.ACTIVE

    def in_force_at(self, at: datetime) -> bool:
        """True if the provision applies at ``at``: started, not ended, not revoked."""
        return self.period.contains(at) and (self.revoked_at is None or at < self.revoked_at)
