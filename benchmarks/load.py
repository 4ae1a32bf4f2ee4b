"""A small HTTP/1.1 load generator that runs in its own process, so it does not slow the server.

It keeps `concurrency` connections alive and sends prepared requests over them as fast as the
server answers, timing each request from send to the last byte of its answer. Plain asyncio
streams keep the generator's own cost per request low (httpx costs several times more CPU).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Outcome:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed_s: float = 0.0


def encode(request: Request, host: str, method: str = "POST") -> bytes:
    """The request's bytes on the wire."""
    lines = [f"{method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _send_all(url: str, requests: list[Request], concurrency: int, method: str) -> Outcome:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    wire = [encode(r, f"{host}:{port}", method) for r in requests]
    outcome = Outcome()
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(wire):
                data = wire[next_index]
                next_index += 1
                started = time.perf_counter()
                try:
                    writer.write(data)
                    status = await _read_answer(reader)
                except (OSError, asyncio.IncompleteReadError):
                    outcome.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                outcome.latencies_s.append(time.perf_counter() - started)
                outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    outcome.elapsed_s = time.perf_counter() - started
    return outcome


def _run(url: str, requests: list[Request], concurrency: int, method: str) -> Outcome:
    return asyncio.run(_send_all(url, requests, concurrency, method))


async def blast(
    url: str, requests: list[Request], concurrency: int, *, method: str = "POST"
) -> Outcome:
    """Send every request from a separate process, `concurrency` at a time."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, _run, url, requests, concurrency, method)
