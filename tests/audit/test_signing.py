"""Ed25519 checkpoint signatures: Wycheproof vectors, the signing-key file, signed checkpoints."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from confide.audit.merkle import leaf_hash, root
from confide.audit.signing import (
    SignedCheckpoint,
    SigningKey,
    SigningKeyUnavailable,
    VerifyKey,
    checkpoint_message,
    create_signing_key_file,
    load_signing_key_file,
)
from confide.domain.errors import ConfideError, InvalidValue

WYCHEPROOF = Path(__file__).parents[1] / "data" / "ed25519" / "wycheproof-ed25519_test.json"
ISSUED = datetime(2026, 3, 13, 9, 30, tzinfo=UTC)
HEAD = root([leaf_hash(f"entry {i}".encode()) for i in range(5)])


def _wycheproof() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(WYCHEPROOF.read_text(encoding="utf-8"))
    return loaded


def _vectors() -> Iterator[Any]:
    for group in _wycheproof()["testGroups"]:
        for test in group["tests"]:
            yield pytest.param(group["publicKey"]["pk"], test, id=f"tcId-{test['tcId']}")


# Wycheproof.


@pytest.mark.parametrize(("public_key", "vector"), list(_vectors()))
def test_each_wycheproof_vector_verifies_exactly_when_it_is_valid(
    public_key: str, vector: dict[str, Any]
) -> None:
    key = VerifyKey(bytes.fromhex(public_key))
    verdict = key.verify(bytes.fromhex(vector["msg"]), bytes.fromhex(vector["sig"]))
    if vector["result"] == "acceptable":
        # Wycheproof leaves these to the implementation: either answer, but an answer.
        assert isinstance(verdict, bool)
    else:
        assert verdict is (vector["result"] == "valid"), vector["flags"]


def test_the_wycheproof_file_holds_what_its_sources_say() -> None:
    data = _wycheproof()
    results = [t["result"] for g in data["testGroups"] for t in g["tests"]]
    assert data["algorithm"] == "EDDSA"
    assert len(results) == data["numberOfTests"] == 151
    assert results.count("valid") == 88
    assert results.count("invalid") == 63


# The signing-key file.


def test_a_new_signing_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    key = create_signing_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_signing_key_file(path)
    assert loaded.key_id == key.key_id
    assert loaded.public_key == key.public_key


def test_a_new_signing_key_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    previous = os.umask(0o277)
    try:
        create_signing_key_file(path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_signing_key_file_holds_the_raw_key_and_its_id(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    key = create_signing_key_file(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"format", "key_id", "private_key"}
    assert document["format"] == "confide-audit-signing-key/1"
    assert len(base64.b64decode(document["private_key"])) == 32
    fingerprint = hashlib.sha256(key.public_key.public_bytes).hexdigest()[:16]
    assert document["key_id"] == key.key_id == f"audit-{fingerprint}"
    assert document["private_key"] not in repr(key)


def test_a_signing_key_file_that_exists_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    create_signing_key_file(path)
    before = path.read_bytes()
    with pytest.raises(SigningKeyUnavailable, match="already exists"):
        create_signing_key_file(path)
    assert path.read_bytes() == before


def test_a_link_where_the_signing_key_file_would_go_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    path = tmp_path / "audit-signing.key"
    path.symlink_to(target)
    with pytest.raises(SigningKeyUnavailable, match="already exists"):
        create_signing_key_file(path)
    assert not target.exists()


def test_a_signing_key_file_readable_by_others_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    create_signing_key_file(path)
    path.chmod(0o644)
    with pytest.raises(SigningKeyUnavailable) as refused:
        load_signing_key_file(path)
    message = str(refused.value)
    assert str(path) in message
    assert "644" in message
    assert f"chmod 600 {path}" in message


def test_a_missing_signing_key_file_is_refused_saying_which_and_what_to_do(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit-signing.key"
    with pytest.raises(SigningKeyUnavailable) as refused:
        load_signing_key_file(path)
    message = str(refused.value)
    assert str(path) in message
    assert "not found" in message
    assert "Restore it from your backup" in message
    assert isinstance(refused.value, ConfideError)
    assert not path.exists()


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "cannot be read"),
        ("[]", "not a confide audit signing key"),
        ('{"format": "confide-keyring/1"}', "not a confide audit signing key"),
        ('{"format": "confide-audit-signing-key/1", "key_id": "audit-x"}', "lacks"),
        (
            '{"format": "confide-audit-signing-key/1", "key_id": "audit-x", "private_key": "!"}',
            "base64",
        ),
        (
            '{"format": "confide-audit-signing-key/1", "key_id": "audit-x", '
            f'"private_key": "{base64.b64encode(bytes(31)).decode()}"}}',
            "32 bytes",
        ),
        (
            '{"format": "confide-audit-signing-key/1", "key_id": "audit-0000000000000000", '
            f'"private_key": "{base64.b64encode(bytes(32)).decode()}"}}',
            "does not match",
        ),
    ],
    ids=["not-json", "not-an-object", "other-format", "no-key", "bad-base64", "short", "wrong-id"],
)
def test_a_malformed_signing_key_file_is_refused(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = tmp_path / "audit-signing.key"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(SigningKeyUnavailable, match=complaint) as refused:
        load_signing_key_file(path)
    assert str(path) in str(refused.value)


def test_a_directory_in_place_of_the_signing_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit-signing.key"
    path.mkdir(mode=0o700)
    with pytest.raises(SigningKeyUnavailable, match="not a regular file"):
        load_signing_key_file(path)


# Exported public keys.


def test_an_exported_public_key_reads_back_as_the_same_key() -> None:
    key = SigningKey.generate()
    text = key.public_key.to_text()
    assert text.startswith(f"confide-audit-ed25519:{key.key_id}:")
    assert VerifyKey.from_text(text) == key.public_key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "confide-audit-ed25519:audit-0000000000000000",
        "ssh-ed25519:audit-0000000000000000:" + base64.b64encode(bytes(32)).decode(),
        "confide-audit-ed25519:audit-0000000000000000:not base64!",
        "confide-audit-ed25519:audit-0000000000000000:" + base64.b64encode(bytes(31)).decode(),
    ],
)
def test_a_malformed_exported_public_key_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="public_key"):
        VerifyKey.from_text(text)


def test_an_exported_public_key_under_another_key_id_is_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    swapped = key.public_key.to_text().replace(key.key_id, other.key_id)
    with pytest.raises(InvalidValue, match="does not match"):
        VerifyKey.from_text(swapped)


@pytest.mark.parametrize(
    ("message", "signature"),
    [
        (b"m", b""),
        (b"m", bytes(63)),
        (b"m", bytes(65)),
        ("m", bytes(64)),
        (b"m", None),
        (None, None),
    ],
)
def test_a_verify_key_given_junk_says_no_and_never_raises(message: Any, signature: Any) -> None:
    assert SigningKey.generate().public_key.verify(message, signature) is False


# Signed checkpoints.


def _signed(key: SigningKey | None = None) -> tuple[SigningKey, SignedCheckpoint]:
    key = key or SigningKey.generate()
    return key, SignedCheckpoint.sign(key, "confide-practice-1", 5, HEAD, ISSUED)


def test_the_signed_bytes_are_a_small_versioned_text() -> None:
    assert (
        checkpoint_message("confide-practice-1", 5, HEAD, ISSUED)
        == (
            "confide-audit-checkpoint/1\n"
            "confide-practice-1\n"
            "5\n"
            f"{base64.b64encode(HEAD).decode()}\n"
            "2026-03-13T09:30:00.000000Z\n"
        ).encode()
    )


def test_a_checkpoint_time_is_signed_in_utc_whatever_zone_it_was_given_in() -> None:
    local = ISSUED.astimezone(timezone(timedelta(hours=-5)))
    assert checkpoint_message("o", 1, HEAD, local) == checkpoint_message("o", 1, HEAD, ISSUED)
    key, checkpoint = _signed()
    assert SignedCheckpoint.sign(key, "confide-practice-1", 5, HEAD, local) == checkpoint
    assert checkpoint.issued_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("origin", "size", "head", "issued_at", "field"),
    [
        ("two\nlines", 1, HEAD, ISSUED, "checkpoint.origin"),
        ("", 1, HEAD, ISSUED, "checkpoint.origin"),
        ("o", -1, HEAD, ISSUED, "checkpoint.size"),
        ("o", True, HEAD, ISSUED, "checkpoint.size"),
        ("o", 1, HEAD[:31], ISSUED, "checkpoint.root"),
        ("o", 1, HEAD, ISSUED.replace(tzinfo=None), "checkpoint.issued_at"),
    ],
    ids=["newline-in-origin", "empty-origin", "negative-size", "bool-size", "short-root", "naive"],
)
def test_a_checkpoint_with_a_bad_field_is_refused_naming_it(
    origin: Any, size: Any, head: Any, issued_at: Any, field: str
) -> None:
    with pytest.raises(InvalidValue, match=field):
        checkpoint_message(origin, size, head, issued_at)


def test_a_signed_checkpoint_verifies_with_the_exported_public_key_text_alone() -> None:
    key, checkpoint = _signed()
    exported_key, exported_checkpoint = key.public_key.to_text(), checkpoint.to_json()
    # A third party holds two strings and nothing else.
    received = SignedCheckpoint.from_json(exported_checkpoint)
    assert received == checkpoint
    assert received.verify(VerifyKey.from_text(exported_key))


def test_a_signed_checkpoint_verifies_with_any_ed25519_library() -> None:
    key, checkpoint = _signed()
    raw_key = base64.b64decode(key.public_key.to_text().rsplit(":", 1)[1])
    document = json.loads(checkpoint.to_json())
    message = (
        f"confide-audit-checkpoint/1\n{document['origin']}\n{document['size']}\n"
        f"{document['root']}\n{document['issued_at']}\n"
    ).encode()
    # Raises InvalidSignature if the signature does not cover exactly these bytes.
    Ed25519PublicKey.from_public_bytes(raw_key).verify(
        base64.b64decode(document["signature"]), message
    )


@pytest.mark.parametrize(
    "change",
    [
        {"size": 6},
        {"size": 4},
        {"root": bytes([HEAD[0] ^ 1]) + HEAD[1:]},
        {"root": HEAD[:-1] + bytes([HEAD[-1] ^ 0x80])},
        {"issued_at": ISSUED + timedelta(microseconds=1)},
        {"issued_at": ISSUED - timedelta(days=1)},
        {"origin": "confide-practice-2"},
    ],
    ids=["size+1", "size-1", "root-first-byte", "root-last-byte", "time+1us", "time-1d", "origin"],
)
def test_a_signed_checkpoint_with_any_field_changed_fails(change: dict[str, Any]) -> None:
    key, checkpoint = _signed()
    assert checkpoint.verify(key.public_key)
    assert not dataclasses.replace(checkpoint, **change).verify(key.public_key)


@pytest.mark.parametrize("at", [0, 31, 32, 63])
def test_a_signed_checkpoint_with_its_signature_changed_fails(at: int) -> None:
    key, checkpoint = _signed()
    signature = bytearray(checkpoint.signature)
    signature[at] ^= 0x01
    assert not dataclasses.replace(checkpoint, signature=bytes(signature)).verify(key.public_key)
    assert not dataclasses.replace(checkpoint, signature=checkpoint.signature[:-1]).verify(
        key.public_key
    )
    assert not dataclasses.replace(checkpoint, signature=b"").verify(key.public_key)


def test_a_signed_checkpoint_fails_with_another_key() -> None:
    key, checkpoint = _signed()
    other = SigningKey.generate()
    assert not checkpoint.verify(other.public_key)
    # Claiming the other key's id does not help: the signature is still the first key's.
    assert not dataclasses.replace(checkpoint, key_id=other.key_id).verify(other.public_key)
    # And another key's signature under the first key's id fails the first key.
    _, forged = _signed(other)
    assert not dataclasses.replace(forged, key_id=key.key_id).verify(key.public_key)


def test_a_checkpoint_tampered_with_in_its_exported_json_fails() -> None:
    key, checkpoint = _signed()
    document = json.loads(checkpoint.to_json())
    for field, value in [
        ("size", 6),
        ("origin", "confide-practice-2"),
        ("issued_at", "2026-03-13T09:30:00.000001Z"),
        ("root", base64.b64encode(bytes(32)).decode()),
    ]:
        tampered = json.dumps({**document, field: value})
        assert not SignedCheckpoint.from_json(tampered).verify(key.public_key), field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "checkpoint"),
        ("[]", "checkpoint.format"),
        ('{"format": "confide-audit-checkpoint/2"}', "checkpoint.format"),
        ('{"format": "confide-audit-checkpoint/1", "issued_at": "yesterday"}', "issued_at"),
    ],
)
def test_a_malformed_exported_checkpoint_is_refused(text: str, field: str) -> None:
    with pytest.raises(InvalidValue, match=field):
        SignedCheckpoint.from_json(text)


def test_an_exported_checkpoint_with_a_bad_field_is_refused_naming_it() -> None:
    _, checkpoint = _signed()
    document = json.loads(checkpoint.to_json())
    for field, value in [
        ("size", "5"),
        ("size", -1),
        ("origin", None),
        ("root", "!!"),
        ("root", base64.b64encode(bytes(31)).decode()),
        ("issued_at", "2026-03-13T09:30:00"),
        ("key_id", ""),
        ("signature", 42),
    ]:
        with pytest.raises(InvalidValue, match=f"checkpoint.{field}"):
            SignedCheckpoint.from_json(json.dumps({**document, field: value}))
