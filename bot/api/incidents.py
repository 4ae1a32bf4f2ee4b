"""The read-only JSON API under /api, described by the OpenAPI document."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bot.api import followup
from bot.api.errors import check_bearer
from bot.db import session_scope
from bot.deps import Deps
from bot.errors import NotFound
from bot.flows import signal_charts as chart_flows
from bot.incidents import store as incident_store
from bot.models import Incident
from bot.signals import render
from bot.untrusted import INT32_MAX
from bot.vocabulary import IncidentType, Role, Severity, Status

IncidentNumber = Path(ge=1, le=INT32_MAX, description="Incident number")


class IncidentOut(BaseModel):
    number: int
    title: str
    type: IncidentType
    severity: Severity
    status: Status
    feature: str | None
    channel_id: str | None
    channel_name: str | None
    declared_by: str
    declared_at: datetime
    first_alert_at: datetime | None
    acknowledged_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None


class TimelineOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str


class IncidentDetail(IncidentOut):
    roles: dict[Role, str]
    alert_count: int
    last_alert_at: datetime | None
    timeline: list[TimelineOut]


def incident_out(incident: Incident) -> IncidentOut:
    """Project an incident row to its API shape."""
    return IncidentOut.model_validate(incident, from_attributes=True)


def router(deps: Deps) -> APIRouter:
    """Routes under /api, all behind the bearer token."""

    def authorized(request: Request) -> None:
        check_bearer(deps, request)

    api = APIRouter(prefix="/api", dependencies=[Depends(authorized)])

    @api.get("/incidents", summary="List incidents, newest first")
    async def list_incidents(
        status: Status | None = None,
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=INT32_MAX),
    ) -> list[IncidentOut]:
        async with session_scope(deps.sessions) as session:
            rows = await incident_store.list_recent(
                session=session, status=status, limit=limit, offset=offset
            )
            return [incident_out(r) for r in rows]

    @api.get("/incidents/{number}", summary="One incident with roles, alert count and timeline")
    async def get_incident(number: int = IncidentNumber) -> IncidentDetail:
        async with session_scope(deps.sessions) as session:
            incident = await incident_store.get_by_number(session=session, number=number)
            roles = await incident_store.roles(session=session, incident_id=incident.id)
            stats = await incident_store.alert_stats(session=session, incident_id=incident.id)
            events = await incident_store.timeline(session=session, incident_id=incident.id)
            return IncidentDetail(
                **incident_out(incident).model_dump(),
                roles=roles,
                alert_count=stats.count,
                last_alert_at=stats.last_seen,
                timeline=[TimelineOut.model_validate(e, from_attributes=True) for e in events],
            )

    @api.get(
        "/incidents/{number}/chart.png",
        summary="The control chart of the signal that opened the incident (PNG)",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 404: {"description": "No chart"}},
    )
    async def get_chart(number: int = IncidentNumber) -> Response:
        async with session_scope(deps.sessions) as session:
            incident = await incident_store.get_by_number(session=session, number=number)
            data = await chart_flows.chart(
                session=session, config=deps.config, incident_id=incident.id, now=deps.clock()
            )
        if data is None:
            raise NotFound(f"incident {number} was not opened by a quality signal; no chart")
        content = await asyncio.to_thread(render.png, data)
        return Response(content, media_type="image/png")

    api.include_router(followup.router(deps))  # postmortems, action items
    return api
