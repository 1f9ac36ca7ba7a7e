"""Request and answer bodies for running the practice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from confide.api.schemas import Answer, Id, Request
from confide.domain import Role


class NewOrganisation(Request):
    id: Id = Field(examples=["clinic-west"])
    # One line, no control characters (PostgreSQL's text columns refuse NUL).
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    ] = Field(examples=["West community clinic"])


class NewPerson(Request):
    id: Id = Field(examples=["clin-042"])
    role: Role = Field(examples=[Role.CLINICIAN])
    organisation_id: Id | None = Field(default=None, examples=["home"])


class ClientAdmission(Request):
    id: Id = Field(examples=["client-0042"])
    organisation_id: Id = Field(examples=["home"])
    birth_date: date | None = None


class Admitted(Answer):
    client_id: str
    organisation_id: str


class NewRelationship(Request):
    clinician_id: Id = Field(examples=["clin-a"])
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    ends_at: AwareDatetime | None = None


class RelationshipAnswer(Answer):
    id: str
    clinician_id: str
    client_id: str
    starts_at: datetime
    ends_at: datetime | None


class NewNotice(Request):
    version: Id = Field(examples=["notice-v3"])
    effective_from: AwareDatetime | None = Field(default=None, description="Default: now.")
    # Markdown, kept in the clear: any text but NUL, which PostgreSQL's text columns refuse.
    text: (
        Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"^[^\x00]+$")]
        | None
    ) = None
