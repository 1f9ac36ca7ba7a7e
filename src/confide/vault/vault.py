"""The vault: seals and opens a client's content with their data key.

Unwrapped data keys are kept in a small in-memory cache so a busy read path unwraps each client's
key once, not on every read; erasing or rotating a key drops it from the cache.

A long-running process (the web server) outlives key rotations made by ``confide keys rotate``:
given a ``reload``, the vault reloads its key ring the first time it meets a data key wrapped by
a key-encryption key it does not hold, instead of failing every read until a restart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress

from confide.vault.associated_data import RecordBinding
from confide.vault.data_keys import WrappedDataKey, new_data_key, unwrap_data_key
from confide.vault.errors import KeyUnavailable
from confide.vault.keyring import KeyRing
from confide.vault.sealing import open_sealed, seal


class Vault:
    """Seals and opens content for clients whose wrapped data keys the caller supplies."""

    def __init__(
        self,
        ring: KeyRing,
        *,
        cache_size: int = 1024,
        reload: Callable[[], KeyRing] | None = None,
    ) -> None:
        self._ring = ring
        self._reload = reload
        self._cache: OrderedDict[tuple[str, str, bytes], bytes] = OrderedDict()
        self._cache_size = cache_size

    @property
    def ring(self) -> KeyRing:
        """The key ring in use."""
        return self._ring

    def new_client_key(self, client_id: str) -> WrappedDataKey:
        """A new data key for a client, wrapped for storage."""
        key, stored = new_data_key(self._ring, client_id)
        self._remember(stored, key)
        return stored

    def seal(self, stored: WrappedDataKey, plaintext: bytes, binding: RecordBinding) -> bytes:
        """Encrypt content of ``stored.client_id`` bound to its record."""
        self._check_owner(stored, binding)
        return seal(self._key(stored), plaintext, binding)

    def open(self, stored: WrappedDataKey, blob: bytes, binding: RecordBinding) -> bytes:
        """Decrypt content; raises IntegrityError on any tampering, DataKeyErased if erased."""
        self._check_owner(stored, binding)
        return open_sealed(self._key(stored), blob, binding)

    def forget(self, client_id: str) -> None:
        """Drop a client's unwrapped key from memory (after erasure or rotation)."""
        for cache_key in [k for k in self._cache if k[0] == client_id]:
            del self._cache[cache_key]

    def _key(self, stored: WrappedDataKey) -> bytes:
        if stored.wrapped is None:
            self.forget(stored.client_id)
            return unwrap_data_key(self._ring, stored)  # raises DataKeyErased
        cache_key = (stored.client_id, stored.kek_id, stored.wrapped)
        key = self._cache.get(cache_key)
        if key is None:
            key = self._unwrap(stored)
            self._remember(stored, key)
        else:
            self._cache.move_to_end(cache_key)
        return key

    def _unwrap(self, stored: WrappedDataKey) -> bytes:
        if stored.kek_id not in self._ring.keys and self._reload is not None:
            # Rotated meanwhile: the key file has the new key. If it cannot be read, keep the
            # ring we have; the unwrap below names the missing key.
            with suppress(KeyUnavailable):
                self._ring = self._reload()
        return unwrap_data_key(self._ring, stored)

    def _remember(self, stored: WrappedDataKey, key: bytes) -> None:
        if stored.wrapped is None:
            return
        self._cache[(stored.client_id, stored.kek_id, stored.wrapped)] = key
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    @staticmethod
    def _check_owner(stored: WrappedDataKey, binding: RecordBinding) -> None:
        if stored.client_id != binding.client_id:
            # A caller bug, not tampering: refuse before any key is used.
            raise ValueError("the data key and the record belong to different clients")
