"""A backup file handed to ``confide restore`` (``services.backup``; decision 0018).

The file comes from wherever backups are kept, so every byte of it is outside input. The
target reads the input as a header (``BackupHeader.decode``) and, framed as a whole backup file
with a signature, as a file (``check_backup``). Property: each is read or refused with
``BackupRefused`` or ``InvalidValue``; a header that is read writes out and reads back equal;
a file is never accepted unless signed by the key it is checked with.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.audit.signing import SigningKey
    from confide.domain import InvalidValue
    from confide.services.backup import MAGIC, SIGNATURE_CONTEXT, BackupHeader, check_backup
    from confide.store.backup import BackupRefused

from fuzz.harness import run

# A synthetic signer: a fixed key, so a finding replays.
SIGNER = SigningKey(bytes(range(32)))
# One scratch file, rewritten for each input (libFuzzer ends the process without clean-up).
_FILE = Path(tempfile.gettempdir()) / f"confide-fuzz-backup-{os.getuid()}"


def test_one_input(data: bytes) -> None:
    """One header, then the same bytes as a backup file: once signed, once with a bad
    signature."""
    try:
        header = BackupHeader.decode(data)
    except (BackupRefused, InvalidValue):
        pass
    else:
        if BackupHeader.decode(header.encode()) != header:
            raise AssertionError("a backup header does not read back as it was written")
    header_part, _, rest = data.partition(b"\n--\n")
    good = SIGNER.sign(SIGNATURE_CONTEXT + header_part)
    for signature in (good, bytes(64)):
        framed = MAGIC + len(header_part).to_bytes(4, "big") + header_part + signature + rest
        _FILE.write_bytes(framed)
        try:
            check_backup(_FILE, SIGNER.public_key)
        except (BackupRefused, InvalidValue):
            continue
        if signature != good:
            raise AssertionError("a backup with a bad signature was accepted")


if __name__ == "__main__":
    run(test_one_input)
