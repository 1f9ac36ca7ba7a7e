"""Errors of the vault. One error type per failure a person must act on differently.

    ConfideError
    └── VaultError
        ├── KeyUnavailable    the key-encryption key cannot be loaded: which file, what to do
        ├── IntegrityError    a ciphertext or its associated data was altered or moved
        ├── DataKeyErased     the client's data key was destroyed (crypto-erasure)
        └── ErasureRefused    erasure asked for while a retention period still runs

Messages name record ids, client ids and paths, never content.
"""

from __future__ import annotations

from confide.domain.errors import ConfideError


class VaultError(ConfideError):
    """Base of the vault's errors."""


class KeyUnavailable(VaultError):
    """The key-encryption key could not be loaded; the message says which and what to do."""


class IntegrityError(VaultError):
    """A ciphertext failed authentication: altered, truncated, or copied to another record."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"{subject}: the stored ciphertext failed its integrity check (altered, or copied "
            "from another record or client); nothing of it was returned"
        )


class DataKeyErased(VaultError):
    """The client's data key was destroyed; their content can no longer be read."""


class ErasureRefused(VaultError):
    """A client's data key may not be destroyed yet."""
