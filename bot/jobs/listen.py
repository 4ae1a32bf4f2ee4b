"""PostgreSQL LISTEN on one dedicated connection: wake the worker when any replica queues work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

RECONNECT_S = 2.0


def asyncpg_dsn(database_url: str) -> str:
    """The plain libpq DSN for a `postgresql+asyncpg://` SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Listener:
    """Keeps a LISTEN connection open (reconnecting as needed) and calls `on_notify`."""

    def __init__(self, database_url: str, channel: str, on_notify: Callable[[], None]) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.channel = channel
        self.on_notify = on_notify
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def start(self, timeout_s: float = 5.0) -> None:
        """Connect and listen in the background; wait briefly for the first connection."""
        self._task = asyncio.get_running_loop().create_task(self._keep_listening())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout_s)

    async def stop(self) -> None:
        """Close the connection."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _keep_listening(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("LISTEN %s lost (%s); reconnecting", self.channel, exc)
            self._connected.clear()
            await asyncio.sleep(RECONNECT_S)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn: closed.set())
        try:
            await conn.add_listener(self.channel, self._notified)
            self._connected.set()
            self.on_notify()  # anything queued while we were not listening
            await closed.wait()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    def _notified(self, *_args: Any) -> None:
        self.on_notify()
