"""A synthetic practice for the storage benchmark, put straight into the store.

The repositories are used directly, bypassing the services' checks on who may set a practice up:
what is measured is the record path and key rotation, not the setup. Ids only, and note
text drawn from a seeded generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from confide.domain import (
    Actor,
    Category,
    Client,
    Organisation,
    Period,
    Role,
    TreatmentRelationship,
)
from confide.store import schema as t
from confide.store.keys_repository import KeysRepository
from confide.store.practice_repository import PracticeRepository
from confide.vault import Vault

ORGANISATION = "bench-practice"
CLINICIAN = "bench-clinician"
CLIENTS_PER_TRANSACTION = 1_000
NOTES_PER_INSERT = 10_000
DUMMY_CIPHERTEXT = bytes(48)  # rotation never reads a note, so any bytes will do

_VOCABULARY = (
    "session client reported sleep week work family plan goal review mood anxiety steady "
    "improved discussed practice breathing exercise homework journal appointment next agreed "
    "support coping skills progress noted stress walking routine evening morning calm talked "
    "about changes small steps follow up"
)
_WORDS = _VOCABULARY.split()


@dataclass(frozen=True, slots=True)
class NotesPractice:
    """The ids the notes measurement uses: one clinician treating every client."""

    clinician_id: str
    encrypted: tuple[str, ...]
    plaintext: tuple[str, ...]
    warmup_encrypted: tuple[str, ...]
    warmup_plaintext: tuple[str, ...]


def synthetic_notes(count: int, size: int, seed: int) -> list[str]:
    """``count`` different notes of exactly ``size`` bytes of plain words, from ``seed``."""
    rng = random.Random(seed)
    notes = []
    for _ in range(count):
        words: list[str] = []
        length = -1  # no space before the first word
        while length < size:
            word = rng.choice(_WORDS)
            words.append(word)
            length += len(word) + 1
        notes.append(" ".join(words)[: size - 1] + ".")
    return notes


def add_notes_practice(
    engine: Engine, vault: Vault, clients: int, now: datetime, *, warmup_clients: int = 2
) -> NotesPractice:
    """A practice whose clinician treats ``clients`` clients per vault, plus warm-up clients."""
    practice = NotesPractice(
        CLINICIAN,
        tuple(f"enc-{n:05d}" for n in range(clients)),
        tuple(f"plain-{n:05d}" for n in range(clients)),
        tuple(f"warm-enc-{n}" for n in range(warmup_clients)),
        tuple(f"warm-plain-{n}" for n in range(warmup_clients)),
    )
    add_practice(engine, vault, (), now)
    add_treated_clients(
        engine,
        vault,
        practice.encrypted
        + practice.plaintext
        + practice.warmup_encrypted
        + practice.warmup_plaintext,
        now,
    )
    return practice


def add_practice(engine: Engine, vault: Vault, client_ids: Sequence[str], now: datetime) -> None:
    """The organisation, its clinician, and clients each with a data key wrapped by ``vault``."""
    with engine.begin() as c:
        repo = PracticeRepository(c)
        repo.add_organisation(Organisation(ORGANISATION, "Benchmark practice"))
        repo.add_actor(Actor(CLINICIAN, Role.CLINICIAN, ORGANISATION))
    add_clients(engine, vault, client_ids, now)


def add_treated_clients(
    engine: Engine, vault: Vault, client_ids: Sequence[str], now: datetime
) -> None:
    """Clients of the practice whom its clinician has treated for the last 30 days."""
    add_clients(engine, vault, client_ids, now)
    started = Period(now - timedelta(days=30))
    with engine.begin() as c:
        repo = PracticeRepository(c)
        for client_id in client_ids:
            repo.add_relationship(
                TreatmentRelationship(f"rel-{client_id}", CLINICIAN, client_id, started)
            )


def add_clients(engine: Engine, vault: Vault, client_ids: Sequence[str], now: datetime) -> None:
    """Clients of the practice, each with their own data key, a thousand per transaction."""
    for chunk in _chunks(client_ids, CLIENTS_PER_TRANSACTION):
        with engine.begin() as c:
            repo = PracticeRepository(c)
            keys = KeysRepository(c)
            for client_id in chunk:
                repo.add_client(Client(client_id, ORGANISATION), now)
                keys.add(vault.new_client_key(client_id))


def add_dummy_notes(
    engine: Engine, client_ids: Sequence[str], per_client: int, now: datetime
) -> int:
    """``per_client`` progress notes for each client, inserted in bulk; the number inserted.

    The ciphertext is a few placeholder bytes: rotation re-wraps keys and never reads a note,
    so only the number of rows matters to it.
    """
    clients_per_insert = max(1, NOTES_PER_INSERT // per_client)
    inserted = 0
    for chunk in _chunks(client_ids, clients_per_insert):
        heads = []
        versions = []
        for client_id in chunk:
            for n in range(per_client):
                record_id = f"note-{client_id}-{n}"
                heads.append(
                    {
                        "id": record_id,
                        "client_id": client_id,
                        "category": Category.PROGRESS_NOTE.value,
                        "author_id": CLINICIAN,
                        "created_at": now,
                    }
                )
                versions.append(
                    {
                        "record_id": record_id,
                        "version": 1,
                        "ciphertext": DUMMY_CIPHERTEXT,
                        "author_id": CLINICIAN,
                        "recorded_at": now,
                    }
                )
        with engine.begin() as c:
            c.execute(insert(t.records), heads)
            c.execute(insert(t.record_versions), versions)
        inserted += len(heads)
    return inserted


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
