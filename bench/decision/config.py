"""The benchmark's parameters and its command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

PEERS = ("cedar", "casbin", "rego")


@dataclass(frozen=True, slots=True)
class Config:
    """How big a practice, how many requests, which peers."""

    clients: int = 1000
    consents_per_client: int = 5
    heavy_consents: int = 1000
    requests: int = 20_000
    warmup: int = 1_000
    seed: int = 7
    peers: tuple[str, ...] = PEERS
    quick: bool = False


# A CI-size run: every rule still exercised, every peer still checked on every request.
QUICK = Config(clients=60, requests=300, warmup=30, quick=True)


def parse_args(argv: list[str]) -> Config:
    """The configuration the command line asks for; ``--quick`` sets CI-size defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m bench decision",
        description="Decisions per second and p50/p99 latency: confide against its peers.",
    )
    parser.add_argument("--clients", type=int, help="clients in the practice (1000)")
    parser.add_argument("--consents-per-client", type=int, help="consents per client (5)")
    parser.add_argument("--heavy-consents", type=int, help="the heavy client's consents (1000)")
    parser.add_argument("--requests", type=int, help="timed requests per scenario (20000)")
    parser.add_argument("--warmup", type=int, help="untimed requests first, per engine (1000)")
    parser.add_argument("--seed", type=int, help="seed of the synthetic practice (7)")
    parser.add_argument(
        "--peers", help=f"comma-separated peers to run ({','.join(PEERS)})", default=None
    )
    parser.add_argument(
        "--quick", action="store_true", help="small CI-size run (60 clients, 300 requests)"
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else Config()
    chosen = {
        "clients": args.clients,
        "consents_per_client": args.consents_per_client,
        "heavy_consents": args.heavy_consents,
        "requests": args.requests,
        "warmup": args.warmup,
        "seed": args.seed,
    }
    config = replace(base, **{k: v for k, v in chosen.items() if v is not None})
    if args.peers is not None:
        peers = tuple(p.strip() for p in args.peers.split(",") if p.strip())
        unknown = sorted(set(peers) - set(PEERS))
        if unknown:
            parser.error(f"unknown peer(s): {', '.join(unknown)}; choose from {', '.join(PEERS)}")
        config = replace(config, peers=peers)
    if config.clients < 1 or config.requests < 1 or config.warmup < 0:
        parser.error("--clients and --requests must be at least 1, --warmup at least 0")
    return config
