"""The decision benchmark at a small size: every peer agrees with confide on every request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bench.decision.cli import main
from bench.decision.config import PEERS, Config
from bench.decision.engines import build_peer
from bench.decision.run import run_benchmark
from bench.decision.workload import HEAVY, PRACTICE

from confide.domain import Category, Consent, Effect, Period, Purpose, RuleId
from confide.policy import decide
from confide.synthetic import PracticeData, synthetic_practice, synthetic_requests
from confide.synthetic.practice import EPOCH

SMALL = Config(clients=60, requests=300, warmup=20, quick=True)
ENGINES = ("confide", *PEERS)


@pytest.mark.bench_smoke
def test_every_peer_permits_exactly_what_confide_permits_on_every_request() -> None:
    outcome = run_benchmark(SMALL)

    assert not outcome.disagreements, "\n".join(d.describe() for d in outcome.disagreements[:5])
    assert {(r.scenario, r.engine) for r in outcome.rows} == {
        (s, e) for s in (PRACTICE, HEAVY) for e in ENGINES
    }
    for row in outcome.rows:
        assert row.total == SMALL.requests
        assert row.agreed == row.total, f"{row.engine} on {row.scenario}"
        assert row.per_second > 0
        assert 0 < row.p50_us <= row.p99_us


@pytest.mark.bench_smoke
def test_the_command_ends_with_one_json_line_of_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--quick", "--clients", "30", "--requests", "100", "--warmup", "10"])

    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert code == 0
    assert summary["bench"] == "decision"
    assert summary["mismatches"] == 0
    expected = {
        "confide_p50_us",
        "confide_p99_us",
        "confide_heavy_p50_us",
        "confide_heavy_p99_us",
        "confide_decisions_per_s",
        "fastest_peer",
        "fastest_peer_p50_us",
        "ratio_vs_fastest_peer",
        "ratio_vs_fastest_peer_heavy",
        "target_ratio_met",
        "target_heavy_p99_met",
    }
    for peer in PEERS:
        for scenario in ("", "_heavy"):
            expected |= {
                f"{peer}{scenario}_p50_us",
                f"{peer}{scenario}_p99_us",
                f"{peer}{scenario}_decisions_per_s",
            }
    assert expected <= summary.keys()
    assert summary["fastest_peer"] in PEERS
    assert summary["ratio_vs_fastest_peer"] == pytest.approx(
        summary["confide_decisions_per_s"] / summary[f"{summary['fastest_peer']}_decisions_per_s"],
        rel=0.01,
    )


def _with_refusals(data: PracticeData) -> PracticeData:
    """Refusals naming the recipients of disclosures, the break-glass clinicians, treating
    clinicians and the practice itself: the generated mix never names them in a refusal."""
    named = [(d.client_id, d.recipient_id) for d in data.disclosures]
    named += [(g.client_id, g.clinician_id) for g in data.break_glass]
    named += [(r.client_id, r.clinician_id) for r in data.relationships[:15]]
    named += [(c.id, "practice-home") for c in data.clients[15:25]]
    for n, (client, recipient) in enumerate(named):
        revoked = EPOCH + timedelta(days=300) if n % 3 == 0 else None
        data.consents.append(
            Consent(
                f"refusal-{n:03d}",
                client,
                recipient,
                frozenset(Category),
                frozenset(Purpose),
                Period(EPOCH + timedelta(days=n % 50)),
                effect=Effect.DENY,
                revoked_at=revoked,
            )
        )
    return data


@pytest.mark.bench_smoke
def test_peers_let_a_refusal_override_all_but_own_access_and_legal_duties() -> None:
    data = _with_refusals(synthetic_practice(seed=3, clients=40))
    facts = data.facts()
    peers = [build_peer(name, data) for name in PEERS]
    cited: set[RuleId] = set()

    for request in synthetic_requests(data, 2000, seed=5):
        decision = decide(request, facts)
        cited |= {o.rule_id for o in decision.outcomes}
        wanted = frozenset(c.value for c in decision.permitted)
        for peer in peers:
            assert peer.decide(peer.translate(request)) == wanted, (peer.name, request, decision)

    # The refusals were in force against every kind of ground, and some grounds still permitted.
    assert {
        RuleId.CONSENT_FORBIDS,
        RuleId.EXCEPTION_DISCLOSURE,
        RuleId.BREAK_GLASS,
        RuleId.TREATING_CLINICIAN,
        RuleId.STAFF_OPERATIONS,
    } <= cited
