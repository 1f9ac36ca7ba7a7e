"""confide's purposes of use are real HL7 v3 ActReason PurposeOfUse codes (FHIR R4 4.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from confide.domain import Purpose
from confide.domain.codes import HL7_PURPOSE_OF_USE_SYSTEM

ACT_REASON = Path(__file__).parents[1] / "data" / "terminology" / "CodeSystem-v3-ActReason.json"


def _walk(concepts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for concept in concepts:
        yield concept
        yield from _walk(concept.get("concept", []))


def _code_system() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ACT_REASON.read_text(encoding="utf-8"))
    return loaded


def _purpose_of_use_codes() -> set[str]:
    roots = [c for c in _walk(_code_system()["concept"]) if c["code"] == "PurposeOfUse"]
    assert len(roots) == 1
    return {c["code"] for c in _walk(roots[0].get("concept", []))}


def test_the_terminology_file_is_the_hl7_act_reason_code_system() -> None:
    system = _code_system()

    assert system["resourceType"] == "CodeSystem"
    assert system["url"] == HL7_PURPOSE_OF_USE_SYSTEM


@pytest.mark.parametrize("purpose", list(Purpose), ids=str)
def test_every_purpose_is_a_purpose_of_use_code_in_hl7_act_reason(purpose: Purpose) -> None:
    assert purpose.value in _purpose_of_use_codes()


def test_a_code_outside_purpose_of_use_is_not_mistaken_for_one() -> None:
    all_codes = {c["code"] for c in _walk(_code_system()["concept"])}
    purpose_codes = _purpose_of_use_codes()

    # A real ActReason code that is not a purpose of use, and a made-up one.
    assert "_ActAccommodationReason" in all_codes
    assert "_ActAccommodationReason" not in purpose_codes
    assert "CURIOSITY" not in purpose_codes
