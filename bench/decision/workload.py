"""The synthetic practices and the requests of each scenario, the same for every engine."""

from __future__ import annotations

from dataclasses import dataclass

from bench.decision.config import Config
from confide.domain import AccessRequest
from confide.policy import Facts
from confide.synthetic import PracticeData, synthetic_practice, synthetic_requests

PRACTICE = "practice"
HEAVY = "heavy"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A practice, requests to time against it, and different ones of the same mix to warm up."""

    name: str
    title: str
    data: PracticeData
    facts: Facts
    requests: list[AccessRequest]
    warmup: list[AccessRequest]


def build_scenarios(config: Config) -> list[Scenario]:
    """The practice scenario, and the heavy-client one unless it has no consents."""
    scenarios = [_practice(config)]
    if config.heavy_consents > 0:
        scenarios.append(_heavy(config))
    return scenarios


def _practice(config: Config) -> Scenario:
    # No heavy client here: requests spread over clients that all have the same few consents.
    data = _generate(config, heavy_consents=0)
    return Scenario(
        PRACTICE,
        f"{config.clients} clients × {config.consents_per_client} consents",
        data,
        data.facts(),
        synthetic_requests(data, config.requests, seed=11),
        # Warm-up requests differ from the timed ones, so no engine times a replay.
        synthetic_requests(data, config.warmup, seed=13),
    )


def _heavy(config: Config) -> Scenario:
    # The same practice plus one client with many consents; every request is about that client.
    data = _generate(config, heavy_consents=config.heavy_consents)
    heavy = data.heavy_client_id
    assert heavy is not None
    return Scenario(
        HEAVY,
        f"1 client × {config.heavy_consents} consents",
        data,
        data.facts(),
        synthetic_requests(data, config.requests, seed=12, client_id=heavy),
        synthetic_requests(data, config.warmup, seed=14, client_id=heavy),
    )


def _generate(config: Config, *, heavy_consents: int) -> PracticeData:
    return synthetic_practice(
        seed=config.seed,
        clients=config.clients,
        consents_per_client=config.consents_per_client,
        heavy_client_consents=heavy_consents,
    )
