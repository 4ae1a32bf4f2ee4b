"""Create, migrate and drop test databases."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

from bot import migrate as migrations

PG_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def pg_url(name: str) -> str:
    """SQLAlchemy URL for a database on the test server."""
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_create(name: str, template: str | None = None) -> None:
    """CREATE DATABASE, optionally copied from a template database."""
    suffix = f" TEMPLATE {template}" if template else ""
    asyncio.run(_admin(f"CREATE DATABASE {name}{suffix}"))


def pg_name(prefix: str) -> str:
    """A new database name carrying this process's id, so a later run can tell it was orphaned."""
    return f"{prefix}{os.getpid()}_{uuid.uuid4().hex[:10]}"


def drop_orphans(*prefixes: str) -> None:
    """Drop the databases a killed test run left behind (their process is gone)."""
    asyncio.run(drop_orphaned(PG_DSN, *prefixes))


async def drop_orphaned(dsn: str, *prefixes: str) -> None:
    """Drop databases named `<prefix><pid>_…` whose process is gone (a run killed with SIGKILL)."""
    conn = await asyncpg.connect(dsn)
    try:
        for (name,) in await conn.fetch("SELECT datname FROM pg_database"):
            pid = next((name.removeprefix(p) for p in prefixes if name.startswith(p)), "")
            pid = pid.split("_", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pg_drop(name: str) -> None:
    """DROP DATABASE, closing any connection still open to it."""
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def migrate(url: str) -> None:
    """Run migrations to head."""
    migrations.upgrade(url)
