"""The clock: claim due work from the database and run its handler.

APScheduler only ticks; the database says what is due. A handler that fails is retried with
backoff (or after the Retry-After it reports); after MAX_ATTEMPTS the work is given up and the
error kept on the row, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import due
from bot.db import session_scope
from bot.deps import Deps

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
Handler = Callable[[due.Claimed], Awaitable[None]]


class RetryLater(Exception):
    """A handler's temporary failure; `retry_after` seconds when the remote said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Worker:
    """Runs due work for one process; safe to run in several replicas at once."""

    def __init__(self, deps: Deps, handlers: Mapping[str, Handler], worker_id: str | None = None):
        self.deps = deps
        self.handlers = dict(handlers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._running = asyncio.Lock()
        self._again = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def run_due(self) -> int:
        """Claim and run everything due now; returns how many items ran."""
        total = 0
        while True:
            async with session_scope(self.deps.sessions) as session:
                batch = await due.claim(
                    session=session, worker=self.worker_id, now=self.deps.clock()
                )
            if not batch:
                return total
            await asyncio.gather(*(self._run_one(item) for item in batch))
            total += len(batch)

    async def _run_one(self, item: due.Claimed) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise RetryLater(f"no handler for {item.kind}")
            await handler(item)
        except Exception as exc:  # every failure is kept on the row and retried or given up
            await self._failed(item, exc)
            return
        async with session_scope(self.deps.sessions) as session:
            await due.complete(
                session=session, work_id=item.id, worker=self.worker_id, now=self.deps.clock()
            )

    async def _failed(self, item: due.Claimed, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        async with session_scope(self.deps.sessions) as session:
            if item.attempts >= MAX_ATTEMPTS:
                log.error(
                    "giving up on %s %s after %d attempts: %s",
                    item.kind,
                    item.subject_key,
                    item.attempts,
                    message,
                )
                await due.give_up(
                    session=session,
                    work_id=item.id,
                    worker=self.worker_id,
                    now=self.deps.clock(),
                    error=message,
                )
                return
            log.warning(
                "%s %s failed (attempt %d): %s", item.kind, item.subject_key, item.attempts, message
            )
            await due.retry_later(
                session=session,
                work_id=item.id,
                worker=self.worker_id,
                now=self.deps.clock(),
                attempts=item.attempts,
                error=message,
                retry_after=retry_after,
            )

    async def tick(self) -> None:
        """Run due work unless a run is already going (then run again right after it)."""
        if self._running.locked():
            self._again = True
            return
        async with self._running:
            self._again = True
            while self._again:
                self._again = False
                await self.run_due()

    def wake(self) -> None:
        """Run due work now, in the background (after a flow queued something)."""
        task = asyncio.get_running_loop().create_task(self.tick())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for background runs started by wake()."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def start_scheduler(worker: Worker, every_s: float = 2.0) -> AsyncIOScheduler:
    """Tick the worker every few seconds from APScheduler."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        worker.tick, "interval", seconds=every_s, max_instances=1, coalesce=True, id="due-work"
    )
    scheduler.start()
    return scheduler
