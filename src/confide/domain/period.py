"""A half-open period of time: from ``start`` (included) to ``end`` (excluded, or open)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from confide.domain.errors import InvalidValue
from confide.domain.validation import require_aware, require_optional_aware


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)``; ``end`` None means open-ended. Both ends carry a timezone."""

    start: datetime
    end: datetime | None = None
    name: str = field(default="period", compare=False, repr=False)
    description: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_aware(self.start, f"{self.name}.start"))
        object.__setattr__(self, "end", require_optional_aware(self.end, f"{self.name}.end"))
        if self.end is not None and self.end <= self.start:
            raise InvalidValue(
                f"{self.name}.end",
                f"ends ({self.end.isoformat()}) at or before it starts "
                f"({self.start.isoformat()}); give an end after the start, or none",
            )
        # Worded once here: reasons quote it on the hot path of every decision.
        start = self.start.date().isoformat()
        wording = f"from {start}" if self.end is None else f"from {start} until {self.end.date()}"
        object.__setattr__(self, "description", wording)

    def contains(self, at: datetime) -> bool:
        """True if ``at`` falls within the period."""
        return self.start <= at and (self.end is None or at < self.end)

    def has_ended(self, at: datetime) -> bool:
        """True if the period ended at or before ``at``."""
        return self.end is not None and self.end <= at

    def describe(self) -> str:
        """The period in plain words."""
        return self.description


def require_period(value: object, field: str, *, bounded: bool = False) -> Period:
    """Return ``value`` if it is a Period (with an end, when ``bounded``)."""
    if not isinstance(value, Period):
        raise InvalidValue(field, "must be a period with a start and an optional end")
    if bounded and value.end is None:
        raise InvalidValue(f"{field}.end", "is required: this period must end")
    return value
