"""Envelope encryption: per-client data keys (AES-256-GCM) wrapped by key-encryption keys
that live outside the database, and associated data that binds each ciphertext to its record."""

from confide.vault.associated_data import RecordBinding
from confide.vault.data_keys import (
    WrappedDataKey,
    erase_data_key,
    new_data_key,
    rewrap_data_key,
    unwrap_data_key,
)
from confide.vault.errors import (
    DataKeyErased,
    ErasureRefused,
    IntegrityError,
    KeyUnavailable,
    VaultError,
)
from confide.vault.keyfile import (
    create_key_file,
    load_from_environment,
    load_key_file,
    new_kek_id,
    save_key_file,
)
from confide.vault.keyring import KeyEncryptionKey, KeyRing, LocalKek
from confide.vault.vault import Vault

__all__ = [
    "DataKeyErased",
    "ErasureRefused",
    "IntegrityError",
    "KeyEncryptionKey",
    "KeyRing",
    "KeyUnavailable",
    "LocalKek",
    "RecordBinding",
    "Vault",
    "VaultError",
    "WrappedDataKey",
    "create_key_file",
    "erase_data_key",
    "load_from_environment",
    "load_key_file",
    "new_data_key",
    "new_kek_id",
    "rewrap_data_key",
    "save_key_file",
    "unwrap_data_key",
]
