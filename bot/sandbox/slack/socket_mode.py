"""Slack's side of Socket Mode, stood in locally: a real WebSocket server for slack-sdk's client.

`apps.connections.open` (called with the app-level `xapp-…` token) answers a one-time
`ws://…/link/?ticket=…` URL. A connection opening it is greeted with `{"type": "hello", …}` and
then receives envelopes `{"envelope_id", "type": "events_api" | "interactive" |
"slash_commands", "payload", "accepts_response_payload", "retry_attempt", "retry_reason"}`,
which the app acknowledges with `{"envelope_id", "payload"?}`.

Delivery follows Slack: an envelope goes to one open connection and waits, while none is open,
for the next. An Events API envelope that was sent but not acknowledged when its connection
dropped is sent again on the next one (`retry_attempt` + 1, the same `event_id`); a slash command
or an interaction is never sent twice — unacknowledged, it fails as it would for the person.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from bot.sandbox.slack.model import APP_ID, JSON

EVENTS = "events_api"
INTERACTIVE = "interactive"
SLASH_COMMANDS = "slash_commands"


class SocketModeError(Exception):
    """An envelope that was not acknowledged (Slack would show the person an error)."""


@dataclass
class Envelope:
    """One delivery, with the ack the app sent for it once it has."""

    id: str
    type: str
    payload: JSON
    acked: asyncio.Future[JSON | None]
    retry_attempt: int = 0
    retry_reason: str = ""
    sent_on: web.WebSocketResponse | None = None

    def frame(self) -> JSON:
        """The envelope as it goes over the WebSocket."""
        return {
            "envelope_id": self.id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.type != EVENTS,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


@dataclass
class _Link:
    ws: web.WebSocketResponse
    request: web.Request
    retiring: bool = False  # asked to reconnect: gets no new envelopes


@dataclass
class SocketMode:
    """The WebSocket side of the stand-in; `FakeSlack.socket` is one."""

    app_token: str
    app_id: str = APP_ID
    acks: list[tuple[str, JSON | None]] = field(default_factory=list)  # every ack, in order
    sent: list[JSON] = field(default_factory=list)  # every envelope frame sent, in order
    connections_opened: int = 0
    _tickets: set[str] = field(default_factory=set)
    _links: list[_Link] = field(default_factory=list)
    _waiting: dict[str, Envelope] = field(default_factory=dict)  # not acknowledged yet
    _resends: set[asyncio.Task[None]] = field(default_factory=set)
    _drop_after_send: bool = False

    def connections_open(self, token: str | None, *, host: str, bot_token: str) -> JSON:
        """Answer `apps.connections.open`: a one-time WebSocket URL for the app-level token."""
        if token != self.app_token:
            error = "not_allowed_token_type" if token == bot_token else "invalid_auth"
            return {"ok": False, "error": error if token else "not_authed"}
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://{host}/link/?ticket={ticket}&app_id={self.app_id}"}

    @property
    def connected(self) -> bool:
        """Whether the app has an open connection."""
        return self._live() is not None

    def _live(self) -> web.WebSocketResponse | None:
        """The newest connection open for envelopes, if any (Slack picks one; we, the newest)."""
        for link in reversed(self._links):
            transport = link.request.transport
            closing = transport is None or transport.is_closing() or link.ws.closed
            if not closing and not link.retiring:
                return link.ws
        return None

    async def deliver(self, kind: str, payload: JSON, *, timeout_s: float = 10.0) -> JSON | None:
        """Send an envelope and return the payload of the app's ack (None when it sent none)."""
        if kind not in (EVENTS, INTERACTIVE, SLASH_COMMANDS):
            raise ValueError(f"unknown envelope type {kind!r}")
        loop = asyncio.get_running_loop()
        envelope = Envelope(uuid.uuid4().hex, kind, payload, loop.create_future())
        self._waiting[envelope.id] = envelope
        if (ws := self._live()) is not None:
            await self._send(envelope, ws)
        try:
            return await asyncio.wait_for(asyncio.shield(envelope.acked), timeout_s)
        except TimeoutError:
            self._waiting.pop(envelope.id, None)
            raise SocketModeError(f"{kind} envelope not acknowledged in {timeout_s} s") from None

    async def drop(self) -> None:
        """Cut every connection without a close handshake, as a network failure does."""
        for link in list(self._links):
            if link.request.transport is not None:
                link.request.transport.abort()

    def drop_after_next_send(self) -> None:
        """Cut the connection right after the next envelope is written, before its ack."""
        self._drop_after_send = True

    async def refresh(self) -> None:
        """Ask the app to reconnect, as Slack does before it refreshes a connection."""
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {}}
        for link in list(self._links):
            link.retiring = True
            await link.ws.send_json(message)

    async def close(self) -> None:
        """Close every connection (the stand-in is stopping)."""
        for link in list(self._links):
            await link.ws.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one WebSocket connection opened with a ticket from `open_url`."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        link = _Link(ws, request)
        self._links.append(link)
        self.connections_opened += 1
        try:
            await ws.send_json(self._hello())
            for envelope in [e for e in self._waiting.values() if e.sent_on is None]:
                await self._send(envelope, ws)
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._acknowledge(json.loads(message.data))
        finally:
            self._links.remove(link)
            self._lost(ws)
        return ws

    def _hello(self) -> JSON:
        return {
            "type": "hello",
            "num_connections": len(self._links),
            "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }

    async def _send(self, envelope: Envelope, ws: web.WebSocketResponse) -> None:
        frame = envelope.frame()
        try:
            await ws.send_json(frame)
        except ConnectionError:
            return  # closing under us: the next connection gets it
        envelope.sent_on = ws
        self.sent.append(frame)
        if self._drop_after_send:
            self._drop_after_send = False
            await self.drop()

    def _acknowledge(self, message: JSON) -> None:
        envelope_id = str(message.get("envelope_id", ""))
        payload = message.get("payload")
        self.acks.append((envelope_id, payload))
        envelope = self._waiting.pop(envelope_id, None)
        if envelope is not None and not envelope.acked.done():
            envelope.acked.set_result(payload)

    def _lost(self, ws: web.WebSocketResponse) -> None:
        """Handle envelopes sent on a connection that closed before they were acknowledged."""
        for envelope in [e for e in self._waiting.values() if e.sent_on is ws]:
            if envelope.type == EVENTS:
                envelope.retry_attempt += 1
                envelope.retry_reason = "timeout"
                envelope.sent_on = None
                if (live := self._live()) is not None:  # else the next connection gets it
                    task = asyncio.create_task(self._send(envelope, live))
                    self._resends.add(task)
                    task.add_done_callback(self._resends.discard)
                continue
            del self._waiting[envelope.id]
            if not envelope.acked.done():
                envelope.acked.set_exception(
                    SocketModeError(f"connection dropped before the {envelope.type} ack")
                )
