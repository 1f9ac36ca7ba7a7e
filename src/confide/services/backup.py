"""Backups: one encrypted, signed file holding a consistent copy of the database (decision 0018).

The file is a format line, a signed header and the payload, AES-256-GCM in 1 MiB chunks under a
fresh backup key that the key-encryption key (KEK) wraps. The KEK and the audit signing key's
private half never go into a backup: a restore needs both, brought by the operator from where
they are kept apart. A restore checks the signature, the digest and the KEK before it writes
anything, then verifies what it restored (data keys, row counts, the audit log) before the new
data directory takes its name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import make_url

from confide import __version__
from confide.audit.signing import SigningKey, VerifyKey, load_signing_key_file
from confide.domain import InvalidValue
from confide.domain.validation import require_id
from confide.services.audit import VerifyReport, log_system_event, verify_log
from confide.services.deps import Clock, new_id
from confide.store import schema as t
from confide.store.backup import (
    POSTGRESQL,
    SQLITE,
    BackupRefused,
    RestoreTargetNotEmpty,
    backend_of,
    known_revision,
    load_postgresql,
    load_sqlite,
    require_empty_database,
    snapshot_database,
    table_counts,
)
from confide.store.engine import make_engine
from confide.store.migrate import upgrade
from confide.vault import IntegrityError, KeyRing, KeyUnavailable, save_key_file

FORMAT = "confide-backup/1"
MAGIC = b"confide-backup/1\n"
# Differs from the checkpoint format's first line: neither signature passes for the other.
SIGNATURE_CONTEXT = b"confide-backup/1 signature\n"
_SIGNATURE_BYTES = 64
_LENGTH_BYTES = 4
_MAX_HEADER_BYTES = 64 * 1024
_TAG_BYTES = 16
CHUNK_BYTES = 1 << 20
OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class BackupHeader:
    """What a backup says about itself, in the clear and signed: never an id or content."""

    backup_id: str
    created_at: datetime
    source_backend: str
    schema_revision: str
    counts: Mapping[str, int]
    payload_bytes: int
    chunk_bytes: int
    ciphertext_sha256: str
    kek_id: str
    wrapped_key: bytes
    signer_key_id: str
    confide_version: str

    def encode(self) -> bytes:
        """Canonical JSON: sorted keys, no spaces, UTF-8."""
        document = {
            "format": FORMAT,
            "backup_id": self.backup_id,
            "created_at": self.created_at.isoformat(),
            "source_backend": self.source_backend,
            "schema_revision": self.schema_revision,
            "counts": dict(sorted(self.counts.items())),
            "payload_bytes": self.payload_bytes,
            "chunk_bytes": self.chunk_bytes,
            "ciphertext_sha256": self.ciphertext_sha256,
            "kek_id": self.kek_id,
            "wrapped_key": base64.b64encode(self.wrapped_key).decode(),
            "signer_key_id": self.signer_key_id,
            "confide_version": self.confide_version,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> BackupHeader:
        """Parse a header, refusing anything malformed with BackupRefused."""
        try:
            d = json.loads(raw.decode("utf-8"))
            if not isinstance(d, dict) or d.get("format") != FORMAT:
                raise BackupRefused(f"the header is not a {FORMAT} header")
            counts = d["counts"]
            if not isinstance(counts, dict) or not all(
                isinstance(k, str) and type(v) is int and v >= 0 for k, v in counts.items()
            ):
                raise BackupRefused("the header's counts are malformed")
            header = cls(
                require_id(str(d["backup_id"]), "backup_id"),
                datetime.fromisoformat(str(d["created_at"])),
                str(d["source_backend"]),
                str(d["schema_revision"]),
                counts,
                _natural(d["payload_bytes"]),
                _natural(d["chunk_bytes"]),
                str(d["ciphertext_sha256"]),
                str(d["kek_id"]),
                base64.b64decode(str(d["wrapped_key"]), validate=True),
                str(d["signer_key_id"]),
                str(d["confide_version"]),
            )
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, ValueError, binascii.Error):
            raise BackupRefused("the backup's header is malformed") from None
        if header.source_backend not in {SQLITE, POSTGRESQL} or header.chunk_bytes == 0:
            raise BackupRefused("the backup's header names an unknown backend or chunk size")
        return header

    @property
    def chunks(self) -> int:
        """How many encrypted chunks the payload is in (at least one)."""
        return max(1, -(-self.payload_bytes // self.chunk_bytes))

    @property
    def ciphertext_bytes(self) -> int:
        """The payload's size once encrypted: each chunk gains a 16-byte tag."""
        return self.payload_bytes + self.chunks * _TAG_BYTES


def _natural(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a natural number")
    return value


def create_backup(
    engine: Engine, ring: KeyRing, signing_key: SigningKey, to: Path, clock: Clock
) -> BackupHeader:
    """Write a backup of the database behind ``engine`` to the new file ``to``, while writers
    run. The backup key is wrapped by the ring's active KEK; the header is signed with
    ``signing_key``. The backup is logged on the system chain (after it: it is not in itself)."""
    to = to.absolute()
    if to.exists() or to.is_symlink():
        raise InvalidValue("--to", f"{to} already exists; confide never overwrites a backup")
    if not to.parent.is_dir():
        raise InvalidValue("--to", f"the directory {to.parent} does not exist")
    backup_id = new_id("backup")
    created_at = clock.now()
    with tempfile.TemporaryDirectory(prefix="confide-backup-") as work:
        payload, ciphertext = Path(work) / "payload", Path(work) / "ciphertext"
        snapshot = snapshot_database(engine.url.render_as_string(hide_password=False), payload)
        backup_key = AESGCM.generate_key(bit_length=256)
        kek = ring.active
        digest, size = _encrypt(payload, ciphertext, backup_key, backup_id)
        header = BackupHeader(
            backup_id,
            created_at,
            snapshot.backend,
            snapshot.schema_revision,
            snapshot.counts,
            size,
            CHUNK_BYTES,
            digest,
            kek.kek_id,
            kek.wrap(backup_key, _wrap_context(backup_id)),
            signing_key.key_id,
            __version__,
        )
        raw = header.encode()
        signature = signing_key.sign(SIGNATURE_CONTEXT + raw)
        prefix = MAGIC + len(raw).to_bytes(_LENGTH_BYTES, "big") + raw + signature
        _write_new_file(to, prefix, ciphertext)
    log_system_event(
        engine, clock, action="backup", effect="permit", rule="backup.created", actor_id=OPERATOR
    )
    return header


def _wrap_context(backup_id: str) -> str:
    # A client id never holds "/": a wrapped backup key can never pass for a data key.
    return f"backup/{backup_id}"


def _associated_data(backup_id: str) -> bytes:
    return f"{FORMAT}\n{backup_id}\n".encode()


def _nonce(index: int, last: bool) -> bytes:
    # STREAM: the chunk's position and whether it is the last, so chunks cannot be reordered,
    # dropped or the end cut off. The key is fresh for every backup, so nonces never repeat.
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _encrypt(payload: Path, out: Path, key: bytes, backup_id: str) -> tuple[str, int]:
    size = payload.stat().st_size
    count = max(1, -(-size // CHUNK_BYTES))
    aead, associated, digest = AESGCM(key), _associated_data(backup_id), hashlib.sha256()
    with payload.open("rb") as source, out.open("xb") as sink:
        for index in range(count):
            sealed = aead.encrypt(
                _nonce(index, index == count - 1), source.read(CHUNK_BYTES), associated
            )
            digest.update(sealed)
            sink.write(sealed)
    return digest.hexdigest(), size


def _write_new_file(to: Path, prefix: bytes, ciphertext: Path) -> None:
    """Owner-only, synced, and given its name only when whole; never over an existing file."""
    fd, tmp = tempfile.mkstemp(prefix=".confide-backup-", dir=to.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out, ciphertext.open("rb") as source:
            out.write(prefix)
            shutil.copyfileobj(source, out, CHUNK_BYTES)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, to)  # fails, rather than replaces, if the name was taken meanwhile
        except FileExistsError:
            raise InvalidValue(
                "--to", f"{to} already exists; confide never overwrites a backup"
            ) from None
        except OSError:  # a file system without hard links (some network shares)
            if to.exists():
                raise InvalidValue(
                    "--to", f"{to} already exists; confide never overwrites a backup"
                ) from None
            os.replace(tmp, to)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _sync_directory(to.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class CheckedBackup:
    """A backup whose signature and digest held: its header and where its ciphertext starts."""

    path: Path
    header: BackupHeader
    offset: int


def check_backup(path: Path, verify_key: VerifyKey) -> CheckedBackup:
    """Check the format, the signature (with ``verify_key``, never a key the file carries) and
    the ciphertext's signed digest; refuse with BackupRefused naming what failed."""
    if not path.is_file():
        raise InvalidValue("FILE", f"{path} is not a file")
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise BackupRefused(f"{path} is not a confide backup ({FORMAT})")
        length = int.from_bytes(f.read(_LENGTH_BYTES), "big")
        if not 0 < length <= _MAX_HEADER_BYTES:
            raise BackupRefused(f"{path}: the header's length is damaged")
        raw = f.read(length)
        signature = f.read(_SIGNATURE_BYTES)
        if len(raw) != length or len(signature) != _SIGNATURE_BYTES:
            raise BackupRefused(f"{path} is cut short: its header or signature is incomplete")
        offset = f.tell()
        if not verify_key.verify(SIGNATURE_CONTEXT + raw, signature):
            raise BackupRefused(
                f"{path}: the signature does not verify with the audit signing key "
                f"{verify_key.key_id}{_signer_hint(raw, verify_key)}. The file was altered, or "
                "made by another installation; nothing was restored"
            )
        header = BackupHeader.decode(raw)
        digest, size = hashlib.sha256(), 0
        while block := f.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
    if size != header.ciphertext_bytes or digest.hexdigest() != header.ciphertext_sha256:
        raise BackupRefused(
            f"{path}: the encrypted payload does not match its signed digest (altered or cut "
            "short after it was made); nothing was restored. Use another backup"
        )
    return CheckedBackup(path, header, offset)


def _signer_hint(raw: bytes, verify_key: VerifyKey) -> str:
    try:
        signer = BackupHeader.decode(raw).signer_key_id
    except BackupRefused:
        return ""
    return "" if signer == verify_key.key_id else f" (the header names key {signer})"


def unwrap_backup_key(checked: CheckedBackup, ring: KeyRing) -> bytes:
    """The backup key, unwrapped with the KEK the header names; refused if the ring lacks it
    or it does not open the wrapped key."""
    header = checked.header
    if header.kek_id not in ring.keys:
        raise BackupRefused(
            f"this backup's key is wrapped by key-encryption key {header.kek_id}, which the key "
            "given does not hold: give the key file (or CONFIDE_KEK) in use when the backup was "
            "made; nothing was restored"
        )
    try:
        return ring.get(header.kek_id).unwrap(header.wrapped_key, _wrap_context(header.backup_id))
    except IntegrityError:
        raise BackupRefused(
            f"the key-encryption key {header.kek_id} given does not open this backup's key (a "
            "different key with the same id); nothing was restored"
        ) from None


def _decrypt(checked: CheckedBackup, key: bytes, out: Path) -> None:
    header = checked.header
    aead, associated = AESGCM(key), _associated_data(header.backup_id)
    remaining = header.payload_bytes
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it is the database
    with checked.path.open("rb") as source, os.fdopen(fd, "wb") as sink:
        source.seek(checked.offset)
        for index in range(header.chunks):
            plain_size = min(header.chunk_bytes, remaining)
            sealed = source.read(plain_size + _TAG_BYTES)
            try:
                plain = aead.decrypt(_nonce(index, index == header.chunks - 1), sealed, associated)
            except InvalidTag:
                raise BackupRefused(
                    f"chunk {index} of the backup failed its integrity check; nothing was restored"
                ) from None
            sink.write(plain)
            remaining -= len(plain)
        if remaining or source.read(1):
            raise BackupRefused("the backup's payload is not the size its header says")


@dataclass(frozen=True, slots=True)
class RestoreTarget:
    """Where to restore: a new data directory and, for PostgreSQL, an empty database."""

    data_dir: Path
    database_url: str | None = None

    @property
    def backend(self) -> str:
        """``sqlite`` without a database URL."""
        return SQLITE if self.database_url is None else backend_of(self.database_url)


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore wrote and what verifying it found."""

    header: BackupHeader
    data_dir: Path
    counts: Mapping[str, int]
    audit: VerifyReport
    data_keys: int
    sessions_ended: int
    tokens_revoked: int


def restore_backup(
    path: Path,
    target: RestoreTarget,
    *,
    ring: KeyRing,
    signing_key_file: Path,
    key_file: Path | None,
    clock: Clock,
) -> RestoreReport:
    """Restore a backup into a new data directory (and, for PostgreSQL, an empty database).

    Nothing is written until the signature, digest and KEK hold and the target is empty. The
    data directory is assembled beside the target and takes its name only once every data key
    unwraps, every table's rows match the header and the audit log verifies. ``key_file``, if
    given, is copied into it (otherwise the KEK stays in CONFIDE_KEK); so is the signing key.
    """
    signing_key = load_signing_key_file(signing_key_file)
    checked = check_backup(path, signing_key.public_key)
    backup_key = unwrap_backup_key(checked, ring)
    _check_target(target, checked.header)
    data_dir = target.data_dir.absolute()
    data_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".confide-restore-", dir=data_dir.parent))
    loaded_database = False
    try:
        payload = staging / "restore.payload"
        _decrypt(checked, backup_key, payload)
        if target.database_url is None:
            url = f"sqlite:///{staging / 'confide.db'}"
            load_sqlite(payload, staging / "confide.db")
        else:
            url = target.database_url
            loaded_database = True
            load_postgresql(payload, url)
            payload.unlink()
        if key_file is not None:
            save_key_file(staging / "confide.key", ring)
        _copy_owner_only(signing_key_file, staging / "audit-signing.key")
        report = _verify_restored(url, ring, signing_key.public_key, checked.header, clock)
        staging.chmod(0o700)
        os.replace(staging, data_dir)  # replaces an empty directory, never a full one
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if loaded_database and isinstance(error, Exception):
            # Whatever failed after pg_restore committed, the rows are there: say so.
            shown = make_url(url).render_as_string(hide_password=True)
            why = str(error) if isinstance(error, BackupRefused) else type(error).__name__
            raise BackupRefused(
                f"{why} The database {shown} now holds this unverified restore: drop it."
            ) from None
        raise
    return RestoreReport(checked.header, data_dir, *report)


def _check_target(target: RestoreTarget, header: BackupHeader) -> None:
    data_dir = target.data_dir
    if data_dir.is_symlink() or (data_dir.exists() and not data_dir.is_dir()):
        raise RestoreTargetNotEmpty(f"--data-dir: {data_dir} exists and is not a directory")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        raise RestoreTargetNotEmpty(
            f"--data-dir: {data_dir} is not empty; restore into a new data directory (confide "
            "never restores over a store)"
        )
    if header.source_backend != target.backend:
        raise InvalidValue(
            "--database-url",
            "this is a PostgreSQL backup: give the URL of an empty PostgreSQL database"
            if header.source_backend == POSTGRESQL
            else "this is a SQLite backup: restore it without --database-url",
        )
    if not known_revision(header.schema_revision):
        raise BackupRefused(
            f"the backup's schema revision {header.schema_revision} is unknown to this confide "
            f"(made by confide {header.confide_version}): restore with that release or a newer one"
        )
    if target.database_url is not None:
        require_empty_database(target.database_url)


def _copy_owner_only(source: Path, destination: Path) -> None:
    data = source.read_bytes()
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _verify_restored(
    url: str, ring: KeyRing, verify_key: VerifyKey, header: BackupHeader, clock: Clock
) -> tuple[dict[str, int], VerifyReport, int, int, int]:
    """Migrations at head, every data key unwraps, the rows match the header, the audit log
    verifies; then the restore itself goes on the system chain."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as c:
            counts = table_counts(c)
            k = t.client_keys.c
            keys = c.execute(select(k.client_id, k.kek_id, k.wrapped).where(k.wrapped.is_not(None)))
            unwrapped = 0
            for client_id, kek_id, wrapped in keys:
                try:
                    ring.get(kek_id).unwrap(bytes(wrapped), client_id)
                except (KeyUnavailable, IntegrityError):
                    raise BackupRefused(
                        f"the data key of client {client_id} does not unwrap with the key given "
                        f"(wrapped by {kek_id}): give the key file that holds every key in use"
                    ) from None
                unwrapped += 1
        differ = sorted(name for name, n in header.counts.items() if counts.get(name) != n)
        if differ:
            raise BackupRefused(
                f"the restored rows differ from the backup's header in {', '.join(differ)}"
            )
        audit = verify_log(engine, verify_key)
        if not audit.intact:
            problems = [b.describe() for b in audit.breaks] + audit.checkpoint_problems
            raise BackupRefused(f"the restored audit log does not verify: {problems[0]}")
        ended, revoked = _end_sessions_and_tokens(engine, clock)
        log_system_event(
            engine, clock, action="restore", effect="permit", rule="backup.restored",
            actor_id=OPERATOR,
        )  # fmt: skip
    finally:
        engine.dispose()
    return counts, audit, unwrapped, ended, revoked


def _end_sessions_and_tokens(engine: Engine, clock: Clock) -> tuple[int, int]:
    """End every session and revoke every integration token the backup held: a token revoked
    (or a password changed) after the backup was made must not work again because of it."""
    now = clock.now()
    with engine.begin() as c:
        s, tok = t.sessions.c, t.api_tokens.c
        ended = c.execute(update(t.sessions).where(s.ended_at.is_(None)).values(ended_at=now))
        revoked = c.execute(
            update(t.api_tokens).where(tok.revoked_at.is_(None)).values(revoked_at=now)
        )
        return ended.rowcount, revoked.rowcount
