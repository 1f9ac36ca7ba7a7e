"""Inputs from outside that once escaped their parser with an error other than the project's
own (found by the fuzz targets in ``fuzz/``, decision 0019), each kept as the input that
showed it: the parser now refuses it by field, or accepts it as it should."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from confide.api.fhir.consent_intake import parse_consent, read_terms
from confide.api.fhir.consent_map import consent_resource, first_difference, terms_of
from confide.api.middleware import _read_form_token
from confide.domain import Category, Consent, InvalidValue, Period, Purpose
from confide.policy.rule_packs import RulePackError
from confide.services.rule_packs import load_rule_pack
from confide.web.consent_forms import ConsentForm, NarrowForm, check_consent, narrowing, preview_of
from confide.web.disclosure_forms import DisclosureForm, ask_of

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CATEGORIES = "urn:confide:fhir:CodeSystem:category"


def _consent(*categories: Category) -> Consent:
    return Consent(
        "consent-syn-1", "client-syn-1", "org-syn-1", frozenset(categories),
        frozenset({Purpose.TREAT}), Period(NOW, NOW + timedelta(days=90)),
    )  # fmt: skip


def _as_sent(consent: Consent) -> dict[str, object]:
    """The Consent confide answers with, as a client would PUT it back."""
    return dict(json.loads(consent_resource(consent, NOW).model_dump_json(exclude_none=True)))


@pytest.mark.parametrize(
    "categories",
    [
        (Category.PSYCHOTHERAPY_NOTE,),
        (Category.SUBSTANCE_USE,),
        (Category.SUBSTANCE_USE, Category.PROGRESS_NOTE),
        (Category.DIAGNOSIS, Category.MEDICATION),
    ],
)
def test_confides_own_fhir_consent_reads_back_unchanged_so_it_can_be_revoked(
    categories: tuple[Category, ...],
) -> None:
    # A psychotherapy-note or substance-use consent was answered with both class and
    # securityLabel, which the import refuses, so a PUT of it to revoke it was refused.
    consent = _consent(*categories)
    terms = read_terms(parse_consent(_as_sent(consent)))
    assert first_difference(terms, terms_of(consent)) is None


def test_a_security_label_is_sent_only_beside_the_one_category_it_labels() -> None:
    provision = _as_sent(_consent(Category.SUBSTANCE_USE, Category.PROGRESS_NOTE))["provision"]
    assert isinstance(provision, dict)
    assert "securityLabel" not in provision
    alone = _as_sent(_consent(Category.SUBSTANCE_USE))["provision"]
    assert isinstance(alone, dict)
    assert [c["code"] for c in alone["securityLabel"]] == ["ETH"]


@pytest.mark.parametrize(
    ("classes", "label"),
    [(("progress_note",), "ETH"), (("substance_use", "progress_note"), "ETH"),
     (("substance_use",), "PSYTHPN")],
)  # fmt: skip
def test_a_class_beside_a_label_of_another_category_is_still_refused(
    classes: tuple[str, ...], label: str
) -> None:
    body = _as_sent(_consent(Category.DIAGNOSIS))
    provision = body["provision"]
    assert isinstance(provision, dict)
    provision["class"] = [{"system": CATEGORIES, "code": c} for c in classes]
    provision["securityLabel"] = [{"system": ACT_CODE, "code": label}]
    with pytest.raises(InvalidValue) as refused:
        read_terms(parse_consent(body))
    assert refused.value.field == "Consent.provision.securityLabel"


def test_a_rule_pack_that_is_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    pack = tmp_path / "practice.toml"
    pack.write_bytes(b'schema = 1\nid = "practice"\nname = "\xff\xfe"\n')
    with pytest.raises(RulePackError) as refused:
        load_rule_pack(str(pack))
    assert refused.value.field == "CONFIDE_RULE_PACK"
    assert "practice.toml" in refused.value.problem
    assert "UTF-8" in refused.value.problem


def test_a_consent_forms_last_day_of_9999_is_refused_beside_the_field() -> None:
    form = ConsentForm(
        "org-syn-1", "permit", ("progress_note",), ("TREAT",), "", ends_on="9999-12-31"
    )
    checked = check_consent(form, "client-syn-1", NOW)
    assert checked.consent is None
    assert "ends_on" in checked.problems
    assert preview_of(form, "client-syn-1", NOW).missing


def test_a_narrowing_forms_last_day_of_9999_is_refused_beside_the_field() -> None:
    given = _consent(Category.DIAGNOSIS, Category.PROGRESS_NOTE)
    form = NarrowForm(("diagnosis",), ("TREAT",), "9999-12-31")
    with pytest.raises(InvalidValue) as refused:
        narrowing(given, form, NOW)
    assert refused.value.field == "ends_on"


def test_a_disclosure_forms_last_day_of_9999_is_refused_beside_the_field() -> None:
    form = DisclosureForm(
        ground="imminent_risk_others", recipient_id="police-synth",
        recipient_kind="law_enforcement", categories=["demographics"],
        justification="Synthetic reason.", records_from="2026-01-01", records_to="9999-12-31",
    )  # fmt: skip
    with pytest.raises(InvalidValue) as refused:
        ask_of("client-syn-1", form)
    assert refused.value.field == "records_to"


def _form_read_by_the_csrf_check(body: bytes) -> tuple[dict[str, Any], bytes]:
    """What the CSRF middleware keeps of a posted form, and the body it replays to the route."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def read() -> tuple[dict[str, Any], bytes]:
        scope: dict[str, Any] = {}
        replay = await _read_form_token(scope, receive)
        return scope, (await replay())["body"]

    # A loop of its own on a thread of its own: an earlier test's loop may still be running on
    # this thread (Playwright's sync API keeps one), and asyncio.run refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, read()).result()


def test_a_form_with_more_fields_than_any_of_ours_gives_no_token_and_no_error() -> None:
    # More than 200 fields made parse_qs raise inside the middleware: a 500 for anyone, signed
    # in or not. Now no token is taken from it, so a request with a session is refused (403).
    body = b"csrf_token=synthetic-token&" + b"&" * 250
    scope, replayed = _form_read_by_the_csrf_check(body)
    assert scope == {}
    assert replayed == body
    scope, _ = _form_read_by_the_csrf_check(b"csrf_token=synthetic-token&a=1")
    assert list(scope.values()) == ["synthetic-token"]
