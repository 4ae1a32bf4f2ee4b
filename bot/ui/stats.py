"""/ui/response-times: time to detect, acknowledge, contain and resolve, over time and in tables."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.db import session_scope
from bot.errors import BadInput
from bot.flows import durations as duration_flows
from bot.postmortem import trends
from bot.postmortem.durations import MEASURES
from bot.templating import format_duration, zone
from bot.ui import charts
from bot.ui.base import Signed, Ui
from bot.vocabulary import IncidentType, Severity

PERIODS = {
    30: timedelta(days=7),
    90: timedelta(days=7),
    180: timedelta(days=14),
    365: timedelta(days=30),
}
SERIES_CSS = {Severity.P1: "series-0", Severity.P2: "series-1", Severity.P3: "series-2"}


def router(ui: Ui) -> APIRouter:
    """The response-times page."""
    api = APIRouter(prefix="/ui", include_in_schema=False)

    @api.get("/response-times")
    async def response_times(request: Request, viewer: Signed) -> Response:
        try:
            days, incident_type = _parse(
                request.query_params.get("days"), request.query_params.get("type")
            )
        except BadInput as exc:
            return await ui.error(viewer, 400, str(exc))
        now = ui.deps.clock()
        start = _start(now, days, viewer.tz)
        async with session_scope(ui.deps.sessions) as session:
            rows = await duration_flows.measured(
                session=session, since=start, incident_type=incident_type
            )
        found = trends.periods(
            ((at, sev, d) for at, _, sev, d in rows), start=start, end=now, width=PERIODS[days]
        )
        summary = duration_flows.summarize(rows)
        return await ui.render(
            "response_times.html",
            viewer,
            section="times",
            days=days,
            day_choices=list(PERIODS),
            incident_type=incident_type,
            types=list(IncidentType),
            periods=found,
            severities=list(Severity),
            measures=MEASURES,
            charts={m: measure_chart(m, found, viewer.tz) for m in MEASURES},
            summary=summary,
            incident_count=len(rows),
        )

    return api


def _parse(days: str | None, kind: str | None) -> tuple[int, IncidentType | None]:
    try:
        chosen = int(days or 90)
        incident_type = IncidentType(kind) if kind else None
    except ValueError as exc:
        raise BadInput(f"a filter is not one this page knows ({exc})") from exc
    if chosen not in PERIODS:
        raise BadInput(f"days must be one of {', '.join(map(str, PERIODS))}", field="days")
    return chosen, incident_type


def _start(now: datetime, days: int, tz: str) -> datetime:
    """Midnight in the viewer's zone, `days` ago: periods start on whole days."""
    local = (now - timedelta(days=days)).astimezone(zone(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def measure_chart(measure: str, periods: list[trends.Period], tz: str) -> charts.Chart:
    """Median of one measure per period, a line per severity."""
    labels = [p.start.astimezone(zone(tz)).strftime("%b %d") for p in periods]
    series = [
        (sev.value, SERIES_CSS[sev], [_minutes(p.median(measure, sev)) for p in periods])
        for sev in Severity
    ]
    return charts.line_chart(
        f"Median time to {measure}", labels, series, _minutes_label, axis_label
    )


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


def _minutes_label(minutes: float) -> str:
    return format_duration(timedelta(minutes=minutes))


def axis_label(minutes: float) -> str:
    """Short labels for a time axis: 0, 45m, 2.5h, 3d."""
    if minutes == 0:
        return "0"
    if minutes < 120:
        return f"{minutes:g}m"
    if minutes < 48 * 60:
        return f"{minutes / 60:.2g}h"
    return f"{minutes / 1440:.2g}d"
