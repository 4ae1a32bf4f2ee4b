"""Slack requests in two parts: the ack, answered at once, and the work, queued for the worker.

Every listener is registered with `listen`: its `ack` part runs while Slack waits (pure checks, at
most a short database write, never a Slack call) and its `work` part is bolt's *lazy* listener.
Lazy work is not run in the web process: `DurableLazyRunner` collects it and `DurableApp`
stores the request in `due_work` before the ack is returned, so an acked
command or click is never lost, and a replayed request (the same body, or the same event id) is
queued only once. The
worker re-dispatches the stored request with bolt's lazy-only headers (`run_queued`).

An ack that answers with content (a usage line, modal errors) is the whole reply: its work is not
queued. An ack part may hand JSON values to its work part in `context[HANDOFF]`.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from logging import Logger
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_bolt.util.utils import get_arg_names_of_callable, get_name_for_callable
from slack_sdk.errors import SlackClientError

from bot import untrusted
from bot.batching import GroupCommit
from bot.db import session_scope
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.slack.context import SlackContext
from bot.slack.errors import LAST_TRY, guarded

log = logging.getLogger(__name__)
Listener = Callable[..., Awaitable[None]]
LAZY_ONLY = "x-slack-bolt-lazy-only"
LAZY_NAME = "x-slack-bolt-lazy-function-name"
HANDOFF = "handoff"  # context key: what an ack part hands to its work part (JSON values)
FAILED = "queued_work_failed"  # context key: the failure queued work raised
# context key: this request's work opens a modal, which Slack allows only within 3 s of the
# click (trigger_id), so it does not wait behind its conversation's earlier work
UNORDERED = "unordered"


class SlackRequest(AsyncBoltRequest):
    """bolt's request, but a form body that merely contains the word "payload" stays a form.

    bolt treats any form body containing "payload" as an interactivity payload, so
    `/incident note payload was wrong` would parse to nothing and be answered 404. And what
    people typed comes with NUL and lone surrogates replaced, as every other input does.
    """

    def __init__(
        self,
        *,
        body: str | dict[str, Any],
        headers: dict[str, str | Sequence[str]],
        query: str = "",
        mode: str = "http",
    ) -> None:
        super().__init__(body=body, query=query, headers=headers, mode=mode)
        if isinstance(body, str) and not self.body and not body.startswith("{"):
            params = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" not in params:
                self.body = params
                self.context = build_async_context(AsyncBoltContext({}), self.body)
        if not isinstance(body, str) or untrusted.form_may_need_cleaning(body):
            self.body = untrusted.clean_json(self.body)
            self.context = build_async_context(AsyncBoltContext({}), self.body)


@dataclass(frozen=True)
class _Queued:
    function: str
    request: AsyncBoltRequest
    handoff: Any = None
    ordered: bool = True


_pending: contextvars.ContextVar[list[_Queued] | None] = contextvars.ContextVar(
    "slack_lazy_work", default=None
)


async def ack_now(ack: AsyncAck) -> None:
    """Acknowledge at once; the work follows in the worker."""
    await ack()


async def ack_unordered(ack: AsyncAck, context: AsyncBoltContext) -> None:
    """Acknowledge at once; the work (it opens a modal) runs without waiting its turn."""
    context[UNORDERED] = True
    await ack()


def listen(register: Callable[..., Any], work: Listener, *, ack: Listener = ack_now) -> None:
    """Register a listener: `ack` answers Slack now, `work` runs queued (guarded) after it.

    Work of one conversation runs in the order it arrived, except work whose ack part set
    `UNORDERED` (use `ack_unordered` for work that opens a modal).
    """
    register(ack=ack, lazy=[guarded(work)])


class DurableLazyRunner(AsyncLazyListenerRunner):
    """Collects lazy work for `queue_lazy_work` to store; runs it when the worker re-dispatches."""

    def __init__(self, logger: Logger) -> None:
        self.logger = logger

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        """Queue the work of an acked request (none when the ack answered with content)."""
        ack = request.context.get("ack")
        if ack is not None and ack.response is not None and ack.response.body:
            return
        pending = _pending.get()
        if pending is None:
            raise RuntimeError("lazy work outside queue_lazy_work; register it as middleware")
        name = get_name_for_callable(function)
        ordered = not request.context.get(UNORDERED)
        pending.append(_Queued(name, request, request.context.get(HANDOFF), ordered))

    async def run(
        self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest
    ) -> None:
        """Run queued work in the worker; a failure it raised is kept for `run_queued`."""
        kwargs = build_async_required_kwargs(
            logger=self.logger,
            required_arg_names=get_arg_names_of_callable(function),
            request=request,
            response=None,
            this_func=function,
        )
        try:
            await function(**kwargs)
        except Exception as exc:  # bolt would answer 500 and lose it; the worker retries it
            request.context[FAILED] = exc


class DurableApp(AsyncApp):
    """bolt's app, storing the lazy work of each request before the request is answered.

    Wrapping dispatch (not a middleware: bolt runs middleware before the listeners, not around
    them) covers HTTP and Socket Mode alike.
    """

    def __init__(self, ctx: SlackContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.listener_runner.lazy_listener_runner = DurableLazyRunner(self.logger)
        # bolt deep-copies (and re-parses) each request for its lazy listeners, so they can run
        # concurrently with the ack; ours only store it, after the ack part is done, so the
        # request itself will do (the copy cost more than the rest of an ack).
        runner: Any = self.listener_runner
        runner._build_lazy_request = _same_request
        # Requests arriving together store their work in one transaction (group commit).
        self._stored: GroupCommit[list[queue.NewJob], None] = GroupCommit(self._store)

    async def authorize_now(self) -> None:
        """Ask Slack who the bot is (`auth.test`) at start-up, not on the first request.

        bolt otherwise asks on the first request, and every request of the first burst (everyone
        clicking in a new incident channel) calls `auth.test` and waits for it. When Slack cannot
        be reached now, bolt asks on the first request as before.
        """
        for middleware in self._async_middleware_list:  # bolt offers no public way to this
            if isinstance(middleware, AsyncSingleTeamAuthorization):
                try:
                    middleware.auth_test_result = await self.client.auth_test()
                except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("auth.test failed at start-up (%s); asking on first request", exc)

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """Dispatch; store the work the ack part left before returning the ack."""
        if req.lazy_only:
            return await super().async_dispatch(req)
        pending: list[_Queued] = []
        token = _pending.set(pending)
        try:
            response = await super().async_dispatch(req)
        finally:
            _pending.reset(token)
        if pending and response.status == 200:  # a failed ack tells the person; no work follows
            try:
                await self._stored.submit([self._job(queued) for queued in pending])
            except Exception:  # answered as an error: Slack tells the person it failed
                self.logger.exception("could not queue the work of a Slack request")
                return BoltResponse(status=500, body="")
        return response

    def _job(self, queued: _Queued) -> queue.NewJob:
        payload = _payload(queued)
        body = payload["body"] if isinstance(payload["body"], str) else json.dumps(payload["body"])
        return queue.NewJob(
            kind=JobKind.SLACK_REQUEST,
            subject_key=_once_key(queued.function, queued.request, body),
            due_at=self.ctx.deps.clock(),
            payload=payload,
            sequence_key=_conversation(queued.request) if queued.ordered else None,
        )

    async def _store(self, batch: Sequence[list[queue.NewJob]]) -> list[None]:
        async with session_scope(self.ctx.deps.sessions) as session:
            await queue.add_once(session=session, jobs=[job for jobs in batch for job in jobs])
        self.ctx.deps.wake_worker()
        return [None] * len(batch)


def _once_key(function: str, request: AsyncBoltRequest, body: str) -> str:
    """What makes a delivery the same request: an event's id (Slack retries an event with the
    same id); a command's, click's or submission's trigger_id (one per act, so a replay with a
    new timestamp or a re-encoded body is still the same request); otherwise the whole body."""
    parsed = request.body if isinstance(request.body, dict) else {}
    event_id = parsed.get("event_id") if parsed.get("type") == "event_callback" else None
    if event_id:
        return f"{function}:event:{event_id}"[:200]
    trigger = parsed.get("trigger_id")
    once = f"trigger\n{trigger}" if isinstance(trigger, str) and trigger else body
    digest = hashlib.sha256(f"{function}\n{once}".encode()).hexdigest()
    return f"{function}:{digest[:40]}"


def _same_request(request: AsyncBoltRequest, _lazy_function_name: str) -> AsyncBoltRequest:
    return request


def _conversation(request: AsyncBoltRequest) -> str | None:
    """Requests from one channel (or one person's DM or Home) are worked through in order."""
    context = request.context
    return context.channel_id or context.user_id


def _payload(queued: _Queued) -> dict[str, Any]:
    request = queued.request
    body: str | dict[str, Any] = request.raw_body if request.mode == "http" else request.body
    content_type = request.headers.get("content-type", [""])[0]
    return {
        "function": queued.function,
        "mode": request.mode,
        "body": body,
        "content_type": content_type,
        "handoff": queued.handoff,
    }


async def run_queued(app: AsyncApp, payload: dict[str, Any], *, last_try: bool = False) -> None:
    """Run the queued work of a stored request, as bolt runs a lazy listener.

    Raises what the work raised (a passing failure, see `errors.guarded`), so it runs again;
    on the `last_try` the work tells the person instead.
    """
    headers: dict[str, str | Sequence[str]] = {
        "content-type": str(payload.get("content_type") or ""),
        LAZY_ONLY: "1",
        LAZY_NAME: str(payload["function"]),
    }
    request = SlackRequest(body=payload["body"], headers=headers, mode=str(payload["mode"]))
    request.context[HANDOFF] = payload.get("handoff")
    request.context[LAST_TRY] = last_try
    response = await app.async_dispatch(request)
    failed = request.context.get(FAILED)
    if failed is not None:
        raise failed
    if response.status != 200:
        raise LookupError(f"no listener ran queued work {payload['function']!r}")
