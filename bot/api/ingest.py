"""What machines record besides alerts: changes, evaluation runs and quality-signal points."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.api.errors import (
    HTTPProblem,
    check_bearer,
    decode_json,
    json_body_doc,
    read_json_body,
    validate,
)
from bot.changes.schemas import ChangeIn
from bot.db import session_scope
from bot.deps import Deps
from bot.errors import BadInput, NotFound
from bot.evals.schemas import EvalIn
from bot.flows import intake as flows
from bot.flows import signal_points
from bot.signals.schemas import MAX_BODY as SIGNALS_MAX_BODY
from bot.signals.schemas import SignalsIn


def router(deps: Deps) -> APIRouter:
    """POST /changes, /evals and /signals, behind the bearer token."""
    router = APIRouter()

    @router.post(
        "/changes",
        status_code=201,
        openapi_extra=json_body_doc(ChangeIn),
        summary="Record a model, prompt, index, deploy, config, provider or traffic change",
    )
    async def post_change(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        change = validate(ChangeIn, decode_json(await read_json_body(request)))
        async with session_scope(deps.sessions) as session:
            row = await flows.record_change(session=session, change=change, now=deps.clock())
        deps.wake_worker()
        return JSONResponse({"id": row.id, "at": row.at.isoformat()}, status_code=201)

    @router.post(
        "/evals",
        status_code=201,
        openapi_extra=json_body_doc(EvalIn),
        summary="Record an evaluation run used to validate a fix",
    )
    async def post_eval(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        run = validate(EvalIn, decode_json(await read_json_body(request)))
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
        openapi_extra=json_body_doc(SignalsIn),
        summary="Receive batches of quality-signal points for the control-chart detector",
    )
    async def post_signals(request: Request) -> JSONResponse:
        check_bearer(deps, request)
        payload = decode_json(await read_json_body(request, limit=SIGNALS_MAX_BODY))
        if isinstance(payload, dict) and "batches" not in payload:
            payload = {"batches": [payload]}  # one batch on its own
        body = validate(SignalsIn, payload)
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
