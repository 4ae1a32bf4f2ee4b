"""The postmortem's facts, gathered from the database: timeline, alerts, changes, evals, …"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changes import store as change_store
from bot.config import Config
from bot.flows import fix_validation, people
from bot.flows.people import NameLookup
from bot.incidents import store as incident_store
from bot.models import Alert, ContainmentRun, Incident, TimelineEvent
from bot.postmortem import store as pm_store
from bot.postmortem.schemas import (
    AlertSummary,
    ChangeFacts,
    CommsEntry,
    ContainmentEntry,
    EvalRunFacts,
    FixValidationFacts,
    IncidentTimes,
    OutputSample,
    PostmortemFacts,
    TimelineEntry,
)
from bot.postmortem.store import ItemFilter
from bot.untrusted import MENTION
from bot.vocabulary import EventKind, PostmortemState

CHANGES_BEFORE = timedelta(days=3)  # how far before the first signal the ledger is searched
SAMPLE_KEYS = ("output", "expected")
NOTE_KINDS = (EventKind.NOTE.value, EventKind.PINNED.value)
MAX_ALERTS = 5000


async def gather(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    now: datetime,
    state: PostmortemState = PostmortemState.DRAFT,
    name_of: NameLookup | None = None,
) -> PostmortemFacts:
    """Collect everything the postmortem says about one incident (people by name, where known;
    `name_of` looks up the names not cached yet)."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    events = await incident_store.timeline(session=session, incident_id=incident_id)
    alerts = await _alerts(session, incident_id)
    items = await pm_store.query(session=session, where=ItemFilter(incident_id=incident_id))
    samples = await fix_validation.samples(session=session, incident=incident)
    held = await incident_store.roles(session=session, incident_id=incident_id)
    runs = await _runs(session, incident_id)
    recorded = await fix_validation.recorded(session=session, incident_id=incident.id)
    mentioned = [
        incident.declared_by,
        *held.values(),
        *(e.actor for e in events),
        *(user_id for e in events for user_id in MENTION.findall(e.text)),
        *(i.owner_id for i in items),
        *(r.requested_by for r in runs),
        *([recorded.overridden_by] if recorded and recorded.overridden_by else []),
    ]
    who = _Who(await people.names(session=session, user_ids=mentioned, now=now, name_of=name_of))
    return PostmortemFacts(
        number=incident.number,
        title=incident.title,
        incident_type=incident.type,
        severity=incident.severity,
        feature=incident.feature or incident.service or "not set",
        status=incident.status,
        times=_times(incident),
        tz=config.followup.timezone,
        state=state,
        summary=_summary(incident),
        impact_scope=_scope(incident, alerts),
        declared_by=who(incident.declared_by),
        roles={role: who(user_id) for role, user_id in held.items()},
        role_ids=dict(held),
        timeline=tuple(_entry(e, who) for e in events),
        alerts=_alert_groups(alerts),
        changes=await _changes(session, incident, now),
        evals=tuple(EvalRunFacts(s.suite, s.passed, s.total, s.at) for s in samples),
        validation=await _validation(session, config, incident, recorded, who),
        containment=tuple(_containment(run, who) for run in runs),
        comms=tuple(_comms(e, who) for e in events if e.kind == EventKind.COMMS.value),
        action_items=tuple(replace(i.facts(), owner=who(i.owner_id)) for i in items),
        samples=tuple(s for a in alerts if (s := _sample(a.raw)) is not None)[:10],
        notes=_notes(events, who),
        required_kinds=tuple(config.followup.publish_requires),
    )


@dataclass(frozen=True)
class _Who:
    """Name a person by their Slack name (else their id), and keep a system actor as it is."""

    names: Mapping[str, str]

    def __call__(self, actor: str) -> str:
        if not people.is_user_id(actor):
            return actor
        return self.names.get(actor) or f"@{actor}"

    def text(self, text: str) -> str:
        """Text with its Slack mentions (`<@U123>`) turned into names."""
        return MENTION.sub(lambda m: self(m.group(1)), text)


def _times(incident: Incident) -> IncidentTimes:
    return IncidentTimes(
        declared_at=incident.declared_at,
        first_signal_at=incident.first_alert_at,
        acknowledged_at=incident.acknowledged_at,
        contained_at=incident.contained_at,
        resolved_at=incident.resolved_at,
    )


def _summary(incident: Incident) -> str:
    return f"{incident.title}. {incident.description}".strip() if incident.description else ""


def _scope(incident: Incident, alerts: list[Alert]) -> str | None:
    where = incident.feature or incident.service
    if where is None:
        return None
    count = len(alerts)
    seen = f"; {count} alert{'s' if count != 1 else ''} attached" if alerts else ""
    return f"Users of `{where}`{seen}"


def _entry(event: TimelineEvent, who: _Who) -> TimelineEntry:
    return TimelineEntry(event.at, who(event.actor), event.kind, who.text(event.text))


async def _alerts(session: AsyncSession, incident_id: int) -> list[Alert]:
    stmt = (
        select(Alert)
        .where(Alert.incident_id == incident_id)
        .order_by(Alert.received_at, Alert.id)
        .limit(MAX_ALERTS)
    )
    return list((await session.scalars(stmt)).all())


def _alert_groups(alerts: list[Alert]) -> tuple[AlertSummary, ...]:
    """Group alerts by monitor: count, first and last seen, distinct dedupe keys."""
    groups: defaultdict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in alerts:
        monitor = alert.labels.get("alertname") or alert.labels.get("monitor") or alert.title
        groups[(alert.source, monitor)].append(alert)
    return tuple(
        AlertSummary(
            source=source,
            monitor=monitor,
            title=group[0].title,
            first_seen=min(a.starts_at or a.received_at for a in group),
            last_seen=max(a.received_at for a in group),
            count=len(group),
            distinct_keys=len({a.dedupe_key for a in group}),
        )
        for (source, monitor), group in groups.items()
    )


def _sample(raw: dict[str, Any]) -> OutputSample | None:
    """Find an output-vs-expected pair in an alert, at its top level or one level down."""
    for found in (raw, *(v for v in raw.values() if isinstance(v, dict))):
        if all(isinstance(found.get(k), str) for k in SAMPLE_KEYS):
            prompt = found.get("input") or found.get("prompt")
            return OutputSample(
                output=found["output"],
                expected=found["expected"],
                prompt=prompt if isinstance(prompt, str) else None,
            )
    return None


def _notes(events: list[TimelineEvent], who: _Who) -> str | None:
    lines = [
        f"- {who(e.actor)}: {' '.join(who.text(e.text).split())}"
        for e in events
        if e.kind in NOTE_KINDS
    ]
    return "Notes and pinned messages from the channel:\n\n" + "\n".join(lines) if lines else None


async def _changes(
    session: AsyncSession, incident: Incident, now: datetime
) -> tuple[ChangeFacts, ...]:
    subjects = [s for s in (incident.feature, incident.service) if s]
    start = min(incident.declared_at, incident.first_alert_at or incident.declared_at)
    rows = await change_store.near(
        session=session,
        subjects=subjects,
        since=start - CHANGES_BEFORE,
        until=incident.resolved_at or now,
    )
    return tuple(
        ChangeFacts(
            kind=c.kind,
            subject=c.feature or c.service or "",
            from_version=c.from_version,
            to_version=c.to_version,
            at=c.at,
            author=c.author,
        )
        for c in rows
    )


async def _validation(
    session: AsyncSession,
    config: Config,
    incident: Incident,
    recorded: FixValidationFacts | None,
    who: _Who,
) -> FixValidationFacts:
    """The validation recorded at resolve; before that, what the eval runs show so far."""
    if recorded is not None:
        by = recorded.overridden_by
        return replace(recorded, overridden_by=who(by) if by else None)
    found = await fix_validation.assess(session=session, config=config, incident=incident)
    return FixValidationFacts(required=found.required, explanation=f"So far: {found.explanation}")


async def _runs(session: AsyncSession, incident_id: int) -> list[ContainmentRun]:
    stmt = (
        select(ContainmentRun)
        .where(ContainmentRun.incident_id == incident_id)
        .order_by(ContainmentRun.requested_at, ContainmentRun.id)
    )
    return list((await session.scalars(stmt)).all())


def _containment(run: ContainmentRun, who: _Who) -> ContainmentEntry:
    return ContainmentEntry(
        at=run.requested_at,
        actor=who(run.requested_by),
        action=f"{'undo ' if run.undo_of_id else ''}{run.action_key} via {run.provider}",
        outcome=_outcome(run),
    )


def _outcome(run: ContainmentRun) -> str:
    status = f" (HTTP {run.response_status})" if run.response_status else ""
    return f"{run.state}{status}"


def _comms(event: TimelineEvent, who: _Who) -> CommsEntry:
    data = event.data or {}
    kind = data.get("kind") or data.get("template") or "update"
    target = data.get("target") or data.get("audience") or data.get("channel") or "—"
    excerpt = " ".join(who.text(event.text).split())
    return CommsEntry(event.at, str(kind), str(target), excerpt[:200])
