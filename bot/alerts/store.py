"""Alert storage: the raw delivery, then each normalized alert once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.schemas import NormalizedAlert
from bot.db import core_table, insert_ignoring_conflicts
from bot.models import Alert, AlertDelivery
from bot.vocabulary import AlertStatus, Source


async def add_deliveries(
    *, session: AsyncSession, deliveries: Sequence[tuple[Source, str, int]], at: datetime
) -> list[int]:
    """Keep each raw body (source, body, alert count) exactly as it arrived; their ids, in order."""
    table = core_table(AlertDelivery)
    rows = [
        {"source": source.value, "body": body, "alert_count": count, "received_at": at}
        for source, body, count in deliveries
    ]
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in (await session.execute(stmt, rows)).scalars()]


def alert_row(
    *,
    delivery_id: int,
    alert: NormalizedAlert,
    key: str,
    at: datetime,
    incident_id: int | None,
    group_key: str | None = None,
) -> dict[str, Any]:
    """The stored columns of one alert (`key` is its content key)."""
    return dict(
        delivery_id=delivery_id,
        content_key=key,
        source=alert.source,
        external_id=alert.external_id[:300],
        dedupe_key=alert.dedupe_key[:300],
        group_key=group_key[:300] if group_key else None,
        status=alert.status,
        severity=(alert.severity or None) and alert.severity[:40],
        title=alert.title[:300],
        description=alert.description,
        labels=alert.labels,
        links=[link.model_dump() for link in alert.links],
        values=alert.values,
        raw=alert.raw,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        received_at=at,
        incident_id=incident_id,
    )


async def add_alerts(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Store alerts in one statement, each content key once; content key → id of those new."""
    if not rows:
        return {}
    table = core_table(Alert)
    stmt = (
        insert_ignoring_conflicts(session, Alert)
        .on_conflict_do_nothing(index_elements=["content_key"])
        .returning(table.c.id, table.c.content_key)
    )
    ordered = sorted(rows, key=lambda r: str(r["content_key"]))  # one lock order for all writers
    return {key: int(i) for i, key in (await session.execute(stmt, ordered)).all()}


async def attach_many(*, session: AsyncSession, alert_ids: Sequence[int], incident_id: int) -> None:
    """Link stored alerts to their incident."""
    await session.execute(
        update(Alert).where(Alert.id.in_(list(alert_ids))).values(incident_id=incident_id)
    )


async def for_incident(*, session: AsyncSession, incident_id: int, limit: int = 50) -> list[Alert]:
    """The incident's alerts, newest first."""
    stmt = (
        select(Alert)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.received_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def latest_statuses(*, session: AsyncSession, incident_id: int) -> list[AlertStatus]:
    """The latest status of each distinct alert (source and dedupe key) of the incident."""
    latest = (
        select(func.max(Alert.id).label("id"))
        .where(Alert.incident_id == incident_id)
        .group_by(Alert.source, Alert.dedupe_key)
        .subquery()
    )
    stmt = select(Alert.status).join(latest, Alert.id == latest.c.id)
    return list(await session.scalars(stmt))
