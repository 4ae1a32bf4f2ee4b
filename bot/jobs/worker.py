"""The worker: claim due work from the database and run its handler.

The database says what is due; the worker is woken when work is queued (in-process, or by
PostgreSQL NOTIFY from any replica), at the moment the soonest pending work falls due, and by
APScheduler's periodic tick as a safety net. Claims are short and renewed while handlers run, so
work held by a crashed process is picked up within seconds. A handler that fails is retried with
backoff (or after the Retry-After it reports); after MAX_ATTEMPTS the work is given up and the
error kept on the row, so nothing is dropped silently (an outage reported as `keep_trying` is
retried at the longest backoff instead, until the remote answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import session_scope
from bot.errors import NotYet, RetryLater
from bot.jobs import queue
from bot.jobs.kinds import URGENT, JobKind
from bot.jobs.listen import Listener

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_WAIT = timedelta(days=1)  # how long work may wait on other work before it fails
TICK_S = 2.0
Handler = Callable[[queue.Claimed], Awaitable[None]]
Clock = Callable[[], datetime]


class Worker:
    """Runs due work for one process; safe to run in several replicas at once.

    Each claimed item runs as its own task, so a slow item (a channel's paced posts) never
    holds back another incident's work; at most `capacity` items run at once, and besides them
    up to `urgent_capacity` urgent ones (URGENT: openings, typed requests), which are claimed
    first. Only the kinds it has handlers for are claimed, so a worker without Slack leaves
    Slack work to one with it.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        handlers: Mapping[JobKind, Handler],
        *,
        worker_id: str | None = None,
        capacity: int = 32,
        urgent_capacity: int = 8,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.handlers: dict[str, Handler] = {str(k): h for k, h in handlers.items()}
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        urgent = [k for k in self.handlers if k in URGENT]
        rest = [k for k in self.handlers if k not in URGENT]
        self._lanes = [
            (lane, n) for lane, n in ((urgent, urgent_capacity), (rest, capacity)) if lane
        ]
        self._claiming = asyncio.Lock()
        self._again = False
        self._stopping = False
        self._in_flight: dict[asyncio.Task[None], queue.Claimed] = {}
        self._wakers: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._listener: Listener | None = None

    # -- running as a service ----------------------------------------------------------------

    async def start(self, *, listen_url: str | None = None, tick_s: float = TICK_S) -> None:
        """Tick periodically, renew claims, LISTEN for queued work (PostgreSQL), run what is due."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.tick, "interval", seconds=tick_s, max_instances=1, coalesce=True)
        renew_s = queue.CLAIM_FOR.total_seconds() / 3
        scheduler.add_job(self.renew, "interval", seconds=renew_s, max_instances=1, coalesce=True)
        scheduler.start()
        self._scheduler = scheduler
        if listen_url is not None:
            self._listener = Listener(listen_url, queue.CHANNEL, self.wake)
            await self._listener.start()
        self.wake()

    async def stop(self, grace_s: float = 8.0) -> None:
        """Stop claiming; let running work finish for `grace_s`, then give the rest back."""
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._timer is not None:
            self._timer.cancel()
        if self._listener is not None:
            await self._listener.stop()
        await self.drain(timeout_s=grace_s)

    # -- claiming ----------------------------------------------------------------------------

    async def run_due(self) -> None:
        """Claim and run everything due now, waiting until it has finished."""
        while True:
            await self.tick()
            await asyncio.gather(*list(self._wakers), return_exceptions=True)  # ticks woken
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
            while self._again and not self._stopping:
                self._again = False
                await self._claim_and_start()
                await self._arm_timer()  # woken meanwhile? then claim and arm again

    async def _claim_and_start(self) -> None:
        for kinds, capacity in self._lanes:
            await self._fill(kinds, capacity)

    async def _fill(self, kinds: list[str], capacity: int) -> None:
        """Claim work of these kinds until `capacity` of them run (or none is due)."""
        while (free := capacity - sum(i.kind in kinds for i in self._in_flight.values())) > 0:
            async with session_scope(self.sessions) as session:
                batch = await queue.claim(
                    session=session,
                    worker=self.worker_id,
                    now=self.clock(),
                    kinds=kinds,
                    limit=min(free, 20),
                    running=[item.id for item in self._in_flight.values()],
                )
            for item in batch:
                task = asyncio.get_running_loop().create_task(self._run(item))
                self._in_flight[task] = item
                task.add_done_callback(self._finished)
            if len(batch) < min(free, 20):
                return

    async def _arm_timer(self) -> None:
        """Wake when the soonest pending work falls due, if that is before the next tick."""
        now = self.clock()
        async with self.sessions() as session:
            soonest = await queue.next_due(session=session, kinds=self.handlers.keys(), after=now)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if soonest is not None:
            delay = (soonest - now).total_seconds()
            if delay < TICK_S * 2:
                self._timer = asyncio.get_running_loop().call_later(delay, self.wake)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        # The work may have queued more, be due again (a retry arms the timer, work scheduled
        # while it ran is due now), or more may be due that did not fit while it ran.
        self.wake()

    def wake(self) -> None:
        """Claim due work now, in the background (after something was queued)."""
        if self._stopping:
            return
        task = asyncio.get_running_loop().create_task(self.tick())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    # -- running one item --------------------------------------------------------------------

    async def _run(self, item: queue.Claimed) -> None:
        handler = self.handlers[item.kind]
        try:
            await handler(item)
        except asyncio.CancelledError:
            raise  # shutting down: the claim is given back by drain()
        except Exception as exc:  # every failure is kept on the row and retried or given up
            await self._failed(item, exc)
            return
        async with session_scope(self.sessions) as session:
            await queue.complete(session=session, item=item, now=self.clock())

    async def _failed(self, item: queue.Claimed, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, NotYet) and self.clock() - item.armed_at < MAX_WAIT:
            async with session_scope(self.sessions) as session:
                await queue.wait(
                    session=session,
                    item=item,
                    now=self.clock(),
                    delay=exc.retry_after or 2.0,
                    why=message,
                )
            return
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        keep_trying = isinstance(exc, RetryLater) and exc.keep_trying
        if not isinstance(exc, RetryLater):
            log.error("%s %s failed", item.kind, item.subject_key, exc_info=exc)
        async with session_scope(self.sessions) as session:
            if item.attempts >= MAX_ATTEMPTS and not keep_trying:
                log.error(
                    "giving up on %s %s after %d attempts: %s",
                    item.kind,
                    item.subject_key,
                    item.attempts,
                    message,
                )
                await queue.give_up(session=session, item=item, now=self.clock(), error=message)
                return
            log.warning(
                "%s %s failed (attempt %d): %s", item.kind, item.subject_key, item.attempts, message
            )
            await queue.retry_later(
                session=session,
                item=item,
                now=self.clock(),
                error=message,
                retry_after=retry_after,
            )

    async def renew(self) -> None:
        """Keep the claims of running work alive; cancel runs whose claim was lost."""
        running = dict(self._in_flight)
        if not running:
            return
        async with session_scope(self.sessions) as session:
            lost = await queue.renew(session=session, items=running.values(), now=self.clock())
        for task, item in running.items():
            if item.id in lost:
                log.warning("lost the claim on %s %s; stopping it", item.kind, item.subject_key)
                task.cancel()

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait for running work; after the timeout, cancel it and give its claims back."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while self._in_flight or self._wakers:
            left = None if deadline is None else max(deadline - loop.time(), 0)
            tasks = [*self._in_flight, *self._wakers]
            _done, pending = await asyncio.wait(tasks, timeout=left)
            if pending and left == 0:
                await self._give_back(pending)
                return

    async def _give_back(self, tasks: set[asyncio.Task[None]]) -> None:
        held = [self._in_flight[t] for t in tasks if t in self._in_flight]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):  # the claims then lapse on their own within seconds
            async with session_scope(self.sessions) as session:
                await queue.release(session=session, items=held)
        if held:
            log.warning("gave back %d unfinished job(s) on shutdown", len(held))
