"""The API's request and answer bodies. Requests refuse unknown fields and wrong types and
name the field; text fields have limits; examples are synthetic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from confide.domain import Category, Effect, Purpose, Role
from confide.policy.authentication import Scope

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=262_144)]
# Text stored in the clear (a token's name): one line, no control characters; PostgreSQL's text
# columns refuse NUL, which would otherwise be a 500 there and a stored NUL on SQLite.
OneLine100 = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class Request(BaseModel):
    """A request body: unknown fields are refused by name."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """An answer body."""


class Problem(Answer):
    """Every refusal and error: what was wrong, and the field when one field was."""

    detail: str
    field: str | None = None
    problems: list[dict[str, str]] | None = None


# Signing in -----------------------------------------------------------------------------------


class SignIn(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        examples=["clin-a"]
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        examples=["(the demo prints each password)"]
    )
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = Field(
        default=None,
        description="The 6-digit code from the authenticator; required for practice roles.",
        examples=["492039"],
    )


class SignedInAnswer(Answer):
    actor_id: str
    role: Role
    csrf_token: str = Field(
        description="Send this in the x-csrf-token header with every state-changing request "
        "made with the session cookie."
    )


class PasswordChange(Request):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class PasswordReset(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class PasswordSet(Request):
    new_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Message(Answer):
    detail: str


class Me(Answer):
    actor_id: str
    role: Role
    organisation_id: str | None
    via: str = Field(description="session or token")
    scopes: list[Scope]


class NewAccountAsk(Request):
    actor_id: Id = Field(examples=["clin-new"])
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class NewAccountAnswer(Answer):
    actor_id: str
    totp_secret: str | None = Field(description="Shown once: put it in an authenticator app.")
    totp_uri: str | None


class EnrolmentAnswer(Answer):
    actor_id: str
    code: str = Field(description="Shown once: hand it to the person, who enrols at /enrol.")
    expires_at: datetime
    resets: bool = Field(description="The person has an account: enrolling replaces both factors.")


class TokenAsk(Request):
    name: OneLine100 = Field(examples=["referral system"])
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(Scope))]
    expires_in_days: int = Field(default=90, ge=1, le=365)


class TokenAnswer(Answer):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime | None = None
    expires_at: datetime
    revoked_at: datetime | None = None


class NewTokenAnswer(TokenAnswer):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")


# Clients and records --------------------------------------------------------------------------


class CaseloadEntry(Answer):
    client_id: str
    since: datetime


class ClientAnswer(Answer):
    client_id: str
    organisation_id: str
    since: datetime


class NewRecord(Request):
    category: Category = Field(examples=[Category.PROGRESS_NOTE])
    text: Text = Field(examples=["Synthetic note: client reports better sleep this week."])
    purpose: Purpose = Purpose.TREAT


class RecordCreated(Answer):
    record_id: str
    version: int


class Amendment(Request):
    text: Text


class RecordEntry(Answer):
    record_id: str
    category: Category
    version: int
    author_id: str
    recorded_at: datetime
    text: str


class Withheld(Answer):
    category: Category
    rule: str
    reason: str = Field(description="Why, in plain words.")
    cites: list[str] = Field(description="The law or rule that decided it.")


class RecordsAnswer(Answer):
    entries: list[RecordEntry]
    withheld: list[Withheld] = Field(
        description="What was asked for and not given, with the rule and the reasons."
    )


# Consents -------------------------------------------------------------------------------------


class ConsentAsk(Request):
    recipient_id: Id = Field(examples=["org-referral"])
    categories: Annotated[list[Category], Field(min_length=1, max_length=len(Category))]
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=len(Purpose))]
    # With a timezone: a time without one is refused here, naming the field.
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    ends_at: AwareDatetime | None = None
    effect: Effect = Effect.PERMIT


class ConsentNarrowing(Request):
    categories: Annotated[list[Category], Field(min_length=1, max_length=len(Category))] | None = (
        None
    )
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=len(Purpose))] | None = None
    ends_at: AwareDatetime | None = None


class ConsentAnswer(Answer):
    id: str
    client_id: str
    recipient_id: str
    effect: Effect
    categories: list[Category]
    purposes: list[Purpose]
    starts_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None


# Notice, history, accounting, audit -----------------------------------------------------------


class NoticeAnswer(Answer):
    client_id: str
    version: str | None
    text: str
    acknowledged: list[str]
    needs_acknowledgment: bool


class Acknowledgment(Request):
    version: Id


class HistoryItem(Answer):
    at: datetime
    who: str
    role: str
    what: str
    why: str
    outcome: str
    allowed: bool


class HistoryPage(Answer):
    client_id: str
    chain_intact: bool
    entries: list[HistoryItem]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class AccountingItem(Answer):
    at: datetime
    recipient: str
    what: str
    ground: str


class AccountingAnswer(Answer):
    client_id: str
    period_start: datetime
    disclosures: list[AccountingItem]
    some_withheld: bool
    note: str


class AuditStatus(Answer):
    intact: bool
    chains: int
    entries: int
    problems: list[str]
    last_checkpoint_size: int | None
    last_checkpoint_at: datetime | None
