"""A local Slack stand-in: a real HTTP server speaking the Web API, for tests, benchmarks and demo.

Point `AsyncWebClient(token=fake.token, base_url=fake.api_url)` at it. It keeps state (channels,
messages, views...), records every call, and can be told to fail or slow down. It also stands in
for Socket Mode (`fake.socket`, see socket_mode.py): `apps.connections.open` with `fake.app_token`.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from aiohttp import web

from bot.sandbox.slack import api_conversations, api_files, api_views, response_url, wire
from bot.sandbox.slack.api_openid import OpenIdProvider
from bot.sandbox.slack.args import Args
from bot.sandbox.slack.model import (
    JSON,
    Call,
    Channel,
    Ephemeral,
    Message,
    PacingViolation,
    ResponsePost,
    ResponseUrl,
    SlackError,
    User,
    View,
    utcnow,
)
from bot.sandbox.slack.socket_mode import SocketMode
from bot.sandbox.slack.wire import Reply, read_args
from bot.sandbox.slack.workspace import Settings, Workspace, seed

DEFAULT_TOKEN = "xoxb-fake-bot-token"
DEFAULT_APP_TOKEN = "xapp-1-fake-app-token"
CONNECTIONS_OPEN = "apps.connections.open"


class FakeSlack:
    """A Slack Web API server on 127.0.0.1 with inspection and fault-injection helpers."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        latency_s: float = 0.0,
        settings: Settings | None = None,
        seed_defaults: bool = True,
    ) -> None:
        self.token = token
        self.socket = SocketMode(app_token=app_token)
        self.latency_s = latency_s
        self.workspace = Workspace(settings or Settings())
        if seed_defaults:
            seed(self.workspace)
        self.openid = OpenIdProvider(self.workspace)
        self._calls: list[Call] = []
        self._faults: dict[str, list[wire.Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        """Start serving on a free port of 127.0.0.1 in the running event loop."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{response_id}", self._response_url)
        app.router.add_post(api_files.UPLOAD_PATH + "{file_id}", self._upload)
        app.router.add_get("/link/", self.socket.handle)
        app.router.add_route("*", "/openid/connect/authorize", self._authorize)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, self._socket).start()
        self.workspace.settings.upload_base = self.base_url.rstrip("/")
        return self

    async def stop(self) -> None:
        """Stop serving and release the port."""
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Return the server's root URL, such as `http://127.0.0.1:PORT/`."""
        if self._socket is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/"

    @property
    def api_url(self) -> str:
        """Return the Web API base URL for `AsyncWebClient(base_url=...)`."""
        return f"{self.base_url}api/"

    @property
    def app_token(self) -> str:
        """Return the app-level token (`xapp-…`) that opens Socket Mode connections."""
        return self.socket.app_token

    @property
    def authorize_url(self) -> str:
        """Return where Sign in with Slack sends the browser (`/openid/connect/authorize`)."""
        return f"{self.base_url}openid/connect/authorize"

    @property
    def bot_user_id(self) -> str:
        """Return the bot's user id (what `auth.test` answers)."""
        return self.workspace.bot

    # -- seeding and incoming-request helpers ---------------------------------------------

    def add_user(
        self,
        id: str,
        name: str,
        email: str,
        tz: str = "Europe/London",
        real_name: str | None = None,
        *,
        is_admin: bool = False,
    ) -> User:
        """Add (or replace) a workspace member."""
        user = User(id, name, email, real_name or name.title(), tz, is_admin=is_admin)
        return self.workspace.add_user(user)

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        channel_id: str | None = None,
        topic: str = "",
    ) -> Channel:
        """Add a channel; include `fake.bot_user_id` in members to make the bot a member."""
        api_conversations.check_name(self.workspace, name)
        member_ids = list(dict.fromkeys(members))
        creator = member_ids[0] if member_ids else self.bot_user_id
        channel_id = channel_id or self.workspace.new_id("C")
        channel = Channel(channel_id, name, creator, int(time.time()), is_private, topic=topic)
        channel.members = member_ids
        return self.workspace.add_channel(channel)

    def issue_trigger_id(self, user_id: str = "U_ALICE", *, view_id: str | None = None) -> str:
        """Return a trigger_id for `user_id`, usable once within 3 s (pass view_id to push)."""
        return self.workspace.issue_trigger(user_id, view_id)

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Return a response_url; message_ts lets `replace_original` edit that message."""
        target = ResponseUrl(self.workspace.new_id("R"), channel_id, user_id, message_ts)
        self.workspace.response_urls[target.id] = target
        return f"{self.base_url}response/{target.id}"

    # -- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
        applied: bool = False,
        hang_s: float = 0.0,
    ) -> None:
        """Make the next `times` calls to `method` fail with `status` (Retry-After on 429).

        With `applied`, each call is carried out and then its answer is lost: Slack answers
        `status`, or with `hang_s` answers only that many seconds later (a client time-out).
        """
        error = error or wire.FAULT_ERRORS.get(status, "fatal_error")
        after = retry_after if status == 429 else None
        fault = wire.Fault(status, error, after, times, applied=applied, hang_s=hang_s)
        self._faults.setdefault(method, []).append(fault)

    # -- inspection ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Return recorded Web API calls, oldest first, optionally for one method."""
        return [c for c in self._calls if method is None or c.method == method]

    def clear_calls(self) -> None:
        """Forget recorded calls (state such as channels and messages stays)."""
        self._calls.clear()

    def channel(self, channel_id: str) -> Channel:
        """Return a channel by id (KeyError when there is none)."""
        return self.workspace.channels[channel_id]

    def channel_by_name(self, name: str) -> Channel | None:
        """Return the channel called `name`, or None."""
        try:
            return self.workspace.channel(name)
        except SlackError:
            return None

    def messages(self, channel_id: str) -> list[Message]:
        """Return a channel's live messages and thread replies in post order, edits applied."""
        return [m for m in self.workspace.messages.get(channel_id, []) if not m.deleted]

    def pins(self, channel_id: str) -> list[Message]:
        """Return a channel's pinned messages in pin order."""
        pinned = self.channel(channel_id).pins
        return [self.workspace.message(channel_id, ts) for ts in pinned]

    def members(self, channel_id: str) -> list[str]:
        """Return a channel's member ids in join order."""
        return list(self.channel(channel_id).members)

    def topic(self, channel_id: str) -> str:
        """Return a channel's topic."""
        return self.channel(channel_id).topic

    def ephemerals(self, channel_id: str | None = None, user: str | None = None) -> list[Ephemeral]:
        """Return `chat.postEphemeral` messages, optionally for one channel and/or user."""
        return [
            e
            for e in self.workspace.ephemerals
            if channel_id in (None, e.channel) and user in (None, e.user)
        ]

    def responses(self) -> list[ResponsePost]:
        """Return everything posted to response_urls, oldest first."""
        return list(self.workspace.responses)

    def views(self) -> list[View]:
        """Return every modal and Home view in creation order, each in its latest state."""
        return list(self.workspace.views.values())

    def home(self, user_id: str) -> View | None:
        """Return the Home tab published for a user, or None."""
        return self.workspace.views.get(self.workspace.homes.get(user_id, ""))

    def message_payload(self, message: Message) -> JSON:
        """Return a message as Slack shows it, e.g. for `signing.block_action(message=...)`."""
        return self.workspace.message_api(message)

    def view_payload(self, view: View) -> JSON:
        """Return a view as Slack shows it, e.g. for `signing.view_submission(view=...)`."""
        return api_views.view_api(self.workspace, view)

    def pacing_violations(self, channel_id: str | None = None) -> list[PacingViolation]:
        """Return posts that came sooner than the pacing interval after the previous one."""
        return [p for p in self.workspace.pacing if channel_id in (None, p.channel)]

    # -- HTTP ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fault = None
        try:
            raw, token = await read_args(request)
        except ValueError:
            raw, token = {}, None
            reply: Reply = (200, {}, {"ok": False, "error": "invalid_json"})
        else:
            await self._delay()
            fault = self._take_fault(method)
            reply = self._answer(method, raw, token, fault)
        status, headers, body = reply
        self._calls.append(Call(method, raw, body, utcnow(), status))  # as Slack received it
        if fault is not None and fault.hang_s:
            await asyncio.sleep(fault.hang_s)
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, raw: JSON, token: str | None, fault: wire.Fault | None) -> Reply:
        if fault is not None and not fault.applied:
            return fault.reply()
        reply = self._carry_out(method, raw, token)
        return fault.reply() if fault is not None and reply[2].get("ok") else reply

    def _carry_out(self, method: str, raw: JSON, token: str | None) -> Reply:
        if method == CONNECTIONS_OPEN:
            host = self.base_url.removeprefix("http://").rstrip("/")
            return 200, {}, self.socket.connections_open(token, host=host, bot_token=self.token)
        if method == "openid.connect.token":  # the app's client id and secret, not a token
            return self._call(lambda: self.openid.token(Args(raw)))
        if method == "openid.connect.userInfo":  # the user token the code became
            return self._call(lambda: self.openid.user_info(token))
        handler = wire.HANDLERS.get(method)
        if handler is None:
            return 404, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        if token != self.token:
            return 200, {}, {"ok": False, "error": "not_authed" if not token else "invalid_auth"}
        return self._call(lambda: handler(self.workspace, Args(raw)))

    @staticmethod
    def _call(run: Callable[[], JSON]) -> Reply:
        try:
            return 200, {}, run()
        except SlackError as exc:
            return 200, {}, {"ok": False, "error": exc.error, **exc.extra}

    def _take_fault(self, method: str) -> wire.Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    async def _upload(self, request: web.Request) -> web.Response:
        await self._delay()
        return await api_files.receive_upload(self.workspace, request)

    async def _response_url(self, request: web.Request) -> web.Response:
        await self._delay()
        target = self.workspace.response_urls.get(request.match_info["response_id"])
        if target is None:
            return web.Response(status=404, text="no_service")
        try:
            body = await request.json()
            response_url.apply(self.workspace, target, body if isinstance(body, dict) else {})
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        except SlackError as exc:
            return web.Response(status=400, text=exc.error)
        return web.Response(text="ok")

    async def _authorize(self, request: web.Request) -> web.Response:
        """Sign in with Slack's consent page (GET) and the choice made on it (POST)."""
        if request.method == "GET":
            status, page = self.openid.consent_page(dict(request.query))
            return web.Response(status=status, text=page, content_type="text/html")
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        status, where = self.openid.decide(form)
        if status != 302:
            return web.Response(status=status, text=where)
        raise web.HTTPFound(where)

    async def _delay(self) -> None:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
