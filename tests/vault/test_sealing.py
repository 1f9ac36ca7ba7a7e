"""Sealing binds each ciphertext to its client, record, category and version."""

from __future__ import annotations

import dataclasses
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confide.vault import IntegrityError, RecordBinding
from confide.vault.sealing import open_sealed, seal

KEY = secrets.token_bytes(32)
BINDING = RecordBinding("client-1", "rec-1", "progress_note", 1)
TEXT = b"Synthetic session note: the client described a quiet week."


def test_sealed_content_opens_with_its_own_binding() -> None:
    assert open_sealed(KEY, seal(KEY, TEXT, BINDING), BINDING) == TEXT


def test_sealed_content_does_not_contain_the_plaintext() -> None:
    assert TEXT not in seal(KEY, TEXT, BINDING)


def test_the_same_content_seals_differently_each_time() -> None:
    assert seal(KEY, TEXT, BINDING) != seal(KEY, TEXT, BINDING)


@pytest.mark.parametrize(
    "moved",
    [
        {"client_id": "client-2"},
        {"record_id": "rec-2"},
        {"category": "diagnosis"},
        {"version": 2},
    ],
    ids=["other client", "other record", "other category", "other version"],
)
def test_a_ciphertext_moved_elsewhere_fails_with_an_integrity_error(
    moved: dict[str, object],
) -> None:
    elsewhere = dataclasses.replace(BINDING, **moved)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError) as caught:
        open_sealed(KEY, seal(KEY, TEXT, BINDING), elsewhere)
    assert elsewhere.record_id in str(caught.value)
    assert b"quiet week".decode() not in str(caught.value)


def test_bindings_whose_fields_run_together_stay_distinct() -> None:
    a = RecordBinding("client-1", "2rec", "x", 1)
    b = RecordBinding("client-12", "rec", "x", 1)
    assert a.encode() != b.encode()


@given(st.data())
def test_any_altered_byte_is_refused_and_returns_nothing(data: st.DataObject) -> None:
    blob = bytearray(seal(KEY, TEXT, BINDING))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(IntegrityError):
        open_sealed(KEY, bytes(blob), BINDING)


@given(st.integers(0, 40))
def test_a_truncated_ciphertext_is_refused(length: int) -> None:
    with pytest.raises(IntegrityError):
        open_sealed(KEY, seal(KEY, TEXT, BINDING)[:length], BINDING)
