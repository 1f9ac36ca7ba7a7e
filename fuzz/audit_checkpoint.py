"""An exported audit checkpoint and a signer's public key, handed back to be checked
(``SignedCheckpoint.from_json``, ``VerifyKey.from_text``; decision 0011).

An input starting with ``{`` is a checkpoint, anything else a public key's text. Property: each
is read or refused with ``InvalidValue``; a checkpoint that is read writes out and reads back
equal, and checking its signature answers True or False, never raises.
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.audit.signing import SignedCheckpoint, SigningKey, VerifyKey
    from confide.domain import InvalidValue

from fuzz.harness import run

# A synthetic signer: a fixed key, so a finding replays.
SIGNER = SigningKey(bytes(range(32)))


def test_one_input(data: bytes) -> None:
    """One checkpoint, or one public key."""
    try:
        if data[:1] != b"{":
            VerifyKey.from_text(data.decode("utf-8", errors="replace"))
            return
        checkpoint = SignedCheckpoint.from_json(data)
    except InvalidValue:
        return
    if SignedCheckpoint.from_json(checkpoint.to_json()) != checkpoint:
        raise AssertionError("a checkpoint does not read back as it was written")
    if not isinstance(checkpoint.verify(SIGNER.public_key), bool):
        raise AssertionError("checking a signature answered neither True nor False")


if __name__ == "__main__":
    run(test_one_input)
