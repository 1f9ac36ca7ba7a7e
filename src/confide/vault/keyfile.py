"""The key file: where the key-encryption keys live, outside the database.

The file is JSON, created with mode 0600 by ``create_key_file`` (``confide init``) and never
created implicitly: a missing key file over existing data means the keys were lost or the wrong
directory was given, and generating a new key would make every record unreadable. The keys may
instead come from the environment (``CONFIDE_KEK``: base64 of 32 bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from confide.vault.errors import KeyUnavailable
from confide.vault.keyring import KeyEncryptionKey, KeyRing, LocalKek
from confide.vault.sealing import KEY_BYTES

FORMAT = "confide-keyring/1"
ENV_VAR = "CONFIDE_KEK"


def new_kek_id() -> str:
    """A fresh, random key id."""
    return f"kek-{secrets.token_hex(8)}"


def create_key_file(path: Path) -> KeyRing:
    """Create a key file with one new key, readable by its owner only. Refuses to overwrite."""
    kek = LocalKek(new_kek_id(), secrets.token_bytes(KEY_BYTES))
    ring = KeyRing({kek.kek_id: kek}, kek.kek_id)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyUnavailable(
            f"key file {path} already exists; confide never replaces a key file"
        ) from None
    with os.fdopen(fd, "w") as out:
        json.dump(_as_json(ring), out)
        out.flush()
        os.fsync(out.fileno())
    _sync_directory(path.parent)
    return ring


def save_key_file(path: Path, ring: KeyRing) -> None:
    """Replace the key file atomically and durably.

    A fresh, owner-only temporary file (never a leftover or a symlink) is written and synced,
    renamed over the key file, and the directory synced, so the keys are never world-readable,
    never written through a link, and never lost to a crash after the database moved on.
    """
    fd, tmp = tempfile.mkstemp(prefix=".confide-key-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(_as_json(ring), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key_file(path: Path) -> KeyRing:
    """Load the key ring, refusing a missing, unreadable, malformed or world-readable file."""
    if not path.exists():
        raise KeyUnavailable(
            f"key file {path} not found. Restore it from your key backup, or set {ENV_VAR}. "
            "Run 'confide init' only for a new, empty data directory."
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyUnavailable(
            f"key file {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeyUnavailable(f"key file {path} cannot be read: {type(error).__name__}") from None
    return _from_json(data, str(path))


def load_from_environment(environ: Mapping[str, str]) -> KeyRing | None:
    """The key ring from ``CONFIDE_KEK`` (base64 of 32 bytes), or None if it is not set."""
    value = environ.get(ENV_VAR)
    if value is None:
        return None
    key = _decode_key(value, ENV_VAR)
    # The id is a fingerprint of the key, so a wrong key never passes for the right one.
    kek = LocalKek(f"kek-env-{hashlib.sha256(key).hexdigest()[:16]}", key)
    return KeyRing({kek.kek_id: kek}, kek.kek_id)


def _as_json(ring: KeyRing) -> dict[str, object]:
    keys: dict[str, str] = {}
    for kek_id, kek in ring.keys.items():
        if not isinstance(kek, LocalKek):
            raise KeyUnavailable(f"key-encryption key {kek_id} is not a local key; not saved")
        keys[kek_id] = base64.b64encode(kek.key).decode()
    return {"format": FORMAT, "active": ring.active_id, "keys": keys}


def _from_json(data: object, source: str) -> KeyRing:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyUnavailable(f"key file {source} is not a confide key file ({FORMAT})")
    raw = data.get("keys")
    active = data.get("active")
    if not isinstance(raw, dict) or not isinstance(active, str):
        raise KeyUnavailable(f"key file {source} lacks its keys or its active key id")
    keys: dict[str, KeyEncryptionKey] = {
        str(kek_id): LocalKek(str(kek_id), _decode_key(value, f"{source} key {kek_id}"))
        for kek_id, value in raw.items()
    }
    return KeyRing(keys, active)


def _decode_key(value: object, source: str) -> bytes:
    try:
        key = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnavailable(f"{source}: not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyUnavailable(f"{source}: must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key
