"""The one HTTP app: alert webhooks, change ledger, evals, health, metrics, JSON API, Slack."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import api, api_followup, api_integrations, ui
from bot.alerts import auth
from bot.alerts import sources as alert_sources
from bot.alerts.sources import pagerduty
from bot.batching import GroupCommit
from bot.changes.schemas import ChangeIn
from bot.db import POOL_TIMEOUT_S, session_scope
from bot.deps import Deps, WebhookSecrets
from bot.errors import BadInput, NotFound
from bot.evals.schemas import EvalIn
from bot.flows import intake as flows
from bot.flows import signal_points
from bot.http_errors import HTTPProblem, check_bearer, decode_json, read_json_body
from bot.identity import People
from bot.metrics import MetricsMiddleware
from bot.signals.schemas import MAX_BODY as SIGNALS_MAX_BODY
from bot.signals.schemas import SignalsIn
from bot.vocabulary import Source

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


Endpoint = Callable[[Request], Awaitable[Response]]
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
    app.add_exception_handler(HTTPProblem, _problem_response)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, _not_found_response)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _busy_response)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _unavailable_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    alerts = alert_endpoint(deps)
    app.include_router(_ingest_router(deps, alerts))
    app.include_router(_health_router(deps))
    app.include_router(api.router(deps))
    app.include_router(api_integrations.router(deps))
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
            response = await _problem_response(request, exc)
        except PoolTimeout as exc:
            response = await _busy_response(request, exc)
        except OperationalError as exc:
            response = await _unavailable_response(request, exc)
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


async def _problem_response(_: Request, exc: HTTPProblem) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.message, "field": exc.field}
    if exc.status < 500:
        log.warning("refused %s %s (%d): %s", _.method, _.url.path, exc.status, exc.message[:200])
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return JSONResponse(body, status_code=exc.status, headers=headers | exc.headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's validation errors in the documented {"error", "field"} shape."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    field = ".".join(loc[1:] if loc and loc[0] in ("path", "query", "body", "header") else loc)
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    log.warning("refused %s %s: %s: %s", request.method, request.url.path, field, message)
    return JSONResponse({"error": f"{field}: {message}", "field": field or None}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors (unknown route, wrong method) in the same shape."""
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    log.warning(
        "refused %s %s (%d): %s", request.method, request.url.path, exc.status_code, exc.detail
    )
    body = {"error": str(exc.detail), "field": None}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _unavailable_response(_: Request, exc: OperationalError) -> JSONResponse:
    log.warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0][:300])
    body = {"error": "the database is unavailable right now; nothing was stored"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


async def _busy_response(_: Request, exc: PoolTimeout) -> JSONResponse:
    body = {"error": f"the database is busy: no free connection within {POOL_TIMEOUT_S:g} s"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


async def _not_found_response(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"error": str(exc), "field": None}, status_code=404)


def _json_body_doc(model: type[BaseModel] | None = None) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True) if model else {"type": "object"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def alert_endpoint(deps: Deps) -> Endpoint:
    """POST /alerts/{source}: 202 once the delivery is stored, with what became of it."""
    intake = _intake(deps)

    async def receive_alert(request: Request) -> JSONResponse:
        source = request.path_params["source"]
        src = next((s for s in alert_sources.PARSERS if s.value == source), None)
        if src is None:
            known = ", ".join(s.value for s in alert_sources.PARSERS)
            raise HTTPProblem(404, f"unknown alert source {source!r}; known: {known}") from None
        raw = await read_json_body(request)
        _check_alert_auth(deps, src, request, raw)
        payload = decode_json(raw)
        if src == Source.PAGERDUTY and pagerduty.is_ping(payload):
            return JSONResponse({"pong": True}, status_code=200)  # PagerDuty's subscription test
        result = await _ingest(deps, intake, src, raw, payload)
        return JSONResponse(
            {
                "delivery": result.delivery_id,
                "stored": result.stored,
                "duplicates": result.duplicates,
                "opened": result.opened,
                "attached": result.attached,
            },
            status_code=202,
        )

    return receive_alert


def _ingest_router(deps: Deps, alerts: Endpoint) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/alerts/{source}",
        status_code=202,
        openapi_extra=_json_body_doc(),
        summary="Receive an alert webhook from a monitor",
    )
    async def receive_alert(source: str, request: Request) -> Response:
        return await alerts(request)  # served by HotPaths; registered for the OpenAPI document

    @router.post(
        "/changes",
        status_code=201,
        openapi_extra=_json_body_doc(ChangeIn),
        summary="Record a model, prompt, index, deploy, config, provider or traffic change",
    )
    async def post_change(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        change = _validate(ChangeIn, decode_json(await read_json_body(request)))
        async with session_scope(deps.sessions) as session:
            row = await flows.record_change(session=session, change=change, now=deps.clock())
        deps.wake_worker()
        return JSONResponse({"id": row.id, "at": row.at.isoformat()}, status_code=201)

    @router.post(
        "/evals",
        status_code=201,
        openapi_extra=_json_body_doc(EvalIn),
        summary="Record an evaluation run used to validate a fix",
    )
    async def post_eval(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        run = _validate(EvalIn, decode_json(await read_json_body(request)))
        try:
            async with session_scope(deps.sessions) as session:
                row = await flows.record_eval(session=session, run=run, now=deps.clock())
        except NotFound as exc:
            raise HTTPProblem(422, str(exc), field="incident") from exc
        deps.wake_worker()
        return JSONResponse({"id": row.id, "at": row.at.isoformat()}, status_code=201)

    @router.post(
        "/signals",
        status_code=202,
        openapi_extra=_json_body_doc(SignalsIn),
        summary="Receive batches of quality-signal points for the control-chart detector",
    )
    async def post_signals(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        payload = decode_json(await read_json_body(request, limit=SIGNALS_MAX_BODY))
        if isinstance(payload, dict) and "batches" not in payload:
            payload = {"batches": [payload]}  # one batch on its own
        body = _validate(SignalsIn, payload)
        try:
            async with session_scope(deps.sessions) as session:
                accepted = await signal_points.record(
                    session=session, batches=body.batches, now=deps.clock()
                )
        except BadInput as exc:
            raise HTTPProblem(422, exc.reason, field=exc.field) from exc
        deps.wake_worker()
        return JSONResponse(
            {"accepted": accepted.points, "signals": accepted.signals}, status_code=202
        )

    return router


Intake = GroupCommit[flows.Delivery, flows.IngestResult]


def _intake(deps: Deps) -> Intake:
    """Concurrent deliveries are stored together, in one transaction (see bot.batching)."""

    async def write(batch: Sequence[flows.Delivery]) -> list[flows.IngestResult]:
        async with session_scope(deps.sessions) as session:
            results = await flows.ingest(
                session=session, config=deps.config, deliveries=batch, now=deps.clock()
            )
        if any(r.stored for r in results):
            deps.wake_worker()
        return results

    return GroupCommit(write)


async def _ingest(
    deps: Deps, intake: Intake, src: Source, raw: bytes, payload: Any
) -> flows.IngestResult:
    try:
        alerts = alert_sources.parse(src, payload)
    except BadInput as exc:
        deps.metrics.alerts.labels(src.value, "rejected").inc()
        raise HTTPProblem(422, exc.reason, field=exc.field) from exc
    result = await intake.submit(flows.Delivery(src, raw.decode("utf-8"), alerts))
    deps.metrics.alerts.labels(src.value, "stored").inc(result.stored)
    deps.metrics.alerts.labels(src.value, "duplicate").inc(result.duplicates)
    deps.metrics.incidents_opened.labels(src.value).inc(len(result.opened))
    return result


def _check_alert_auth(deps: Deps, src: Source, request: Request, raw: bytes) -> None:
    check_bearer(deps, request)
    problem = _signature_problem(deps.webhook_secrets, src, request.headers, raw)
    if problem is not None:
        raise HTTPProblem(401, problem)


def _signature_problem(
    secrets: WebhookSecrets, src: Source, headers: Headers, raw: bytes
) -> str | None:
    """Check the source's HMAC signature when the bot has its secret; the problem, if any."""
    if src == Source.PAGERDUTY and secrets.pagerduty:
        if not auth.verify_pagerduty(raw, headers.get("x-pagerduty-signature"), secrets.pagerduty):
            return "X-PagerDuty-Signature does not match any configured secret"
    elif src == Source.GRAFANA and secrets.grafana:
        signature = headers.get("x-grafana-alerting-signature")
        timestamp = headers.get("x-grafana-alerting-signature-timestamp")
        if not auth.verify_grafana(raw, signature, timestamp, secrets.grafana):
            return "X-Grafana-Alerting-Signature is missing, wrong or stale"
    elif src == Source.LANGFUSE and secrets.langfuse:
        signature = headers.get(auth.LANGFUSE_SIGNATURE_HEADER)
        if not auth.verify_langfuse(raw, signature, secrets.langfuse):
            return "x-langfuse-signature is missing or does not match the secret"
    return None


def _validate(model: type[M], payload: Any) -> M:
    if not isinstance(payload, dict):
        raise HTTPProblem(422, "expected a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        raise HTTPProblem(422, f"{where}: {message}" if where else message, field=where) from exc


def _health_router(deps: Deps) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database is reachable")
    async def readyz() -> JSONResponse:
        try:
            async with deps.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except PoolTimeout:
            pool = deps.settings.database_pool_size
            error = f"every database connection is in use (DATABASE_POOL_SIZE={pool})"
            return JSONResponse({"status": "busy", "error": error}, status_code=503)
        except Exception as exc:  # any driver error means not ready
            return JSONResponse({"status": "unavailable", "error": str(exc)[:300]}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        await api_followup.refresh_duration_metrics(deps)
        return Response(deps.metrics.render(), media_type="text/plain; version=0.0.4")

    return router
