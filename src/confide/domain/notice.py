"""The limits-of-confidentiality notice, its versions, and each client's acknowledgment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from confide.domain.validation import require_aware, require_id, require_text


@dataclass(frozen=True, slots=True)
class NoticeVersion:
    """A version of the notice telling clients when confidentiality may be broken."""

    version: str
    effective_from: datetime
    text: str | None = None  # what the client reads, in plain words (Markdown)

    def __post_init__(self) -> None:
        require_id(self.version, "notice.version")
        if self.text is not None:
            require_text(self.text, "notice.text", max_length=20_000)
        object.__setattr__(
            self, "effective_from", require_aware(self.effective_from, "notice.effective_from")
        )


@dataclass(frozen=True, slots=True)
class NoticeAcknowledgment:
    """A client acknowledged a version of the notice at intake (or later)."""

    client_id: str
    version: str
    acknowledged_at: datetime

    def __post_init__(self) -> None:
        require_id(self.client_id, "acknowledgment.client_id")
        require_id(self.version, "acknowledgment.version")
        object.__setattr__(
            self,
            "acknowledged_at",
            require_aware(self.acknowledged_at, "acknowledgment.acknowledged_at"),
        )
