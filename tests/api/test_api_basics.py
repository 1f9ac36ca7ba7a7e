"""The API's front door: sign-in, a note read, the headers every answer carries."""

from __future__ import annotations

from tests.api.world import World


def test_a_treating_clinician_signs_in_and_reads_the_note(world: World) -> None:
    browser = world.sign_in(world.clinician)
    answer = browser.get(f"/api/v1/clients/{world.client}/records")
    assert answer.status_code == 200
    texts = {e["text"] for e in answer.json()["entries"]}
    assert world.notes["progress_note"] in texts
    # Psychotherapy notes are asked for by name, never in a routine read.
    assert world.notes["psychotherapy_note"] not in texts


def test_a_clinician_without_a_relationship_gets_the_not_found_answer(world: World) -> None:
    browser = world.sign_in(world.colleague)
    denied = browser.get(f"/api/v1/clients/{world.client}/records")
    missing = browser.get("/api/v1/clients/no-such-client/records")
    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content


def test_every_answer_carries_the_security_headers(world: World) -> None:
    answer = world.client_for().get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")
