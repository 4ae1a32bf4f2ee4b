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
    """Runs due work for one process; safe to run in several replicas at once.

    Each claimed item runs as its own task, so a slow item (a channel's paced posts) never
    holds back another incident's work; at most `capacity` items run at once.
    """

    def __init__(
        self,
        deps: Deps,
        handlers: Mapping[str, Handler],
        worker_id: str | None = None,
        capacity: int = 32,
    ) -> None:
        self.deps = deps
        self.handlers = dict(handlers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.capacity = capacity
        self._claiming = asyncio.Lock()
        self._again = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._running_ids: set[int] = set()
        self._wakers: set[asyncio.Task[None]] = set()

    async def run_due(self) -> None:
        """Claim and run everything due now, waiting until it has finished."""
        while True:
            await self.tick()
            if not self._in_flight:
                return
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def tick(self) -> None:
        """Claim due work up to capacity and start it (again right after, if woken meanwhile)."""
        if self._claiming.locked():
            self._again = True
            return
        async with self._claiming:
            self._again = True
            while self._again:
                self._again = False
                await self._claim_and_start()

    async def _claim_and_start(self) -> None:
        while (free := self.capacity - len(self._in_flight)) > 0:
            async with session_scope(self.deps.sessions) as session:
                batch = await due.claim(
                    session=session,
                    worker=self.worker_id,
                    now=self.deps.clock(),
                    limit=min(free, 20),
                    running=self._running_ids,
                )
            for item in batch:
                self._running_ids.add(item.id)
                task = asyncio.get_running_loop().create_task(self._run_one(item))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            if len(batch) < min(free, 20):
                return

    def _finished(self, task: asyncio.Task[None]) -> None:
        saturated = len(self._in_flight) >= self.capacity
        self._in_flight.discard(task)
        if saturated:
            self.wake()  # more may be due that did not fit

    async def _run_one(self, item: due.Claimed) -> None:
        try:
            await self._run_handler(item)
        finally:
            self._running_ids.discard(item.id)

    async def _run_handler(self, item: due.Claimed) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise RetryLater(f"no handler for {item.kind}")
            await handler(item)
        except Exception as exc:  # every failure is kept on the row and retried or given up
            await self._failed(item, exc)
            return
        async with session_scope(self.deps.sessions) as session:
            await due.complete(session=session, item=item, now=self.deps.clock())

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
                await due.give_up(session=session, item=item, now=self.deps.clock(), error=message)
                return
            log.warning(
                "%s %s failed (attempt %d): %s", item.kind, item.subject_key, item.attempts, message
            )
            await due.retry_later(
                session=session,
                item=item,
                now=self.deps.clock(),
                error=message,
                retry_after=retry_after,
            )

    def wake(self) -> None:
        """Claim due work now, in the background (after a flow queued something)."""
        task = asyncio.get_running_loop().create_task(self.tick())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait for running work; cancel what is left after the timeout.

        Cancelled work keeps its claim until the claim expires, then any replica runs it again.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while self._in_flight or self._wakers:
            left = None if deadline is None else max(deadline - loop.time(), 0)
            tasks = [*self._in_flight, *self._wakers]
            _done, pending = await asyncio.wait(tasks, timeout=left)
            if pending and left == 0:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return


def start_scheduler(worker: Worker, every_s: float = 2.0) -> AsyncIOScheduler:
    """Tick the worker every few seconds from APScheduler."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        worker.tick, "interval", seconds=every_s, max_instances=1, coalesce=True, id="due-work"
    )
    scheduler.start()
    return scheduler
