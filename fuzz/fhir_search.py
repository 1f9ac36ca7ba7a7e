"""The FHIR facade's query strings (``GET /fhir/Consent``, ``GET /fhir/AuditEvent``, and the
"no parameters" check of every other route).

The bytes are a query string, split as the framework splits one; the first byte chooses
which search reads it. Property: ``parse_search``, ``patient_of``, ``DateWindow.parse`` and
``whole_number`` return a value or refuse with ``Unsupported`` (a 400 OperationOutcome);
nothing else escapes, and a page never asks for more than the facade's maximum.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.api.fhir.audit_map import DateWindow
    from confide.api.fhir.params import (
        MAX_COUNT,
        Unsupported,
        parse_search,
        patient_of,
        whole_number,
    )
    from confide.api.fhir.routes import AUDIT_SEARCH, CONSENT_SEARCH

from fuzz.harness import run

SEARCHES: tuple[Mapping[str, int], ...] = (AUDIT_SEARCH, CONSENT_SEARCH, {})


def test_one_input(data: bytes) -> None:
    """One query string against one search."""
    if not data:
        return
    allowed = SEARCHES[data[0] % len(SEARCHES)]
    query = data[1:].decode("latin-1")
    items = parse_qsl(query, keep_blank_values=True, max_num_fields=None)
    try:
        search = parse_search(items, allowed)
        if search.page.count > MAX_COUNT or search.page.offset < 0:
            raise AssertionError("a page beyond the facade's limits was accepted")
        if allowed is AUDIT_SEARCH:
            patient_of(search)
            window = DateWindow.parse(search.all("date"))
            _ = window.since
            whole_number(search, "_snapshot")
        elif allowed is CONSENT_SEARCH:
            patient_of(search)
    except Unsupported:
        return


if __name__ == "__main__":
    run(test_one_input)
