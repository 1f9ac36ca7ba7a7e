"""Sealing and opening content with a client's data key (AES-256-GCM).

A sealed blob is ``format (1 byte) || nonce (12 bytes) || ciphertext and tag``. The nonce is random
per seal: with 96-bit random nonces a key may seal about 2^32 messages before the collision risk
reaches 2^-32 (NIST SP 800-38D §8.3); one client's data key seals far fewer.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from confide.vault.associated_data import RecordBinding
from confide.vault.errors import IntegrityError

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


def seal(data_key: bytes, plaintext: bytes, binding: RecordBinding) -> bytes:
    """Encrypt ``plaintext`` under ``data_key``, bound to ``binding``."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(data_key).encrypt(nonce, plaintext, binding.encode())


def open_sealed(data_key: bytes, blob: bytes, binding: RecordBinding) -> bytes:
    """Decrypt a sealed blob; any tampering raises :class:`IntegrityError`, never partial text."""
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
        raise IntegrityError(f"record {binding.record_id}")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, body, binding.encode())
    except InvalidTag:
        raise IntegrityError(f"record {binding.record_id}") from None
