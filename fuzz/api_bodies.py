"""The HTTP API's JSON request bodies (``confide.api.*schemas``) and the domain values the
routes make of them.

An input is a model's name (``ConsentAsk``), a newline and the body. The body is
decoded as the framework decodes it and validated by the model (a 422 naming the field), then
turned into the domain value the route makes (``Consent``, ``Client``,
``TreatmentRelationship``, ``NoticeVersion``, a ``DisclosureRequest`` with its
``LegalProcess``). Property: the framework refuses with ``ValidationError``, the domain with
``InvalidValue``; nothing else escapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import atheris

with atheris.instrument_imports(include=["confide"]):
    from pydantic import BaseModel, ValidationError

    from confide.api import disclosure_schemas, practice_schemas, schemas
    from confide.api.routes.disclosures import _period, _process
    from confide.domain import (
        Actor,
        Client,
        Consent,
        InvalidValue,
        NoticeVersion,
        Organisation,
        Period,
        TreatmentRelationship,
    )
    from confide.services.disclosures import DisclosureAsk, _new

from fuzz.harness import NOW, run

ACTOR = "clin-fuzz"
CLIENT = "client-fuzz"


def _subclasses(model: type[BaseModel]) -> list[type[BaseModel]]:
    found = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


# Every request body the API takes, by name.
MODELS = {
    m.__name__: m
    for m in _subclasses(schemas.Request)
    if m.__module__ in {s.__name__ for s in (schemas, practice_schemas, disclosure_schemas)}
}


def _consent(b: Any) -> object:
    start = b.starts_at or NOW
    if b.ends_at is not None and b.ends_at <= start:
        raise InvalidValue("ends_at", "must be after starts_at")
    period = Period(start, b.ends_at, name="period")
    return Consent(
        "consent-fuzz", CLIENT, b.recipient_id, frozenset(b.categories),
        frozenset(b.purposes), period, effect=b.effect,
    )  # fmt: skip


def _disclosure(b: Any) -> object:
    opening = isinstance(b, disclosure_schemas.DisclosureOpenAsk)
    ask = DisclosureAsk(
        client_id=CLIENT,
        ground=b.ground,
        recipient_id=b.recipient_id,
        recipient_kind=b.recipient_kind,
        categories=frozenset(b.categories),
        justification=b.justification,
        records_period=_period(b.records_period) if opening else None,
        victim_kind=b.victim_kind if opening else None,
        suspected_at=b.suspected_at if opening else None,
        legal_process=_process(b.legal_process) if opening else None,
    )
    return _new(ask, ACTOR, NOW)


def _relationship(b: Any) -> object:
    period = Period(b.starts_at or NOW, b.ends_at, name="period")
    return TreatmentRelationship("rel-fuzz", b.clinician_id, CLIENT, period)


# What each route makes of its body before it calls a service (as the route does it).
DOMAIN: dict[str, Callable[[Any], object]] = {
    "ConsentAsk": _consent,
    "DisclosureOpenAsk": _disclosure,
    "BreakGlassAsk": _disclosure,
    "NewOrganisation": lambda b: Organisation(b.id, b.name),
    "NewPerson": lambda b: Actor(b.id, b.role, b.organisation_id),
    "ClientAdmission": lambda b: Client(b.id, b.organisation_id, b.birth_date),
    "NewRelationship": _relationship,
    "NewNotice": lambda b: NoticeVersion(b.version, b.effective_from or NOW, b.text),
}


def test_one_input(data: bytes) -> None:
    """One body for one request model."""
    name, _, raw = data.partition(b"\n")
    model = MODELS.get(name.decode("latin-1"))
    if model is None:
        return
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep: the framework's 400
        return
    try:
        body = model.model_validate(document)
    except ValidationError:
        return
    make = DOMAIN.get(model.__name__)
    if make is None:
        return
    try:
        make(body)
    except InvalidValue:
        return


if __name__ == "__main__":
    run(test_one_input)
