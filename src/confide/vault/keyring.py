"""Key-encryption keys: they wrap each client's data key and never enter the database.

A :class:`KeyRing` holds one or more key-encryption keys by id and names the active one. New data
keys are wrapped under the active key; a wrapped key names the key that wrapped it, so rotation
can proceed one client at a time and resume where it stopped. :class:`KeyEncryptionKey` is the
small interface a KMS would implement.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from confide.vault.associated_data import length_prefixed
from confide.vault.errors import IntegrityError, KeyUnavailable
from confide.vault.sealing import KEY_BYTES, NONCE_BYTES

_WRAP_CONTEXT = b"confide/data-key/v1"


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps data keys. A KMS-backed key implements the same three members."""

    @property
    def kek_id(self) -> str:
        """A stable id, stored beside every key it wraps."""
        ...

    def wrap(self, data_key: bytes, client_id: str) -> bytes:
        """Wrap ``data_key`` for ``client_id``."""
        ...

    def unwrap(self, wrapped: bytes, client_id: str) -> bytes:
        """Unwrap a key wrapped for ``client_id``; a key wrapped for another client fails."""
        ...


@dataclass(frozen=True, slots=True)
class LocalKek:
    """A 256-bit key-encryption key held in memory, wrapping with AES-256-GCM.

    The client id and this key's id are the associated data, so a wrapped data key copied to
    another client's row does not unwrap.
    """

    kek_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise KeyUnavailable(f"key-encryption key {self.kek_id}: must be 32 bytes")

    def _context(self, client_id: str) -> bytes:
        return length_prefixed(_WRAP_CONTEXT, self.kek_id.encode(), client_id.encode())

    def wrap(self, data_key: bytes, client_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, self._context(client_id))

    def unwrap(self, wrapped: bytes, client_id: str) -> bytes:
        try:
            return AESGCM(self.key).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], self._context(client_id)
            )
        except (InvalidTag, ValueError):
            raise IntegrityError(f"data key of client {client_id}") from None


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The key-encryption keys on hand, by id, and which one wraps new data keys."""

    keys: Mapping[str, KeyEncryptionKey]
    active_id: str

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise KeyUnavailable(f"the active key-encryption key {self.active_id} is not loaded")

    @property
    def active(self) -> KeyEncryptionKey:
        """The key that wraps new data keys."""
        return self.keys[self.active_id]

    def get(self, kek_id: str) -> KeyEncryptionKey:
        """The key with this id, or a clear error naming it."""
        kek = self.keys.get(kek_id)
        if kek is None:
            raise KeyUnavailable(
                f"key-encryption key {kek_id} is not in the key file; restore the key file "
                "that holds it (rotation keeps old keys until every data key is re-wrapped)"
            )
        return kek
