"""People and organisations: clients, clinicians and everyone else who may ask for a record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from confide.domain.codes import Role
from confide.domain.errors import InvalidValue
from confide.domain.validation import parse_code, require_id, require_text


@dataclass(frozen=True, slots=True)
class Organisation:
    """A practice, another provider, an agency or a court: a possible consent recipient."""

    id: str
    name: str

    def __post_init__(self) -> None:
        require_id(self.id, "organisation.id")
        require_text(self.name, "organisation.name", max_length=200)


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone who may ask for a record. A client's own actor id is their client id."""

    id: str
    role: Role
    organisation_id: str | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "actor.id")
        object.__setattr__(self, "role", parse_code(Role, self.role, "actor.role"))
        if self.organisation_id is not None:
            require_id(self.organisation_id, "actor.organisation_id")
        if self.role in (Role.STAFF, Role.CLINICIAN, Role.SUPERVISOR, Role.PRIVACY_OFFICER) and (
            self.organisation_id is None
        ):
            raise InvalidValue(
                "actor.organisation_id", f"a {self.role.value} must belong to an organisation"
            )


@dataclass(frozen=True, slots=True)
class Client:
    """A client of a practice. Demographics and content live in the vault, not here."""

    id: str
    organisation_id: str
    birth_date: date | None = None

    def __post_init__(self) -> None:
        require_id(self.id, "client.id")
        require_id(self.organisation_id, "client.organisation_id")
        if self.birth_date is not None and not isinstance(self.birth_date, date):
            raise InvalidValue("client.birth_date", "must be a date (YYYY-MM-DD)")
