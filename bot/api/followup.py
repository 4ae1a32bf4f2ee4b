"""The follow-up part of /api: the postmortem as Markdown and action items as JSON or CSV.

Included by `bot.api.incidents.router`, so the same bearer token guards it and OpenAPI describes it.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.db import session_scope
from bot.deps import Deps
from bot.flows import action_items as item_flows
from bot.flows import durations as duration_flows
from bot.flows import postmortem as postmortem_flows
from bot.incidents import store as incident_store
from bot.postmortem.store import ItemFilter, ItemRecord
from bot.untrusted import INT32_MAX, Text
from bot.vocabulary import ActionKind, ActionState, SyncState

log = logging.getLogger(__name__)

MARKDOWN = "text/markdown; charset=utf-8"
CSV = "text/csv; charset=utf-8"


class ActionItemOut(BaseModel):
    """An action item as the API shows it."""

    id: int
    incident: int
    incident_title: str
    text: str
    owner: str
    team: str | None
    kind: ActionKind
    state: ActionState
    due: date
    overdue: bool
    reason: str | None
    created_by: str
    created_at: datetime
    done_at: datetime | None
    tracker: str | None = Field(default=None, description="The tracker's name in the config")
    tracker_issue: str | None = Field(default=None, description="e.g. AIQ-12 or ENG-123")
    tracker_url: str | None = None
    tracker_sync: SyncState | None = Field(
        default=None, description="pending, synced, retrying (an outage) or failed (refused)"
    )
    tracker_error: str | None = None


CSV_FIELDS = list(ActionItemOut.model_fields)


def item_out(item: ItemRecord, today: date) -> ActionItemOut:
    """Project an action item to its API shape."""
    return ActionItemOut(
        id=item.id,
        incident=item.incident_number,
        incident_title=item.incident_title,
        text=item.text,
        owner=item.owner_id,
        team=item.team,
        kind=item.kind,
        state=item.state,
        due=item.due,
        overdue=item.state.is_active and item.due < today,
        reason=item.reason,
        created_by=item.created_by,
        created_at=item.created_at,
        done_at=item.done_at,
        **_tracker_fields(item),
    )


def _tracker_fields(item: ItemRecord) -> dict[str, Any]:
    ref = item.tracker
    if ref is None:
        return {}
    return {
        "tracker": ref.tracker,
        "tracker_issue": ref.key,
        "tracker_url": ref.url,
        "tracker_sync": ref.sync,
        "tracker_error": ref.error,
    }


def router(deps: Deps) -> APIRouter:
    """The postmortem and action-item routes (mounted under /api)."""
    api = APIRouter()

    @api.get(
        "/incidents/{number}/postmortem.md",
        summary="The incident's postmortem as Markdown (draft, in review or published)",
        response_class=Response,
        responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
    )
    async def get_postmortem(number: int = Path(ge=1, le=INT32_MAX)) -> Response:
        async with session_scope(deps.sessions) as session:
            incident = await incident_store.get_by_number(session=session, number=number)
            doc = await postmortem_flows.document(
                session=session,
                config=deps.config,
                templates=deps.templates,
                incident_id=incident.id,
                now=deps.clock(),
                name_of=deps.name_of,
            )
        headers = {"X-Postmortem-State": doc.state.value}
        return Response(doc.markdown, media_type=MARKDOWN, headers=headers)

    @api.get(
        "/action-items",
        summary="Action items, filterable; JSON, or CSV with ?format=csv or Accept: text/csv",
        response_model=list[ActionItemOut],
        responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    async def list_action_items(
        request: Request,
        owner: Annotated[Text | None, Query(description="Slack user id of the owner")] = None,
        team: Text | None = None,
        state: ActionState | None = None,
        kind: ActionKind | None = None,
        overdue: bool | None = Query(default=None, description="Only (or no) overdue items"),
        incident: int | None = Query(
            default=None, ge=1, le=INT32_MAX, description="Incident number"
        ),
        format: Literal["json", "csv"] | None = None,
        limit: int = Query(default=500, ge=1, le=5000),
    ) -> Any:
        today = item_flows.today(deps.config, deps.clock())
        async with session_scope(deps.sessions) as session:
            incident_id = None
            if incident is not None:
                found = await incident_store.get_by_number(session=session, number=incident)
                incident_id = found.id
            where = ItemFilter(
                owners=[owner] if owner else None,
                teams=[team] if team else None,
                states=[state] if state else (item_flows.ACTIVE if overdue else None),
                kind=kind,
                incident_id=incident_id,
                due_before=today if overdue else None,
                limit=limit,
            )
            items = await item_flows.find(session=session, where=where)
        rows = [item_out(i, today) for i in items]
        if overdue is not None:
            rows = [r for r in rows if r.overdue is overdue]
        if _wants_csv(format, request.headers.get("accept", "")):
            return Response(_csv(rows), media_type=CSV)
        return rows

    return api


def _wants_csv(format: str | None, accept: str) -> bool:
    if format is not None:
        return format == "csv"
    return "text/csv" in accept.lower()


def _csv(rows: list[ActionItemOut]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.model_dump(mode="json").items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Defuse text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def refresh_duration_metrics(deps: Deps) -> None:
    """Recompute the response-time gauges /metrics reports; keep the last ones on failure."""
    since = deps.clock() - timedelta(days=deps.config.followup.stats_days)
    try:
        async with session_scope(deps.sessions) as session:
            rows = await duration_flows.metric_rows(session=session, since=since)
    except Exception:  # metrics must render even when the database is briefly away
        log.warning("could not refresh incident duration metrics", exc_info=True)
        return
    deps.metrics.durations.update(rows)
