"""Incident use-cases: declare, roles, severity, type, status, notes, updates, pins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import obligations as comms_obligations
from bot.config import Config
from bot.errors import BotError
from bot.flows import eval_loop, fix_validation, summary
from bot.flows import paging as paging_flows
from bot.flows import playbook as playbook_flows
from bot.flows import signal_charts as chart_flows
from bot.incidents import permissions
from bot.incidents import rules as incident_rules
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import Incident
from bot.vocabulary import EventKind, IncidentType, Role, Severity, Status


class NotInIncident(BotError):
    """A command that needs an incident was used outside an incident channel."""

    def __init__(self) -> None:
        super().__init__(
            "This command works inside an incident channel. "
            "Use `/incident list` to find one, or `/incident declare` to open one."
        )


@dataclass(frozen=True)
class Declaration:
    title: str
    type: IncidentType
    severity: Severity
    feature: str | None
    description: str
    user_id: str


async def declare(
    *, session: AsyncSession, config: Config, declaration: Declaration, now: datetime
) -> Incident:
    """Open an incident by hand; its channel is created by the Slack worker."""
    new = incident_store.NewIncident(
        title=declaration.title,
        type=declaration.type,
        severity=declaration.severity,
        declared_by=declaration.user_id,
        declared_at=now,
        feature=declaration.feature,
        description=declaration.description,
        responders=(*config.default_responders, declaration.user_id),
    )
    incident = await incident_store.create(session=session, new=new)
    assert incident is not None  # declared incidents carry no group key, so never conflict
    await schedule_opening(session=session, config=config, incident=incident, now=now)
    return incident


async def schedule_opening(
    *, session: AsyncSession, config: Config, incident: Incident, now: datetime
) -> None:
    """Queue the Slack work that opens the channel, and the nudge for empty roles."""
    key, nudge_at = str(incident.id), now + timedelta(minutes=config.role_nudge_minutes)
    await queue.add_once(
        session=session,
        jobs=[
            queue.NewJob(
                JobKind.OPEN_CHANNEL,
                key,
                now,
                incident_id=incident.id,
                priority=incident_rules.channel_priority(incident.severity),
            ),
            queue.NewJob(JobKind.ROLE_NUDGE, key, nudge_at, incident_id=incident.id),
        ],
    )
    await paging_flows.on_severity(session=session, config=config, incident=incident, now=now)


async def in_channel(*, session: AsyncSession, channel_id: str) -> Incident:
    """The incident of this channel, or NotInIncident."""
    incident = await incident_store.get_by_channel(session=session, channel_id=channel_id)
    if incident is None:
        raise NotInIncident()
    return incident


@dataclass(frozen=True)
class RoleChange:
    role: Role
    user_id: str
    previous: str | None


async def assign_role(
    *,
    session: AsyncSession,
    incident_id: int,
    role: Role,
    user_id: str,
    actor: str,
    now: datetime,
) -> RoleChange:
    """Give a role to someone (a handover when it is held) and tell them their duties."""
    incident = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    previous = await incident_store.assign_role(
        session=session, incident=incident, role=role, user_id=user_id, actor=actor, at=now
    )
    if previous != user_id:
        await queue.schedule(
            session=session,
            kind=JobKind.ROLE_DM,
            subject_key=f"{incident.id}:{role.value}:{now.isoformat()}",
            due_at=now,
            incident_id=incident.id,
            payload={"role": role.value, "user": user_id},
        )
    if role is Role.COMMANDER:
        await paging_flows.on_commander(session=session, incident_id=incident.id, now=now)
    await summary.refresh_later(session=session, incident=incident, now=now)
    return RoleChange(role=role, user_id=user_id, previous=previous)


async def change_severity(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    severity: Severity,
    actor: str,
    now: datetime,
) -> Severity:
    """Change severity (commander only by default); returns the previous severity."""
    incident = await _permitted(
        session, config.permissions.severity, incident_id, actor, "change the severity"
    )
    previous = await incident_store.set_severity(
        session=session, incident=incident, severity=severity, actor=actor, at=now
    )
    if incident.status.is_open:
        await paging_flows.on_severity(session=session, config=config, incident=incident, now=now)
    await summary.refresh_later(session=session, incident=incident, now=now)
    return previous


async def change_type(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    type_: IncidentType,
    actor: str,
    now: datetime,
    playbooks: playbook_flows.Playbooks,
) -> IncidentType:
    """Change the incident type (commander only by default); returns the previous type."""
    incident = await _permitted(
        session, config.permissions.type, incident_id, actor, "change the incident type"
    )
    previous = await incident_store.set_type(
        session=session, incident=incident, type_=type_, actor=actor, at=now
    )
    await playbook_flows.on_type_change(
        session=session, incident=incident, previous=previous, playbooks=playbooks, now=now
    )
    await summary.refresh_later(session=session, incident=incident, now=now)
    return previous


async def set_status(
    *,
    session: AsyncSession,
    config: Config,
    incident_id: int,
    target: Status,
    actor: str,
    now: datetime,
    reason: str | None = None,
    override: str | None = None,
) -> Status:
    """Move the incident through its lifecycle; resolving is for the commander by default.

    Resolving also needs a validated fix (an eval run after containment that beats the failure
    window) where the config requires one, unless `override` gives the reason to go without.
    """
    if target == Status.RESOLVED:
        incident = await _permitted(
            session, config.permissions.resolve, incident_id, actor, "resolve the incident"
        )
        incident_rules.transition(incident.status, target)
        await fix_validation.check_resolve(
            session=session,
            config=config,
            incident=incident,
            actor=actor,
            now=now,
            override=override,
        )
        reason = f"fix validation overridden: {override}" if override else reason
    else:
        incident = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    previous = await incident_store.set_status(
        session=session, incident=incident, target=target, actor=actor, at=now, reason=reason
    )
    await comms_obligations.on_status(
        session=session, incident_id=incident.id, status=target, now=now
    )
    if not target.is_open:
        await paging_flows.on_ended(session=session, incident_id=incident.id, now=now)
    if target == Status.RESOLVED:
        await chart_flows.on_resolved(session=session, incident=incident, now=now)
    if target == Status.CONTAINED:
        await eval_loop.offer_later(session=session, incident_id=incident.id, now=now)
    await summary.refresh_later(session=session, incident=incident, now=now)
    return previous


async def reopen(*, session: AsyncSession, incident_id: int, actor: str, now: datetime) -> Status:
    """Reopen a resolved or declined incident; returns the status it came from."""
    incident = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    target = incident_rules.reopen_target(incident.status)
    previous = await incident_store.set_status(
        session=session, incident=incident, target=target, actor=actor, at=now, reason="reopened"
    )
    await summary.refresh_later(session=session, incident=incident, now=now)
    return previous


async def add_note(
    *, session: AsyncSession, incident_id: int, text: str, actor: str, now: datetime
) -> None:
    """Add a note to the timeline."""
    await incident_store.add_event(
        session=session,
        incident_id=incident_id,
        kind=EventKind.NOTE,
        actor=actor,
        at=now,
        text=text,
    )


async def post_update(
    *,
    session: AsyncSession,
    incident_id: int,
    text: str,
    status: Status | None,
    actor: str,
    now: datetime,
    config: Config,
) -> None:
    """Record a status update (optionally moving the status) and queue it for the channel."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    if status is not None and status.value != incident.status:
        await set_status(
            session=session,
            config=config,
            incident_id=incident_id,
            target=status,
            actor=actor,
            now=now,
        )
    await incident_store.add_event(
        session=session,
        incident_id=incident_id,
        kind=EventKind.UPDATE,
        actor=actor,
        at=now,
        text=text,
        data={"status": incident.status},
    )
    await summary.refresh_later(session=session, incident=incident, now=now)


async def capture_message(
    *,
    session: AsyncSession,
    channel_id: str,
    message_ts: str,
    text: str,
    author: str,
    actor: str,
) -> bool:
    """Put a pinned or 📌-reacted message on the timeline at its own time; False if there."""
    incident = await incident_store.get_by_channel(session=session, channel_id=channel_id)
    if incident is None:
        return False
    at = datetime.fromtimestamp(float(message_ts), tz=incident.declared_at.tzinfo)
    return await incident_store.add_event(
        session=session,
        incident_id=incident.id,
        kind=EventKind.PINNED,
        actor=actor,
        at=at,
        text=text,
        data={"author": author, "ts": message_ts},
        dedupe_key=f"msg:{message_ts}",
    )


async def _permitted(
    session: AsyncSession, allowed: list[Role], incident_id: int, actor: str, what: str
) -> Incident:
    incident = await incident_store.get(session=session, incident_id=incident_id, lock=True)
    held = await incident_store.roles(session=session, incident_id=incident_id)
    permissions.require(allowed, held, actor, what)
    return incident
