"""What every web page shares: the signed-in viewer, CSRF-checked forms, rendering, errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2.sandbox import SandboxedEnvironment
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.deps import Deps
from bot.errors import BadInput, BotError, Forbidden, InvalidTransition, NotFound
from bot.identity import People, Person
from bot.untrusted import INT32_MAX
from bot.websession import SESSION_COOKIE, Signer, Viewer, csrf_ok

MAX_FORM = 64 * 1024
FETCH_HEADER = "x-requested-with"  # set by ui.js on inline edits
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ERROR_STATUS: dict[type[BotError], int] = {
    Forbidden: 403,
    NotFound: 404,
    InvalidTransition: 409,
    BadInput: 400,
}


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page, then back to `next`."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


@dataclass
class Ui:
    deps: Deps
    people: People
    signer: Signer
    env: SandboxedEnvironment

    async def names(self) -> Mapping[str, Person]:
        """Workspace members by id, for showing names."""
        return await self.people.everyone()

    async def render(
        self, template: str, viewer: Viewer | None, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render a page (or a fragment) for the viewer."""
        html = self.env.get_template(template).render(
            viewer=viewer, people=await self.names(), **context
        )
        return HTMLResponse(html, status_code=status)

    async def error(self, viewer: Viewer | None, status: int, message: str) -> HTMLResponse:
        """An error page (or, for an inline edit, just the message) saying what went wrong."""
        return await self.render("error.html", viewer, status=status, message=message)

    def viewer_of(self, request: Request) -> Viewer:
        """The signed-in viewer, or SignInRequired (which sends the browser to sign in)."""
        found = self.signer.read_session(request.cookies.get(SESSION_COOKIE), self.deps.clock())
        if found is None:
            query = f"?{request.url.query}" if request.url.query else ""
            raise SignInRequired(request.url.path + query)
        return found


def current_viewer(request: Request) -> Viewer:
    """The dependency that gives a page its signed-in viewer."""
    ui: Ui = request.app.state.ui
    return ui.viewer_of(request)


Signed = Annotated[Viewer, Depends(current_viewer)]


def is_inline(request: Request) -> bool:
    """Whether the request is an inline edit from ui.js (answer with a fragment, not a page)."""
    return request.headers.get(FETCH_HEADER, "").lower() == "fetch"


async def read_form(request: Request) -> dict[str, str]:
    """A URL-encoded form body (the only kind our pages send), at most 64 KiB."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise BadInput("the form is too large")
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


async def checked_form(request: Request, viewer: Viewer) -> dict[str, str]:
    """The form of a change, refused unless it carries the session's CSRF token."""
    form = await read_form(request)
    if not csrf_ok(viewer, form.get("csrf") or request.headers.get("x-csrf-token")):
        raise Forbidden("This form has expired or did not come from this site; reload the page.")
    return form


def page_number(value: str | None) -> int:
    """The page a list shows, 1 when not given."""
    try:
        return min(max(1, int(value or 1)), INT32_MAX)
    except ValueError:
        raise BadInput(f"page must be a number, not {value!r}", field="page") from None


def linker(path: str, params: Mapping[str, str]) -> Callable[..., str]:
    """Build a list page's URL with some filters changed (None removes one); pages reset to 1."""

    def link(**changes: str | int | None) -> str:
        merged: dict[str, str | int] = {k: v for k, v in params.items() if k != "page"}
        for name, value in changes.items():
            if value is None or value == "":
                merged.pop(name, None)
            else:
                merged[name] = value
        return path + (f"?{urlencode(merged)}" if merged else "")

    return link


def sign_in_redirect(request: Request, exc: SignInRequired) -> Response:
    """Pages redirect to sign-in; inline edits get 401 so the script can say so."""
    if is_inline(request):
        return Response("Your session has ended; sign in again.", status_code=401)
    return RedirectResponse(f"/ui/login?next={quote(exc.next_url, safe='')}", status_code=303)


class PageHeaders:
    """ASGI middleware: security headers and the server time (Server-Timing) on /ui responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/ui"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = (time.perf_counter() - started) * 1000
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                extra.append((b"server-timing", f"app;dur={spent:.1f}".encode()))
                names = {k for k, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
