"""An incoming FHIR Consent: validated with the R4B model, then read as confide's terms.

The rule: an element that would change what the consent permits or forbids and that confide
cannot keep is refused, naming it (a nested provision, ``provision.data``, ``dataPeriod``, an
action other than reading, a class or label confide has no category for, any modifier
extension, ``implicitRules``). Dropping one could widen the consent behind the client's back.
Elements that only describe the consent (narrative, identifiers, ``dateTime``,
``organization``, ``policy``, ``policyRule``, the source document, ``verification``) are
accepted and not kept; the Consent confide answers with shows what it recorded.

Dates: a date alone is a whole day in UTC; FHIR's ``period.end`` includes its last day, so an
end date of 2026-12-31 becomes confide's exclusive end 2027-01-01T00:00Z. A year or a month
alone is refused as too vague for a consent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.consent import ConsentProvision, ConsentProvisionActor
from pydantic import ValidationError

from confide.api.fhir.codes import (
    ACT_CODE_SYSTEM,
    CATEGORY_CODES,
    CATEGORY_SYSTEM,
    CONFIDE_ACTOR_SYSTEM,
    CONSENT_ACTION_SYSTEM,
    CONSENT_SCOPE_SYSTEM,
    HL7_PURPOSE_OF_USE_SYSTEM,
    PARTICIPATION_TYPE_SYSTEM,
    PRIVACY_SCOPE,
    PURPOSE_CODES,
    READING_ACTIONS,
    RECIPIENT_ROLES,
    RECIPIENT_TYPES,
    SENSITIVITY_CATEGORY,
)
from confide.api.fhir.consent_map import Terms
from confide.domain import Category, Consent, Effect, InvalidValue, Period, Purpose
from confide.domain.validation import require_aware

_REFERENCE = re.compile(r"([A-Za-z]+)/([^/]+)")
MAX_DEPTH = 32  # a Consent confide keeps is 6 levels deep; this leaves room for extensions
_UNKEPT_RULES = (
    ("provision", "nested provisions are not supported; give one consent per rule"),
    ("data", "consents about single resources are not supported; name record categories"),
    ("dataPeriod", "consents about records of a time span are not supported"),
)
# The domain's field names, as the FHIR elements that carry them.
_FIELDS = {
    "consent.client_id": "Consent.patient",
    "consent.recipient_id": "Consent.provision.actor",
    "consent.categories": "Consent.provision.class",
    "consent.purposes": "Consent.provision.purpose",
    "consent.effect": "Consent.provision.type",
    "consent.period": "Consent.provision.period",
    "consent.note": "Consent",
}


def parse_consent(body: Mapping[str, Any]) -> FhirConsent:
    """The body as an R4B Consent, or a refusal naming the first element that is not valid."""
    if body.get("resourceType") != "Consent":
        raise InvalidValue("Consent.resourceType", "must be Consent")
    modifier = _modifier_path(body, "Consent")
    if modifier is not None:
        raise InvalidValue(
            modifier,
            "modifiers are not supported: confide cannot tell what they change, so it refuses "
            "the consent rather than record it without them",
        )
    try:
        return FhirConsent.model_validate(body)
    except ValidationError as e:
        first = e.errors(include_url=False, include_input=False, include_context=False)[0]
        raise InvalidValue(_element(first["loc"]), _plain(first["msg"])) from None


def _modifier_path(value: object, path: str, depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        raise InvalidValue(path, f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key in ("modifierExtension", "implicitRules"):
                return f"{path}.{key}"
            found = _modifier_path(inner, f"{path}.{key}", depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found = _modifier_path(inner, f"{path}[{i}]", depth + 1)
            if found is not None:
                return found
    return None


def _element(loc: Sequence[int | str]) -> str:
    path = "Consent"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = {"resource_type": "resourceType", "class_fhir": "class"}.get(part, part)
        if name.endswith("__ext"):
            name = "_" + name.removesuffix("__ext")
        path += f".{name}"
    return path


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ").strip() or "is not valid"


def status_of(resource: FhirConsent, allowed: frozenset[str], problem: str) -> str:
    """The resource's status if ``allowed``, else a refusal saying ``problem``."""
    status = str(resource.status)
    if status not in allowed:
        raise InvalidValue("Consent.status", problem, allowed=sorted(allowed))
    return status


def read_terms(resource: FhirConsent) -> Terms:
    """What the Consent asks for, in confide's terms; refuses what confide cannot keep."""
    _check_scope(resource)
    client_id = _patient(resource)
    _check_performers(resource, client_id)
    p = resource.provision
    if p is None:
        raise InvalidValue(
            "Consent.provision", "is required: say who may (or may not) see what, and why"
        )
    for name, problem in _UNKEPT_RULES:
        if getattr(p, name) is not None:
            raise InvalidValue(f"Consent.provision.{name}", problem)
    _check_actions(p)
    period = p.period
    return Terms(
        client_id=client_id,
        recipient_id=_recipient(p.actor),
        categories=_categories(p),
        purposes=_purposes(p.purpose),
        start=None if period is None or period.start is None else _instant(period.start, False),
        end=None if period is None or period.end is None else _instant(period.end, True),
        effect=_effect(p.type),
    )


def new_consent(terms: Terms, consent_id: str, now: datetime) -> Consent:
    """A new confide consent with these terms, starting now unless they say when."""
    with fhir_fields():
        return Consent(
            consent_id,
            terms.client_id,
            terms.recipient_id,
            terms.categories,
            terms.purposes,
            Period(terms.start or now, terms.end, name="Consent.provision.period"),
            effect=terms.effect,
        )


@contextmanager
def fhir_fields() -> Iterator[None]:
    """Refusals of confide's domain and services, naming the FHIR element instead."""
    try:
        yield
    except InvalidValue as e:
        field = _FIELDS.get(e.field, e.field)
        raise type(e)(field, e.problem, e.allowed) from None


def _check_scope(r: FhirConsent) -> None:
    codings = r.scope.coding or []
    if not any(c.system == CONSENT_SCOPE_SYSTEM and c.code == PRIVACY_SCOPE[0] for c in codings):
        raise InvalidValue(
            "Consent.scope",
            f"confide keeps privacy consents only: use {CONSENT_SCOPE_SYSTEM}#{PRIVACY_SCOPE[0]}",
        )


def _patient(r: FhirConsent) -> str:
    found = _reference_id(r.patient.reference if r.patient else None, {"Patient"})
    if found is None:
        raise InvalidValue("Consent.patient", "is required, as Patient/<id> of the client")
    return found


def _check_performers(r: FhirConsent, client_id: str) -> None:
    for i, performer in enumerate(r.performer or []):
        if _reference_id(performer.reference, {"Patient"}) != client_id:
            raise InvalidValue(
                f"Consent.performer[{i}]",
                "consents are given by the client themself: leave performer out or name the "
                "patient",
            )


def _reference_id(reference: str | None, kinds: set[str] | frozenset[str]) -> str | None:
    match = None if reference is None else _REFERENCE.fullmatch(reference)
    if match is None or match.group(1) not in kinds:
        return None
    return match.group(2)


def _recipient(actors: list[ConsentProvisionActor] | None) -> str:
    field = "Consent.provision.actor"
    if not actors or len(actors) != 1:
        raise InvalidValue(field, "name exactly one recipient (give one consent per recipient)")
    actor = actors[0]
    roles = {(c.system, c.code) for c in actor.role.coding or []}
    if not any((PARTICIPATION_TYPE_SYSTEM, code) in roles for code in RECIPIENT_ROLES):
        raise InvalidValue(
            f"{field}[0].role",
            f"must name the recipient: {PARTICIPATION_TYPE_SYSTEM} IRCP or PRCP",
        )
    ref = actor.reference
    found = _reference_id(ref.reference, RECIPIENT_TYPES)
    ident = ref.identifier
    if found is None and ref.reference is None and ident is not None and ident.value:
        found = str(ident.value) if ident.system == CONFIDE_ACTOR_SYSTEM else None
    if found is None:
        kinds = ", ".join(sorted(RECIPIENT_TYPES))
        raise InvalidValue(
            f"{field}[0].reference",
            f"must be <type>/<id> with type one of {kinds}, or an identifier in "
            f"{CONFIDE_ACTOR_SYSTEM}",
        )
    return found


def _check_actions(p: ConsentProvision) -> None:
    for i, action in enumerate(p.action or []):
        codings = action.coding or []
        if not codings or any(
            c.system != CONSENT_ACTION_SYSTEM or c.code not in READING_ACTIONS for c in codings
        ):
            raise InvalidValue(
                f"Consent.provision.action[{i}]",
                "a confide consent is about seeing the record: use consentaction access, use or "
                "disclose, or leave action out",
                allowed=sorted(READING_ACTIONS),
            )


def _categories(p: ConsentProvision) -> frozenset[Category]:
    # FHIR reads class, code and securityLabel together as "all of", and several security
    # labels as "all of" too; confide reads a consent's categories as "any of". Taking them
    # together would widen what the client permitted (e.g. a class plus the ETH label would
    # open every substance-use record), so one element names the categories, and at most one
    # security label.
    given = [
        name
        for name, value in (
            ("class", p.class_fhir),
            ("code", p.code),
            ("securityLabel", p.securityLabel),
        )
        if value
    ]
    if len(given) > 1 and not _label_restates_class(p):
        raise InvalidValue(
            f"Consent.provision.{given[1]}",
            f"name the categories in one element only (here {given[0]}); FHIR would read "
            "them together as all of, confide as any of",
        )
    if p.securityLabel and len(p.securityLabel) > 1:
        raise InvalidValue(
            "Consent.provision.securityLabel[1]",
            "give one security label per provision (several mean all of them together)",
        )
    found: set[Category] = set()
    for i, coding in enumerate(p.class_fhir or []):
        found.add(_category(coding, f"Consent.provision.class[{i}]"))
    for i, coding in enumerate(p.securityLabel or []):
        found.add(_category(coding, f"Consent.provision.securityLabel[{i}]"))
    for i, concept in enumerate(p.code or []):
        if not concept.coding:
            raise InvalidValue(f"Consent.provision.code[{i}]", "give a coded category")
        for j, coding in enumerate(concept.coding):
            found.add(_category(coding, f"Consent.provision.code[{i}].coding[{j}]"))
    if not found:
        raise InvalidValue(
            "Consent.provision.class",
            f"name at least one record category ({CATEGORY_SYSTEM})",
            allowed=[c.value for c in Category],
        )
    return frozenset(found)


def _label_restates_class(p: ConsentProvision) -> bool:
    """True for one class and one security label that name the same category, as confide's own
    Consent names psychotherapy notes or substance-use records alone: read as "all of" or as
    "any of", they mean the same records, so a Consent read back from confide revokes."""
    classes, labels, codes = p.class_fhir or [], p.securityLabel or [], p.code or []
    if codes or len(classes) != 1 or len(labels) != 1:
        return False
    named, label = classes[0], labels[0]
    return (
        named.system == CATEGORY_SYSTEM
        and label.system == ACT_CODE_SYSTEM
        and label.code in SENSITIVITY_CATEGORY
        and CATEGORY_CODES.get(str(named.code)) is SENSITIVITY_CATEGORY[str(label.code)]
    )


def _category(coding: Coding, field: str) -> Category:
    if coding.system == CATEGORY_SYSTEM and coding.code in CATEGORY_CODES:
        return CATEGORY_CODES[str(coding.code)]
    if coding.system == ACT_CODE_SYSTEM and coding.code in SENSITIVITY_CATEGORY:
        return SENSITIVITY_CATEGORY[str(coding.code)]
    raise InvalidValue(
        field,
        f"not a record category confide keeps: use {CATEGORY_SYSTEM}, or {ACT_CODE_SYSTEM} "
        f"{' or '.join(sorted(SENSITIVITY_CATEGORY))}",
        allowed=[c.value for c in Category],
    )


def _purposes(codings: list[Coding] | None) -> frozenset[Purpose]:
    if not codings:
        raise InvalidValue(
            "Consent.provision.purpose",
            f"name at least one purpose of use ({HL7_PURPOSE_OF_USE_SYSTEM})",
            allowed=[p.value for p in Purpose],
        )
    found: set[Purpose] = set()
    for i, coding in enumerate(codings):
        if coding.system != HL7_PURPOSE_OF_USE_SYSTEM or coding.code not in PURPOSE_CODES:
            raise InvalidValue(
                f"Consent.provision.purpose[{i}]",
                f"not a purpose of use confide knows: use {HL7_PURPOSE_OF_USE_SYSTEM}",
                allowed=[p.value for p in Purpose],
            )
        found.add(PURPOSE_CODES[str(coding.code)])
    return frozenset(found)


def _effect(kind: str | None) -> Effect:
    if kind not in ("permit", "deny"):
        raise InvalidValue(
            "Consent.provision.type",
            "is required at the root provision: permit or deny",
            allowed=["deny", "permit"],
        )
    return Effect(kind)


def _instant(value: object, end: bool) -> datetime:
    field = f"Consent.provision.period.{'end' if end else 'start'}"
    if isinstance(value, datetime):
        return require_aware(value, field)
    if isinstance(value, date):
        day = require_aware(datetime(value.year, value.month, value.day, tzinfo=UTC), field)
        return day + timedelta(days=1) if end else day
    raise InvalidValue(
        field,
        "give a full date (2026-01-31) or a date and time with a timezone; a year or a "
        "month alone is too vague for a consent",
    )
