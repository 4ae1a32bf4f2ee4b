"""The whole bot against the local Slack stand-in, over real HTTP: used by `demo` and tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from sqlalchemy import select
from starlette.types import ASGIApp

from bot.api.app import create_app
from bot.app import build_worker
from bot.deps import Deps
from bot.jobs.worker import Worker
from bot.models import DueWork
from bot.sandbox.slack import signing
from bot.sandbox.slack import socket_mode as socket
from bot.sandbox.slack.fake_slack import FakeSlack
from bot.sandbox.slack.model import JSON
from bot.slack import runtime as slack_runtime
from bot.slack.directory import SlackPeople

SIGNING_SECRET = "sandbox-signing-secret"
WEBHOOK_TOKEN = "sandbox-webhook-token"
# slack-sdk pings this often and reconnects this soon after a dropped connection.
SOCKET_PING_S = 1.0


class Stage:
    """A running bot: its HTTP URL, the fake Slack it talks to, and helpers that act as Slack."""

    def __init__(
        self,
        deps: Deps,
        slack: FakeSlack,
        runtime: slack_runtime.SlackRuntime,
        worker: Worker,
        http: httpx.AsyncClient,
    ) -> None:
        self.deps, self.slack, self.runtime, self.http = deps, slack, runtime, http
        self.worker = worker
        self._ids = itertools.count(1)

    @property
    def secret(self) -> str:
        """The signing secret the bot verifies."""
        value = self.deps.settings.slack_signing_secret
        assert value is not None
        return value.get_secret_value()

    @property
    def over_socket(self) -> bool:
        """Whether Slack reaches the bot over Socket Mode (else over HTTP)."""
        return self.runtime.socket_mode is not None

    async def send(self, request: signing.SignedRequest) -> httpx.Response:
        """POST a signed request to /slack/events, or send it as an envelope over Socket Mode.

        Over Socket Mode the answer is the app's ack: status 200 with the ack's payload, if any.
        """
        if not self.over_socket:
            return await self.http.post(
                "/slack/events", content=request.body, headers=request.headers
            )
        ack = await self.slack.socket.deliver(*envelope(request))
        return httpx.Response(200, json=ack) if ack else httpx.Response(200)

    async def command(
        self, text: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL", ts: int | None = None
    ) -> httpx.Response:
        """Type `/incident <text>` as a user in a channel."""
        return await self.send(
            signing.slash_command(
                self.secret,
                text=text,
                user_id=user,
                channel_id=channel,
                trigger_id=self.slack.issue_trigger_id(user),
                response_url=self.slack.new_response_url(channel_id=channel, user_id=user),
                ts=ts,
            )
        )

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        message_ts: str | None = None,
        block_id: str = "",
    ) -> httpx.Response:
        """Click a button on a message."""
        return await self.send(
            signing.block_action(
                self.secret,
                user_id=user,
                action_id=action_id,
                value=value,
                block_id=block_id,
                channel_id=channel,
                message_ts=message_ts,
                trigger_id=self.slack.issue_trigger_id(user),
                response_url=self.slack.new_response_url(
                    channel_id=channel, user_id=user, message_ts=message_ts
                ),
            )
        )

    async def submit(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str
    ) -> httpx.Response:
        """Submit an open modal with the given `state.values`."""
        return await self.send(
            signing.view_submission(
                self.secret,
                user_id=user,
                callback_id=view["callback_id"],
                values=values,
                view_id=view.get("id", f"V{next(self._ids)}"),
                view=view,
                trigger_id=self.slack.issue_trigger_id(user),
                private_metadata=view.get("private_metadata", ""),
            )
        )

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> httpx.Response:
        """Deliver an Events API callback."""
        return await self.send(
            signing.event_callback(
                self.secret,
                event=event,
                event_id=event_id or f"Ev{next(self._ids):08d}",
                retry_num=retry_num,
            )
        )

    async def alert(self, source: str, payload: dict[str, Any]) -> httpx.Response:
        """Send an alert webhook as a monitor would."""
        token = self.deps.settings.webhook_token
        assert token is not None
        return await self.http.post(
            f"/alerts/{source}",
            content=json.dumps(payload),
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "Content-Type": "application/json",
            },
        )

    async def settle(self, rounds: int = 3, timeout_s: float = 10.0) -> None:
        """Wait until listeners have finished and no queued Slack work is due."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        idle = 0
        while idle < rounds and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
            await _listeners_done()
            await self.worker.run_due()
            idle = idle + 1 if not await self._due_now() else 0

    async def _due_now(self) -> bool:
        async with self.deps.sessions() as session:
            stmt = (
                select(DueWork.id)
                .where(DueWork.done_at.is_(None), DueWork.due_at <= self.deps.clock())
                .limit(1)
            )
            return (await session.scalar(stmt)) is not None

    async def eventually(
        self, check: Callable[[], Awaitable[bool] | bool], timeout_s: float = 10.0
    ) -> None:
        """Wait until `check()` is true (settling between tries) or fail."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            result = check()
            if await result if isinstance(result, Awaitable) else result:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await self.settle(rounds=1)


def envelope(request: signing.SignedRequest) -> tuple[str, JSON]:
    """The Socket Mode envelope type and payload Slack sends instead of this HTTP request."""
    if request.headers["Content-Type"] != signing.FORM:
        return socket.EVENTS, json.loads(request.body)
    fields = dict(parse_qsl(request.text, keep_blank_values=True))
    if "payload" in fields:
        return socket.INTERACTIVE, json.loads(fields["payload"])
    return socket.SLASH_COMMANDS, fields


async def _listeners_done() -> None:
    """Wait for bolt's listener tasks: after an ack, a listener goes on in the background."""
    running = [
        task
        for task in asyncio.all_tasks()
        if "run_ack_function_asynchronously" in getattr(task.get_coro(), "__qualname__", "")
    ]
    await asyncio.gather(*running, return_exceptions=True)


@contextlib.asynccontextmanager
async def serve_asgi(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free port of 127.0.0.1; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve(
    deps: Deps, slack: FakeSlack, *, pace_s: float = 0.0, slack_timeout_s: float = 15.0
) -> AsyncIterator[Stage]:
    """Run the bot's HTTP app (with Slack mounted) on a free local port, talking to `slack`.

    With `SLACK_APP_TOKEN` in the settings the bot also connects to the stand-in over Socket
    Mode, as `incidentbot serve` does, and the stage sends Slack's requests that way.
    """
    gateway = slack_runtime.gateway(deps, min_post_interval_s=pace_s, timeout_s=slack_timeout_s)
    runtime = slack_runtime.build(deps, gateway)
    worker = build_worker(deps, runtime)
    app = create_app(deps, runtime.endpoint(), SlackPeople(gateway.client))
    async with serve_asgi(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        try:
            await runtime.start(ping_interval_s=SOCKET_PING_S)  # with an app token
            yield Stage(deps, slack, runtime, worker, http)
        finally:
            await runtime.close()
            await worker.stop(grace_s=5)
