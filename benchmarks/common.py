"""Shared pieces of the benchmarks: databases, clean interruption, latency figures, process RSS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bot import migrate
from tests.support import dbs

PG_DSN = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = "ib_bench_"


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) of samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def figures(name: str, latencies_s: Sequence[float], elapsed_s: float | None = None) -> str:
    """One line: count, rate (when elapsed is given), p50, p99 and max in milliseconds."""
    ms = [x * 1000 for x in latencies_s]
    rate = f" in {elapsed_s:.2f} s = {len(ms) / elapsed_s:,.0f}/s;" if elapsed_s else ";"
    return (
        f"{name}: {len(ms)}{rate} p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process (and its children's are not included), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a benchmark; SIGTERM and SIGHUP stop it like Ctrl-C, so its clean-up still runs."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    asyncio.run(main)


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database URL; dropped afterwards (and ones left by dead runs)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await migrate.upgrade_async(url)
            yield url
        return
    await dbs.drop_orphaned(PG_DSN, PREFIX)  # left by runs killed with SIGKILL
    name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _pg(f"CREATE DATABASE {name}")
    url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await migrate.upgrade_async(url)
        yield url
    finally:
        await _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def until_listening(db_url: str, timeout_s: float = 60) -> None:
    """Wait until a worker LISTENs on the database (it has booted); SQLite: at once."""
    if not db_url.startswith("postgresql"):
        return
    name = db_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_DSN)
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        query = "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'"
        while not await conn.fetchval(query, name):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no worker is listening")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
