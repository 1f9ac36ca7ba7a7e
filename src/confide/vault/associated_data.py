"""The associated data that binds a ciphertext to where it belongs.

AES-GCM authenticates the associated data with the ciphertext, so a ciphertext copied to another
record, client, category or version fails to decrypt. Fields are length-prefixed, so no two
different tuples of fields can encode to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

_CONTEXT = b"confide/record/v1"


@dataclass(frozen=True, slots=True)
class RecordBinding:
    """Where a ciphertext belongs: the client, the record, its category and its version."""

    client_id: str
    record_id: str
    category: str
    version: int

    def encode(self) -> bytes:
        """The canonical bytes authenticated with the ciphertext."""
        return length_prefixed(
            _CONTEXT,
            self.client_id.encode(),
            self.record_id.encode(),
            self.category.encode(),
            str(self.version).encode(),
        )


def length_prefixed(*fields: bytes) -> bytes:
    """Each field preceded by its length as 4 big-endian bytes."""
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)
