"""`POST /integrations/{jira|linear}`: the trackers' webhooks, signed, moving action items.

Signed with the secret of a configured tracker of that kind (the variable its
`webhook_secret_env` names) or refused with 401; nothing changes for a request that is refused.
A status change of one of the bot's issues moves its item; anything else is answered 200 and
ignored, so the tracker does not retry it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.api.errors import HTTPProblem, decode_json, read_json_body
from bot.db import session_scope
from bot.deps import Deps
from bot.errors import BadInput, BotError
from bot.flows import tracker_webhooks
from bot.trackers import webhooks
from bot.vocabulary import TrackerKind

HEADERS = {TrackerKind.JIRA: webhooks.JIRA_SIGNATURE, TrackerKind.LINEAR: webhooks.LINEAR_SIGNATURE}


def router(deps: Deps) -> APIRouter:
    """The webhook routes of the configured trackers."""
    api = APIRouter()

    @api.post(
        "/integrations/{tracker}",
        summary="A Jira or Linear webhook (signed): an issue's status change moves its item",
        openapi_extra={"requestBody": {"content": {"application/json": {}}}},
    )
    async def receive(tracker: str, request: Request) -> JSONResponse:
        kind = _kind(deps, tracker)
        raw = await read_json_body(request)
        secrets = _secrets(deps, kind)
        if not secrets:
            raise HTTPProblem(401, f"no {kind.label} webhook signing secret is configured")
        if not webhooks.verify(kind, secrets, raw, request.headers.get(HEADERS[kind])):
            raise HTTPProblem(401, f"{HEADERS[kind]} does not match the signing secret")
        try:
            change = webhooks.parse(kind, decode_json(raw), deps.clock())
        except BadInput as exc:
            raise HTTPProblem(422, exc.reason, field=exc.field) from exc
        if change is None:
            return JSONResponse({"ignored": "not a status change of an issue"})
        return await _apply(deps, change)

    return api


def _kind(deps: Deps, name: str) -> TrackerKind:
    try:
        kind = TrackerKind(name)
    except ValueError:
        raise HTTPProblem(404, f"unknown tracker {name!r}; known: jira, linear") from None
    if not any(t.kind == kind.value for t in deps.config.trackers.values()):
        raise HTTPProblem(404, f"no {kind.label} tracker is configured")
    return kind


def _secrets(deps: Deps, kind: TrackerKind) -> list[str]:
    names = [
        t.webhook_secret_env
        for t in deps.config.trackers.values()
        if t.kind == kind.value and t.webhook_secret_env
    ]
    return [deps.environ[n] for n in names if deps.environ.get(n)]


async def _apply(deps: Deps, change: webhooks.RemoteChange) -> JSONResponse:
    try:
        async with session_scope(deps.sessions) as session:
            item = await tracker_webhooks.from_tracker(
                session=session, config=deps.config, change=change, now=deps.clock()
            )
    except BotError as exc:  # a move the item's rules refuse
        raise HTTPProblem(422, str(exc)) from exc
    if item is None:
        return JSONResponse({"ignored": f"{change.key} is not an action item's issue"})
    deps.wake_worker()
    return JSONResponse({"item": item.id, "state": item.state.value})
