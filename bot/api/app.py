"""The one HTTP app: alert webhooks, change ledger, evals, health, metrics, JSON API, Slack."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import ui
from bot.api import alerts as alert_routes
from bot.api import errors, health, incidents, ingest, integrations
from bot.api.alerts import Endpoint
from bot.api.errors import HTTPProblem
from bot.deps import Deps
from bot.identity import People
from bot.metrics import MetricsMiddleware

SlackEndpoint = Endpoint


def create_app(
    deps: Deps,
    slack: SlackEndpoint | None = None,
    people: People | None = None,
    *,
    access_log: bool = False,
) -> FastAPI:
    """Build the FastAPI app with every route, and Slack's endpoint when Slack is configured.

    `people` tells the web pages who is who in Slack (names, time zones, Sign in with Slack).
    """
    app = FastAPI(title="incidentbot", version="0.1.0", summary="AI incident bot for Slack")
    if slack is not None:
        app.add_api_route("/slack/events", slack, methods=["POST"], include_in_schema=False)
    app.state.deps = deps
    errors.install(app)
    alerts = alert_routes.alert_endpoint(deps)
    app.include_router(alert_routes.router(alerts))
    app.include_router(ingest.router(deps))
    app.include_router(health.router(deps))
    app.include_router(incidents.router(deps))
    app.include_router(integrations.router(deps))
    ui.install(app, deps, people)
    hot = {"/alerts/{source}": alerts} | ({"/slack/events": slack} if slack else {})
    app.add_middleware(HotPaths, routes={p: Route(p, e, methods=["POST"]) for p, e in hot.items()})
    app.add_middleware(MetricsMiddleware, metrics=deps.metrics, access_log=access_log)
    return app


class HotPaths:
    """The two busiest routes, served without FastAPI's per-request routing and middleware.

    In an incident, monitors and Slack post here hundreds of times a second, and FastAPI's
    router, dependency machinery and the page middleware cost more than the work itself. The
    same endpoints are registered with FastAPI too, for the OpenAPI document.
    """

    def __init__(self, app: ASGIApp, routes: dict[str, Route]) -> None:
        self.app = app
        self.slack = routes.get("/slack/events")
        self.alerts = routes["/alerts/{source}"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self._match(scope) if scope["type"] == "http" else None
        if hot is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = hot  # names the route in metrics and the access log
        request = Request(scope, receive)
        try:
            response = await hot.endpoint(request)
        except HTTPProblem as exc:
            response = await errors.problem_response(request, exc)
        except PoolTimeout as exc:
            response = await errors.busy_response(request, exc)
        except OperationalError as exc:
            response = await errors.unavailable_response(request, exc)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> Route | None:
        path: str = scope["path"]
        if scope["method"] != "POST":
            return None
        if path == "/slack/events":
            return self.slack
        source = path.removeprefix("/alerts/")
        if source != path and source and "/" not in source:
            scope["path_params"] = {"source": source}
            return self.alerts
        return None
