"""The storage benchmark at CI size, on SQLite and PostgreSQL: it runs, and its figures are sane."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from bench.store.cli import main
from bench.store.config import DATABASES, QUICK
from bench.store.databases import ADMIN_URL_VARIABLE, in_ci, postgres_unreachable
from bench.store.notes import PlaintextVault
from bench.store.practice import synthetic_notes

from confide.domain import Category
from confide.vault import KeyRing, LocalKek, RecordBinding, Vault


def _last_json_line(out: str) -> dict[str, Any]:
    summary = json.loads(out.strip().splitlines()[-1])
    assert isinstance(summary, dict)
    return summary


@pytest.mark.bench_smoke
@pytest.mark.parametrize("database", DATABASES)
def test_the_quick_run_ends_with_one_json_line_of_sane_figures(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if database == "postgresql" and (reason := postgres_unreachable()):
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)

    code = main(["--quick", "--databases", database])

    summary = _last_json_line(capsys.readouterr().out)
    assert code == 0
    assert summary["bench"] == "store"
    assert summary["databases"] == [database]
    assert summary["skipped"] == []
    assert (summary["clients"], summary["notes_per_client"]) == (
        QUICK.clients,
        QUICK.notes_per_client,
    )
    for operation in ("write", "read"):
        for vault in ("encrypted", "plaintext"):
            per_s = summary[f"{database}_{operation}s_per_s_{vault}"]
            p50 = summary[f"{database}_{operation}_p50_us_{vault}"]
            p99 = summary[f"{database}_{operation}_p99_us_{vault}"]
            assert per_s > 0
            assert 0 < p50 <= p99
        ratio = summary[f"{database}_{operation}_ratio"]
        assert 0.2 < ratio < 5, f"{operation} ratio {ratio} is not a plausible measurement"
    assert isinstance(summary[f"{database}_read_target_met"], bool)
    sizes = {
        "no_notes": QUICK.clients,
        "with_notes": QUICK.clients,
        "more_clients": 2 * QUICK.clients,
    }
    for scenario, clients in sizes.items():
        assert summary[f"{database}_rotation_s_{scenario}"] > 0
        assert summary[f"{database}_rotation_clients_per_s_{scenario}"] > 0
        # Every client's data key was re-wrapped, on every repeat of the rotation.
        assert summary[f"{database}_rotation_rewrapped_{scenario}"] == clients
    for key in ("rotation_notes_ratio", "rotation_clients_ratio"):
        value = summary[f"{database}_{key}"]
        assert math.isfinite(value)
        assert value > 0
    assert summary["seal_us"] > 0
    assert summary["open_us"] > 0


@pytest.mark.bench_smoke
def test_an_unreachable_postgresql_is_skipped_with_a_message_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ADMIN_URL_VARIABLE, "postgresql+psycopg://postgres@127.0.0.1:9/postgres")
    monkeypatch.delenv("CI", raising=False)

    assert main(["--quick", "--databases", "postgresql"]) == 0
    out = capsys.readouterr().out
    assert "skipped postgresql: PostgreSQL is not reachable" in out
    assert _last_json_line(out)["skipped"] == ["postgresql"]

    monkeypatch.setenv("CI", "true")
    assert main(["--quick", "--databases", "postgresql"]) == 1
    assert "PostgreSQL is not reachable" in capsys.readouterr().err


def test_the_baseline_vault_stores_the_plaintext_and_the_real_one_does_not() -> None:
    kek = LocalKek("kek-test", bytes(32))
    ring = KeyRing({kek.kek_id: kek}, kek.kek_id)
    key = Vault(ring).new_client_key("client-1")
    binding = RecordBinding("client-1", "rec-1", Category.PROGRESS_NOTE.value, 1)
    body = synthetic_notes(1, 4096, seed=1)[0].encode()

    assert PlaintextVault(ring).seal(key, body, binding) == body
    assert PlaintextVault(ring).open(key, body, binding) == body
    sealed = Vault(ring).seal(key, body, binding)
    assert body not in sealed
    assert Vault(ring).open(key, sealed, binding) == body


def test_synthetic_notes_are_exactly_sized_and_repeatable() -> None:
    notes = synthetic_notes(20, 4096, seed=3)

    assert all(len(n.encode()) == 4096 for n in notes)
    assert len(set(notes)) == 20
    assert notes == synthetic_notes(20, 4096, seed=3)
    assert notes != synthetic_notes(20, 4096, seed=4)
