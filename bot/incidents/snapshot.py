"""A plain, read-only picture of an incident, for builders of Slack messages and documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import rules as alert_rules
from bot.alerts import store as alert_store
from bot.comms import obligations as comms_obligations
from bot.evals import requests as eval_requests
from bot.evals.requests import LoopState
from bot.incidents import rules
from bot.incidents import store as incident_store
from bot.models import Incident
from bot.paging import store as page_store
from bot.paging.schemas import PageView
from bot.playbook import store as playbook_store
from bot.postmortem import documents as pm_documents
from bot.storm import store as storm_store
from bot.vocabulary import IncidentType, Obligation, Role, Severity, Status


@dataclass(frozen=True)
class SourceLink:
    title: str
    url: str


@dataclass(frozen=True)
class Deadline:
    """A communication owed by a time (the legal & leadership notice of a safety incident)."""

    due_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True)
class Stormed:
    """An alert group held by a storm incident, as its summary lists it (numbered from 1)."""

    number: int
    title: str
    severity: Severity
    alerts: int


@dataclass(frozen=True)
class Snapshot:
    id: int
    number: int
    title: str
    type: IncidentType
    severity: Severity
    status: Status
    feature: str | None
    description: str
    declared_by: str
    declared_at: datetime
    channel_id: str | None
    channel_name: str | None
    summary_ts: str | None
    roles: dict[Role, str]
    required_roles: tuple[Role, ...]
    alert_count: int = 0
    monitors: alert_rules.MonitorState | None = None  # each distinct alert by its latest status
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    links: tuple[SourceLink, ...] = ()
    responders: tuple[str, ...] = ()
    progress: tuple[int, int] | None = None  # playbook steps (done or skipped, total)
    next_update_at: datetime | None = None  # when the next user update is due
    topic: str | None = None  # what the channel topic was last set to
    legal_notice: Deadline | None = None  # safety incidents: legal & leadership within the hour
    as_of: datetime | None = None  # when this picture was taken (for time left)
    pages: tuple[PageView, ...] = ()  # who was paged through PagerDuty, and how it stands
    postmortem_url: str | None = None  # the postmortem's canvas or file in Slack
    evals: LoopState | None = None  # the newest "Run evals" request and whether results came
    stormed: tuple[Stormed, ...] = ()  # a storm incident's alert groups
    page_url: str | None = None  # the incident's web page, where text clipped in Slack is whole

    @property
    def empty_roles(self) -> list[Role]:
        """Required roles nobody holds yet."""
        return [r for r in self.required_roles if r not in self.roles]


async def load(*, session: AsyncSession, incident_id: int, now: datetime | None = None) -> Snapshot:
    """Gather an incident, its roles, alert counts, source links and what it owes, as of `now`."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    held = await incident_store.roles(session=session, incident_id=incident_id)
    stats = await incident_store.alert_stats(session=session, incident_id=incident_id)
    alerts = await alert_store.for_incident(session=session, incident_id=incident_id, limit=20)
    links = {
        link["url"]: SourceLink(link["title"], link["url"]) for a in alerts for link in a.links
    }
    incident_type = incident.type
    return Snapshot(
        id=incident.id,
        number=incident.number,
        title=incident.title,
        type=incident_type,
        severity=incident.severity,
        status=incident.status,
        feature=incident.feature,
        description=incident.description,
        declared_by=incident.declared_by,
        declared_at=incident.declared_at,
        channel_id=incident.channel_id,
        channel_name=incident.channel_name,
        summary_ts=incident.summary_ts,
        roles=held,
        required_roles=rules.required_roles(incident_type),
        alert_count=stats.count,
        monitors=alert_rules.monitor_state(
            await alert_store.latest_statuses(session=session, incident_id=incident_id)
        ),
        first_seen=stats.first_seen,
        last_seen=stats.last_seen,
        links=tuple(links.values())[:5],
        responders=tuple(incident.responders),
        progress=await playbook_store.progress(
            session=session, incident_id=incident_id, playbook_type=incident.type
        ),
        next_update_at=await comms_obligations.next_update_at(
            session=session, incident_id=incident_id
        ),
        topic=incident.topic,
        legal_notice=await _legal_notice(session, incident_id),
        as_of=now,
        pages=await page_store.views(session=session, incident_id=incident_id),
        postmortem_url=await pm_documents.permalink(session=session, incident_id=incident_id),
        evals=await eval_requests.loop_state(session=session, incident=incident),
        stormed=await _stormed(session, incident),
    )


async def _stormed(session: AsyncSession, incident: Incident) -> tuple[Stormed, ...]:
    if not (incident.group_key or "").startswith("storm:"):
        return ()
    rows = await storm_store.groups(session=session, incident_id=incident.id)
    return tuple(
        Stormed(n, g.title, g.severity, count) for n, (g, count) in enumerate(rows, start=1)
    )


async def _legal_notice(session: AsyncSession, incident_id: int) -> Deadline | None:
    row = await comms_obligations.get(
        session=session, incident_id=incident_id, obligation=Obligation.LEGAL_LEADERSHIP
    )
    return Deadline(row.due_at, row.done_at) if row is not None else None
