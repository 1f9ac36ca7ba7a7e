"""Practice-level policy choices that the law leaves open. Defaults are the conservative ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from confide.domain.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Choices a practice (or its jurisdiction) makes; each default protects the client more."""

    # HIPAA 164.524(a)(1)(i): the right of access excludes psychotherapy notes; a practice
    # may choose to share them with the client anyway.
    client_may_read_psychotherapy_notes: bool = False
    # HIPAA 164.502(g)(3): where a minor lawfully consented to care themself, the parent is not
    # their personal representative for it unless state law says otherwise.
    representative_sees_self_consented_care: bool = False
    # Break-the-glass: how long emergency access lasts, and how soon it must be reviewed.
    break_glass_max_window: timedelta = timedelta(hours=1)
    break_glass_review_within: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.break_glass_max_window <= timedelta(0) or self.break_glass_max_window > timedelta(
            hours=24
        ):
            raise InvalidValue(
                "settings.break_glass_max_window", "must be more than 0 and at most 24 hours"
            )
        if self.break_glass_review_within <= timedelta(0):
            raise InvalidValue("settings.break_glass_review_within", "must be more than 0")


DEFAULT_SETTINGS = PolicySettings()
