"""Shared pieces of the benchmarks: databases, server processes, latency figures."""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
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
