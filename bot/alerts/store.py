"""Alert storage: the raw delivery, then each normalized alert once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules
from bot.alerts.schemas import AlertStatus, NormalizedAlert, Source
from bot.db import core_table, insert_or_skip
from bot.models import Alert, AlertDelivery


async def add_delivery(
    *, session: AsyncSession, source: Source, body: str, alert_count: int, at: datetime
) -> int:
    """Keep the raw body exactly as it arrived; returns the delivery id."""
    stmt = insert(core_table(AlertDelivery)).values(
        source=source.value, body=body, alert_count=alert_count, received_at=at
    )
    return int((await session.execute(stmt.returning(AlertDelivery.id))).scalar_one())


async def add_alert(
    *,
    session: AsyncSession,
    delivery_id: int,
    alert: NormalizedAlert,
    at: datetime,
    incident_id: int | None = None,
) -> int | None:
    """Store one alert; None when this exact alert was stored before (a redelivery)."""
    values = dict(
        delivery_id=delivery_id,
        content_key=rules.content_key(alert),
        source=alert.source.value,
        external_id=alert.external_id[:300],
        dedupe_key=alert.dedupe_key[:300],
        status=alert.status.value,
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
    alert_id: int | None = await insert_or_skip(session, Alert, values)
    return alert_id


async def attach(*, session: AsyncSession, alert_id: int, incident_id: int) -> None:
    """Link a stored alert to its incident."""
    await session.execute(update(Alert).where(Alert.id == alert_id).values(incident_id=incident_id))


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
    return [AlertStatus(status) for status in await session.scalars(stmt)]
