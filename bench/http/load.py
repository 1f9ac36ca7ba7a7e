"""A small closed-loop load generator: keep-alive HTTP/1.1 connections, each sending one GET
after another and timing each answer. Plain asyncio streams, so the generator's own cost per
request stays far below the server's."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """Latencies (seconds) of the answers, the run's wall time, and any bad status seen."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    bad: dict[int, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def _request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    port: int, requests: list[bytes], deadline: float, result: LoadResult, warmup: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    turn = 0
    try:
        for _ in range(warmup):
            writer.write(requests[0])
            await _read_answer(reader)
        while time.perf_counter() < deadline:
            request = requests[turn % len(requests)]
            turn += 1
            started = time.perf_counter()
            writer.write(request)
            status, _ = await _read_answer(reader)
            elapsed = time.perf_counter() - started
            if status == 200:
                result.latencies.append(elapsed)
            else:
                result.bad[status] = result.bad.get(status, 0) + 1
    finally:
        writer.close()


async def _run(
    port: int, paths: list[str], headers: dict[str, str], connections: int, seconds: float
) -> LoadResult:
    requests = [_request(path, headers) for path in paths]
    result = LoadResult()
    started = time.perf_counter()
    deadline = started + seconds
    # Connection k starts at its own place in the paths, so they spread over them.
    await asyncio.gather(
        *(
            _connection(port, requests[k:] + requests[:k], deadline, result, 3)
            for k in range(connections)
        )
    )
    result.wall = time.perf_counter() - started
    return result


def run_load(
    port: int, paths: list[str], headers: dict[str, str], *, connections: int, seconds: float
) -> LoadResult:
    """Send GETs to ``paths`` in turn over ``connections`` keep-alive connections for
    ``seconds``."""
    return asyncio.run(_run(port, paths, headers, connections, seconds))


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One GET, its status and body."""

    async def once() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_request(path, headers))
        answer = await _read_answer(reader)
        writer.close()
        return answer

    return asyncio.run(once())
