"""The web pages' forms: the client's consent form (and its live preview), the narrowing form,
and the clinician's exception-disclosure and break-the-glass forms.

An input names a form, a newline, then an ``application/x-www-form-urlencoded`` body, split as
the framework splits one (repeated fields make a list). Property: ``preview_of`` and
``check_consent`` never raise (every problem goes beside its field); ``narrowing``, ``ask_of``
and the request the service would open refuse only with ``InvalidValue``, which
``field_problems`` places on the form; ``DisclosureForm`` refuses only with
``ValidationError``. Nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qsl

import atheris

with atheris.instrument_imports(include=["confide"]):
    from pydantic import ValidationError

    from confide.domain import Category, Consent, InvalidValue, Period, Purpose
    from confide.services.disclosures import _new
    from confide.web.consent_forms import (
        ConsentForm,
        NarrowForm,
        check_consent,
        narrowing,
        preview_of,
    )
    from confide.web.disclosure_forms import FORM_FIELDS, DisclosureForm, ask_of, form_field
    from confide.web.field_problems import field_problems

from fuzz.harness import NOW, run

CLIENT = "client-fuzz"
# The consent a narrowing form narrows: two categories, two purposes, a year long.
GIVEN = Consent(
    "consent-fuzz", CLIENT, "org-fuzz",
    frozenset({Category.DIAGNOSIS, Category.PROGRESS_NOTE}),
    frozenset({Purpose.TREAT, Purpose.COC}),
    Period(NOW - timedelta(days=30), NOW + timedelta(days=335)),
)  # fmt: skip
_LISTS = ("categories", "purposes", "order_categories")

Fields = dict[str, list[str]]


def _one(fields: Fields, name: str) -> str:
    return fields.get(name, [""])[-1]


def _consent(fields: Fields) -> None:
    form = ConsentForm(
        _one(fields, "recipient"), _one(fields, "effect"),
        tuple(fields.get("categories", ())), tuple(fields.get("purposes", ())),
        _one(fields, "starts_on"), _one(fields, "ends_on"),
    )  # fmt: skip
    preview_of(form, CLIENT, NOW)
    checked = check_consent(form, CLIENT, NOW)
    if checked.consent is not None and checked.problems:
        raise AssertionError("a consent was made from a form with problems")


def _narrowing(fields: Fields) -> None:
    form = NarrowForm(
        tuple(fields.get("categories", ())),
        tuple(fields.get("purposes", ())),
        _one(fields, "ends_on"),
    )
    try:
        categories, purposes, _end = narrowing(GIVEN, form, NOW)
    except InvalidValue:
        return
    if not categories <= GIVEN.categories or not purposes <= GIVEN.purposes:
        raise AssertionError("a narrowing widened the consent")


def _disclosure(fields: Fields) -> None:
    data = {k: (v if k in _LISTS else v[-1]) for k, v in fields.items()}
    try:
        form = DisclosureForm.model_validate(data)
    except ValidationError:
        return
    try:
        _new(ask_of(CLIENT, form), "clin-fuzz", NOW)
    except InvalidValue as e:
        field_problems(e, form_field, FORM_FIELDS)


FORMS: dict[str, Callable[[Fields], None]] = {
    "consent": _consent,
    "narrow": _narrowing,
    "disclosure": _disclosure,
}


def test_one_input(data: bytes) -> None:
    """One posted form."""
    name, _, body = data.partition(b"\n")
    handle = FORMS.get(name.decode("latin-1"))
    if handle is None:
        return
    fields: Fields = {}
    for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        fields.setdefault(key, []).append(value)
    handle(fields)


if __name__ == "__main__":
    run(test_one_input)
