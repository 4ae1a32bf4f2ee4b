"""The managers' web pages under /ui: action items, incidents, postmortems, response times.

Server-rendered HTML (Jinja, autoescaped), one stylesheet and one small script for inline edits.
Every page needs a session from Sign in with Slack or a login link from `/incident web`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot import websession
from bot.deps import Deps
from bot.identity import NoSlack, People
from bot.ui import auth, incidents, items, stats
from bot.ui.base import PageHeaders, SignInRequired, Ui, sign_in_redirect
from bot.ui.render import make_html_environment

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, deps: Deps, people: People | None = None) -> None:
    """Add the /ui routes, their static files and headers to the app."""
    app.add_middleware(PageHeaders)
    key = websession.secret_key(deps.settings)
    if key is None:

        @app.get("/ui/{rest:path}", include_in_schema=False)
        async def unavailable(rest: str) -> Response:
            message = "The web pages need INCIDENTBOT_SESSION_SECRET or SLACK_SIGNING_SECRET."
            return PlainTextResponse(message, status_code=503)

        return
    ui = Ui(deps, people or NoSlack(), websession.Signer(key), make_html_environment())
    app.state.ui = ui
    app.add_exception_handler(SignInRequired, sign_in_redirect)  # type: ignore[arg-type]
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    for module in (auth, items, incidents, stats):
        app.include_router(module.router(ui))

    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/", include_in_schema=False)
    async def home(request: Request) -> Response:
        ui.viewer_of(request)
        return RedirectResponse("/ui/action-items", status_code=303)
