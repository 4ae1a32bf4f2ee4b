"""What changed near an incident: the report on open, on demand, and changes that arrive later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.changes import rules as change_rules
from bot.changes import store as change_store
from bot.errors import NotFound
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Change, Incident
from bot.vocabulary import ChangeKind, EventKind


@dataclass(frozen=True)
class ChangeLine:
    """One ledger entry as shown near an incident."""

    id: int
    kind: ChangeKind
    subject: str
    from_version: str | None
    to_version: str | None
    at: datetime
    author: str | None
    link: str | None
    description: str
    relative: str  # e.g. "2 h 5 min before the first alert"


@dataclass(frozen=True)
class ChangesReport:
    """The changes near one incident, newest first."""

    number: int
    channel_id: str | None
    subjects: tuple[str, ...]
    days: int | None
    lines: tuple[ChangeLine, ...]


@dataclass(frozen=True)
class Arrival:
    """A change that arrived while its incident is open, to post in the incident channel."""

    number: int
    channel_id: str
    line: ChangeLine


async def report(
    *, session: AsyncSession, incident_id: int, now: datetime, days: int | None = None
) -> ChangesReport:
    """Return the ledger's changes for the incident's feature/service near its first alert."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    names = change_rules.subjects(incident.feature, incident.service)
    anchor, label = _anchor(incident)
    rows = await change_store.near(
        session=session,
        subjects=names,
        since=anchor - change_rules.widest_lookback(days),
        until=max(now, anchor),
    )
    lines = [
        _line(row, anchor, label)
        for row in rows
        if change_rules.counts(row.kind, row.at, anchor, days)
    ]
    return ChangesReport(incident.number, incident.channel_id, tuple(names), days, tuple(lines))


async def on_arrival(*, session: AsyncSession, change: Change, now: datetime) -> list[int]:
    """Queue a post of a new change to each open incident it concerns; returns their ids."""
    concerned = [
        incident
        for incident in await incident_store.list_open(session=session)
        if change_rules.concerns(
            (change.feature, change.service),
            change_rules.subjects(incident.feature, incident.service),
        )
    ]
    for incident in concerned:
        await queue.schedule(
            session=session,
            kind=JobKind.CHANGE_ARRIVAL,
            subject_key=f"{incident.id}:{change.id}",
            due_at=now,
            incident_id=incident.id,
            payload={"change": change.id},
            rearm=False,
        )
    return [incident.id for incident in concerned]


async def arrival(
    *, session: AsyncSession, incident_id: int, change_id: int, now: datetime
) -> Arrival | None:
    """Return the notice for a change that arrived, None if the incident ended or has no channel.

    A change arriving before the channel exists is left to the report posted when it opens.
    """
    incident = await incident_store.get(session=session, incident_id=incident_id)
    change = await session.get(Change, change_id)
    if change is None:
        raise NotFound(f"no change {change_id}")
    if incident.channel_id is None or not incident.status.is_open:
        return None
    anchor, label = _anchor(incident)
    line = _line(change, anchor, label)
    await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.CHANGE,
        actor=change.author or "ledger",
        at=now,
        text=f"Change recorded: {_summary(line)}",
        data={"change": change.id},
        dedupe_key=f"change:{change.id}",
    )
    return Arrival(incident.number, incident.channel_id, line)


def _anchor(incident: Incident) -> tuple[datetime, str]:
    if incident.first_alert_at is not None:
        return incident.first_alert_at, "first alert"
    return incident.declared_at, "declaration"


def _line(row: Change, anchor: datetime, label: str) -> ChangeLine:
    return ChangeLine(
        id=row.id,
        kind=row.kind,
        subject=row.feature or row.service or "",
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        author=row.author,
        link=row.link,
        description=row.description,
        relative=change_rules.relative(row.at, anchor, label),
    )


def _summary(line: ChangeLine) -> str:
    versions = f" {line.from_version or '?'} → {line.to_version or '?'}"
    moved = versions if line.from_version or line.to_version else ""
    return f"{line.kind.value} change on {line.subject}{moved}"
