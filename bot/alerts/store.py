"""Alert storage: the raw delivery, then each normalized alert once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules
from bot.alerts.schemas import NormalizedAlert, Source
from bot.db import insert_ignoring_conflicts
from bot.models import Alert, AlertDelivery


async def add_delivery(
    *, session: AsyncSession, source: Source, body: str, alert_count: int, at: datetime
) -> AlertDelivery:
    """Keep the raw body exactly as it arrived."""
    delivery = AlertDelivery(
        source=source.value, body=body, alert_count=alert_count, received_at=at
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def add_alert(
    *, session: AsyncSession, delivery_id: int, alert: NormalizedAlert, at: datetime
) -> int | None:
    """Store one alert; None when this exact alert was stored before (a redelivery)."""
    stmt = insert_ignoring_conflicts(session, Alert).values(
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
    )
    result = await session.execute(stmt.on_conflict_do_nothing().returning(Alert.id))
    return result.scalar_one_or_none()


async def attach(*, session: AsyncSession, alert_id: int, incident_id: int) -> None:
    """Link a stored alert to its incident."""
    alert = await session.get(Alert, alert_id)
    if alert is not None:
        alert.incident_id = incident_id


async def seen_before(*, session: AsyncSession, incident_id: int, dedupe_key: str) -> bool:
    """Whether the incident already has an alert with this dedupe key."""
    stmt = select(func.count(Alert.id)).where(
        Alert.incident_id == incident_id, Alert.dedupe_key == dedupe_key
    )
    return bool(await session.scalar(stmt))


async def for_incident(*, session: AsyncSession, incident_id: int, limit: int = 50) -> list[Alert]:
    """The incident's alerts, newest first."""
    stmt = (
        select(Alert)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.received_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
