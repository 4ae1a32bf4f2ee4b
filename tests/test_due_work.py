"""The database-backed work queue: a running item is never run twice at once, work scheduled
while it runs runs again after it, a stale run never finishes work claimed again, and failures
are retried."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db import session_scope
from bot.deps import Deps
from bot.jobs import queue
from bot.jobs.worker import Worker
from bot.models import DueWork

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def row(deps: Deps) -> DueWork:
    async with session_scope(deps.sessions) as s:
        return (await s.scalars(select(DueWork))).one()


async def test_a_long_run_is_not_started_again_when_its_claim_expires(deps: Deps) -> None:
    clock, release, runs = Clock(), asyncio.Event(), []
    deps.clock = clock

    async def slow(item: queue.Claimed) -> None:
        runs.append(item.attempts)
        await release.wait()

    worker = Worker(deps.sessions, deps.clock, {"slow": slow})
    async with session_scope(deps.sessions) as s:
        await queue.schedule(session=s, kind="slow", subject_key="1", due_at=START)
    await worker.tick()
    await asyncio.sleep(0.05)
    clock.now = START + queue.CLAIM_FOR + timedelta(minutes=1)  # the claim has lapsed
    await worker.tick()
    await asyncio.sleep(0.05)
    release.set()
    await worker.drain()
    assert runs == [1]
    assert (await row(deps)).done_at is not None


async def test_work_scheduled_while_it_runs_runs_again_after_never_beside(deps: Deps) -> None:
    clock, started, release = Clock(), asyncio.Event(), asyncio.Event()
    deps.clock = clock
    calls: list[int] = []

    async def refresh(item: queue.Claimed) -> None:
        calls.append(item.attempts)
        started.set()
        if len(calls) == 1:
            await release.wait()

    worker = Worker(deps.sessions, deps.clock, {"refresh": refresh})
    other = Worker(deps.sessions, deps.clock, {"refresh": refresh}, worker_id="other replica")
    async with session_scope(deps.sessions) as s:
        await queue.schedule(session=s, kind="refresh", subject_key="7", due_at=START)
    await worker.tick()
    await started.wait()
    async with session_scope(deps.sessions) as s:  # new state arrives during the first run
        await queue.schedule(session=s, kind="refresh", subject_key="7", due_at=START)
    await other.run_due()
    assert calls == [1]  # the other replica does not start a second run beside the first
    assert (await row(deps)).run_again
    release.set()
    await worker.drain()  # the first run's finish is not the last word: it runs once more
    done = await row(deps)
    assert calls == [1, 1] and done.done_at is not None and not done.run_again


async def test_submitted_work_keeps_its_order_within_a_sequence(deps: Deps) -> None:
    jobs = [
        queue.NewJob(kind="note", subject_key=key, due_at=START, sequence_key="C1")
        for key in ("z", "a", "m")
    ]
    async with session_scope(deps.sessions) as s:
        await queue.add_once(session=s, jobs=jobs)
    order: list[str] = []
    for _ in jobs:
        async with session_scope(deps.sessions) as s:
            [item] = await queue.claim(session=s, worker="w", now=START, kinds=["note"])
            order.append(item.subject_key)
            await queue.complete(session=s, item=item, now=START)
    assert order == ["z", "a", "m"]


async def test_a_failure_is_retried_with_backoff(deps: Deps) -> None:
    clock = Clock()
    deps.clock = clock
    attempts: list[int] = []

    async def flaky(item: queue.Claimed) -> None:
        attempts.append(item.attempts)
        if item.attempts == 1:
            raise RuntimeError("Slack said 503")

    worker = Worker(deps.sessions, deps.clock, {"flaky": flaky})
    async with session_scope(deps.sessions) as s:
        await queue.schedule(session=s, kind="flaky", subject_key="1", due_at=START)
    await worker.run_due()
    failed = await row(deps)
    assert failed.done_at is None and failed.last_error == "RuntimeError: Slack said 503"
    assert failed.due_at == START + timedelta(seconds=1)
    clock.now = START + timedelta(seconds=1)
    await worker.run_due()
    assert attempts == [1, 2] and (await row(deps)).done_at is not None


async def test_only_the_current_claim_can_finish_the_work(deps: Deps) -> None:
    async with session_scope(deps.sessions) as s:
        await queue.schedule(session=s, kind="refresh", subject_key="7", due_at=START)
        [first] = await queue.claim(session=s, worker="w1", now=START, kinds=["refresh"])
    later = START + queue.CLAIM_FOR + timedelta(seconds=1)  # w1 stopped renewing: it lapsed
    async with session_scope(deps.sessions) as s:
        [second] = await queue.claim(session=s, worker="w2", now=later, kinds=["refresh"])
        await queue.complete(session=s, item=first, now=later)
    assert (await row(deps)).done_at is None  # the stale run's finish changes nothing
    async with session_scope(deps.sessions) as s:
        await queue.complete(session=s, item=second, now=later)
    assert (await row(deps)).done_at is not None
