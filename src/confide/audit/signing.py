"""Ed25519 signatures over audit checkpoints, with a signing key kept outside the database.

A checkpoint says "the log ``origin`` held ``size`` entries whose Merkle tree head was ``root``
at ``issued_at``". It is signed as a small, versioned text (:func:`checkpoint_message`), so a
third party can check it with the exported public key alone (:meth:`VerifyKey.to_text`), with
any Ed25519 library and without confide.

The signing key lives in its own file, JSON, created with mode 0600 by
:func:`create_signing_key_file` and never created implicitly: a missing key file means the key
was lost or the wrong path was given, and a new key would not be the one a third party trusts,
so a missing file is refused, saying which file to restore.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from confide.domain.errors import ConfideError, InvalidValue
from confide.domain.validation import require_aware, require_id

KEY_FILE_FORMAT = "confide-audit-signing-key/1"
PUBLIC_KEY_PREFIX = "confide-audit-ed25519"
CHECKPOINT_FORMAT = "confide-audit-checkpoint/1"
KEY_BYTES = 32
SIGNATURE_BYTES = 64
ROOT_BYTES = 32
_MAX_KEY_FILE_BYTES = 4096


class SigningKeyUnavailable(ConfideError):
    """The audit signing key file is missing, unreadable, readable by others, or malformed."""


def key_id_for(public_key: bytes) -> str:
    """The key id of a raw Ed25519 public key: ``audit-`` and 16 hex digits of its SHA-256."""
    return "audit-" + hashlib.sha256(public_key).hexdigest()[:16]


class VerifyKey:
    """An Ed25519 public key that checks checkpoint signatures; safe to publish."""

    __slots__ = ("_key", "_key_id", "_public_bytes")

    def __init__(self, public_bytes: bytes) -> None:
        if not isinstance(public_bytes, bytes) or len(public_bytes) != KEY_BYTES:
            raise InvalidValue("public_key", f"must be {KEY_BYTES} bytes (a raw Ed25519 key)")
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_bytes)
        except ValueError:
            raise InvalidValue("public_key", "is not an Ed25519 public key") from None
        self._public_bytes = public_bytes
        self._key_id = key_id_for(public_bytes)

    @property
    def key_id(self) -> str:
        """``audit-`` and the first 16 hex digits of the SHA-256 of the raw public key."""
        return self._key_id

    @property
    def public_bytes(self) -> bytes:
        """The raw 32-byte public key (RFC 8032 encoding)."""
        return self._public_bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``. Never raises."""
        if not isinstance(message, bytes) or not isinstance(signature, bytes):
            return False
        if len(signature) != SIGNATURE_BYTES:
            return False
        try:
            self._key.verify(signature, message)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def to_text(self) -> str:
        """The key for export: ``confide-audit-ed25519:<key id>:<base64 public key>``."""
        encoded = base64.b64encode(self._public_bytes).decode("ascii")
        return f"{PUBLIC_KEY_PREFIX}:{self.key_id}:{encoded}"

    @classmethod
    def from_text(cls, text: str) -> VerifyKey:
        """Read an exported key, refusing a malformed one or one whose key id does not match."""
        parts = text.strip().split(":") if isinstance(text, str) else []
        if len(parts) != 3 or parts[0] != PUBLIC_KEY_PREFIX:
            raise InvalidValue(
                "public_key", f"must read {PUBLIC_KEY_PREFIX}:<key id>:<base64 public key>"
            )
        key = cls(_decode_base64(parts[2], "public_key"))
        if key.key_id != parts[1]:
            raise InvalidValue("public_key", f"key id {parts[1]!r} does not match the key")
        return key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other._public_bytes == self._public_bytes

    def __hash__(self) -> int:
        return hash(self._public_bytes)

    def __repr__(self) -> str:
        return f"VerifyKey({self.key_id})"


class SigningKey:
    """An Ed25519 private key that signs checkpoints. Its repr never shows the key."""

    __slots__ = ("_key", "_public_key")

    def __init__(self, private_bytes: bytes) -> None:
        if not isinstance(private_bytes, bytes) or len(private_bytes) != KEY_BYTES:
            raise InvalidValue("private_key", f"must be {KEY_BYTES} bytes (a raw Ed25519 seed)")
        self._key = Ed25519PrivateKey.from_private_bytes(private_bytes)
        self._public_key = VerifyKey(
            self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    @classmethod
    def generate(cls) -> SigningKey:
        """A new, random signing key."""
        return cls(_raw_private_bytes(Ed25519PrivateKey.generate()))

    @property
    def key_id(self) -> str:
        """The id of this key, derived from its public key."""
        return self._public_key.key_id

    @property
    def public_key(self) -> VerifyKey:
        """The public half, to export and to verify with."""
        return self._public_key

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message)

    def _private_bytes(self) -> bytes:
        return _raw_private_bytes(self._key)

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id})"


def _raw_private_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def create_signing_key_file(path: Path | str) -> SigningKey:
    """Create a signing key file with a new key, readable by its owner only (0600).

    Refuses to overwrite anything at ``path`` (even a dangling link). The file and its
    directory are synced before the key is returned, so a checkpoint is never signed by a key
    a crash could lose.
    """
    path = Path(path)
    key = SigningKey.generate()
    document = {
        "format": KEY_FILE_FORMAT,
        "key_id": key.key_id,
        "private_key": _b64(key._private_bytes()),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} already exists; confide never replaces a signing key"
        ) from None
    except OSError as error:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} cannot be created: {error.strerror}"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # exactly owner read/write, whatever the umask
            json.dump(document, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return key


def load_signing_key_file(path: Path | str) -> SigningKey:
    """Load the signing key, refusing a missing, unreadable, malformed or group/world-readable
    file with :class:`SigningKeyUnavailable` naming the file and the fix."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} not found. Restore it from your backup of the audit "
            "signing key; create a new key only for an audit log that has no signed checkpoints "
            "yet."
        ) from None
    except OSError as error:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} cannot be opened: {error.strerror}"
        ) from None
    try:
        raw = _read_owner_only(fd, path)
    finally:
        os.close(fd)
    if len(raw) > _MAX_KEY_FILE_BYTES:
        raise SigningKeyUnavailable(f"audit signing key file {path} is too large to be a key")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} cannot be read: {type(error).__name__}"
        ) from None
    return _key_from_document(document, path)


def _read_owner_only(fd: int, path: Path) -> bytes:
    """The file's bytes (at most one more than a key file may hold), after checking that it is
    a regular file no one but its owner may read or write. Checks the opened file, not the
    name, so the file cannot be swapped between the check and the read."""
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        raise SigningKeyUnavailable(f"audit signing key file {path} is not a regular file")
    mode = stat.S_IMODE(status.st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyUnavailable(
            f"audit signing key file {path} is readable by others (mode {mode:o}); "
            f"run: chmod 600 {path}"
        )
    chunks: list[bytes] = []
    remaining = _MAX_KEY_FILE_BYTES + 1
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _key_from_document(document: object, path: Path) -> SigningKey:
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise SigningKeyUnavailable(
            f"audit signing key file {path} is not a confide audit signing key ({KEY_FILE_FORMAT})"
        )
    key_id, encoded = document.get("key_id"), document.get("private_key")
    if not isinstance(key_id, str) or not isinstance(encoded, str):
        raise SigningKeyUnavailable(
            f"audit signing key file {path} lacks its key_id or its private_key"
        )
    try:
        key = SigningKey(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise SigningKeyUnavailable(
            f"audit signing key file {path}: private_key must be base64 of {KEY_BYTES} bytes"
        ) from None
    if key.key_id != key_id:
        raise SigningKeyUnavailable(
            f"audit signing key file {path}: key_id {key_id!r} does not match its key "
            f"({key.key_id})"
        )
    return key


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_message(origin: str, size: int, root: bytes, issued_at: datetime) -> bytes:
    """The canonical bytes a checkpoint's signature covers.

    Five lines, each ended by a newline: the format ``confide-audit-checkpoint/1``, the origin
    (an opaque id, so it holds no newline), the tree size in decimal, the base64 tree head, and
    the time in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. Refuses bad fields with InvalidValue.
    """
    origin, size, root, issued_at = _checked_fields(origin, size, root, issued_at)
    return (
        f"{CHECKPOINT_FORMAT}\n{origin}\n{size}\n{_b64(root)}\n{_format_time(issued_at)}\n"
    ).encode("ascii")


def _checked_fields(
    origin: object, size: object, root: object, issued_at: object
) -> tuple[str, int, bytes, datetime]:
    origin = require_id(origin, "checkpoint.origin")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidValue("checkpoint.size", "must be a whole number, 0 or more")
    if not isinstance(root, bytes) or len(root) != ROOT_BYTES:
        raise InvalidValue("checkpoint.root", f"must be a {ROOT_BYTES}-byte Merkle tree head")
    return origin, size, root, require_aware(issued_at, "checkpoint.issued_at")


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True)
class SignedCheckpoint:
    """A signed statement of a log's size and tree head at a time; ``issued_at`` is kept in UTC."""

    origin: str
    size: int
    root: bytes
    issued_at: datetime
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        _, _, _, issued_at = _checked_fields(self.origin, self.size, self.root, self.issued_at)
        object.__setattr__(self, "issued_at", issued_at)
        require_id(self.key_id, "checkpoint.key_id")
        if not isinstance(self.signature, bytes):
            raise InvalidValue("checkpoint.signature", "must be bytes")

    @classmethod
    def sign(
        cls, key: SigningKey, origin: str, size: int, root: bytes, issued_at: datetime
    ) -> SignedCheckpoint:
        """Sign the checkpoint ``(origin, size, root, issued_at)`` with ``key``."""
        message = checkpoint_message(origin, size, root, issued_at)
        return cls(origin, size, root, issued_at, key.key_id, key.sign(message))

    def message(self) -> bytes:
        """The bytes the signature covers (:func:`checkpoint_message`)."""
        return checkpoint_message(self.origin, self.size, self.root, self.issued_at)

    def verify(self, verify_key: VerifyKey) -> bool:
        """Whether ``verify_key`` signed exactly this checkpoint. Never raises."""
        if not isinstance(verify_key, VerifyKey) or verify_key.key_id != self.key_id:
            return False
        try:
            message = self.message()
        except InvalidValue:
            return False
        return verify_key.verify(message, self.signature)

    def to_json(self) -> str:
        """The checkpoint for export, as one line of JSON with sorted keys."""
        document = {
            "format": CHECKPOINT_FORMAT,
            "origin": self.origin,
            "size": self.size,
            "root": _b64(self.root),
            "issued_at": _format_time(self.issued_at),
            "key_id": self.key_id,
            "signature": _b64(self.signature),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedCheckpoint:
        """Read an exported checkpoint, refusing malformed JSON or fields with InvalidValue.

        Reading does not verify: call :meth:`verify` with the signer's public key.
        """
        try:
            document: Any = json.loads(text)
        except (TypeError, ValueError):
            raise InvalidValue("checkpoint", "is not JSON") from None
        if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
            raise InvalidValue("checkpoint.format", f"must be {CHECKPOINT_FORMAT}")
        issued_at = document.get("issued_at")
        if not isinstance(issued_at, str):
            raise InvalidValue("checkpoint.issued_at", "must be an ISO-8601 time in UTC")
        try:
            moment = datetime.fromisoformat(issued_at)
        except ValueError:
            raise InvalidValue("checkpoint.issued_at", "must be an ISO-8601 time in UTC") from None
        # The other fields are checked by __post_init__, whatever their JSON types.
        return cls(
            origin=cast(str, document.get("origin")),
            size=cast(int, document.get("size")),
            root=_decode_base64(document.get("root"), "checkpoint.root"),
            issued_at=moment,
            key_id=cast(str, document.get("key_id")),
            signature=_decode_base64(document.get("signature"), "checkpoint.signature"),
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode_base64(value: object, field: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidValue(field, "must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue(field, "must be base64 text") from None
