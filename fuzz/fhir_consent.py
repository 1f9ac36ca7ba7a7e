"""The FHIR Consent import (``POST /fhir/Consent``, ``PUT /fhir/Consent/{id}``).

The body's JSON is decoded as the framework decodes it (refusing what is not a JSON object),
then given to the facade exactly as the route does: ``parse_consent`` (the R4B model and the
refusal of modifiers), ``read_terms`` (what confide can keep), ``status_of`` and
``new_consent`` (the domain's own checks). Property: each step returns a value or raises
``InvalidValue``; nothing else escapes. And a consent that was accepted reads back unchanged
from the Consent confide answers with, as a revocation (a PUT of that Consent) needs.
"""

from __future__ import annotations

import json

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.api.fhir.consent_intake import new_consent, parse_consent, read_terms, status_of
    from confide.api.fhir.consent_map import (
        ACTIVE,
        consent_resource,
        first_difference,
        terms_of,
    )
    from confide.domain import InvalidValue

from fuzz.harness import NOW, run


def test_one_input(data: bytes) -> None:
    """One body, through every step of the import."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep: the framework's 400
        return
    if not isinstance(body, dict):  # the route takes an object; anything else is a 422
        return
    try:
        resource = parse_consent(body)
        status_of(resource, frozenset({ACTIVE}), "a new consent is active")
        terms = read_terms(resource)
        consent = new_consent(terms, "consent-fuzz", NOW)
    except InvalidValue:
        return
    if first_difference(terms, terms_of(consent)) is not None:
        raise AssertionError("the consent made is not the one the Consent asked for")
    answer = json.loads(consent_resource(consent, NOW).model_dump_json(exclude_none=True))
    again = read_terms(parse_consent(answer))
    difference = first_difference(again, terms_of(consent))
    if difference is not None:
        raise AssertionError(f"confide's own Consent reads back differently at {difference}")


if __name__ == "__main__":
    run(test_one_input)
