"""Shared pieces of the benchmarks: databases, server processes, latency figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from bot import migrate

PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0–100) of samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def figures(name: str, latencies_s: list[float], elapsed_s: float) -> str:
    """One line: count, rate, p50, p99 and max in milliseconds."""
    ms = [x * 1000 for x in latencies_s]
    return (
        f"{name}: {len(ms)} in {elapsed_s:.2f} s = {len(ms) / elapsed_s:,.0f}/s; "
        f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
        f"max {max(ms):.1f} ms"
    )


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database URL; dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await migrate.upgrade_async(url)
            yield url
        return
    name = f"ib_bench_{uuid.uuid4().hex[:8]}"
    await _pg(f"CREATE DATABASE {name}")
    url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await migrate.upgrade_async(url)
        yield url
    finally:
        await _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def server(env: dict[str, str], workers: int = 1) -> AsyncIterator[str]:
    """Run `incidentbot serve` in its own process(es); yields its base URL."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        env={**os.environ, **env},
        start_new_session=True,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_ready(proc, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)


async def _wait_ready(proc: asyncio.subprocess.Process, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            err = await proc.stderr.read() if proc.stderr else b""
            raise RuntimeError(f"server exited: {err.decode()[-2000:]}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start in 60 s")
