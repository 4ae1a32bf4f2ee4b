"""Comms after approval: what to send where, recording how it went, cards, history, reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.comms import cadence, drafting, rules
from bot.comms import lint as comms_lint
from bot.comms import obligations as comms_obligations
from bot.comms import store as comms_store
from bot.comms import targets as comms_targets
from bot.comms.clients import Delivery, Message
from bot.comms.schemas import LintResult, Scope
from bot.config import Config
from bot.flows import summary
from bot.flows.comms import as_draft, refresh_card
from bot.incidents import store as incident_store
from bot.jobs import queue
from bot.jobs.kinds import JobKind
from bot.models import CommsDraft, CommsPublication, CommsVersion
from bot.vocabulary import (
    Audience,
    CommsKind,
    DeliveryState,
    DraftState,
    EventKind,
    IncidentType,
    Obligation,
    Role,
)


@dataclass(frozen=True)
class Job:
    """One publication to send; `target` is None when it is no longer configured.

    `may_have_sent` is true when an earlier attempt may have reached the target (its answer was
    lost or it failed after sending), so the sender looks for what it sent before sending again.
    """

    publication_id: int
    target_name: str
    target: comms_targets.Target | None
    message: Message
    remote_id: str | None
    may_have_sent: bool


async def delivery_job(*, session: AsyncSession, config: Config, publication_id: int) -> Job | None:
    """Record an attempt to send a pending publication and return what to send.

    None once it was sent or failed. The attempt is counted before sending (and committed by the
    caller), so a crash while sending leaves a trace that the next attempt checks.
    """
    publication = await comms_store.get_publication(
        session=session, publication_id=publication_id, lock=True
    )
    if publication.state != DeliveryState.PENDING.value:
        return None
    publication.attempts += 1
    draft = await comms_store.get_draft(session=session, draft_id=publication.draft_id)
    version = await _version(session, draft.id, publication.version)
    target = next((t for t in config.status_targets if t.name == publication.target), None)
    remote = None
    if isinstance(target, comms_targets.StatuspageTarget):
        remote = await comms_store.remote_id(
            session=session, incident_id=draft.incident_id, target=target.name
        )
    message = await _message(session, draft, version)
    may_have_sent = publication.attempts > 1
    return Job(publication.id, publication.target, target, message, remote, may_have_sent)


async def record_delivery(
    *, session: AsyncSession, publication_id: int, delivery: Delivery, now: datetime
) -> None:
    """Record how sending went, on the publication and on the timeline; refresh the card."""
    publication = await comms_store.get_publication(session=session, publication_id=publication_id)
    comms_store.finish(
        publication, ok=delivery.ok, external_id=delivery.external_id, error=delivery.error, now=now
    )
    draft = await comms_store.get_draft(session=session, draft_id=publication.draft_id)
    version = await _version(session, draft.id, publication.version)
    await _delivery_event(session, draft, version, publication, now)
    await refresh_card(session=session, draft=draft, now=now)


async def _delivery_event(
    session: AsyncSession,
    draft: CommsDraft,
    version: CommsVersion,
    publication: CommsPublication,
    now: datetime,
) -> None:
    label = drafting.KIND_LABELS[draft.kind]
    if publication.state == DeliveryState.SENT.value:
        text = f"{label} v{version.version} published to {publication.target}: {version.title}"
        text += f"\n\n{version.text}"
    else:
        text = f"{label} v{version.version} NOT published to {publication.target}: "
        text += publication.error or "failed"
    await incident_store.add_event(
        session=session,
        incident_id=draft.incident_id,
        kind=EventKind.COMMS,
        actor=publication.requested_by,
        at=now,
        text=text,
        data={
            "draft_id": draft.id,
            "kind": draft.kind,
            "version": version.version,
            "target": publication.target,
            "target_kind": publication.target_kind,
            "ok": publication.state == DeliveryState.SENT.value,
            "title": version.title,
            "error": publication.error,
        },
        dedupe_key=f"comms:{publication.id}:{publication.attempts}",
    )


@dataclass(frozen=True)
class DeliveryView:
    target: comms_targets.Destination
    state: DeliveryState
    error: str | None


@dataclass(frozen=True)
class Card:
    """Everything the draft card in the incident channel shows."""

    draft_id: int
    incident_id: int
    channel_id: str | None
    message_ts: str | None
    kind: CommsKind
    audience: Audience
    state: DraftState
    version: int
    title: str
    text: str
    lint: LintResult
    author: str
    saved_at: datetime
    targets: tuple[comms_targets.Destination, ...]
    published_by: str | None = None
    published_at: datetime | None = None
    override_reason: str | None = None
    deliveries: tuple[DeliveryView, ...] = ()


async def card(*, session: AsyncSession, config: Config, draft_id: int) -> Card | None:
    """Return the draft card's content, or None while nothing is saved."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id)
    latest = await comms_store.latest_version(session=session, draft_id=draft_id)
    if latest is None:
        return None
    shown = latest
    if draft.published_version is not None:
        shown = await _version(session, draft.id, draft.published_version)
    incident = await incident_store.get(session=session, incident_id=draft.incident_id)
    kind, audience = draft.kind, draft.audience
    checked = comms_lint.lint(as_draft(draft, shown), internal_terms=config.internal_terms)
    chosen = comms_targets.matching(config.status_targets, kind, audience)
    described = {t.name: comms_targets.describe(t) for t in config.status_targets}
    deliveries = [
        DeliveryView(
            described.get(p.target, comms_targets.Destination(p.target)),
            p.state,
            p.error,
        )
        for p in await comms_store.publications(session=session, draft_id=draft_id)
    ]
    return Card(
        draft_id=draft.id,
        incident_id=incident.id,
        channel_id=incident.channel_id,
        message_ts=draft.message_ts,
        kind=kind,
        audience=audience,
        state=draft.state,
        version=shown.version,
        title=shown.title,
        text=shown.text,
        lint=checked,
        author=shown.author,
        saved_at=shown.created_at,
        targets=tuple(comms_targets.destination(t) for t in chosen),
        published_by=draft.published_by,
        published_at=draft.published_at,
        override_reason=draft.override_reason,
        deliveries=tuple(deliveries),
    )


async def set_card_ts(*, session: AsyncSession, draft_id: int, ts: str) -> None:
    """Remember where the draft's card was posted."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id)
    draft.message_ts = ts


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    author: str
    at: datetime
    diff: str  # against the version before ('' for the first)


async def history(*, session: AsyncSession, draft_id: int) -> tuple[CommsKind, list[HistoryEntry]]:
    """Return every version of a draft with what changed from the one before."""
    draft = await comms_store.get_draft(session=session, draft_id=draft_id)
    entries: list[HistoryEntry] = []
    before = ""
    for v in await comms_store.versions(session=session, draft_id=draft_id):
        text = f"{v.title}\n\n{v.text}"
        diff = (
            rules.diff_versions(
                before, text, old_label=f"v{v.version - 1}", new_label=f"v{v.version}"
            )
            if before
            else ""
        )
        entries.append(HistoryEntry(v.version, v.author, v.created_at, diff))
        before = text
    return draft.kind, entries


async def arm(*, session: AsyncSession, config: Config, incident_id: int, now: datetime) -> None:
    """Owe the incident's first update (and the safety notice) once its channel is open."""
    incident = await incident_store.get(session=session, incident_id=incident_id)
    await comms_obligations.on_declaration(
        session=session, incident=incident, overrides=config.comms_cadence_minutes
    )
    await summary.refresh_later(session=session, incident=incident, now=now)
    await _count_down(session, incident_id, now)


async def _count_down(session: AsyncSession, incident_id: int, now: datetime) -> None:
    """Refresh the summary as the legal notice's time left steps down, until it is due."""
    legal = await comms_obligations.get(
        session=session, incident_id=incident_id, obligation=Obligation.LEGAL_LEADERSHIP
    )
    if legal is None or legal.done_at is not None:
        return
    for at in cadence.countdown(legal.due_at, now):
        await queue.schedule(
            session=session,
            kind=JobKind.REFRESH_SUMMARY,
            subject_key=f"{incident_id}@{at.isoformat()}",
            due_at=at,
            incident_id=incident_id,
            rearm=False,
        )


@dataclass(frozen=True)
class ReminderNotice:
    """A reminder to post: who to ping, in which channel, about what."""

    channel_id: str | None
    obligation: Obligation
    due_at: datetime
    count: int
    comms_lead: str | None
    commander: str | None
    type: IncidentType


async def reminder(
    *, session: AsyncSession, incident_id: int, payload: dict[str, Any], now: datetime
) -> ReminderNotice | None:
    """Return the reminder to post if the communication is still owed (and count it)."""
    taken = await comms_obligations.take_reminder(
        session=session, payload=payload, incident_id=incident_id, now=now
    )
    if taken is None:
        return None
    incident = await incident_store.get(session=session, incident_id=incident_id)
    held = await incident_store.roles(session=session, incident_id=incident_id)
    return ReminderNotice(
        channel_id=incident.channel_id,
        obligation=taken.obligation,
        due_at=taken.due_at,
        count=taken.count,
        comms_lead=held.get(Role.COMMS),
        commander=held.get(Role.COMMANDER),
        type=incident.type,
    )


async def _version(session: AsyncSession, draft_id: int, number: int) -> CommsVersion:
    for version in await comms_store.versions(session=session, draft_id=draft_id):
        if version.version == number:
            return version
    raise LookupError(f"draft {draft_id} has no version {number}")


async def _message(session: AsyncSession, draft: CommsDraft, version: CommsVersion) -> Message:
    incident = await incident_store.get(session=session, incident_id=draft.incident_id)
    assert draft.published_by is not None and draft.published_at is not None
    return Message(
        incident_number=incident.number,
        incident_type=incident.type,
        severity=incident.severity,
        kind=draft.kind,
        audience=draft.audience,
        version=version.version,
        title=version.title,
        text=version.text,
        scope=Scope.model_validate(version.scope),
        published_by=draft.published_by,
        published_at=draft.published_at,
    )
