"""POST /alerts/{source}: a monitor's webhook, checked, parsed and stored in a group commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers

from bot.alerts import auth
from bot.alerts import sources as alert_sources
from bot.alerts.sources import pagerduty
from bot.api.errors import HTTPProblem, check_bearer, decode_json, json_body_doc, read_json_body
from bot.batching import GroupCommit
from bot.db import session_scope
from bot.deps import Deps, WebhookSecrets
from bot.errors import BadInput
from bot.flows import intake as flows
from bot.vocabulary import Source

Endpoint = Callable[[Request], Awaitable[Response]]


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


def router(alerts: Endpoint) -> APIRouter:
    """POST /alerts/{source} for the OpenAPI document; the app serves it through its hot path."""
    router = APIRouter()

    @router.post(
        "/alerts/{source}",
        status_code=202,
        openapi_extra=json_body_doc(),
        summary="Receive an alert webhook from a monitor",
    )
    async def receive_alert(source: str, request: Request) -> Response:
        return await alerts(request)  # served by HotPaths; registered for the OpenAPI document

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
