"""Alert storms: past the cap, new alert groups of a source go to one storm incident.

One monitor gone wild must not open a hundred channels. Each alert source may open
`storm.max_new_incidents` incidents per `storm.window_minutes`; further distinct alert groups
attach to that source's open "alert storm" incident, whose summary lists them, and the commander
can split one out as an incident of its own (`/incident split <n>`). Nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules as alert_rules
from bot.alerts.schemas import NormalizedAlert
from bot.config import Config
from bot.errors import BadInput
from bot.flows import incidents as incident_flows
from bot.flows import summary as summary_flows
from bot.incidents import permissions
from bot.incidents import rules as incident_rules
from bot.incidents import store as incident_store
from bot.jobs.kinds import JobKind
from bot.models import DueWork, Incident
from bot.storm import store as storm_store
from bot.vocabulary import EventKind, Role

CREATE_METHOD = "conversations.create"
STUCK_AFTER_ATTEMPTS = 3  # an opening failing this often no longer holds back lower severities


@dataclass
class Cap:
    """Incidents each source may still open in this intake batch (counted once per source)."""

    config: Config
    now: datetime
    left: dict[str, int] = field(default_factory=dict)
    storms: dict[str, Incident] = field(default_factory=dict)  # source → its open storm

    async def may_open(self, session: AsyncSession, source: str) -> bool:
        """Whether `source` may open one more incident now."""
        if source not in self.left:
            storm = self.config.storm
            since = self.now - timedelta(minutes=storm.window_minutes)
            opened = await storm_store.opened_since(session=session, source=source, since=since)
            self.left[source] = storm.max_new_incidents - opened
        return self.left[source] > 0

    def opened(self, source: str) -> None:
        """Count an incident `source` just opened."""
        self.left[source] = self.left.get(source, 0) - 1


async def attach_to_storm(
    *,
    session: AsyncSession,
    config: Config,
    cap: Cap,
    alert: NormalizedAlert,
    route: alert_rules.Route,
    now: datetime,
) -> tuple[Incident, bool]:
    """Send a new alert group to its source's storm incident, opening it if needed."""
    source = alert.source.value
    key = storm_store.storm_key(source)
    opened = False
    storm = cap.storms.get(source) or await incident_store.find_open_by_group_key(
        session=session, group_key=key
    )
    if storm is None:
        storm = await incident_store.create(
            session=session, new=_storm_incident(config, alert, route, now)
        )
        if storm is not None:
            opened = True
            await incident_flows.schedule_opening(
                session=session, config=config, incident=storm, now=now
            )
        else:  # another delivery opened it first
            storm = await incident_store.find_open_by_group_key(session=session, group_key=key)
            assert storm is not None
    await storm_store.add_group(
        session=session,
        values={
            "group_key": route.group_key,
            "incident_id": storm.id,
            "source": source,
            "title": alert.title[:300],
            "type": route.type,
            "severity": route.severity,
            "feature": route.feature[:200] if route.feature else None,
            "first_at": alert.starts_at or now,
        },
    )
    cap.storms[source] = storm
    if route.severity < storm.severity:  # "P1" < "P2": the storm is as severe as its worst
        storm.severity = route.severity
    return storm, opened


def _storm_incident(
    config: Config, alert: NormalizedAlert, route: alert_rules.Route, now: datetime
) -> incident_store.NewIncident:
    storm = config.storm
    return incident_store.NewIncident(
        title=f"Alert storm from {alert.source.value}",
        type=route.type,
        severity=route.severity,
        declared_by="alert",
        declared_at=now,
        description=(
            f"{alert.source.value} opened {storm.max_new_incidents} incidents within "
            f"{storm.window_minutes} min; its further alert groups are listed here. "
            "Split one out as its own incident with `/incident split <n>`."
        ),
        labels={"storm": alert.source.value},
        group_key=storm_store.storm_key(alert.source.value),
        responders=tuple(config.default_responders),
        first_alert_at=alert.starts_at or now,
    )


async def split(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    number: int,
    actor: str,
    now: datetime,
) -> Incident:
    """Open stormed group `number` as its own incident, with its alerts; commander only."""
    storm = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    rows = await storm_store.groups(session=session, incident_id=incident_id)
    if not rows:
        raise BadInput("this incident holds no stormed alert groups to split out")
    if not 1 <= number <= len(rows):
        raise BadInput(f"pick a group from 1 to {len(rows)}, as the summary lists them")
    held = await incident_store.roles(session=session, incident_id=incident_id)
    permissions.require([Role.COMMANDER], held, actor, "split alerts out of the storm")
    group = rows[number - 1][0]
    new = await incident_store.create(
        session=session,
        new=incident_store.NewIncident(
            title=group.title,
            type=group.type,
            severity=group.severity,
            declared_by=actor,
            declared_at=now,
            feature=group.feature,
            group_key=group.group_key,
            responders=tuple(config.default_responders),
            first_alert_at=group.first_at,
        ),
    )
    if new is None:
        raise BadInput("an open incident already holds these alerts")
    await storm_store.take_out(session=session, group=group, incident_id=new.id)
    await _note_split(session, storm, new, actor, now)
    await incident_flows.schedule_opening(session=session, config=config, incident=new, now=now)
    await summary_flows.refresh_later(session=session, incident=storm, now=now)
    return new


async def _note_split(
    session: AsyncSession, storm: Incident, new: Incident, actor: str, now: datetime
) -> None:
    await incident_store.add_event(
        session=session,
        incident_id=storm.id,
        kind=EventKind.STORM,
        actor=actor,
        at=now,
        text=f"Split out as #{new.number}: {new.title}",
    )
    await incident_store.add_event(
        session=session,
        incident_id=new.id,
        kind=EventKind.STORM,
        actor=actor,
        at=now,
        text=f"Split out of alert storm #{storm.number}",
    )


async def channel_slot(
    *, session: AsyncSession, config: Config, incident: Incident, now: datetime
) -> float:
    """0.0 when this incident's channel may be created now, else seconds to wait.

    Paced to `storm.channels_per_minute` across replicas, and more severe incidents first: while
    a more severe incident waits for its channel, a less severe one waits too.
    """
    mine = incident_rules.channel_priority(incident.severity)
    ahead = exists().where(
        DueWork.kind == JobKind.OPEN_CHANNEL,
        DueWork.done_at.is_(None),
        DueWork.priority < mine,
        DueWork.attempts < STUCK_AFTER_ATTEMPTS,
        DueWork.incident_id == Incident.id,
        Incident.channel_id.is_(None),
    )
    if await session.scalar(select(ahead)):
        return 1.0
    return await storm_store.take_slot(
        session=session,
        method=CREATE_METHOD,
        per_minute=config.storm.channels_per_minute,
        now=now,
    )
