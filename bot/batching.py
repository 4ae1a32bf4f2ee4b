"""Group commit: what concurrent requests submit is written together, in one transaction.

While one batch is being written, new submissions wait; when it commits, the next batch takes
all of them. A quiet server writes each submission alone (no added delay); a busy one writes
hundreds per transaction. Every submitter waits for its own result, so "answered" still means
"stored". When a whole batch fails, its items are written one by one, so one poison item fails
alone instead of taking its batch with it; a full pool or a lost database fails every item alike,
so the batch fails at once (and its requests are answered 503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

T = TypeVar("T")
R = TypeVar("R")

Write = Callable[[Sequence[T]], Awaitable[Sequence[R]]]


def item_by_item(error: Exception) -> bool:
    """Whether a failed batch is worth writing again one item at a time."""
    return not isinstance(error, PoolTimeout | OperationalError)


class GroupCommit(Generic[T, R]):
    """Writes submitted items in batches of at most `max_batch` with `write`."""

    def __init__(
        self,
        write: Write[T, R],
        *,
        max_batch: int = 500,
        alone_on: Callable[[Exception], bool] = item_by_item,
    ) -> None:
        self.write = write
        self.max_batch = max_batch
        self.alone_on = alone_on  # which batch failures to retry item by item
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is waiting; return its result once committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            await self._write(batch)

    async def _write(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.write([item for item, _ in batch])
        except Exception as exc:  # handed to the submitters, or narrowed down below
            if len(batch) > 1 and self.alone_on(exc):
                for one in batch:
                    await self._write([one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
