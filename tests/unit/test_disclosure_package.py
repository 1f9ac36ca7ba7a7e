"""The package an exception disclosure hands over (decision 0013): the PDF a person reads and the
FHIR R4B Bundle a system reads hold exactly the entries given, say why, to whom and what was
withheld, carry the 42 CFR 2.32 notice only with substance-use records, and are reproducible."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.provenance import Provenance
from pypdf import PdfReader

from confide.domain import Category, ExceptionGround, Period
from confide.domain.disclosures import RecipientKind
from confide.services.disclosure_fhir import package_bundle_json
from confide.services.disclosure_package import PackageCover, PackageEntry, build_package
from confide.services.disclosure_pdf import (
    EMERGENCY_APPROVAL,
    NOTHING_INCLUDED,
    REPLACED_NOTE,
    WITHHELD_HEADING,
    package_pdf,
    pdf_text,
)

T0 = datetime(2026, 3, 4, 14, 5, tzinfo=UTC)
NOTICE = "Synthetic redisclosure notice: federal rules forbid passing these records on."
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def _cover(**changes: object) -> PackageCover:
    cover = PackageCover(
        request_id="dreq-000000000000000000000001",
        client_id="client-000000000000000000000001",
        ground=ExceptionGround.COURT_ORDER,
        citation="Synthetic Code 1.2(a)(3)",
        jurisdiction="Synthetic State",
        recipient_id="recipient-court-0001",
        recipient_kind=RecipientKind.COURT,
        disclosed_at=T0,
        disclosed_by="clinician-0001",
        approved_by="privacy-officer-0001",
        emergency=False,
        included=(Category.PROGRESS_NOTE, Category.DIAGNOSIS),
        withheld=(Category.PSYCHOTHERAPY_NOTE, Category.BILLING),
        records_period=Period(T0 - timedelta(days=365), T0),
        part2_notice=None,
        legal_process="Synthetic order 00-0000 of the Example Court",
    )
    return dataclasses.replace(cover, **changes)  # type: ignore[arg-type]


def _entry(
    n: int, category: Category = Category.PROGRESS_NOTE, text: str | None = None
) -> PackageEntry:
    return PackageEntry(
        record_id=f"record-{n:04d}",
        category=category,
        version=n % 3 + 1,
        recorded_at=T0 - timedelta(days=n),
        text=f"Synthetic sentence {n} about the weather." if text is None else text,
    )


SHOWN = (_entry(1), _entry(2, Category.DIAGNOSIS), _entry(3))
HIDDEN = (_entry(11), _entry(12, Category.DIAGNOSIS), _entry(13, Category.PSYCHOTHERAPY_NOTE))


def _text(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (lines wrap where the layout says)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _resources(fhir_json: bytes, kind: type) -> list[Any]:
    bundle = Bundle.model_validate_json(fhir_json)
    return [e.resource for e in bundle.entry or [] if isinstance(e.resource, kind)]


def _codes(codings: list[Any] | None) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in codings or []}


# PDF ----------------------------------------------------------------------------------------


def test_pdf_holds_every_given_sentence_exactly_and_nothing_of_others() -> None:
    text = _text(package_pdf(_cover(), SHOWN))
    for entry in SHOWN:
        assert entry.text in text
        assert entry.record_id in text
    for entry in HIDDEN:
        assert entry.text not in text
        assert entry.record_id not in text
    other = _text(package_pdf(_cover(), HIDDEN))
    for entry in SHOWN:
        assert entry.text not in other


def test_pdf_keeps_a_long_record_whole_across_pages() -> None:
    sentences = [f"Synthetic sentence {n} about a quiet afternoon walk." for n in range(400)]
    pdf = package_pdf(_cover(), (_entry(1, text=" ".join(sentences)),))
    pages = _pages(pdf)
    assert len(pages) > 3
    text = _text(pdf)
    # The record starts on page 2; a sentence cut by a page break has the next page's footer
    # and header between its words. Every other sentence is there exactly.
    missing = [s for s in sentences if s not in text]
    assert len(missing) <= len(pages) - 2


def test_every_page_is_marked_confidential_with_request_and_page_count() -> None:
    sentences = " ".join(f"Synthetic sentence {n} about the weather." for n in range(300))
    pdf = package_pdf(_cover(), (_entry(1, text=sentences),))
    pages = _pages(pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert page.count("CONFIDENTIAL") >= 2  # header and footer
        assert _cover().request_id in page
        assert f"page {number} of {len(pages)}" in page


def test_cover_sheet_names_ground_law_recipient_people_and_period() -> None:
    cover = _cover()
    text = _text(package_pdf(cover, SHOWN))
    assert "Disclosure without consent" in text
    assert cover.ground.label.lower() in text.lower()
    assert cover.citation in text
    assert cover.jurisdiction in text
    assert cover.recipient_id in text
    assert cover.recipient_kind.label in text
    assert "4 March 2026, 14:05 UTC" in text
    assert cover.disclosed_by in text
    assert cover.approved_by is not None
    assert cover.approved_by in text
    assert cover.legal_process is not None
    assert cover.legal_process in text
    assert cover.records_period is not None
    assert cover.records_period.describe().lower() in text.lower()
    assert "must not be redisclosed except as the law allows" in text
    assert EMERGENCY_APPROVAL not in text


def test_cover_sheet_lists_included_and_names_withheld_under_their_heading() -> None:
    text = _text(package_pdf(_cover(), SHOWN)).lower()
    included_at = text.index("included in this package")
    withheld_at = text.index(WITHHELD_HEADING.lower())
    for category in (Category.PROGRESS_NOTE, Category.DIAGNOSIS):
        assert included_at < text.index(category.label) < withheld_at
    for category in (Category.PSYCHOTHERAPY_NOTE, Category.BILLING):
        assert text.index(category.label) > withheld_at
    assert "beyond what the law allows" in text


def test_no_withheld_heading_when_nothing_was_withheld() -> None:
    text = _text(package_pdf(_cover(withheld=()), SHOWN))
    assert WITHHELD_HEADING not in text


def test_part2_notice_is_on_the_cover_only_when_given() -> None:
    entries = (*SHOWN, _entry(4, Category.SUBSTANCE_USE))
    with_notice = _pages(package_pdf(_cover(part2_notice=NOTICE), entries))
    assert NOTICE in " ".join(with_notice[0].split())
    assert "42 CFR 2.32" in with_notice[0]
    without = _text(package_pdf(_cover(), SHOWN))
    assert NOTICE not in without
    assert "42 CFR 2.32" not in without


def test_emergency_disclosure_says_it_is_reviewed_afterwards() -> None:
    cover = _cover(
        ground=ExceptionGround.IMMINENT_RISK_OTHERS,
        emergency=True,
        approved_by=None,
        recipient_kind=RecipientKind.EMERGENCY_SERVICES,
        legal_process=None,
        records_period=None,
    )
    text = _text(package_pdf(cover, SHOWN))
    assert EMERGENCY_APPROVAL in text
    assert "Records period" not in text
    assert "Legal process" not in text


def test_empty_package_says_nothing_is_included() -> None:
    pdf = package_pdf(_cover(), ())
    assert len(_pages(pdf)) == 1
    text = _text(pdf)
    assert NOTHING_INCLUDED in text
    assert "Records disclosed" not in text


@pytest.mark.parametrize(
    "words",
    [
        "Zoë said “no” — 数字",
        "Emoji 😀, Cyrillic Север, Greek λόγος, Arabic مرحبا, combining e\u0301, tab\there",
        "Controls \x00\x07\x1b and \u200b zero width and \u2028 line separator\r\nand CRLF",
        "A" * 5000,
        "{nb} is not a page count",
    ],
)
def test_any_unicode_renders_without_crashing(words: str) -> None:
    entry = _entry(1, text=f"Synthetic sentence 1 about the weather. {words}")
    pdf = package_pdf(_cover(part2_notice=words, legal_process=words), (entry,))
    assert "Synthetic sentence 1 about the weather." in _text(pdf)


def test_characters_the_font_can_draw_are_kept_and_others_are_flagged() -> None:
    assert pdf_text("Zoë said “no” — café, 5 €") == "Zoë said “no” — café, 5 €"
    assert pdf_text("数字") == "??"
    assert pdf_text("e\u0301") == "é"
    assert pdf_text("{nb}") == "{nb}"
    kept = _text(package_pdf(_cover(), (_entry(1, text="Zoë said “no” — café. {nb}"),)))
    assert "Zoë said “no” — café. {nb}" in kept
    assert REPLACED_NOTE not in kept
    flagged = _text(package_pdf(_cover(), (_entry(1, text="Synthetic words 数字."),)))
    assert "Synthetic words ??." in flagged
    assert " ".join(REPLACED_NOTE.split()) in flagged


# FHIR ---------------------------------------------------------------------------------------


def test_bundle_has_one_document_per_entry_with_the_exact_text() -> None:
    entries = (*SHOWN, _entry(5, text="Zoë said “no” — 数字\nsecond line"), _entry(6, text=""))
    data = package_bundle_json(_cover(), entries)
    bundle = Bundle.model_validate_json(data)
    assert bundle.type == "collection"
    assert bundle.timestamp == T0
    assert bundle.identifier is not None
    assert bundle.identifier.value == f"urn:confide:disclosure:{_cover().request_id}"
    raw = {
        e["resource"]["identifier"][0]["value"]: e["resource"]
        for e in json.loads(data)["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    }
    documents = {d.identifier[0].value: d for d in _resources(data, DocumentReference)}
    assert len(documents) == len(raw) == len(entries)
    for entry in entries:
        attachment = raw[entry.record_id]["content"][0]["attachment"]
        assert attachment["contentType"] == "text/plain; charset=utf-8"
        assert base64.b64decode(attachment.get("data", "")).decode("utf-8") == entry.text
        document = documents[entry.record_id]
        assert document.status == "current"
        assert document.subject.reference == f"Patient/{_cover().client_id}"
        assert document.date == entry.recorded_at
        assert _codes(document.type.coding) == {
            ("urn:confide:fhir:CodeSystem:category", entry.category.value)
        }
        assert document.type.coding[0].display == entry.category.label
        assert document.masterIdentifier.value == f"{entry.record_id}/{entry.version}"


def test_bundle_holds_nothing_of_entries_not_given() -> None:
    data = package_bundle_json(_cover(), SHOWN)
    decoded = data.decode("utf-8")
    for entry in HIDDEN:
        assert entry.record_id not in decoded
        assert base64.b64encode(entry.text.encode()).decode() not in decoded
    texts = {
        (d.content[0].attachment.data or b"").decode() for d in _resources(data, DocumentReference)
    }
    assert texts == {e.text for e in SHOWN}


def test_security_labels_mark_psychotherapy_and_substance_use_only() -> None:
    entries = (
        _entry(1),
        _entry(2, Category.PSYCHOTHERAPY_NOTE),
        _entry(3, Category.SUBSTANCE_USE),
    )
    data = package_bundle_json(_cover(part2_notice=NOTICE), entries)
    labels = {
        d.type.coding[0].code: _codes(d.meta.security) for d in _resources(data, DocumentReference)
    }
    restricted = (CONFIDENTIALITY, "R")
    assert labels[Category.PROGRESS_NOTE.value] == {restricted}
    assert labels[Category.PSYCHOTHERAPY_NOTE.value] == {restricted, (ACT_CODE, "PSYTHPN")}
    assert labels[Category.SUBSTANCE_USE.value] == {
        restricted,
        (ACT_CODE, "ETH"),
        (ACT_CODE, "NORDSCLCD"),
    }


@pytest.mark.parametrize(
    ("ground", "purpose"),
    [
        (ExceptionGround.IMMINENT_RISK_SELF, "THREAT"),
        (ExceptionGround.IMMINENT_RISK_OTHERS, "THREAT"),
        (ExceptionGround.ABUSE_NEGLECT, "PUBHLTH"),
        (ExceptionGround.COURT_ORDER, "HLEGAL"),
    ],
)
def test_provenance_gives_the_grounds_purpose_and_targets_every_document(
    ground: ExceptionGround, purpose: str
) -> None:
    data = package_bundle_json(_cover(ground=ground), SHOWN)
    (provenance,) = _resources(data, Provenance)
    reasons = {c.code for r in provenance.reason for c in r.coding if c.system == ACT_REASON}
    assert reasons == {purpose}
    assert provenance.recorded == T0
    urls = {e.fullUrl for e in Bundle.model_validate_json(data).entry or []}
    targets = {t.reference for t in provenance.target}
    assert len(targets) == len(SHOWN) + 1  # every document and the Communication
    assert targets <= urls
    who = {a.type.coding[0].code: a.who.reference for a in provenance.agent}
    assert who == {
        "performer": "Practitioner/clinician-0001",
        "verifier": "Practitioner/privacy-officer-0001",
    }


def test_emergency_provenance_has_no_approver_and_says_break_the_glass() -> None:
    cover = _cover(ground=ExceptionGround.IMMINENT_RISK_SELF, emergency=True, approved_by=None)
    (provenance,) = _resources(package_bundle_json(cover, SHOWN), Provenance)
    assert [a.type.coding[0].code for a in provenance.agent] == ["performer"]
    assert {c.code for r in provenance.reason for c in r.coding} == {"THREAT", "BTG"}


def test_part2_notice_travels_in_the_communication_only_when_given() -> None:
    entries = (_entry(1, Category.SUBSTANCE_USE),)
    (sent,) = _resources(package_bundle_json(_cover(part2_notice=NOTICE), entries), Communication)
    assert sent.payload[0].contentString == NOTICE
    assert sent.recipient[0].identifier.value == _cover().recipient_id
    (plain,) = _resources(package_bundle_json(_cover(), SHOWN), Communication)
    assert all(p.contentString is None for p in plain.payload)
    assert NOTICE.encode() not in package_bundle_json(_cover(), SHOWN)


def test_empty_package_is_a_valid_bundle_without_documents() -> None:
    data = package_bundle_json(_cover(), ())
    assert _resources(data, DocumentReference) == []
    (provenance,) = _resources(data, Provenance)
    assert len(provenance.target) == 1


# Reproducible -------------------------------------------------------------------------------


def test_same_input_gives_identical_bytes_and_digest() -> None:
    cover = _cover(part2_notice=NOTICE)
    entries = (*SHOWN, _entry(4, Category.SUBSTANCE_USE, "Zoë said “no” — 数字"))
    first = build_package(cover, entries)
    second = build_package(cover, tuple(reversed(entries)))
    assert first.pdf == second.pdf
    assert first.fhir_json == second.fhir_json
    assert first.sha256 == second.sha256


def test_different_entries_give_a_different_digest() -> None:
    shown = build_package(_cover(), SHOWN)
    hidden = build_package(_cover(), HIDDEN)
    one_word = build_package(
        _cover(), (*SHOWN[:2], _entry(3, text="Synthetic sentence 3 about the rain."))
    )
    assert shown.pdf_sha256 != hidden.pdf_sha256
    assert shown.fhir_sha256 != hidden.fhir_sha256
    assert len({shown.sha256, hidden.sha256, one_word.sha256}) == 3
    assert shown.pdf_sha256 != one_word.pdf_sha256


def test_pdf_creation_date_is_the_time_of_disclosure() -> None:
    metadata = PdfReader(io.BytesIO(package_pdf(_cover(), SHOWN))).metadata
    assert metadata is not None
    assert metadata.creation_date == T0


def test_a_record_twice_in_the_bundle_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        package_bundle_json(_cover(), (_entry(1), _entry(1)))
