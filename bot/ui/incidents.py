"""/ui/incidents: the list, one incident with its logs and charts, and its postmortem."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from bot.db import session_scope
from bot.errors import BadInput, BotError
from bot.flows import incident_pages
from bot.flows.incident_pages import IncidentPage
from bot.incidents.listing import IncidentFilter, IncidentOrder
from bot.templating import format_when, zone
from bot.ui import charts
from bot.ui.base import ERROR_STATUS, Signed, Ui, linker, page_number
from bot.untrusted import INT32_MAX
from bot.vocabulary import IncidentType, Severity, Status

PER_PAGE = 50
Number = Annotated[int, Path(ge=1, le=INT32_MAX)]
FILTERS = ("status", "type", "severity", "feature", "sort", "desc")


def router(ui: Ui) -> APIRouter:
    """The incident pages."""
    api = APIRouter(prefix="/ui", include_in_schema=False)

    @api.get("/incidents")
    async def incident_list(request: Request, viewer: Signed) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
        try:
            page = page_number(request.query_params.get("page"))
            where = parse_filter(params, page)
            async with session_scope(ui.deps.sessions) as session:
                found = await incident_pages.incidents(session=session, where=where)
        except BotError as exc:
            return await ui.error(viewer, ERROR_STATUS.get(type(exc), 400), str(exc))

        return await ui.render(
            "incidents.html",
            viewer,
            section="incidents",
            found=found,
            where=where,
            params=params,
            page=page,
            pages=max(1, -(-found.total // PER_PAGE)),
            link=linker("/ui/incidents", params),
            statuses=list(Status),
            types=list(IncidentType),
            severities=list(Severity),
        )

    @api.get("/incidents/{number}")
    async def incident(number: Number, viewer: Signed) -> Response:
        try:
            async with session_scope(ui.deps.sessions) as session:
                found = await incident_pages.incident(
                    session=session, config=ui.deps.config, number=number, now=ui.deps.clock()
                )
        except BotError as exc:
            return await ui.error(viewer, ERROR_STATUS.get(type(exc), 400), str(exc))
        return await ui.render(
            "incident.html",
            viewer,
            section="incidents",
            page=found,
            charts=incident_charts(found, viewer.tz),
        )

    @api.get("/incidents/{number}/postmortem")
    async def postmortem(number: Number, viewer: Signed) -> Response:
        try:
            async with session_scope(ui.deps.sessions) as session:
                found, doc = await incident_pages.postmortem(
                    session=session,
                    config=ui.deps.config,
                    templates=ui.deps.templates,
                    number=number,
                    now=ui.deps.clock(),
                )
        except BotError as exc:
            return await ui.error(viewer, ERROR_STATUS.get(type(exc), 400), str(exc))
        return await ui.render(
            "postmortem.html", viewer, section="incidents", incident=found, doc=doc
        )

    return api


def parse_filter(params: dict[str, str], page: int) -> IncidentFilter:
    """The list's filters, or BadInput naming what makes no sense."""
    try:
        return IncidentFilter(
            status=Status(params["status"]) if "status" in params else None,
            type=IncidentType(params["type"]) if "type" in params else None,
            severity=Severity(params["severity"]) if "severity" in params else None,
            feature=params.get("feature"),
            order=IncidentOrder(params.get("sort", "number")),
            descending=params.get("desc", "1") == "1",
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
    except ValueError as exc:
        raise BadInput(f"a filter is not one this page knows ({exc})") from exc


def incident_charts(page: IncidentPage, tz: str) -> list[charts.Chart]:
    """The charts this incident has data for: alerts over time, eval pass rates."""
    found = []
    if len(page.alert_times) > 1:
        found.append(_alerts_chart(page.alert_times, tz))
    if page.evals:
        markers = [
            (at, label)
            for at, label in (
                (page.incident.contained_at, "contained"),
                (page.incident.resolved_at, "resolved"),
            )
            if at is not None
        ]
        points = [
            (e.at, e.rate * 100, f"{e.suite} {format_when(e.at, tz)}: {e.passed}/{e.total}")
            for e in page.evals
        ]
        found.append(
            charts.time_chart(
                "Eval pass rate (%)",
                points,
                markers,
                lambda v: f"{v:.0f}%",
                lambda at: at.astimezone(zone(tz)).strftime("%d %b %H:%M"),
                y_max=100,
            )
        )
    return found


def _alerts_chart(times: tuple[datetime, ...], tz: str) -> charts.Chart:
    """Alerts per period, with about a dozen periods between the first and the last alert."""
    start, end = times[0], times[-1]
    width = max((end - start) / 12, timedelta(minutes=1))
    per = Counter(min(int((t - start) / width), 11) for t in times)
    labels = [format_when(start + width * i, tz)[11:16] for i in range(12)]
    return charts.bar_chart(
        "Alerts received", labels, [float(per.get(i, 0)) for i in range(12)], lambda v: f"{v:.0f}"
    )
