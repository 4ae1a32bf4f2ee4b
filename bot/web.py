"""The one HTTP app: alert webhooks, change ledger, evals, health, metrics, JSON API, Slack."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from starlette.datastructures import Headers

from bot import api, api_followup, ui
from bot.alerts import auth
from bot.alerts import sources as alert_sources
from bot.alerts.schemas import Source
from bot.alerts.sources import pagerduty
from bot.changes.schemas import ChangeIn
from bot.db import session_scope
from bot.deps import Deps, WebhookSecrets
from bot.errors import BadInput, NotFound
from bot.evals.schemas import EvalIn
from bot.flows import intake as flows
from bot.http_errors import HTTPProblem, check_bearer
from bot.identity import People
from bot.metrics import MetricsMiddleware

MAX_BODY = 1024 * 1024
M = TypeVar("M", bound=BaseModel)


SlackEndpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    deps: Deps, slack: SlackEndpoint | None = None, people: People | None = None
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
    app.include_router(_ingest_router(deps))
    app.include_router(_health_router(deps))
    app.include_router(api.router(deps))
    ui.install(app, deps, people)
    app.add_middleware(MetricsMiddleware, metrics=deps.metrics)
    return app


async def _problem_response(_: Request, exc: HTTPProblem) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.message}
    if exc.field:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _not_found_response(_: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=404)


def _json_body_doc(model: type[BaseModel] | None = None) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True) if model else {"type": "object"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _ingest_router(deps: Deps) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/alerts/{source}",
        status_code=202,
        openapi_extra=_json_body_doc(),
        summary="Receive an alert webhook from a monitor",
    )
    async def receive_alert(source: str, request: Request) -> JSONResponse:
        try:
            src = Source(source)
        except ValueError:
            known = ", ".join(s.value for s in Source)
            raise HTTPProblem(404, f"unknown alert source {source!r}; known: {known}") from None
        raw = await _read_body(request)
        _check_alert_auth(deps, src, request, raw)
        payload = _decode(raw)
        if src == Source.PAGERDUTY and pagerduty.is_ping(payload):
            return JSONResponse({"pong": True}, status_code=200)  # PagerDuty's subscription test
        result = await _ingest(deps, src, raw, payload)
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

    @router.post(
        "/changes",
        status_code=201,
        openapi_extra=_json_body_doc(ChangeIn),
        summary="Record a model, prompt, index, deploy, config, provider or traffic change",
    )
    async def post_change(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        change = _validate(ChangeIn, _decode(await _read_body(request)))
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
        run = _validate(EvalIn, _decode(await _read_body(request)))
        try:
            async with session_scope(deps.sessions) as session:
                row = await flows.record_eval(session=session, run=run, now=deps.clock())
        except NotFound as exc:
            raise HTTPProblem(422, str(exc), field="incident") from exc
        deps.wake_worker()
        return JSONResponse({"id": row.id, "at": row.at.isoformat()}, status_code=201)

    return router


async def _ingest(deps: Deps, src: Source, raw: bytes, payload: Any) -> flows.IngestResult:
    try:
        alerts = alert_sources.parse(src, payload)
    except BadInput as exc:
        deps.metrics.alerts.labels(src.value, "rejected").inc()
        raise HTTPProblem(422, exc.reason, field=exc.field) from exc
    async with session_scope(deps.sessions) as session:
        result = await flows.ingest_alerts(
            session=session,
            config=deps.config,
            source=src,
            body=raw.decode("utf-8"),
            alerts=alerts,
            now=deps.clock(),
        )
    if result.stored:
        deps.wake_worker()
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


async def _read_body(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HTTPProblem(415, f"send JSON (Content-Type: application/json), not {content_type!r}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPProblem(413, f"body is {declared} bytes; the limit is {MAX_BODY} (1 MiB)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPProblem(413, f"body is over the {MAX_BODY}-byte (1 MiB) limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))  # the raw body is kept as UTF-8 text
    except UnicodeDecodeError as exc:
        raise HTTPProblem(400, "body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise HTTPProblem(
            400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


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
        except Exception as exc:  # any driver error means not ready
            return JSONResponse({"status": "unavailable", "error": str(exc)[:300]}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        await api_followup.refresh_duration_metrics(deps)
        return Response(deps.metrics.render(), media_type="text/plain; version=0.0.4")

    return router
