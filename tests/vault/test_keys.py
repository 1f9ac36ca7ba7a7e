"""Data keys, the key ring, the key file, rotation and crypto-erasure."""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from confide.vault import (
    DataKeyErased,
    ErasureRefused,
    IntegrityError,
    KeyRing,
    KeyUnavailable,
    LocalKek,
    RecordBinding,
    Vault,
    create_key_file,
    erase_data_key,
    load_from_environment,
    load_key_file,
    new_data_key,
    rewrap_data_key,
    save_key_file,
    unwrap_data_key,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BINDING = RecordBinding("client-1", "rec-1", "diagnosis", 1)


def _ring(*ids: str) -> KeyRing:
    keys = {i: LocalKek(i, secrets.token_bytes(32)) for i in ids}
    return KeyRing(keys, ids[-1])


def test_a_data_key_unwraps_for_its_own_client() -> None:
    ring = _ring("kek-a")
    key, stored = new_data_key(ring, "client-1")
    assert unwrap_data_key(ring, stored) == key
    assert stored.wrapped is not None
    assert key not in stored.wrapped


def test_a_wrapped_data_key_copied_to_another_client_does_not_unwrap() -> None:
    ring = _ring("kek-a")
    _, stored = new_data_key(ring, "client-1")
    with pytest.raises(IntegrityError, match="client-2"):
        unwrap_data_key(ring, dataclasses.replace(stored, client_id="client-2"))


def test_rotation_rewraps_the_same_data_key_so_records_stay_readable() -> None:
    old = _ring("kek-old")
    vault = Vault(old)
    stored = vault.new_client_key("client-1")
    blob = vault.seal(stored, b"synthetic", BINDING)
    both = KeyRing({**old.keys, **_ring("kek-new").keys}, "kek-new")
    rotated = rewrap_data_key(both, stored)
    assert rotated.kek_id == "kek-new"
    assert rotated.wrapped != stored.wrapped
    only_new = KeyRing({"kek-new": both.keys["kek-new"]}, "kek-new")
    assert Vault(only_new).open(rotated, blob, BINDING) == b"synthetic"


def test_rewrapping_a_key_already_under_the_active_key_changes_nothing() -> None:
    ring = _ring("kek-a")
    _, stored = new_data_key(ring, "client-1")
    assert rewrap_data_key(ring, stored) is stored


def test_a_data_key_wrapped_by_a_missing_key_names_that_key() -> None:
    _, stored = new_data_key(_ring("kek-gone"), "client-1")
    with pytest.raises(KeyUnavailable, match="kek-gone"):
        unwrap_data_key(_ring("kek-other"), stored)


def test_erasure_is_refused_while_records_must_be_kept() -> None:
    _, stored = new_data_key(_ring("kek-a"), "client-1")
    with pytest.raises(ErasureRefused, match="2030-01-01"):
        erase_data_key(stored, retain_until=datetime(2030, 1, 1, tzinfo=UTC), now=NOW)


def test_after_erasure_the_clients_content_cannot_be_read() -> None:
    vault = Vault(_ring("kek-a"))
    stored = vault.new_client_key("client-1")
    blob = vault.seal(stored, b"synthetic", BINDING)
    erased = erase_data_key(stored, retain_until=datetime(2026, 1, 1, tzinfo=UTC), now=NOW)
    assert erased.is_erased
    assert erased.erased_at == NOW
    with pytest.raises(DataKeyErased, match="client-1"):
        vault.open(erased, blob, BINDING)


def test_the_key_file_is_created_owner_only_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "confide.key"
    ring = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key_file(path)
    assert loaded.active_id == ring.active_id
    _, stored = new_data_key(ring, "client-1")
    unwrap_data_key(loaded, stored)


def test_an_existing_key_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "confide.key"
    create_key_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyUnavailable, match="already exists"):
        create_key_file(path)
    assert path.read_bytes() == before


def test_a_missing_key_file_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "missing.key"
    with pytest.raises(KeyUnavailable) as caught:
        load_key_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "backup" in message
    assert "confide init" in message
    assert not path.exists()


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "confide.key"
    create_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        load_key_file(path)


@pytest.mark.parametrize(
    "content", ["not json", '{"format": "other"}', '{"format": "confide-keyring/1"}']
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "confide.key"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyUnavailable, match=str(path)):
        load_key_file(path)


def test_saving_a_rotated_key_ring_keeps_every_key(tmp_path: Path) -> None:
    path = tmp_path / "confide.key"
    first = create_key_file(path)
    both = KeyRing({**first.keys, **_ring("kek-new").keys}, "kek-new")
    save_key_file(path, both)
    loaded = load_key_file(path)
    assert set(loaded.keys) == {first.active_id, "kek-new"}
    assert loaded.active_id == "kek-new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_key_may_come_from_the_environment() -> None:
    key = secrets.token_bytes(32)
    ring = load_from_environment({"CONFIDE_KEK": base64.b64encode(key).decode()})
    assert ring is not None
    assert load_from_environment({}) is None


@pytest.mark.parametrize("value", ["***", base64.b64encode(b"short").decode()])
def test_a_bad_environment_key_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(KeyUnavailable, match="CONFIDE_KEK"):
        load_from_environment({"CONFIDE_KEK": value})


def test_the_vault_refuses_a_key_and_record_of_different_clients() -> None:
    vault = Vault(_ring("kek-a"))
    stored = vault.new_client_key("client-2")
    with pytest.raises(ValueError, match="different clients"):
        vault.seal(stored, b"synthetic", BINDING)


def test_saving_ignores_a_leftover_temporary_file_and_a_planted_symlink(tmp_path: Path) -> None:
    path = tmp_path / "confide.key"
    ring = create_key_file(path)
    decoy = tmp_path / "elsewhere"
    (tmp_path / "confide.key.tmp").symlink_to(decoy)
    leftover = tmp_path / ".confide-key-leftover"
    leftover.write_text("x")
    os.chmod(leftover, 0o644)
    save_key_file(path, ring)
    assert not decoy.exists()
    assert not path.is_symlink()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path).active_id == ring.active_id


def test_an_environment_key_is_known_by_its_fingerprint() -> None:
    one = load_from_environment({"CONFIDE_KEK": base64.b64encode(b"1" * 32).decode()})
    two = load_from_environment({"CONFIDE_KEK": base64.b64encode(b"2" * 32).decode()})
    assert one is not None
    assert two is not None
    assert one.active_id != two.active_id
